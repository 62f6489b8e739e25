#!/usr/bin/env bash
# Lab: a vipgate pair (A and B) that must keep connections across failover
# through flow-state sync (issue 11, docs/ha.md). Topology, all inside
# namespaces made here:
#
#   client LAN 10.211.0.0/24, br0 in vgp-swe-ID
#     vgp-cl-ID   cl0 10.211.0.10/24: pair_flows.py client (6 TCP + 2 UDP flows to VIP)
#     vgp-a-ID    a-ext: vipgate A ext0 10.211.0.1    VI_1 (VRID 111) VIP 10.211.0.100
#     vgp-b-ID    b-ext: vipgate B ext0 10.211.0.2
#   server LAN 10.212.0.0/24, br0 in vgp-swi-ID
#     vgp-a-ID    a-int: vipgate A int0 10.212.0.1    VI_2 (VRID 112) VIP 10.212.0.100
#     vgp-b-ID    b-int: vipgate B int0 10.212.0.2
#     vgp-rsN-ID  rs0 10.212.0.1N/24 (N = 1, 2), default via 10.212.0.100 (the
#                 internal VIP: replies go to whichever vipgate is master);
#                 pair_flows.py server: TCP line echo :7000, UDP echo :7001
#   sync LAN 10.213.0.0/24, br0 in vgp-sws-ID (switch ports ss-a, ss-b: the
#                 5 % loss case drops there, nftables netdev ingress)
#     vgp-a-ID    a-sync: vipgate A sync0 10.213.0.1
#     vgp-b-ID    b-sync: vipgate B sync0 10.213.0.2
#
# VI_1 and VI_2 are one VRRP sync group (G) on each node; VRRPv3, 100 ms
# adverts; A priority 150, B 100 (preempt on). Services: VIP:7000/tcp and
# VIP:7001/udp, lb_algo rr over rs1 and rs2. Both vipgates run one worker with
# idle_sleep (two gateways, four servers' worth of processes on 2 CPUs).
#
# Scenarios: (1) the master's death (SIGKILL, its links down); (2) its fresh
# return with an empty table, and preemption; (3) `vrrp VI_1 resign` on the
# master, then `resume`; (4) `reload` on both nodes; (5) 5 % loss on the sync
# path (new connections opened under loss, then a resign); (6) a connection
# closed on the master is gone on the backup (`show flows json`).
#
# The switch (PAIR_SYNC=auto|on|off, default auto): sync is "wired" when
# `vipgate --check-config` accepts a `sync:` section AND both started
# vipgates answer `show sync`. Wired: every scenario runs with sync on and
# every flow must survive. Not wired: only scenario (1) runs, as the
# BASELINE ("before sync" in docs/ha.md): the VIP must move in time and new
# connections must work, the survival checks are `# SKIP sync not wired` and
# the figures (flows lost, longest gap) are printed. PAIR_SYNC_YAML replaces
# the sync section written into both configs (default below). PAIR_SYNC=on
# runs every scenario whatever the detection says; with PAIR_SYNC_YAML=""
# (no sync section) that shows today's behaviour in each of them.
source "$(dirname "$0")/lib.sh"

tap_plan 22
T_START=$EPOCHREALTIME
FLOWS_PY="$SRC/tests/lab/pair_flows.py"

VIP=10.211.0.100
IVIP=10.212.0.100
CL_IP=10.211.0.10
NCONN=6
NUDP=2 # rr gives one to each server: a flow the new master schedules afresh may land elsewhere
TCP_PORT=7000
UDP_PORT=7001
UDP_SRC=37001
VRID1=111
VRID2=112
SURVIVE_S=6     # a flow that has not answered for this long after an event is lost
GAP_LIMIT_MS=4000 # a survivor's longest gap: the VIP moves in ~0.4 s, TCP's next retransmission follows
MOVE_LIMIT=1.5  # s from the master's death to the backup seen MASTER (MDI(100) 0.361 s)
SWE="vgp-swe-$LAB_ID"; SWI="vgp-swi-$LAB_ID"; SWS="vgp-sws-$LAB_ID"
CL="vgp-cl-$LAB_ID"; NA="vgp-a-$LAB_ID"; NB="vgp-b-$LAB_ID"
R1="vgp-rs1-$LAB_ID"; R2="vgp-rs2-$LAB_ID"
SA="$LAB_TMP/a.sock"; SB="$LAB_TMP/b.sock"
STATUSES=() # the status file of every running client set; its tag is in its name
GEN=0       # client generation (a new set when a scenario starts with lost flows)
PAIR_SYNC="${PAIR_SYNC:-auto}"
# A control experiment, not the test: PAIR_LB_ALGO=mh PAIR_SLOPPY=1 (with
# PAIR_SYNC=on PAIR_SYNC_YAML=) is IPVS's workaround, sloppy_tcp plus a
# consistent hash, under which TCP connections survive without any sync.
LB_ALGO="${PAIR_LB_ALGO:-rr}"
SLOPPY="${PAIR_SLOPPY:-0}"
# The sync sections tried, in order, until `vipgate --check-config` takes one
# (the keys are issue 11's; @PEER@ is the other node's sync0 address).
SYNC_CANDIDATES=(
    "sync: { port: sync0, instance: VI_1, id: 42 }"
    "sync: { port: sync0, instance: VI_1 }"
    "sync: { port: sync0 }"
    "sync: { port: sync0, instance: VI_1, id: 42, peers: [@PEER@] }"
)
SYNC_YAML="${PAIR_SYNC_YAML-${SYNC_CANDIDATES[0]}}"
SYNC_KNOWN_BUT_REFUSED=0
SYNC=0 # 1 once sync is found wired (or forced)
SYNC_WHY=""

# --------------------------------------------------------------- helpers ---
node_ip() { # NODE(a|b) NET(211|212|213)
    echo "10.$2.0.$([ "$1" = a ] && echo 1 || echo 2)"
}
# node_yaml NODE PRIORITY WITH_SYNC(0|1): the node's config file, printed.
node_yaml() {
    local n="$1" p="$2"
    cat <<YAML
ports:
  - { name: ext0, device: "net_af_packet0,iface=$n-ext", address: $(node_ip "$n" 211)/24 }
  - { name: int0, device: "net_af_packet1,iface=$n-int", address: $(node_ip "$n" 212)/24 }
  - { name: sync0, device: "net_af_packet2,iface=$n-sync", address: $(node_ip "$n" 213)/24 }
dataplane: { workers: 1, mbufs: 4095, rx_descriptors: 256, tx_descriptors: 256, idle_sleep: true }
load_balancing: { flows_per_worker: 4096, persistence_templates: 1024$([ "$SLOPPY" = 1 ] && echo ", sloppy_tcp: true") }
vrrp_instances:
  - { name: VI_1, port: ext0, virtual_router_id: $VRID1, priority: $p, version: 3, advert_int: 100ms,
      virtual_ipaddress: [$VIP] }
  - { name: VI_2, port: int0, virtual_router_id: $VRID2, priority: $p, version: 3, advert_int: 100ms,
      virtual_ipaddress: [$IVIP] }
vrrp_sync_groups:
  - { name: G, group: [VI_1, VI_2] }
virtual_servers:
  - address: $VIP
    port: $TCP_PORT
    protocol: tcp
    lb_algo: $LB_ALGO$(case $LB_ALGO in sh | mh) printf '\n    hash_port: true' ;; esac)
    real_servers: [{ address: 10.212.0.11 }, { address: 10.212.0.12 }]
  - address: $VIP
    port: $UDP_PORT
    protocol: udp
    lb_algo: $LB_ALGO$(case $LB_ALGO in sh | mh) printf '\n    hash_port: true' ;; esac)
    real_servers: [{ address: 10.212.0.11 }, { address: 10.212.0.12 }]
YAML
    [ "$3" = 1 ] && echo "${SYNC_YAML//@PEER@/$(node_ip "$([ "$n" = a ] && echo b || echo a)" 213)}"
    true
}

# sync_config_accepted: vipgate --check-config takes a config with one of
# the sync sections (PAIR_SYNC_YAML if given, else SYNC_CANDIDATES); sets
# SYNC_YAML to it. When it knows the key `sync` but refuses all of them,
# SYNC_KNOWN_BUT_REFUSED=1: the lab's guess of the syntax needs updating.
sync_config_accepted() {
    local c cands=("${SYNC_CANDIDATES[@]}")
    [ -n "${PAIR_SYNC_YAML+x}" ] && cands=("$PAIR_SYNC_YAML")
    for c in "${cands[@]}"; do
        SYNC_YAML=$c
        node_yaml a 150 1 >"$LAB_TMP/check-sync.yaml"
        "$VIPGATE" --check-config -c "$LAB_TMP/check-sync.yaml" >"$LAB_TMP/check-sync.out" 2>&1 && return 0
        grep -q "unknown key 'sync'" "$LAB_TMP/check-sync.out" && return 1
    done
    SYNC_KNOWN_BUT_REFUSED=1
    return 1
}

# node_start NODE PRIORITY: vipgate NODE (its lcores mirrored: A's worker on
# CPU 1, B's on CPU 0); sets A_PID / B_PID. 0 when its socket answers.
node_start() {
    local n="$1" sock ns lc
    if [ "$n" = a ]; then sock=$SA ns=$NA lc='0@0,1@1'; else sock=$SB ns=$NB lc='0@1,1@0'; fi
    node_yaml "$n" "$2" "$WITH_SYNC" >"$LAB_TMP/$n.yaml"
    echo "==== $(date +%T.%3N) start (priority $2, sync section $WITH_SYNC) ====" >>"$LAB_TMP/$n.all.log"
    LAB_LCORES=$lc start_vipgate "$ns" "$LAB_TMP/$n.yaml" "$sock" "$LAB_TMP/$n.log"
    if [ "$n" = a ]; then A_PID=$VIPGATE_PID; else B_PID=$VIPGATE_PID; fi
    wait_ctl "$sock" 30
}
save_log() { cat "$LAB_TMP/$1.log" >>"$LAB_TMP/$1.all.log" 2>/dev/null; }

# state SOCK: "VI_1-state VI_2-state" ("? ?" when it does not answer).
state() {
    local s1 s2
    s1=$(vrrp_field "$1" VI_1 "r['state']" 2>/dev/null) || s1="?"
    s2=$(vrrp_field "$1" VI_2 "r['state']" 2>/dev/null) || s2="?"
    echo "${s1:-?} ${s2:-?}"
}
# wait_both SOCK STATE SECONDS: VI_1 and VI_2 both in STATE; prints when seen.
wait_both() {
    local i
    for i in $(seq 1 $(($3 * 10))); do
        if [ "$(state "$1")" = "$2 $2" ]; then echo "$EPOCHREALTIME"; return 0; fi
        sleep 0.05
    done
    return 1
}

dump_state() {
    local n s
    for n in a b; do
        s=$SA; [ "$n" = b ] && s=$SB
        diag "---- vipgate $n: log (last 15 lines) ----"
        tail -15 "$LAB_TMP/$n.log" 2>/dev/null | while IFS= read -r l; do diag "  $l"; done
        if [ -S "$s" ] && ctl "$s" show info >/dev/null 2>&1; then
            diag "---- vipgate $n: VRRP $(state "$s"); drops: $(ctl_json "$s" "{k: v for k, v in j['drops'].items() if v}" show stats json 2>&1)"
            ctl "$s" show flows limit 12 2>&1 | while IFS= read -r l; do diag "  $l"; done
        fi
    done
    [ -f "$LAB_TMP/report.txt" ] && while IFS= read -r l; do diag "  $l"; done <"$LAB_TMP/report.txt"
}
# took T1 T0: "N.NNN s" from T0 to T1, or "never" when T1 is empty.
took() { if [ -n "$1" ]; then echo "$(fdiff "$1" "$2") s"; else echo never; fi; }
result() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; dump_state; fi; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }

# flows_report SINCE: the report of every client (pair_flows.py report) in
# $LAB_TMP/report.txt; FLOWS_SUMMARY "alive A/N, longest gap G ms"; 0 when
# every flow is alive (an answer within the last second, no error, UDP on
# one real server).
flows_report() {
    local st rc=0 tag alive=0 total=0 gap=0
    : >"$LAB_TMP/report.txt"
    for st in "${STATUSES[@]}"; do
        tag=$(basename "$st" .json); tag=${tag#flows-}
        "$PY" "$FLOWS_PY" report --status "$st" --since "$1" --tag "$tag" >>"$LAB_TMP/report.txt" 2>&1 || rc=1
    done
    local ag=0
    while read -r _ _ n _ a _ _ _ g _ _ _ _ _ x; do
        total=$((total + n)); alive=$((alive + a)); gap=$((g > gap ? g : gap)); ag=$((x > ag ? x : ag))
    done < <(grep '^SUMMARY' "$LAB_TMP/report.txt")
    FLOWS_GAP=$gap FLOWS_ALIVE_GAP=$ag
    FLOWS_SUMMARY="alive $alive/$total, longest gap $gap ms"
    return $rc
}
# wait_flows SINCE SECONDS: until every flow is alive (0), or SECONDS pass (1).
wait_flows() {
    local end
    end=$(awk -v a="$EPOCHREALTIME" -v s="$2" 'BEGIN { printf "%.3f", a + s }')
    sleep 0.5
    while :; do
        flows_report "$1" && return 0
        fle "$end" "$EPOCHREALTIME" && return 1
        sleep 0.25
    done
}
report_diag() { grep -v '^SUMMARY' "$LAB_TMP/report.txt" | while IFS= read -r l; do diag "  $l"; done; }

# flow_on SOCK PORT: "STATE" of the flow from the client's PORT to VIP:7000 in
# SOCK's `show flows json`, or "absent".
flow_on() {
    ctl "$1" show flows "$VIP:$TCP_PORT" limit 1000 json 2>/dev/null | "$PY" -c "
import json, sys
r = [f for f in json.load(sys.stdin) if f['client'] == '$CL_IP:$2']
print(r[0]['state'] if r else 'absent')" 2>/dev/null || echo "?"
}

# ---------------------------------------------------------------- the lab ---
rc=0
lab_switch "$SWE" && lab_switch "$SWI" && lab_switch "$SWS" || rc=1
for n in a b; do
    ns=$NA; [ "$n" = b ] && ns=$NB
    lab_attach "$SWE" "se-$n" "$ns" "$n-ext" && lab_attach "$SWI" "si-$n" "$ns" "$n-int" &&
        lab_attach "$SWS" "ss-$n" "$ns" "$n-sync" || rc=1
done
lab_attach "$SWE" se-cl "$CL" cl0 "$CL_IP/24" && lab_tx_csum_off "$CL" cl0 || rc=1
for i in 1 2; do
    ns=$R1; [ $i = 2 ] && ns=$R2
    lab_attach "$SWI" "si-r$i" "$ns" rs0 "10.212.0.1$i/24" && ip -n "$ns" route add default via "$IVIP" &&
        lab_tx_csum_off "$ns" rs0 || rc=1
    ip netns exec "$ns" "$PY" "$FLOWS_PY" server --name "rs$i" --tcp-port $TCP_PORT --udp-port $UDP_PORT \
        --max-secs 400 </dev/null >>"$LAB_TMP/rs$i.log" 2>&1 &
    LAB_PIDS+=($!)
done
for ns in "$R1" "$R2"; do
    for _ in $(seq 1 100); do
        ip netns exec "$ns" ss -Htln "sport = :$TCP_PORT" | grep -q LISTEN && break
        sleep 0.05
    done
    ip netns exec "$ns" ss -Htln "sport = :$TCP_PORT" | grep -q LISTEN || rc=1
done
result $rc "lab up: client, A and B on the client LAN; A, B, rs1 and rs2 on the server LAN; A and B on the sync LAN; echo servers listen"
[ $rc = 0 ] || exit 1

# ---- the switch: is sync wired? ----
WITH_SYNC=0
case "$PAIR_SYNC" in
on) SYNC=1 SYNC_WHY="PAIR_SYNC=on"
    [ -n "$SYNC_YAML" ] && WITH_SYNC=1 ;;
off) SYNC_WHY="PAIR_SYNC=off" ;;
*)
    if sync_config_accepted; then WITH_SYNC=1; else
        SYNC_WHY="vipgate --check-config refuses a sync: section ($(head -1 "$LAB_TMP/check-sync.out" | sed 's/^.*: //'))"
    fi
    if [ $SYNC_KNOWN_BUT_REFUSED = 1 ]; then
        SYNC_WHY="vipgate knows sync: but refuses every section this lab tries: update SYNC_CANDIDATES ($(head -3 "$LAB_TMP/check-sync.out" | tr '\n' ' '))"
    fi ;;
esac

t0=$EPOCHREALTIME
node_start a 150 && tA=$(wait_both "$SA" MASTER 10) && node_start b 100 && sleep 0.5 &&
    [ "$(state "$SB")" = "BACKUP BACKUP" ]
rc=$?
[ $SYNC_KNOWN_BUT_REFUSED = 0 ] || rc=1 # never a silent baseline once sync exists
result $rc "A (150) MASTER of VI_1 and VI_2 $(took "${tA:-}" "$t0") after its start; B (100) started and BACKUP of both$([ $SYNC_KNOWN_BUT_REFUSED = 0 ] || echo "; SYNC SECTION REFUSED: $SYNC_WHY")"
if [ "$PAIR_SYNC" = auto ] && [ "$WITH_SYNC" = 1 ]; then
    if ctl "$SA" show sync >/dev/null 2>&1 && ctl "$SB" show sync >/dev/null 2>&1; then SYNC=1
        SYNC_WHY="the config accepts sync: and both nodes answer show sync"
    else SYNC_WHY="the config accepts sync: but 'show sync' does not answer: the wiring is not there yet"; fi
fi
diag "sync: $([ $SYNC = 1 ] && echo ON || echo "OFF (baseline)") -- $SYNC_WHY; config sync section: $([ $WITH_SYNC = 1 ] && echo "$SYNC_YAML" || echo none)"

# ---- the clients ----
# clients_start TAG CONNS UDP_FLOWS: a client set (pair_flows.py client) with
# its status file $LAB_TMP/flows-TAG.json; UDP source ports by generation.
clients_start() {
    local st="$LAB_TMP/flows-$1.json"
    ip netns exec "$CL" "$PY" "$FLOWS_PY" client --dst "$VIP" --tcp-port $TCP_PORT --udp-port $UDP_PORT \
        --udp-src-port $((UDP_SRC + 10 * GEN)) --udp-flows "$3" --conns "$2" --tag "$1" --status "$st" \
        --max-secs 300 </dev/null >>"$LAB_TMP/client-$1.log" 2>&1 &
    LAB_PIDS+=($!)
    STATUSES+=("$st")
}
# clients_fresh: before a scenario, every flow must be alive, or the
# scenario would measure the last one's losses: if some are not (the last
# scenario failed, or PAIR_SYNC=on without sync), stop every client set and
# start a new generation.
clients_fresh() {
    local now st
    now=$(fdiff "$EPOCHREALTIME" 1)
    flows_report "$now" && return 0
    diag "flows lost before this scenario ($FLOWS_SUMMARY): a new set of clients"
    for st in "${STATUSES[@]}"; do touch "$st.stop"; done
    STATUSES=()
    GEN=$((GEN + 1))
    now=$EPOCHREALTIME
    clients_start "g${GEN}c" $NCONN $NUDP
    wait_flows "$now" 5 || diag "the new clients are not all up: $FLOWS_SUMMARY"
}
clients_start c $NCONN $NUDP
T_CLIENT=$EPOCHREALTIME
wait_flows "$T_CLIENT" 5 && sleep 1 && flows_report "$T_CLIENT" &&
    grep -q 'server rs1' "$LAB_TMP/report.txt" && grep -q 'server rs2' "$LAB_TMP/report.txt"
result $? "$NCONN long-lived TCP connections and $NUDP UDP flows through $VIP answer ($LB_ALGO: both servers reached; $FLOWS_SUMMARY)"
report_diag

# event_flows N DESC SINCE [PRE_RC]: the survival checks after an event at
# SINCE; PRE_RC non-zero (the event itself did not happen, e.g. the VIP did
# not move) fails the check whatever the flows did.
event_flows() {
    local rc
    wait_flows "$3" "$SURVIVE_S" && [ "$FLOWS_GAP" -le $GAP_LIMIT_MS ] && [ "${4:-0}" = 0 ]; rc=$?
    result $rc "($1) $2: every flow survives, longest gap at most $GAP_LIMIT_MS ms ($FLOWS_SUMMARY)"
}

# ------------------------------------------------------ (1) master killed ---
udp_line() { awk '$2 == "udp"' "$LAB_TMP/report.txt" | sed 's/  */ /g'; }
scenario_kill() {
    local t0 t1 rc nf udp_b
    # Did B have the UDP flow before? (With sync: the master's record.)
    udp_b=$(ctl "$SB" show flows "$VIP:$UDP_PORT/udp" limit 1000 json 2>/dev/null | "$PY" -c "
import json, sys
r = [f['real_server'] for f in json.load(sys.stdin) if f['client'].startswith('$CL_IP:')]
print('entries to ' + ', '.join(r) if r else 'no entry for them')" 2>/dev/null)
    t0=$EPOCHREALTIME
    kill -KILL "$A_PID"
    for i in ext int sync; do ip -n "$NA" link set "a-$i" down; done
    t1=$(wait_both "$SB" MASTER 5); rc=$?
    wait "$A_PID" 2>/dev/null; save_log a
    MOVE_S=$(fdiff "${t1:-$EPOCHREALTIME}" "$t0")
    [ $rc = 0 ] && fle "$MOVE_S" "$MOVE_LIMIT"
    result $? "(1) A killed (SIGKILL) and its links down: B MASTER of VI_1 and VI_2 after $MOVE_S s (limit $MOVE_LIMIT s; Master_Down_Interval(100) 0.361 s)"
    nf=$(ip netns exec "$CL" "$PY" "$FLOWS_PY" hold --dst "$VIP" --src-port 31101 --hold 0 2>&1 | tr '\n' ' ')
    [[ "$nf" == connected* ]]
    result $? "(1) a new connection through the VIP works on B ($nf)"
    if [ $SYNC = 1 ]; then
        event_flows 1 "A's death" "$t0"
        flows_report "$t0"
        [ "$(udp_line | grep -c ' alive ')" = "$NUDP" ]
        result $? "(1) the UDP flows keep their real servers ($(udp_line | tr '\n' ';'); B before the failover: $udp_b)"
    else
        # The baseline: how long is long enough to call a flow lost? TCP's
        # retransmission backoff (0.2, 0.4, 0.8, 1.6 s...) would bring a flow
        # whose state is there back within ~3 s; SURVIVE_S is 6 s.
        wait_flows "$t0" "$SURVIVE_S"
        flows_report "$t0"
        local tcp_lost udp_lost udp
        tcp_lost=$(awk '$2 == "tcp" && $3 != "alive"' "$LAB_TMP/report.txt" | wc -l)
        udp_lost=$(udp_line | grep -vc ' alive ')
        udp="$(udp_line | tr '\n' ';') B before the failover: $udp_b"
        BASE_TCP_LOST=$tcp_lost BASE_UDP_LOST=$udp_lost BASE_GAP=$FLOWS_ALIVE_GAP
        diag "BASELINE (before sync): $tcp_lost of $NCONN TCP connections lost (no answer for $SURVIVE_S s: stalled for good), $udp_lost of $NUDP UDP flows moved to another server; longest gap of a surviving flow $FLOWS_ALIVE_GAP ms; VIP moved in $MOVE_S s"
        diag "BASELINE: UDP flows: $udp"
        diag "BASELINE: B's drops: $(ctl_json "$SB" "{k: v for k, v in j['drops'].items() if v}" show stats json 2>&1)"
        report_diag
        skip "(1) A's death: every TCP connection survives ($tcp_lost of $NCONN lost)" "sync not wired"
        skip "(1) the UDP flows keep their real servers ($udp_lost of $NUDP moved)" "sync not wired"
    fi
}

# ----------------------------------------- (2) fresh return, preemption ---
scenario_return() {
    local t0 t1 rc n
    for i in ext int sync; do ip -n "$NA" link set "a-$i" up; done
    t0=$EPOCHREALTIME
    t1=""
    node_start a 150 && t1=$(wait_both "$SA" MASTER 20) && sleep 0.3 && [ "$(state "$SB")" = "BACKUP BACKUP" ]
    result $? "(2) A restarted (empty table) preempts: MASTER of both $(took "$t1" "$t0") after its start, B BACKUP"
    event_flows 2 "A's return and preemption" "$t0"
    n=$(ctl_json "$SA" "len([f for f in j if f['client'].startswith('$CL_IP:')])" show flows limit 1000 json 2>/dev/null)
    [ "${n:-0}" -ge $((NCONN + NUDP)) ]
    result $? "(2) A's flow table holds the client's flows after the bulk resync (${n:-?}, want >= $((NCONN + NUDP)))"
}

# ------------------------------------------------------ (3) resign/resume ---
scenario_resign() {
    local t0 t1
    t0=$EPOCHREALTIME
    # Then 1 s more: B stays MASTER (the resigned A must not come back
    # through its sync group's other member before `resume`).
    local rc
    t1=""
    ctl "$SA" vrrp VI_1 resign >/dev/null && t1=$(wait_both "$SB" MASTER 5) && sleep 1 &&
        [ "$(state "$SB")" = "MASTER MASTER" ] && [ "$(state "$SA")" = "BACKUP BACKUP" ]
    rc=$?
    result $rc "(3) vrrp VI_1 resign on A: B MASTER of VI_1 and VI_2 after $(took "$t1" "$t0") and 1 s later (A: $(state "$SA"), B: $(state "$SB"))"
    event_flows 3 "resign (B master)" "$t0" $rc
    clients_fresh
    t0=$EPOCHREALTIME
    t1=""
    ctl "$SA" vrrp VI_1 resume >/dev/null && t1=$(wait_both "$SA" MASTER 5)
    rc=$?
    result $rc "(3) vrrp VI_1 resume on A: A MASTER of both again after $(took "$t1" "$t0") (B: $(state "$SB"))"
    event_flows 3 "resume (A master again)" "$t0" $rc
}

# ---------------------------------------------------------- (4) reload ---
scenario_reload() {
    local t0 ra rb n0 n1
    n0=$(vrrp_field "$SA" VI_1 "len(r['transitions'])")
    t0=$EPOCHREALTIME
    ra=$(ctl "$SA" reload 2>&1); local rca=$?
    rb=$(ctl "$SB" reload 2>&1); local rcb=$?
    sleep 0.5
    n1=$(vrrp_field "$SA" VI_1 "len(r['transitions'])")
    [ $rca = 0 ] && [ $rcb = 0 ] && [ "$n0" = "$n1" ] && [ "$(state "$SA")" = "MASTER MASTER" ]
    result $? "(4) reload on A and B: both done, A still MASTER with no new transition ($(head -c 120 <<<"$ra" | tr '\n' ' '))"
    [ $rcb = 0 ] || diag "B's reload: $rb"
    event_flows 4 "reload on both nodes" "$t0"
}

# ---------------------------------------------------- (5) loss on sync ---
scenario_loss() {
    local t0 t1 rc=0 # (the loss table goes with the namespace on any exit)
    ip netns exec "$SWS" nft -f - <<'NFT' || rc=1
table netdev vgp_loss {
    chain ss_a { type filter hook ingress device "ss-a" priority 0; numgen random mod 100 < 5 counter drop; }
    chain ss_b { type filter hook ingress device "ss-b" priority 0; numgen random mod 100 < 5 counter drop; }
}
NFT
    result $rc "(5) 5 % loss on both sync switch ports (nftables netdev ingress, numgen random mod 100 < 5 drop)"
    clients_start "g${GEN}l" 4 0
    sleep 2.5 # the new flows' records cross the lossy link (retransmitted as needed)
    t0=$EPOCHREALTIME
    ctl "$SA" vrrp VI_1 resign >/dev/null && t1=$(wait_both "$SB" MASTER 5) && sleep 1 &&
        [ "$(state "$SB")" = "MASTER MASTER" ]
    rc=$?
    event_flows 5 "4 connections opened under 5 % sync loss, then a resign ($([ $rc = 0 ] &&
        echo "B MASTER after $(took "$t1" "$t0")" || echo "B NOT MASTER: A $(state "$SA"), B $(state "$SB")"))" "$t0" $rc
    clients_fresh
    t0=$EPOCHREALTIME
    ctl "$SA" vrrp VI_1 resume >/dev/null && wait_both "$SA" MASTER 5 >/dev/null
    rc=$?
    event_flows 5 "resume under loss ($([ $rc = 0 ] && echo "A MASTER again" || echo "A NOT MASTER: $(state "$SA")"))" "$t0" $rc
    diag "(5) sync frames dropped: $(ip netns exec "$SWS" nft list table netdev vgp_loss 2>/dev/null | grep -o 'packets [0-9]*' | tr '\n' ' ')"
    ip netns exec "$SWS" nft delete table netdev vgp_loss 2>/dev/null
}

# ------------------------------------------- (6) closed on the master ---
scenario_close() {
    local hp s_open s_master s_backup
    ip netns exec "$CL" "$PY" "$FLOWS_PY" hold --dst "$VIP" --src-port 31006 --hold 2 \
        >"$LAB_TMP/hold.out" 2>&1 &
    hp=$!
    LAB_PIDS+=("$hp")
    sleep 1.2
    s_open="A $(flow_on "$SA" 31006), B $(flow_on "$SB" 31006)"
    [ "$s_open" = "A ESTABLISHED, B ESTABLISHED" ]
    local on_b=$?
    result $on_b "(6) a connection from port 31006 is on the master and, synced, on the backup while open ($s_open)"
    wait_pid_exit "$hp" 6
    sleep 1
    s_master=$(flow_on "$SA" 31006); s_backup=$(flow_on "$SB" 31006)
    # "Gone" means it was there (above) and is not ESTABLISHED any more:
    # deleted, or in the master's closing state.
    [ $on_b = 0 ] && grep -q 'closed cleanly' "$LAB_TMP/hold.out" &&
        [ "${s_backup,,}" != established ] && [ "$s_backup" != "?" ] &&
        { [ "$s_backup" = absent ] || [ "$s_backup" = "$s_master" ]; }
    result $? "(6) closed cleanly on the master: gone on the backup (master: $s_master, backup: $s_backup; $(tr '\n' ' ' <"$LAB_TMP/hold.out" 2>/dev/null))"
}

scenario_kill
if [ $SYNC = 1 ]; then
    for sc in return resign reload loss close; do
        clients_fresh
        "scenario_$sc"
    done
else
    why="sync not wired"
    skip "(2) A restarted (empty table) preempts only once in sync" "$why"
    skip "(2) every flow survives A's return and preemption" "$why"
    skip "(2) A's flow table holds the client's flows after the bulk resync" "$why"
    skip "(3) vrrp VI_1 resign on A: B MASTER" "$why"
    skip "(3) every flow survives the resign" "$why"
    skip "(3) vrrp VI_1 resume on A: A MASTER again" "$why"
    skip "(3) every flow survives the resume" "$why"
    skip "(4) reload on A and B, no transition" "$why"
    skip "(4) every flow survives the reloads" "$why"
    skip "(5) 5 % loss on the sync path" "$why"
    skip "(5) flows opened under loss survive a resign" "$why"
    skip "(5) flows survive the resume under loss" "$why"
    skip "(6) an open connection is on the backup" "$why"
    skip "(6) a connection closed on the master is gone on the backup" "$why"
fi

# ------------------------------------------------------------- the end ---
rc=0
RUNNING="b"; [ $SYNC = 1 ] && RUNNING="a b" # in the baseline A stays dead after (1)
for n in $RUNNING; do
    pid=$A_PID; [ "$n" = b ] && pid=$B_PID
    kill -0 "$pid" 2>/dev/null || rc=1
    ! cat "$LAB_TMP/$n.all.log" "$LAB_TMP/$n.log" 2>/dev/null |
        grep -Eiq 'segmentation|assert|abort|terminate called' || rc=1
done
result $rc "$([ $SYNC = 1 ] && echo "A and B are" || echo "B is") running; no crash, assertion or abort in the logs"
for st in "${STATUSES[@]}"; do touch "$st.stop"; done
if [ $SYNC = 1 ]; then
    diag "FIGURES (sync on): VIP moved in ${MOVE_S:-?} s after A's death; see each scenario's longest gap above"
else
    diag "FIGURES (baseline, no sync): A's death: VIP moved in ${MOVE_S:-?} s; ${BASE_TCP_LOST:-?} of $NCONN TCP connections lost, ${BASE_UDP_LOST:-?} of $NUDP UDP flows moved to another real server; longest gap of a surviving flow ${BASE_GAP:-?} ms"
fi
diag "whole script: $(fdiff "$EPOCHREALTIME" "$T_START") s"
tap_done
