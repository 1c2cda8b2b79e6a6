# Helpers of the libnice interop tests (tests/interop/nice_*.sh), on top of
# tests/integ/lib.sh (start_master, wait_cdr, cdr_* ...).  CTest sets NICE_PEER (the
# libnice test peer, tests/interop/nice_peer.c) next to lib.sh's variables; without it
# (libnice-dev was missing at configure time) the tests skip.
. "$(dirname "$0")/../integ/lib.sh"

[ -n "${NICE_PEER:-}" ] || need "nice_peer not built (libnice-dev missing at configure time)"
[ -x "$NICE_PEER" ] || fail "NICE_PEER=$NICE_PEER is not executable"

# 1000 frames of 1200 bytes: 1 200 000 bytes (> 1 MiB) of RTP each way, in Lync's
# frame size.
NF=1000
FSIZE=1200	# used by the test scripts

# nice_write_conf MEDIA-ADDRESS [extra key = value lines...]: lib.sh's write_conf with
# another media address (the config refuses a key given twice).
nice_write_conf() {
	media=$1
	shift
	write_conf "$@"
	sed -i "s/^media-address = .*/media-address = $media/" "$T/appshare.conf"
}

# nice_pair NAME CALL PROG-A [A options] -- PROG-B [B options] -- [offer keys] -- [answer keys]
# As lib.sh's start_pair, but each side names its program: "$NICE_PEER" or
# "$APPSHARE_PEER" (both speak the same offer/answer file protocol, docs/tools.md).
# Sets PA and PB; logs in $T/NAME-a.log and $T/NAME-b.log.
nice_pair() {
	name=$1 call=$2
	shift 2
	aprog="" bprog="" aopts="" bopts="" okeys="" akeys="" part=a
	for w in "$@"; do
		if [ "$w" = "--" ]; then
			case $part in a) part=b ;; b) part=o ;; o) part=n ;; esac
			continue
		fi
		case $part in
		a) if [ -z "$aprog" ]; then aprog=$w; else aopts="$aopts $w"; fi ;;
		b) if [ -z "$bprog" ]; then bprog=$w; else bopts="$bopts $w"; fi ;;
		o) okeys="$okeys $w" ;; n) akeys="$akeys $w" ;;
		esac
	done
	# shellcheck disable=SC2086
	"$aprog" offer --sdp-out "$T/$name-a.sdp" --remote-sdp "$T/$name-a-answer.sdp" \
		$aopts > "$T/$name-a.log" 2>&1 &
	PA=$!
	BG_PIDS="$BG_PIDS $PA"
	wait_file "$T/$name-a.sdp" 10
	# shellcheck disable=SC2086
	ctl -q offer "$call" "tag-$name-a" "$T/$name-a.sdp" -o "$T/$name-b-offer.sdp" $okeys \
		|| fail "$name: offer failed"
	# shellcheck disable=SC2086
	"$bprog" answer --remote-sdp "$T/$name-b-offer.sdp" --sdp-out "$T/$name-b.sdp" \
		$bopts > "$T/$name-b.log" 2>&1 &
	PB=$!
	BG_PIDS="$BG_PIDS $PB"
	wait_file "$T/$name-b.sdp" 10
	# shellcheck disable=SC2086
	ctl -q answer "$call" "tag-$name-a" "tag-$name-b" "$T/$name-b.sdp" \
		-o "$T/$name-a-answer.sdp" $akeys || fail "$name: answer failed"
}

# nice_wait NAME: both peers of a pair; each must have verified every frame.
nice_wait() {
	for side in a b; do
		if [ $side = a ]; then pid=$PA; else pid=$PB; fi
		wait "$pid"
		st=$?
		log "peer $1-$side (exit $st): $(summary "$1-$side")"
		if [ $st -ne 0 ]; then
			tail -n 20 "$T/$1-$side.log" | sed 's/^/    /'
			fail "$1: peer $side failed"
		fi
	done
}

# summary NAME-SIDE: the peer's summary line (its last line on stdout; libnice may log
# on stderr around it).
summary() { grep -E "^(nice_peer|appshare-peer): " "$T/$1.log" | tail -n 1; }

# sent_octets NAME-SIDE VAR: sets VAR to the bytes that peer put on the wire as data:
# its frames plus their RFC 4571 prefixes, plus the 20-byte end marker and its prefix.
sent_octets() {
	l=$(summary "$1")
	f=$(echo "$l" | sed -nE 's/.* sent ([0-9]+) frames ([0-9]+) octets.*/\1/p')
	o=$(echo "$l" | sed -nE 's/.* sent ([0-9]+) frames ([0-9]+) octets.*/\2/p')
	[ -n "$f" ] && [ -n "$o" ] || fail "$1: no summary line in $T/$1.log"
	eval "$2=$((o + 2 * f + 22))"
}

# nice_check_cdr NAME CALL A-DIALECT A-ROLE B-DIALECT B-ROLE: one STOP line for CALL;
# TCP/LYNC/APPSHARE on both legs; each leg's dialect and the relay's TCP role on it;
# every data frame and the end markers counted each way, and the octets of each leg
# at least what the peers sent (the CDR also counts STUN: docs/cdr.md); an orderly end.
nice_check_cdr() {
	name=$1 call=$2
	wait_cdr "$call" 15
	[ "$(cdr_count "$call")" -eq 1 ] || fail "$call: $(cdr_count "$call") CDR lines, want 1"
	data=$(cdr_stream_data "$call")
	stats=$(cdr_stream_stats "$call")
	case "$data" in
	1:applicationsharing:TCP/LYNC/APPSHARE:*\;2:applicationsharing:TCP/LYNC/APPSHARE:*) ;;
	*) fail "$call: Media Stream Data is '$data'" ;;
	esac
	[ "$(cdr_field "$call" 18)" = TCP/RTP/AVP ] ||
		fail "$call: Media Protocol is $(cdr_field "$call" 18)"
	want="$3,$4,$5,$6"
	got=$(cdr_line "$call" | cut -d, -f19-22)
	[ "$got" = "$want" ] ||
		fail "$call: legs (dialect,role,dialect,role) $got, want $want"
	reason=$(cdr_field "$call" 14)
	case "$reason" in
	peer-closed|deleted) ;;
	*) fail "$call: Termination Reason $reason" ;;
	esac
	[ -n "$(cdr_field "$call" 11)" ] || fail "$call: no ICE Completed Time"
	sent_octets "$name-a" sa
	sent_octets "$name-b" sb
	for leg in 1 2; do
		s=$(echo "$stats" | cut -d';' -f$leg)
		fin=$(echo "$s" | cut -d, -f1) fout=$(echo "$s" | cut -d, -f2)
		oin=$(echo "$s" | cut -d, -f3) oout=$(echo "$s" | cut -d, -f4)
		sin=$(echo "$s" | cut -d, -f5)
		if [ $leg -eq 1 ]; then want_in=$sa want_out=$sb; else want_in=$sb want_out=$sa; fi
		[ "$fin" -ge "$NF" ] && [ "$fout" -ge "$NF" ] ||
			fail "$call leg $leg: frames in/out $fin/$fout, want >= $NF ($stats)"
		[ "$oin" -ge "$want_in" ] && [ "$oout" -ge "$want_out" ] ||
			fail "$call leg $leg: octets in/out $oin/$oout," \
				"want >= $want_in/$want_out ($stats)"
		[ "$sin" -gt 0 ] || fail "$call leg $leg: no STUN counted ($stats)"
	done
	log "$call: CDR ok: $reason, $got: $data / $stats"
}
