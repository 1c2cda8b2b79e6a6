#!/bin/bash
# CDR directory full: the relay runs in a private mount namespace with a 64 KiB tmpfs as
# its cdr-dir, which a filler file fills up (ENOSPC).  Sessions end meanwhile: their
# records stay in the rings (the log says so, statistics show a CDR backlog), the file
# holds no half line; once the filler is removed every record is written exactly once.
# Needs root (unshare -m, mount); skipped otherwise.
. "$(dirname "$0")/lib_fault.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root: a mount namespace with a tmpfs"
if ! command -v unshare >/dev/null || ! command -v nsenter >/dev/null; then
	need "unshare/nsenter (util-linux)"
fi
mkdir "$T/probe"
unshare -m --propagation private mount -t tmpfs -o size=64k tmpfs "$T/probe" 2>/dev/null ||
	skip "cannot mount a tmpfs in a new mount namespace here (no CAP_SYS_ADMIN?)"
# Enough records (~600 bytes each) to overflow the page the open file still has room in.
N=${CDRFULL_SESSIONS:-$((12 * FAULT_SCALE))}

write_conf "workers = 2" "$METRICS_CONF"
# In the namespace: everything below reads the CDR directory through nsenter.
ns() { nsenter --mount --target "$MASTER_PID" "$@"; }
cdr_line() { ns sh -c "cat '$CDR'/*.csv* 2>/dev/null" | grep -F ",\"$1\"," | tr -d '\r'; }
cdr_count() { ns sh -c "cat '$CDR'/*.csv* 2>/dev/null" | grep -cF ",\"$1\","; }

uid=$(id -u "$SERVICE_USER")
unshare -m --propagation private sh -c "mount -t tmpfs -o size=64k,mode=0755,uid=$uid tmpfs '$CDR' && exec '$APPSHARE_MASTER' -d -v -f '$T/appshare.conf'" \
	> "$T/master.log" 2>&1 &
MASTER_PID=$!
n=0
while ! ctl -q -w 0.2 ping 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 50 ] || fail "appshare-master did not answer ping within 10 s"
	kill -0 "$MASTER_PID" 2>/dev/null || fail "appshare-master exited"
done
wait_log "ready" 10
[ "$(ns stat -f -c %T "$CDR")" = tmpfs ] || fail "the cdr-dir in the namespace is not a tmpfs"
[ "$(stat -f -c %T "$CDR")" != tmpfs ] || fail "the tmpfs leaked out of the namespace"

# A first session is written normally.
start_pair s0 s0 --bind 127.0.0.2 -n 20 -e 20 -t 60 -- --bind 127.0.0.3 -n 20 -e 20 -t 60 -- --
wait_peer $PA s0-a || fail "s0 A failed"
wait_peer $PB s0-b || fail "s0 B failed"
wait_cdr s0 15

# Fill the disk to the last byte.
ns dd if=/dev/zero of="$CDR/filler" bs=1k count=128 status=none 2>/dev/null
ns sh -c "while dd if=/dev/zero bs=1 count=64 status=none >> '$CDR/filler' 2>/dev/null; do :; done"
log "cdr-dir: $(ns df -k "$CDR" | tail -n 1)"

calls="" pids=""
si=1
while [ $si -le "$N" ]; do
	start_pair f$si f$si --bind 127.0.0.$((10 + 2 * si)) -n 20 -e 20 -t 120 -- \
		--bind 127.0.0.$((11 + 2 * si)) -n 20 -e 20 -t 120 -- --
	calls="$calls f$si" pids="$pids $PA:f$si-a $PB:f$si-b"
	si=$((si + 1))
done
for p in $pids; do wait_peer "${p%%:*}" "${p#*:}" || fail "${p#*:} failed"; done
wait_log "cdr file .*(write|sync).* failed: No space left on device; records stay in the rings" 30
sleep 2
backlog=$(metric appshare_cdr_backlog)
missing=0
for c in $calls; do
	[ "$(cdr_count "$c")" -le 1 ] || fail "$c written twice"
	[ "$(cdr_count "$c")" -eq 1 ] || missing=$((missing + 1))
done
log "while the disk is full: $missing of $N records not on disk, CDR backlog $backlog"
[ "$missing" -ge 1 ] || fail "every record reached the full disk?"
[ "${backlog:-0}" -ge "$missing" ] || fail "CDR backlog $backlog, but $missing records are missing"
# No half line: every line of every file is the header or a whole STOP record.
ns sh -c "cat '$CDR'/*.csv*" > "$T/cdr-full.txt"
bad=$(tr -d '\r' < "$T/cdr-full.txt" | grep -cvE '^(appshare-cdr-[0-9]+,.*|STOP,.*")$')
[ "$bad" -eq 0 ] || fail "$bad partial or malformed lines in the CDR files ($T/cdr-full.txt)"
files=$(ns sh -c "ls '$CDR'" | grep -c '^appshare-')
log "CDR files after the disk-full phase: $files"
# One new file per 5 s at most while writes fail (it used to be one per failed write).
[ "$files" -le 10 ] || fail "$files CDR files: rotation on write errors is not rate-limited"

ns rm -f "$CDR/filler"
log "filler removed"
for c in $calls; do wait_cdr "$c" 30; done
sleep 2
for c in s0 $calls; do
	[ "$(cdr_count "$c")" -eq 1 ] || fail "$c has $(cdr_count "$c") CDR lines"
done
ns sh -c "cat '$CDR'/*.csv*" > "$T/cdr-after.txt"
bad=$(tr -d '\r' < "$T/cdr-after.txt" | grep -cvE '^(appshare-cdr-[0-9]+,.*|STOP,.*")$')
[ "$bad" -eq 0 ] || fail "$bad partial or malformed lines in the CDR files ($T/cdr-after.txt)"
[ "$(metric appshare_cdr_backlog)" = 0 ] || fail "CDR backlog left after the disk came back"
log "files: $(ns ls "$CDR" | tr '\n' ' ')"
log "PASS"
