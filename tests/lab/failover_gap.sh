#!/usr/bin/env bash
# Measurement, not a test (meson does not run it): how long a client loses
# the VIP when the VRRP master's link is cut, for
#   vipgate master   -> keepalived takes over
#   keepalived master -> vipgate takes over
#   keepalived master -> keepalived takes over (the reference pair)
# each with VRRP v2 (advert_int 1 s, PASS auth) and v3 (advert_int 0.1 s).
#
# Lab (all in namespaces made here): a bridge in vgl-sw-ID; the master and
# the backup (priority 150 and 100) and a client (10.202.0.10) on veth pairs
# to it. The client pings the VIP every 10 ms (ping -D -O); the master's
# switch port is set down ("cable pulled at the switch"); the gap is the
# longest time between two answered pings (also reported: the longest run of
# unanswered icmp_seq, and the real mean interval: ping -i 0.01 sends about
# every 16 ms here). The cut happens at a random phase of the advert interval.
# Expected: Master_Down_Interval(100) minus the time since the master's last
# advert when the link was cut, i.e. 2.61..3.61 s for v2 1 s and
# 0.26..0.36 s for v3 0.1 s, plus the time for the client to learn the new MAC
# (the new master's gratuitous ARPs).
#
# Usage (root): tests/lab/failover_gap.sh [REPS]   (default 3 runs per cell)
# Prints a markdown table on stdout; progress on stderr.
# Environment: VIPGATE_BUILD_DIR (default ./build), LAB_KEEP=1 keeps $LAB_TMP,
# PAIRS (default "vipgate:keepalived keepalived:vipgate keepalived:keepalived",
# master:backup) and VERSIONS (default "2 3") to measure a subset.

export VIPGATE_SOURCE_DIR="${VIPGATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
export VIPGATE_BUILD_DIR="${VIPGATE_BUILD_DIR:-$VIPGATE_SOURCE_DIR/build}"
source "$(dirname "$0")/lib.sh"

REPS="${1:-3}"
VIP=10.202.0.100
VRID=51
[ "$(id -u)" = 0 ] || { echo "failover_gap.sh: needs root" >&2; exit 2; }
[ -x "$VIPGATE" ] || { echo "failover_gap.sh: $VIPGATE not built" >&2; exit 2; }

log() { echo "[$(date +%T)] $*" >&2; }
mdi() { awk -v v="$1" -v a="$2" -v p="$3" 'BEGIN {
    s = (v == 2) ? (256 - p) / 256 : int((256 - p) * int(a * 100 + 0.5) * 625 / 16) / 1e6
    printf "%.3f\n", 3 * a + s }'; }

# node_start KIND NS IF IP PRIO TAG: KIND vipgate or keepalived. Sets NODE_PID, NODE_SOCK.
node_start() {
    local kind="$1" ns="$2" ifc="$3" ip="$4" prio="$5" tag="$6"
    if [ "$kind" = vipgate ]; then
        {
            cat <<YAML
ports:
  - name: ext0
    device: "net_af_packet0,iface=$ifc"
    address: $ip/24
dataplane: { workers: 1, mbufs: 4095, idle_sleep: true }
vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: $VRID
    priority: $prio
    version: $VER
    advert_int: ${ADV}s
YAML
            [ -n "$PASS" ] && echo "    authentication: { auth_type: PASS, auth_pass: \"$PASS\" }"
            echo "    virtual_ipaddress: [$VIP]"
        } >"$LAB_TMP/$tag.yaml"
        NODE_SOCK="$LAB_TMP/$tag.sock"
        start_vipgate "$ns" "$LAB_TMP/$tag.yaml" "$NODE_SOCK" "$LAB_TMP/$tag.log"
        NODE_PID=$VIPGATE_PID
        wait_ctl "$NODE_SOCK" 30
    else
        NODE_SOCK=""
        keepalived_conf "$LAB_TMP/$tag.conf" "$ifc" "$VRID" "$prio" "$VER" "$ADV" "$PASS" "$VIP"
        start_keepalived "$ns" "$LAB_TMP/$tag.conf" "$tag"
        NODE_PID=$KEEPALIVED_PID
    fi
}
# node_wait KIND TAG SOCK STATE SECONDS [AFTER_LINE]
node_wait() {
    if [ "$1" = vipgate ]; then wait_vrrp_state "$3" VI_1 "$4" "$5" >/dev/null
    else log_wait "$LAB_TMP/$2.log" "Entering $4 STATE" "$5" "${6:-0}" >/dev/null; fi
}

SW="vgl-sw-$LAB_ID" MN="vgl-m-$LAB_ID" BN="vgl-b-$LAB_ID" CL="vgl-cl-$LAB_ID"
teardown() {
    local pid ns
    for pid in "${RUN_PIDS[@]}"; do stop_pid "$pid" 10; done
    for ns in "$SW" "$MN" "$BN" "$CL"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null; ip netns del "$ns" 2>/dev/null; done
    RUN_PIDS=()
}

# one_run MASTER_KIND BACKUP_KIND RUN: prints "gap_ms lost_pings interval_ms
# takeover_ms extra_ms" or "fail why".
# Runs in the current shell (the cleanup trap must know every namespace and pid).
one_run() {
    local mk="$1" bk="$2" id="v$VER-$1-$2-$3"
    local m_ip=10.202.0.2 b_ip=10.202.0.3 m_addr="" b_addr=""
    [ "$mk" = keepalived ] && m_addr="$m_ip/24"
    [ "$bk" = keepalived ] && b_addr="$b_ip/24"
    lab_switch "$SW" && lab_attach "$SW" sw-m "$MN" eth0 "$m_addr" && lab_attach "$SW" sw-b "$BN" eth0 "$b_addr" &&
        lab_attach "$SW" sw-cl "$CL" cl0 10.202.0.10/24 || { echo "fail lab"; return; }
    local wait_s; wait_s=$(awk -v m="$(mdi "$VER" "$ADV" 100)" 'BEGIN{print int(m)+5}')
    node_start "$mk" "$MN" eth0 "$m_ip" 150 "$id-m"; local msock=$NODE_SOCK; RUN_PIDS+=("$NODE_PID")
    node_wait "$mk" "$id-m" "$msock" MASTER "$wait_s" || { echo "fail master did not come up"; return; }
    node_start "$bk" "$BN" eth0 "$b_ip" 100 "$id-b"; local bsock=$NODE_SOCK; RUN_PIDS+=("$NODE_PID")
    node_wait "$bk" "$id-b" "$bsock" BACKUP 10 || { echo "fail backup did not come up"; return; }
    sleep 1
    # The client pings every 10 ms for the whole cut; -O reports each
    # unanswered request, -D stamps each line.
    local dur; dur=$(awk -v m="$(mdi "$VER" "$ADV" 100)" 'BEGIN{print int(m + 4)}')
    local cap="$LAB_TMP/$id.pcapng"
    capture_start "$CL" cl0 "$cap" || { echo "fail capture"; return; }
    local cpid=$CAPTURE_PID
    ip netns exec "$CL" ping -D -O -n -i 0.01 -W 1 -w "$dur" "$VIP" >"$LAB_TMP/$id.ping" 2>&1 &
    local ppid=$!
    LAB_PIDS+=("$ppid")
    sleep 1
    local n=0
    [ "$bk" = keepalived ] && n=$(log_lines "$LAB_TMP/$id-b.log")
    # Cut at a random phase of the advert interval.
    sleep "$(awk -v a="$ADV" -v r="$RANDOM" 'BEGIN { printf "%.3f", a * r / 32768 }')"
    local tc=$EPOCHREALTIME
    ip -n "$SW" link set sw-m down
    node_wait "$bk" "$id-b" "$bsock" MASTER "$wait_s" "$n" || log "$id: the backup did not become master"
    wait "$ppid"
    capture_stop "$cpid"
    # On the capture: the master's last advert before the cut, the new
    # master's first advert.
    local lm fb
    lm=$(tshark -r "$cap" -Y "vrrp && ip.src==$m_ip" -T fields -e frame.time_epoch 2>/dev/null |
        awk -v c="$tc" '$1 < c { t = $1 } END { print t }')
    fb=$(tshark -r "$cap" -Y "vrrp && ip.src==$b_ip && vrrp.prio==100" -T fields -e frame.time_epoch 2>/dev/null | head -1)
    [ -n "$lm" ] && [ -n "$fb" ] || { echo "fail adverts not captured (master last '$lm', backup first '$fb')"; return; }
    # Longest time between two answers; longest run of unanswered sequence
    # numbers; the real mean ping interval (ping -i 0.01 gets about 16 ms);
    # takeover = new master's first advert - old master's last advert (about
    # Master_Down_Interval); extra = gap - (new master's first advert - cut),
    # the client's time to reach the new master once it is master.
    awk -v lm="$lm" -v fb="$fb" -v tc="$tc" '
        /bytes from/ { t = substr($1, 2, length($1) - 2) + 0
                       for (i = 1; i <= NF; i++) if ($i ~ /^icmp_seq=/) s = substr($i, 10) + 0
                       if (have && t - last > gap) gap = t - last
                       if (have && s - lseq - 1 > run) run = s - lseq - 1
                       if (!have) { t0 = t; s0 = s }
                       last = t; lseq = s; have = 1 }
        END { if (!have || lseq == s0) print "fail no replies"
              else printf "%.0f %d %.1f %.0f %.0f\n", gap * 1000, run, (last - t0) * 1000 / (lseq - s0),
                          (fb - lm) * 1000, (gap - (fb - tc)) * 1000 }' \
        "$LAB_TMP/$id.ping"
}

stats() { # values... -> "min / median / max"
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%d / %d / %d", v[1], m, v[NR] }'
}

ROWS=()
for VER in ${VERSIONS:-2 3}; do
    if [ "$VER" = 2 ]; then ADV=1 PASS=secret12; else ADV=0.1 PASS=""; fi
    for pair in ${PAIRS:-vipgate:keepalived keepalived:vipgate keepalived:keepalived}; do
        MK=${pair%%:*} BK=${pair##*:}
        gaps=(); runs=(); ivs=(); tos=(); exs=(); fails=0
        for r in $(seq 1 "$REPS"); do
            RUN_PIDS=()
            one_run "$MK" "$BK" "$r" >"$LAB_TMP/result"
            teardown
            res=$(tail -1 "$LAB_TMP/result")
            log "v$VER $MK -> $BK run $r: $res"
            if [[ "$res" == fail* ]]; then fails=$((fails + 1)); continue; fi
            read -r g l iv to ex <<<"$res"
            gaps+=("$g"); runs+=("$l"); ivs+=("$iv"); tos+=("$to"); exs+=("$ex")
        done
        ROWS+=("| $MK → $BK | v$VER, $ADV s | $(mdi "$VER" "$ADV" 100) | $(stats "${gaps[@]}") | $(stats "${tos[@]}") | $(stats "${exs[@]}") | $(stats "${runs[@]}") | $(printf '%s\n' "${ivs[@]}" | awk '{s+=$1} END {if (NR) printf "%.1f", s/NR}') | ${#gaps[@]}$([ $fails -gt 0 ] && echo " ($fails failed)") |")
    done
done

echo "| Master → backup that takes over | VRRP | Master_Down(100) s | client gap ms | takeover ms | extra ms | pings lost in a row | mean ping interval ms | runs |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Each cell: min / median / max over the runs. client gap: longest time between two answered"
echo "pings. takeover: the old master's last advert to the new master's first (≈ Master_Down_Interval)."
echo "extra: client gap minus (new master's first advert - link cut), the time the client still"
echo "needed once the new master was there (gratuitous ARP, next ping). Ping -i 0.01 sends every ~17 ms."
