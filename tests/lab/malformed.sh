#!/usr/bin/env bash
# Lab: malformed and hostile frames against vipgate as VRRP MASTER with a
# virtual service. Topology, all inside namespaces made here:
#
#   vgl-cl-ID  cl0 10.205.0.10/24 --veth-- gw-ext: vipgate ext0 10.205.0.1,
#              VIP 10.205.0.100 (VRRP VI_1: v2, PASS auth, VRID 71, 1 s, priority 150)
#   vgl-rs-ID  rs0 10.206.0.11/24 --veth-- gw-int: vipgate int0 10.206.0.1
#              (HTTP on :80 answering "rs1"; default route via 10.206.0.1)
#   service 10.205.0.100:80/tcp rr -> 10.206.0.11:80
#
# The client sends each frame of tests/lab/scapy_frames.py's table three
# times through an AF_PACKET socket on cl0 (frames built with scapy, the bad
# fields set on purpose): truncated Ethernet/802.1Q/ARP/IPv4/ICMP/TCP/UDP,
# bad IHL and total length, fragments, bad IPv4/ICMP checksums, martian
# sources, VRRP adverts with TTL != 255, a wrong version, wrong PASS auth, an
# unknown VRID, an address-count mismatch..., ARP with bad hardware/protocol
# lengths, frames over the MTU. For each: exactly the named counter moved by
# three (`show stats json` drops, or `show vrrp json` rejected for VRRP), no
# other drop reason moved, nothing was forwarded (`show lcores` forwarded, and
# a capture on the real server's side for the whole run), no reply reached
# the client, vipgate stayed MASTER without a transition. Frames the kernel
# drops before vipgate's packet socket (a bare or half 802.1Q tag, frames
# over the gateway veth's MTU) are checked as "not received" (port rx
# unchanged; for the MTU, the client veth's tx_dropped). Afterwards vipgate
# still answers ping and ARP and forwards an HTTP request.
source "$(dirname "$0")/lib.sh"

HELPER="$SRC/tests/lab/scapy_frames.py"
VIP=10.205.0.100
EXT_IP=10.205.0.1
CL_IP=10.205.0.10
INT_IP=10.206.0.1
RS1=10.206.0.11
UNOWNED=10.205.0.77
VRID=71
PASS=lab-pass
GW="vgl-gw-$LAB_ID"; CL="vgl-cl-$LAB_ID"; RS="vgl-rs-$LAB_ID"
SOCK="$LAB_TMP/mf.sock"
CFG="$LAB_TMP/mf.yaml"
LOG="$LAB_TMP/vipgate.log"
T_START=$EPOCHREALTIME

NCASES=$("$PY" "$HELPER" cases) || { echo "1..1"; echo "not ok 1 - $HELPER cases"; exit 1; }
tap_plan $((NCASES + 12))

dump_state() {
    [ -n "${GW_PID:-}" ] && ! kill -0 "$GW_PID" 2>/dev/null && diag "vipgate (pid $GW_PID) is not running"
    diag "---- vipgate log (last 30 lines) ----"
    [ -f "$LOG" ] && tail -30 "$LOG" | while IFS= read -r l; do diag "  $l"; done
    if [ -S "$SOCK" ]; then
        diag "---- show vrrp VI_1 / lcores / drops ----"
        ctl "$SOCK" show vrrp VI_1 2>&1 | head -30 | while IFS= read -r l; do diag "  $l"; done
        ctl "$SOCK" show lcores 2>&1 | head -10 | while IFS= read -r l; do diag "  $l"; done
        ctl_json "$SOCK" "{k: v for k, v in j['drops'].items() if v}" show stats json 2>&1 | diag "  $(cat)"
    fi
}
result() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; dump_state; fi; }

# ---------------------------------------------------------------- the lab ---
if netns_add "$GW" && netns_add "$CL" && netns_add "$RS" &&
    lab_no_ipv6 "$GW" && lab_no_ipv6 "$CL" && lab_no_ipv6 "$RS" &&
    veth_pair "$GW" gw-ext "$CL" cl0 && veth_pair "$GW" gw-int "$RS" rs0 &&
    ip -n "$CL" addr add "$CL_IP/24" dev cl0 && ip -n "$RS" addr add "$RS1/24" dev rs0 &&
    ip -n "$RS" route add default via "$INT_IP" &&
    lab_tx_csum_off "$CL" cl0 && lab_tx_csum_off "$RS" rs0; then
    ok "lab up: client cl0 -- vipgate ext0, vipgate int0 -- real server rs0 (veth pairs); TX checksum offload off"
else
    not_ok "lab up"; exit 1
fi
GW_MAC=$(mac_of "$GW" gw-ext); GW_INT_MAC=$(mac_of "$GW" gw-int); CL_MAC=$(mac_of "$CL" cl0)
http_server_start "$RS" rs1 80; result $? "HTTP server answers on the real server"

cat >"$CFG" <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=gw-ext"
    address: $EXT_IP/24
  - name: int0
    device: "net_af_packet1,iface=gw-int"
    address: $INT_IP/24
dataplane: { workers: 1, mbufs: 4095, rx_descriptors: 256, tx_descriptors: 256, idle_sleep: true }
load_balancing: { flows_per_worker: 4096, persistence_templates: 1024 }
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: $VRID
    priority: 150
    version: 2
    advert_int: 1s
    authentication: { auth_type: PASS, auth_pass: "$PASS" }
    virtual_ipaddress: [$VIP]
virtual_servers:
  - address: $VIP
    port: 80
    protocol: tcp
    lb_algo: rr
    real_servers:
      - { address: $RS1 }
YAML

t0=$EPOCHREALTIME
start_vipgate "$GW" "$CFG" "$SOCK" "$LOG"
GW_PID=$VIPGATE_PID
wait_ctl "$SOCK" 30; result $? "vipgate starts"
t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER 8); rc=$?
result $rc "vipgate becomes VRRP MASTER of $VIP ($(fdiff "${t1:-0}" "$t0") s after start; v2 Master_Down_Interval(150) 3.41 s)"
T=$(curl_tally "$CL" 2 "http://$VIP/")
[ "$(tally_count "$T" rs1)" = 2 ]; result $? "before: 2 HTTP requests through the VIP answered by rs1 ($(tr '\n' ' ' <<<"$T"))"
BECAME=$(vrrp_field "$SOCK" VI_1 "r['became_master']")
NTRANS=$(vrrp_field "$SOCK" VI_1 "len(r['transitions'])")
FWD0=$(ctl_json "$SOCK" "sum(w['forwarded'] for w in j)" show lcores json)

# --------------------------------------------------------- malformed frames ---
# The real server's side is captured for the whole run: nothing may reach it.
capture_start "$RS" rs0 "$LAB_TMP/rs.pcapng"; RS_CAP=$CAPTURE_PID
# A bigger MTU on the client's end only, so that it can send frames over the
# gateway end's 1500 (the veth drops them: is_skb_forwardable()).
ip -n "$CL" link set cl0 mtu 9100
t0=$EPOCHREALTIME
ip netns exec "$CL" "$PY" "$HELPER" malformed --iface cl0 --src-mac "$CL_MAC" --gw-mac "$GW_MAC" \
    --client-ip "$CL_IP" --gw-ip "$EXT_IP" --vip "$VIP" --vport 80 --unowned "$UNOWNED" --vrid "$VRID" \
    --unknown-vrid 99 --vrrp-pass "$PASS" --adv 1 --instance VI_1 --port ext0 \
    --ctl "$VIPGATECTL" --sock "$SOCK" --count 3 >"$LAB_TMP/malformed.out" 2>"$LAB_TMP/malformed.err"
MF_RC=$?
MF_SECS=$(fdiff "$EPOCHREALTIME" "$t0")
ip -n "$CL" link set cl0 mtu 1500
n=0
while IFS= read -r line; do
    case "$line" in
    "RESULT ok "*) ok "${line#RESULT ok }"; n=$((n + 1)) ;;
    "RESULT fail "*) not_ok "${line#RESULT fail }"; n=$((n + 1)) ;;
    "DIAG "*) diag "${line#DIAG }" ;;
    esac
done <"$LAB_TMP/malformed.out"
if [ "$MF_RC" != 0 ] || [ "$n" != "$NCASES" ]; then
    diag "scapy_frames.py malformed exited $MF_RC after $n of $NCASES cases:"
    tail -20 "$LAB_TMP/malformed.err" | while IFS= read -r l; do diag "  $l"; done
    while [ "$n" -lt "$NCASES" ]; do not_ok "malformed case $((n + 1)) did not run"; n=$((n + 1)); done
fi
diag "$NCASES cases x 3 frames in $MF_SECS s"
sleep 0.2
capture_stop "$RS_CAP"
FWD1=$(ctl_json "$SOCK" "sum(w['forwarded'] for w in j)" show lcores json)
NIP=$(tshark -r "$LAB_TMP/rs.pcapng" -Y "eth.src == $GW_INT_MAC && ip" -T fields -e frame.number 2>/dev/null | wc -l)
NALL=$(tshark -r "$LAB_TMP/rs.pcapng" -T fields -e frame.number 2>/dev/null | wc -l)
[ "$NIP" = 0 ] && [ "$FWD1" = "$FWD0" ]
result $? "nothing reached the real server while the malformed frames ran (IPv4 frames from int0 in its capture: $NIP of $NALL; forwarded $FWD0 -> $FWD1)"

# ------------------------------------------------------------- afterwards ---
[ "$(vrrp_field "$SOCK" VI_1 "r['state']")" = MASTER ] &&
    [ "$(vrrp_field "$SOCK" VI_1 "r['became_master']")" = "$BECAME" ] &&
    [ "$(vrrp_field "$SOCK" VI_1 "len(r['transitions'])")" = "$NTRANS" ]
result $? "vipgate is still MASTER, no transition ($(vrrp_field "$SOCK" VI_1 "r['rejected_total']") adverts rejected: $(vrrp_field "$SOCK" VI_1 "{k: v for k, v in r['rejected'].items() if v}"))"
ip netns exec "$CL" ping -c 3 -i 0.2 -W 1 "$VIP" | grep -q ' 0% packet loss' &&
    ip netns exec "$CL" ping -c 3 -i 0.2 -W 1 "$EXT_IP" | grep -q ' 0% packet loss'
result $? "after: ping to the VIP and to the port address answered (3 of 3 each)"
m=$(ip netns exec "$CL" arping -c 2 -w 3 -I cl0 "$VIP" 2>/dev/null |
    sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/p' | tr 'A-F' 'a-f' | sort -u | xargs)
[ "$m" = "$GW_MAC" ]; result $? "after: arping for the VIP answered by vipgate's MAC ($m)"
T=$(curl_tally "$CL" 3 "http://$VIP/")
[ "$(tally_count "$T" rs1)" = 3 ]; result $? "after: 3 HTTP requests through the VIP answered by rs1 ($(tr '\n' ' ' <<<"$T"))"
s=$(ctl_json "$SOCK" "j['drops_total'], sum(j['drops'].values())" show stats json)
diag "drops_total, sum of drops: $s"
kill -0 "$GW_PID" 2>/dev/null && ! grep -Eiq 'segmentation|assert|abort|terminate called' "$LOG"
result $? "vipgate is running; its log has no crash, assertion or abort"
t0=$EPOCHREALTIME
kill -TERM "$GW_PID"
wait_pid_exit "$GW_PID" 10; result $? "vipgate stops on SIGTERM ($(fdiff "$EPOCHREALTIME" "$t0") s)"
diag "whole script: $(fdiff "$EPOCHREALTIME" "$T_START") s"
tap_done
