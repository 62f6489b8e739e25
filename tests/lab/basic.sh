#!/usr/bin/env bash
# Lab: vipgate on net_af_packet in a namespace, a client namespace on the
# other end of a veth pair. arping and ping must be answered; the control
# socket, vipgatectl, telemetry and a clean stop are checked on the way.
source "$(dirname "$0")/lib.sh"

tap_plan 16
GW="vgl-gw-$LAB_ID"; CL="vgl-cl-$LAB_ID"
netns_add "$GW" && netns_add "$CL" && veth_pair "$GW" gw0 "$CL" cl0 || { not_ok "lab setup"; exit 1; }
ip -n "$CL" addr add 10.201.0.2/24 dev cl0
# The gateway namespace's kernel must not answer for itself: it has no address.
ip netns exec "$GW" sysctl -qw net.ipv6.conf.gw0.disable_ipv6=1 2>/dev/null
ip netns exec "$CL" sysctl -qw net.ipv6.conf.cl0.disable_ipv6=1 2>/dev/null

cat >"$LAB_TMP/vipgate.yaml" <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=gw0"
    address: 10.201.0.1/24
dataplane:
  workers: 1
  mbufs: 4095
  idle_sleep: true
YAML
SOCK="$LAB_TMP/ctl.sock"
start_vipgate "$GW" "$LAB_TMP/vipgate.yaml" "$SOCK" "$LAB_TMP/vipgate.log"; PID=$VIPGATE_PID
if wait_ctl "$SOCK" 30; then ok "vipgate starts and answers on its control socket"; else
    not_ok "vipgate starts and answers on its control socket"; sed 's/^/#   /' "$LAB_TMP/vipgate.log"; exit 1; fi

GW_MAC=$(ip netns exec "$GW" cat /sys/class/net/gw0/address)
check "arping from the client gets vipgate's MAC ($GW_MAC)" \
    bash -c "ip netns exec $CL arping -c 3 -w 5 -I cl0 10.201.0.1 | grep -qi '$GW_MAC'"
check "ping from the client: 10 of 10 answered" \
    bash -c "ip netns exec $CL ping -c 10 -i 0.05 -W 1 10.201.0.1 | grep -q ' 0% packet loss'"
check "ping with a 1400-byte payload is answered" \
    ip netns exec "$CL" ping -c 2 -i 0.1 -W 1 -s 1400 10.201.0.1

"$VIPGATECTL" -s "$SOCK" show port stats all json >"$LAB_TMP/ps.json" 2>&1
check "show port stats all json: rx and tx counted on ext0" \
    test "$(json_get "$LAB_TMP/ps.json" "int(j[0]['name']=='ext0' and j[0]['rx_packets']>=15 and j[0]['tx_packets']>=15)")" = 1
"$VIPGATECTL" -s "$SOCK" show lcores json >"$LAB_TMP/lc.json" 2>&1
check "show lcores json: the worker answered at least 15 frames" \
    test "$(json_get "$LAB_TMP/lc.json" "int(j[0]['replies']>=15)")" = 1
check "show stats: every drop reason is listed" \
    bash -c "'$VIPGATECTL' -s '$SOCK' show stats | grep -q ipv4_bad_checksum"

# Neighbour resolution on demand: vipgate asks, the client's kernel answers.
"$VIPGATECTL" -s "$SOCK" arp resolve 10.201.0.2 >/dev/null
sleep 0.5
"$VIPGATECTL" -s "$SOCK" show arp json >"$LAB_TMP/arp.json" 2>&1
CL_MAC=$(ip netns exec "$CL" cat /sys/class/net/cl0/address)
check "arp resolve 10.201.0.2 learns the client's MAC ($CL_MAC)" \
    test "$(json_get "$LAB_TMP/arp.json" "int(any(e['address']=='10.201.0.2' and e['mac']=='$CL_MAC' and e['state']=='reachable' for e in j))")" = 1

check "vipgatectl exits 1 on an unknown command" \
    bash -c "'$VIPGATECTL' -s '$SOCK' show nonsense; test \$? -eq 1"
check "vipgatectl exits 3 when nothing listens" \
    bash -c "'$VIPGATECTL' -s '$LAB_TMP/none.sock' show info; test \$? -eq 3"
check "control socket is mode 0600" test "$(stat -c %a "$SOCK")" = 600

echo /vipgate/ports | ip netns exec "$GW" dpdk-telemetry.py -f "vgl${LAB_ID}ctl" >"$LAB_TMP/tel.out" 2>&1
check "telemetry /vipgate/ports reports ext0's counters" \
    "$PY" -c "
import json,sys
t=open('$LAB_TMP/tel.out').read()
j=json.loads(t[t.index('{\"/vipgate/ports\"'):].splitlines()[0])
sys.exit(0 if j['/vipgate/ports']['ext0/rx_packets']>=15 else 1)"

# A second vipgate on the same interface, then on the same EAL file prefix.
# shellcheck disable=SC2046
ip netns exec "$GW" "$VIPGATE" $(eal_args second) -- -c "$LAB_TMP/vipgate.yaml" \
    --control-socket "$LAB_TMP/second.sock" >"$LAB_TMP/second.out" 2>&1 </dev/null
rc=$?
check "a second vipgate on gw0 is refused (exit $rc) and names the interface" \
    bash -c "test $rc -ne 0 && grep -q 'interface gw0 is in use by another vipgate' '$LAB_TMP/second.out'"
sed 's/^/# /' "$LAB_TMP/second.out" | tail -2
cat >"$LAB_TMP/null.yaml" <<YAML
ports:
  - name: n0
    device: net_null0
    address: 10.9.9.1/24
dataplane: { workers: 1, idle_sleep: true }
YAML
# shellcheck disable=SC2046
timeout 30 "$VIPGATE" $(eal_args ctl) -- -c "$LAB_TMP/null.yaml" --control-socket "$LAB_TMP/third.sock" \
    >"$LAB_TMP/third.out" 2>&1 </dev/null
rc=$?
check "a second vipgate with the same --file-prefix is refused (exit $rc)" \
    bash -c "test $rc -ne 0 && grep -q 'file prefix' '$LAB_TMP/third.out'"

kill -TERM "$PID"
for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then not_ok "SIGTERM stops vipgate within 5 s"; else
    wait "$PID"; rc=$?
    if [ "$rc" = 0 ]; then ok "SIGTERM stops vipgate within 5 s, exit 0"; else not_ok "SIGTERM stop exit code $rc"; fi
fi
check "final counters printed on stop" grep -q -- "---- final counters ----" "$LAB_TMP/vipgate.log"
diag "vipgate log:"; sed 's/^/#   /' "$LAB_TMP/vipgate.log" | head -30
tap_done
