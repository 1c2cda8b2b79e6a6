#!/bin/sh
# The manual pages (packaging/man) against the code: every configuration key that
# `appshare-master -n -v` prints is described in appshare.conf(5) and in
# docs/configuration.md and nothing else is; every option of appshare-master, every
# command and option of appshare-ctl and every option of appshare-peer (their usage
# texts) is in their page; and man(1) formats each page without a warning.
# Usage: check_man.sh SOURCE-ROOT APPSHARE-MASTER APPSHARE-CTL APPSHARE-PEER
set -u
root=$1 master=$2 ctl=$3 peer=$4
man=$root/packaging/man
failed=0

bad() {
	echo "check_man: $*"
	failed=1
}

# Lines ".It ..." of a page that name $2 as a Cm or Fl argument.
has_item() {
	grep -Eq -- "^\.It (.* )?$2 $3( |\$)" "$1"
}

# Configuration keys: the effective configuration of the defaults lists every key, a
# commented one included ("# (no cdr-dir) cdr-rotate-size = 64M").
keys=$("$master" -n -v 2>/dev/null | sed -n 's/^\(# ([^)]*) \)\{0,1\}\([a-z][a-z-]*\) = .*/\2/p')
[ -n "$keys" ] || bad "$master -n -v printed no keys"
for k in $keys; do
	has_item "$man/appshare.conf.5" Cm "$k" || bad "appshare.conf.5: key $k is not described"
	grep -Eq "^### (.*, )?$k(,|\$)" "$root/docs/configuration.md" ||
		bad "docs/configuration.md: key $k has no section"
done
# ... and no key that the code does not know (the KEYS section only).
for k in $(sed -n '/^\.Sh KEYS/,/^\.Sh /p' "$man/appshare.conf.5" |
    sed -n 's/^\.It Cm \([a-z][a-z-]*\).*/\1/p; s/^\.It .*, Cm \([a-z][a-z-]*\).*/\1/p'); do
	echo "$keys" | grep -qx -- "$k" || bad "appshare.conf.5: $k is not a configuration key"
done

# appshare-master: "  -d       stay in the foreground, ..."
opts=$("$master" -h 2>&1 | sed -n 's/^  -\([a-zA-Z]\) .*/\1/p')
[ -n "$opts" ] || bad "appshare-master -h printed no options"
for o in $opts; do
	has_item "$man/appshare-master.8" Fl "$o" || bad "appshare-master.8: option -$o missing"
done

# appshare-ctl: the commands block, then the options block.
usage=$("$ctl" -h 2>&1)
cmds=$(echo "$usage" | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\).*/\1/p')
[ -n "$cmds" ] || bad "appshare-ctl -h printed no commands"
for c in $cmds; do
	has_item "$man/appshare-ctl.8" Cm "$c" || bad "appshare-ctl.8: command $c missing"
	grep -q "^| \`$c\` |" "$root/docs/tools.md" || bad "docs/tools.md: command $c missing"
done
opts=$(echo "$usage" | sed -n '/^options:/,/^$/s/^  -\([a-zA-Z]\) .*/\1/p;
    /^options:/,/^$/s/^  -\(-[a-z][a-z-]*\).*/\1/p')
[ -n "$opts" ] || bad "appshare-ctl -h printed no options"
for o in $opts; do
	has_item "$man/appshare-ctl.8" Fl "$o" || bad "appshare-ctl.8: option -$o missing"
done

# appshare-peer: "  -d, --dialect D", "      --interval MS", "--ufrag U, --pwd P".
usage=$("$peer" -h 2>&1)
longs=$(echo "$usage" | grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]*--//' | sort -u)
[ -n "$longs" ] || bad "appshare-peer -h printed no options"
for o in $longs; do
	grep -Eq -- "^\.It (.* )?Fl -$o( |\$)" "$man/appshare-peer.1" ||
		bad "appshare-peer.1: option --$o missing"
done
for o in $(echo "$usage" | sed -n 's/^  -\([a-zA-Z]\), --.*/\1/p'); do
	has_item "$man/appshare-peer.1" Fl "$o" || bad "appshare-peer.1: option -$o missing"
done

# Formatting: groff's warnings through man(1), where it is installed.
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	for p in "$man"/*.[0-9]; do
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
		[ -z "$w" ] || bad "$(basename "$p"): $w"
	done
fi

if [ "$failed" -ne 0 ]; then
	echo "check_man: FAILED"
	exit 1
fi
echo "check_man: OK ($(echo "$keys" | wc -w) keys, $(echo "$cmds" | wc -w) commands)"
