#!/bin/bash
# A STUN check with bad integrity is refused and nothing is relayed: A gets the relay's
# answer with a wrong ice-pwd, so every check A sends fails MESSAGE-INTEGRITY.
. "$(dirname "$0")/lib.sh"

write_conf
start_master
ANSWER_FILTER="sed 's/^a=ice-pwd:.*/a=ice-pwd:wrongwrongwrongwrong1234/'" \
start_pair i1 i1 --bind 127.0.0.2 -n 20 -e 20 -t 6 -- --bind 127.0.0.3 -n 20 -e 20 -t 6 -- --
wait_peer $PA i1-a && fail "A completed ICE with a wrong password"
wait_peer $PB i1-b && fail "B received frames although A never authenticated"
grep -q "received 0 frames" "$T/i1-b.log" || fail "B received something: $(tail -n 1 "$T/i1-b.log")"
grep -Eq "session i1 leg A: ICE completed" "$T/master.log" && fail "relay completed ICE on leg A"
ctl -q delete i1 tag-i1-a || fail "delete failed"
wait_cdr i1 10
stats=$(cdr_stream_stats i1)
a=$(echo "$stats" | cut -d';' -f1) b=$(echo "$stats" | cut -d';' -f2)
# Leg A: no data frame in or out; leg B: nothing sent towards B.
[ "$(echo "$a" | cut -d, -f1)" -eq 0 ] && [ "$(echo "$a" | cut -d, -f2)" -eq 0 ] ||
	fail "leg A frames moved: $stats"
[ "$(echo "$b" | cut -d, -f2)" -eq 0 ] || fail "frames were relayed to B: $stats"
log "PASS ($stats)"
