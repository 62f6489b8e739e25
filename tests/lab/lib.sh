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
eal_args() { echo "--no-huge --no-shconf -m 512 --file-prefix vgl${LAB_ID}$1 --lcores 0@0,1@${LAB_WORKER_CPU:-1}"; }

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
