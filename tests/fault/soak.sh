#!/bin/bash
# Soak: sessions come and go for SOAK_MINUTES (short form: ~20 s), with a little abuse
# each round (non-candidate connects, control datagrams).  Every session completes, every
# call has exactly one STOP record, and the descriptor count of every appshare process
# (master, workers, CDR writer) comes back to what it was after the first round.  Under
# the sanitizers, LeakSanitizer checks every process at exit (lib.sh fails the test on
# a report); in the normal build the workers' RSS growth is bounded.
. "$(dirname "$0")/lib_fault.sh"

if [ "$SOAK_MINUTES" -gt 0 ]; then SECS=$((SOAK_MINUTES * 60)); else SECS=${SOAK_SECONDS:-20}; fi
K=${SOAK_BATCH:-4}
write_conf "workers = 2"
start_master

procs() { echo "$MASTER_PID $(child_pids appshare-worker) $(child_pids appshare-cdr)"; }
fds() { for p in $(procs); do printf '%s:%s ' "$p" "$(fd_count "$p")"; done; }
rss_workers() { t=0; for p in $(child_pids appshare-worker); do t=$((t + $(rss_kb "$p"))); done; echo $t; }

round() {
	r=$1 pids=""
	k=1
	while [ $k -le "$K" ]; do
		c=r$r-$k
		start_pair "$c" "$c" --bind 127.0.0.$((10 + 2 * k)) -n 50 -e 50 -t 120 -- \
			--bind 127.0.0.$((11 + 2 * k)) -n 50 -e 50 -t 120 -- --
		pids="$pids $PA:$c-a $PB:$c-b"
		calls="$calls $c"
		k=$((k + 1))
	done
	# A little abuse while the round runs.
	port=$(sdp_port "$T/r$r-1-a-answer.sdp")
	"$FAULT_FLOOD" connect 127.0.0.1 "$port" 200 60 > "$T/flood.log" 2>&1 ||
		fail "fault-flood connect failed"
	"$FAULT_FLOOD" ctl-udp 127.0.0.1 "$CTL_PORT" 200 > /dev/null 2>&1
	for p in $pids; do
		wait "${p%%:*}" || fail "${p#*:} failed in round $r: $(tail -n 1 "$T/${p#*:}.log")"
	done
}

calls=""
round 1
for c in $calls; do wait_cdr "$c" 30; done
sleep 2
fd_start=$(fds) rss_start=$(rss_workers)
log "after round 1: fds (pid:count) $fd_start; workers' RSS $rss_start kB"
start=$(date +%s)
r=2
while [ $(($(date +%s) - start)) -lt "$SECS" ]; do
	round $r
	r=$((r + 1))
done
for c in $calls; do wait_cdr "$c" 30; done
# The descriptors settle once the last sessions are gone (ports leave quarantine).
n=0
while [ "$(fds)" != "$fd_start" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
fd_end=$(fds) rss_end=$(rss_workers)
log "after round $((r - 1)) ($(($(date +%s) - start)) s, $(echo $calls | wc -w) sessions): fds $fd_end; workers' RSS $rss_end kB"
[ "$fd_end" = "$fd_start" ] || fail "descriptor counts changed: $fd_start -> $fd_end"
check_rss "workers' RSS kB" "$rss_start" "$rss_end" 8192
for c in $calls; do
	[ "$(cdr_count "$c")" -eq 1 ] || fail "$c has $(cdr_count "$c") CDR lines"
done
[ "$(cat "$CDR"/*.csv* | grep -c '^STOP,')" -eq "$(echo $calls | wc -w)" ] || fail "stray CDR lines"
log "PASS"
