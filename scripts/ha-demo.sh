#!/usr/bin/env bash
# Hot standby on one machine: etcd and two ringfix nodes, each in its own
# network namespace (10.78.0.1 etcd, .2 node a, .3 node b, .4 a client
# streaming orders with both nodes as failover addresses); node a leads,
# is killed with SIGKILL, node b takes over. Needs root, iproute2 and
# Debian's etcd-server. Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)"; exit 1; }
command -v etcd >/dev/null || { echo "needs etcd (apt-get install etcd-server)"; exit 1; }
# RINGFIX_BIN: a ringfix binary to use instead of building a release one.
BIN=${RINGFIX_BIN:-}
if [ -z "$BIN" ]; then
    cargo build --release --quiet
    BIN=$PWD/target/release/ringfix
fi
WORK=$(mktemp -d)
NS=rfdemo$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for h in e a b c s; do ip netns del "$NS$h" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# One bridge in its own namespace, one veth per host.
ip netns add "${NS}s"
ip -n "${NS}s" link add br0 type bridge
ip -n "${NS}s" link set br0 up
i=1
for h in e a b c; do
    ip netns add "$NS$h"
    ip -n "$NS$h" link add eth0 type veth peer name "p$h"
    ip -n "$NS$h" link set "p$h" netns "${NS}s"
    ip -n "${NS}s" link set "p$h" master br0 up
    ip -n "$NS$h" addr add "10.78.0.$i/24" dev eth0
    ip -n "$NS$h" link set eth0 up
    ip -n "$NS$h" link set lo up
    i=$((i + 1))
done

ip netns exec "${NS}e" etcd --name demo --data-dir "$WORK/etcd" \
    --listen-client-urls http://10.78.0.1:2379 --advertise-client-urls http://10.78.0.1:2379 \
    --listen-peer-urls http://10.78.0.1:2380 --initial-advertise-peer-urls http://10.78.0.1:2380 \
    --initial-cluster demo=http://10.78.0.1:2380 --logger zap --log-level error &
pids+=($!)
sleep 2

node_cfg() { # name, own address, peer address
    cat > "$WORK/$1.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
NonStopSession=Y
ReactorMode=block
FileStorePath=$WORK/$1-store
HaEnabled=Y
HaEtcdEndpoints=http://10.78.0.1:2379
HaNodeName=$1
HaLeaseTtl=2
HaReplicationListen=$2:7000
HaPeers=$3:7000
HaReplication=sync

[SESSION]
BeginString=FIX.4.4
SenderCompID=EXEC
TargetCompID=ORDERS
SocketAcceptHost=$2
SocketAcceptPort=9880
CFG
}
node_cfg a 10.78.0.2 10.78.0.3
node_cfg b 10.78.0.3 10.78.0.2
cat > "$WORK/client.cfg" <<CFG
[DEFAULT]
ConnectionType=initiator
NonStopSession=Y
HeartBtInt=5
ReconnectInterval=1
ReactorMode=block
FileStorePath=$WORK/client-store

[SESSION]
BeginString=FIX.4.4
SenderCompID=ORDERS
TargetCompID=EXEC
SocketConnectHost=10.78.0.2
SocketConnectPort=9880
SocketConnectHost1=10.78.0.3
SocketConnectPort1=9880
CFG

echo "== node a starts first and leads; node b stands by"
ip netns exec "${NS}a" "$BIN" acceptor --app exec --config "$WORK/a.cfg" 2>"$WORK/a.log" &
pids+=($!); A=$!
sleep 1.5
ip netns exec "${NS}b" "$BIN" acceptor --app exec --config "$WORK/b.cfg" 2>"$WORK/b.log" &
pids+=($!)
sleep 2
ip netns exec "${NS}a" "$BIN" ha status --config "$WORK/a.cfg"

echo "== a client streams 100 orders a second (failover addresses: a, then b)"
ip netns exec "${NS}c" "$BIN" initiator --config "$WORK/client.cfg" --app orders \
    --rate 100 --count 1500 >"$WORK/client.out" 2>"$WORK/client.log" &
pids+=($!); C=$!
sleep 4

echo "== kill -9 node a"
kill -9 "$A"
killed=$(date +%s.%N)
until grep -q "leading: listening" "$WORK/b.log"; do sleep 0.05; done
ready=$(date +%s.%N)
awk -v r="$ready" -v k="$killed" 'BEGIN { printf "node b listens %.2f s after the kill\n", r - k }'
ip netns exec "${NS}b" "$BIN" ha status --config "$WORK/b.cfg"

echo "== the client goes on with node b"
wait "$C" || true
tail -n 3 "$WORK/client.out"
grep -E "Logon complete|Connecting" "$WORK/client.log" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 4
