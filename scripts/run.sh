#!/bin/sh
# `make run`: appshare-master in the foreground on loopback with the sample configuration
# packaging/appshare.conf.example.  As root the CDR directory of that file is created for
# the service user the master will switch to; otherwise a copy of the file points the CDRs
# into the build directory.  Ctrl-C stops the relay.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
master="$root/$build/master/appshare-master"
conf="$root/packaging/appshare.conf.example"
[ -x "$master" ] || { echo "run: $master is not built (make build)" >&2; exit 1; }

value() { sed -n "s/^$1[[:space:]]*=[[:space:]]*\"\{0,1\}\([^\"#]*[^\"#[:space:]]\)\"\{0,1\}.*/\1/p" "$conf"; }
cdr=$(value cdr-dir)
if [ "$(id -u)" -eq 0 ]; then
	if id appshare >/dev/null 2>&1; then user=appshare; else user=nobody; fi
	mkdir -p "$cdr"
	chown "$user" "$cdr"
else
	mkdir -p "$root/$build/run/cdr"
	cdr="$root/$build/run/cdr"
	sed "s|^cdr-dir[[:space:]]*=.*|cdr-dir = \"$cdr\"|" "$conf" > "$root/$build/run/appshare.conf"
	conf="$root/$build/run/appshare.conf"
fi
echo "appshare: control port $(value control-udp) (UDP) and $(value control-tcp) (TCP), JSON or bencode"
echo "appshare: CDR directory $cdr"
echo "appshare: appshare-ctl and appshare-peer are in $root/$build/tools; Ctrl-C stops the relay"
exec "$master" -d -f "$conf"
