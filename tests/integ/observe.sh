#!/bin/bash
# Seeing inside: appshare-ctl sessions / stats / terminate, and the Prometheus metrics
# on metrics-address (docs/operations.md "Metrics"): sessions by state, frames relayed,
# connections refused by the source filter, control commands, worker restarts.
. "$(dirname "$0")/lib.sh"

# Outside the media range (base+1..base+99) and on another address than control-tcp.
MET_ADDR=127.0.0.2
MET_PORT=$CTL_PORT

# http_get PATH: the response (headers and body, CR removed) on stdout; bash's /dev/tcp.
http_get() {
	exec 6<>"/dev/tcp/$MET_ADDR/$MET_PORT" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: appshare\r\n\r\n' "$1" >&6
	timeout 5 cat <&6 | tr -d '\r'
	exec 6<&-
}
scrape() { http_get /metrics > "$T/metrics.txt" || fail "cannot fetch /metrics"; }
# metric 'name{labels}': its value in the last scrape ("" if absent).
metric() { awk -v n="$1" '$1 == n { print $2 }' "$T/metrics.txt"; }
want_ge() {
	v=$(metric "$1")
	[ -n "$v" ] || fail "$1 missing from /metrics"
	[ "$v" -ge "$2" ] || fail "$1 is $v, want >= $2"
}
want_eq() {
	v=$(metric "$1")
	[ "$v" = "$2" ] || fail "$1 is '$v', want $2"
}

write_conf "workers = 1" "debug-hooks = yes" "metrics-address = $MET_ADDR:$MET_PORT"
start_master

scrape
head -n 1 "$T/metrics.txt" | grep -q '^HTTP/1\.[01] 200' || fail "/metrics: not 200"
grep -q '^Content-Type: text/plain; version=0.0.4' "$T/metrics.txt" ||
	fail "/metrics: not the text exposition format"
want_eq appshare_up 1
want_eq appshare_sessions_total 0
grep -q '^# TYPE appshare_control_command_duration_seconds histogram$' "$T/metrics.txt" ||
	fail "no latency histogram"
http_get /nothing | head -n 1 | grep -q ' 404' || fail "/nothing: not 404"

# s1: a paced session (about 3 s), seen live by sessions and the gauges.
start_pair s1 s1 --bind 127.0.0.2 -n 150 -e 150 --interval 20 -t 30 -- \
	--bind 127.0.0.3 -n 150 -e 150 --interval 20 -t 30 -d rfc6544 -- dialect=rfc6544 --
wait_log "session s1: relaying" 10
ctl sessions > "$T/sessions.txt" || fail "appshare-ctl sessions failed"
cat "$T/sessions.txt"
grep -Eq '^s1 stream 1: relaying, [0-9]+ s, worker 0, from-tag tag-s1-a, to-tag tag-s1-b$' \
	"$T/sessions.txt" || fail "sessions: no live line for s1"
grep -Eq '^  A ms-ice2 +passive +local 127\.0\.0\.1:[0-9]+ remote 127\.0\.0\.2:[0-9]+ frames in' \
	"$T/sessions.txt" || fail "sessions: no leg A line"
grep -Eq '^  B rfc6544 +passive +local 127\.0\.0\.1:[0-9]+ remote 127\.0\.0\.3:[0-9]+ frames in' \
	"$T/sessions.txt" || fail "sessions: no leg B line"
ctl --json sessions | grep -q '"call-id": "s1"' || fail "sessions --json: no s1"
scrape
want_eq 'appshare_sessions{state="relaying"}' 1
want_eq appshare_sessions_total 1
want_eq appshare_calls 1
wait_peer $PA s1-a || fail "s1: A failed"
wait_peer $PB s1-b || fail "s1: B failed"
wait_cdr s1 10
scrape
# 150 frames each way, plus each side's end marker.
want_ge 'appshare_frames_relayed_total{direction="received"}' 302
want_ge 'appshare_frames_relayed_total{direction="sent"}' 302
want_ge 'appshare_octets_relayed_total{direction="received"}' $((300 * 1200))
want_eq 'appshare_sessions{state="relaying"}' 0
want_ge appshare_connections_accepted_total 2
want_eq appshare_cdr_backlog 0
ctl sessions | grep -qx "no sessions" || fail "sessions after s1: not empty"

# f1: A connects from an address that is not in its SDP: refused, and counted.
OFFER_FILTER="sed 's/127\.0\.0\.3/127.0.0.2/g'" \
start_pair f1 f1 --bind 127.0.0.3 -n 10 -e 10 -t 4 -- --bind 127.0.0.4 -n 10 -e 10 -t 4 -- --
wait_log "session f1 leg A: refused 127\.0\.0\.3:[0-9]+" 10
wait_peer $PA f1-a && fail "f1: A connected from a non-candidate address"
wait_peer $PB f1-b
# B gave up (-t 4) and closed, which ended the session; terminate it if it has not.
ctl -q terminate f1 2>/dev/null
scrape
want_ge 'appshare_connections_refused_total{reason="source-filter"}' 1

# s3: a long paced session ended by terminate (no tag): the CDR says deleted.
start_pair s3 s3 --bind 127.0.0.2 -n 1000 -e 1000 --interval 20 -t 30 -- \
	--bind 127.0.0.3 -n 1000 -e 1000 --interval 20 -t 30 -- --
wait_log "session s3: relaying" 10
[ "$(ctl terminate s3)" = "s3: terminated" ] || fail "terminate s3: wrong output"
wait_cdr s3 10
[ "$(cdr_field s3 14)" = deleted ] || fail "s3 reason '$(cdr_field s3 14)', want deleted"
wait_peer $PA s3-a && fail "s3: A claims success after terminate"
wait_peer $PB s3-b && fail "s3: B claims success after terminate"
ctl -q terminate s3 2>/dev/null && fail "terminate of an ended call succeeded"

ctl stats > "$T/stats.txt" || fail "appshare-ctl stats failed"
cat "$T/stats.txt"
grep -Eq '^sessions: 0 live in 0 calls, 3 created, ' "$T/stats.txt" || fail "stats: sessions"
grep -Eq '^connections: [0-9]+ accepted, [1-9][0-9]* refused by the source filter$' \
	"$T/stats.txt" || fail "stats: connections"
grep -Eq '^relayed: frames [1-9][0-9]* in, [1-9][0-9]* out; ' "$T/stats.txt" ||
	fail "stats: relayed"
grep -Eq '^worker 0: pid [0-9]+, ready, 0 restarts, ' "$T/stats.txt" || fail "stats: worker"
ctl --json stats | grep -q '"relay": {' || fail "stats --json: no relay totals"

scrape
want_ge 'appshare_control_commands_total{command="offer"}' 3
want_ge 'appshare_control_commands_total{command="answer"}' 3
want_ge 'appshare_control_commands_total{command="delete"}' 3
want_ge appshare_control_errors_total 1
n=$(metric appshare_control_command_duration_seconds_count)
[ "$(metric 'appshare_control_command_duration_seconds_bucket{le="+Inf"}')" = "$n" ] ||
	fail "histogram: +Inf bucket differs from _count"
[ "$n" -ge 10 ] || fail "histogram: only $n commands"

# A worker restart is counted, and the relay counters do not go back.
if [ "${APPSHARE_SANITIZED:-0}" = 1 ]; then
	log "sanitized build (sandbox off): no debug fault, restart not tested"
else
	before=$(metric 'appshare_frames_relayed_total{direction="sent"}')
	ctl -q raw '{"command":"debug fault","worker":0}' || fail "debug fault refused"
	wait_log "lost child: worker 0 pid [0-9]+" 10
	wait_log "worker 0: drained" 10
	wait_log "worker 0: pid [0-9]+ ready.*" 10
	i=0
	while [ "$(grep -cE 'worker 0: pid [0-9]+ ready' "$T/master.log")" -lt 2 ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "worker 0 did not come back"
		sleep 0.1
	done
	scrape
	want_eq 'appshare_worker_restarts_total{worker="0"}' 1
	want_eq 'appshare_worker_up{worker="0"}' 1
	want_ge 'appshare_frames_relayed_total{direction="sent"}' "$before"
fi
log "PASS"
