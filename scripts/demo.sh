#!/usr/bin/env bash
# vipgate's demo: sets everything up, builds, makes a small lab of network
# namespaces and starts vipgate with its interactive console.
#
#   client namespace vg-demo-cl          gateway namespace vg-demo-gw
#   vg-demo-c0 10.99.0.2/24  <--veth-->  vg-demo0: vipgate port ext0 (net_af_packet)
#                                                  10.99.0.1/24 (conf/demo.yaml)
#
# A background ping from the client keeps counters moving. Try:
#   show ports / show port stats all / show lcores / show stats / show arp
#   arp resolve 10.99.0.2 / help / quit
# From another terminal: build/app/vipgatectl/vipgatectl show port stats all
# Commands can also come from a pipe:  printf 'show ports\nquit\n' | scripts/demo.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

"$VIPGATE_ROOT/scripts/setup.sh"
"$VIPGATE_ROOT/scripts/build.sh"

GW=vg-demo-gw
CL=vg-demo-cl
PING_PID=
cleanup() {
    [ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null || true
    for ns in "$GW" "$CL"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    say "demo lab removed"
}
trap cleanup EXIT
cleanup 2>/dev/null # leftovers of an interrupted run

ip netns add "$GW"
ip netns add "$CL"
ip link add vg-demo0 netns "$GW" type veth peer name vg-demo-c0 netns "$CL"
ip -n "$GW" link set vg-demo0 up
ip -n "$GW" link set lo up
ip -n "$CL" link set vg-demo-c0 up
ip -n "$CL" link set lo up
ip -n "$CL" addr add 10.99.0.2/24 dev vg-demo-c0
ip netns exec "$GW" sysctl -qw net.ipv6.conf.vg-demo0.disable_ipv6=1 || true
ip netns exec "$CL" sysctl -qw net.ipv6.conf.vg-demo-c0.disable_ipv6=1 || true

# One ping a second from the client, for at most an hour.
ip netns exec "$CL" ping -q -i 1 -c 3600 10.99.0.1 >/dev/null 2>&1 &
PING_PID=$!

say "lab ready: client $CL (10.99.0.2) <-> vipgate in $GW (10.99.0.1, port ext0)"
say "try: show ports | show port stats all | show lcores | show stats | show arp | help | quit"
say "ping it yourself: ip netns exec $CL ping 10.99.0.1"
# shellcheck disable=SC2046
ip netns exec "$GW" "$VIPGATE_BUILD/app/vipgate/vipgate" \
    -l 0-1 $(eal_mem_args) --file-prefix vg-demo -- \
    -c "$VIPGATE_ROOT/conf/demo.yaml" -i "$@"
