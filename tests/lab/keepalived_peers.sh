#!/usr/bin/env bash
# Lab: the VRRP features keepalived.sh leaves out, against a real keepalived
# 2.2.7, all VRRP v3 with 0.1 s adverts on one L2 segment:
#
#   vgp-gw-ID  gw0 (vipgate, net_af_packet, 10.203.0.1 in vipgate only) --+
#   vgp-ka-ID  ka0 10.203.0.2/24 (keepalived --vrrp)  ----------------------+-- br0 in vgp-sw-ID
#   vgp-cl-ID  cl0 10.203.0.10/24 (client: arping, ping, dumpcap) ----------+
#
# U) unicast peers: vipgate (150, unicast_peer keepalived, check_unicast_src)
#    and keepalived (100, unicast_src_ip + unicast_peer vipgate): vipgate is
#    master, its adverts go to keepalived's address only (none to
#    224.0.0.18) and keepalived stays backup without a complaint; SIGTERM
#    hands over to keepalived; vipgate (50) restarted is backup and accepts
#    keepalived's unicast adverts; keepalived stopped -> vipgate takes over.
# V) use_vmac: vipgate (150) sends adverts and GARPs from 00:00:5e:00:01:33
#    and answers ARP for the VIP with it; keepalived (100, no VMAC) stays
#    backup; the client reaches the VIP.
# S) sync group G = {VI_1 (VRID 51), VI_2 (VRID 52)} in vipgate, priority 100
#    each, against keepalived VI_1 200 / VI_2 50: VI_2 is held BACKUP by
#    its group although keepalived's VI_2 is weaker; keepalived stopped ->
#    both vipgate members go MASTER together.
source "$(dirname "$0")/lib.sh"

tap_plan 28
VIP=10.203.0.100
VIP2=10.203.0.101
GW_IP=10.203.0.1
KA_IP=10.203.0.2
VMAC=00:00:5e:00:01:33
KA_BAD_RE='nvalid|wrong|mismatch|too (short|long)|unexpected|not present|checksum|ignoring'
GW="vgp-gw-$LAB_ID"; KA="vgp-ka-$LAB_ID"; CL="vgp-cl-$LAB_ID"; SW="vgp-sw-$LAB_ID"
GW_LOG="$LAB_TMP/vipgate.log"; KA_LOG="$LAB_TMP/ka.log"; SOCK=""
: >"$GW_LOG"

dump_logs() {
    [ -n "${GW_PID:-}" ] && ! kill -0 "$GW_PID" 2>/dev/null && diag "vipgate (pid $GW_PID) is not running"
    [ -n "${KA_PID:-}" ] && ! kill -0 "$KA_PID" 2>/dev/null && diag "keepalived (pid $KA_PID) is not running"
    diag "---- vipgate log (last 30 lines) ----"
    [ -f "${GW_CUR_LOG:-}" ] && tail -30 "$GW_CUR_LOG" | while IFS= read -r l; do diag "  $l"; done
    diag "---- keepalived log (last 30 lines) ----"
    [ -f "$KA_LOG" ] && tail -30 "$KA_LOG" | while IFS= read -r l; do diag "  $l"; done
    if [ -n "${SOCK:-}" ] && [ -S "$SOCK" ]; then
        "$VIPGATECTL" -s "$SOCK" -t 1000 show vrrp 2>&1 | while IFS= read -r l; do diag "  $l"; done
    fi
}
result() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; dump_logs; fi; }

# gw_start TAG YAML-BODY: vipgate on gw0 with the vrrp part given; sets SOCK, GW_PID.
gw_start() {
    SOCK="$LAB_TMP/$1.sock"
    {
        cat <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=gw0"
    address: $GW_IP/24
dataplane: { workers: 1, mbufs: 4095, idle_sleep: true }
YAML
        printf '%s\n' "$2"
    } >"$LAB_TMP/$1.yaml"
    start_vipgate "$GW" "$LAB_TMP/$1.yaml" "$SOCK" "$LAB_TMP/$1.log"
    GW_PID=$VIPGATE_PID
    GW_CUR_LOG="$LAB_TMP/$1.log"
    wait_ctl "$SOCK" 30
}
gw_stop() { stop_pid "$GW_PID" 10; cat "$GW_CUR_LOG" >>"$GW_LOG" 2>/dev/null; }
# ka_start TAG CONF-BODY: keepalived with that configuration; sets KA_PID.
ka_start() {
    printf 'global_defs {\n    router_id vgp_%s\n}\n%s\n' "$LAB_ID" "$2" >"$LAB_TMP/ka-$1.conf"
    echo "$EPOCHREALTIME ==== keepalived $1 ====" >>"$KA_LOG"
    start_keepalived "$KA" "$LAB_TMP/ka-$1.conf" ka
    KA_PID=$KEEPALIVED_PID
}
ka_stop() { stop_pid "$KA_PID" 10; }
ka_complaints() { tail -n +"$(($1 + 1))" "$KA_LOG" | grep -cE "$KA_BAD_RE"; }
arping_macs() {
    ip netns exec "$CL" arping -b -c 2 -I cl0 "$1" 2>/dev/null |
        sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/p' | tr 'A-F' 'a-f' | sort -u | xargs
}
count() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }

if lab_switch "$SW" && lab_attach "$SW" sw-gw "$GW" gw0 && lab_attach "$SW" sw-ka "$KA" ka0 "$KA_IP/24" &&
    lab_attach "$SW" sw-cl "$CL" cl0 10.203.0.10/24; then ok "lab up (bridge in $SW, gw0, ka0, cl0)"; else
    not_ok "lab up"; exit 1; fi
KA_MAC=$(mac_of "$KA" ka0)

# ---------------------------------------------------------------- U) unicast
vg_unicast() {
    cat <<YAML
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: 51
    priority: $1
    version: 3
    advert_int: 0.1s
    unicast_peer: [$KA_IP]
    check_unicast_src: true
    virtual_ipaddress: [$VIP]
YAML
}
KA_UNICAST="vrrp_instance VI_1 {
    state BACKUP
    interface ka0
    virtual_router_id 51
    priority 100
    version 3
    advert_int 0.1
    unicast_src_ip $KA_IP
    unicast_peer {
        $GW_IP
    }
    virtual_ipaddress {
        $VIP
    }
}"

CAP_KA="$LAB_TMP/unicast-ka0.pcapng"
capture_start "$KA" ka0 "$CAP_KA"; CAP_KA_PID=$CAPTURE_PID
gw_start u150 "$(vg_unicast 150)"; result $? "U: vipgate (150, unicast peer $KA_IP) starts"
wait_vrrp_state "$SOCK" VI_1 MASTER 5 >/dev/null; result $? "U: vipgate becomes MASTER"
n=$(log_lines "$KA_LOG")
ka_start unicast "$KA_UNICAST"
log_wait "$KA_LOG" 'Entering BACKUP STATE' 10 "$n" >/dev/null; result $? "U: keepalived (100, unicast) enters BACKUP"
sleep 2
! tail -n +"$((n + 1))" "$KA_LOG" | grep -q 'Entering MASTER STATE'
result $? "U: keepalived never became MASTER in 2 s of vipgate's unicast adverts"
c=$(ka_complaints "$n"); [ "$c" = 0 ]; result $? "U: keepalived logged no complaint about vipgate's adverts ($c)"
capture_stop "$CAP_KA_PID"
uni=$(count "$CAP_KA" "vrrp && ip.src==$GW_IP && ip.dst==$KA_IP && eth.dst==$KA_MAC && vrrp.checksum.status==1")
mc=$(count "$CAP_KA" "vrrp && ip.src==$GW_IP && ip.dst==224.0.0.18")
diag "U: on ka0: $uni unicast adverts from vipgate with a good checksum, $mc multicast ones"
[ "$uni" -ge 15 ] && [ "$mc" = 0 ]; result $? "U: vipgate's adverts go by unicast to $KA_IP only ($uni unicast, $mc multicast)"

n=$(log_lines "$KA_LOG")
gw_stop
t=$(log_wait "$KA_LOG" 'Entering MASTER STATE' 5 "$n"); result $? "U: SIGTERM vipgate -> keepalived MASTER (priority 0 by unicast)"
ip -n "$KA" -4 addr show dev ka0 | grep -q " $VIP/"; result $? "U: the VIP is on ka0"

gw_start u50 "$(vg_unicast 50)"; result $? "U: vipgate (50) starts again"
sleep 1.5
s=$(vrrp_field "$SOCK" VI_1 "r['state'], r['master_address'], r['adverts_received'], r['rejected_total'], r['became_master']")
diag "U: vipgate state, master, received, rejected, became_master: $s"
[ "$(vrrp_field "$SOCK" VI_1 "r['state'] == 'BACKUP' and r['master_address'] == '$KA_IP' and r['became_master'] == 0")" = True ]
result $? "U: vipgate (50) is BACKUP with master $KA_IP"
[ "$(vrrp_field "$SOCK" VI_1 "r['adverts_received'] >= 10 and r['rejected_total'] == 0")" = True ]
result $? "U: vipgate accepts keepalived's unicast adverts, rejects none"
t0=$EPOCHREALTIME
ka_stop
t=$(wait_vrrp_state "$SOCK" VI_1 MASTER 3); result $? "U: keepalived stopped -> vipgate MASTER ($(fdiff "${t:-0}" "$t0") s)"
gw_stop

# ---------------------------------------------------------------- V) use_vmac
CAP_CL="$LAB_TMP/vmac-cl0.pcapng"
capture_start "$CL" cl0 "$CAP_CL"; CAP_CL_PID=$CAPTURE_PID
n=$(log_lines "$KA_LOG")
ka_start vmac "vrrp_instance VI_1 {
    state BACKUP
    interface ka0
    virtual_router_id 51
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VIP
    }
}"
log_wait "$KA_LOG" 'Entering MASTER STATE' 10 "$n" >/dev/null; result $? "V: keepalived (100) alone becomes MASTER"
n=$(log_lines "$KA_LOG")
gw_start v150 "vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: 51
    priority: 150
    version: 3
    advert_int: 0.1s
    use_vmac: true
    virtual_ipaddress: [$VIP]"
result $? "V: vipgate (150, use_vmac) starts"
wait_vrrp_state "$SOCK" VI_1 MASTER 5 >/dev/null; result $? "V: vipgate preempts and becomes MASTER"
log_wait "$KA_LOG" 'Entering BACKUP STATE' 5 "$n" >/dev/null; result $? "V: keepalived goes BACKUP"
sleep 1
c=$(ka_complaints "$n"); [ "$c" = 0 ]; result $? "V: keepalived logged no complaint about vipgate's VMAC adverts ($c)"
m=$(arping_macs "$VIP"); [ "$m" = "$VMAC" ]; result $? "V: arping for the VIP answered by the VMAC only ($m)"
ip netns exec "$CL" ping -c 3 -i 0.2 -W 1 "$VIP" >/dev/null; result $? "V: the client pings the VIP"
capture_stop "$CAP_CL_PID"
adv=$(count "$CAP_CL" "vrrp && ip.src==$GW_IP && eth.src==$VMAC")
adv_port=$(count "$CAP_CL" "vrrp && ip.src==$GW_IP && !(eth.src==$VMAC)")
garp=$(count "$CAP_CL" "arp && eth.src==$VMAC && arp.src.hw_mac==$VMAC && arp.src.proto_ipv4==$VIP && arp.dst.proto_ipv4==$VIP")
diag "V: adverts from the VMAC $adv, from another MAC $adv_port, GARPs from the VMAC $garp"
[ "$adv" -ge 5 ] && [ "$adv_port" = 0 ]; result $? "V: every vipgate advert leaves from $VMAC ($adv)"
[ "$garp" -ge 1 ]; result $? "V: gratuitous ARP for the VIP from the VMAC ($garp)"
gw_stop
ka_stop

# ---------------------------------------------------------------- S) sync group
n=$(log_lines "$KA_LOG")
ka_inst() {
    printf 'vrrp_instance %s {\n    state BACKUP\n    interface ka0\n    virtual_router_id %s\n    priority %s\n    version 3\n    advert_int 0.1\n    virtual_ipaddress {\n        %s\n    }\n}\n' "$@"
}
ka_start sync "$(ka_inst VI_1 51 200 "$VIP")
$(ka_inst VI_2 52 50 "$VIP2")"
log_wait "$KA_LOG" '\(VI_2\) Entering MASTER STATE' 10 "$n" >/dev/null
result $? "S: keepalived VI_1 (200) and VI_2 (50) start; VI_2 becomes MASTER"
vg_inst() {
    printf '  - name: %s\n    port: ext0\n    virtual_router_id: %s\n    priority: 100\n    version: 3\n    advert_int: 0.1s\n    virtual_ipaddress: [%s]\n' "$@"
}
gw_start s100 "vrrp_instances:
$(vg_inst VI_1 51 "$VIP")
$(vg_inst VI_2 52 "$VIP2")
vrrp_sync_groups:
  - name: G
    group: [VI_1, VI_2]"
result $? "S: vipgate with sync group G = {VI_1, VI_2}, priority 100 each, starts"
sleep 1.5
s1=$(vrrp_field "$SOCK" VI_1 "r['state']"); s2=$(vrrp_field "$SOCK" VI_2 "r['state']")
diag "S: vipgate VI_1 $s1, VI_2 $s2"
[ "$s1" = BACKUP ] && [ "$s2" = BACKUP ]
result $? "S: both members BACKUP: VI_1 to a stronger master, VI_2 held by its group although keepalived's VI_2 is weaker ($s1, $s2)"
! tail -n +"$((n + 1))" "$KA_LOG" | grep -F '(VI_2) Entering BACKUP STATE' | grep -vqF '(init)'
result $? "S: keepalived's VI_2 stays MASTER (vipgate's VI_2 never advertised over it)"
ka_stop
t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER 3); r1=$?
t2=$(wait_vrrp_state "$SOCK" VI_2 MASTER 1); r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ]; result $? "S: keepalived stopped -> both members MASTER"
why=$(vrrp_field "$SOCK" VI_1 "r['transitions'][-1]['reason']")
why2=$(vrrp_field "$SOCK" VI_2 "r['transitions'][-1]['reason']")
diag "S: last transitions: VI_1 '$why', VI_2 '$why2'"
case "$why$why2" in *"sync group G"*) true ;; *) false ;; esac
result $? "S: one member went MASTER for the group (reason names sync group G)"
gw_stop

tap_done
