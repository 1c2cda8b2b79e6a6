#!/bin/bash
# Mixed dialects through the relay, with libnice on at least one side:
# 1. A: libnice OC2007R2 (the Lync client), B: libnice RFC5245 (a standard ICE-TCP
#    device), the relay told dialect=rfc6544 towards B;
# 2. A: appshare-peer in MS-ICE2 with libnice-style duplicate checks, B: libnice OC2007R2;
# 3. A: libnice OC2007R2, B: appshare-peer in RFC 6544.
# Both endpoints connect to the relay; 1 200 000 bytes each way, verified; CDR checked.
. "$(dirname "$0")/lib_nice.sh"

write_conf "workers = 2"
start_master

nice_pair rfc mx1 \
	"$NICE_PEER" -c oc2007r2 -b 127.0.0.2 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$NICE_PEER" -c rfc5245 -b 127.0.0.3 -n $NF -e $NF -s $FSIZE -t 60 -- dialect=rfc6544 --
grep -q "tcptype passive" "$T/rfc-b-offer.sdp" || fail "mx1: B got no tcptype passive"
grep -Eq "TCP-(PASS|ACT)" "$T/rfc-b-offer.sdp" && fail "mx1: B got MS-ICE2 candidates"
grep -q "TCP-PASS" "$T/rfc-a-answer.sdp" || fail "mx1: A got no TCP-PASS candidate"
nice_wait rfc
nice_check_cdr rfc mx1 ms-ice2 passive rfc6544 passive

nice_pair apa mx2 \
	"$APPSHARE_PEER" -D -b 127.0.0.2 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$NICE_PEER" -c oc2007r2 -b 127.0.0.3 -n $NF -e $NF -s $FSIZE -t 60 -- --
nice_wait apa
nice_check_cdr apa mx2 ms-ice2 passive ms-ice2 passive

nice_pair apb mx3 \
	"$NICE_PEER" -c oc2007r2 -b 127.0.0.2 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$APPSHARE_PEER" -d rfc6544 -b 127.0.0.3 -n $NF -e $NF -s $FSIZE -t 60 -- \
	dialect=rfc6544 --
nice_wait apb
nice_check_cdr apb mx3 ms-ice2 passive rfc6544 passive
log "PASS"
