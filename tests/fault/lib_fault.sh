# Helpers of the fault and abuse tests (tests/fault/*.sh), on top of tests/integ/lib.sh.
# CTest also sets FAULT_FLOOD (the fault-flood helper).  Knobs for the long forms
# (make soak): FAULT_SCALE multiplies the counts, SOAK_MINUTES stretches the timed phases.
. "$(dirname "$0")/../integ/lib.sh"
: "${FAULT_FLOOD:?}"

FAULT_SCALE=${FAULT_SCALE:-1}
SOAK_MINUTES=${SOAK_MINUTES:-0}

# scaled N [DIV]: N times FAULT_SCALE, divided by DIV (default 4) under the sanitizers.
scaled() {
	n=$(($1 * FAULT_SCALE))
	if [ "${APPSHARE_SANITIZED:-0}" = 1 ]; then n=$((n / ${2:-4})); fi
	[ "$n" -ge 1 ] || n=1
	echo "$n"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# The number after "KEY": in the "relay" block of `statistics` (sums over workers).
stat_relay() { ctl statistics | sed -n '/"relay"/,$p' | grep -F "\"$1\":" | grep -Eo '[0-9]+' | head -n 1; }
# The number after "KEY": in "controlstatistics".
stat_ctl() { ctl statistics | sed -n '/"controlstatistics"/,/}/p' | grep -F "\"$1\":" | grep -Eo '[0-9]+' | head -n 1; }

# The port of the first m=applicationsharing line of an SDP file.
sdp_port() { awk '/^m=applicationsharing/ { print $2; exit }' "$1"; }

# abuse_session CALL ADDR-A ADDR-B: a session whose two parties are the attacker itself,
# from fixed SDPs (no real peer): leg A admits ADDR-A, leg B admits ADDR-B.  Sets
# ABUSE_PORT_A (the relay's port for A) and ABUSE_PORT_B.
abuse_session() {
	ex=$(dirname "$0")/../../tools/examples
	sed "s/127\.0\.0\.2/$2/g" "$ex/lync-offer.sdp" > "$T/$1-offer.sdp"
	sed "s/127\.0\.0\.3/$3/g" "$ex/rfc6544-answer.sdp" > "$T/$1-answer.sdp"
	ctl -q offer "$1" "tag-$1-a" "$T/$1-offer.sdp" dialect=rfc6544 -o "$T/$1-b.sdp" \
		|| fail "$1: offer failed"
	ctl -q answer "$1" "tag-$1-a" "tag-$1-b" "$T/$1-answer.sdp" -o "$T/$1-a.sdp" \
		|| fail "$1: answer failed"
	ABUSE_PORT_A=$(sdp_port "$T/$1-a.sdp")
	ABUSE_PORT_B=$(sdp_port "$T/$1-b.sdp")
	[ -n "$ABUSE_PORT_A" ] && [ -n "$ABUSE_PORT_B" ] || fail "$1: no relay ports"
}

# The worker that holds a call (from the master log).
call_worker() { grep -Eo "worker [0-9]+: session $1: new" "$T/master.log" | head -n 1 | awk '{ print $2 }' | tr -d :; }

# The relay answers: ping within 2 s (3 tries).
responsive() { ctl -q -w 2 ping || fail "the master did not answer ping ($*)"; }

# check_bounded WHAT BEFORE AFTER LIMIT: AFTER may exceed BEFORE by at most LIMIT.
check_bounded() {
	log "$1: before $2, after $3 (limit +$4)"
	[ "$3" -le $(($2 + $4)) ] || fail "$1 grew from $2 to $3 (more than +$4)"
}

# The metrics endpoint (write_conf "$METRICS_CONF"): on 127.0.0.2 at the control port,
# outside the media range.  metric NAME: its value now ("" if absent).
METRICS_CONF="metrics-address = 127.0.0.2:$CTL_PORT"
metric() {
	exec 6<>"/dev/tcp/127.0.0.2/$CTL_PORT" || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: appshare\r\n\r\n' >&6
	timeout 5 cat <&6 | tr -d '\r' | awk -v n="$1" '$1 == n { print $2 }'
	exec 6<&-
}

# check_rss WHAT BEFORE AFTER LIMIT: check_bounded, except under the sanitizers, where
# ASan's quarantine (256 MiB of freed memory held back) makes RSS meaningless; there
# LeakSanitizer checks every process at exit instead.
check_rss() {
	if [ "${APPSHARE_SANITIZED:-0}" = 1 ]; then
		log "$1: before $2, after $3 (not compared under the sanitizers)"
		return 0
	fi
	check_bounded "$@"
}
