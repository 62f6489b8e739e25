#!/usr/bin/env bash
# The command line and the interactive console: --help, --version,
# --check-config, the cmdline console fed from a pipe, and a second vipgate
# refused on the same control socket. Ports are net_null vdevs: no network.
source "$(dirname "$0")/lib.sh"

tap_plan 10
check "--help exits 0 and documents -c, -i, --control-socket, --check-config" \
    bash -c "'$VIPGATE' --help | grep -q -- '--check-config' && '$VIPGATE' --help | grep -q -- '--control-socket' && '$VIPGATE' --help | grep -q -- '--interactive'"
check "--version prints the version" bash -c "'$VIPGATE' --version | grep -Eq '^vipgate [0-9]+\.[0-9]+\.[0-9]+'"
check "--check-config accepts conf/demo.yaml" "$VIPGATE" --check-config -c "$SRC/conf/demo.yaml"
check "--check-config accepts conf/example.yaml" "$VIPGATE" --check-config -c "$SRC/conf/example.yaml"

cat >"$LAB_TMP/bad.yaml" <<'YAML'
ports:
  - name: ext0
    device: net_null0
    address: 10.0.0.300/24
YAML
"$VIPGATE" --check-config -c "$LAB_TMP/bad.yaml" >"$LAB_TMP/bad.out" 2>&1
rc=$?
check "--check-config rejects a bad address naming file:line:column (exit $rc)" \
    bash -c "test $rc -ne 0 && grep -q 'bad.yaml:4:' '$LAB_TMP/bad.out'"
check "unknown option is a usage error (exit 2)" bash -c "'$VIPGATE' -- --bogus >/dev/null 2>&1; test \$? -eq 2"

cat >"$LAB_TMP/null.yaml" <<'YAML'
ports:
  - name: ext0
    device: net_null0
    address: 10.0.0.1/24
dataplane:
  workers: 1
  mbufs: 2047
  idle_sleep: true
YAML
# Interactive console from a pipe: the commands, then quit.
# shellcheck disable=SC2046
printf 'show ports\nshow port stats all\nhelp\nshow stats json\nquit\n' | \
    timeout 60 "$VIPGATE" $(eal_args i) -- -c "$LAB_TMP/null.yaml" -i \
        --control-socket "$LAB_TMP/i.sock" >"$LAB_TMP/i.out" 2>&1
rc=$?
check "console: quit stops vipgate with exit 0 (got $rc)" test "$rc" = 0
check "console: show ports lists ext0 on net_null0" grep -q "ext0.*net_null0" "$LAB_TMP/i.out"
check "console: help lists show lcores and clear stats" \
    bash -c "grep -q 'show lcores' '$LAB_TMP/i.out' && grep -q 'clear stats' '$LAB_TMP/i.out'"

# A second vipgate on the same control socket is refused.
SOCK="$LAB_TMP/one.sock"
start_vipgate "" "$LAB_TMP/null.yaml" "$SOCK" "$LAB_TMP/one.log"
wait_ctl "$SOCK" 30 || diag "first vipgate did not come up: $(tail -5 "$LAB_TMP/one.log")"
# shellcheck disable=SC2046
timeout 60 "$VIPGATE" $(eal_args two) -- -c "$LAB_TMP/null.yaml" --control-socket "$SOCK" \
    >"$LAB_TMP/two.out" 2>&1 </dev/null
rc=$?
check "a second vipgate on the same control socket exits non-zero and says why (exit $rc)" \
    bash -c "test $rc -ne 0 && grep -q 'another process' '$LAB_TMP/two.out'"
diag "$(tail -3 "$LAB_TMP/two.out")"
tap_done
