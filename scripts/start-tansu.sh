#!/usr/bin/env bash
# Start a tansu broker (Kafka-compatible, https://crates.io/crates/tansu) with
# in-memory storage on 127.0.0.1, as a second broker for the benchmarks.
#
#   scripts/start-tansu.sh                 install if needed, start, wait until ready
#   scripts/start-tansu.sh --install-only  only install tansu (cargo install)
#   scripts/start-tansu.sh --stop          stop the broker whose PID is in the pid file
#
# Environment:
#   TANSU_PORT      listen port                       (default 19092)
#   TANSU_PID_FILE  pid file                          (default /tmp/tokio-tax-tansu.pid)
#   TANSU_LOG       broker stdout/stderr              (default /tmp/tokio-tax-tansu.log)
#   TANSU_VERSION   crate version to install          (default 0.6.0)
#   TANSU_WAIT_SECS readiness timeout in seconds      (default 30)
#
# Notes:
#   * The memory storage engine (memory://) needs the `dynostore` feature;
#     without it tansu fails with FeatureNotEnabled.
#   * The listener must be an IP literal: tansu falls back to [::] (all
#     interfaces) when given a host name such as "localhost".
#   * tansu exits 0 even when it cannot bind its port, so readiness is
#     judged by a TCP connect, never by the exit status alone.
set -euo pipefail

TANSU_PORT="${TANSU_PORT:-19092}"
TANSU_PID_FILE="${TANSU_PID_FILE:-/tmp/tokio-tax-tansu.pid}"
TANSU_LOG="${TANSU_LOG:-/tmp/tokio-tax-tansu.log}"
TANSU_VERSION="${TANSU_VERSION:-0.6.0}"
TANSU_WAIT_SECS="${TANSU_WAIT_SECS:-30}"
HOST=127.0.0.1

die() { echo "start-tansu: error: $*" >&2; exit 1; }
log() { echo "start-tansu: $*" >&2; }

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
}

find_tansu() {
    if command -v tansu >/dev/null 2>&1; then
        command -v tansu
    elif [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tansu" ]]; then
        echo "${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
    else
        return 1
    fi
}

install_tansu() {
    local bin
    if bin="$(find_tansu)"; then
        log "tansu already installed: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
        return 0
    fi
    command -v cargo >/dev/null 2>&1 || die "cargo not found on PATH; install a Rust toolchain first"
    log "installing tansu ${TANSU_VERSION} with cargo (memory storage needs --features dynostore)."
    log "this compiles ~400 crates and takes several minutes (about 11 min on 2 shared cores)..."
    local start=$SECONDS
    if ! nice -n 15 cargo install tansu --version "=${TANSU_VERSION}" --locked --features dynostore; then
        die "cargo install tansu failed (see cargo output above)"
    fi
    bin="$(find_tansu)" || die "cargo install finished but no tansu binary found in PATH or ~/.cargo/bin"
    log "installed $bin in $((SECONDS - start)) s"
}

port_open() {
    # bash /dev/tcp; the subshell closes the fd again.
    (exec 3<>"/dev/tcp/${HOST}/$1") 2>/dev/null
}

# SIGINT makes tansu shut down at once (SIGTERM waits up to 5 s for open
# connections); SIGKILL if it is still there after 5 s.
kill_pid() {
    local pid=$1
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "process $pid did not stop after SIGINT; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

stop_tansu() {
    if [[ ! -f "$TANSU_PID_FILE" ]]; then
        log "no pid file at $TANSU_PID_FILE; nothing to stop"
        return 0
    fi
    local pid
    pid="$(cat "$TANSU_PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || die "pid file $TANSU_PID_FILE does not hold a pid: '$pid'"
    if ! kill -0 "$pid" 2>/dev/null; then
        log "process $pid is not running; removing stale pid file"
        rm -f "$TANSU_PID_FILE"
        return 0
    fi
    kill_pid "$pid"
    rm -f "$TANSU_PID_FILE"
    log "stopped tansu (pid $pid)"
}

start_tansu() {
    [[ "$TANSU_PORT" =~ ^[0-9]+$ ]] && (( TANSU_PORT > 0 && TANSU_PORT < 65536 )) \
        || die "TANSU_PORT must be a port number, got '$TANSU_PORT'"

    if [[ -f "$TANSU_PID_FILE" ]]; then
        local old
        old="$(cat "$TANSU_PID_FILE" 2>/dev/null || true)"
        if [[ "$old" =~ ^[0-9]+$ ]] && kill -0 "$old" 2>/dev/null; then
            die "tansu already running with pid $old (pid file $TANSU_PID_FILE); run '$0 --stop' first"
        fi
        rm -f "$TANSU_PID_FILE"
    fi
    if port_open "$TANSU_PORT"; then
        die "port ${HOST}:${TANSU_PORT} is already in use; set TANSU_PORT to a free port"
    fi

    install_tansu
    local bin
    bin="$(find_tansu)" || die "tansu binary not found after install"

    local url="tcp://${HOST}:${TANSU_PORT}"
    # Run from an empty directory: tansu loads a .env file from its working directory.
    local rundir
    rundir="$(mktemp -d /tmp/tokio-tax-tansu.XXXXXX)"
    (
        cd "$rundir"
        # RUST_LOG unset => tansu logs errors only.
        exec env -u RUST_LOG "$bin" broker \
            --cluster-id tokio-tax \
            --listener-url "$url" \
            --advertised-listener-url "$url" \
            --storage-engine memory://tansu/ \
            --silent
    ) >"$TANSU_LOG" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$TANSU_PID_FILE"

    local deadline=$((SECONDS + TANSU_WAIT_SECS))
    until port_open "$TANSU_PORT"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$TANSU_PID_FILE"
            echo "----- $TANSU_LOG -----" >&2
            tail -n 30 "$TANSU_LOG" >&2 || true
            die "tansu (pid $pid) exited before listening on ${HOST}:${TANSU_PORT}"
        fi
        if (( SECONDS >= deadline )); then
            echo "----- $TANSU_LOG -----" >&2
            tail -n 30 "$TANSU_LOG" >&2 || true
            kill_pid "$pid"
            rm -f "$TANSU_PID_FILE"
            die "tansu (pid $pid) did not accept TCP connections on ${HOST}:${TANSU_PORT} within ${TANSU_WAIT_SECS} s"
        fi
        sleep 0.1
    done
    log "tansu running: pid $pid, log $TANSU_LOG, pid file $TANSU_PID_FILE"
    echo "bootstrap=${HOST}:${TANSU_PORT}"
}

case "${1:-}" in
    "") start_tansu ;;
    --stop) stop_tansu ;;
    --install-only) install_tansu ;;
    -h|--help) usage ;;
    *) usage >&2; die "unknown argument: $1" ;;
esac
