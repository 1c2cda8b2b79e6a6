#!/bin/bash
# IPv6 only: the relay's media address is ::1 and both libnice agents are on ::1
# (control stays on 127.0.0.1).  OC2007R2 on both legs (the relay writes IPv6 candidates
# as a=x-candidate-ipv6 towards MS-ICE2 peers), then RFC5245 B with the relay
# initiating towards it.
. "$(dirname "$0")/lib_nice.sh"

[ -e /proc/net/if_inet6 ] && grep -q "^0\{31\}1 " /proc/net/if_inet6 ||
	skip "no ::1 on this machine"

nice_write_conf "::1" "workers = 2"
start_master

nice_pair v6ms v61 "$NICE_PEER" -c oc2007r2 -b ::1 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$NICE_PEER" -c oc2007r2 -b ::1 -n $NF -e $NF -s $FSIZE -t 60 -- --
grep -q "^c=IN IP6 ::1" "$T/v6ms-b-offer.sdp" || fail "v61: B's offer has no c=IN IP6 ::1"
grep -Eq "^a=(x-candidate-ipv6|candidate):.* TCP-PASS .* ::1 " "$T/v6ms-b-offer.sdp" ||
	fail "v61: B's offer has no IPv6 TCP-PASS candidate"
nice_wait v6ms
nice_check_cdr v6ms v61 ms-ice2 passive ms-ice2 passive
cdr_stream_data v61 | grep -q '\[::1\]' || fail "v61: CDR endpoints are not [::1]"

nice_pair v6rf v62 "$NICE_PEER" -c oc2007r2 -b ::1 -n $NF -e $NF -s $FSIZE -t 60 -- \
	"$NICE_PEER" -c rfc5245 -T passive -b ::1 -n $NF -e $NF -s $FSIZE -t 60 -- \
	dialect=rfc6544 initiate-tcp=yes --
nice_wait v6rf
nice_check_cdr v6rf v62 ms-ice2 passive rfc6544 active
log "PASS"
