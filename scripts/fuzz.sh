#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 30) and prints the
# executions per target; exits non-zero when a target found a crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Uses `cargo +nightly fuzz` when a nightly toolchain is installed, else
# `RUSTC_BOOTSTRAP=1 cargo fuzz` on stable. Installs cargo-fuzz if absent.
# Seeds come from the QuickFIX acceptance scripts (fuzz/src/bin/gen_seeds.rs)
# and are added to fuzz/corpus/<target>/, which persists between runs.
# Crashes land in fuzz/artifacts/<target>/; logs in fuzz/logs/<target>.log.
# Past findings, committed under fuzz/regressions/<target>/, join the corpus
# first: libFuzzer runs every corpus input before mutating, so a finding
# that comes back fails the run at once.
# FUZZ_JOBS=N runs N workers per target (libFuzzer -fork), default 1.
# FUZZ_SANITIZER=address|none (default none: the fuzzed crates have no
# `unsafe`, so ASan mostly costs speed); debug assertions and overflow
# checks are always on (-a), so an arithmetic overflow is a finding.
set -euo pipefail

SECONDS_PER_TARGET="${1:-30}"
[ $# -gt 0 ] && shift
TARGETS=(codec_frame_parse codec_validate session_stream session_structured)
if [ $# -gt 0 ]; then TARGETS=("$@"); fi
JOBS="${FUZZ_JOBS:-1}"
SAN="${FUZZ_SANITIZER:-none}"
BUILD_FLAGS=(-O -a -s "$SAN")

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

if rustup run nightly rustc --version >/dev/null 2>&1; then
    CARGO=(cargo +nightly)
else
    export RUSTC_BOOTSTRAP=1
    CARGO=(cargo)
fi

cd "$FUZZ"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
# One build for every target (and the seed generator).
"${CARGO[@]}" fuzz build "${BUILD_FLAGS[@]}" >&2
"target/$TRIPLE/release/gen_seeds" "$ROOT" corpus >&2

mkdir -p logs
status=0
printf '%-20s %12s %10s %8s %s\n' target executions exec/s seconds result
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ -d "regressions/$t" ]; then
        cp regressions/"$t"/* "corpus/$t/"
    fi
    log="logs/$t.log"
    extra=()
    if [ "$JOBS" -gt 1 ]; then
        extra=(-fork="$JOBS" -ignore_crashes=0)
    fi
    start=$(date +%s)
    set +e
    "${CARGO[@]}" fuzz run "${BUILD_FLAGS[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 ${extra[@]+"${extra[@]}"} >"$log" 2>&1
    rc=$?
    set -e
    secs=$(( $(date +%s) - start ))
    # Single process: "Done N runs"; fork mode: the last "#N ... exec/s".
    execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    if [ -z "$execs" ]; then
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi
    rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    if [ "$rc" -ne 0 ] || grep -q -e 'panicked at' -e 'ERROR: libFuzzer' "$log"; then
        result="CRASH (see $FUZZ/$log, $FUZZ/artifacts/$t/)"
        status=1
    else
        result="ok"
    fi
    printf '%-20s %12s %10s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$secs" "$result"
done
exit $status
