#!/bin/bash
# The benchmark suite (docs/performance.md): appshare (Release build, sandbox on) side by
# side with direct loopback and haproxy (mode tcp) in the same run, loopback only.
#
#   bench/run.sh BUILD-DIR
#
# Knobs (environment): N (sessions, 1000), RATE_MBIT (per session and direction, 2),
# SIZE (frame bytes, 8192), DUR (data seconds, 20), IDLE_N (idle sessions, 10000; 0 skips),
# IDLE_DUR (5), STREAM_DUR (single stream seconds, 5), STREAM_SIZE (65535),
# WORKERS (relay workers, 2), PROFILE (1: perf stat/record of the workers during the
# N-session run, if perf is installed).  Output: KEY=VALUE files in $OUT (kept), the
# table on stdout, progress on stderr.
set -u
BUILD=${1:-build-bench}
BUILD=$(cd "$BUILD" && pwd)
N=${N:-1000}
RATE_MBIT=${RATE_MBIT:-2}
SIZE=${SIZE:-8192}
DUR=${DUR:-20}
IDLE_N=${IDLE_N:-10000}
IDLE_DUR=${IDLE_DUR:-5}
STREAM_DUR=${STREAM_DUR:-5}
STREAM_SIZE=${STREAM_SIZE:-65535}
WORKERS=${WORKERS:-2}
PROFILE=${PROFILE:-1}
LOAD=$BUILD/bench/appshare-load
MASTER=$BUILD/master/appshare-master
CTL=$BUILD/tools/appshare-ctl
# 127.0.0.9 is the relay's own address (control and media), so the media ports cannot
# clash with tests that use 127.0.0.1; clients come from 127.0.1.x / 127.0.2.x.
RELAY_IP=127.0.0.9
CTL_PORT=${CTL_PORT:-23900}
HAP_IN=127.0.0.10:24001	# haproxy frontend
SINK=127.0.0.11:24002	# appshare-load's listener behind haproxy / for direct runs
OUT=${OUT:-$(mktemp -d /tmp/appshare-bench-XXXXXX)}
mkdir -p "$OUT"
T=$(mktemp -d /tmp/appshare-bench-run-XXXXXX)
chmod 755 "$T"
MASTER_PID="" HAP_PID=""
# frames/s per direction and session for RATE_MBIT Mbit/s of RTP packets of SIZE bytes
RATE=$(awk -v m="$RATE_MBIT" -v s="$SIZE" 'BEGIN { printf "%.2f", m * 1e6 / 8 / s }')

log() { printf 'bench: %s\n' "$*" >&2; }

cleanup() {
	[ -n "$HAP_PID" ] && kill "$HAP_PID" 2>/dev/null
	stop_master
	rm -rf "$T"
}
trap cleanup EXIT

ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
log "ulimit -n $(ulimit -n); results in $OUT"

start_master() {
	mkdir -p "$T/cdr"
	if [ "$(id -u)" -eq 0 ]; then
		if id appshare >/dev/null 2>&1; then u=appshare; else u=nobody; fi
		chown "$u" "$T/cdr"
	fi
	cat > "$T/appshare.conf" <<-EOF
	control-udp = $RELAY_IP:$CTL_PORT
	control-tcp = $RELAY_IP:$CTL_PORT
	media-address = $RELAY_IP
	port-min = 24100
	port-max = 60999
	port-quarantine = 1s
	workers = $WORKERS
	max-sessions = 30000
	cdr-dir = $T/cdr
	sandbox = on
	EOF
	"$MASTER" -d -f "$T/appshare.conf" > "$T/master.log" 2>&1 &
	MASTER_PID=$!
	for _ in $(seq 100); do
		"$CTL" -q -w 0.2 -s "$RELAY_IP:$CTL_PORT" ping 2>/dev/null && break
		kill -0 "$MASTER_PID" 2>/dev/null || { cat "$T/master.log" >&2; exit 1; }
	done
	sleep 0.5
}

stop_master() {
	[ -n "$MASTER_PID" ] || return 0
	kill -TERM "$MASTER_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$MASTER_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$MASTER_PID" 2>/dev/null
	wait "$MASTER_PID" 2>/dev/null
	MASTER_PID=""
}

# -p options for the master and each of its children (workers, cdr writer).
relay_pids() {
	echo "-p $MASTER_PID"
	for p in $(pgrep -P "$MASTER_PID"); do echo "-p $p"; done
}

start_haproxy() {	# start_haproxy splice|nosplice
	opt="option splice-auto"
	glob=""
	[ "$1" = nosplice ] && { opt=""; glob="nosplice"; }
	cat > "$T/haproxy.cfg" <<-EOF
	global
	    maxconn 4500  # 2 connections per session: N up to 2,000 under a 20,000-descriptor limit
	    nbthread 1
	    $glob
	defaults
	    mode tcp
	    timeout connect 5s
	    timeout client 60s
	    timeout server 60s
	    $opt
	frontend fe
	    bind $HAP_IN
	    default_backend be
	backend be
	    server s1 $SINK
	EOF
	haproxy -f "$T/haproxy.cfg" -db > "$T/haproxy.log" 2>&1 &
	HAP_PID=$!
	sleep 0.5
	kill -0 "$HAP_PID" || { cat "$T/haproxy.log" >&2; exit 1; }
}

stop_haproxy() {
	kill "$HAP_PID" 2>/dev/null
	wait "$HAP_PID" 2>/dev/null
	HAP_PID=""
}

run() {	# run NAME args...: appshare-load, output kept in $OUT/NAME
	name=$1
	shift
	log "== $name: appshare-load $*"
	# TCP counters of the (container's) network namespace over this run: retransmissions
	# after receive-queue drops explain latency tails of 200 ms (the minimum RTO).
	NSTAT_HIST="$T/nstat" nstat -n >/dev/null 2>&1
	"$LOAD" "$@" > "$OUT/$name" || log "$name: appshare-load exited with $?"
	NSTAT_HIST="$T/nstat" nstat -z TcpRetransSegs TcpExtTCPRcvQDrop TcpExtTCPTimeouts \
		2>/dev/null | awk 'NF == 3 && $1 !~ /^#/ {print "nstat_" $1 "=" $2}' >> "$OUT/$name"
}

command -v haproxy >/dev/null || { log "haproxy is not installed (scripts/install-deps.sh bench)"; exit 1; }

# 1. Single stream, as fast as possible (STREAM_DUR=0 skips it).
if [ "$STREAM_DUR" != 0 ]; then
run stream-direct tcp -t "$SINK" -l "$SINK" -r 0 -s "$STREAM_SIZE" -d "$STREAM_DUR"
start_haproxy nosplice
run stream-haproxy-nosplice tcp -t "$HAP_IN" -l "$SINK" -r 0 -s "$STREAM_SIZE" \
	-d "$STREAM_DUR" -p "$HAP_PID"
stop_haproxy
start_haproxy splice
run stream-haproxy-splice tcp -t "$HAP_IN" -l "$SINK" -r 0 -s "$STREAM_SIZE" \
	-d "$STREAM_DUR" -p "$HAP_PID"
stop_haproxy
start_master
# shellcheck disable=SC2046
run stream-appshare relay -c "$RELAY_IP:$CTL_PORT" -R s -r 0 -s "$STREAM_SIZE" \
	-d "$STREAM_DUR" $(relay_pids)
stop_master
fi

# 2. N sessions at RATE_MBIT each way (N=0 skips it).
if [ "$N" -gt 0 ]; then
run sessions-direct tcp -t "$SINK" -l "$SINK" -n "$N" -s "$SIZE" -r "$RATE" -d "$DUR"
start_haproxy nosplice
run sessions-haproxy tcp -t "$HAP_IN" -l "$SINK" -n "$N" -s "$SIZE" -r "$RATE" -d "$DUR" \
	-p "$HAP_PID"
stop_haproxy
start_master
if [ "$PROFILE" = 1 ] && command -v perf >/dev/null; then
	wp=$(pgrep -P "$MASTER_PID" | while read -r p; do
		case "$(tr '\0' ' ' < /proc/$p/cmdline)" in appshare-worker*) echo "$p";; esac
	done | paste -sd,)
	( sleep $((N / 400 + 8)); perf stat -e task-clock,context-switches,cycles,instructions \
		-p "$wp" -o "$OUT/perf-stat.txt" -- sleep 5 >/dev/null 2>&1;
	  perf record -o "$T/perf.data" -p "$wp" -- sleep 3 >/dev/null 2>&1;
	  perf report -i "$T/perf.data" --stdio --sort comm,dso,sym --percent-limit 0.7 \
		2>/dev/null | grep -v '^$' | head -150 > "$OUT/perf-report.txt" ) &
	PERF_PID=$!
fi
# shellcheck disable=SC2046
run sessions-appshare relay -c "$RELAY_IP:$CTL_PORT" -R n -n "$N" -s "$SIZE" -r "$RATE" \
	-d "$DUR" $(relay_pids)
[ -n "${PERF_PID:-}" ] && wait "$PERF_PID"
stop_master
fi

# 3. IDLE_N idle established sessions: memory per session, set-up rates.  Each session
#    holds 2 client sockets here and about 4 descriptors in a worker (2 listening ports, 2
#    connections): when `ulimit -n` cannot be raised (a container's hard limit), the load
#    is split over several appshare-load processes and more workers.
rss_all() {	# name=kib lines for the master and its children
	echo "master=$(awk '/^VmRSS/ {print $2}' /proc/$MASTER_PID/status)"
	for p in $(pgrep -P "$MASTER_PID"); do
		echo "$(tr '\0' ' ' < /proc/$p/cmdline | awk '{print $1 $2}')=$(awk '/^VmRSS/ {print $2}' /proc/$p/status)"
	done
}
if [ "$IDLE_N" -gt 0 ]; then
	nofile=$(ulimit -n)
	per=$(( (nofile - 2000) / 2 ))
	LOADERS=$(( (IDLE_N + per - 1) / per ))
	IW=$(( (IDLE_N * 4 + nofile - 2001) / (nofile - 2000) ))
	[ "$IW" -lt "$WORKERS" ] && IW=$WORKERS
	WORKERS_SAVED=$WORKERS
	WORKERS=$IW
	start_master
	WORKERS=$WORKERS_SAVED
	{ echo "idle_n=$IDLE_N"; echo "loaders=$LOADERS"; echo "workers=$IW"; echo "nofile=$nofile"; } > "$OUT/idle-appshare"
	rss_all | sed 's/^/before_/' >> "$OUT/idle-appshare"
	log "== idle: $IDLE_N sessions, $LOADERS appshare-load process(es), $IW workers"
	pids=""
	hold=$((IDLE_DUR + 3))
	for k in $(seq "$LOADERS"); do
		n=$((IDLE_N / LOADERS))
		[ "$k" -eq "$LOADERS" ] && n=$((IDLE_N - (LOADERS - 1) * (IDLE_N / LOADERS)))
		"$LOAD" relay -c "$RELAY_IP:$CTL_PORT" -R "i$k" -n "$n" -I -d "$hold" -w 128 \
			> "$OUT/idle-appshare-$k" &
		pids="$pids $!"
	done
	# established: every loader has printed its set-up figures
	for _ in $(seq $((600))); do
		done_n=$(grep -l '^self_rss_kib=' "$OUT"/idle-appshare-* 2>/dev/null | wc -l)
		[ "$done_n" -ge "$LOADERS" ] && break
		sleep 0.5
	done
	sleep 1
	rss_all | sed 's/^/established_/' >> "$OUT/idle-appshare"
	"$CTL" -t -s "$RELAY_IP:$CTL_PORT" stats > "$OUT/idle-stats.txt" 2>&1
	for p in $pids; do wait "$p"; done
	stop_master
fi
cp "$T/master.log" "$OUT/master.log" 2>/dev/null

"$(dirname "$0")/report.sh" "$OUT"
