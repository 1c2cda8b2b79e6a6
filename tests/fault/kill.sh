#!/bin/bash
# SIGKILL under load: several sessions on each of two workers relay paced frames; one
# worker is killed with SIGKILL mid-flow, then the CDR writer while the other worker's
# sessions are still running.  Afterwards every call-id offered has exactly one STOP
# record: worker-lost for the killed worker's sessions, peer-closed for the others; none
# missing, none duplicated.  KILL_SESSIONS (default 6, times FAULT_SCALE) sessions.
. "$(dirname "$0")/lib_fault.sh"

N=${KILL_SESSIONS:-$((6 * FAULT_SCALE))}
FR=400	# frames every 20 ms: ~8 s of flow
write_conf "workers = 2"
start_master

calls=""
si=1
while [ $si -le "$N" ]; do
	a=$((10 + 2 * si)) b=$((11 + 2 * si))
	start_pair k$si k$si --bind 127.0.0.$a -n $FR -e $FR --interval 20 -t 120 -- \
		--bind 127.0.0.$b -n $FR -e $FR --interval 20 -t 120 -- --
	eval "PA_$si=$PA PB_$si=$PB"
	calls="$calls k$si"
	si=$((si + 1))
done
for c in $calls; do wait_log "session $c: relaying" 60; done

victim_w=$(call_worker k1)
victim=$(worker_pid "$victim_w")
[ -n "$victim" ] || fail "no pid for worker $victim_w"
lost="" kept=""
for c in $calls; do
	if [ "$(call_worker "$c")" = "$victim_w" ]; then lost="$lost $c"; else kept="$kept $c"; fi
done
[ -n "$kept" ] || fail "every session landed on worker $victim_w"
log "worker $victim_w (pid $victim) carries:$lost; the other carries:$kept"
sleep 1
kill -KILL "$victim"
wait_log "worker $victim_w pid $victim: .*(signal 9|SIGKILL)" 10
sleep 1
cdrd=$(child_pids appshare-cdr | head -n 1)
[ -n "$cdrd" ] || fail "no appshare-cdr process"
kill -KILL "$cdrd"
log "killed the CDR writer (pid $cdrd) while$kept still run"
wait_log "cdr pid $cdrd: .*(signal 9|SIGKILL)" 10

si=1
while [ $si -le "$N" ]; do
	eval "pa=\$PA_$si pb=\$PB_$si"
	case " $lost " in
	*" k$si "*)
		wait_peer "$pa" k$si-a && fail "k$si A claims success after its worker died"
		wait_peer "$pb" k$si-b && fail "k$si B claims success after its worker died"
		;;
	*)
		wait_peer "$pa" k$si-a || fail "k$si A failed (its worker was not killed)"
		wait_peer "$pb" k$si-b || fail "k$si B failed (its worker was not killed)"
		;;
	esac
	si=$((si + 1))
done
for c in $calls; do wait_cdr "$c" 30; done
for c in $lost; do
	[ "$(cdr_field "$c" 14)" = worker-lost ] || fail "$c reason '$(cdr_field "$c" 14)', want worker-lost"
done
for c in $kept; do
	[ "$(cdr_field "$c" 14)" = peer-closed ] || fail "$c reason '$(cdr_field "$c" 14)', want peer-closed"
done
# The CDR set is exactly the offered set: one line per call, no stranger.
sleep 1
got=$(cat "$CDR"/*.csv* | grep '^STOP,' | cut -d, -f7 | tr -d '"' | sort)
want=$(echo $calls | tr ' ' '\n' | sort)
[ "$got" = "$want" ] || fail "CDR call-ids differ from those offered: got [$(echo $got)] want [$(echo $want)]"
log "$N sessions, $(echo $lost | wc -w) worker-lost, $(echo $kept | wc -w) peer-closed, one STOP each"
log "PASS"
