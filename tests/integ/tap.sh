#!/bin/bash
# The pcap tap end to end (docs/operations.md "Capturing a session"): an MS-ICE2 A and
# an RFC 6544 B relayed through appshare-master with capture-dir set; tshark reads the
# file and must find the STUN Binding requests and responses of both legs and every
# relayed frame, each way, on each leg.  Then capture-all with a small
# capture-max-size: the file stops at the bound and still reads.
. "$(dirname "$0")/lib.sh"

command -v tshark >/dev/null 2>&1 || need "tshark is not installed (scripts/install-deps.sh)"
N=40
CAP="$T/pcap"
mkdir "$CAP"
[ "$(id -u)" -eq 0 ] && chown "$SERVICE_USER" "$CAP"
# tshark as root warns on stderr; its profile goes to a private HOME.
export HOME="$T"
tsk() { tshark -n -r "$@" 2>/dev/null; }

# run_call CALL NAME [RECORD]: A offers, (start recording,) B answers, both peers send
# and verify N frames.
run_call() {
	call=$1 name=$2
	"$APPSHARE_PEER" offer --sdp-out "$T/$name-a.sdp" --remote-sdp "$T/$name-a-answer.sdp" \
		--bind 127.0.0.2 -n $N -e $N -t 20 > "$T/$name-a.log" 2>&1 &
	PA=$!
	BG_PIDS="$BG_PIDS $PA"
	wait_file "$T/$name-a.sdp" 10
	ctl -q offer "$call" "tag-$name-a" "$T/$name-a.sdp" -o "$T/$name-b-offer.sdp" ||
		fail "$name: offer failed"
	if [ "${3:-}" = record ]; then
		# Before B exists and before any ICE: the whole exchange is in the file.
		out=$(ctl raw "{\"command\":\"start recording\",\"call-id\":\"$call\"}") ||
			fail "$name: start recording: $out"
		echo "$out" | grep -q '"ok"' || fail "$name: start recording replied $out"
	fi
	"$APPSHARE_PEER" answer --remote-sdp "$T/$name-b-offer.sdp" --sdp-out "$T/$name-b.sdp" \
		-d rfc6544 --bind 127.0.0.3 -n $N -e $N -t 20 > "$T/$name-b.log" 2>&1 &
	PB=$!
	BG_PIDS="$BG_PIDS $PB"
	wait_file "$T/$name-b.sdp" 10
	ctl -q answer "$call" "tag-$name-a" "tag-$name-b" "$T/$name-b.sdp" \
		-o "$T/$name-a-answer.tmp" || fail "$name: answer failed"
	mv "$T/$name-a-answer.tmp" "$T/$name-a-answer.sdp"
	wait_peer $PA $name-a || fail "$name: peer A failed"
	wait_peer $PB $name-b || fail "$name: peer B failed"
	wait_log "session $call: recording stopped" 10
}

# 1. start recording on a call that does not exist; then a real one.
write_conf "capture-dir = $CAP"
start_master
out=$(ctl raw '{"command":"start recording","call-id":"nope"}' 2>&1)
echo "$out" | grep -q "Unknown call-id" || fail "start recording, unknown call: $out"
run_call tap1 t1 record
F=$(ls "$CAP"/tap1-*.pcap 2>/dev/null | head -n 1)
[ -n "$F" ] || fail "no capture file for tap1 in $CAP: $(ls "$CAP")"
log "capture file $(basename "$F"), $(stat -c %s "$F") bytes"
[ "$(stat -c %a "$F")" = 640 ] || fail "capture file mode $(stat -c %a "$F")"

# STUN, decoded as tshark finds it on its own: per peer address (A 127.0.0.2, B
# 127.0.0.3), requests and success responses in both directions.
stun=$(tsk "$F" -Y stun -T fields -E aggregator=' ' -e ip.src -e ip.dst -e stun.type)
[ -n "$stun" ] || fail "tshark finds no STUN in $F"
for peer in 127.0.0.2 127.0.0.3; do
	for dir in "$peer 127.0.0.1" "127.0.0.1 $peer"; do
		for ty in 0x0001 0x0101; do
			n=$(echo "$stun" | awk -v s="${dir% *}" -v d="${dir#* }" -v t=$ty \
				'$1 == s && $2 == d { for (i = 3; i <= NF; i++) if ($i == t) c++ }
				END { print c + 0 }')
			[ "$n" -ge 1 ] || fail "no STUN $ty from ${dir% *} to ${dir#* }"
		done
	done
done
log "STUN Binding requests and responses on both legs, both ways"

# Relayed frames: RTP in RFC 4571 framing once the relay's ports are decoded as RTP
# (STUN frames then show as RTP version 0).  N data frames + the end marker each way.
ports=$(tsk "$F" -Y 'ip.src == 127.0.0.1 && tcp.flags.syn == 1' -T fields -e tcp.srcport \
	| sort -u)
ports="$ports $(tsk "$F" -Y 'ip.dst == 127.0.0.1 && tcp.flags.syn == 1' -T fields \
	-e tcp.dstport | sort -u)"
dec=""
for p in $(echo $ports | tr ' ' '\n' | sort -u); do dec="$dec -d tcp.port==$p,rtp"; done
# shellcheck disable=SC2086
rtp=$(tsk "$F" $dec -Y rtp -T fields -E aggregator=' ' -e ip.src -e ip.dst -e rtp.version)
for peer in 127.0.0.2 127.0.0.3; do
	for dir in "$peer 127.0.0.1" "127.0.0.1 $peer"; do
		n=$(echo "$rtp" | awk -v s="${dir% *}" -v d="${dir#* }" \
			'$1 == s && $2 == d { for (i = 3; i <= NF; i++) if ($i == 2) c++ }
			END { print c + 0 }')
		[ "$n" -eq $((N + 1)) ] || fail "$n RTP frames from ${dir% *} to ${dir#* }, want $((N + 1))"
	done
done
log "relayed frames: $((N + 1)) each way on each leg"
# The sequence numbers are consistent: tshark sees no gap or overlap.
bad=$(tsk "$F" -Y 'tcp.analysis.flags && !tcp.analysis.window_update' | wc -l)
[ "$bad" -eq 0 ] || fail "tshark flags $bad TCP anomalies: $(tsk "$F" -Y tcp.analysis.flags | head -n 3)"
stop_master

# 2. capture-all with a small bound: the file ends at a record boundary at or under it.
rm -f "$CAP"/*.pcap
write_conf "capture-dir = $CAP" "capture-all = yes" "capture-max-size = 16K"
start_master
run_call tap2 t2
F=$(ls "$CAP"/tap2-*.pcap 2>/dev/null | head -n 1)
[ -n "$F" ] || fail "capture-all: no capture file for tap2"
size=$(stat -c %s "$F")
[ "$size" -le 16384 ] || fail "capture-all: file of $size bytes above capture-max-size 16K"
# The first record that would pass the bound is not written (a data segment of up to
# 16 KiB here): what came before it stays.
[ "$size" -gt 24 ] || fail "capture-all: file of only $size bytes"
grep -q "session tap2: capture .* reached capture-max-size" "$T/master.log" ||
	fail "capture-all: the size limit was not logged"
tsk "$F" -Y stun > /dev/null || fail "the bounded file does not read"
[ "$(tsk "$F" -Y 'stun.type == 0x0001' | wc -l)" -ge 1 ] ||
	fail "capture-all: no Binding Request in the file"
log "capture-all: $size bytes, stopped at the bound"
stop_master

# 3. Without capture-dir: a clear error.
write_conf
start_master
run_out=$(ctl raw '{"command":"start recording","call-id":"x"}' 2>&1)
echo "$run_out" | grep -q "Recording not configured" || fail "no capture-dir: $run_out"
log "ok"
