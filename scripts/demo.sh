#!/usr/bin/env bash
# vipgate's hot-standby demo: two vipgates (A and B) share the VIP, real
# servers behind them, and a client holding one long-lived TCP connection
# through the VIP that prints a line per second. Sets everything up, builds,
# makes a lab of network namespaces and starts A with its interactive
# console (B runs in the background).
#
#            vg-pair-sw: br0, the client LAN 10.98.0.0/24
#     +--------------------------+-----------------------------+
#   vg-pair-cl                 vg-pair-a: vipgate A          vg-pair-b: vipgate B
#   client 10.98.0.10          ext0 10.98.0.1, priority 150  ext0 10.98.0.2, priority 100
#   one TCP connection to      VI_1: VIP 10.98.0.100         (same instances, BACKUP)
#   VIP:7000, a line/second    int0 10.98.1.1, VI_2: 10.98.1.100 (one sync group)
#                              sync0 10.98.2.1 ------br2----- sync0 10.98.2.2
#            vg-pair-sw: br1, the server LAN 10.98.1.0/24
#                 +-----------------------------+
#             vg-pair-rs1 10.98.1.11        vg-pair-rs2 10.98.1.12
#             line echo :7000, HTTP :80     default route 10.98.1.100 (the server-side VIP)
#
# The configs: conf/demo-pair-a.yaml, conf/demo-pair-b.yaml. The client's
# lines go to /tmp/vg-demo-pair/client.log:
#   12:00:01 seq 12 rtt 0.4 ms via the VIP to rs1
# Try the failover at A's vipgate> prompt:
#   show vrrp                 A is MASTER of VI_1 and VI_2, B BACKUP
#   vrrp VI_1 resign          B takes both VIPs over (sync group) within a second
#   vrrp VI_1 resume          A preempts again
#   quit                      A stops (priority 0 adverts): B takes over at once
# or kill A from another terminal (no goodbye: B waits Master_Down_Interval,
# 3.6 s): kill -9 $(ip netns pids vg-pair-a)
# Watch: tail -f /tmp/vg-demo-pair/client.log; B's view:
#   build/app/vipgatectl/vipgatectl -s /tmp/vg-demo-pair/b.sock show vrrp
# Once A has stopped, the script offers to start it again (its return
# with an empty flow table, and its preemption) or to end the demo.
#
# Flow-state sync is on (the `sync:` section in both configs, docs/ha.md):
# the client's connection keeps printing through every failover. Comment
# the section out in both configs to see what a pair without sync does: the
# connection stalls for good at the first failover.
#
# The earlier demo (one vipgate and a real keepalived sharing the VIP):
# scripts/demo-keepalived.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

"$VIPGATE_ROOT/scripts/setup.sh"
"$VIPGATE_ROOT/scripts/build.sh"
command -v ethtool >/dev/null || die "ethtool is needed (apt-get install ethtool)"

SW=vg-pair-sw; NA=vg-pair-a; NB=vg-pair-b; CL=vg-pair-cl; RS1=vg-pair-rs1; RS2=vg-pair-rs2
NAMESPACES=("$NA" "$NB" "$CL" "$RS1" "$RS2" "$SW")
VIP=10.98.0.100
RUN=/tmp/vg-demo-pair
FLOWS_PY="$VIPGATE_ROOT/tests/lab/pair_flows.py"
VIPGATE="$VIPGATE_BUILD/app/vipgate/vipgate"
CTL="$VIPGATE_BUILD/app/vipgatectl/vipgatectl"

cleanup() {
    local ns pids
    for ns in "${NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    done
    for _ in $(seq 1 30); do # vipgate B, the servers, the client: bounded wait, then force
        pids=""
        for ns in "${NAMESPACES[@]}"; do pids+=$(ip netns pids "$ns" 2>/dev/null || true); done
        [ -z "$pids" ] && break
        sleep 0.1
    done
    for ns in "${NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    say "demo lab removed (logs in $RUN)"
}
trap cleanup EXIT
cleanup >/dev/null 2>&1 # leftovers of an interrupted run
rm -rf "$RUN" && mkdir -p "$RUN"

for ns in "${NAMESPACES[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
done
# Three segments in one switch namespace; no STP, no forwarding delay, no
# multicast snooping (VRRP adverts reach every port at once).
for br in br0 br1 br2; do
    ip -n "$SW" link add "$br" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip -n "$SW" link set "$br" up
done
attach() { # NS IFNAME SWITCHPORT BRIDGE [ADDRESS/LEN]
    ip link add "$2" netns "$1" type veth peer name "$3" netns "$SW"
    ip -n "$SW" link set "$3" master "$4" up
    ip -n "$1" link set "$2" up
    if [ -n "${5:-}" ]; then ip -n "$1" addr add "$5" dev "$2"; fi
}
for n in a b; do
    attach "vg-pair-$n" "vg-pair-$n-ext" "sw-$n-ext" br0
    attach "vg-pair-$n" "vg-pair-$n-int" "sw-$n-int" br1
    attach "vg-pair-$n" "vg-pair-$n-syn" "sw-$n-syn" br2
done
attach "$CL" vg-pair-c0 sw-cl br0 10.98.0.10/24
attach "$RS1" vg-pair-r1 sw-rs1 br1 10.98.1.11/24
attach "$RS2" vg-pair-r2 sw-rs2 br1 10.98.1.12/24
# The real servers answer through the server-side VIP: whoever is master.
ip -n "$RS1" route add default via 10.98.1.100
ip -n "$RS2" route add default via 10.98.1.100
# Kernels that send TCP through vipgate compute their checksums themselves
# (vipgate forwards raw frames: docs/testing.md, "TX checksum offload off").
ip netns exec "$CL" ethtool -K vg-pair-c0 tx off >/dev/null
ip netns exec "$RS1" ethtool -K vg-pair-r1 tx off >/dev/null
ip netns exec "$RS2" ethtool -K vg-pair-r2 tx off >/dev/null

for i in 1 2; do
    ns=$RS1; [ $i = 2 ] && ns=$RS2
    mkdir -p "$RUN/www-rs$i" && echo "rs$i 10.98.1.1$i" >"$RUN/www-rs$i/index.html"
    ip netns exec "$ns" "$VIPGATE_PY" "$FLOWS_PY" server --name "rs$i" --tcp-port 7000 --max-secs 86400 \
        </dev/null >>"$RUN/rs$i.log" 2>&1 &
    ip netns exec "$ns" "$VIPGATE_PY" -m http.server --bind 0.0.0.0 --directory "$RUN/www-rs$i" 80 \
        </dev/null >>"$RUN/rs$i-http.log" 2>&1 &
done

# eal NODE LCORES: EAL options (512 MB each; the control lcore 0 and the
# worker lcore 1 on opposite CPUs for A and B).
eal() { echo "$(eal_mem_args | sed 's/-m 1024/-m 512/') --file-prefix vg-pair-$1 --lcores $2"; }
# vrrp_states SOCK: "VI_1 MASTER, VI_2 MASTER" (or why not).
vrrp_states() {
    "$CTL" -s "$1" -t 1000 show vrrp json 2>/dev/null | "$VIPGATE_PY" -c \
        "import json, sys; print(', '.join(r['name'] + ' ' + r['state'] for r in json.load(sys.stdin)))" \
        2>/dev/null || echo "not answering"
}
# vipgate B in the background (its log in $RUN/b.log).
# shellcheck disable=SC2046
ip netns exec "$NB" "$VIPGATE" $(eal b 0@1,1@0) -- -c "$VIPGATE_ROOT/conf/demo-pair-b.yaml" \
    --control-socket "$RUN/b.sock" </dev/null >"$RUN/b.log" 2>&1 &

# The client: waits until A is MASTER (the first connection must go through
# the pair), then holds one connection and prints a line per second.
(
    for _ in $(seq 1 100); do
        [[ "$(vrrp_states "$RUN/a.sock")" == "VI_1 MASTER"* ]] && break
        sleep 0.2
    done
    exec ip netns exec "$CL" "$VIPGATE_PY" "$FLOWS_PY" demo --dst "$VIP" --tcp-port 7000
) </dev/null >"$RUN/client.log" 2>&1 &

say "lab ready: client 10.98.0.10 -> VIP $VIP:7000 (and :80), rr to rs1 10.98.1.11, rs2 10.98.1.12"
say "           A 10.98.0.1 (priority 150, this console) and B 10.98.0.2 (priority 100, background)"
say "           share VI_1 ($VIP) and VI_2 (10.98.1.100, the servers' default route): one sync group"
say "watch the client (a line per second on one long-lived connection): tail -f $RUN/client.log"
say "try:  show vrrp | show flows | vrrp VI_1 resign | vrrp VI_1 resume | quit"
say "      or from another terminal: kill -9 \$(ip netns pids $NA)   (A dies; B takes over in 3.6 s)"
say "      B: $CTL -s $RUN/b.sock show vrrp"
say "flow-state sync is on (show sync): the client's connection keeps printing through a failover"

# The console leaves standard input non-blocking; bash's read needs it blocking.
blocking_stdin() {
    "$VIPGATE_PY" -c 'import fcntl, os; f = fcntl.fcntl(0, fcntl.F_GETFL); fcntl.fcntl(0, fcntl.F_SETFL, f & ~os.O_NONBLOCK)' \
        2>/dev/null || true
}

# A in the foreground with its console; when it stops (quit, a signal),
# offer to start it again.
while :; do
    rc=0
    # shellcheck disable=SC2046
    ip netns exec "$NA" "$VIPGATE" $(eal a 0@0,1@1) -- -c "$VIPGATE_ROOT/conf/demo-pair-a.yaml" \
        --control-socket "$RUN/a.sock" -i "$@" || rc=$?
    say "vipgate A stopped (exit $rc). B: $(vrrp_states "$RUN/b.sock")"
    say "the client's last lines:"
    tail -3 "$RUN/client.log" >&2 || true
    say "'r' + Enter starts A again (empty flow table; it preempts B), anything else ends the demo"
    blocking_stdin
    ans=""
    read -r ans || true
    [ "$ans" = r ] || break
done
