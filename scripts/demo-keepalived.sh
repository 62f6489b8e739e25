#!/usr/bin/env bash
# vipgate's demo: sets everything up, builds, makes a small lab of network
# namespaces and starts vipgate with its interactive console.
#
#              vg-demo-sw: bridge br0, the client segment 10.99.0.0/24
#     +------------------------------+------------------------------+
#   vg-demo-cl                     vg-demo-ka                     vg-demo-gw: vipgate
#   client 10.99.0.10              keepalived 2.2.7 10.99.0.2     ext0 10.99.0.1, VRRP VI_1 prio 150
#   curl http://VIP/ every 0.5 s   VRRP VI_1 prio 100             VIP 10.99.0.100:80 -> rr to rs1, rs2
#                                                                 int0 10.99.1.1, TCP checks every 2 s
#              vg-demo-sw: bridge br1, the server segment 10.99.1.0/24 |
#                   +-----------------------------+-----------------------+
#               vg-demo-rs1                   vg-demo-rs2
#               10.99.1.11, HTTP on :80       10.99.1.12, HTTP on :80
#               default route 10.99.1.1       default route 10.99.1.1
#
# vipgate is VRRP MASTER (higher priority): it answers ARP for the VIP and
# forwards the client's connections by NAT to the real servers, which answer
# through it. keepalived is the BACKUP and only does VRRP (no virtual_server):
# while it holds the VIP the client's requests are refused. The client logs
# which server answered each request in /tmp/vg-demo/client.log.
# Try at the vipgate> prompt:
#   show virtual-servers / show flows / show health / show vrrp / show lcores
#   real-server 10.99.0.100:80 10.99.1.11:80 disable   (and enable)
#   set real-server 10.99.0.100:80 10.99.1.11:80 weight 3
#   vrrp VI_1 resign / vrrp VI_1 resume
#   quit     (vipgate sends priority 0: keepalived takes the VIP over)
# From another terminal: build/app/vipgatectl/vipgatectl show virtual-servers,
# tail -f /tmp/vg-demo/client.log, /tmp/vg-demo/rs.sh stop rs1 (and start rs1).
# Commands can also come from a pipe:
#   printf 'show virtual-servers\nquit\n' | scripts/demo.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

"$VIPGATE_ROOT/scripts/setup.sh"
"$VIPGATE_ROOT/scripts/build.sh"
command -v ethtool >/dev/null || die "ethtool is needed (apt-get install ethtool)"

SW=vg-demo-sw; GW=vg-demo-gw; KA=vg-demo-ka; CL=vg-demo-cl; RS1=vg-demo-rs1; RS2=vg-demo-rs2
NAMESPACES=("$GW" "$KA" "$CL" "$RS1" "$RS2" "$SW")
VIP=10.99.0.100
RUN=/tmp/vg-demo
cleanup() {
    local ns pids
    for ns in "${NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    done
    # Give keepalived and the servers a moment to exit (bounded), then force.
    for _ in $(seq 1 20); do
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
    # No IPv6 (no router solicitations or DAD noise in captures).
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
done
# Two segments in one switch namespace. No STP, no forwarding delay, no
# multicast snooping: VRRP adverts (224.0.0.18) reach every port at once.
for br in br0 br1; do
    ip -n "$SW" link add "$br" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip -n "$SW" link set "$br" up
done
attach() { # NS IFNAME SWITCHPORT BRIDGE [ADDRESS/LEN]: host end in NS, switch end on BRIDGE
    ip link add "$2" netns "$1" type veth peer name "$3" netns "$SW"
    ip -n "$SW" link set "$3" master "$4" up
    ip -n "$1" link set "$2" up
    if [ -n "${5:-}" ]; then ip -n "$1" addr add "$5" dev "$2"; fi
}
attach "$GW" vg-demo0 sw-gw0 br0
attach "$GW" vg-demo1 sw-gw1 br1
attach "$KA" vg-demo-k0 sw-ka br0 10.99.0.2/24
attach "$CL" vg-demo-c0 sw-cl br0 10.99.0.10/24
attach "$RS1" vg-demo-r1 sw-rs1 br1 10.99.1.11/24
attach "$RS2" vg-demo-r2 sw-rs2 br1 10.99.1.12/24
ip -n "$RS1" route add default via 10.99.1.1
ip -n "$RS2" route add default via 10.99.1.1
# TCP from a kernel over a veth carries an unfinished checksum (TX checksum
# offload); vipgate reads raw frames (net_af_packet) and forwards them as they
# are, so the hosts that send TCP through it compute checksums themselves.
ip netns exec "$CL" ethtool -K vg-demo-c0 tx off >/dev/null
ip netns exec "$RS1" ethtool -K vg-demo-r1 tx off >/dev/null
ip netns exec "$RS2" ethtool -K vg-demo-r2 tx off >/dev/null

# The real servers: a small HTTP server each, answering "rsN ADDRESS".
# $RUN/rs.sh stop|start rs1|rs2 stops or restarts one (try it: the health
# check takes it out of the service within about 3 s and back in after 2 s).
cat >"$RUN/rs.sh" <<EOF
#!/usr/bin/env bash
# demo helper: $RUN/rs.sh start|stop rs1|rs2
set -eu
case "\${2:-}" in rs1) ns=$RS1 ip=10.99.1.11 ;; rs2) ns=$RS2 ip=10.99.1.12 ;; *) echo "usage: \$0 start|stop rs1|rs2" >&2; exit 2 ;; esac
name=\$2
case "\${1:-}" in
start)
    mkdir -p "$RUN/www-\$name" && echo "\$name \$ip" >"$RUN/www-\$name/index.html"
    ip netns exec "\$ns" $VIPGATE_PY -m http.server --bind 0.0.0.0 --directory "$RUN/www-\$name" 80 \\
        </dev/null >>"$RUN/\$name.log" 2>&1 &
    echo \$! >"$RUN/\$name.pid"
    for _ in \$(seq 1 50); do # until it listens, at most 5 s
        ip netns exec "\$ns" ss -Htln "sport = :80" | grep -q LISTEN && break
        sleep 0.1
    done ;;
stop)
    kill "\$(cat "$RUN/\$name.pid")" 2>/dev/null || true ;;
*) echo "usage: \$0 start|stop rs1|rs2" >&2; exit 2 ;;
esac
EOF
chmod +x "$RUN/rs.sh"
"$RUN/rs.sh" start rs1
"$RUN/rs.sh" start rs2

ip netns exec "$KA" keepalived --vrrp --dont-fork --log-console --log-detail --no-syslog \
    -f "$VIPGATE_ROOT/conf/demo-keepalived.conf" -p "$RUN/keepalived.pid" -r "$RUN/vrrp.pid" \
    </dev/null >"$RUN/keepalived.log" 2>&1 &

# The client: one request every 0.5 s (a new connection each), for at most an
# hour; each line: time, then the answer ("rs1 10.99.1.11") or curl's error.
ip netns exec "$CL" bash -c '
    end=$((SECONDS + 3600))
    for ((i = 0; i < 7200 && SECONDS < end; i++)); do
        out=$(curl -sS --max-time 1 "http://$1/" 2>&1 | head -1)
        printf "%s %s\n" "$(date +%T.%3N)" "${out:-(empty answer)}"
        sleep 0.5
    done' demo-client "$VIP" </dev/null >"$RUN/client.log" 2>&1 &

say "lab ready: client 10.99.0.10 -> VIP $VIP:80 (VRRP VI_1: vipgate 10.99.0.1 prio 150, keepalived 10.99.0.2 prio 100)"
say "           vipgate int0 10.99.1.1 -> rs1 10.99.1.11:80, rs2 10.99.1.12:80 (rr, TCP checks every 2 s)"
say "the client requests the VIP every 0.5 s: tail -f $RUN/client.log (the first seconds fail: vipgate becomes MASTER after about 3.6 s)"
say "try:  show virtual-servers | show flows | show health | show vrrp | show lcores | help | quit"
say "      real-server $VIP:80 10.99.1.11:80 disable   (rs1 gets no new connections; 'enable' to undo)"
say "      set real-server $VIP:80 10.99.1.11:80 weight 3"
say "      vrrp VI_1 resign   (keepalived takes the VIP; it does not load-balance, so the client's requests"
say "                          are refused until 'vrrp VI_1 resume' gives the VIP back to vipgate)"
say "other terminal: $RUN/rs.sh stop rs1 (the health check takes it out; 'start rs1' brings it back),"
say "      build/app/vipgatectl/vipgatectl show health, ip netns exec $CL curl http://$VIP/"
# shellcheck disable=SC2046
ip netns exec "$GW" "$VIPGATE_BUILD/app/vipgate/vipgate" \
    -l 0-1 $(eal_mem_args) --file-prefix vg-demo -- \
    -c "$VIPGATE_ROOT/conf/demo.yaml" -i "$@"
