#!/bin/bash
# The relay initiates (initiate-tcp=yes): B is a passive-only libnice agent (it offers
# only a passive TCP candidate) and the relay connects to it; A, libnice OC2007R2,
# connects to the relay.  B in OC2007R2 (MS-ICE2) and in RFC5245 (dialect=rfc6544).
. "$(dirname "$0")/lib_nice.sh"

write_conf "workers = 2"
start_master

nice_pair ims in1 \
	"$NICE_PEER" -c oc2007r2 -b 127.0.0.2 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$NICE_PEER" -c oc2007r2 -T passive -b 127.0.0.3 -n $NF -e $NF -s $FSIZE -t 60 -- \
	initiate-tcp=yes --
grep -q "TCP-PASS" "$T/ims-b-offer.sdp" &&
	fail "in1: initiate-tcp, but the relay offered TCP-PASS"
grep -q "TCP-ACT" "$T/ims-b-offer.sdp" || fail "in1: no TCP-ACT candidate towards B"
grep -q "TCP-ACT" "$T/ims-b.sdp" && fail "in1: B is not passive-only"
nice_wait ims
nice_check_cdr ims in1 ms-ice2 passive ms-ice2 active

nice_pair irf in2 \
	"$NICE_PEER" -c oc2007r2 -b 127.0.0.2 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$NICE_PEER" -c rfc5245 -T passive -b 127.0.0.3 -n $NF -e $NF -s $FSIZE -t 60 -- \
	dialect=rfc6544 initiate-tcp=yes --
grep -q "tcptype passive" "$T/irf-b-offer.sdp" &&
	fail "in2: initiate-tcp, but the relay offered passive"
grep -q "a=setup:active" "$T/irf-b-offer.sdp" || fail "in2: no a=setup:active towards B"
grep -q "tcptype active" "$T/irf-b.sdp" && fail "in2: B is not passive-only"
nice_wait irf
nice_check_cdr irf in2 ms-ice2 passive rfc6544 active
log "PASS"
