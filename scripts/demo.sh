#!/usr/bin/env bash
# vipgate's demo: sets everything up, builds, makes a small lab of network
# namespaces and starts vipgate with its interactive console.
#
#              namespace vg-demo-sw: bridge br0
#          +-----------------+--------------------+
#   vg-demo-gw                vg-demo-ka             vg-demo-cl
#   vipgate, port ext0        keepalived 2.2.7       client 10.99.0.10
#   10.99.0.1 (net_af_packet) 10.99.0.2, prio 100    pings the VIP
#   VRRP VI_1 prio 150  <------ VRID 51, VIP 10.99.0.100 ------>
#
# vipgate is MASTER (higher priority) and answers for the VIP; keepalived is
# BACKUP. Try at the vipgate> prompt:
#   show vrrp / show vrrp VI_1 / show ports / show port stats all / show stats
#   vrrp VI_1 resign    (keepalived takes the VIP; the client keeps pinging)
#   vrrp VI_1 resume    (vipgate preempts back)
#   quit                (vipgate sends priority 0: keepalived takes over)
# From another terminal: build/app/vipgatectl/vipgatectl show vrrp
# Commands can also come from a pipe:  printf 'show vrrp\nquit\n' | scripts/demo.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

"$VIPGATE_ROOT/scripts/setup.sh"
"$VIPGATE_ROOT/scripts/build.sh"

SW=vg-demo-sw; GW=vg-demo-gw; KA=vg-demo-ka; CL=vg-demo-cl
RUN=/tmp/vg-demo
PING_PID=
cleanup() {
    [ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null || true
    for ns in "$GW" "$KA" "$CL" "$SW"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    say "demo lab removed (logs in $RUN)"
}
trap cleanup EXIT
cleanup >/dev/null 2>&1 # leftovers of an interrupted run
mkdir -p "$RUN"

for ns in "$SW" "$GW" "$KA" "$CL"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n "$SW" link add br0 type bridge
ip -n "$SW" link set br0 up
# host end in its namespace, switch end on the bridge
attach() { # NS IFNAME SWITCHPORT
    ip link add "$2" netns "$1" type veth peer name "$3" netns "$SW"
    ip -n "$SW" link set "$3" master br0 up
    ip -n "$1" link set "$2" up
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" || true
}
attach "$GW" vg-demo0 sw-gw
attach "$KA" vg-demo-k0 sw-ka
attach "$CL" vg-demo-c0 sw-cl
ip -n "$KA" addr add 10.99.0.2/24 dev vg-demo-k0
ip -n "$CL" addr add 10.99.0.10/24 dev vg-demo-c0

ip netns exec "$KA" keepalived --vrrp --dont-fork --log-console --log-detail --no-syslog \
    -f "$VIPGATE_ROOT/conf/demo-keepalived.conf" -p "$RUN/keepalived.pid" -r "$RUN/vrrp.pid" \
    >"$RUN/keepalived.log" 2>&1 &

# Two pings a second to the VIP from the client, for at most an hour.
ip netns exec "$CL" ping -q -i 0.5 -c 7200 10.99.0.100 >"$RUN/ping.log" 2>&1 &
PING_PID=$!

say "lab ready: vipgate (10.99.0.1, prio 150) + keepalived (10.99.0.2, prio 100) share VIP 10.99.0.100; client 10.99.0.10 pings it"
say "try: show vrrp | show vrrp VI_1 | vrrp VI_1 resign | vrrp VI_1 resume | show port stats all | help | quit"
say "keepalived's log: $RUN/keepalived.log   ping the VIP yourself: ip netns exec $CL ping 10.99.0.100"
# shellcheck disable=SC2046
ip netns exec "$GW" "$VIPGATE_BUILD/app/vipgate/vipgate" \
    -l 0-1 $(eal_mem_args) --file-prefix vg-demo -- \
    -c "$VIPGATE_ROOT/conf/demo.yaml" -i "$@"
