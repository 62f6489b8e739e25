#!/usr/bin/env bash
# Lab: a bounded flood against vipgate as VRRP MASTER (v3, 100 ms adverts)
# with a real keepalived BACKUP on the client segment and a virtual service.
# Topology, all inside namespaces made here:
#
#   client segment 10.207.0.0/24 (br0 in vgl-swe-ID)
#     vgl-gw-ID  gw-ext: vipgate ext0 10.207.0.1, VIP 10.207.0.100 (VI_1, VRID 81, priority 150)
#     vgl-ka-ID  ka0 10.207.0.2/24: keepalived 2.2.7, VI_1 priority 100 (BACKUP)
#     vgl-cl-ID  cl0 10.207.0.10/24: the client (socat stream, curl)
#     vgl-fl-ID  fl0 10.207.0.20/24: the flooder (scapy_frames.py flood, AF_PACKET)
#   vgl-gw-ID gw-int: vipgate int0 10.208.0.1 --veth-- vgl-rs-ID rs0 10.208.0.11/24
#     (HTTP on :80 "rs1", a stream server on :7000)
#   services VIP:80 -> rs1:80 and VIP:7000 -> rs1:7000 (rr);
#   load_balancing.flows_per_worker 1024 (the minimum), tcp_syn_recv 2 s.
#
# A long-lived TCP connection through the VIP (socat from the client to the
# stream server: 64 bytes every 10 ms; the file it writes is the byte count)
# runs first; then the flooder sends, for at most OVERLOAD_FLOOD_SECS (12) and
# at most OVERLOAD_FLOOD_PPS (20000) x seconds frames, about that many a
# second: SYNs to VIP:80 from random sources in 198.18.0.0/15, ARP (requests
# for the VIP from random senders, broadcast; replies from random senders to
# vipgate's MAC) and invalid VRRP adverts for VI_1 to vipgate's MAC (TTL 64,
# bad checksum, v2, two addresses, interval 0, another VRID; priority 254/255).
# Checks: no failover (keepalived never enters MASTER, vipgate's transitions
# unchanged), vipgate's adverts as captured on keepalived's side have no gap
# longer than keepalived's Master_Down_Interval (the gaps and their jitter are
# reported), the SYN flood fills the flow table (flows = flow_capacity) and
# new flows are dropped as lb_flow_table_full while the established stream
# keeps flowing (its lines stay in sequence), the invalid adverts are counted
# by reason, and once the flood stops (and SYN_RECV flows expire) new
# requests are served again.
source "$(dirname "$0")/lib.sh"

tap_plan 17

ADV_MS=${OVERLOAD_ADV_MS:-100}
FLOOD_SECS=${OVERLOAD_FLOOD_SECS:-12}
FLOOD_PPS=${OVERLOAD_FLOOD_PPS:-20000}
FLOOD_MAX=$((FLOOD_SECS * FLOOD_PPS))
SYN_RECV_S=2
VIP=10.207.0.100
EXT_IP=10.207.0.1
KA_IP=10.207.0.2
CL_IP=10.207.0.10
FL_IP=10.207.0.20
INT_IP=10.208.0.1
RS1=10.208.0.11
VRID=81
GW="vgl-gw-$LAB_ID"; KA="vgl-ka-$LAB_ID"; CL="vgl-cl-$LAB_ID"; FL="vgl-fl-$LAB_ID"
RS="vgl-rs-$LAB_ID"; SWE="vgl-swe-$LAB_ID"
SOCK="$LAB_TMP/ov.sock"
CFG="$LAB_TMP/ov.yaml"
LOG="$LAB_TMP/vipgate.log"
KA_LOG="$LAB_TMP/ka.log"
STREAM="$LAB_TMP/stream1.out"
CAP="$LAB_TMP/ka-vrrp.pcapng"
T_START=$EPOCHREALTIME
ADV_S=$(awk -v m="$ADV_MS" 'BEGIN { printf "%.2f", m / 1000 }')
# keepalived's Master_Down_Interval at priority 100 (v3): 3 x advert + Skew_Time
KA_MDI=$(awk -v a="$ADV_S" 'BEGIN { printf "%.6f", 3 * a + int(156 * int(a * 100 + 0.5) * 625 / 16) / 1e6 }')

dump_state() {
    [ -n "${GW_PID:-}" ] && ! kill -0 "$GW_PID" 2>/dev/null && diag "vipgate (pid $GW_PID) is not running"
    diag "---- vipgate log (last 25 lines) ----"
    [ -f "$LOG" ] && tail -25 "$LOG" | while IFS= read -r l; do diag "  $l"; done
    diag "---- keepalived log (last 15 lines) ----"
    [ -f "$KA_LOG" ] && tail -15 "$KA_LOG" | while IFS= read -r l; do diag "  $l"; done
    if [ -S "$SOCK" ]; then
        ctl "$SOCK" show lcores 2>&1 | head -6 | while IFS= read -r l; do diag "  $l"; done
        diag "  drops: $(ctl_json "$SOCK" "{k: v for k, v in j['drops'].items() if v}" show stats json 2>&1)"
    fi
}
result() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; dump_state; fi; }
drops_json() { ctl "$SOCK" show stats json; }
stream_alive() { kill -0 "$STREAM_PID" 2>/dev/null; }
# stream_in_sequence FILE: every line is "rs1 SEQ ..." and SEQ counts up by one.
stream_in_sequence() {
    "$PY" - "$1" <<'PY'
import sys
n = prev = None
bad = 0
lines = open(sys.argv[1], "rb").read().split(b"\n")
for l in lines[:-1]:
    f = l.split()
    if len(l) != 63 or len(f) < 2 or f[0] != b"rs1":
        bad += 1
        continue
    s = int(f[1])
    if prev is not None and s != prev + 1:
        bad += 1
    prev = s
print(len(lines) - 1, bad)
sys.exit(1 if bad or len(lines) < 2 else 0)
PY
}

# ---------------------------------------------------------------- the lab ---
if lab_switch "$SWE" &&
    lab_attach "$SWE" se-gw "$GW" gw-ext && lab_attach "$SWE" se-ka "$KA" ka0 "$KA_IP/24" &&
    lab_attach "$SWE" se-cl "$CL" cl0 "$CL_IP/24" && lab_attach "$SWE" se-fl "$FL" fl0 "$FL_IP/24" &&
    netns_add "$RS" && lab_no_ipv6 "$RS" && veth_pair "$GW" gw-int "$RS" rs0 &&
    ip -n "$RS" addr add "$RS1/24" dev rs0 && ip -n "$RS" route add default via "$INT_IP" &&
    lab_tx_csum_off "$CL" cl0 && lab_tx_csum_off "$RS" rs0 &&
    http_server_start "$RS" rs1 80 && stream_server_start "$RS" rs1 7000 0.01 120; then
    ok "lab up: vipgate ext0, keepalived, client and flooder on $SWE; int0 -- real server (HTTP :80, stream :7000)"
else
    not_ok "lab up"; exit 1
fi
GW_MAC=$(mac_of "$GW" gw-ext); FL_MAC=$(mac_of "$FL" fl0)

cat >"$CFG" <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=gw-ext"
    address: $EXT_IP/24
  - name: int0
    device: "net_af_packet1,iface=gw-int"
    address: $INT_IP/24
dataplane: { workers: 1, mbufs: 8191, rx_descriptors: 1024, tx_descriptors: 1024, idle_sleep: true }
load_balancing:
  flows_per_worker: 1024
  persistence_templates: 1024
  timeouts: { tcp_syn_recv: ${SYN_RECV_S}s }
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: $VRID
    priority: 150
    version: 3
    advert_int: ${ADV_MS}ms
    virtual_ipaddress: [$VIP]
virtual_servers:
  - { address: $VIP, port: 80, protocol: tcp, lb_algo: rr, real_servers: [{ address: $RS1 }] }
  - { address: $VIP, port: 7000, protocol: tcp, lb_algo: rr, real_servers: [{ address: $RS1 }] }
YAML

t0=$EPOCHREALTIME
start_vipgate "$GW" "$CFG" "$SOCK" "$LOG"
GW_PID=$VIPGATE_PID
wait_ctl "$SOCK" 30 && t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER 5)
result $? "vipgate starts and becomes MASTER of $VIP ($(fdiff "${t1:-0}" "$t0") s; v3, advert every $ADV_MS ms)"
keepalived_conf "$LAB_TMP/ka.conf" ka0 "$VRID" 100 3 "$ADV_S" "" "$VIP"
start_keepalived "$KA" "$LAB_TMP/ka.conf" ka
KA_PID=$KEEPALIVED_PID
log_wait "$KA_LOG" 'Entering BACKUP STATE' 10 >/dev/null; rc=$?
sleep 0.5
[ $rc = 0 ] && ! grep -q 'Entering MASTER STATE' "$KA_LOG"
result $? "keepalived (priority 100) is BACKUP (its Master_Down_Interval $KA_MDI s)"
T=$(curl_tally "$CL" 2 "http://$VIP/")
[ "$(tally_count "$T" rs1)" = 2 ]; result $? "2 HTTP requests through the VIP answered by rs1 ($(tr '\n' ' ' <<<"$T"))"
stream_client_start "$CL" "$VIP" 7000 "$STREAM"
wait_file_grows "$STREAM" 640 5
result $? "a long-lived TCP stream through $VIP:7000 flows ($(file_size "$STREAM") bytes)"

# --------------------------------------------------------------- the flood ---
capture_start_filter "$KA" ka0 "$CAP" "ip proto 112"; CAP_PID=$CAPTURE_PID
sleep 3 # the baseline: adverts without the flood
BECAME=$(vrrp_field "$SOCK" VI_1 "r['became_master']")
NTRANS=$(vrrp_field "$SOCK" VI_1 "len(r['transitions'])")
SENT0=$(vrrp_field "$SOCK" VI_1 "r['adverts_sent']")
drops_json >"$LAB_TMP/stats0.json"
ctl "$SOCK" show vrrp VI_1 json >"$LAB_TMP/vrrp0.json"
KA_MARK=$(log_lines "$KA_LOG")
B0=$(file_size "$STREAM")
F_START=$EPOCHREALTIME
ip netns exec "$FL" "$PY" "$LAB_FRAMES" flood --iface fl0 --src-mac "$FL_MAC" --gw-mac "$GW_MAC" \
    --gw-ip "$EXT_IP" --client-ip "$FL_IP" --vip "$VIP" --vport 80 --vrid "$VRID" --vrrp-version 3 \
    --adv "$ADV_S" --arp-net 10.207.0.0 --arp-first 150 --arp-last 250 --mix syn:6,arp:2,vrrp:2 \
    --pps "$FLOOD_PPS" --secs "$FLOOD_SECS" --max "$FLOOD_MAX" >"$LAB_TMP/flood.json" 2>"$LAB_TMP/flood.err" &
FLOOD_PID=$!
LAB_PIDS+=("$FLOOD_PID")
# While it runs (bounded): the stream's byte count and the flow table, every 0.5 s.
PEAK_FLOWS=0; CAPACITY=0; MIN_RATE=""; CURL_DURING=""
for i in $(seq 1 $(((FLOOD_SECS + 10) * 2))); do
    kill -0 "$FLOOD_PID" 2>/dev/null || break
    s0=$(file_size "$STREAM")
    sleep 0.5
    s1=$(file_size "$STREAM")
    r=$(((s1 - s0) * 2))
    if [ "$i" -gt 1 ] && kill -0 "$FLOOD_PID" 2>/dev/null; then
        [ -z "$MIN_RATE" ] || [ "$r" -lt "$MIN_RATE" ] && MIN_RATE=$r
    fi
    read -r f c < <(ctl_json "$SOCK" "sum(w['flows'] for w in j), sum(w['flow_capacity'] for w in j)" show lcores json 2>/dev/null | tr -d '(),')
    [ "${f:-0}" -gt "$PEAK_FLOWS" ] && PEAK_FLOWS=$f
    CAPACITY=${c:-0}
    if [ "$i" = 8 ]; then # 4 s in: the table is full, a new connection should not get through
        CURL_DURING=$(ip netns exec "$CL" curl -s --max-time 1.5 -o /dev/null -w '%{http_code}' "http://$VIP/" 2>&1)
    fi
done
wait "$FLOOD_PID"; FLOOD_RC=$?
F_END=$EPOCHREALTIME
B1=$(file_size "$STREAM")
drops_json >"$LAB_TMP/stats1.json"
ctl "$SOCK" show vrrp VI_1 json >"$LAB_TMP/vrrp1.json"
sleep 1
B2=$(file_size "$STREAM")
capture_stop "$CAP_PID"
FLOOD=$(cat "$LAB_TMP/flood.json")
diag "flood (exit $FLOOD_RC, $(fdiff "$F_END" "$F_START") s wall): $FLOOD"
[ "$FLOOD_RC" = 0 ] && [ "$(json_get "$LAB_TMP/flood.json" "int(j['total'] > 0 and j['errors'] == 0)")" = 1 ]
result $? "the flood ran: $(json_get "$LAB_TMP/flood.json" "'%d frames in %.1f s, %d/s (syn %d, arp %d, vrrp %d)' % (j['total'], j['seconds'], j['pps'], j['sent'].get('syn', 0), j['sent'].get('arp', 0), j['sent'].get('vrrp', 0))" 2>/dev/null)"

# ------------------------------------------------------------- the checks ---
! tail -n +"$((KA_MARK + 1))" "$KA_LOG" | grep -q 'Entering MASTER STATE' && kill -0 "$KA_PID" 2>/dev/null
result $? "no failover: keepalived never entered MASTER during the flood"
[ "$(vrrp_field "$SOCK" VI_1 "r['state']")" = MASTER ] &&
    [ "$(vrrp_field "$SOCK" VI_1 "r['became_master']")" = "$BECAME" ] &&
    [ "$(vrrp_field "$SOCK" VI_1 "len(r['transitions'])")" = "$NTRANS" ]
result $? "no failover: vipgate still MASTER, transitions unchanged ($NTRANS)"

# Advert gaps on keepalived's side: the baseline before the flood, and during it.
tshark -r "$CAP" -Y "vrrp && ip.src == $EXT_IP" -T fields -e frame.time_epoch 2>/dev/null >"$LAB_TMP/adverts.txt"
awk -v s="$F_START" '$1 < s' "$LAB_TMP/adverts.txt" | "$PY" "$LAB_FRAMES" gaps --interval "$ADV_S" >"$LAB_TMP/gaps0.json"
awk -v s="$F_START" -v e="$F_END" '$1 >= s - 0.2 && $1 <= e + 0.2' "$LAB_TMP/adverts.txt" |
    "$PY" "$LAB_FRAMES" gaps --interval "$ADV_S" >"$LAB_TMP/gaps1.json"
GAPS_DESC="'%d adverts, gap min/mean/max %.1f/%.2f/%.1f ms, sd %.2f ms, p99 %.1f ms, max |gap - %d ms| %.1f ms, %d gaps > 1.5 x interval' % (j['n'], j['min_ms'], j['mean_ms'], j['max_ms'], j['sd_ms'], j['p99_ms'], $ADV_MS, j['max_dev_ms'], j['late_over_50pct'])"
diag "advert gaps before the flood: $(json_get "$LAB_TMP/gaps0.json" "$GAPS_DESC" 2>&1)"
diag "advert gaps during the flood: $(json_get "$LAB_TMP/gaps1.json" "$GAPS_DESC" 2>&1)"
SENT1=$(json_get "$LAB_TMP/vrrp1.json" "(j[0] if isinstance(j, list) else j)['adverts_sent']")
diag "adverts_sent during the flood: $((SENT1 - SENT0)) (expected about $(awk -v d="$(fdiff "$F_END" "$F_START")" -v a="$ADV_S" 'BEGIN { printf "%d", d / a }'))"
MAXGAP=$(json_get "$LAB_TMP/gaps1.json" "j['max_ms'] / 1000")
N1=$(json_get "$LAB_TMP/gaps1.json" "j['n']")
[ "${N1:-0}" -gt $((FLOOD_SECS * 1000 / ADV_MS / 2)) ] && fle "$MAXGAP" "$KA_MDI"
result $? "vipgate's adverts stay on time under the flood: $N1 captured at keepalived, longest gap ${MAXGAP} s < Master_Down_Interval $KA_MDI s"

# The flow table and the established stream.
TF=$(json_get "$LAB_TMP/stats1.json" "j['drops']['lb_flow_table_full']")
TF0=$(json_get "$LAB_TMP/stats0.json" "j['drops']['lb_flow_table_full']")
diag "flows: peak $PEAK_FLOWS of capacity $CAPACITY; lb_flow_table_full +$((TF - TF0)); a new HTTP request 4 s into the flood: '${CURL_DURING:-not made}'"
[ "$PEAK_FLOWS" -ge "$CAPACITY" ] && [ "$CAPACITY" = 1024 ] && [ $((TF - TF0)) -gt 0 ]
result $? "the SYN flood fills the flow table ($PEAK_FLOWS of $CAPACITY) and new flows are dropped as lb_flow_table_full (+$((TF - TF0)))"
diag "stream: $B0 bytes before the flood, $B1 at its end, $B2 one second later; slowest half-second during the flood: ${MIN_RATE:-?} B/s (nominal 6400 B/s)"
stream_alive && [ "$B1" -gt "$B0" ] && [ "$B2" -gt "$B1" ] && [ "${MIN_RATE:-0}" -gt 0 ]
result $? "the established stream survives: bytes flowed in every half-second of the flood and keep flowing after it (+$((B2 - B1)) in 1 s)"
s=$(stream_in_sequence "$STREAM"); rc=$?
result $rc "the stream's lines are intact and in sequence (lines, bad: $s)"

# Drop accounting: the invalid adverts by reason, the punts, ARP.
"$PY" - "$LAB_TMP/stats0.json" "$LAB_TMP/stats1.json" "$LAB_TMP/vrrp0.json" "$LAB_TMP/vrrp1.json" \
    >"$LAB_TMP/deltas.txt" <<'PY'
import json, sys
s0, s1, v0, v1 = (json.load(open(f)) for f in sys.argv[1:5])
v0 = v0[0] if isinstance(v0, list) else v0
v1 = v1[0] if isinstance(v1, list) else v1
d = {k: s1["drops"][k] - s0["drops"].get(k, 0) for k in s1["drops"] if s1["drops"][k] != s0["drops"].get(k, 0)}
c = {k: s1["control"][k] - s0["control"].get(k, 0) for k in s1["control"]
     if isinstance(s1["control"][k], int) and s1["control"][k] != s0["control"].get(k, 0)}
r = {k: v1["rejected"][k] - v0["rejected"].get(k, 0) for k in v1["rejected"] if v1["rejected"][k] != v0["rejected"].get(k, 0)}
print("drops", json.dumps(d))
print("control", json.dumps(c))
print("rejected", json.dumps(r))
PY
while IFS= read -r l; do diag "$l"; done <"$LAB_TMP/deltas.txt"
VR=$(json_get "$LAB_TMP/flood.json" "j['vrrp_kinds']")
"$PY" - "$LAB_TMP/deltas.txt" "$LAB_TMP/flood.json" <<'PY'
import json, sys
lines = dict(l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines())
drops, rej = json.loads(lines["drops"]), json.loads(lines["rejected"])
sent = json.load(open(sys.argv[2]))["vrrp_kinds"]
# Every invalid advert is counted: per reason on the instance (unknown VRIDs
# in drops.vrrp_rejected only); with a margin for frames lost before vipgate.
want = {k: v for k, v in sent.items() if k != "unknown_vrid"}
ok = all(rej.get(k, 0) >= 0.9 * v for k, v in want.items())
ok = ok and drops.get("vrrp_rejected", 0) >= 0.9 * sum(sent.values())
sys.exit(0 if ok else 1)
PY
result $? "the invalid adverts are dropped on the worker and counted by reason (sent: $VR)"

# After the flood: the SYN_RECV flows expire, new connections are served again.
sleep "$SYN_RECV_S"
T=$(curl_tally "$CL" 3 "http://$VIP/")
[ "$(tally_count "$T" rs1)" = 3 ]; result $? "after the flood (and $SYN_RECV_S s of tcp_syn_recv): 3 new HTTP requests answered ($(tr '\n' ' ' <<<"$T"); flows now $(ctl_json "$SOCK" "sum(w['flows'] for w in j)" show lcores json))"
B3=$(file_size "$STREAM"); sleep 0.5
stream_alive && [ "$(file_size "$STREAM")" -gt "$B3" ]
result $? "the stream still flows ($(file_size "$STREAM") bytes in all)"
kill -0 "$GW_PID" 2>/dev/null && ! grep -Eiq 'segmentation|assert|abort|terminate called' "$LOG"
result $? "vipgate is running; its log has no crash, assertion or abort"
kill -TERM "$GW_PID"
wait_pid_exit "$GW_PID" 10; result $? "vipgate stops on SIGTERM"
stop_pid "$KA_PID" 10
diag "whole script: $(fdiff "$EPOCHREALTIME" "$T_START") s"
tap_done
