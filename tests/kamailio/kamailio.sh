#!/bin/bash
# A real SIP path: SIPp caller -> Kamailio 5.6 (stock rtpengine module) -> SIPp callee,
# with appshare as the module's media relay for application sharing, and two
# appshare-peer endpoints that complete ICE through appshare and exchange frames.
#
# Kamailio runs packaging/kamailio/appshare.cfg, the documented example, unchanged: only
# its #!defines are set on the command line (loopback ports of this test's block; the
# audio/video rtpengine set points at a port where nothing listens, as no audio call is
# made).  The rtpengine module pings appshare at start-up and sends bencode with its own
# cookies; offer, answer and delete go to appshare.
#
# Sequence (ports: block 22500-22999, see tests/cmake/kamailio.cmake):
#  1. appshare-master on 127.0.0.1:22500 (control), media ports 22501-22599;
#     Kamailio on udp:127.0.0.1:22600, waiting until appshare has answered its ping.
#  2. Peer B (the callee's endpoint, RFC 6544 ICE-TCP, 127.0.0.3:22604) starts with
#     --sdp-first: it writes b.sdp at once and then polls b-offer.sdp.  SIPp scenarios
#     are static, so the callee's 200 OK can only carry an SDP that exists when the
#     INVITE arrives; an ICE answer does not depend on the offer, so B writes it first.
#  3. Peer A (the caller, a Lync-like MS-ICE2 endpoint, 127.0.0.2:22603) writes a.sdp.
#  4. The SIPp callee (uas.xml, 22601) listens; the SIPp caller (uac.xml, 22602) sends
#     the INVITE with a.sdp through Kamailio.  Kamailio sees m=applicationsharing,
#     picks the appshare set, rtpengine_offer() -> appshare rewrites (dialect=rfc6544
#     for the callee, from the cfg's APPSHARE_OFFER_FLAGS).  The callee saves the SDP
#     it got as b-offer.sdp (B reads it) and answers with b.sdp; rtpengine_answer()
#     -> appshare rewrites; the caller saves the 200 OK's SDP as a-answer.sdp (A
#     reads it) and sends the ACK.
#  5. A and B run ICE over TCP with appshare and exchange frames both ways, verified
#     byte for byte.  With --hold they then keep their connections open, so that the
#     session is still up when the call ends: the CDR reason is then `deleted`, not
#     `peer-closed`, every time.
#  6. Once both peers say "exchange complete", the test sends a SIP INFO straight to
#     the caller's port (a trigger for SIPp, not part of the call); the caller sends
#     the BYE through Kamailio -> rtpengine_delete() -> appshare ends the session and
#     closes both connections -> A and B exit 0 -> one CDR STOP line, reason deleted.
#
# Checks: both SDPs received through SIP carry appshare's address and ports and its TCP
# candidates, never the other endpoint's; Kamailio's ping, offer, answer and delete all
# reached appshare; both peers verified their frames; the CDR line.
. "$(dirname "$0")/../integ/lib.sh"

KAM_CFG=$(cd "$(dirname "$0")/../../packaging/kamailio" && pwd)/appshare.cfg
SCEN=$(cd "$(dirname "$0")" && pwd)
KAM_PORT=$((INTEG_PORT_BASE + 100))
UAS_PORT=$((INTEG_PORT_BASE + 101))
UAC_PORT=$((INTEG_PORT_BASE + 102))
A_PORT=$((INTEG_PORT_BASE + 103))
B_PORT=$((INTEG_PORT_BASE + 104))
UAS_CP=$((INTEG_PORT_BASE + 105))
UAC_CP=$((INTEG_PORT_BASE + 106))
UAS_MP=$((INTEG_PORT_BASE + 110))
UAC_MP=$((INTEG_PORT_BASE + 120))
AV_PORT=$((INTEG_PORT_BASE + 130))
CALL=appshare-kam-$$@127.0.0.1
N=300
KAM_PID="" UAS_PID="" UAC_PID=""

command -v kamailio >/dev/null 2>&1 || need "kamailio is not installed (scripts/install-deps.sh)"
command -v sipp >/dev/null 2>&1 || need "sipp is not installed (package sip-tester)"
ls /usr/lib/*/kamailio/modules/rtpengine.so >/dev/null 2>&1 ||
	need "Kamailio's rtpengine module is missing"

# Stop what this test started, by PID, then the master (lib.sh).
kam_cleanup() {
	st=$?
	for p in $UAC_PID $UAS_PID; do kill "$p" 2>/dev/null; done
	if [ -n "$KAM_PID" ]; then
		kill -TERM "$KAM_PID" 2>/dev/null
		i=0
		while kill -0 "$KAM_PID" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$KAM_PID" 2>/dev/null
	fi
	# exit 77 is a skip; any other status without fail() is a failure too.
	if [ "$INTEG_FAILED" -ne 0 ] || { [ "$st" -ne 0 ] && [ "$st" -ne 77 ]; }; then
		INTEG_FAILED=1
		for f in kamailio.log uas.out uac.out uas-err.log uac-err.log a.log b.log; do
			[ -s "$T/$f" ] || continue
			log "--- $f (tail)"
			tail -n 40 "$T/$f" | sed 's/^/    /'
		done
	fi
	integ_cleanup
}
trap kam_cleanup EXIT

# The relay.  Kamailio runs as whoever we are; root in CI.
write_conf "workers = 2"
start_master

# Kamailio in the foreground (-DD: the main process stays ours; -E: log to stderr;
# -Y: its runtime directory, so that nothing under /run is needed).
mkdir "$T/run"
kamailio -f "$KAM_CFG" -DD -E -Y "$T/run" -m 64 -M 8 \
	-A "SIP_LISTEN=udp:127.0.0.1:$KAM_PORT" \
	-A "RTPENGINE_SOCK=\"0 == udp:127.0.0.1:$AV_PORT\"" \
	-A "APPSHARE_SOCK=\"1 == udp:127.0.0.1:$CTL_PORT\"" \
	-A 'APPSHARE_OFFER_FLAGS="dialect=rfc6544"' \
	-A "CHILDREN=2" > "$T/kamailio.log" 2>&1 &
KAM_PID=$!
# The module pings its nodes when its workers start, and logs this line only once the
# node answered pong (bencode, with the module's own cookie).
i=0
until grep -q "rtpengine instance <udp:127.0.0.1:$CTL_PORT> found" "$T/kamailio.log"; do
	kill -0 "$KAM_PID" 2>/dev/null || fail "kamailio exited at start-up"
	i=$((i + 1))
	[ $i -lt 150 ] || fail "kamailio did not find appshare (ping/pong) within 15 s"
	sleep 0.1
done
log "kamailio $KAM_PID up; appshare answered its ping"

# Peer B, the callee's endpoint: its SDP first, then it waits for the relayed offer.
"$APPSHARE_PEER" answer --sdp-first -d rfc6544 --bind "127.0.0.3:$B_PORT" \
	-o "$T/b.sdp" -i "$T/b-offer.sdp" -n $N -e $N -t 60 --hold 40 > "$T/b.log" 2>&1 &
PB=$!
BG_PIDS="$BG_PIDS $PB"
# Peer A, the caller's endpoint (Lync-like, with libnice-style duplicate checks).
"$APPSHARE_PEER" offer -D --bind "127.0.0.2:$A_PORT" \
	-o "$T/a.sdp" -i "$T/a-answer.sdp" -n $N -e $N -t 60 --hold 40 > "$T/a.log" 2>&1 &
PA=$!
BG_PIDS="$BG_PIDS $PA"
wait_file "$T/b.sdp" 10
wait_file "$T/a.sdp" 10

# udp_listening PORT: a UDP socket is bound to PORT (no ss on a minimal Debian).
udp_listening() {
	grep -qi ":$(printf '%04X' "$1") " /proc/net/udp
}

# The SIPp callee, then the caller.  -ci: SIPp's own control socket on loopback too.
sipp_common="-i 127.0.0.1 -ci 127.0.0.1 -m 1 -nostdin -timeout 90s -key dir $T -trace_err"
# shellcheck disable=SC2086
sipp -sf "$SCEN/uas.xml" $sipp_common -p "$UAS_PORT" -cp "$UAS_CP" -mp "$UAS_MP" \
	-error_file "$T/uas-err.log" -trace_msg -message_file "$T/uas-msg.log" \
	> "$T/uas.out" 2>&1 &
UAS_PID=$!
i=0
until udp_listening "$UAS_PORT"; do
	kill -0 "$UAS_PID" 2>/dev/null || fail "the SIPp callee exited at start-up"
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the SIPp callee did not bind port $UAS_PORT within 10 s"
	sleep 0.1
done
# The request URI names the callee; -rsa sends every request to Kamailio.
# shellcheck disable=SC2086
sipp -sf "$SCEN/uac.xml" $sipp_common -p "$UAC_PORT" -cp "$UAC_CP" -mp "$UAC_MP" \
	-cid_str "$CALL" -rsa "127.0.0.1:$KAM_PORT" \
	-error_file "$T/uac-err.log" -trace_msg -message_file "$T/uac-msg.log" \
	"127.0.0.1:$UAS_PORT" > "$T/uac.out" 2>&1 &
UAC_PID=$!

# The SDPs as the endpoints received them through SIP.
wait_file "$T/b-offer.sdp" 15
wait_file "$T/a-answer.sdp" 15
log "INVITE and 200 OK went through Kamailio"

# section FILE: the m=applicationsharing section (o= and a session-level c= are left
# alone by design, docs/sdp-rewrite.md).
section() { sed -n '/^m=applicationsharing/,$p' "$1" | tr -d '\r'; }
# check_sdp FILE WHO OTHER-ADDRESS CANDIDATE-PATTERN: appshare's address, ports in its
# range, TCP candidates of the expected spelling, nothing of the other endpoint.
check_sdp() {
	s=$(section "$1")
	[ -n "$s" ] || fail "$2: no m=applicationsharing section in $1"
	port=$(echo "$s" | sed -n 's/^m=applicationsharing \([0-9]*\) TCP\/RTP\/AVP .*/\1/p')
	[ -n "$port" ] && [ "$port" -ge "$PORT_MIN" ] && [ "$port" -le "$PORT_MAX" ] ||
		fail "$2: m= port '$port' is not one of appshare's ($PORT_MIN-$PORT_MAX)"
	echo "$s" | grep -qx "c=IN IP4 127\.0\.0\.1" || fail "$2: no c= with appshare's address"
	echo "$s" | grep -q "$3" && fail "$2: the SDP leaks the other endpoint ($3)"
	nc=$(echo "$s" | grep -c "^a=candidate:")
	[ "$nc" -ge 1 ] || fail "$2: no candidate"
	[ "$(echo "$s" | grep "^a=candidate:" | grep -c "$4")" -eq "$nc" ] ||
		fail "$2: candidates not all '$4': $(echo "$s" | grep '^a=candidate:')"
	echo "$s" | grep "^a=candidate:" | while read -r _ _ _ _ addr cport _; do
		[ "$addr" = 127.0.0.1 ] && [ "$cport" -ge "$PORT_MIN" ] &&
			[ "$cport" -le "$PORT_MAX" ] ||
			{ log "FAIL: $2: candidate $addr $cport is not appshare's"; exit 1; }
	done || fail "$2: a candidate names something else than appshare"
	grep -Eq "offer call-id $CALL .*ports ([0-9]+/)*$port\b" "$T/master.log" ||
		fail "$2: port $port is not one appshare allocated for $CALL"
	log "$2 got appshare's SDP: port $port, $nc TCP candidates on 127.0.0.1"
}
# B (RFC 6544 device, dialect=rfc6544 from Kamailio's flags): tcptype spelling.
check_sdp "$T/b-offer.sdp" "callee" "127\.0\.0\.2" "^a=candidate:[^ ]* [12] TCP [0-9]* 127\.0\.0\.1 [0-9]* typ host tcptype "
# A (MS-ICE2): Lync's TCP-PASS / TCP-ACT spelling.
check_sdp "$T/a-answer.sdp" "caller" "127\.0\.0\.3" "^a=candidate:[^ ]* [12] TCP-\(PASS\|ACT\) "
grep -q "dialect=rfc6544\|leg B rfc6544" "$T/master.log" ||
	fail "appshare did not get dialect=rfc6544 from Kamailio's flags"

# ICE through appshare, the frames both ways; then both hold their connections.
for side in a b; do
	i=0
	until grep -q "exchange complete" "$T/$side.log"; do
		i=$((i + 1))
		[ $i -lt 400 ] || fail "peer $side did not finish its exchange within 40 s"
		kill -0 "$([ $side = a ] && echo $PA || echo $PB)" 2>/dev/null ||
			fail "peer $side exited early: $(tail -n 1 "$T/$side.log")"
		sleep 0.1
	done
done
log "both endpoints completed ICE through appshare and exchanged $N frames each way"

# Hang up: a SIP INFO straight to the caller's port (a trigger for SIPp, outside the
# call: its Via points at the discard port), then the caller's BYE goes via Kamailio.
printf -v info 'INFO sip:sharer@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-hangup-%s\r\nFrom: <sip:test@127.0.0.1>;tag=hangup\r\nTo: <sip:sharer@127.0.0.1:%s>\r\nCall-ID: %s\r\nCSeq: 1 INFO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
	"$UAC_PORT" "$$" "$UAC_PORT" "$CALL"
# One write, one datagram (printf with that format would send line by line).
exec 5<>"/dev/udp/127.0.0.1/$UAC_PORT"
printf '%s' "$info" >&5
exec 5<&-

# wait_exit PID NAME SECONDS: its exit status, or fail after SECONDS.
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $(($3 * 10)) ] || fail "$2 did not end within $3 s"
		sleep 0.1
	done
	wait "$1"
}
wait_exit "$UAC_PID" "the SIPp caller" 15 || fail "the SIPp caller failed (exit $?)"
UAC_PID=""
wait_exit "$UAS_PID" "the SIPp callee" 15 || fail "the SIPp callee failed (exit $?)"
UAS_PID=""
log "BYE went through Kamailio; both SIPp ends finished their scenarios"

# rtpengine_delete() -> appshare closed the session and both connections.
wait_log "delete call-id $CALL " 5
wait_log "session $CALL: closed: deleted" 5
wait_peer $PA a || fail "peer A failed"
wait_peer $PB b || fail "peer B failed"
for side in a b; do
	grep -q "closed by the other side: finished" "$T/$side.log" ||
		fail "peer $side: appshare did not close its connection at the delete"
done

# One CDR STOP line, reason deleted, with the SIP tags and every frame counted.
wait_cdr "$CALL" 10
[ "$(cdr_count "$CALL")" -eq 1 ] || fail "$(cdr_count "$CALL") CDR lines for $CALL, want 1"
[ "$(cdr_field "$CALL" 1)" = STOP ] || fail "CDR record type $(cdr_field "$CALL" 1)"
[ "$(cdr_field "$CALL" 14)" = deleted ] || fail "CDR reason $(cdr_field "$CALL" 14), want deleted"
case "$(cdr_field "$CALL" 8)" in '"uac-'*) ;; *) fail "CDR From Tag $(cdr_field "$CALL" 8)" ;; esac
case "$(cdr_field "$CALL" 9)" in '"uas-'*) ;; *) fail "CDR To Tag $(cdr_field "$CALL" 9)" ;; esac
[ "$(cdr_field "$CALL" 19)" = ms-ice2 ] && [ "$(cdr_field "$CALL" 21)" = rfc6544 ] ||
	fail "CDR dialects $(cdr_field "$CALL" 19)/$(cdr_field "$CALL" 21)"
stats=$(cdr_stream_stats "$CALL")
for leg in 1 2; do
	s=$(echo "$stats" | cut -d';' -f$leg)
	[ "$(echo "$s" | cut -d, -f1)" -eq $((N + 1)) ] &&
		[ "$(echo "$s" | cut -d, -f2)" -eq $((N + 1)) ] ||
		fail "CDR leg $leg frames: $s, want $((N + 1)) each way"
done
log "CDR: $(cdr_line "$CALL" | cut -d, -f1,7-9,13-14)"
log "PASS"
