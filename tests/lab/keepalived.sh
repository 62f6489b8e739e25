#!/usr/bin/env bash
# Lab: vipgate and a real keepalived 2.2.7 in one VRRP group (VRID 51, VIP
# 10.202.0.100), for VRRP v2 (PASS auth "secret12", advert_int 1 s) and v3
# (advert_int 0.1 s, no auth). Topology, all inside namespaces made here:
#
#   vgl-gw-ID  gw0 (vipgate, net_af_packet, 10.202.0.1 in vipgate only) --+
#   vgl-ka-ID  ka0 10.202.0.2/24 (keepalived --vrrp)  ----------------------+-- br0 in vgl-sw-ID
#   vgl-cl-ID  cl0 10.202.0.10/24 (client: arping, ping, dumpcap) ----------+
#
# Per version: a) vipgate 150 vs keepalived 100 -> vipgate master;
# d) SIGTERM vipgate -> keepalived takes over after Skew_Time;
# b) keepalived 200 vs vipgate 100 -> keepalived master, vipgate backup;
# c) ka0 down -> vipgate master within Master_Down_Interval, GARPs seen;
# e) ka0 up -> keepalived (200) preempts; set vrrp priority 250 -> vipgate
#    preempts; f) every vipgate advert in the capture is valid VRRP with a
#    good checksum (tshark and an independent scapy computation).
# Times are measured on the client's capture (frame timestamps).
source "$(dirname "$0")/lib.sh"

tap_plan 64
VIP=10.202.0.100
GW_IP=10.202.0.1
KA_IP=10.202.0.2
VRID=51
KA_BAD_RE='nvalid|wrong|mismatch|too (short|long)|unexpected|not present|checksum'

# Expected timers (seconds), as keepalived computes them (vrrp.h:433-436).
# skew VER ADV PRIO; mdi VER ADV PRIO
skew() { awk -v v="$1" -v a="$2" -v p="$3" 'BEGIN {
    if (v == 2) printf "%.6f\n", (256 - p) / 256; else printf "%.6f\n", int((256 - p) * int(a * 100 + 0.5) * 625 / 16) / 1e6 }'; }
mdi() { awk -v a="$2" -v s="$(skew "$1" "$2" "$3")" 'BEGIN { printf "%.6f\n", 3 * a + s }'; }
fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a + b }'; }

# cap_times CAP DISPLAY_FILTER: frame times (epoch seconds), one per line.
cap_times() { tshark -r "$1" -Y "$2" -T fields -e frame.time_epoch 2>/dev/null; }

dump_logs() {
    [ -n "${KA_PID:-}" ] && ! kill -0 "$KA_PID" 2>/dev/null && diag "keepalived (pid $KA_PID) is not running"
    [ -n "${GW_PID:-}" ] && ! kill -0 "$GW_PID" 2>/dev/null && diag "vipgate (pid $GW_PID) is not running"
    diag "---- vipgate log (last 40 lines) ----"
    [ -f "$GW_LOG" ] && tail -40 "$GW_LOG" | sed 's/^/  /' | while IFS= read -r l; do diag "$l"; done
    diag "---- keepalived log (last 40 lines) ----"
    [ -f "$KA_LOG" ] && tail -40 "$KA_LOG" | sed 's/^/  /' | while IFS= read -r l; do diag "$l"; done
    if [ -n "${SOCK:-}" ] && [ -S "$SOCK" ]; then
        diag "---- show vrrp VI_1 ----"
        "$VIPGATECTL" -s "$SOCK" -t 1000 show vrrp VI_1 2>&1 | while IFS= read -r l; do diag "  $l"; done
    fi
}
# result OK DESC: ok/not_ok, and the logs on failure.
result() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; dump_logs; fi; }

# vipgate_yaml FILE PRIORITY
vipgate_yaml() {
    {
        cat <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=gw0"
    address: $GW_IP/24
dataplane: { workers: 1, mbufs: 4095, idle_sleep: true }
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: $VRID
    priority: $2
    version: $VER
    advert_int: ${ADV}s
YAML
        [ -n "$PASS" ] && echo "    authentication: { auth_type: PASS, auth_pass: \"$PASS\" }"
        echo "    virtual_ipaddress: [$VIP]"
    } >"$1"
}

# gw_start PRIORITY TAG: vipgate with its own socket/log; sets SOCK, GW_PID.
gw_start() {
    SOCK="$LAB_TMP/v$VER$2.sock"
    vipgate_yaml "$LAB_TMP/v$VER$2.yaml" "$1"
    echo "==== vipgate priority $1 ($2) ====" >>"$GW_LOG"
    start_vipgate "$GW" "$LAB_TMP/v$VER$2.yaml" "$SOCK" "$LAB_TMP/v$VER$2.log"
    GW_PID=$VIPGATE_PID
    wait_ctl "$SOCK" 30
    local rc=$?
    cat "$LAB_TMP/v$VER$2.log" >>"$GW_LOG"
    GW_CUR_LOG="$LAB_TMP/v$VER$2.log"
    return $rc
}
gw_stop() { stop_pid "$GW_PID" 10; cat "$GW_CUR_LOG" >>"$GW_LOG" 2>/dev/null; }
# ka_start PRIORITY: keepalived with priority PRIORITY; sets KA_PID.
ka_start() {
    echo "$EPOCHREALTIME ==== keepalived priority $1 ====" >>"$KA_LOG"
    keepalived_conf "$LAB_TMP/ka-v$VER-$1.conf" ka0 "$VRID" "$1" "$VER" "$ADV" "$PASS" "$VIP"
    start_keepalived "$KA" "$LAB_TMP/ka-v$VER-$1.conf" "ka-v$VER"
    KA_PID=$KEEPALIVED_PID
}
ka_stop() { stop_pid "$KA_PID" 10; }
vip_on_ka() { ip -n "$KA" -4 addr show dev ka0 | grep -q " $VIP/"; }
# arping_macs: the MACs that answered a broadcast ARP for the VIP (sorted, unique).
arping_macs() {
    ip netns exec "$CL" arping -b -c 2 -I cl0 "$VIP" 2>/dev/null |
        sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/p' | tr 'A-F' 'a-f' | sort -u | xargs
}

run_version() {
    VER="$1" ADV="$2" PASS="$3"
    local v="v$VER" t0 t1 d m s n rc
    GW="vgl-gw-$LAB_ID$v"; KA="vgl-ka-$LAB_ID$v"; CL="vgl-cl-$LAB_ID$v"; SW="vgl-sw-$LAB_ID$v"
    GW_LOG="$LAB_TMP/vipgate-$v.log"; KA_LOG="$LAB_TMP/ka-$v.log"; SOCK=""
    : >"$GW_LOG"
    diag "==== VRRP v$VER, advert_int $ADV s${PASS:+, PASS auth}; Master_Down(100) $(mdi "$VER" "$ADV" 100) s, Skew(100) $(skew "$VER" "$ADV" 100) s ===="
    if lab_switch "$SW" && lab_attach "$SW" sw-gw "$GW" gw0 && lab_attach "$SW" sw-ka "$KA" ka0 "$KA_IP/24" &&
        lab_attach "$SW" sw-cl "$CL" cl0 10.202.0.10/24; then ok "$v: lab up (bridge in $SW, gw0, ka0, cl0)"; else
        not_ok "$v: lab up"; return 1; fi
    GW_MAC=$(mac_of "$GW" gw0); KA_MAC=$(mac_of "$KA" ka0)
    diag "vipgate MAC $GW_MAC, keepalived MAC $KA_MAC"
    local CAP_ALL="$LAB_TMP/$v-all.pcapng"
    capture_start "$CL" cl0 "$CAP_ALL"; local CAP_ALL_PID=$CAPTURE_PID

    # ---- a) vipgate 150 vs keepalived 100 ----
    if gw_start 150 a; then ok "$v a: vipgate (priority 150) starts"; else
        not_ok "$v a: vipgate (priority 150) starts"; dump_logs; capture_stop "$CAP_ALL_PID"; return 1; fi
    ka_start 100
    t0=$EPOCHREALTIME
    t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER "$(awk -v m="$(mdi "$VER" "$ADV" 150)" 'BEGIN{print int(m)+5}')"); rc=$?
    result $rc "$v a: vipgate becomes MASTER ($(fdiff "${t1:-0}" "$t0") s after keepalived started)"
    log_wait "$KA_LOG" 'Entering BACKUP STATE' 5 >/dev/null; rc=$?
    sleep "$(awk -v a="$ADV" 'BEGIN{print 3*a}')"
    ! grep -q 'Entering MASTER STATE' "$KA_LOG" && [ $rc = 0 ]
    result $? "$v a: keepalived logs 'Entering BACKUP STATE' and never enters MASTER"
    ! vip_on_ka; result $? "$v a: the VIP is not on ka0"
    ! grep -Eq "$KA_BAD_RE" "$KA_LOG"; result $? "$v a: keepalived accepts vipgate's adverts (no receive errors in its log)"
    m=$(arping_macs)
    [ "$m" = "$GW_MAC" ]; result $? "$v a: arping for the VIP answered by vipgate's MAC only ($m)"
    ip netns exec "$CL" ping -c 5 -i 0.2 -W 1 "$VIP" | grep -q ' 0% packet loss'
    result $? "$v a: ping to the VIP from the client: 5 of 5 answered"

    # ---- d) clean stop: SIGTERM vipgate -> keepalived after Skew_Time ----
    local CAP="$LAB_TMP/$v-d.pcapng"
    capture_start "$CL" cl0 "$CAP"; local cpid=$CAPTURE_PID
    n=$(log_lines "$KA_LOG")
    t0=$EPOCHREALTIME
    kill -TERM "$GW_PID"
    t1=$(log_wait "$KA_LOG" 'Entering MASTER STATE' 5 "$n"); rc=$?
    wait_pid_exit "$GW_PID" 10; gw_stop
    sleep 0.3
    capture_stop "$cpid"
    local z k
    z=$(cap_times "$CAP" "vrrp && ip.src==$GW_IP && vrrp.prio==0" | head -1)
    k=$(cap_times "$CAP" "vrrp && ip.src==$KA_IP && vrrp.prio==100" | head -1)
    s=$(skew "$VER" "$ADV" 100)
    local lim; lim=$(fadd "$s" "$( [ "$VER" = 2 ] && echo 0.5 || echo 0.15)")
    [ -n "$z" ]; result $? "$v d: SIGTERM: vipgate sends a priority 0 advert ($(fdiff "${z:-0}" "$t0") s after the signal)"
    if [ $rc = 0 ] && [ -n "$z" ] && [ -n "$k" ]; then
        d=$(fdiff "$k" "$z")
        diag "$v d: priority 0 -> keepalived's first advert $d s; signal -> 'Entering MASTER STATE' $(fdiff "$t1" "$t0") s (Skew_Time $s s)"
        fle "$d" "$lim"; result $? "$v d: keepalived takes over $d s after the priority 0 advert (Skew_Time $s s, limit $lim s)"
    else
        not_ok "$v d: keepalived takes over after the priority 0 advert (no takeover seen)"; dump_logs
    fi
    vip_on_ka; result $? "$v d: the VIP is on ka0"
    ka_stop

    # ---- b) keepalived 200 vs vipgate 100 ----
    n=$(log_lines "$KA_LOG")
    ka_start 200
    log_wait "$KA_LOG" 'Entering MASTER STATE' 10 "$n" >/dev/null; rc=$?
    result $rc "$v b: keepalived (priority 200) alone becomes MASTER"
    ip netns exec "$CL" ping -c 1 -W 1 "$VIP" >/dev/null # the client's ARP entry: keepalived's MAC
    if gw_start 100 b; then ok "$v b: vipgate (priority 100) starts"; else
        not_ok "$v b: vipgate (priority 100) starts"; dump_logs; capture_stop "$CAP_ALL_PID"; return 1; fi
    # Longer than vipgate's own Master_Down_Interval: it must hear keepalived.
    sleep "$(awk -v m="$(mdi "$VER" "$ADV" 100)" 'BEGIN{print m+1}')"
    s=$(vrrp_field "$SOCK" VI_1 "r['state'], r['master_address'], r['rejected_total'], r['adverts_received'], r['adverts_sent']")
    diag "$v b: vipgate state, master, rejected, received, sent: $s"
    [ "$(vrrp_field "$SOCK" VI_1 "r['state']")" = BACKUP ]; result $? "$v b: vipgate is BACKUP"
    [ "$(vrrp_field "$SOCK" VI_1 "r['master_address']")" = "$KA_IP" ]; result $? "$v b: vipgate's master_address is $KA_IP"
    [ "$(vrrp_field "$SOCK" VI_1 "r['rejected_total']")" = 0 ]; result $? "$v b: vipgate rejected 0 of keepalived's adverts"
    [ "$(vrrp_field "$SOCK" VI_1 "int(r['adverts_received'] > 0 and r['adverts_sent'] == 0 and r['became_master'] == 0)")" = 1 ]
    result $? "$v b: vipgate received adverts, sent none and never became master"
    m=$(arping_macs)
    [ "$m" = "$KA_MAC" ]; result $? "$v b: arping for the VIP answered by keepalived's MAC only ($m)"
    # If vipgate answered, say whether it took over meanwhile (adverts missed
    # while the machine was starved) or answered as BACKUP (a bug).
    [ "$m" = "$KA_MAC" ] || diag "$v b: after arping, vipgate state, became_master, adverts_received: $(vrrp_field "$SOCK" VI_1 "r['state'], r['became_master'], r['adverts_received']")"

    # ---- c) failover: ka0 down -> vipgate master within Master_Down_Interval ----
    CAP="$LAB_TMP/$v-c.pcapng"
    capture_start "$CL" cl0 "$CAP"; cpid=$CAPTURE_PID
    sleep "$(fadd "$ADV" 0.2)" # at least one keepalived advert in the capture
    m=$(mdi "$VER" "$ADV" 100)
    t0=$EPOCHREALTIME
    ip -n "$KA" link set ka0 down
    t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER "$(awk -v m="$m" 'BEGIN{print int(m)+4}')"); rc=$?
    sleep 0.5
    capture_stop "$cpid"
    result $rc "$v c: vipgate becomes MASTER after ka0 goes down (seen $(fdiff "${t1:-0}" "$t0") s after link down)"
    local last first
    last=$(cap_times "$CAP" "vrrp && ip.src==$KA_IP" | tail -1)
    first=$(cap_times "$CAP" "vrrp && ip.src==$GW_IP" | head -1)
    lim=$(fadd "$m" "$( [ "$VER" = 2 ] && echo 1 || echo 0.25)")
    if [ -n "$last" ] && [ -n "$first" ]; then
        d=$(fdiff "$first" "$last")
        diag "$v c: keepalived's last advert -> vipgate's first advert $d s (Master_Down_Interval $m s); link down -> first advert $(fdiff "$first" "$t0") s"
        fle "$d" "$lim" && fle "$(fadd "$m" -0.03)" "$d"
        result $? "$v c: takeover $d s after keepalived's last advert (Master_Down_Interval $m s, allowed $(fadd "$m" -0.03)..$lim s)"
    else
        not_ok "$v c: takeover time (adverts missing in the capture: last ka '$last', first vipgate '$first')"; dump_logs
    fi
    n=$(tshark -r "$CAP" -Y "arp.opcode==1 && arp.src.proto_ipv4==$VIP && arp.dst.proto_ipv4==$VIP && arp.src.hw_mac==$GW_MAC && eth.src==$GW_MAC && eth.dst==ff:ff:ff:ff:ff:ff" 2>/dev/null | wc -l)
    [ "$n" -ge 5 ]; result $? "$v c: the client sees vipgate's gratuitous ARPs for the VIP ($n, expected a burst of 5)"
    d=$(ip -n "$CL" neigh show "$VIP" dev cl0 | awk '{for(i=1;i<NF;i++) if ($i=="lladdr") print $(i+1)}')
    [ "$d" = "$GW_MAC" ]; result $? "$v c: the client's ARP entry for the VIP now points at vipgate ($d)"
    ip netns exec "$CL" ping -c 5 -i 0.2 -W 1 "$VIP" | grep -q ' 0% packet loss'
    result $? "$v c: ping to the VIP after the failover: 5 of 5 answered"

    # ---- e) preemption: keepalived 200 back -> preempts; vipgate 250 -> preempts ----
    n=$(log_lines "$KA_LOG")
    m=$(mdi "$VER" "$ADV" 200)
    t0=$EPOCHREALTIME
    ip -n "$KA" link set ka0 up
    t1=$(wait_vrrp_state "$SOCK" VI_1 BACKUP "$(awk -v m="$m" 'BEGIN{print int(m)+5}')"); rc=$?
    log_wait "$KA_LOG" 'Entering MASTER STATE' 3 "$n" >/dev/null && [ $rc = 0 ]
    result $? "$v e: ka0 up: keepalived (200) preempts vipgate (100) after $(fdiff "${t1:-0}" "$t0") s (its Master_Down_Interval $m s)"
    [ "$(vrrp_field "$SOCK" VI_1 "r['master_address']")" = "$KA_IP" ] && vip_on_ka
    result $? "$v e: vipgate BACKUP of $KA_IP, the VIP on ka0"
    n=$(log_lines "$KA_LOG")
    m=$(mdi "$VER" "$ADV" 250)
    t0=$EPOCHREALTIME
    "$VIPGATECTL" -s "$SOCK" set vrrp VI_1 priority 250 >/dev/null
    t1=$(wait_vrrp_state "$SOCK" VI_1 MASTER "$(awk -v m="$m" 'BEGIN{print int(m)+4}')"); rc=$?
    d=$(fdiff "${t1:-0}" "$t0")
    [ $rc = 0 ] && fle "$d" "$(fadd "$m" "$( [ "$VER" = 2 ] && echo 1 || echo 0.3)")"
    result $? "$v e: set vrrp VI_1 priority 250: vipgate preempts after $d s (Master_Down_Interval(250) $m s)"
    log_wait "$KA_LOG" 'Entering BACKUP STATE' 3 "$n" >/dev/null && sleep 0.2 && ! vip_on_ka
    result $? "$v e: keepalived enters BACKUP and drops the VIP"
    [ "$(vrrp_field "$SOCK" VI_1 "r['effective_priority']")" = 250 ]; result $? "$v e: vipgate's effective priority is 250"
    ! grep -Eq "$KA_BAD_RE" "$KA_LOG"; result $? "$v: keepalived logged no receive errors for the whole run"
    [ "$(vrrp_field "$SOCK" VI_1 "r['rejected_total']")" = 0 ]; result $? "$v: vipgate rejected no advert"
    ka_stop
    gw_stop
    capture_stop "$CAP_ALL_PID"

    # ---- f) every advert vipgate sent is valid VRRP with a good checksum ----
    local rows="$LAB_TMP/$v-adverts.txt"
    tshark -r "$CAP_ALL" -Y "ip.src==$GW_IP && ip.proto==112" -T fields -E separator=' ' \
        -e frame.number -e ip.ttl -e ip.dst -e eth.src -e vrrp.version -e vrrp.type -e vrrp.virt_rtr_id \
        -e vrrp.checksum.status -e vrrp.ip_addr -e vrrp.auth_string >"$rows" 2>/dev/null
    n=$(wc -l <"$rows")
    local want="255 224.0.0.18 $GW_MAC $VER 1 $VRID 1 $VIP${PASS:+ $PASS}"
    bad=$(awk -v w="$want" '{ r=$2; for (i=3;i<=NF;i++) r=r" "$i; if (r != w) print }' "$rows" | head -5)
    [ "$n" -ge 5 ] && [ -z "$bad" ]
    result $? "$v f: tshark: all $n adverts from vipgate are VRRPv$VER, TTL 255, to 224.0.0.18, checksum Good"
    [ -z "$bad" ] || diag "$v f: unexpected rows (frame ttl dst src ver type vrid cksum vip auth): $bad"
    n=$(tshark -r "$CAP_ALL" -Y "ip.src==$KA_IP && vrrp && vrrp.checksum.status!=1" 2>/dev/null | wc -l)
    diag "$v f: keepalived adverts that tshark $(tshark -v 2>/dev/null | head -1 | awk '{print $2, $3}') flags as not Good: $n"
    "$PY" - "$CAP_ALL" "$GW_IP" <<'PY' >"$LAB_TMP/$v-scapy.out" 2>&1
import sys, struct, socket
from scapy.all import rdpcap, IP
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
n = bad = 0
for p in rdpcap(sys.argv[1]):
    if IP not in p or p[IP].proto != 112 or p[IP].src != sys.argv[2]: continue
    ip = p[IP]; msg = bytes(ip.payload)[: ip.len - ip.ihl * 4]
    ver = msg[0] >> 4; got = struct.unpack("!H", msg[6:8])[0]
    z = msg[:6] + b"\0\0" + msg[8:]
    if ver == 3:
        z = socket.inet_aton(ip.src) + socket.inet_aton(ip.dst) + struct.pack("!BBH", 0, 112, len(msg)) + z
    n += 1
    if csum(z) != got:
        bad += 1; print("bad checksum: v%d got %04x want %04x" % (ver, got, csum(z)))
print("%d adverts, %d bad" % (n, bad))
sys.exit(0 if n and not bad else 1)
PY
    rc=$?
    result $rc "$v f: scapy cross-check of every vipgate checksum ($(tail -1 "$LAB_TMP/$v-scapy.out"))"
}

run_version 2 1 secret12
run_version 3 0.1 ""
tap_done
