#!/bin/bash
# The control port: ping over UDP and TCP in JSON and bencode; a retransmitted offer
# (same cookie) gets the identical reply and a repeated offer (new cookie) the same ports;
# malformed JSON, bencode and SDP and an oversized datagram get error replies while the
# daemon keeps serving; the session limit answers "load limit"; an audio m-line next to
# the application-sharing one passes untouched, or is refused (port 0) on request.
. "$(dirname "$0")/lib.sh"

write_conf "max-sessions = 1"
start_master

for opt in "" "-b" "-t" "-t -b"; do
	# shellcheck disable=SC2086
	ctl -q $opt ping || fail "ping ($opt) failed"
done

SDP=$(printf 'v=0\\r\\no=- 1 1 IN IP4 127.0.0.2\\r\\ns=-\\r\\nc=IN IP4 127.0.0.2\\r\\nt=0 0\\r\\nm=applicationsharing 5000 TCP/RTP/AVP 127\\r\\na=ice-ufrag:abcd\\r\\na=ice-pwd:0123456789abcdefghijklmn\\r\\na=candidate:1 1 TCP-PASS 2120613887 127.0.0.2 5000 typ host\\r\\na=candidate:2 1 TCP-ACT 2121006591 127.0.0.2 5000 typ host\\r\\na=rtpmap:127 x-data/90000\\r\\n')
OFFER="{\"command\":\"offer\",\"call-id\":\"c1\",\"from-tag\":\"f1\",\"sdp\":\"$SDP\"}"

r1=$(udp_raw "cookie1 $OFFER")
case "$r1" in "cookie1 {"*'"result":"ok"'*) ;; *) fail "offer: $r1" ;; esac
r2=$(udp_raw "cookie1 $OFFER")
[ "$r1" = "$r2" ] || fail "retransmitted offer got a different reply"
# A new cookie for the same call-id and from-tag: idempotent, same port.
r3=$(udp_raw "cookie2 $OFFER")
port() { echo "$1" | grep -o 'm=applicationsharing [0-9]*' | head -n 1; }
[ -n "$(port "$r1")" ] && [ "$(port "$r1")" = "$(port "$r3")" ] ||
	fail "repeated offer moved the port: $(port "$r1") vs $(port "$r3")"

expect_error() {
	r=$(udp_raw "$1")
	case "$r" in
	*'"result":"error"'*|*'6:result5:error'*) log "error reply for $2: ok" ;;
	*) fail "$2: expected an error reply, got '$r'" ;;
	esac
	ctl -q ping || fail "daemon stopped serving after $2"
}
expect_error 'k1 {"command":"offer",' "truncated JSON"
expect_error 'k2 d7:command5:offer' "truncated bencode"
expect_error 'k3 xyz' "neither JSON nor bencode"
expect_error 'k4 {"command":"offer","call-id":"c2","from-tag":"f2","sdp":"v=0\r\nm=garbage"}' "malformed SDP"
expect_error 'k5 {"command":"fly"}' "unknown command"
expect_error 'k6 {"command":"answer","call-id":"nope","from-tag":"a","to-tag":"b","sdp":"v=0\r\n"}' "answer for an unknown call"
big=$(head -c 65000 /dev/zero | tr '\0' 'x')
expect_error "k7 {\"command\":\"offer\",\"call-id\":\"c3\",\"from-tag\":\"f3\",\"sdp\":\"$big\"}" "oversized datagram"

# Session limit (max-sessions = 1 and c1 exists).
OFFER2="{\"command\":\"offer\",\"call-id\":\"c9\",\"from-tag\":\"f9\",\"sdp\":\"$SDP\""
r=$(udp_raw "ll1 $OFFER2,\"supports\":[\"load limit\"]}")
case "$r" in *'"result":"load limit"'*) ;; *) fail "load limit: $r" ;; esac
r=$(udp_raw "ll2 $OFFER2}")
case "$r" in *'"result":"error"'*'Parallel session limit reached'*) ;; *) fail "limit: $r" ;; esac

ctl -q list || fail "list failed"
ctl list | grep -q '"c1"' || fail "list does not show c1"
ctl -q query c1 || fail "query c1 failed"
ctl -q statistics || fail "statistics failed"
ctl -q delete c1 f1 || fail "delete c1 failed"
ctl -q query c1 && fail "c1 still known after delete"
wait_cdr c1 10
[ "$(cdr_field c1 14)" = deleted ] || fail "c1 CDR reason is '$(cdr_field c1 14)', want deleted"

# Other media: an audio m-line before the application-sharing one.  max-sessions = 1, so
# each call is deleted before the next offer.
ASDP=$(printf 'v=0\\r\\no=- 1 1 IN IP4 127.0.0.2\\r\\ns=-\\r\\nc=IN IP4 127.0.0.2\\r\\nt=0 0\\r\\nm=audio 5004 RTP/AVP 0\\r\\na=rtpmap:0 PCMU/8000\\r\\nm=applicationsharing 5000 TCP/RTP/AVP 127\\r\\na=ice-ufrag:abcd\\r\\na=ice-pwd:0123456789abcdefghijklmn\\r\\na=candidate:1 1 TCP-PASS 2120613887 127.0.0.2 5000 typ host\\r\\na=rtpmap:127 x-data/90000\\r\\n')
aoffer() { udp_raw "$1 {\"command\":\"offer\",\"call-id\":\"$2\",\"from-tag\":\"f\",\"sdp\":\"$ASDP\"$3}"; }
relayed() { echo "$1" | grep -q 'm=applicationsharing [1-9][0-9]* TCP/RTP/AVP 127' &&
	! echo "$1" | grep -q 'm=applicationsharing 5000 '; }

r=$(aoffer om1 c4 "")
case "$r" in *'"result":"ok"'*'m=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'*) ;;
*) fail "audio without other-media: $r" ;; esac
relayed "$r" || fail "appsharing not relayed next to passed audio: $r"
wait_log "offer call-id c4 .*other-media pass" 5
ctl -q delete c4 f || fail "delete c4 failed"

r=$(aoffer om2 c5 ',"other-media":"refuse"')
case "$r" in *'"result":"ok"'*'m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'*) ;;
*) fail "audio with other-media refuse: $r" ;; esac
relayed "$r" || fail "appsharing not relayed next to refused audio: $r"
wait_log "offer call-id c5 .*other-media refuse" 5
ctl -q delete c5 f || fail "delete c5 failed"

# The bare flag refuse-other-media does the same.
r=$(aoffer om3 c6 ',"flags":["refuse-other-media"]')
case "$r" in *'m=audio 0 RTP/AVP 0'*) ;; *) fail "flag refuse-other-media: $r" ;; esac
ctl -q delete c6 f || fail "delete c6 failed"
log "PASS"
