#!/usr/bin/env bash
# Full load run: 200 sessions on one acceptor reactor, 1 000 orders/s each
# for 60 s (release build). Prints the FIGURE lines: sent/answered/lost/
# duplicated, acceptor RSS over time, CPU, round trips.
#
#   scripts/load.sh                      # 200 x 1000/s x 60 s
#   LOAD_SESSIONS=50 LOAD_SECS=10 scripts/load.sh
#   LOAD_RATE=250 LOAD_PERSIST=N scripts/load.sh   # no journal: RSS growth is the engine's alone
#
# Pass/fail: no order lost or answered twice, reports in order with
# contiguous MsgSeqNums, and memory flat: the acceptor's highest RssAnon in
# the run's last third at most the first third's highest plus the file
# store's sequence index for the messages stored in between (16 B per
# message, 256 KiB per session) plus a third of a second of reports waiting
# in outbound buffers (~15 MiB at full rate; LOAD_RSS_GROWTH_KB overrides).
# A generator or acceptor starved of CPU falls behind: the acceptor then
# resets sessions whose outbound queue passes MaxOutboundQueueBytes (8 MiB),
# and the run fails.
#
# Needs ~4 GB of page cache: each file-store journal maps a 16 MiB segment
# up front, plus ~13 MB per session per minute of reports.
set -euo pipefail
cd "$(dirname "$0")/.."
export LOAD_SESSIONS="${LOAD_SESSIONS:-200}" LOAD_RATE="${LOAD_RATE:-1000}"
export LOAD_SECS="${LOAD_SECS:-60}" LOAD_THREADS="${LOAD_THREADS:-2}"
cargo test --release --test it -- --ignored --nocapture --test-threads 1 load_engine::load_full 2>&1 |
    grep -E -A2 '^FIGURE|^test |panicked|test result'
