#!/usr/bin/env bash
# Throwaway S3-compatible server for Atrium's tests: s3proxy (org.gaul:s3proxy, from Maven Central)
# with its filesystem blob store, listening on 127.0.0.1 only. A real S3 protocol implementation
# (SigV4, multipart uploads, ranges, listing with delimiters), not a mock.
#
#   scripts/s3-server.sh start  <dir>   # start (fetching the jar with Maven if needed); writes and prints <dir>/env.sh
#   scripts/s3-server.sh stop   <dir>   # stop it; harmless if not running
#   scripts/s3-server.sh status <dir>   # exit 0 if running
#
# <dir>/env.sh exports ATRIUM_TEST_S3_{ENDPOINT,BUCKET,REGION,ACCESS_KEY,SECRET_KEY}. Credentials are
# new on every `start`; objects live in <dir>/blobs (the bucket is a folder there).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

S3PROXY_VERSION=4.1.0
BUCKET=atrium-test

usage() { echo "usage: $0 start|stop|status <dir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
CMD=$1
if [ "$CMD" != start ] && [ ! -d "$2" ]; then log "no s3 dir $2"; [ "$CMD" = stop ]; exit; fi
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
ENV_FILE="$DIR/env.sh"
PID_FILE="$DIR/s3proxy.pid"
LOG_FILE="$DIR/s3proxy.log"

is_running() {
    [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

# Prints the path of the s3proxy jar-with-dependencies, downloading it into ~/.m2 when missing.
find_jar() {
    local repo=${MAVEN_REPO:-$HOME/.m2/repository}
    local jar="$repo/org/gaul/s3proxy/$S3PROXY_VERSION/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
    if [ ! -f "$jar" ]; then
        atrium_require_maven
        log "fetching s3proxy $S3PROXY_VERSION from Maven Central"
        mvn -q -B dependency:get -Dtransitive=false \
            -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" >&2 \
            || die "could not download s3proxy"
    fi
    [ -f "$jar" ] || die "s3proxy jar not found at $jar"
    echo "$jar"
}

rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

wait_ready() {
    local port=$1 i code
    for i in $(seq 1 120); do
        if ! is_running; then break; fi
        # Any HTTP answer (403 for an unsigned request) means it is serving.
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null || true)
        if [ -n "$code" ] && [ "$code" != 000 ]; then return 0; fi
        sleep 0.5
    done
    log "---- last lines of $LOG_FILE ----"; tail -n 40 "$LOG_FILE" >&2 || true
    die "s3proxy on port $port did not become ready"
}

start() {
    if is_running && [ -f "$ENV_FILE" ]; then
        log "s3proxy already running (pid $(cat "$PID_FILE"))"
        cat "$ENV_FILE"
        return 0
    fi
    atrium_java_home
    local jar port access secret
    jar=$(find_jar)
    port=$(atrium_free_port)
    access=atr$(rand_hex 8)
    secret=$(rand_hex 24)
    mkdir -p "$DIR/blobs/$BUCKET"
    umask 077
    cat >"$DIR/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$access
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$DIR/blobs
EOF
    : >"$LOG_FILE"
    nohup "$JAVA_HOME/bin/java" -Xmx512m -jar "$jar" --properties "$DIR/s3proxy.conf" >>"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    wait_ready "$port"
    cat >"$ENV_FILE" <<EOF
export ATRIUM_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export ATRIUM_TEST_S3_BUCKET=$BUCKET
export ATRIUM_TEST_S3_REGION=us-east-1
export ATRIUM_TEST_S3_ACCESS_KEY=$access
export ATRIUM_TEST_S3_SECRET_KEY=$secret
EOF
    log "s3proxy listening on 127.0.0.1:$port (pid $(cat "$PID_FILE")), bucket $BUCKET"
    cat "$ENV_FILE"
}

stop() {
    if is_running; then
        local pid; pid=$(cat "$PID_FILE")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
}

case $CMD in
    start) start ;;
    stop) stop ;;
    status) is_running ;;
    *) usage ;;
esac
