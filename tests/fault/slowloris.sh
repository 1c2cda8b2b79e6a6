#!/bin/bash
# Slowloris and malformed streams, all at once on one worker, while a legitimate session
# runs: hundreds of connections that send half an RFC 4571 frame (or a header and a few
# bytes of it) and stall; maximal (65535-byte) frames of junk; a flood of bogus and
# malformed STUN; a stalled reader (a party that stops reading while the other sends as
# fast as it can).  The relay keeps answering ping, the legitimate session completes and
# verifies its frames, the worker survives with bounded memory and its descriptors come
# back to where they were, and the stalled session ends with a reason.
. "$(dirname "$0")/lib_fault.sh"

HALF=${SLOW_COUNT:-$(scaled 200 2)}
HOLD=$((SOAK_MINUTES > 0 ? SOAK_MINUTES * 60 : 10))
write_conf "workers = 1" "ice-timeout = 600s" "idle-timeout = 5s"
start_master
wpid=$(worker_pid 0)
[ -n "$wpid" ] || fail "no worker pid"
rss0=$(rss_kb "$wpid") fd0=$(fd_count "$wpid") bad0=$(stat_relay "STUN bad")

# Targets: sessions whose parties are the attacker (no real peer behind them).
abuse_session sl1 127.0.0.8 127.0.0.9
P1A=$ABUSE_PORT_A P1B=$ABUSE_PORT_B
abuse_session sl2 127.0.0.6 127.0.0.7
P2A=$ABUSE_PORT_A P2B=$ABUSE_PORT_B

# The stalled reader: plain TCP (RFC 4145) session; A (a real peer) sends 64 KiB frames
# as fast as it can, B connects from 127.0.0.31 and never reads.
ex=$(dirname "$0")/../../tools/examples
sed 's/127\.0\.0\.3/127.0.0.31/g' "$ex/rfc4145-answer.sdp" > "$T/st-b.sdp"
"$APPSHARE_PEER" offer -d rfc4145 --bind 127.0.0.30 -n 100000 -s 65535 -t $((HOLD + 20)) \
	--sdp-out "$T/st-a.sdp" --remote-sdp "$T/st-a-answer.sdp" > "$T/st-a.log" 2>&1 &
STA=$!
BG_PIDS="$BG_PIDS $STA"
wait_file "$T/st-a.sdp" 10
ctl -q offer st tag-st-a "$T/st-a.sdp" dialect=rfc4145 -o "$T/st-b-offer.sdp" || fail "st: offer"
ctl -q answer st tag-st-a tag-st-b "$T/st-b.sdp" -o "$T/st-a-answer.sdp" || fail "st: answer"
"$FAULT_FLOOD" slow stall 127.0.0.1 "$(sdp_port "$T/st-b-offer.sdp")" 127.0.0.31 1 \
	$((HOLD + 5)) > "$T/flood-stall.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"

# The legitimate session, paced over the whole abuse.
frames=$((HOLD * 40))
start_pair legit legit --bind 127.0.0.2 -n $frames -e $frames --interval 20 -t $((HOLD + 60)) -- \
	--bind 127.0.0.3 -n $frames -e $frames --interval 20 -t $((HOLD + 60)) -- --
LA=$PA LB=$PB

fl=""
flood() {
	name=$1
	shift
	"$FAULT_FLOOD" slow "$@" > "$T/flood-$name.log" 2>&1 &
	fl="$fl $!:$name"
	BG_PIDS="$BG_PIDS $!"
}
flood half    half    127.0.0.1 "$P1A" 127.0.0.8 "$HALF" "$HOLD"
flood partial partial 127.0.0.1 "$P1B" 127.0.0.9 "$HALF" "$HOLD"
flood big     big     127.0.0.1 "$P2A" 127.0.0.6 8 "$HOLD"
flood stun    stun    127.0.0.1 "$P2B" 127.0.0.7 8 "$HOLD"

# While it lasts: ping answers, memory bounded.
rssmax=0 t=0
while [ $t -lt "$HOLD" ]; do
	responsive "during the abuse, after $t s"
	r=$(rss_kb "$wpid")
	[ -n "$r" ] || fail "the worker died during the abuse"
	[ "$r" -le "$rssmax" ] || rssmax=$r
	sleep 1
	t=$((t + 1))
done
for p in $fl; do
	wait "${p%%:*}"
	log "fault-flood ${p#*:}: $(cat "$T/flood-${p#*:}.log")"
done
wait_peer $LA legit-a || fail "the legitimate session failed during the abuse (A)"
wait_peer $LB legit-b || fail "the legitimate session failed during the abuse (B)"
[ "$(worker_pid 0)" = "$wpid" ] || fail "the worker was replaced"
check_rss "worker peak RSS kB during the abuse" "$rss0" "$rssmax" 32768

# The stalled session: the relay stopped reading A (back-pressure) and then ended the
# session: B sent nothing for idle-timeout.
wait_cdr st 30
log "stalled reader: session st ended: $(cdr_field st 14), closing leg $(cdr_field st 15)"
case $(cdr_field st 14) in
idle-timeout|overflow) ;;
*) fail "stalled session st ended with '$(cdr_field st 14)'" ;;
esac
wait $STA
log "stalled session's sender: $(tail -n 1 "$T/st-a.log")"

bad=$(($(stat_relay "STUN bad") - bad0))
log "STUN bad: $bad"
[ "$bad" -ge 1 ] || fail "no bad STUN counted"
# Every bad message is counted, but the debug log (-v) gets the 1st, 2nd, 4th, ... of a
# leg only: at most 1 + log2(bad) lines per flooded leg (allow 4 legs).
lines=$(grep -c "STUN dropped" "$T/master.log")
log "STUN dropped lines in the log: $lines"
[ "$lines" -ge 1 ] || fail "no STUN dropped line at -v"
[ "$lines" -le 4 ] || { [ "$lines" -le 200 ] && [ "$bad" -ge $((1 << (lines / 4 - 1))) ]; } ||
	fail "$lines STUN dropped lines for $bad bad messages: not rate-limited"
for c in sl1 sl2; do
	if [ -n "$(cdr_line $c)" ]; then
		log "abuse session $c ended: $(cdr_field $c 14), leg $(cdr_field $c 15)"
	else
		ctl -q delete $c "tag-$c-a" || fail "delete $c"
	fi
done
for c in sl1 sl2 legit; do wait_cdr $c 15; done
sleep 1
responsive "after the abuse"
rss1=$(rss_kb "$wpid") fd1=$(fd_count "$wpid")
check_rss "worker RSS kB after the abuse" "$rss0" "$rss1" 16384
check_bounded "worker fds after the abuse" "$fd0" "$fd1" 2
log "PASS"
