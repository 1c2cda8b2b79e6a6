#!/bin/bash
# Control-port floods: a burst of datagrams (valid pings, junk, no cookie, truncated
# bencode, bad offers, 65000-byte bodies) and hundreds of TCP clients (garbage, half
# messages, idle) at once.  The master keeps answering ping, counts what it dropped and
# the errors it answered, does not crash, and its descriptors come back afterwards.
. "$(dirname "$0")/lib_fault.sh"

UDP=${CTL_UDP_COUNT:-$(scaled 20000)}
TCP=${CTL_TCP_COUNT:-$(scaled 400 2)}
HOLD=$((SOAK_MINUTES > 0 ? SOAK_MINUTES * 60 : 6))
write_conf "workers = 1"
start_master
wpid=$(worker_pid 0)
mfd0=$(fd_count "$MASTER_PID") mrss0=$(rss_kb "$MASTER_PID")
drop0=$(stat_ctl dropped) err0=$(stat_ctl errors) ping0=$(stat_ctl ping)

"$FAULT_FLOOD" ctl-tcp 127.0.0.1 "$CTL_PORT" "$TCP" "$HOLD" > "$T/flood-tcp.log" 2>&1 &
FT=$!
BG_PIDS="$BG_PIDS $FT"
"$FAULT_FLOOD" ctl-udp 127.0.0.1 "$CTL_PORT" "$UDP" > "$T/flood-udp.log" 2>&1 &
FU=$!
BG_PIDS="$BG_PIDS $FU"
# Meanwhile: ping over UDP answers (3 tries of 2 s each).
pings=0
while kill -0 $FU 2>/dev/null; do
	responsive "during the flood"
	pings=$((pings + 1))
	sleep 0.2
done
wait $FU
log "fault-flood ctl-udp: $(cat "$T/flood-udp.log")"
if ctl -q -t -w 2 ping; then tcpping=answered; else tcpping="not answered (all TCP client slots held)"; fi
log "UDP pings answered during the flood: $pings; TCP ping while TCP clients are held: $tcpping"
wait $FT
log "fault-flood ctl-tcp: $(cat "$T/flood-tcp.log")"
sleep 1
responsive "after the flood"
ctl -q -t -w 2 ping || fail "TCP ping not answered after the flood"
kill -0 "$MASTER_PID" || fail "the master died"
[ "$(worker_pid 0)" = "$wpid" ] || fail "the worker was replaced"
replies=$(sed -E 's/.*replies ([0-9]+).*/\1/' "$T/flood-udp.log")
sent=$(sed -E 's/.* sent ([0-9]+).*/\1/' "$T/flood-udp.log")
dropped=$(($(stat_ctl dropped) - drop0)) errors=$(($(stat_ctl errors) - err0))
pinged=$(($(stat_ctl ping) - ping0))
log "control counters: dropped +$dropped, errors +$errors, ping +$pinged; replies received $replies of $sent sent"
[ "$dropped" -ge 1 ] || fail "no control message counted as dropped"
[ "$errors" -ge 1 ] || fail "no error replies counted"
[ "$replies" -ge 1 ] || fail "no reply to the flood at all"
check_bounded "master fds" "$mfd0" "$(fd_count "$MASTER_PID")" 2
check_rss "master RSS kB" "$mrss0" "$(rss_kb "$MASTER_PID")" 16384
log "PASS"
