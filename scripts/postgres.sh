#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for Atrium's tests.
#
#   scripts/postgres.sh start  <dir>   # init (if needed) + start; writes and prints <dir>/env.sh
#   scripts/postgres.sh stop   <dir>   # pg_ctl stop -m fast; harmless if not running
#   scripts/postgres.sh status <dir>   # exit 0 if running
#
# <dir>/env.sh exports ATRIUM_TEST_PG_{HOST,PORT,SUPERUSER,SUPERPASSWORD,OWNER,OWNER_PASSWORD,
# APP_USER,APP_PASSWORD}. Passwords are new on every `start`. The server listens on 127.0.0.1
# only (random free port, scram-sha-256 auth), its unix socket lives inside the cluster dir.
# When run as root, the server runs as the `postgres` OS user (created if missing). If
# PostgreSQL is not installed, it is installed with apt-get (needs root).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

usage() { echo "usage: $0 start|stop|status <dir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
CMD=$1
if [ "$CMD" != start ] && [ ! -d "$2" ]; then log "no cluster dir $2"; [ "$CMD" = stop ]; exit; fi
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
ENV_FILE="$DIR/env.sh"

PG_OS_USER=postgres
[ "$(id -u)" -eq 0 ] || PG_OS_USER=$(id -un)

# Runs a command as the OS user that owns the cluster.
as_pg() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        su -s /bin/sh "$PG_OS_USER" -c "$(printf '%q ' "$@")"
    fi
}

# Finds the directory holding initdb/pg_ctl; prints it or returns 1.
find_pg_bin() {
    local p d best="" bestv=0 v
    if p=$(command -v pg_ctl 2>/dev/null) && command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$p")"; return 0
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || continue
        v=$(basename "$(dirname "$d")"); v=${v%%.*}
        case $v in ''|*[!0-9]*) v=0 ;; esac
        if [ -z "$best" ] || [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
    done
    [ -n "$best" ] || return 1
    echo "$best"
}

install_pg() {
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL (initdb/pg_ctl) not found and not root: install the 'postgresql' package"
    log "PostgreSQL not found; installing it with apt-get (takes a minute)..."
    local out; out=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            postgresql postgresql-client; } >"$out" 2>&1; then
        tail -n 40 "$out" >&2; rm -f "$out"
        die "apt-get install postgresql failed"
    fi
    rm -f "$out"
}

ensure_pg_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        log "creating OS user $PG_OS_USER"
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_OS_USER" 2>/dev/null \
            || useradd --system --user-group --no-create-home --shell /bin/bash "$PG_OS_USER"
    fi
}

# The cluster lives in $DIR, unless the postgres user cannot reach it (e.g. a repo checkout under a
# 0700 home); then it lives in a /tmp directory derived from $DIR (same every call).
cluster_root() {
    if [ "$(id -u)" -ne 0 ] || ! id -u "$PG_OS_USER" >/dev/null 2>&1 \
        || as_pg test -x "$(dirname "$DIR")" 2>/dev/null; then
        echo "$DIR"
    else
        echo "/tmp/atrium-pg-$(printf '%s' "$DIR" | sha256sum | cut -c1-16)"
    fi
}

rand_pw() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

set_paths() {
    ROOT=$(cluster_root)
    PGDATA_DIR="$ROOT/data"
    SOCK_DIR="$ROOT/sock"
    LOG_FILE="$ROOT/server.log"
}

is_running() {
    [ -n "${PG_BIN:-}" ] || return 1
    [ -f "$PGDATA_DIR/postmaster.pid" ] || return 1
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

running_port() { sed -n 4p "$PGDATA_DIR/postmaster.pid"; }

show_log() {
    log "---- last lines of $LOG_FILE ----"
    tail -n 60 "$LOG_FILE" >&2 2>/dev/null || true
    log "---------------------------------"
}

init_cluster() {
    log "initdb in $PGDATA_DIR"
    rm -rf "$PGDATA_DIR"
    mkdir -p "$PGDATA_DIR" "$SOCK_DIR"
    [ "$(id -u)" -ne 0 ] || chown -R "$PG_OS_USER:" "$ROOT"
    chmod 700 "$ROOT" "$PGDATA_DIR" "$SOCK_DIR"
    local out; out=$(mktemp); chmod 644 "$out"
    [ "$(id -u)" -ne 0 ] || chown "$PG_OS_USER" "$out"
    if ! as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -E UTF8 --no-locale \
            --auth-local=trust --auth-host=scram-sha-256 --no-instructions >"$out" 2>&1; then
        cat "$out" >&2; rm -f "$out"
        die "initdb failed"
    fi
    rm -f "$out"
    # Only the owner (and root) can reach the socket dir, so local trust is safe.
    as_pg sh -c "cat > '$PGDATA_DIR/pg_hba.conf'" <<'EOF'
# Atrium test cluster
local   all  all                    trust
host    all  all  127.0.0.1/32      scram-sha-256
EOF
    as_pg sh -c "cat >> '$PGDATA_DIR/postgresql.conf'" <<EOF

# ---- Atrium test settings ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK_DIR'
max_connections = 300
shared_buffers = 128MB
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
include_if_exists = 'atrium_port.conf'
EOF
}

start_server() {
    local attempt port
    for attempt in 1 2 3; do
        port=$(atrium_free_port)
        echo "port = $port" | as_pg sh -c "cat > '$PGDATA_DIR/atrium_port.conf'"
        : >"$LOG_FILE"; [ "$(id -u)" -ne 0 ] || chown "$PG_OS_USER:" "$LOG_FILE"
        if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null 2>&1; then
            return 0
        fi
        log "start attempt $attempt on port $port failed"
        show_log
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" stop -m immediate >/dev/null 2>&1 || true
    done
    die "could not start PostgreSQL in $PGDATA_DIR"
}

wait_ready() {
    local port=$1 i
    for i in $(seq 1 60); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres 2>/dev/null \
            || { ! [ -x "$PG_BIN/pg_isready" ] && as_pg "$PG_BIN/psql" -h "$SOCK_DIR" -p "$port" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }; then
            return 0
        fi
        sleep 0.5
    done
    show_log
    die "PostgreSQL on port $port did not become ready"
}

psql_admin() {
    local port=$1; shift
    as_pg "$PG_BIN/psql" -h "$SOCK_DIR" -p "$port" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 "$@"
}

setup_roles() {
    local port=$1
    SUPER_PW=$(rand_pw); OWNER_PW=$(rand_pw); APP_PW=$(rand_pw)
    psql_admin "$port" >/dev/null <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atrium_super') THEN CREATE ROLE atrium_super; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atrium_owner') THEN CREATE ROLE atrium_owner; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atrium_app')   THEN CREATE ROLE atrium_app;   END IF;
END
\$\$;
ALTER ROLE atrium_super LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD '$SUPER_PW';
ALTER ROLE atrium_owner LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION PASSWORD '$OWNER_PW';
ALTER ROLE atrium_app   LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION PASSWORD '$APP_PW';
EOF
}

write_env() {
    local port=$1 tmp
    tmp="$ENV_FILE.tmp.$$"
    cat >"$tmp" <<EOF
# Generated by scripts/postgres.sh start $DIR  (cluster: $PGDATA_DIR)
export ATRIUM_TEST_PG_HOST=127.0.0.1
export ATRIUM_TEST_PG_PORT=$port
export ATRIUM_TEST_PG_SUPERUSER=atrium_super
export ATRIUM_TEST_PG_SUPERPASSWORD=$SUPER_PW
export ATRIUM_TEST_PG_OWNER=atrium_owner
export ATRIUM_TEST_PG_OWNER_PASSWORD=$OWNER_PW
export ATRIUM_TEST_PG_APP_USER=atrium_app
export ATRIUM_TEST_PG_APP_PASSWORD=$APP_PW
EOF
    chmod 600 "$tmp"
    mv -f "$tmp" "$ENV_FILE"
}

case $CMD in
start)
    PG_BIN=$(find_pg_bin) || { install_pg; PG_BIN=$(find_pg_bin) || die "initdb/pg_ctl still not found after install"; }
    ensure_pg_user
    set_paths
    if [ "$ROOT" != "$DIR" ]; then
        log "postgres user cannot reach $DIR; cluster lives in $ROOT"
        mkdir -p "$ROOT"
    fi
    if is_running; then
        PORT=$(running_port)
        log "cluster already running on port $PORT ($PGDATA_DIR)"
    else
        VERSION_NOW=$("$PG_BIN/pg_ctl" --version | sed -E 's/.* ([0-9]+).*/\1/')
        if [ ! -f "$PGDATA_DIR/PG_VERSION" ] || [ "$(cat "$PGDATA_DIR/PG_VERSION")" != "$VERSION_NOW" ] \
            || ! grep -q 'Atrium test settings' "$PGDATA_DIR/postgresql.conf" 2>/dev/null; then
            init_cluster
        fi
        [ "$(id -u)" -ne 0 ] || chown -R "$PG_OS_USER:" "$ROOT"
        mkdir -p "$SOCK_DIR"
        start_server
        PORT=$(running_port)
        log "PostgreSQL $VERSION_NOW started on 127.0.0.1:$PORT ($PGDATA_DIR)"
    fi
    wait_ready "$PORT"
    setup_roles "$PORT" || { show_log; die "creating roles failed"; }
    write_env "$PORT"
    echo "$ENV_FILE"
    ;;
stop)
    PG_BIN=$(find_pg_bin) || { log "PostgreSQL not installed; nothing to stop"; exit 0; }
    set_paths
    if is_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" stop -m fast -w -t 60 >/dev/null \
            || { show_log; die "pg_ctl stop failed"; }
        log "stopped cluster in $PGDATA_DIR"
    else
        log "no running cluster in $PGDATA_DIR"
    fi
    ;;
status)
    PG_BIN=$(find_pg_bin) || exit 1
    set_paths
    if is_running; then echo "running on port $(running_port)"; else echo "not running"; exit 1; fi
    ;;
*) usage ;;
esac
