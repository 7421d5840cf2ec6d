#!/usr/bin/env bash
# Builds ringfix and runs the QuickFIX acceptance scripts of every version
# (fix40 .. fix50sp2) over TCP against `ringfix acceptor --app echo`, then the
# per-version checks (FIX.4.0 .. FIX.5.0SP2). Prints `N passed, M failed`;
# exits non-zero on any failure.
#   CONFORMANCE_FILTER=<substring>  run only matching scripts
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! cargo build --quiet --bin ringfix; then
    echo "conformance: build failed" >&2
    exit 1
fi

status=0
for test in conformance_tcp conformance_versions; do
    echo "== $test"
    cargo test --quiet --test it -- --nocapture --test-threads=1 "$test::" >"$log" 2>&1
    rc=$?
    grep -E '^(PASS|FAIL|FAILED) |^[a-z0-9]+: [0-9]+ passed|^slowest:|^ |^cannot|panicked' "$log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -z "$line" ]; then
        echo "conformance: $test did not run its scripts:" >&2
        tail -40 "$log" >&2
        status=1
        missing=1
        continue
    fi
    echo "$test: $line"
    passed=$(( ${passed:-0} + $(echo "$line" | cut -d' ' -f1) ))
    failed=$(( ${failed:-0} + $(echo "$line" | cut -d' ' -f3) ))
    [ "$rc" -eq 0 ] || status=1
done
if [ -n "${missing:-}" ]; then
    echo "conformance: not every suite ran (${passed:-0} scripts passed, ${failed:-0} failed in those that did)"
else
    echo "${passed:-0} passed, ${failed:-0} failed"
fi
exit "$status"
