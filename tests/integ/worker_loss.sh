#!/bin/bash
# SIGKILL of one worker: it is replaced, the session on the other worker keeps flowing,
# and the lost session gets a CDR with reason worker-lost.  Then SIGKILL of the CDR
# writer: it is replaced and no record is lost or written twice.
. "$(dirname "$0")/lib.sh"

write_conf "workers = 2"
start_master

# Two paced sessions (~6 s of frames each), one per worker.
start_pair s1 s1 --bind 127.0.0.2 -n 300 -e 300 --interval 20 -t 30 -- \
	--bind 127.0.0.3 -n 300 -e 300 --interval 20 -t 30 -- --
P1A=$PA P1B=$PB
start_pair s2 s2 --bind 127.0.0.4 -n 300 -e 300 --interval 20 -t 30 -- \
	--bind 127.0.0.5 -n 300 -e 300 --interval 20 -t 30 -- --
P2A=$PA P2B=$PB
wait_log "session s1: relaying" 10
wait_log "session s2: relaying" 10
w1=$(grep -Eo "worker [0-9]+: session s1: new" "$T/master.log" | awk '{print $2}' | tr -d :)
w2=$(grep -Eo "worker [0-9]+: session s2: new" "$T/master.log" | awk '{print $2}' | tr -d :)
[ "$w1" != "$w2" ] || fail "both sessions landed on worker $w1"
victim=$(worker_pid "$w1")
[ -n "$victim" ] || fail "no pid for worker $w1"
sleep 1
kill -KILL "$victim"
log "killed worker $w1 (pid $victim), which carried s1"
wait_log "worker $w1 pid $victim: .*(signal 9|SIGKILL)" 10
wait_log "worker $w1: pid [0-9]+ ready" 10
[ "$(worker_pid "$w1")" != "$victim" ] || fail "worker $w1 was not replaced"

wait_peer $P2A s2-a || fail "s2 (other worker) was disturbed: A failed"
wait_peer $P2B s2-b || fail "s2 (other worker) was disturbed: B failed"
wait_peer $P1A s1-a && fail "s1 peer A claims success after its worker died"
wait_peer $P1B s1-b && fail "s1 peer B claims success after its worker died"
wait_cdr s1 10
wait_cdr s2 10
[ "$(cdr_field s1 14)" = worker-lost ] || fail "s1 reason '$(cdr_field s1 14)', want worker-lost"
[ "$(cdr_field s2 14)" = peer-closed ] || fail "s2 reason '$(cdr_field s2 14)', want peer-closed"

# The replaced worker serves new sessions.
start_pair s3 s3 --bind 127.0.0.2 -n 50 -e 50 -t 20 -- --bind 127.0.0.3 -n 50 -e 50 -t 20 -- --
wait_peer $PA s3-a || fail "s3 after the respawn: A failed"
wait_peer $PB s3-b || fail "s3 after the respawn: B failed"
wait_cdr s3 10

# The CDR writer dies and comes back: the next records are written once.
cdrd=$(child_pids appshare-cdr | head -n 1)
[ -n "$cdrd" ] || fail "no appshare-cdr process"
kill -KILL "$cdrd"
wait_log "cdr pid $cdrd: .*(signal 9|SIGKILL)" 10
start_pair s4 s4 --bind 127.0.0.2 -n 50 -e 50 -t 20 -- --bind 127.0.0.3 -n 50 -e 50 -t 20 -- --
wait_peer $PA s4-a || fail "s4: A failed"
wait_peer $PB s4-b || fail "s4: B failed"
wait_cdr s4 15
for c in s1 s2 s3 s4; do
	[ "$(cdr_count $c)" -eq 1 ] || fail "$c has $(cdr_count $c) CDR lines"
done
log "PASS"
