#!/bin/bash
# libnice in NICE_COMPATIBILITY_OC2007R2 (MS-ICE2, the stack pidgin-sipe shares desktops
# with) on both legs: A is the Lync client (offerer, controlling), B the far end; both
# connect to the relay.  ICE completes on both legs, 1 200 000 bytes go each way and are
# verified, libnice's duplicate checks (each check twice, one transaction id, see
# below) do not disturb the session, and the CDR says TCP/LYNC/APPSHARE with the right
# counts.
. "$(dirname "$0")/lib_nice.sh"

write_conf "workers = 2"
start_master

nice_pair ms ms1 \
	"$NICE_PEER" -c oc2007r2 -T active -b 127.0.0.2 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$NICE_PEER" -c oc2007r2 -T active -b 127.0.0.3 -n $NF -e $NF -s $FSIZE -t 60 -- --
grep -q "TCP-PASS" "$T/ms-b-offer.sdp" || fail "B (MS-ICE2) got no TCP-PASS candidate"
grep -q "tcptype" "$T/ms-b-offer.sdp" && fail "B (MS-ICE2) got RFC 6544 candidates"
grep -q "TCP-PASS" "$T/ms-a-answer.sdp" || fail "A (MS-ICE2) got no TCP-PASS candidate"
nice_wait ms
nice_check_cdr ms ms1 ms-ice2 passive ms-ice2 passive

# The duplicates: libnice 0.1.21 in OC2007R2 mode sends every check and every response
# twice, back to back with one transaction id, the copy with old Lync's legacy
# FINGERPRINT ([MS-ICE2] 3.1.4.8.2), until it sees IMPLEMENTATION-VERSION from the other
# side.  Where the two CRCs differ the relay drops the copy (legacy CRC despite
# IMPLEMENTATION-VERSION: "STUN dropped: malformed"); where they happen to agree the
# copy is an exact repeat and gets the cached response (or is an unmatched response).
# Either way the session goes on: the peers verified every frame and the CDR above
# ended normally.  What was absorbed goes to the log.
drops=$(grep -c "session ms1 leg [AB]: conn [0-9]*: STUN dropped" "$T/master.log")
stun_data() { summary "$1" | sed -nE 's/.* ([0-9]+) STUN frames.*/\1/p'; }
log "ms1: STUN dropped by the relay: $drops; STUN libnice handed to the peers as data:" \
	"A $(stun_data ms-a), B $(stun_data ms-b)"
log "PASS"
