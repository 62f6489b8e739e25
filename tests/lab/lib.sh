# Lab test helpers: TAP output, network namespaces with cleanup, starting and
# stopping vipgate. Sourced by tests/lab/*.sh; every test makes its own
# namespaces (names carry the PID) and removes them on any exit (trap).
# shellcheck shell=bash

set -uo pipefail

LAB_ID="${LAB_ID:-$$}"
LAB_TMP="$(mktemp -d "/tmp/vipgate-lab-${LAB_ID}-XXXX")"
LAB_NETNS=()
LAB_PIDS=()
TAP_N=0
TAP_FAILED=0
BUILD="${VIPGATE_BUILD_DIR:?VIPGATE_BUILD_DIR not set (run through meson test)}"
SRC="${VIPGATE_SOURCE_DIR:?VIPGATE_SOURCE_DIR not set}"
VIPGATE="$BUILD/app/vipgate/vipgate"
VIPGATECTL="$BUILD/app/vipgatectl/vipgatectl"
PY=/usr/bin/python3

tap_plan() { echo "1..$1"; }
ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
# check "description" command...: ok when the command succeeds.
check() {
    local desc="$1"; shift
    if "$@" >"$LAB_TMP/check.out" 2>&1; then ok "$desc"; else
        not_ok "$desc"; sed 's/^/#   /' "$LAB_TMP/check.out" | tail -20; fi
}
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
# tap_result RC DESC: ok when RC is 0.
tap_result() {
    if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi
}

# tap_todo RC DESC REASON: a check of behaviour known to be missing (TAP
# TODO directive): "not ok N - DESC # TODO REASON" does not fail the script
# (meson: expected fail); when it passes, "ok N - DESC # TODO REASON" is an
# unexpected pass: the behaviour arrived, drop the TODO.
tap_todo() {
    TAP_N=$((TAP_N + 1))
    if [ "$1" = 0 ]; then echo "ok $TAP_N - $2 # TODO $3"; else echo "not ok $TAP_N - $2 # TODO $3"; fi
}

lab_cleanup() {
    local pid ns
    for pid in "${LAB_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${LAB_PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    for ns in "${LAB_NETNS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "/var/run/dpdk/vgl${LAB_ID}"* 2>/dev/null
    if [ "${LAB_KEEP:-0}" != 1 ]; then rm -rf "$LAB_TMP"; fi
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

netns_add() { ip netns add "$1" && LAB_NETNS+=("$1") && ip -n "$1" link set lo up; }

# veth_pair NS_A IF_A NS_B IF_B
veth_pair() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
    ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# The EAL memory arguments: tests always use --no-huge (no hugepages needed).
# LAB_LCORES overrides the lcore map (default: control lcore 0 on CPU 0, one
# worker lcore 1 on CPU LAB_WORKER_CPU, default 1), e.g. LAB_LCORES='0@0,1@1,2@0'
# for two workers on a 2-CPU machine (lcores may share a CPU: idle_sleep).
eal_args() { echo "--no-huge --no-shconf -m 512 --file-prefix vgl${LAB_ID}$1 --lcores ${LAB_LCORES:-0@0,1@${LAB_WORKER_CPU:-1}}"; }

# start_vipgate NS CONFIG SOCKET LOG [extra vipgate options]; sets VIPGATE_PID.
# NS empty: run in the current namespace.
start_vipgate() {
    local ns="$1" cfg="$2" sock="$3" log="$4"; shift 4
    # shellcheck disable=SC2046
    local wrap=()
    [ -n "$ns" ] && wrap=(ip netns exec "$ns")
    "${wrap[@]}" "$VIPGATE" $(eal_args "$(basename "$sock" .sock)") -- \
        -c "$cfg" --control-socket "$sock" "$@" >"$log" 2>&1 </dev/null &
    VIPGATE_PID=$!
    LAB_PIDS+=("$VIPGATE_PID")
}

# wait_ctl SOCKET SECONDS: until vipgate answers on its control socket.
wait_ctl() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        "$VIPGATECTL" -s "$1" -t 500 show info >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# json_get FILE EXPR: evaluate a python expression over the JSON in FILE (as j).
json_get() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

tap_done() {
    [ "$TAP_FAILED" -eq 0 ]
}

# ---------------------------------------------------------------------------
# One L2 segment without touching the host: a Linux bridge inside its own
# namespace, every node on a veth pair to it (tests/lab/keepalived.sh).

# lab_no_ipv6 NS: IPv6 off in the whole namespace (no DAD/RS/MLD noise).
lab_no_ipv6() {
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
        >/dev/null 2>&1
}

# lab_switch NS: a namespace holding bridge br0. No STP and no forwarding
# delay (ports forward at once), no multicast snooping (VRRP adverts to
# 224.0.0.18 are flooded to every port).
lab_switch() {
    netns_add "$1" || return 1
    lab_no_ipv6 "$1"
    ip -n "$1" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0 || return 1
    ip -n "$1" link set br0 up
}

# lab_attach SW_NS SW_PORT NS IF [ADDR/PREFIX]: NS gets IF, the bridge in
# SW_NS gets SW_PORT; NS is created if needed and has IPv6 off.
lab_attach() {
    local sw="$1" port="$2" ns="$3" ifc="$4" addr="${5:-}"
    if [ ! -e "/run/netns/$ns" ]; then netns_add "$ns" || return 1; fi
    lab_no_ipv6 "$ns"
    ip link add "$ifc" netns "$ns" type veth peer name "$port" netns "$sw" || return 1
    ip -n "$sw" link set "$port" master br0 || return 1
    ip -n "$sw" link set "$port" up && ip -n "$ns" link set "$ifc" up || return 1
    if [ -n "$addr" ]; then ip -n "$ns" addr add "$addr" dev "$ifc" || return 1; fi
}

# mac_of NS IF
mac_of() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

# wait_pid_exit PID SECONDS: 0 when PID has exited within SECONDS.
wait_pid_exit() {
    local i
    for i in $(seq 1 $(($2 * 20))); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.05
    done
    return 1
}

# stop_pid PID [SECONDS]: SIGTERM, wait (default 5 s), then SIGKILL.
stop_pid() {
    kill -TERM "$1" 2>/dev/null
    wait_pid_exit "$1" "${2:-5}" || kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# lab_timestamp: prefix every line of stdin with the wall clock ($EPOCHREALTIME).
lab_timestamp() {
    local l
    while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done
}

# keepalived_conf FILE IFACE VRID PRIORITY VERSION ADVERT_INT AUTH_PASS VIP...
# One vrrp_instance VI_1, state BACKUP, preempt on (keepalived's default).
# AUTH_PASS "" means no authentication.
keepalived_conf() {
    local file="$1" ifc="$2" vrid="$3" prio="$4" ver="$5" adv="$6" pass="$7"; shift 7
    {
        echo "global_defs {"
        echo "    router_id vgl_${LAB_ID}"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    state BACKUP"
        echo "    interface $ifc"
        echo "    virtual_router_id $vrid"
        echo "    priority $prio"
        echo "    version $ver"
        echo "    advert_int $adv"
        if [ -n "$pass" ]; then
            echo "    authentication {"
            echo "        auth_type PASS"
            echo "        auth_pass $pass"
            echo "    }"
        fi
        echo "    virtual_ipaddress {"
        local v
        for v in "$@"; do echo "        $v"; done
        echo "    }"
        echo "}"
    } >"$file"
}

# start_keepalived NS CONF NAME: keepalived 2.2.7 in NS, VRRP only, in the
# foreground, logging to the console (not syslog); every log line gets a
# wall-clock prefix in $LAB_TMP/NAME.log (appended to). Pid files live in
# $LAB_TMP. Sets KEEPALIVED_PID (the parent; SIGTERM stops both processes).
# It runs through a symlink named vgl-keepalived, so that a `pkill -x
# keepalived` elsewhere on the machine (scripts/setup.sh stops the packaged
# service that way) does not kill a lab that is running at the same time.
start_keepalived() {
    local ns="$1" conf="$2" name="$3" bin
    bin=$(command -v keepalived || echo /usr/sbin/keepalived)
    ln -sf "$bin" "$LAB_TMP/vgl-keepalived"
    ip netns exec "$ns" "$LAB_TMP/vgl-keepalived" --dont-fork --log-console --no-syslog --log-detail --vrrp \
        --dont-respawn --use-file "$conf" --pid "$LAB_TMP/$name.pid" \
        --vrrp_pid "$LAB_TMP/$name.vrrp.pid" \
        </dev/null > >(lab_timestamp >>"$LAB_TMP/$name.log") 2>&1 &
    KEEPALIVED_PID=$!
    LAB_PIDS+=("$KEEPALIVED_PID")
}

# log_lines FILE: current number of lines (0 if missing); a start mark for log_wait.
log_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# log_wait FILE REGEX SECONDS [AFTER_LINE]: wait until a line after line
# AFTER_LINE matches; print its first field (the lab_timestamp time).
log_wait() {
    local file="$1" re="$2" after="${4:-0}" i line
    for i in $(seq 1 $(($3 * 20))); do
        line=$(tail -n +"$((after + 1))" "$file" 2>/dev/null | grep -m1 -E -- "$re")
        if [ -n "$line" ]; then echo "${line%% *}"; return 0; fi
        sleep 0.05
    done
    return 1
}

# capture_start NS IF FILE [BPF]: dumpcap on IF in NS into FILE (pcapng),
# with capture filter BPF if given; returns once the capture runs. Sets
# CAPTURE_PID. Stop with capture_stop.
capture_start() {
    local i filter=()
    [ -n "${4:-}" ] && filter=(-f "$4")
    rm -f "$3"
    ip netns exec "$1" dumpcap -q -i "$2" "${filter[@]}" -w "$3" </dev/null >"$3.log" 2>&1 &
    CAPTURE_PID=$!
    LAB_PIDS+=("$CAPTURE_PID")
    for i in $(seq 1 100); do
        [ -s "$3" ] && { sleep 0.2; return 0; }
        kill -0 "$CAPTURE_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$3.log" >&2
    return 1
}
# capture_stop PID: SIGINT (dumpcap flushes and closes the file), wait.
capture_stop() {
    kill -INT "$1" 2>/dev/null
    wait_pid_exit "$1" 5 || kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# vrrp_field SOCK INSTANCE EXPR: EXPR over the instance's 'show vrrp json'
# row (as r), e.g. vrrp_field "$SOCK" VI_1 "r['state']".
vrrp_field() {
    "$VIPGATECTL" -s "$1" -t 1000 show vrrp "$2" json 2>/dev/null |
        "$PY" -c "import json,sys; r=json.load(sys.stdin); r=r[0] if isinstance(r,list) else r; print($3)"
}

# wait_vrrp_state SOCK INSTANCE STATE SECONDS: poll every 50 ms; print the
# wall-clock time the state was first seen.
wait_vrrp_state() {
    local s
    for _ in $(seq 1 $(($4 * 20))); do
        s=$(vrrp_field "$1" "$2" "r['state']")
        if [ "$s" = "$3" ]; then echo "$EPOCHREALTIME"; return 0; fi
        sleep 0.05
    done
    return 1
}

# fdiff A B: A - B with 3 decimals; fle A B: exit 0 when A <= B (floats).
fdiff() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a - b }'; }
fle() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# ---------------------------------------------------------------------------
# Load-balancing labs (tests/lab/lb.sh): real servers and clients.

# lab_tx_csum_off NS IF: no TX checksum offload on IF. A veth with offload on
# hands TCP/UDP frames to the peer with only the pseudo-header sum in the
# checksum field (CHECKSUM_PARTIAL, to be finished by a NIC that does not
# exist); the kernel on the other end trusts the skb flag, but vipgate reads
# the raw frame through net_af_packet and would forward it, rewritten, to a
# host that then drops it. Every kernel host that sends TCP/UDP to vipgate
# needs it (clients, real servers).
lab_tx_csum_off() {
    command -v ethtool >/dev/null || { echo "# ethtool not found (apt-get install ethtool)"; return 1; }
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
}

# ctl SOCK COMMAND...: one vipgatectl command (1 s timeout).
ctl() { local s="$1"; shift; "$VIPGATECTL" -s "$s" -t 1000 "$@"; }

# ctl_json SOCK EXPR COMMAND...: EXPR over the JSON answer of COMMAND (as j).
ctl_json() {
    local s="$1" e="$2"; shift 2
    ctl "$s" "$@" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($e)"
}

# http_server_start NS NAME PORT: a small HTTP server in NS whose every page
# is "NAME\n" (python3 -m http.server over $LAB_TMP/www-NAME), on every
# address of NS (binding one address would make http.server look its name up
# in DNS, socket.getfqdn(), which in a namespace waits for the resolver's
# timeouts); returns once it accepts connections (at most 5 s). Sets
# HTTP_PID; log in $LAB_TMP/http-NAME-PORT.log.
http_server_start() {
    local ns="$1" name="$2" port="$3" dir="$LAB_TMP/www-$2"
    mkdir -p "$dir" && echo "$name" >"$dir/index.html"
    ip netns exec "$ns" "$PY" -m http.server --bind 0.0.0.0 --directory "$dir" "$port" \
        </dev/null >>"$LAB_TMP/http-$name-$port.log" 2>&1 &
    HTTP_PID=$!
    LAB_PIDS+=("$HTTP_PID")
    for _ in $(seq 1 100); do
        ip netns exec "$ns" ss -Htln "sport = :$port" 2>/dev/null | grep -q LISTEN && return 0
        kill -0 "$HTTP_PID" 2>/dev/null || break
        sleep 0.05
    done
    return 1
}

# curl_tally NS N URL [CURL_OPTS...]: N sequential GETs of URL from NS, each
# a new connection from a client port never used before in this run
# (20000 upwards, below the kernel's ephemeral range; so no request meets
# the TIME_WAIT flow of an earlier one), 2 s limit per request. Prints one
# line per answer kind, "COUNT BODY", failed requests counted as "COUNT FAIL".
curl_tally() {
    local ns="$1" n="$2" url="$3" base; shift 3
    base=$(cat "$LAB_TMP/client_port" 2>/dev/null || echo 20000)
    echo $((base + n)) >"$LAB_TMP/client_port"
    ip netns exec "$ns" bash -c '
        n=$1 base=$2 url=$3; shift 3
        for ((i = 0; i < n; i++)); do
            curl -s --max-time 2 --local-port $((base + i)) "$@" "$url" || echo FAIL
        done' curl_tally "$n" "$base" "$url" "$@" | sort | uniq -c | awk '{print $1, $2}'
}

# http_get_from NS SRC_IP SRC_PORT DST_IP DST_PORT: one HTTP/1.0 GET / from
# SRC_IP:SRC_PORT (SO_REUSEADDR), reading until the server closes first, so
# the client's side of the connection is gone at once and the same 4-tuple
# can connect again (the server keeps TIME_WAIT). Prints the body's last
# line, or "FAIL reason".
http_get_from() {
    ip netns exec "$1" "$PY" - "$2" "$3" "$4" "$5" <<'PY'
import socket, sys
src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(2)
try:
    s.bind((src, sport))
    s.connect((dst, dport))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    body = data.split(b"\r\n\r\n", 1)[1].decode().split()
    print(body[-1] if body else "FAIL empty body")
except Exception as e:
    print("FAIL", e)
PY
}

# tally_count TALLY NAME: the count of NAME in curl_tally output (0 if none).
tally_count() { awk -v k="$2" '$2 == k {c = $1} END {print c + 0}' <<<"$1"; }

# ---------------------------------------------------------------------------
# Hostile-input labs (tests/lab/malformed.sh, overload.sh, reload.sh): frames
# and traffic come from tests/lab/scapy_frames.py.
LAB_FRAMES="$SRC/tests/lab/scapy_frames.py"

# capture_start_filter NS IF FILE BPF: capture_start with a capture filter
# (dumpcap -f), so a flood on the same link does not fill the file.
capture_start_filter() { capture_start "$@"; }

# stream_server_start NS NAME PORT [INTERVAL] [MAX_SECS]: a TCP server in NS
# on PORT (every address); each connection gets a 64-byte line
# "NAME SEQUENCE CLIENT" every INTERVAL seconds (default 0.01) until it
# closes or MAX_SECS (default 150) after the start. Returns once it listens;
# sets STREAM_SERVER_PID.
stream_server_start() {
    local ns="$1" name="$2" port="$3"
    ip netns exec "$ns" "$PY" "$LAB_FRAMES" stream-server --name "$name" --port "$port" \
        --interval "${4:-0.01}" --max-secs "${5:-150}" </dev/null >>"$LAB_TMP/stream-$name-$port.log" 2>&1 &
    STREAM_SERVER_PID=$!
    LAB_PIDS+=("$STREAM_SERVER_PID")
    for _ in $(seq 1 100); do
        ip netns exec "$ns" ss -Htln "sport = :$port" 2>/dev/null | grep -q LISTEN && return 0
        kill -0 "$STREAM_SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    return 1
}

# stream_client_start NS DST PORT OUT [SRC_PORT]: socat in NS connects to
# DST:PORT and appends what it receives to OUT (its size is the connection's
# byte count). Sets STREAM_PID (the socat process: alive = connection up).
stream_client_start() {
    local opts="connect-timeout=3"
    [ -n "${5:-}" ] && opts="$opts,sourceport=$5,reuseaddr"
    : >"$4"
    ip netns exec "$1" socat -u "TCP:$2:$3,$opts" "OPEN:$4,wronly,append" </dev/null 2>>"$4.err" &
    STREAM_PID=$!
    LAB_PIDS+=("$STREAM_PID")
}

# file_size FILE: its size in bytes (0 if missing).
file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# wait_file_grows FILE BYTES SECONDS: until FILE is at least BYTES long.
wait_file_grows() {
    for _ in $(seq 1 $(($3 * 20))); do
        [ "$(file_size "$1")" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
