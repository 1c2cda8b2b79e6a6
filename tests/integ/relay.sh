#!/bin/bash
# Relay end to end: a Lync-like MS-ICE2 endpoint A (connects to the relay) and a
# third-party endpoint B in each dialect, frames verified byte for byte both ways, the
# CDR STOP line checked.  B's connection arrives before B's SDP does, and is accepted.
. "$(dirname "$0")/lib.sh"

N=400
write_conf "workers = 2"
start_master

# check_cdr CALL: one STOP line, TCP/LYNC/APPSHARE on both legs, N data frames + the
# peers' end marker each way, octets at least the frames' bytes.
check_cdr() {
	wait_cdr "$1" 10
	[ "$(cdr_count "$1")" -eq 1 ] || fail "$1: $(cdr_count "$1") CDR lines, want 1"
	data=$(cdr_stream_data "$1")
	stats=$(cdr_stream_stats "$1")
	case "$data" in
	1:applicationsharing:TCP/LYNC/APPSHARE:*\;2:applicationsharing:TCP/LYNC/APPSHARE:*) ;;
	*) fail "$1: Media Stream Data is '$data'" ;;
	esac
	for leg in 1 2; do
		s=$(echo "$stats" | cut -d';' -f$leg)
		fin=$(echo "$s" | cut -d, -f1) fout=$(echo "$s" | cut -d, -f2)
		oin=$(echo "$s" | cut -d, -f3) oout=$(echo "$s" | cut -d, -f4)
		sin=$(echo "$s" | cut -d, -f5)
		[ "$fin" -eq $((N + 1)) ] && [ "$fout" -eq $((N + 1)) ] ||
			fail "$1 leg $leg: frames in/out $fin/$fout, want $((N + 1)) each ($stats)"
		[ "$oin" -ge $((N * 1202)) ] && [ "$oout" -ge $((N * 1202)) ] ||
			fail "$1 leg $leg: octets in/out $oin/$oout too small ($stats)"
		if [ "$2" != plain ] || [ $leg -eq 1 ]; then
			[ "$sin" -gt 0 ] || fail "$1 leg $leg: no STUN counted ($stats)"
		fi
	done
	log "$1: CDR ok: $data / $stats"
}

# 1. MS-ICE2 on both legs, libnice-style duplicate checks; the answer waits until B's
#    connection has been accepted, so it is accepted before any SDP from B exists.
ANSWER_AFTER_B="session ms1 leg B: accepted 127\.0\.0\.3:[0-9]+" \
start_pair ms ms1 --bind 127.0.0.2 -D -n $N -e $N -t 20 -- \
	--bind 127.0.0.3 -D -n $N -e $N -t 20 -- -- 
unset ANSWER_AFTER_B
grep -Eq "session ms1 leg B: accepted 127\.0\.0\.3:[0-9]+ \(no-sdp-yet\)" "$T/master.log" ||
	fail "B's early connection was not accepted as no-sdp-yet"
wait_peer $PA ms-a || fail "ms1: peer A failed"
wait_peer $PB ms-b || fail "ms1: peer B failed"
check_cdr ms1 ice
[ "$(cdr_field ms1 9)" = '"tag-ms-b"' ] || fail "ms1: To Tag is $(cdr_field ms1 9)"
[ -n "$(cdr_field ms1 6 | tr -d '"')" ] || fail "ms1: empty Session ID"
# The SDP each side received names the relay, never the other endpoint.
# (o= and a session-level c= are left alone by design: docs/sdp-rewrite.md.)
appsection() { sed -n '/^m=applicationsharing/,$p' "$1"; }
appsection "$T/ms-a-answer.sdp" | grep -q "127.0.0.3" && fail "A's answer leaks B's address"
appsection "$T/ms-b-offer.sdp" | grep -q "127.0.0.2" && fail "B's offer leaks A's address"
grep -q "TCP-PASS" "$T/ms-b-offer.sdp" || fail "B (MS-ICE2) got no TCP-PASS candidate"

# 2. RFC 6544 B, passive only; the relay initiates the TCP connection towards it.
start_pair rfc r1 --bind 127.0.0.2 -n $N -e $N -t 20 -- \
	-d rfc6544 --tcp passive --bind 127.0.0.3 -n $N -e $N -t 20 -- \
	dialect=rfc6544 initiate-tcp=yes --
grep -q "tcptype passive" "$T/rfc-b-offer.sdp" && fail "initiate-tcp: relay offered passive"
grep -q "a=setup:active" "$T/rfc-b-offer.sdp" || fail "initiate-tcp: no a=setup:active"
wait_peer $PA rfc-a || fail "r1: peer A failed"
wait_peer $PB rfc-b || fail "r1: peer B failed"
check_cdr r1 ice

# 3. Plain RFC 4145 B, passive; the relay connects to it.
start_pair plain p1 --bind 127.0.0.2 -n $N -e $N -t 20 -- \
	-d rfc4145 --tcp passive --bind 127.0.0.3 -n $N -e $N -t 20 -- \
	dialect=rfc4145 initiate-tcp=yes --
grep -q "^a=candidate" "$T/plain-b-offer.sdp" && fail "RFC 4145 offer carries candidates"
wait_peer $PA plain-a || fail "p1: peer A failed"
wait_peer $PB plain-b || fail "p1: peer B failed"
check_cdr p1 plain

# 4. Plain RFC 4145 B that connects to the relay.
start_pair plain2 p2 --bind 127.0.0.2 -n $N -e $N -t 20 -- \
	-d rfc4145 --tcp active --bind 127.0.0.3 -n $N -e $N -t 20 -- \
	dialect=rfc4145 --
wait_peer $PA plain2-a || fail "p2: peer A failed"
wait_peer $PB plain2-b || fail "p2: peer B failed"
check_cdr p2 plain

# delete of an ended call is not an error; query of an unknown call is.
ctl -q delete ms1 tag-ms-a || true
ctl -q query nosuchcall && fail "query of an unknown call succeeded"
log "PASS"
