#!/usr/bin/env bash
# Instructions per message of dictionary validation vs parse for the bench's
# cases (the bytes `ringfix-bench codec` measures), each case's two counts
# from one callgrind run of codec/examples/validate_cost. Instruction counts
# do not depend on the machine's load, unlike timings. Prints a Markdown
# table; exits 1 if `nos` validate costs more than 1.5 x its parse
# (issue 28's target).
#   scripts/validate_cost.sh [N] [CASE...]   N per operation (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
shift || true
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(nos er heartbeat md)
command -v valgrind >/dev/null || { echo "validate_cost: valgrind is needed" >&2; exit 2; }

cargo build --release -q -p ringfix-codec --example validate_cost
bin=target/release/examples/validate_cost
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The inclusive count of one function in callgrind_annotate's output.
count() { # file, function
    callgrind_annotate --inclusive=yes --auto=no "$1" |
        awk -v f="validate_cost::$2" '$0 ~ f" \\[" { gsub(",", "", $1); print $1; exit }'
}

status=0
echo "| case | bytes | parse (instr/msg) | validate (instr/msg) | validate / parse |"
echo "|---|---|---|---|---|"
for c in "${cases[@]}"; do
    out="$tmp/$c.out"
    line=$(valgrind --tool=callgrind --callgrind-out-file="$out" \
        --toggle-collect='*run_parse*' --toggle-collect='*run_validate*' \
        "$bin" "$n" "$c" 2>/dev/null)
    bytes=$(echo "$line" | sed -n 's/^[a-z]*: \([0-9]*\) bytes.*/\1/p')
    parse=$(count "$out" run_parse)
    validate=$(count "$out" run_validate)
    if [ -z "$bytes" ] || [ -z "$parse" ] || [ -z "$validate" ]; then
        echo "validate_cost: no counts for $c" >&2
        exit 2
    fi
    row=$(awk -v p="$parse" -v v="$validate" -v n="$n" \
        'BEGIN { printf "%.0f | %.0f | %.2f", p / n, v / n, v / p }')
    echo "| $c | $bytes | $row |"
    if [ "$c" = nos ] && ! awk -v p="$parse" -v v="$validate" 'BEGIN { exit !(v <= 1.5 * p) }'; then
        echo "validate_cost: nos validate is more than 1.5 x its parse" >&2
        status=1
    fi
done
echo
echo "valgrind --tool=callgrind, $n of each operation; $(git rev-parse --short HEAD), $(valgrind --version)"
exit "$status"
