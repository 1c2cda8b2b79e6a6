#!/bin/bash
# appshare-master -n checks a configuration and names the line of an error.
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
"$APPSHARE_MASTER" -n -f "$root/packaging/appshare.conf.example" > "$T/n.out" 2>&1 ||
	fail "the example configuration is rejected: $(cat "$T/n.out")"
printf 'port-min = 20000\n# comment\nport-max = banana\n' > "$T/bad.conf"
"$APPSHARE_MASTER" -n -f "$T/bad.conf" > "$T/n.out" 2>&1 && fail "a bad value was accepted"
grep -q "bad.conf:3:" "$T/n.out" || fail "error does not name line 3: $(cat "$T/n.out")"
printf 'no-such-key = 1\n' > "$T/bad2.conf"
"$APPSHARE_MASTER" -n -f "$T/bad2.conf" > "$T/n.out" 2>&1 && fail "an unknown key was accepted"
grep -q "bad2.conf:1:" "$T/n.out" || fail "unknown key: $(cat "$T/n.out")"
log "PASS"
