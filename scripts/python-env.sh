#!/usr/bin/env bash
# Creates (or refreshes) the Python venv for the conformance tests.
#
#   scripts/python-env.sh <venv-dir> [requirements-file]
#
# Installs conformance/requirements.txt (default) from PyPI into <venv-dir> with the python3 on PATH
# (override with ATRIUM_PYTHON=/path/to/python3). The venv is rebuilt only when it is missing or
# the hash of (requirements file + python version) differs from the stamp left by the last
# successful install. Prints the venv's absolute path on stdout.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 <venv-dir> [requirements-file]" >&2; exit 2; }
VENV=$1
REQ=${2:-$HERE/../conformance/requirements.txt}
[ -f "$REQ" ] || die "requirements file not found: $REQ"
REQ=$(cd "$(dirname "$REQ")" && pwd)/$(basename "$REQ")
PY=${ATRIUM_PYTHON:-$(command -v python3 || true)}
[ -n "$PY" ] || die "python3 not found on PATH"

mkdir -p "$(dirname "$VENV")"
VENV=$(cd "$(dirname "$VENV")" && pwd)/$(basename "$VENV")
STAMP="$VENV/.atrium-requirements.sha256"

PY_ID=$("$PY" -c 'import sys; print(sys.implementation.name, sys.version.split()[0], sys.executable)')
WANT=$( { cat "$REQ"; echo "$PY_ID"; } | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$VENV/bin/python" ]; then
    log "python venv up to date: $VENV"
    echo "$VENV"
    exit 0
fi

if [ -e "$VENV" ]; then
    # Only ever delete something that looks like a venv (or an empty dir).
    if [ -f "$VENV/pyvenv.cfg" ] || [ -z "$(ls -A "$VENV" 2>/dev/null)" ]; then
        log "requirements changed or venv incomplete; recreating $VENV"
        rm -rf "$VENV"
    else
        die "$VENV exists and is not a venv; refusing to delete it"
    fi
fi

log "creating python venv $VENV with $PY_ID"
if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "python3 -m venv failed; installing python3-venv with apt-get"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; } >/dev/null 2>&1 || true
    fi
    "$PY" -m venv "$VENV" || die "could not create a venv with $PY"
fi

log "installing $(grep -cvE '^\s*(#|$)' "$REQ") requirements from $REQ (first time: a few minutes)..."
OUT=$(mktemp)
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQ" >"$OUT" 2>&1; then
    tail -n 40 "$OUT" >&2; rm -f "$OUT"
    die "pip install failed (venv left without stamp; it will be rebuilt next time)"
fi
rm -f "$OUT"
echo "$WANT" >"$STAMP"
log "python venv ready: $VENV"
echo "$VENV"
