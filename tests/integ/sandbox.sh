#!/bin/bash
# Started as root, every process runs as the service user; workers and the CDR writer
# have seccomp filters (Seccomp 2), no_new_privs and no capabilities.  A worker made to
# call a forbidden syscall dies of SIGSYS and is replaced.
. "$(dirname "$0")/lib.sh"

[ "${APPSHARE_SANITIZED:-0}" = 1 ] && skip "sanitizer build: the sandbox is off"
[ "$(id -u)" -eq 0 ] || skip "needs root to see the privilege drop"

write_conf "workers = 2" "debug-hooks = yes"
start_master
status_of() { grep "^$2:" "/proc/$1/status" | awk '{print $2}'; }
for role in "appshare-worker 0 " "appshare-worker 1 " "appshare-cdr"; do
	p=$(child_pids "$role" | head -n 1)
	[ -n "$p" ] || fail "no $role process"
	[ "$(status_of "$p" Seccomp)" = 2 ] || fail "$role: Seccomp $(status_of "$p" Seccomp)"
	[ "$(status_of "$p" NoNewPrivs)" = 1 ] || fail "$role: NoNewPrivs not set"
	[ "$(status_of "$p" CapEff)" = 0000000000000000 ] || fail "$role: CapEff $(status_of "$p" CapEff)"
	uid=$(status_of "$p" Uid)
	[ "$uid" != 0 ] || fail "$role runs as root"
	log "$role (pid $p): Seccomp 2, NoNewPrivs 1, CapEff 0, uid $uid"
done
[ "$(status_of "$MASTER_PID" Uid)" != 0 ] || fail "the master kept root"

old=$(worker_pid 1)
ctl -q raw '{"command":"debug fault","worker":"1"}' || fail "debug fault command refused"
wait_log "worker 1 pid $old: .*(signal 31|SIGSYS)" 10
i=0
while new=$(worker_pid 1); [ -z "$new" ] || [ "$new" = "$old" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "worker 1 was not replaced"
	sleep 0.1
done
wait_log "worker 1: pid $new ready" 10
log "worker 1: pid $old died of SIGSYS, replaced by $new"
ctl -q ping || fail "master stopped serving"
log "PASS"
