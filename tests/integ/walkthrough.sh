#!/bin/bash
# The README walkthrough, run exactly as written (the block between the walkthrough
# markers), against the relay started as `make run` starts it: the sample configuration on
# the default control port 127.0.0.1:2226.  Only the CDR directory is a temporary one.
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
tools=$(dirname "$APPSHARE_CTL")
sed "s|^cdr-dir[[:space:]]*=.*|cdr-dir = \"$CDR\"|" "$root/packaging/appshare.conf.example" \
	> "$T/appshare.conf"
[ "${APPSHARE_SANITIZED:-0}" = 1 ] && sed -i 's/^sandbox = on/sandbox = off/' "$T/appshare.conf"
CTL_PORT=2226
start_master

# The block from README.md; "$PWD/build/tools" is where this build put the tools, and
# the CDR directory is ours.
sed -n '/<!-- walkthrough:begin -->/,/<!-- walkthrough:end -->/p' "$root/README.md" |
	sed -e '/^<!--/d' -e '/^```/d' \
	    -e "s|\$PWD/build/tools|$tools|" -e "s|/var/lib/appshare/cdr|$CDR|" > "$T/walkthrough.sh"
[ "$(wc -l < "$T/walkthrough.sh")" -ge 10 ] || fail "no walkthrough block in README.md"
(cd "$T" && bash -e "$T/walkthrough.sh") > "$T/walkthrough.out" 2>&1 ||
	fail "the walkthrough failed: $(tail -n 20 "$T/walkthrough.out")"
[ "$(grep -c "verified OK" "$T/walkthrough.out")" -eq 2 ] ||
	fail "peers did not both verify: $(cat "$T/walkthrough.out")"
tail -n 1 "$T/walkthrough.out" | grep -q '^STOP,.*"call1".*TCP/LYNC/APPSHARE.*TCP/LYNC/APPSHARE' ||
	fail "the last line is not the CDR of call1: $(tail -n 1 "$T/walkthrough.out")"
log "PASS"
