#!/bin/bash
# 20,000 connection attempts at one media port from addresses that are not candidates
# (127.0.0.10 .. 127.0.0.250): the worker refuses every one (statistics "policy denied"),
# its memory and descriptors stay bounded, and a legitimate session on the same worker
# completes and verifies its frames meanwhile.  FLOOD_COUNT overrides the count (default
# 20,000, 5,000 under the sanitizers; times FAULT_SCALE).
. "$(dirname "$0")/lib_fault.sh"

COUNT=${FLOOD_COUNT:-$(scaled 20000)}
write_conf "workers = 1" "ice-timeout = 600s"
start_master
wpid=$(worker_pid 0)
[ -n "$wpid" ] || fail "no worker pid"

# The target: a session whose leg A admits only 127.0.0.8.
abuse_session flood 127.0.0.8 127.0.0.9
# The legitimate session: paced frames for the whole flood (~16 s, longer under ASan).
frames=$((800 * (SOAK_MINUTES > 0 ? SOAK_MINUTES * 4 : 1)))
start_pair legit legit --bind 127.0.0.2 -n $frames -e $frames --interval 20 -t 600 -- \
	--bind 127.0.0.3 -n $frames -e $frames --interval 20 -t 600 -- --
LA=$PA LB=$PB
wait_log "session legit: relaying" 30
sleep 1
rss0=$(rss_kb "$wpid") fd0=$(fd_count "$wpid") den0=$(stat_relay "policy denied")

log "flooding 127.0.0.1:$ABUSE_PORT_A with $COUNT connects"
out=$("$FAULT_FLOOD" connect 127.0.0.1 "$ABUSE_PORT_A" "$COUNT" 300) || fail "fault-flood failed"
log "fault-flood: $out"
responsive "after the flood"
sleep 1
rss1=$(rss_kb "$wpid") fd1=$(fd_count "$wpid") den1=$(stat_relay "policy denied")
[ "$(worker_pid 0)" = "$wpid" ] || fail "the worker was replaced during the flood"
denied=$((den1 - den0))
log "policy denied: $denied of $COUNT attempts"
[ "$denied" -ge $((COUNT * 99 / 100)) ] || fail "only $denied of $COUNT refused by the policy"
closed=$(echo "$out" | sed -E 's/.*closed-by-relay ([0-9]+).*/\1/')
[ "$closed" -ge $((COUNT * 99 / 100)) ] || fail "the relay closed only $closed of $COUNT"
check_rss "worker RSS kB" "$rss0" "$rss1" 8192
check_bounded "worker fds" "$fd0" "$fd1" 4
grep -q "session flood .*accepted" "$T/master.log" && fail "a flood connection was accepted"

wait_peer $LA legit-a || fail "the legitimate session failed during the flood (A)"
wait_peer $LB legit-b || fail "the legitimate session failed during the flood (B)"
wait_cdr legit 15
[ "$(cdr_field legit 14)" = peer-closed ] || fail "legit reason '$(cdr_field legit 14)'"
ctl -q delete flood tag-flood-a || fail "delete of the flood target failed"
wait_cdr flood 15
log "PASS"
