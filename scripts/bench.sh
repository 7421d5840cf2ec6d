#!/usr/bin/env bash
# Runs the standard benchmark set into a results directory (default
# results/): JSON per benchmark, .hgrm distributions, SVG plots, the load
# average before each step (load.txt) and a markdown summary (summary.md),
# which it prints. Pass a directory to write elsewhere; QUICK=1 for a short
# smoke run (fewer orders, shorter windows).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results}
mkdir -p "$out"
cargo build --release -q -p ringfix-bench
bin=target/release/ringfix-bench

if [[ ${QUICK:-0} == 1 ]]; then
    lat=(--orders 20000 --warmup 2000 --runs 3)
    secs=3
else
    lat=()
    secs=10
fi

: > "$out/load.txt"
step() { # name, then the command; stdout goes to $out/<name>.json
    local name=$1
    shift
    echo "$name: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
    echo "== $name: $*" >&2
    "$@" > "$out/$name.json"
}

step codec "$bin" codec --json
step latency-spin "$bin" latency --mode spin --json --out "$out" "${lat[@]}"
step latency-block "$bin" latency --mode block --json --out "$out" "${lat[@]}"
step throughput "$bin" throughput --json --seconds "$secs"
step throughput-fsync "$bin" throughput --json --seconds "$secs" --fsync 10ms
step sessions "$bin" sessions --count 1000 --json --seconds "$secs"
{
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!results' || echo ' (dirty)')"
    echo "date: $(date -u +%FT%TZ)"
    echo "command: scripts/bench.sh $*"
} > "$out/run.txt"
"$bin" table "$out"
