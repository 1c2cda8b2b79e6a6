# Shared helpers of the end-to-end tests: a real appshare-master on loopback, driven by
# appshare-ctl, with appshare-peer endpoints.  Sourced by tests/integ/*.sh; CTest sets
# APPSHARE_MASTER, APPSHARE_CTL, APPSHARE_PEER and INTEG_PORT_BASE (a block of 100 ports
# per test, so tests can run in parallel).  Only loopback addresses are used.
set -u

: "${APPSHARE_MASTER:?}" "${APPSHARE_CTL:?}" "${APPSHARE_PEER:?}" "${INTEG_PORT_BASE:?}"
INTEG_NAME=$(basename "$0" .sh)
CTL_PORT=$INTEG_PORT_BASE
PORT_MIN=$((INTEG_PORT_BASE + 1))
PORT_MAX=$((INTEG_PORT_BASE + 99))
T=$(mktemp -d "/tmp/appshare-$INTEG_NAME-XXXXXX")
# The master drops root to the service user, which must reach the files below.
chmod 755 "$T"
CDR="$T/cdr"
mkdir "$CDR"
MASTER_PID=""
BG_PIDS=""
INTEG_FAILED=0

if [ "$(id -u)" -eq 0 ]; then
	if id appshare >/dev/null 2>&1; then SERVICE_USER=appshare; else SERVICE_USER=nobody; fi
	chown "$SERVICE_USER" "$CDR"
fi

log() { printf '%s: %s\n' "$INTEG_NAME" "$*"; }

integ_cleanup() {
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
	stop_master
	# A sanitizer report in any process (master, children, peers) fails the test.
	if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/*.log 2>/dev/null; then
		INTEG_FAILED=1
		log "FAIL: sanitizer report above"
		grep -hE -A12 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/*.log | head -n 60
	fi
	if [ "$INTEG_FAILED" -ne 0 ]; then
		log "kept $T for inspection; master log:"
		tail -n 60 "$T/master.log" 2>/dev/null | sed 's/^/    /'
	else
		rm -rf "$T"
	fi
	[ "$INTEG_FAILED" -eq 0 ] || exit 1
}
trap integ_cleanup EXIT

fail() {
	INTEG_FAILED=1
	log "FAIL: $*"
	exit 1
}

skip() {
	log "SKIP: $*"
	exit 77
}

# A real peer that is not installed: a skip on a developer's machine, a failure in CI,
# where scripts/install-deps.sh must have installed it.
need() {
	if [ -n "${CI:-}" ]; then
		fail "$*"
	fi
	skip "$*"
}

# write_conf [extra key = value lines...]
write_conf() {
	{
		echo "control-udp = 127.0.0.1:$CTL_PORT"
		echo "control-tcp = 127.0.0.1:$CTL_PORT"
		echo "media-address = 127.0.0.1"
		echo "port-min = $PORT_MIN"
		echo "port-max = $PORT_MAX"
		echo "port-quarantine = 1s"
		echo "cdr-dir = $CDR"
		if [ "${APPSHARE_SANITIZED:-0}" = 1 ]; then
			# Sanitizer runtimes need syscalls no production filter allows.
			echo "sandbox = off"
		fi
		for l in "$@"; do echo "$l"; done
	} > "$T/appshare.conf"
}

ctl() { "$APPSHARE_CTL" -s "127.0.0.1:$CTL_PORT" "$@"; }

start_master() {
	"$APPSHARE_MASTER" -d -v -f "$T/appshare.conf" > "$T/master.log" 2>&1 &
	MASTER_PID=$!
	if [ "${NO_PING:-0}" = 1 ]; then
		# A master that will not answer us (control-allow): wait for its log instead.
		wait_log "worker 0: pid [0-9]+ ready" 10
		return 0
	fi
	i=0
	while ! ctl -q -w 0.2 ping 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "appshare-master did not answer ping within 10 s"
		kill -0 "$MASTER_PID" 2>/dev/null || fail "appshare-master exited"
	done
	wait_log "ready" 10
}

stop_master() {
	[ -n "$MASTER_PID" ] || return 0
	kill -TERM "$MASTER_PID" 2>/dev/null
	i=0
	while kill -0 "$MASTER_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$MASTER_PID" 2>/dev/null
	wait "$MASTER_PID" 2>/dev/null
	MASTER_PID=""
}

# wait_log PATTERN SECONDS: wait until the master log has a line matching PATTERN (ERE).
wait_log() {
	i=0
	while ! grep -Eq -- "$1" "$T/master.log"; do
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || fail "no log line matching '$1' within $2 s"
		sleep 0.1
	done
}

wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || fail "$1 did not appear within $2 s"
		sleep 0.1
	done
}

# Child PIDs of the master whose command line starts with $1 (appshare-worker, appshare-cdr).
child_pids() {
	for p in $(pgrep -P "$MASTER_PID" 2>/dev/null); do
		case "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" in
		"$1"*) echo "$p" ;;
		esac
	done
}

# PID of "appshare-worker N".
worker_pid() { child_pids "appshare-worker $1 " | head -n 1; }

# start_pair NAME CALL [peer A options] -- [peer B options] -- [offer keys] -- [answer keys]
# Starts peer A (offerer), sends the offer, starts peer B, sends the answer.  Sets
# PA and PB (PIDs); logs in $T/NAME-a.log and $T/NAME-b.log.  With ANSWER_AFTER_B set to
# a log pattern, the answer waits for that line (e.g. B's connection being accepted).
start_pair() {
	name=$1 call=$2
	shift 2
	aopts="" bopts="" okeys="" akeys="" part=a
	for w in "$@"; do
		if [ "$w" = "--" ]; then
			case $part in a) part=b ;; b) part=o ;; o) part=n ;; esac
			continue
		fi
		case $part in
		a) aopts="$aopts $w" ;; b) bopts="$bopts $w" ;;
		o) okeys="$okeys $w" ;; n) akeys="$akeys $w" ;;
		esac
	done
	# shellcheck disable=SC2086
	"$APPSHARE_PEER" offer --sdp-out "$T/$name-a.sdp" --remote-sdp "$T/$name-a-answer.sdp" \
		$aopts > "$T/$name-a.log" 2>&1 &
	PA=$!
	BG_PIDS="$BG_PIDS $PA"
	wait_file "$T/$name-a.sdp" 10
	if [ -n "${OFFER_FILTER:-}" ]; then
		sh -c "$OFFER_FILTER" < "$T/$name-a.sdp" > "$T/$name-a.sdp.f"
		mv "$T/$name-a.sdp.f" "$T/$name-a.sdp"
	fi
	# shellcheck disable=SC2086
	ctl -q offer "$call" "tag-$name-a" "$T/$name-a.sdp" -o "$T/$name-b-offer.sdp" $okeys \
		|| fail "$name: offer failed"
	# shellcheck disable=SC2086
	"$APPSHARE_PEER" answer --remote-sdp "$T/$name-b-offer.sdp" --sdp-out "$T/$name-b.sdp" \
		$bopts > "$T/$name-b.log" 2>&1 &
	PB=$!
	BG_PIDS="$BG_PIDS $PB"
	wait_file "$T/$name-b.sdp" 10
	[ -z "${ANSWER_AFTER_B:-}" ] || wait_log "$ANSWER_AFTER_B" 10
	# shellcheck disable=SC2086
	ctl -q answer "$call" "tag-$name-a" "tag-$name-b" "$T/$name-b.sdp" \
		-o "$T/$name-a-answer.tmp" $akeys || fail "$name: answer failed"
	if [ -n "${ANSWER_FILTER:-}" ]; then
		sh -c "$ANSWER_FILTER" < "$T/$name-a-answer.tmp" > "$T/$name-a-answer.f"
		mv "$T/$name-a-answer.f" "$T/$name-a-answer.sdp"
	else
		mv "$T/$name-a-answer.tmp" "$T/$name-a-answer.sdp"
	fi
}

# wait_peer PID NAME-SIDE: wait for a peer and return its exit status (prints its summary).
wait_peer() {
	wait "$1"
	st=$?
	log "peer $2 (exit $st): $(tail -n 1 "$T/$2.log")"
	return $st
}

# The CDR STOP line of a call ("" if none yet), and its parts.
cdr_line() { cat "$CDR"/*.csv* 2>/dev/null | grep -F ",\"$1\"," | tr -d '\r'; }
cdr_count() { cat "$CDR"/*.csv* 2>/dev/null | grep -cF ",\"$1\","; }
wait_cdr() {
	i=0
	while [ -z "$(cdr_line "$1")" ]; do
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || fail "no CDR line for $1 within $2 s"
		sleep 0.1
	done
}
# Field 14 (Termination Reason) sits before any quoted field with commas? No: fields 6-9
# are quoted but SIP identifiers have no commas in these tests, so a plain split works up
# to field 22; the two stream fields are the last two quoted fields.
cdr_field() { cdr_line "$1" | cut -d, -f"$2"; }
cdr_stream_data() { cdr_line "$1" | sed -E 's/.*,"([^"]*)","([^"]*)"$/\1/'; }
cdr_stream_stats() { cdr_line "$1" | sed -E 's/.*,"([^"]*)","([^"]*)"$/\2/'; }

# One datagram to the control port, one datagram back (bash's /dev/udp).
udp_raw() {
	exec 5<>"/dev/udp/127.0.0.1/$CTL_PORT"
	printf '%s' "$1" >&5
	timeout 3 dd bs=65535 count=1 status=none <&5
	exec 5<&-
}
