#!/bin/sh
# vipgate --help tells the truth about --keepalived-conf: it names every
# top-level block that --help-keepalived (the importer's keyword tables)
# lists as imported, and none that is only warned about; and no stale claim
# ("not implemented yet") is left. Needs no EAL: both exit before it.
set -eu
exe=$1
help=$("$exe" --help)
ref=$("$exe" --help-keepalived)
# "top level:" section of the reference: imported keywords are indented by
# four spaces, warned-about ones marked "  - ".
section=$(printf '%s\n' "$ref" | awk '/^top level:/ { t = 1; next } /^$/ { t = 0 } t')
imported=$(printf '%s\n' "$section" | awk '/^    [^ ]/ { print $1 }')
warned=$(printf '%s\n' "$section" | awk '/^  - / { print $2 }')
[ -n "$imported" ] || { echo "--help-keepalived lists no imported block"; exit 1; }
[ -n "$warned" ] || { echo "--help-keepalived lists no warned-about block"; exit 1; }
# --keepalived-conf's description, up to the next option.
desc=$(printf '%s\n' "$help" | awk '/--keepalived-conf arg/ { d = 1 } /^  -/ && !/--keepalived-conf/ { d = 0 } d')
fail=0
for b in $imported; do
    printf '%s\n' "$desc" | grep -qw -- "$b" || { echo "--help: --keepalived-conf does not name $b"; fail=1; }
done
for b in $warned; do
    if printf '%s\n' "$desc" | grep -qw -- "$b"; then echo "--help names $b, which is not imported"; fail=1; fi
done
for nested in real_server TCP_CHECK; do
    printf '%s\n' "$desc" | grep -qw -- "$nested" || { echo "--help: --keepalived-conf does not name $nested"; fail=1; }
done
if printf '%s\n' "$help" | grep -qi "not implemented"; then
    echo "--help still says something is not implemented:"
    printf '%s\n' "$help" | grep -i "not implemented"
    fail=1
fi
exit $fail
