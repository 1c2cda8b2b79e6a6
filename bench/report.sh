#!/bin/bash
# Prints the table of one bench/run.sh run from its KEY=VALUE files: report.sh OUT-DIR.
set -u
OUT=$1

get() {	# get FILE KEY
	[ -f "$OUT/$1" ] || { echo "-"; return; }
	v=$(grep -m1 "^$2=" "$OUT/$1" | cut -d= -f2-)
	echo "${v:--}"
}

# Sum of proc_*_cpu_s in FILE (every process named with -p).
cpu_sum() {
	[ -f "$OUT/$1" ] || { echo "-"; return; }
	grep -E '^proc_[0-9]+_cpu_s=' "$OUT/$1" | cut -d= -f2 | awk '{s += $1} END {printf "%.2f", s}'
}

calc() { awk "BEGIN { x = $1; if (x != x) print \"-\"; else printf \"$2\", x }" 2>/dev/null || echo "-"; }

# CPU seconds per second per Gbit/s relayed (cores per Gbit/s).
cpu_per_gbit() {
	c=$(cpu_sum "$1") s=$(get "$1" seconds) m=$(get "$1" rx_mbit_s)
	case "$c$s$m" in *-*) echo "-"; return;; esac
	calc "($c / $s) / ($m / 1000)" "%.3f"
}

if [ -f "$OUT/stream-direct" ]; then
echo
echo "== single stream (one TCP stream, A to B, as fast as possible) =="
d=$(get stream-direct rx_mbit_s)
hn=$(get stream-haproxy-nosplice rx_mbit_s)
printf '%-26s %12s %10s %10s %12s\n' path Mbit/s "/direct" "/haproxy" "relay CPU s"
for f in stream-direct stream-haproxy-nosplice stream-haproxy-splice stream-appshare; do
	m=$(get $f rx_mbit_s)
	printf '%-26s %12s %10s %10s %12s\n' "${f#stream-}" "$m" "$(calc "$m / $d" %.2f)" \
		"$(calc "$m / $hn" %.2f)" "$(cpu_sum $f)"
done

fi

if [ -f "$OUT/sessions-direct" ]; then
echo
echo "== sessions: $(get sessions-appshare sessions_up) sessions, frames both ways =="
printf '%-10s %9s %8s %8s %9s %9s %9s %9s %9s %9s %8s\n' path Mbit/s p50us p99us p999us \
	+p50us +p99us +p999us "CPU s" "core/Gb" skipped
for f in sessions-direct sessions-haproxy sessions-appshare; do
	m=$(get $f rx_mbit_s)
	printf '%-10s %9s %8s %8s %9s %9s %9s %9s %9s %9s %8s\n' "${f#sessions-}" "$m" \
		"$(get $f lat_p50_us)" "$(get $f lat_p99_us)" "$(get $f lat_p999_us)" \
		"$(calc "$(get $f lat_p50_us) - $(get sessions-direct lat_p50_us)" %d)" \
		"$(calc "$(get $f lat_p99_us) - $(get sessions-direct lat_p99_us)" %d)" \
		"$(calc "$(get $f lat_p999_us) - $(get sessions-direct lat_p999_us)" %d)" \
		"$(cpu_sum $f)" "$(cpu_per_gbit $f)" "$(get $f tx_skipped)"
done
echo "TCP retransmitted segments / receive-queue drops (whole netns, during the run): direct $(get sessions-direct nstat_TcpRetransSegs)/$(get sessions-direct nstat_TcpExtTCPRcvQDrop), haproxy $(get sessions-haproxy nstat_TcpRetransSegs)/$(get sessions-haproxy nstat_TcpExtTCPRcvQDrop), appshare $(get sessions-appshare nstat_TcpRetransSegs)/$(get sessions-appshare nstat_TcpExtTCPRcvQDrop)"
echo "load generator CPU s: direct $(get sessions-direct self_cpu_s), haproxy $(get sessions-haproxy self_cpu_s), appshare $(get sessions-appshare self_cpu_s) (of $(get sessions-appshare seconds) s)"
echo "appshare processes: $(grep -E '^proc_[0-9]+_name=' "$OUT/sessions-appshare" 2>/dev/null | cut -d= -f2 | sed 's/_.*//' | paste -sd' ')"
echo "CPU s each:         $(grep -E '^proc_[0-9]+_cpu_s=' "$OUT/sessions-appshare" 2>/dev/null | cut -d= -f2 | paste -sd' ')"
echo "set-up ($(get sessions-appshare ctl_sessions) sessions, one client, 64 in flight): offer+answer $(get sessions-appshare ctl_pairs_per_s)/s; incl. ICE on both legs $(get sessions-appshare setup_per_s)/s"

fi

if [ -f "$OUT/idle-appshare" ]; then
	n=$(get idle-appshare idle_n)
	up=$(cat "$OUT"/idle-appshare-* | grep '^sessions_up=' | cut -d= -f2 | awk '{s += $1} END {print s}')
	cs=$(cat "$OUT"/idle-appshare-* | grep '^ctl_seconds=' | cut -d= -f2 | sort -n | tail -1)
	ss=$(cat "$OUT"/idle-appshare-* | grep '^setup_seconds=' | cut -d= -f2 | sort -n | tail -1)
	echo
	echo "== idle: $up of $n sessions established ($(get idle-appshare loaders) load processes, $(get idle-appshare workers) workers, ulimit -n $(get idle-appshare nofile)) =="
	echo "set-up: offer+answer $(calc "$n / $cs" %.0f)/s, incl. ICE $(calc "$up / $ss" %.0f)/s"
	printf '%-22s %12s %12s %12s\n' process "RSS before" "RSS estab." "B/session"
	total=0
	for k in $(grep '^before_' "$OUT/idle-appshare" | cut -d= -f1 | sed 's/^before_//'); do
		b=$(grep "^before_$k=" "$OUT/idle-appshare" | cut -d= -f2 | cut -d' ' -f1)
		e=$(grep "^established_$k=" "$OUT/idle-appshare" | cut -d= -f2 | cut -d' ' -f1)
		printf '%-22s %12s %12s %12s\n' "$k" "$b KiB" "$e KiB" \
			"$(calc "($e - $b) * 1024 / $up" %.0f)"
		total=$(calc "$total + $e - $b" %.0f)
	done
	echo "all appshare processes: $(calc "$total * 1024 / $up" %.0f) bytes per idle established session"
fi
