#!/usr/bin/env bash
# Interop with QuickFIX C++ (its Python bindings), FIX.4.4 and
# FIXT.1.1/FIX.5.0SP2, QuickFIX's dictionary validation on:
#   1. QuickFIX acceptor  <- ringfix initiator --app orders --count N --json
#   2. QuickFIX initiator -> ringfix acceptor --app exec
# Each run: logon, N NewOrderSingle -> ExecutionReport, a TestRequest, a
# forced gap answered by a resend, a SequenceReset-Reset, a ResendRequest
# answered with PossDupFlag=Y, logout. scripts/interop/compare.py then checks
# both sides: the peer's JSON summary, ringfix's --json summary, and both
# message logs (every message sent was received, sequence numbers agree).
#
# Needs python3 (CPython 3.11 for the shared quickfix wheel). The venv lives
# in target/interop-venv. Every step is bounded in time; processes started
# here are killed on exit. Exit 1 on any mismatch.
#   INTEROP_COUNT=N    orders per run (default 10000)
#   INTEROP_KEEP=1     keep the work directory (logs) for inspection
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
count=${INTEROP_COUNT:-10000}
run_timeout=${INTEROP_TIMEOUT:-300}
work=$(mktemp -d "${TMPDIR:-/tmp}/ringfix-interop.XXXXXX")
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    if [ -n "${INTEROP_KEEP:-}" ]; then
        echo "interop: work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "interop: $*" >&2
    exit 1
}

# --- QuickFIX in a venv ---
venv="$repo/target/interop-venv"
py="$venv/bin/python"
if ! [ -x "$py" ] || ! "$py" -c 'import quickfix' 2>/dev/null; then
    python3 -m venv "$venv" || die "cannot create a venv (python3-venv missing?)"
    wheels="$(dirname "$repo")/shared/wheels"
    if [ -d "$wheels" ]; then
        timeout 600 "$py" -m pip install --quiet --disable-pip-version-check \
            --find-links "$wheels" quickfix </dev/null || die "pip install quickfix failed"
    else
        timeout 600 "$py" -m pip install --quiet --disable-pip-version-check \
            quickfix </dev/null || die "pip install quickfix failed"
    fi
fi
"$py" -c 'import quickfix' || die "quickfix not importable"

# --- ringfix ---
(cd "$repo" && timeout 1200 cargo build --quiet --bin ringfix) || die "cargo build failed"
target_dir=${CARGO_TARGET_DIR:-$repo/target}
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
ringfix="$target_dir/debug/ringfix"
[ -x "$ringfix" ] || die "no $ringfix"
spec="$repo/codec/spec"

free_port() {
    "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT PID: until something listens on PORT (20 s), or PID died.
wait_port() {
    for _ in $(seq 1 200); do
        kill -0 "$2" 2>/dev/null || return 1
        "$py" -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2).close()' "$1" \
            2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ringfix_cfg ROLE BEGIN PORT DIR: a one-session ringfix config.
ringfix_cfg() {
    local role=$1 begin=$2 port=$3 dir=$4
    {
        echo "[DEFAULT]"
        echo "ConnectionType=$role"
        echo "SenderCompID=RINGFIX"
        echo "TargetCompID=QF"
        echo "HeartBtInt=30"
        echo "StartTime=00:00:00"
        echo "EndTime=00:00:00"
        echo "ResetOnLogon=Y"
        echo "ReconnectInterval=1"
        echo "LogonTimeout=10"
        echo "FileStorePath=$dir/store"
        echo "FileLogPath=$dir/log"
        echo "UseDataDictionary=Y"
        echo
        echo "[SESSION]"
        echo "BeginString=$begin"
        if [ "$begin" = FIXT.1.1 ]; then
            echo "DefaultApplVerID=FIX.5.0SP2"
            echo "TransportDataDictionary=$spec/FIXT11.xml"
            echo "AppDataDictionary=$spec/FIX50SP2.xml"
        else
            echo "DataDictionary=$spec/$(echo "$begin" | tr -d .).xml"
        fi
        if [ "$role" = acceptor ]; then
            echo "SocketAcceptHost=127.0.0.1"
            echo "SocketAcceptPort=$port"
        else
            echo "SocketConnectHost=127.0.0.1"
            echo "SocketConnectPort=$port"
        fi
    } >"$dir/ringfix.cfg"
}

peer() {
    timeout "$run_timeout" "$py" "$repo/scripts/interop/qf_peer.py" "$@" \
        --orders "$count" --sender QF --target RINGFIX --spec-dir "$spec" \
        --timeout $((run_timeout - 30))
}

show_tail() {
    for f in "$@"; do
        [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }
    done
}

failed=0
passed=0

# 1. QuickFIX acceptor, ringfix initiator.
qf_acceptor_case() {
    local begin=$1 name="qf-acceptor-$1" dir port qf_pid rc
    dir="$work/$name"
    mkdir -p "$dir"
    port=$(free_port)
    echo "== $name (port $port)"
    local start=$SECONDS
    peer --role acceptor --begin "$begin" --port "$port" --workdir "$dir/qf" \
        >"$dir/qf.json" 2>"$dir/qf.err" </dev/null &
    qf_pid=$!
    pids+=("$qf_pid")
    if ! wait_port "$port" "$qf_pid"; then
        show_tail "$dir/qf.err"
        echo "FAIL $name: QuickFIX acceptor did not start"
        failed=$((failed + 1))
        return
    fi
    ringfix_cfg initiator "$begin" "$port" "$dir"
    timeout "$run_timeout" "$ringfix" initiator --config "$dir/ringfix.cfg" --app orders \
        --count "$count" --json >"$dir/ringfix.json" 2>"$dir/ringfix.err" </dev/null
    rc=$?
    wait "$qf_pid"
    local qf_rc=$?
    echo "ringfix initiator exit $rc, QuickFIX peer exit $qf_rc, $((SECONDS - start))s"
    if "$py" "$repo/scripts/interop/compare.py" --name "$name" --count "$count" \
        --qf-json "$dir/qf.json" --rf-json "$dir/ringfix.json" \
        --qf-log "$dir/qf/log" --rf-log "$dir/log" && [ "$rc" -eq 0 ] && [ "$qf_rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        show_tail "$dir/ringfix.err" "$dir/qf.err"
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
}

# 2. ringfix acceptor (exec), QuickFIX initiator.
qf_initiator_case() {
    local begin=$1 name="qf-initiator-$1" dir port rf_pid rc
    dir="$work/$name"
    mkdir -p "$dir"
    port=$(free_port)
    echo "== $name (port $port)"
    local start=$SECONDS
    ringfix_cfg acceptor "$begin" "$port" "$dir"
    timeout "$run_timeout" "$ringfix" acceptor --config "$dir/ringfix.cfg" --app exec \
        >"$dir/ringfix.out" 2>"$dir/ringfix.err" </dev/null &
    rf_pid=$!
    pids+=("$rf_pid")
    if ! wait_port "$port" "$rf_pid"; then
        show_tail "$dir/ringfix.err"
        echo "FAIL $name: ringfix acceptor did not start"
        failed=$((failed + 1))
        return
    fi
    peer --role initiator --begin "$begin" --port "$port" --workdir "$dir/qf" \
        >"$dir/qf.json" 2>"$dir/qf.err" </dev/null
    rc=$?
    # A graceful stop flushes ringfix's FileLog.
    kill -TERM "$rf_pid" 2>/dev/null
    wait "$rf_pid"
    local rf_rc=$?
    echo "QuickFIX peer exit $rc, ringfix acceptor exit $rf_rc, $((SECONDS - start))s"
    if "$py" "$repo/scripts/interop/compare.py" --name "$name" --count "$count" \
        --qf-json "$dir/qf.json" --qf-log "$dir/qf/log" --rf-log "$dir/log" &&
        [ "$rc" -eq 0 ] && [ "$rf_rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        show_tail "$dir/ringfix.err" "$dir/qf.err"
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
}

for begin in FIX.4.4 FIXT.1.1; do
    qf_acceptor_case "$begin"
    qf_initiator_case "$begin"
done
echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
