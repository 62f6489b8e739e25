#!/usr/bin/env bash
# Lab: ten live reloads (vipgatectl reload and SIGHUP, mixed) while three
# long-lived TCP connections run through the VIP. Topology, all inside
# namespaces made here:
#
#   vgl-cl-ID  cl0 10.209.0.10/24 --veth-- gw-ext: vipgate ext0 10.209.0.1,
#              VIP 10.209.0.100 (VRRP VI_1: v3, VRID 91, 100 ms, priority 150)
#   server segment 10.210.0.0/24 (br0 in vgl-swi-ID)
#     vgl-gw-ID  gw-int: vipgate int0 10.210.0.1
#     vgl-rsN-ID rs0 10.210.0.1N/24 (N = 1, 2, 3), default via 10.210.0.1:
#                HTTP on :80 answering "rsN", a stream server on :7000
#
# Services: VIP:80 wrr (rs1, rs2; later rs3) and VIP:7000 rr (rs1, rs2). Three
# socat streams from the client to VIP:7000 (64 bytes every 10 ms each; the
# files they write are the byte counts). The reloads:
#    1 ctl    unchanged file
#    2 HUP    rs2's weight on :80 1 -> 3
#    3 ctl    rs3 added to :80: new requests reach it
#    4 ctl    invalid (a wrong value): refused, the error names file:line, nothing changes
#    5 HUP    invalid (broken YAML): refused, logged with file:line, nothing changes
#    6 ctl    load_balancing.flows_per_worker changed: refused, "needs a restart"
#    7 HUP    a second VRRP instance VI_2 (and a service on its VIP) added
#    8 ctl    VI_2 and rs3 removed; rs2 removed from :7000 (new connections go to
#             rs1 only; its streams drain and keep flowing, docs/operations.md;
#             checked apart from the others)
#    9 HUP    a new service VIP:81
#   10 ctl    back to the first file (rs2 back in :7000, weight 1, no :81)
# VRRP VI_1 is identical in every file. After each reload: every stream is up
# and its byte count grew, VI_1 is still MASTER with no new transition. At
# the end: every stream's lines are intact and in sequence.
source "$(dirname "$0")/lib.sh"

tap_plan 36

VIP=10.209.0.100
VIP2=10.209.0.101
EXT_IP=10.209.0.1
CL_IP=10.209.0.10
INT_IP=10.210.0.1
VRID=91
GW="vgl-gw-$LAB_ID"; CL="vgl-cl-$LAB_ID"; SWI="vgl-swi-$LAB_ID"
SOCK="$LAB_TMP/rl.sock"
CFG="$LAB_TMP/rl.yaml"
LOG="$LAB_TMP/vipgate.log"
NSTREAMS=3
T_START=$EPOCHREALTIME
rs_ip() { echo "10.210.0.1$1"; }

dump_state() {
    [ -n "${GW_PID:-}" ] && ! kill -0 "$GW_PID" 2>/dev/null && diag "vipgate (pid $GW_PID) is not running"
    diag "---- vipgate log (last 25 lines) ----"
    [ -f "$LOG" ] && tail -25 "$LOG" | while IFS= read -r l; do diag "  $l"; done
    if [ -S "$SOCK" ]; then
        ctl "$SOCK" show virtual-servers 2>&1 | head -20 | while IFS= read -r l; do diag "  $l"; done
        ctl "$SOCK" show flows limit 10 2>&1 | head -12 | while IFS= read -r l; do diag "  $l"; done
    fi
}
result() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; dump_state; fi; }
vs_json() {
    ctl "$SOCK" show virtual-servers json | "$PY" -c "
import json, sys
j = json.load(sys.stdin)
def svc(p, vip='$VIP'): return [s for s in j if s['port'] == p and s['address'] == vip][0]
def rs(p, a): return [r for r in svc(p)['real_servers'] if r['address'] == a][0]
print($1)"
}

# write_cfg: the configuration from the variables RS3 (0/1: rs3 in :80),
# W2 (rs2's weight on :80), VI2 (0/1: VRRP VI_2 and a service on its VIP),
# RS2_7000 (0/1: rs2 in :7000), P81 (0/1: service VIP:81), FLOWS
# (flows_per_worker). VI_1 is always the same.
base_vars() { RS3=0; W2=1; VI2=0; RS2_7000=1; P81=0; FLOWS=4096; }
write_cfg() {
    {
        cat <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=gw-ext"
    address: $EXT_IP/24
  - name: int0
    device: "net_af_packet1,iface=gw-int"
    address: $INT_IP/24
dataplane: { workers: 1, mbufs: 4095, rx_descriptors: 256, tx_descriptors: 256, idle_sleep: true }
load_balancing: { flows_per_worker: $FLOWS, persistence_templates: 1024 }
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: $VRID
    priority: 150
    version: 3
    advert_int: 100ms
    virtual_ipaddress: [$VIP]
YAML
        [ "$VI2" = 1 ] && cat <<YAML
  - name: VI_2
    port: ext0
    virtual_router_id: $((VRID + 1))
    priority: 150
    version: 3
    advert_int: 100ms
    virtual_ipaddress: [$VIP2]
YAML
        cat <<YAML
virtual_servers:
  - address: $VIP
    port: 80
    protocol: tcp
    lb_algo: wrr
    real_servers:
      - { address: $(rs_ip 1), weight: 1 }
      - { address: $(rs_ip 2), weight: $W2 }
YAML
        [ "$RS3" = 1 ] && echo "      - { address: $(rs_ip 3), weight: 1 }"
        cat <<YAML
  - address: $VIP
    port: 7000
    protocol: tcp
    lb_algo: rr
    real_servers:
      - { address: $(rs_ip 1) }
YAML
        [ "$RS2_7000" = 1 ] && echo "      - { address: $(rs_ip 2) }"
        [ "$P81" = 1 ] && cat <<YAML
  - { address: $VIP, port: 81, protocol: tcp, lb_algo: rr, real_servers: [{ address: $(rs_ip 3), port: 80 }] }
YAML
        [ "$VI2" = 1 ] && cat <<YAML
  - { address: $VIP2, port: 80, protocol: tcp, lb_algo: rr, real_servers: [{ address: $(rs_ip 1) }] }
YAML
        true
    } >"$CFG.new" && mv "$CFG.new" "$CFG"
}

# ---------------------------------------------------------------- the lab ---
rc=0
netns_add "$GW" && netns_add "$CL" && lab_no_ipv6 "$GW" && lab_no_ipv6 "$CL" &&
    veth_pair "$GW" gw-ext "$CL" cl0 && ip -n "$CL" addr add "$CL_IP/24" dev cl0 &&
    lab_switch "$SWI" && lab_attach "$SWI" si-gw "$GW" gw-int && lab_tx_csum_off "$CL" cl0 || rc=1
for n in 1 2 3; do
    ns="vgl-rs$n-$LAB_ID"
    lab_attach "$SWI" "si-r$n" "$ns" rs0 "$(rs_ip $n)/24" && ip -n "$ns" route add default via "$INT_IP" &&
        lab_tx_csum_off "$ns" rs0 && http_server_start "$ns" "rs$n" 80 &&
        stream_server_start "$ns" "rs$n" 7000 0.01 120 || rc=1
done
result $rc "lab up: client -- vipgate ext0; vipgate int0 and rs1, rs2, rs3 (HTTP :80, stream :7000) on $SWI"
[ $rc = 0 ] || exit 1

base_vars; write_cfg
start_vipgate "$GW" "$CFG" "$SOCK" "$LOG"
GW_PID=$VIPGATE_PID
t0=$EPOCHREALTIME
wait_ctl "$SOCK" 30 && t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER 5)
result $? "vipgate starts and becomes MASTER of $VIP ($(fdiff "${t1:-0}" "$t0") s)"
T=$(curl_tally "$CL" 4 "http://$VIP/")
[ "$(tally_count "$T" rs1)" = 2 ] && [ "$(tally_count "$T" rs2)" = 2 ]
result $? "4 requests to $VIP:80 (wrr 1:1): rs1 2, rs2 2 ($(tr '\n' ' ' <<<"$T"))"

rc=0
for s in $(seq 1 $NSTREAMS); do
    stream_client_start "$CL" "$VIP" 7000 "$LAB_TMP/stream$s.out"
    eval "SPID$s=\$STREAM_PID"
    wait_file_grows "$LAB_TMP/stream$s.out" 640 5 || rc=1
done
desc=""
for s in $(seq 1 $NSTREAMS); do desc="$desc s$s->$(head -c 3 "$LAB_TMP/stream$s.out")"; done
result $rc "$NSTREAMS long-lived TCP streams through $VIP:7000 flow ($desc )"
STREAM_RS=$desc
# The streams to rs2 (removed from :7000 by reload 8: they drain) and the others.
TO_RS2=""; TO_RS1=""
for s in $(seq 1 $NSTREAMS); do
    if [ "$(head -c 3 "$LAB_TMP/stream$s.out")" = rs2 ]; then TO_RS2="$TO_RS2 $s"; else TO_RS1="$TO_RS1 $s"; fi
done

BECAME=$(vrrp_field "$SOCK" VI_1 "r['became_master']")
NTRANS=$(vrrp_field "$SOCK" VI_1 "len(r['transitions'])")
ADV0=$(vrrp_field "$SOCK" VI_1 "r['adverts_sent']")
declare -A BYTES0
for s in $(seq 1 $NSTREAMS); do BYTES0[$s]=$(file_size "$LAB_TMP/stream$s.out"); done
TIMES=()

# streams_grew [STREAM...]: each stream (default: all) is alive and its file
# grew since the last call, and grows again within 2 s from now (so data
# flows after the reload, not only what was in flight). The sizes in
# GREW_DESC. (Not in a subshell: it updates LAST.)
declare -A LAST
for s in $(seq 1 $NSTREAMS); do LAST[$s]=$(file_size "$LAB_TMP/stream$s.out"); done
streams_grew() {
    local s pid ok=0 out="" list="${*:-$(seq 1 $NSTREAMS)}" now
    sleep 0.2
    for s in $list; do
        eval "pid=\$SPID$s"
        local grew=1
        now=$(file_size "$LAB_TMP/stream$s.out")
        if [ "$now" -gt "${LAST[$s]}" ]; then
            for _ in $(seq 1 40); do
                [ "$(file_size "$LAB_TMP/stream$s.out")" -gt "$now" ] && { grew=0; break; }
                sleep 0.05
            done
        fi
        kill -0 "$pid" 2>/dev/null || grew=1
        [ $grew = 0 ] || ok=1
        LAST[$s]=$(file_size "$LAB_TMP/stream$s.out")
        out="$out s$s ${LAST[$s]}$([ $grew = 0 ] || echo ' STALLED')"
    done
    GREW_DESC=$out
    return $ok
}
# new_stream_server: the real server a new connection to VIP:7000 reaches
# (the first word the stream server sends), or FAIL.
new_stream_server() {
    local w
    w=$(ip netns exec "$CL" timeout 3 socat -u "TCP:$VIP:7000,connect-timeout=2" - 2>/dev/null | head -c 3)
    echo "${w:-FAIL}"
}
# vrrp_same: VI_1 MASTER, no new transition.
vrrp_same() {
    [ "$(vrrp_field "$SOCK" VI_1 "r['state']")" = MASTER ] &&
        [ "$(vrrp_field "$SOCK" VI_1 "r['became_master']")" = "$BECAME" ] &&
        [ "$(vrrp_field "$SOCK" VI_1 "len(r['transitions'])")" = "$NTRANS" ]
}

# do_reload N HOW: HOW ctl (vipgatectl reload; the answer in RELOAD_OUT, its
# exit status in RELOAD_RC) or hup (SIGHUP; RELOAD_OUT is what vipgate logged
# for it, RELOAD_RC 0 for "reload done"). RELOAD_MS: the time it took (ctl:
# the command's wall time; hup: from the signal to vipgate's result log line,
# by its millisecond timestamp).
do_reload() {
    local n="$1" how="$2" mark t0
    mark=$(log_lines "$LOG")
    t0=$EPOCHREALTIME
    if [ "$how" = ctl ]; then
        RELOAD_OUT=$("$VIPGATECTL" -s "$SOCK" -t 5000 reload 2>&1)
        RELOAD_RC=$?
        RELOAD_MS=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) * 1000 }')
    else
        kill -HUP "$GW_PID"
        RELOAD_RC=2
        for _ in $(seq 1 100); do
            if tail -n +"$((mark + 1))" "$LOG" | grep -q 'reload done'; then RELOAD_RC=0; break; fi
            if tail -n +"$((mark + 1))" "$LOG" | grep -q 'reload refused'; then RELOAD_RC=1; break; fi
            sleep 0.05
        done
        sleep 0.05
        RELOAD_OUT=$(tail -n +"$((mark + 1))" "$LOG")
        # From the signal to vipgate's result line (its log's wall-clock ms).
        local done_at
        done_at=$(tail -n +"$((mark + 1))" "$LOG" | grep -m1 -E ' reload (done|refused)' | awk '{print $1 " " $2}')
        RELOAD_MS=$(awk -v a="$(date -d "$done_at" +%s.%N 2>/dev/null || echo 0)" -v b="$t0" \
            'BEGIN { printf "%.1f", (a - b) * 1000 }')
    fi
    TIMES+=("$n:$how:${RELOAD_MS}ms")
    diag "reload $n ($how, ${RELOAD_MS} ms): $(head -c 300 <<<"$RELOAD_OUT" | tr '\n' ' ')"
}
# after_reload N DESC [STREAM...]: the streams (default: all) and VI_1 after reload N.
after_reload() {
    local n="$1" d="$2" rc=0; shift 2
    streams_grew "$@" || rc=1
    vrrp_same || rc=1
    result $rc "reload $n ($d): $([ $# = 0 ] && echo "all $NSTREAMS streams" || echo "streams $*") up and growing (bytes:$GREW_DESC), VI_1 MASTER, no transition"
}

# ---------------------------------------------------------------- reloads ---
# 1: unchanged
do_reload 1 ctl
[ "$RELOAD_RC" = 0 ] && grep -q 'vrrp: 1 kept, 0 started, 0 stopped' <<<"$RELOAD_OUT" &&
    grep -q 'real servers: 4 kept, 0 added, 0 removed' <<<"$RELOAD_OUT"
result $? "reload 1 (vipgatectl, file unchanged): done, VI_1 kept, 4 real servers kept"
after_reload 1 "unchanged"

# 2: a weight
W2=3; write_cfg
do_reload 2 hup
[ "$RELOAD_RC" = 0 ] && [ "$(vs_json "rs(80, '$(rs_ip 2)')['weight']")" = 3 ]
result $? "reload 2 (SIGHUP, rs2's weight on :80 1 -> 3): done, show virtual-servers weight 3"
T=$(curl_tally "$CL" 8 "http://$VIP/")
[ "$(tally_count "$T" rs1)" = 2 ] && [ "$(tally_count "$T" rs2)" = 6 ]
result $? "reload 2: 8 new requests to :80 (wrr 1:3): rs1 2, rs2 6 ($(tr '\n' ' ' <<<"$T"))"
after_reload 2 "weight"

# 3: a real server added
RS3=1; write_cfg
do_reload 3 ctl
[ "$RELOAD_RC" = 0 ] && grep -q '1 added' <<<"$RELOAD_OUT" &&
    [ "$(vs_json "len(svc(80)['real_servers'])")" = 3 ]
result $? "reload 3 (vipgatectl, rs3 added to :80): done, 3 real servers on :80"
T=$(curl_tally "$CL" 10 "http://$VIP/")
[ "$(tally_count "$T" rs3)" -ge 1 ] && [ "$(tally_count "$T" FAIL)" = 0 ]
result $? "reload 3: new requests reach the new server (10 to :80, wrr 1:3:1: $(tr '\n' ' ' <<<"$T"))"
after_reload 3 "add"

# 4: invalid value (vipgatectl): refused with file:line:column, nothing changes
BEFORE_VS=$(ctl "$SOCK" show virtual-servers json | "$PY" -c "import json,sys; print(sorted((s['port'], r['address'], r['weight']) for s in json.load(sys.stdin) for r in s['real_servers']))")
cp "$CFG" "$LAB_TMP/good.yaml"
sed -i 's/^    priority: 150$/    priority: 300/' "$CFG"
LINE=$(grep -n 'priority: 300' "$CFG" | head -1 | cut -d: -f1)
do_reload 4 ctl
AFTER_VS=$(ctl "$SOCK" show virtual-servers json | "$PY" -c "import json,sys; print(sorted((s['port'], r['address'], r['weight']) for s in json.load(sys.stdin) for r in s['real_servers']))")
[ "$RELOAD_RC" != 0 ] && grep -q "refused" <<<"$RELOAD_OUT" && grep -q "$CFG:$LINE:[0-9]*: " <<<"$RELOAD_OUT" &&
    [ "$AFTER_VS" = "$BEFORE_VS" ] && [ "$(vrrp_field "$SOCK" VI_1 "r['priority']")" = 150 ]
result $? "reload 4 (vipgatectl, priority 300): refused (exit $RELOAD_RC), the error names $(basename "$CFG"):$LINE, the running config stays"
after_reload 4 "invalid, refused"

# 5: broken YAML (SIGHUP): refused and logged with file:line
cp "$LAB_TMP/good.yaml" "$CFG"
printf 'virtual_servers: [ {address: %s\n' "$VIP" >>"$CFG"
do_reload 5 hup
AFTER_VS=$(ctl "$SOCK" show virtual-servers json | "$PY" -c "import json,sys; print(sorted((s['port'], r['address'], r['weight']) for s in json.load(sys.stdin) for r in s['real_servers']))")
[ "$RELOAD_RC" = 1 ] && grep -q "$CFG:[0-9][0-9]*:[0-9]" <<<"$RELOAD_OUT" && [ "$AFTER_VS" = "$BEFORE_VS" ]
result $? "reload 5 (SIGHUP, broken YAML): refused and logged with file:line, the running config stays"
after_reload 5 "invalid, refused"

# 6: needs a restart
cp "$LAB_TMP/good.yaml" "$CFG"
FLOWS=8192; write_cfg
do_reload 6 ctl
[ "$RELOAD_RC" != 0 ] && grep -q 'needs a restart' <<<"$RELOAD_OUT" && grep -q 'load_balancing' <<<"$RELOAD_OUT" &&
    [ "$(ctl_json "$SOCK" "j[0]['flow_capacity']" show lcores json)" = 4096 ]
result $? "reload 6 (vipgatectl, flows_per_worker 4096 -> 8192): refused, 'needs a restart', flow capacity still 4096"
after_reload 6 "needs a restart, refused"

# 7: a second VRRP instance and a service on its VIP
FLOWS=4096; VI2=1; write_cfg
T_RELOAD=$EPOCHREALTIME
do_reload 7 hup
t2=$(wait_vrrp_state "$SOCK" VI_2 MASTER 5); rc=$?
[ "$RELOAD_RC" = 0 ] && grep -q 'vrrp: 1 kept, 1 started, 0 stopped' <<<"$RELOAD_OUT" && [ $rc = 0 ] &&
    [ "$(http_get_from "$CL" "$CL_IP" 30701 "$VIP2" 80)" = rs1 ]
result $? "reload 7 (SIGHUP, VRRP VI_2 with VIP $VIP2 and a service on it added): VI_1 kept, VI_2 started and MASTER ($(fdiff "${t2:-0}" "$T_RELOAD") s after the signal), $VIP2:80 served"
after_reload 7 "second instance"

# 8: VI_2 and rs3 removed; rs2 removed from :7000 (streams to it drain)
VI2=0; RS3=0; RS2_7000=0; write_cfg
do_reload 8 ctl
N1=$(new_stream_server); N2=$(new_stream_server)
[ "$RELOAD_RC" = 0 ] && grep -q 'vrrp: 1 kept, 0 started, 1 stopped' <<<"$RELOAD_OUT" &&
    grep -q '3 removed' <<<"$RELOAD_OUT" && [ "$N1 $N2" = "rs1 rs1" ] &&
    [ "$(vs_json "int(all(r['address'] != '$(rs_ip 2)' or r['effective_weight'] == 0 for r in svc(7000)['real_servers']))")" = 1 ]
result $? "reload 8 (vipgatectl, VI_2, rs3 and rs2 of :7000 removed): VI_1 kept, VI_2 stopped, 3 real servers removed; 2 new connections to :7000 both to rs1 ($N1 $N2)"
# shellcheck disable=SC2086
after_reload 8 "removals" $TO_RS1
# shellcheck disable=SC2086
[ -n "$TO_RS2" ] && streams_grew $TO_RS2
result $? "reload 8: the stream(s) to rs2, removed from :7000, drain: still up and flowing (docs/operations.md) (bytes:${GREW_DESC:- no stream to rs2})"
T=$(curl_tally "$CL" 4 "http://$VIP/")
[ "$(tally_count "$T" rs3)" = 0 ] && [ "$(tally_count "$T" FAIL)" = 0 ]
result $? "reload 8: new requests to :80 no longer reach rs3 ($(tr '\n' ' ' <<<"$T"))"

# 9: a new service
P81=1; write_cfg
do_reload 9 hup
T=$(curl_tally "$CL" 2 "http://$VIP:81/")
[ "$RELOAD_RC" = 0 ] && [ "$(tally_count "$T" rs3)" = 2 ]
result $? "reload 9 (SIGHUP, service $VIP:81 -> rs3:80 added): done, 2 requests to :81 answered by rs3 ($(tr '\n' ' ' <<<"$T"))"
# shellcheck disable=SC2086
after_reload 9 "new service" $TO_RS1
# shellcheck disable=SC2086
[ -n "$TO_RS2" ] && streams_grew $TO_RS2
result $? "reload 9: the stream(s) to the removed rs2 still drain: up and flowing (bytes:${GREW_DESC:- no stream to rs2})"

# 10: back to the first file
base_vars; write_cfg
do_reload 10 ctl
N1=$(new_stream_server); N2=$(new_stream_server)
T=$(curl_tally "$CL" 1 "http://$VIP:81/" --max-time 1)
[ "$RELOAD_RC" = 0 ] && grep -q 'vrrp: 1 kept' <<<"$RELOAD_OUT" && [ "$(sort <<<"$N1
$N2" | xargs)" = "rs1 rs2" ] && [ "$(tally_count "$T" FAIL)" = 1 ] &&
    [ "$(vs_json "int(any(r['address'] == '$(rs_ip 2)' and r['weight'] == 1 and r['effective_weight'] == 1 for r in svc(80)['real_servers']))")" = 1 ]
result $? "reload 10 (vipgatectl, the first file again): done; 2 new connections to :7000 reach rs1 and rs2 ($N1 $N2); rs2's weight on :80 1; :81 no longer served ($(tr '\n' ' ' <<<"$T"))"
# shellcheck disable=SC2086
after_reload 10 "back to the start" $TO_RS1
# The streams to rs2 again: a stalled one resumes with rs2's next TCP
# retransmission (backoff: allow 8 s).
rc=1
if [ -n "$TO_RS2" ]; then
    for _ in $(seq 1 16); do
        # shellcheck disable=SC2086
        streams_grew $TO_RS2 && { rc=0; break; }
        sleep 0.3
    done
fi
result $rc "reload 10: the stream(s) to rs2, back in :7000, are up and flowing (bytes:${GREW_DESC:- no stream to rs2})"
T=$(curl_tally "$CL" 4 "http://$VIP/")
[ "$(tally_count "$T" rs1)" = 2 ] && [ "$(tally_count "$T" rs2)" = 2 ]
result $? "reload 10: 4 new requests to :80 (wrr 1:1): rs1 2, rs2 2 ($(tr '\n' ' ' <<<"$T"))"

# ------------------------------------------------------------- the end ------
diag "reload times: ${TIMES[*]}"
rc=0; desc=""
for s in $(seq 1 $NSTREAMS); do
    b=$(file_size "$LAB_TMP/stream$s.out")
    r=$("$PY" - "$LAB_TMP/stream$s.out" <<'PY'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
names = {l.split()[0] for l in lines if l.split()}
bad = sum(1 for l in lines if len(l) != 63)
seqs = [int(l.split()[1]) for l in lines if len(l) == 63]
bad += sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)
print(len(lines), bad, "/".join(sorted(n.decode() for n in names)))
sys.exit(1 if bad or len(names) != 1 else 0)
PY
) || rc=1
    desc="$desc s$s: +$((b - BYTES0[$s])) bytes, lines/bad/server $r;"
done
diag "streams across the ten reloads:$desc (to start with:$STREAM_RS)"
result $rc "every stream grew across the ten reloads, its lines intact and in sequence, one server each"
ADV1=$(vrrp_field "$SOCK" VI_1 "r['adverts_sent']")
vrrp_same && [ "$ADV1" -gt "$ADV0" ]
result $? "VI_1: still MASTER, became_master $BECAME, transitions $NTRANS, as before the reloads; adverts_sent $ADV0 -> $ADV1"
r=$(ctl_json "$SOCK" "j['drops'].get('lb_tcp_not_syn', 0), j['drops'].get('lb_reply_no_flow', 0), j['drops'].get('ipv4_not_owned', 0)" show stats json)
[ "$r" = "0 0 0" ]
result $? "no packet of a flow dropped: lb_tcp_not_syn, lb_reply_no_flow, ipv4_not_owned (a real server's reply not recognised) all 0: $r"
kill -0 "$GW_PID" 2>/dev/null && ! grep -Eiq 'segmentation|assert|abort|terminate called' "$LOG"
result $? "vipgate is running; its log has no crash, assertion or abort"
kill -TERM "$GW_PID"
wait_pid_exit "$GW_PID" 10; result $? "vipgate stops on SIGTERM"
diag "whole script: $(fdiff "$EPOCHREALTIME" "$T_START") s"
tap_done
