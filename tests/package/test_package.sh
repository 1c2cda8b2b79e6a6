#!/bin/bash
# The Debian package end to end: build it as `make package` does (packaging/build-deb.sh,
# lintian included), install it, check what it put on the system (user, directories,
# conffile, unit, manual pages), start appshare-master the way appshare.service does
# (its ExecStartPre and ExecStart, as root, with the unit's capability bounding set,
# no_new_privs and umask), ping it with the installed appshare-ctl, run one session with
# the installed appshare-peer, check that the master and its children run as the service
# user, reload it, stop it by PID, then remove and purge the package.
#
# Needs root and dpkg; changes the system (a package, a system user), so CTest runs it
# alone (RUN_SERIAL).  No systemd instance is started or needed.  Only loopback is used:
# the packaged configuration serves 127.0.0.1:2226 (RESOURCE_LOCK appshare_port_2226).
# Environment: APPSHARE_PKG_OUT, where the .deb files go (default: a temporary dir).
set -u

NAME=package
root=$(cd "$(dirname "$0")/../.." && pwd)
log() { printf '%s: %s\n' "$NAME" "$*"; }
skip() { log "SKIP: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (installs a package and a system user)"
[ "${APPSHARE_SANITIZED:-0}" = 1 ] && skip "the package is not a sanitizer build"
command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
	skip "not a Debian system"
if dpkg-query -W -f='${Status}' appshare 2>/dev/null | grep -q "ok installed"; then
	skip "the appshare package is installed already; this test would remove it"
fi
if [ -e /etc/appshare ]; then
	skip "/etc/appshare exists; this test would remove it on purge"
fi

T=$(mktemp -d /tmp/appshare-package-XXXXXX)
out=${APPSHARE_PKG_OUT:-$T/deb}
MASTER_PID=""
INSTALLED=0
FAILED=0
# What was there before, to leave the machine as it was.
old_user=$(getent passwd appshare || true)
old_group=$(getent group appshare || true)
had_varlib=0
[ -e /var/lib/appshare ] && had_varlib=1

stop_master() {
	[ -n "$MASTER_PID" ] || return 0
	kill -TERM "$MASTER_PID" 2>/dev/null
	i=0
	while kill -0 "$MASTER_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$MASTER_PID" 2>/dev/null
	wait "$MASTER_PID" 2>/dev/null
	MASTER_PID=""
}

cleanup() {
	for p in ${PEERS:-}; do kill "$p" 2>/dev/null; done
	stop_master
	if [ "$INSTALLED" -eq 1 ]; then
		dpkg --purge appshare >/dev/null 2>&1
	fi
	[ "$had_varlib" -eq 1 ] || rm -rf /var/lib/appshare
	# A user the test brought (a failed run, a purge that kept it) goes; one that was
	# there before and went with the purge comes back as it was.
	if [ -z "$old_user" ] && getent passwd appshare >/dev/null; then
		userdel appshare 2>/dev/null
	fi
	if [ -z "$old_group" ] && getent group appshare >/dev/null; then
		groupdel appshare 2>/dev/null
	fi
	if [ -n "$old_group" ] && ! getent group appshare >/dev/null; then
		groupadd -r -g "$(echo "$old_group" | cut -d: -f3)" appshare
	fi
	if [ -n "$old_user" ] && ! getent passwd appshare >/dev/null; then
		IFS=: read -r _ _ uid gid _ home shell <<< "$old_user"
		useradd -r -M -u "$uid" -g "$gid" -d "$home" -s "$shell" appshare
	fi
	if [ "$FAILED" -ne 0 ]; then
		log "kept $T for inspection"
		[ -f "$T/master.log" ] && tail -n 40 "$T/master.log" | sed 's/^/    /'
		exit 1
	fi
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	FAILED=1
	log "FAIL: $*"
	exit 1
}

ctl() { /usr/bin/appshare-ctl "$@"; }

# Something else on the packaged control port would answer our pings.
if command -v ss >/dev/null 2>&1 && ss -Hlnu 'sport = :2226' | grep -q .; then
	skip "127.0.0.1:2226 is in use (a running relay?)"
fi

# --- build (make package) ------------------------------------------------------------

log "building the package into $out"
JOBS=2 "$root/packaging/build-deb.sh" "$out" > "$T/build.log" 2>&1 ||
	fail "packaging/build-deb.sh failed: $(tail -n 30 "$T/build.log")"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$(ls "$out"/appshare_*_"$arch".deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no appshare_*_$arch.deb in $out"
grep -E "^[EW]: " "$T/build.log" | sed 's/^/    lintian: /'
grep -q "^E: " "$T/build.log" && fail "lintian reported errors"

# --- install ---------------------------------------------------------------------------

log "installing $(basename "$deb")"
INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" \
	> "$T/install.log" 2>&1 || fail "installing failed: $(tail -n 20 "$T/install.log")"

for f in /usr/sbin/appshare-master /usr/bin/appshare-ctl /usr/bin/appshare-peer; do
	[ -x "$f" ] || fail "$f is not installed"
done
for f in man8/appshare-master.8 man8/appshare-ctl.8 man5/appshare.conf.5 \
    man1/appshare-peer.1; do
	[ -f "/usr/share/man/$f.gz" ] || fail "manual page $f is not installed"
done

# The system user and its group.
pw=$(getent passwd appshare) || fail "no user appshare"
IFS=: read -r _ _ uid gid _ home shell <<< "$pw"
[ "$uid" -lt 1000 ] || fail "appshare is not a system user (uid $uid)"
[ "$(getent group "$gid" | cut -d: -f1)" = appshare ] || fail "appshare's group is not appshare"
[ "$home" = /var/lib/appshare ] || fail "appshare's home is $home"
case "$shell" in */nologin|/bin/false) ;; *) fail "appshare's shell is $shell" ;; esac

# The directories it writes.
for d in /var/lib/appshare/cdr /var/lib/appshare/capture; do
	[ "$(stat -c '%U:%G %a' "$d" 2>/dev/null)" = "appshare:appshare 750" ] ||
		fail "$d: $(stat -c '%U:%G %a' "$d" 2>&1), want appshare:appshare 750"
done

# The configuration is a conffile and valid.
[ -f /etc/appshare/appshare.conf ] || fail "no /etc/appshare/appshare.conf"
dpkg-query -W -f='${Conffiles}\n' appshare | grep -q "^ /etc/appshare/appshare.conf " ||
	fail "/etc/appshare/appshare.conf is not a conffile"
/usr/sbin/appshare-master -n -f /etc/appshare/appshare.conf > "$T/check.log" 2>&1 ||
	fail "the packaged configuration does not parse: $(cat "$T/check.log")"

# The unit.
unit=/lib/systemd/system/appshare.service
[ -f "$unit" ] || fail "no $unit"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify "$unit" > "$T/verify.log" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$T/verify.log")"
	[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify: $(cat "$T/verify.log")"
fi
# Installed, not enabled, not started.
[ ! -e /etc/systemd/system/multi-user.target.wants/appshare.service ] ||
	fail "the unit was enabled on install"

# --- run it as the unit does -----------------------------------------------------------

unit_value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
exec_pre=$(unit_value ExecStartPre)
exec_start=$(unit_value ExecStart)
caps=$(unit_value CapabilityBoundingSet)
umask_v=$(unit_value UMask)
case "$exec_start" in
"/usr/sbin/appshare-master -d "*) ;;
*) fail "ExecStart is \"$exec_start\"" ;;
esac
[ "$(unit_value NoNewPrivileges)" = yes ] || fail "the unit does not set NoNewPrivileges"

# setpriv(1) applies the unit's bounding set and no_new_privs, as systemd would.
wrap=""
if command -v setpriv >/dev/null 2>&1; then
	bset="-all"
	for c in $caps; do
		c=${c#CAP_}
		bset="$bset,+${c,,}"
	done
	wrap="setpriv --bounding-set $bset --inh-caps -all --no-new-privs"
else
	log "no setpriv: running without the unit's capability bounding set"
fi
[ -n "$umask_v" ] && umask "$umask_v"

# shellcheck disable=SC2086
$wrap $exec_pre > "$T/pre.log" 2>&1 || fail "ExecStartPre failed: $(cat "$T/pre.log")"
log "starting: $wrap $exec_start"
# shellcheck disable=SC2086
$wrap $exec_start > "$T/master.log" 2>&1 &
MASTER_PID=$!

i=0
while ! ctl -q -w 0.2 ping 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "appshare-master did not answer ping within 10 s"
	kill -0 "$MASTER_PID" 2>/dev/null || fail "appshare-master exited"
done
ctl ping | grep -q '"pong"' || fail "ping did not say pong"
log "ping: pong"
i=0
until grep -q "cdr: pid [0-9]* ready" "$T/master.log" &&
    grep -q "worker 0: pid [0-9]* ready" "$T/master.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the children did not get ready within 10 s"
	sleep 0.1
done

# Who runs: the master after its switch, and every child, as appshare; the children
# sandboxed.
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
[ "$(status_of "$MASTER_PID" Uid | awk '{print $1, $2, $3, $4}')" = "$uid $uid $uid $uid" ] ||
	fail "the master runs with uids $(status_of "$MASTER_PID" Uid), want $uid"
workers=0 cdrd=0
children=$(pgrep -P "$MASTER_PID")
for p in $children; do
	cmd=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)
	case "$cmd" in
	"appshare-worker "*) workers=$((workers + 1)) ;;
	"appshare-cdr "*) cdrd=$((cdrd + 1)) ;;
	*) continue ;;
	esac
	[ "$(status_of "$p" Uid | awk '{print $1, $2, $3, $4}')" = "$uid $uid $uid $uid" ] ||
		fail "$cmd(pid $p) runs with uids $(status_of "$p" Uid)"
	[ "$(status_of "$p" NoNewPrivs)" = 1 ] || fail "$cmd(pid $p): no_new_privs not set"
	[ "$(status_of "$p" Seccomp)" = 2 ] || fail "$cmd(pid $p): no seccomp filter"
	[ "$(status_of "$p" CapEff)" = 0000000000000000 ] || fail "$cmd(pid $p): capabilities"
done
[ "$workers" -ge 1 ] && [ "$cdrd" -eq 1 ] ||
	fail "children: $workers workers, $cdrd CDR writers"
log "master and $((workers + cdrd)) children run as appshare (uid $uid), children sandboxed"

# One short session through the installed relay, with the installed tools.
cd "$T" || fail "cd $T"
/usr/bin/appshare-peer offer -q -b 127.0.0.2 -o a.sdp -i a-answer.sdp -n 20 -e 20 -t 20 \
	> peer-a.log 2>&1 &
PA=$!
PEERS="$PA"
i=0
while [ ! -s a.sdp ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "appshare-peer wrote no offer"; sleep 0.1
done
ctl -q offer pkgcall tagA a.sdp -o b-offer.sdp dialect=rfc6544 || fail "offer failed"
/usr/bin/appshare-peer answer -q -d rfc6544 -b 127.0.0.3 -i b-offer.sdp -o b.sdp \
	-n 20 -e 20 -t 20 > peer-b.log 2>&1 &
PB=$!
PEERS="$PA $PB"
i=0
while [ ! -s b.sdp ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "appshare-peer wrote no answer"; sleep 0.1
done
ctl -q answer pkgcall tagA tagB b.sdp -o a-answer.sdp || fail "answer failed"
wait "$PA" || fail "peer A: $(tail -n 1 peer-a.log)"
wait "$PB" || fail "peer B: $(tail -n 1 peer-b.log)"
PEERS=""
log "session: $(tail -n 1 peer-a.log)"
# The peers hung up first, so the session may be over already ("peer-closed").
ctl -q delete pkgcall tagA
i=0
until grep -qs '"pkgcall"' /var/lib/appshare/cdr/appshare-*.csv*; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no CDR for pkgcall in /var/lib/appshare/cdr"
	sleep 0.1
done
[ "$(stat -c %U /var/lib/appshare/cdr/appshare-*.csv.tmp | head -n 1)" = appshare ] ||
	fail "the CDR file is not owned by appshare"
log "CDR written to $(ls /var/lib/appshare/cdr)"

# ExecReload.
kill -HUP "$MASTER_PID"
i=0
until grep -q "SIGHUP: configuration re-read" "$T/master.log"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no reload after SIGHUP"; sleep 0.1
done
ctl -q ping || fail "no pong after the reload"

# Stop, as systemd does: SIGTERM to the master.
pid=$MASTER_PID
stop_master
kill -0 "$pid" 2>/dev/null && fail "the master did not stop"
for p in $children; do
	kill -0 "$p" 2>/dev/null && fail "child $p of the master is still running"
done
grep -q "SIGTERM" "$T/master.log" || fail "the master did not log its shutdown"
log "stopped"

# --- remove, then purge --------------------------------------------------------------------

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq appshare > "$T/remove.log" 2>&1 ||
	fail "apt-get remove failed: $(tail -n 20 "$T/remove.log")"
[ ! -e /usr/sbin/appshare-master ] || fail "remove left /usr/sbin/appshare-master"
[ -f /etc/appshare/appshare.conf ] || fail "remove took the conffile (only purge should)"
getent passwd appshare >/dev/null || fail "remove took the user (only purge may)"
# An administrator collects the CDRs before purging; then nothing of appshare is left.
rm -f /var/lib/appshare/cdr/appshare-*
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq appshare > "$T/purge.log" 2>&1 ||
	fail "apt-get purge failed: $(tail -n 20 "$T/purge.log")"
INSTALLED=0
dpkg-query -W -f='${Status}' appshare 2>/dev/null | grep -q "installed" &&
	fail "the package is still installed"
for f in /etc/appshare /var/lib/appshare /lib/systemd/system/appshare.service \
    /usr/share/man/man8/appshare-master.8.gz; do
	[ ! -e "$f" ] || fail "purge left $f"
done
if [ -z "$old_user" ]; then
	getent passwd appshare >/dev/null && fail "purge left the user appshare"
	getent group appshare >/dev/null && fail "purge left the group appshare"
fi
log "removed and purged"
log "PASS"
