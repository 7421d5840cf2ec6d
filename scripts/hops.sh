#!/usr/bin/env bash
# Counts the function hops (non-inlined frames) and the indirect calls on
# the path of one NewOrderSingle through the runtime, without a ring:
#   receive: the connection handler's on_input -> the application's on_app
#   send:    the application's on_app -> the deepest engine frame below it
#            (the draft, the header, the store append of the report)
# The workload is `ringfix-bench hops` (release build, symbols kept), run
# under callgrind; a hop is one call edge on the shortest path in its call
# graph, and an edge is indirect when the caller's machine code has no
# direct call (or tail jump, or call through the GOT) to the callee.
#
#   scripts/hops.sh [--max N] [--max-indirect M]
#       exits 1 when receive + send hops exceed N, or indirect calls M
#
# Needs valgrind, python3 and objdump (binutils).
set -euo pipefail
cd "$(dirname "$0")/.."

max=""
max_indirect=""
while [ $# -gt 0 ]; do
    case "$1" in
        --max) max="$2"; shift 2 ;;
        --max-indirect) max_indirect="$2"; shift 2 ;;
        *) echo "usage: scripts/hops.sh [--max N] [--max-indirect M]" >&2; exit 2 ;;
    esac
done
for tool in valgrind python3 objdump; do
    command -v "$tool" >/dev/null || { echo "hops.sh needs $tool" >&2; exit 2; }
done

cargo build -q --release -p ringfix-bench
bin=target/release/ringfix-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    --compress-strings=no --compress-pos=no \
    --toggle-collect='ringfix_engine::runtime::hops::Hops::order' \
    "$bin" hops --orders 200 >/dev/null 2>"$work/valgrind.log" ||
    { cat "$work/valgrind.log" >&2; exit 1; }
objdump -d -C --no-show-raw-insn "$bin" >"$work/dis.txt"
readelf -rW "$bin" >"$work/relocs.txt"

python3 - "$work/cg.out" "$work/dis.txt" "$work/relocs.txt" "${max}" "${max_indirect}" <<'PY'
import re, sys
from collections import defaultdict, deque

cg, dis, relocs, limit, limit_indirect = sys.argv[1:6]
HASH = re.compile(r"::h[0-9a-f]{16}$")

def clean(name):
    return HASH.sub("", name.strip())

edges = defaultdict(set)
fn = None
with open(cg, errors="replace") as f:
    for line in f:
        if line.startswith("fn="):
            fn = clean(line[3:])
        elif line.startswith("cfn=") and fn is not None:
            edges[fn].add(clean(line[4:]))

# A call through the GOT (`call *X(%rip)`) is a direct call of the
# function its relocation names; a call through a register is dynamic.
got = {}
with open(relocs, errors="replace") as f:
    for line in f:
        p = line.split()
        if len(p) == 4 and p[2] == "R_X86_64_RELATIVE":
            got[int(p[0], 16)] = int(p[3], 16)
names = {}
head = re.compile(r"^([0-9a-f]+) <(.*)>:$")
with open(dis, errors="replace") as f:
    for line in f:
        m = head.match(line)
        if m:
            names[int(m.group(1), 16)] = clean(m.group(2))
via_got = re.compile(r"\scall\s+\*0x[0-9a-f]+\(%rip\)\s+# ([0-9a-f]+)")

# Direct call and jump targets of every function in the binary.
direct = defaultdict(set)
cur = None
call = re.compile(r"\s(?:call|jmp)\w*\s+[0-9a-f]+ <(.*)>$")
offset = re.compile(r"\+0x[0-9a-f]+$")
with open(dis, errors="replace") as f:
    for line in f:
        m = head.match(line)
        if m:
            cur = clean(m.group(2))
            continue
        m = via_got.search(line)
        if m and cur is not None:
            target = names.get(got.get(int(m.group(1), 16), -1))
            if target:
                direct[cur].add(target)
            continue
        m = call.search(line)
        if m and cur is not None:
            direct[cur].add(clean(offset.sub("", m.group(1))))

def find(part):
    names = sorted(n for n in set(edges) | {c for cs in edges.values() for c in cs} if part in n)
    if not names:
        sys.exit(f"hops.sh: no function matching {part!r} in the profile")
    return names[0]

def path(src, dst_part):
    prev = {src: None}
    q = deque([src])
    while q:
        n = q.popleft()
        if dst_part in n:
            out = [n]
            while prev[out[-1]] is not None:
                out.append(prev[out[-1]])
            return out[::-1]
        for c in sorted(edges.get(n, ())):
            if c not in prev:
                prev[c] = n
                q.append(c)
    sys.exit(f"hops.sh: no call path from {src!r} to {dst_part!r}")

def deepest(src):
    """The longest chain of engine frames below `src` (acyclic part)."""
    best = {}
    def walk(n, on):
        if n in best:
            return best[n]
        longest = [n]
        for c in sorted(edges.get(n, ())):
            if c.startswith(("ringfix", "<ringfix")) and c not in on:
                sub = walk(c, on | {c})
                if len(sub) + 1 > len(longest):
                    longest = [n] + sub
        best[n] = longest
        return longest
    return walk(src, {src})

def show(title, p):
    indirect = 0
    print(f"{title}: {len(p) - 1} hops")
    for a, b in zip(p, p[1:]):
        kind = "direct" if b in direct.get(a, ()) else "indirect"
        indirect += kind == "indirect"
        print(f"  {kind:8} {b}")
    print(f"  ({indirect} indirect)")
    return len(p) - 1, indirect

entry = find("as ringfix_engine::reactor::handler::ConnectionHandler>::on_input")
recv = path(entry, "as ringfix_engine::session::app::Application>::on_app")
app = recv[-1]
send = deepest(app)
print(f"from {entry}")
r = show("receive (on_input -> on_app, shortest)", recv)
s = show("send (on_app -> the deepest engine frame: draft, header, store)", send)
total, ind = r[0] + s[0], r[1] + s[1]
print(f"total: {total} hops, {ind} indirect calls")
if limit and total > int(limit):
    sys.exit(f"hops.sh: {total} hops, more than {limit}")
if limit_indirect and ind > int(limit_indirect):
    sys.exit(f"hops.sh: {ind} indirect calls, more than {limit_indirect}")
PY
