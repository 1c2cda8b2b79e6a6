#!/bin/bash
# Source-address filtering: A's SDP lists 127.0.0.2 but A connects from 127.0.0.3, so
# the relay refuses the connection before reading a byte; with filtering off the same
# call goes through; the control port ignores clients outside control-allow.
# (A connection before any SDP from the peer is accepted: relay.sh.)
. "$(dirname "$0")/lib.sh"

write_conf
start_master
OFFER_FILTER="sed 's/127\.0\.0\.3/127.0.0.2/g'" \
start_pair f1 f1 --bind 127.0.0.3 -n 10 -e 10 -t 6 -- --bind 127.0.0.4 -n 10 -e 10 -t 6 -- --
wait_log "session f1 leg A: refused 127\.0\.0\.3:[0-9]+" 10
wait_peer $PA f1-a && fail "A connected from a non-candidate address"
wait_peer $PB f1-b && fail "B completed although A was refused"
grep -Eq "session f1 leg A: accepted 127\.0\.0\.3" "$T/master.log" && fail "A was accepted"
ctl -q delete f1 tag-f1-a
stop_master

write_conf "source-address-filtering = no"
start_master
OFFER_FILTER="sed 's/127\.0\.0\.3/127.0.0.2/g'" \
start_pair f2 f2 --bind 127.0.0.3 -n 10 -e 10 -t 20 -- --bind 127.0.0.4 -n 10 -e 10 -t 20 -- --
wait_peer $PA f2-a || fail "filtering off: A failed"
wait_peer $PB f2-b || fail "filtering off: B failed"
grep -Eq "session f2 leg A: accepted 127\.0\.0\.3:[0-9]+ \(filter-off\)" "$T/master.log" ||
	fail "filtering off: no 'accepted ... (filter-off)' line"
stop_master

# The control port serves only control-allow: 127.0.0.1 is not in it here.
write_conf "control-allow = 127.0.0.9"
NO_PING=1 start_master
ctl -q -w 0.3 ping && fail "a client outside control-allow got a UDP reply"
ctl -q -t -w 0.3 ping && fail "a client outside control-allow got a TCP reply"
wait_log "control 127\.0\.0\.1:[0-9]+: not in control-allow, ignored" 5
wait_log "control 127\.0\.0\.1:[0-9]+: not in control-allow, closed" 5
log "PASS"
