# shellcheck shell=bash
# Shared helpers for Atrium scripts. Source it:  . "$(dirname "$0")/lib.sh"

log() { printf '[atrium] %s\n' "$*" >&2; }

die() { log "ERROR: $*"; exit 1; }

# Prints the major version of the java binary given as $1 (e.g. 17, 21, 25), or nothing.
atrium_java_major() {
    local javabin=$1 line ver
    [ -x "$javabin" ] || return 1
    line=$("$javabin" -version 2>&1 | grep -m1 -E 'version "[0-9]' ) || return 1
    ver=$(printf '%s\n' "$line" | sed -E 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/')
    set -- $ver
    # Old scheme "1.8.0" -> 8
    if [ "$1" = "1" ] && [ -n "${2:-}" ]; then echo "$2"; else echo "$1"; fi
}

# Sets and exports JAVA_HOME to a JDK >= 21 and puts its bin first on PATH.
atrium_java_home() {
    local want=21 cur major candidate best="" bestv=0 javabin
    # 1. The current JAVA_HOME / java on PATH, if new enough.
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        major=$(atrium_java_major "$JAVA_HOME/bin/java" || true)
        if [ -n "$major" ] && [ "$major" -ge "$want" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
            export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"; return 0
        fi
    fi
    if javabin=$(command -v java 2>/dev/null); then
        major=$(atrium_java_major "$javabin" || true)
        if [ -n "$major" ] && [ "$major" -ge "$want" ]; then
            cur=$(dirname "$(dirname "$(readlink -f "$javabin")")")
            if [ -x "$cur/bin/javac" ]; then
                export JAVA_HOME="$cur" PATH="$cur/bin:$PATH"; return 0
            fi
        fi
    fi
    # 2. The preferred Temurin 25.
    candidate=/usr/lib/jvm/temurin-25-jdk-amd64
    if [ -x "$candidate/bin/javac" ]; then
        export JAVA_HOME="$candidate" PATH="$candidate/bin:$PATH"; return 0
    fi
    # 3. The newest JDK under /usr/lib/jvm that is >= 21.
    for candidate in /usr/lib/jvm/*; do
        [ -x "$candidate/bin/javac" ] || continue
        [ -L "$candidate" ] && continue
        major=$(atrium_java_major "$candidate/bin/java" || true)
        [ -n "$major" ] || continue
        if [ "$major" -ge "$want" ] && [ "$major" -gt "$bestv" ]; then best=$candidate; bestv=$major; fi
    done
    if [ -n "$best" ]; then
        export JAVA_HOME="$best" PATH="$best/bin:$PATH"; return 0
    fi
    log "ERROR: no JDK >= $want found (checked JAVA_HOME, java on PATH, /usr/lib/jvm/*)."
    log "       Install one, e.g.: apt-get install -y openjdk-21-jdk-headless (or temurin-25-jdk)"
    return 1
}

# Prints a free TCP port on 127.0.0.1.
atrium_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
        return
    fi
    local port i
    for i in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return 0
        fi
    done
    log "ERROR: could not find a free port"
    return 1
}

# Makes sure Maven is on PATH, installing Debian's package when it is missing (CI runs as root).
atrium_require_maven() {
    command -v mvn >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Maven from Debian's packages"
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null \
            || die "could not install maven"
        return 0
    fi
    die "Maven (mvn) is required; install it (e.g. apt-get install maven)"
}
