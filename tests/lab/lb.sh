#!/usr/bin/env bash
# Lab: vipgate as a NAT load balancer (LVS-NAT style) between a client and two
# real servers running small HTTP servers, with two workers on three lcores
# mapped onto the machine's two CPUs (so frames are handed between workers).
# Topology, all inside namespaces made here:
#
#   client segment 10.203.0.0/24 (br0 in vgl-swe-ID)
#     vgl-cl-ID  cl0 10.203.0.10/24 + .11 (client: curl, socat)
#     vgl-ka-ID  ka0 10.203.0.2/24   (keepalived, only for case f)
#     vgl-gw-ID  gw-ext = vipgate ext0 10.203.0.1, VIP 10.203.0.100 (VRRP VI_1)
#   server segment 10.204.0.0/24 (br0 in vgl-swi-ID)
#     vgl-gw-ID  gw-int = vipgate int0 10.204.0.1
#     vgl-rs1-ID rs0 10.204.0.11/24, default via 10.204.0.1, HTTP on 80 and 8080 ("rs1")
#     vgl-rs2-ID rs0 10.204.0.12/24, default via 10.204.0.1, HTTP on 80 and 8080 ("rs2")
#
# Virtual services on the VIP: :80 rr with TCP checks (delay_loop 1 s, retry 1,
# delay_before_retry 0.5 s) -> RS:80; :81 wrr 3:1 -> RS:80; :82 rr with
# persistence_timeout 60 s -> RS:8080.
# Cases: a) spread of 40 requests (rr 20/20 +-1, wrr 30/10 +-2); b)
# persistence; c) show virtual-servers / flows / lcores counters; d) health
# check takes a stopped server out and back; e) disable and weight 0 drain
# (an open connection keeps its server); f) VRRP BACKUP: no forwarding,
# lb_backup counted; back to MASTER when keepalived stops. In d and e a new
# connection that reuses the 4-tuple of a TIME_WAIT flow is scheduled afresh
# (IPVS conn_reuse_mode 1), not sent to the flow's DOWN or weight-0 server. Every request of a tally uses a fresh client port for that
# reason; the client and the servers have TX checksum offload off (lib.sh,
# lab_tx_csum_off). docs/testing.md describes the lab and typical numbers.
source "$(dirname "$0")/lib.sh"

tap_plan 40
LAB_LCORES='0@0,1@1,2@0' # control lcore 0 and workers 1, 2 on two CPUs

VIP=10.203.0.100
EXT_IP=10.203.0.1
CL_IP=10.203.0.10
CL_IP2=10.203.0.11
KA_IP=10.203.0.2
INT_IP=10.204.0.1
RS1=10.204.0.11
RS2=10.204.0.12
VRID=61
GW="vgl-gw-$LAB_ID"; CL="vgl-cl-$LAB_ID"; KA="vgl-ka-$LAB_ID"
R1="vgl-rs1-$LAB_ID"; R2="vgl-rs2-$LAB_ID"; SWE="vgl-swe-$LAB_ID"; SWI="vgl-swi-$LAB_ID"
SOCK="$LAB_TMP/lb.sock"
CFG="$LAB_TMP/lb.yaml"
LOG="$LAB_TMP/vipgate.log"
KA_LOG="$LAB_TMP/ka.log"
T_START=$EPOCHREALTIME
# delay_loop, retry, delay_before_retry of the checked service (VIP:80)
DELAY_LOOP=1
RETRY=1

dump_state() {
    [ -n "${GW_PID:-}" ] && ! kill -0 "$GW_PID" 2>/dev/null && diag "vipgate (pid $GW_PID) is not running"
    diag "---- vipgate log (last 40 lines) ----"
    [ -f "$LOG" ] && tail -40 "$LOG" | while IFS= read -r l; do diag "  $l"; done
    if [ -f "$KA_LOG" ]; then
        diag "---- keepalived log (last 15 lines) ----"
        tail -15 "$KA_LOG" | while IFS= read -r l; do diag "  $l"; done
    fi
    if [ -S "$SOCK" ]; then
        local c
        for c in "show virtual-servers" "show health" "show flows limit 12" "show lcores" "show vrrp" "show arp" \
            "show stats json"; do
            diag "---- $c ----"
            # shellcheck disable=SC2086
            ctl "$SOCK" $c 2>&1 | if [ "$c" = "show stats json" ]; then
                "$PY" -c "import json,sys; j=json.load(sys.stdin); print({k: v for k, v in j['drops'].items() if v})" 2>&1
            else cat; fi | head -40 | while IFS= read -r l; do diag "  $l"; done
        done
    fi
}
# result RC DESC: ok/not_ok, and vipgate's log and state on failure.
result() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; dump_state; fi; }
# vs_json EXPR: EXPR over 'show virtual-servers json' (as j); svc(PORT) and
# rs(PORT, ADDR) pick a service and a real server.
vs_json() {
    ctl "$SOCK" show virtual-servers json | "$PY" -c "
import json, sys
j = json.load(sys.stdin)
def svc(p): return [s for s in j if s['port'] == p][0]
def rs(p, a): return [r for r in svc(p)['real_servers'] if r['address'] == a][0]
print($1)"
}
# rs_state PORT ADDR: up, down or disabled.
rs_state() { vs_json "rs($1, '$2')['state']"; }
# wait_rs_state PORT ADDR STATE SECONDS: poll every 50 ms; print the wall clock when seen.
wait_rs_state() {
    for _ in $(seq 1 $(($4 * 20))); do
        if [ "$(rs_state "$1" "$2" 2>/dev/null)" = "$3" ]; then echo "$EPOCHREALTIME"; return 0; fi
        sleep 0.05
    done
    return 1
}
drop_count() { ctl_json "$SOCK" "j['drops'].get('$1', -1)" show stats json; }
# tally_desc TALLY: "rs1 N, rs2 N[, FAIL N]"
tally_desc() {
    local f; f=$(tally_count "$1" FAIL)
    echo "rs1 $(tally_count "$1" rs1), rs2 $(tally_count "$1" rs2)$([ "$f" = 0 ] || echo ", FAIL $f")"
}
# within A B D: |A - B| <= D
within() { [ "$1" -ge $(($2 - $3)) ] && [ "$1" -le $(($2 + $3)) ]; }

# ---------------------------------------------------------------- the lab ---
if lab_switch "$SWE" && lab_switch "$SWI" &&
    lab_attach "$SWE" se-gw "$GW" gw-ext && lab_attach "$SWE" se-cl "$CL" cl0 "$CL_IP/24" &&
    lab_attach "$SWE" se-ka "$KA" ka0 "$KA_IP/24" &&
    lab_attach "$SWI" si-gw "$GW" gw-int &&
    lab_attach "$SWI" si-r1 "$R1" rs0 "$RS1/24" && lab_attach "$SWI" si-r2 "$R2" rs0 "$RS2/24" &&
    ip -n "$CL" addr add "$CL_IP2/24" dev cl0 &&
    ip -n "$R1" route add default via "$INT_IP" && ip -n "$R2" route add default via "$INT_IP" &&
    lab_tx_csum_off "$CL" cl0 && lab_tx_csum_off "$R1" rs0 && lab_tx_csum_off "$R2" rs0; then
    ok "lab up: client, keepalived and vipgate's ext0 on $SWE; vipgate's int0 and two real servers on $SWI; TX checksum offload off on cl0 and rs0"
else
    not_ok "lab up"; exit 1
fi
GW_MAC=$(mac_of "$GW" gw-ext)

rc=0
for ns_name in "$R1 rs1" "$R2 rs2"; do
    set -- $ns_name
    http_server_start "$1" "$2" 80 || rc=1
    eval "HTTP80_$2=\$HTTP_PID"
    http_server_start "$1" "$2" 8080 || rc=1
done
result $rc "HTTP servers answer on rs1 and rs2, ports 80 and 8080"

cat >"$CFG" <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=gw-ext"
    address: $EXT_IP/24
  - name: int0
    device: "net_af_packet1,iface=gw-int"
    address: $INT_IP/24
dataplane: { workers: 2, mbufs: 8191, rx_descriptors: 256, tx_descriptors: 256, idle_sleep: true }
load_balancing: { flows_per_worker: 4096, persistence_templates: 1024 }
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: $VRID
    priority: 150
    version: 3
    advert_int: 100ms
    virtual_ipaddress: [$VIP]
virtual_servers:
  - address: $VIP
    port: 80
    protocol: tcp
    lb_algo: rr
    delay_loop: ${DELAY_LOOP}s
    connect_timeout: 1s
    retry: $RETRY
    delay_before_retry: 500ms
    real_servers:
      - { address: $RS1, check: { type: tcp } }
      - { address: $RS2, check: { type: tcp } }
  - address: $VIP
    port: 81
    protocol: tcp
    lb_algo: wrr
    real_servers:
      - { address: $RS1, port: 80, weight: 3 }
      - { address: $RS2, port: 80, weight: 1 }
  - address: $VIP
    port: 82
    protocol: tcp
    lb_algo: rr
    persistence_timeout: 60s
    real_servers:
      - { address: $RS1, port: 8080 }
      - { address: $RS2, port: 8080 }
YAML

t0=$EPOCHREALTIME
start_vipgate "$GW" "$CFG" "$SOCK" "$LOG"
GW_PID=$VIPGATE_PID
wait_ctl "$SOCK" 30; result $? "vipgate starts (2 workers on lcores 1 and 2; $LAB_LCORES)"
t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER 5); rc=$?
result $rc "vipgate becomes VRRP MASTER of $VIP ($(fdiff "${t1:-0}" "$t0") s after start)"
# Every checked real server UP after a successful probe (the neighbours are resolved).
for _ in $(seq 1 100); do
    n=$(ctl_json "$SOCK" "sum(1 for r in j if r['state'] == 'UP' and r['successes'] > 0)" show health json 2>/dev/null)
    [ "${n:-0}" = 2 ] && break
    sleep 0.1
done
[ "${n:-0}" = 2 ]; result $? "health checks: both real servers of $VIP:80 UP after a successful probe ($(fdiff "$EPOCHREALTIME" "$t0") s after start)"
s=$(ctl_json "$SOCK" "'; '.join(r['real_server'] + ': ' + r['reason'] for r in j)" show health json)
[ "$(ctl_json "$SOCK" "int(all('success' in r['reason'] for r in j))" show health json)" = 1 ]
result $? "health checks: show health json gives the last probe's result as the reason ($s)"
ip netns exec "$CL" ping -c 2 -i 0.2 -W 1 "$VIP" >/dev/null # ARP both ways, no flow
[ "$(ctl_json "$SOCK" "len(j)" show flows json)" = 0 ]; result $? "no flow before the first request"

# ------------------------------------------------------- a) distribution ----
t0=$EPOCHREALTIME
T=$(curl_tally "$CL" 40 "http://$VIP:80/")
d=$(fdiff "$EPOCHREALTIME" "$t0")
A1=$(tally_count "$T" rs1); A2=$(tally_count "$T" rs2)
diag "a: 40 requests to $VIP:80 (rr) in $d s: $(tally_desc "$T")"
[ "$(tally_count "$T" FAIL)" = 0 ] && [ $((A1 + A2)) = 40 ]; result $? "a: rr: 40 of 40 requests to $VIP:80 answered ($d s)"
within "$A1" 20 1 && within "$A2" 20 1; result $? "a: rr spreads them 20/20 +-1 ($(tally_desc "$T"))"
T=$(curl_tally "$CL" 40 "http://$VIP:81/")
W1=$(tally_count "$T" rs1); W2=$(tally_count "$T" rs2)
diag "a: 40 requests to $VIP:81 (wrr 3:1): $(tally_desc "$T")"
[ "$(tally_count "$T" FAIL)" = 0 ] && within "$W1" 30 2 && within "$W2" 10 2
result $? "a: wrr 3:1 spreads 40 requests 30/10 +-2 ($(tally_desc "$T"))"

# ------------------------------------------------------ b) persistence ------
T=$(curl_tally "$CL" 20 "http://$VIP:82/")
T2=$(curl_tally "$CL" 20 "http://$VIP:82/" --interface "$CL_IP2")
diag "b: 20 requests to $VIP:82 (persistence 60 s) from $CL_IP: $(tally_desc "$T"); from $CL_IP2: $(tally_desc "$T2")"
[ "$(wc -l <<<"$T")" = 1 ] && [ "$(tally_count "$T" FAIL)" = 0 ] && [ "$(awk '{print $1}' <<<"$T")" = 20 ]
result $? "b: persistence: 20 new connections from $CL_IP all go to one real server ($(tally_desc "$T"))"
[ "$(wc -l <<<"$T2")" = 1 ] && [ "$(tally_count "$T2" FAIL)" = 0 ] && [ "$(awk '{print $1}' <<<"$T2")" = 20 ]
result $? "b: persistence: 20 new connections from $CL_IP2 all go to one real server ($(tally_desc "$T2"))"
n=$(ctl_json "$SOCK" "sum(1 for f in j if f['client'].startswith('$CL_IP:'))" show flows "$VIP:82" json)
[ "$n" = 20 ]; result $? "b: show flows $VIP:82 lists the 20 flows of $CL_IP ($n)"

# ------------------------------------------------- c) counters and flows ----
s=$(vs_json "svc(80)['active_conns'], svc(80)['inactive_conns'], svc(80)['packets'], svc(80)['bytes'], rs(80, '$RS1')['active_conns'] + rs(80, '$RS1')['inactive_conns'], rs(80, '$RS2')['active_conns'] + rs(80, '$RS2')['inactive_conns']")
diag "c: show virtual-servers $VIP:80: active, inactive, packets, bytes, conns rs1, conns rs2: $s"
[ "$(vs_json "svc(80)['active_conns'] + svc(80)['inactive_conns']")" = 40 ]
result $? "c: show virtual-servers json: $VIP:80 has 40 connections (active + inactive)"
[ "$(vs_json "rs(80, '$RS1')['active_conns'] + rs(80, '$RS1')['inactive_conns']")" = "$A1" ] &&
    [ "$(vs_json "rs(80, '$RS2')['active_conns'] + rs(80, '$RS2')['inactive_conns']")" = "$A2" ]
result $? "c: ... per real server as the clients counted them (rs1 $A1, rs2 $A2)"
# A request is at least SYN, ACK, GET and FIN from the client, SYN-ACK, data and FIN back.
[ "$(vs_json "int(svc(80)['packets'] >= 40 * 6 and svc(80)['bytes'] > svc(80)['packets'] * 54)")" = 1 ] &&
    [ "$(vs_json "int(rs(80, '$RS1')['packets'] > 0 and rs(80, '$RS2')['packets'] > 0 and rs(80, '$RS1')['packets'] + rs(80, '$RS2')['packets'] == svc(80)['packets'])")" = 1 ]
result $? "c: ... packets and bytes counted, per real server and in total"
ctl "$SOCK" show flows "$VIP:80" json >"$LAB_TMP/flows80.json"
s=$(json_get "$LAB_TMP/flows80.json" "len(j), sum(1 for f in j if f['real_server'] == '$RS1:80'), sum(1 for f in j if f['real_server'] == '$RS2:80'), sorted(set(f['state'] for f in j))")
diag "c: show flows $VIP:80 json: flows, to rs1, to rs2, states: $s"
[ "$(json_get "$LAB_TMP/flows80.json" "int(len(j) == 40 and all(f['protocol'] == 'tcp' and f['virtual'] == '$VIP:80' and f['client'].startswith('$CL_IP:') and f['expires_s'] > 0 for f in j) and sum(1 for f in j if f['real_server'] == '$RS1:80') == $A1 and len(set(f['client'] for f in j)) == 40)")" = 1 ]
result $? "c: show flows $VIP:80 json lists the 40 flows (client, VIP, real server as counted, expiry)"
ctl "$SOCK" show lcores json >"$LAB_TMP/lcores.json"
s=$(json_get "$LAB_TMP/lcores.json" "[(w['worker'], w['lcore'], w['forwarded'], w['flows'], w['handoffs_out'], w['handoffs_in']) for w in j]")
diag "c: show lcores json (worker, lcore, forwarded, flows, handoffs_out, handoffs_in): $s"
[ "$(json_get "$LAB_TMP/lcores.json" "int(len(j) == 2 and all(w['forwarded'] > 0 and w['flows'] > 0 for w in j))")" = 1 ]
result $? "c: show lcores json: both workers forward and own flows"
[ "$(json_get "$LAB_TMP/lcores.json" "int(sum(w['handoffs_out'] for w in j) > 0 and sum(w['handoffs_out'] for w in j) == sum(w['handoffs_in'] for w in j))")" = 1 ]
result $? "c: frames are handed to their owner worker (handoffs_out = handoffs_in > 0)"
[ "$(drop_count lb_handoff_ring_full)" = 0 ] && [ "$(drop_count lb_reply_no_flow)" = 0 ] && [ "$(drop_count lb_tcp_not_syn)" = 0 ]
result $? "c: no lb_handoff_ring_full, lb_reply_no_flow or lb_tcp_not_syn drops"

# --------------------------------------------------------- d) health check --
# First a connection to rs1 from a known client port, closed by the server
# first: vipgate keeps its flow (TIME_WAIT), the client may use the 4-tuple
# again at once.
P_DOWN=""
for p in $(seq 31010 31019); do
    [ "$(http_get_from "$CL" "$CL_IP" "$p" "$VIP" 80)" = rs1 ] && { P_DOWN=$p; break; }
done
LIM=$(awk -v d="$DELAY_LOOP" -v r="$RETRY" 'BEGIN { print d * (1 + r) + 1 }')
t0=$EPOCHREALTIME
stop_pid "$HTTP80_rs1"
t1=$(wait_rs_state 80 "$RS1" down 10); rc=$?
d=$(fdiff "${t1:-0}" "$t0")
diag "d: rs1's HTTP server on :80 stopped -> DOWN in show virtual-servers after $d s (delay_loop $DELAY_LOOP s x (1 + retry $RETRY) = $((DELAY_LOOP * (1 + RETRY))) s)"
[ $rc = 0 ] && fle "$d" "$LIM"; result $? "d: rs1 DOWN $d s after its HTTP server stopped (limit $LIM s)"
s=$(ctl_json "$SOCK" "[(r['state'], r['reason'], r['refused'], r['timeouts']) for r in j if r['virtual_server'].startswith('$VIP:80') and r['real_server'] == '$RS1:80'][0]" show health json)
diag "d: show health, rs1 (state, reason, refused, timeouts): $s"
[ "$(ctl_json "$SOCK" "[r['state'] for r in j if r['virtual_server'].startswith('$VIP:80') and r['real_server'] == '$RS1:80'][0]" show health json)" = DOWN ]
result $? "d: show health json: rs1 DOWN"
T=$(curl_tally "$CL" 20 "http://$VIP:80/")
[ "$(tally_count "$T" rs2)" = 20 ]; result $? "d: 20 requests with rs1 down: all answered by rs2 ($(tally_desc "$T"))"
# IPVS (conn_reuse_mode 1, its default) schedules a SYN that finds a
# TIME_WAIT flow afresh (IPVS conn_reuse_mode 1), so rs2 answers.
r=$(http_get_from "$CL" "$CL_IP" "${P_DOWN:-31010}" "$VIP" 80)
[ -n "$P_DOWN" ] && [ "$r" = rs2 ]
tap_result $? "d: a new connection from client port ${P_DOWN:-(none found)}, whose TIME_WAIT flow went to rs1 (now DOWN), is scheduled afresh: rs2 answers (got '$r')"
http_server_start "$R1" rs1 80; HTTP80_rs1=$HTTP_PID
t0=$EPOCHREALTIME
t1=$(wait_rs_state 80 "$RS1" up 10); rc=$?
d=$(fdiff "${t1:-0}" "$t0")
LIM=$(awk -v d="$DELAY_LOOP" 'BEGIN { print d + 1 }')
diag "d: rs1's HTTP server back -> UP after $d s (delay_loop $DELAY_LOOP s)"
[ $rc = 0 ] && fle "$d" "$LIM"; result $? "d: rs1 UP again $d s after its HTTP server restarted (limit $LIM s)"
T=$(curl_tally "$CL" 20 "http://$VIP:80/")
within "$(tally_count "$T" rs1)" 10 1 && within "$(tally_count "$T" rs2)" 10 1
result $? "d: 20 requests: both real servers answer again, 10/10 +-1 ($(tally_desc "$T"))"

# -------------------------------------------------------------- e) drain ----
# wait_weight ADDR W: until VIP:80's table has effective weight W for ADDR
# (the rebuilt table is what the workers get: a command's answer comes
# before the workers see the change).
wait_weight() {
    for _ in $(seq 1 40); do
        [ "$(vs_json "rs(80, '$1')['effective_weight']" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
name_of() { [ "$1" = "$RS1" ] && echo rs1 || echo rs2; }
other_of() { [ "$1" = "$RS1" ] && echo "$RS2" || echo "$RS1"; }
# An open connection: the client connects, vipgate picks a server, the
# server is disabled, then the request is sent: the same server answers.
CPORT=31000
ip netns exec "$CL" bash -c "{ sleep 1.5; printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1; } |
    socat -t 2 - TCP:$VIP:80,sourceport=$CPORT,reuseaddr,connect-timeout=2" >"$LAB_TMP/open-conn.out" 2>&1 &
OPEN_PID=$!
LAB_PIDS+=("$OPEN_PID")
OPEN_RS=""
for _ in $(seq 1 20); do
    OPEN_RS=$(ctl_json "$SOCK" "([f['real_server'].split(':')[0] for f in j if f['client'] == '$CL_IP:$CPORT'] + [''])[0]" show flows "$VIP:80" limit 1000 json 2>/dev/null)
    [ -n "$OPEN_RS" ] && break
    sleep 0.05
done
OPEN_NAME=$(name_of "$OPEN_RS"); OTHER=$(other_of "$OPEN_RS"); OTHER_NAME=$(name_of "$OTHER")
ctl "$SOCK" real-server "$VIP:80" "$OPEN_RS:80" disable >/dev/null && wait_weight "$OPEN_RS" 0 &&
    [ -n "$OPEN_RS" ] && [ "$(rs_state 80 "$OPEN_RS")" = disabled ]
result $? "e: real-server $VIP:80 $OPEN_RS:80 disable (the server of an open connection from port $CPORT): state disabled, effective weight 0"
T=$(curl_tally "$CL" 20 "http://$VIP:80/")
[ "$(tally_count "$T" "$OTHER_NAME")" = 20 ]; result $? "e: disabled: 20 new requests all go to $OTHER_NAME ($(tally_desc "$T"))"
wait_pid_exit "$OPEN_PID" 6 || kill "$OPEN_PID" 2>/dev/null
wait "$OPEN_PID" 2>/dev/null
grep -qx "$OPEN_NAME" "$LAB_TMP/open-conn.out"
result $? "e: the open connection is still served by the disabled server ($OPEN_NAME): '$(tr '\r\n' '  ' <"$LAB_TMP/open-conn.out" | tail -c 60)'"
ctl "$SOCK" real-server "$VIP:80" "$OPEN_RS:80" enable >/dev/null && wait_weight "$OPEN_RS" 1
T=$(curl_tally "$CL" 20 "http://$VIP:80/")
[ "$(rs_state 80 "$OPEN_RS")" = up ] && within "$(tally_count "$T" rs1)" 10 1 && within "$(tally_count "$T" rs2)" 10 1
result $? "e: enable: both serve again ($(tally_desc "$T"))"
# Weight 0 on the server of a TIME_WAIT flow from a known client port.
P_REUSE=31020
r=$(http_get_from "$CL" "$CL_IP" "$P_REUSE" "$VIP" 80)
[ "$r" = rs1 ] && DRAIN=$RS1 || DRAIN=$RS2
ctl "$SOCK" set real-server "$VIP:80" "$DRAIN:80" weight 0 >/dev/null && wait_weight "$DRAIN" 0
rc=$?
T=$(curl_tally "$CL" 20 "http://$VIP:80/")
[ $rc = 0 ] && [ "$(vs_json "rs(80, '$DRAIN')['weight']")" = 0 ] && [ "$(tally_count "$T" "$(name_of "$(other_of "$DRAIN")")")" = 20 ]
result $? "e: set real-server $VIP:80 $DRAIN:80 weight 0: 20 new requests all go to $(name_of "$(other_of "$DRAIN")") ($(tally_desc "$T"))"
r2=$(http_get_from "$CL" "$CL_IP" "$P_REUSE" "$VIP" 80)
[ "${r#FAIL}" = "$r" ] && [ "$r2" = "$(name_of "$(other_of "$DRAIN")")" ]
tap_result $? "e: a new connection from client port $P_REUSE, whose TIME_WAIT flow went to $(name_of "$DRAIN") (now weight 0), is scheduled afresh: $(name_of "$(other_of "$DRAIN")") answers (got '$r2')"
ctl "$SOCK" set real-server "$VIP:80" "$DRAIN:80" weight 1 >/dev/null && wait_weight "$DRAIN" 1
T=$(curl_tally "$CL" 20 "http://$VIP:80/")
within "$(tally_count "$T" rs1)" 10 1 && within "$(tally_count "$T" rs2)" 10 1
result $? "e: weight 1 again: both serve ($(tally_desc "$T"))"

# ------------------------------------------------------ f) VRRP BACKUP ------
FWD_BEFORE=$(ctl_json "$SOCK" "sum(w['forwarded'] for w in j)" show lcores json)
keepalived_conf "$LAB_TMP/ka.conf" ka0 "$VRID" 200 3 0.1 "" "$VIP"
t0=$EPOCHREALTIME
start_keepalived "$KA" "$LAB_TMP/ka.conf" ka
KA_PID=$KEEPALIVED_PID
t1=$(wait_vrrp_state "$SOCK" VI_1 BACKUP 5); rc=$?
result $rc "f: keepalived (priority 200) starts: vipgate BACKUP after $(fdiff "${t1:-0}" "$t0") s"
ip -n "$CL" neigh flush to "$VIP" dev cl0 2>/dev/null
B0=$(drop_count lb_backup)
T=$(curl_tally "$CL" 3 "http://$VIP:80/" --max-time 1)
m=$(ip -n "$CL" neigh show "$VIP" dev cl0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
[ "$(tally_count "$T" FAIL)" = 3 ] && [ "$m" = "$(mac_of "$KA" ka0)" ]
result $? "f: the client resolves the VIP to keepalived ($m), which does not load-balance: curl fails ($(tally_desc "$T"))"
# The client's frames now go to vipgate's MAC: vipgate sees the traffic and must not forward it.
ip -n "$CL" neigh replace "$VIP" lladdr "$GW_MAC" dev cl0 nud permanent
T=$(curl_tally "$CL" 3 "http://$VIP:80/" --max-time 1)
B1=$(drop_count lb_backup)
FWD_AFTER=$(ctl_json "$SOCK" "sum(w['forwarded'] for w in j)" show lcores json)
diag "f: with the client's ARP entry forced to vipgate's MAC: $(tally_desc "$T"); lb_backup $B0 -> $B1; forwarded $FWD_BEFORE -> $FWD_AFTER"
[ "$(tally_count "$T" FAIL)" = 3 ] && [ "$B1" -gt "$B0" ] && [ "$FWD_AFTER" = "$FWD_BEFORE" ]
result $? "f: BACKUP vipgate drops VIP traffic sent to its MAC: nothing forwarded, lb_backup +$((B1 - B0))"
ip -n "$CL" neigh del "$VIP" dev cl0 2>/dev/null
t0=$EPOCHREALTIME
kill -TERM "$KA_PID"
t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER 5); rc=$?
stop_pid "$KA_PID" 10
result $rc "f: SIGTERM to keepalived (priority 0 advert): vipgate MASTER again after $(fdiff "${t1:-0}" "$t0") s"
T=$(curl_tally "$CL" 10 "http://$VIP:80/")
[ "$(tally_count "$T" FAIL)" = 0 ] && [ "$(tally_count "$T" rs1)" -gt 0 ] && [ "$(tally_count "$T" rs2)" -gt 0 ]
result $? "f: MASTER again: 10 of 10 requests answered by both servers ($(tally_desc "$T"))"

# ------------------------------------------------------------- the end ------
n=$(drop_count lb_handoff_ring_full); m=$(drop_count lb_reply_no_flow)
[ "$n" = 0 ] && [ "$m" = 0 ]; result $? "no lb_handoff_ring_full ($n) or lb_reply_no_flow ($m) drops over the whole run"
t0=$EPOCHREALTIME
kill -TERM "$GW_PID"
wait_pid_exit "$GW_PID" 10; rc=$?
result $rc "vipgate stops on SIGTERM ($(fdiff "$EPOCHREALTIME" "$t0") s)"
diag "whole script: $(fdiff "$EPOCHREALTIME" "$T_START") s"
tap_done
