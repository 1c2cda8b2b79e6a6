#!/bin/sh
# A fuzzing campaign: runs every libFuzzer target in BUILD_DIR, one after the other
# (one process each), for EXECS executions or SECONDS seconds, whichever comes first,
# from its committed corpus and past regressions, with its dictionary; then minimises
# (-merge=1 into a fresh directory) and replaces tests/fuzz/corpus/<target> with the
# minimised set, and prints one table line per target.  Hand-written seeds (files not
# named by a SHA-1) are always kept; libFuzzer's inputs only if they add coverage.  A
# minimised set of more than FUZZ_CORPUS_MAX files (default 200: the replay tests run the
# corpora in every build) is minimised again on edge coverage alone (-use_counters=0).
#
# Usage: fuzz-campaign.sh [-n EXECS] [-t SECONDS] [-k] [-o OUTDIR] BUILD_DIR [TARGET...]
#   -n EXECS    executions per target (default $FUZZ_EXECS, else 10000000)
#   -t SECONDS  time bound per target (default $FUZZ_SECONDS, else none)
#   -k          keep the committed corpora: merge into OUTDIR only
#   -o OUTDIR   logs, artifacts and merged corpora (default: a new /tmp/appshare-campaign-*)
#   TARGET      short names (sdp, ctl, ...) to run a subset
# Exit status: 1 if any target crashed (its input is in OUTDIR/artifacts), else 0.
# A crash ends that target's run early; the corpus is still merged and replaced (libFuzzer
# -merge=1 skips inputs that crash), and the artifact must become a regression by hand
# (tests/fuzz/regressions/<target>/) once fixed.
set -eu

execs=${FUZZ_EXECS:-10000000}
seconds=${FUZZ_SECONDS:-0}
maxfiles=${FUZZ_CORPUS_MAX:-200}
keep=0
out=""
while getopts n:t:ko: opt; do
	case $opt in
	n) execs=$OPTARG ;;
	t) seconds=$OPTARG ;;
	k) keep=1 ;;
	o) out=$OPTARG ;;
	*) sed -n '/^# Usage:/,/^#   TARGET/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n '/^# Usage:/,/^#   TARGET/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
build=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$out" ] || out=$(mktemp -d /tmp/appshare-campaign-XXXXXX)
mkdir -p "$out/artifacts"
table="$out/table.txt"
: > "$table"

# Field N of libFuzzer's last status line ("#123 DONE cov: 10 ft: 20 corp: ...").
status_field() {
	grep -E '^#[0-9]+' "$1" | tail -n 1 | awk -v k="$2" \
	    '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}
final_stat() {
	sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

# seed_named FROM TO: a fresh TO holding the files of FROM not named by a SHA-1.
seed_named() {
	mkdir -p "$2"
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		if [ ${#b} -eq 40 ] && [ -z "$(printf %s "$b" | tr -d 0-9a-f)" ]; then
			continue
		fi
		cp "$f" "$2"/
	done
}

printf '%-12s %12s %8s %8s %8s %7s %7s %8s\n' target executions exec/s seconds \
    edges features files crashes | tee -a "$table"
failed=0
found=0
for bin in $(find "$build" -maxdepth 3 -type f -name 'fuzz_*' -perm -u+x | sort); do
	case "$bin" in *_replay) continue ;; esac
	name=$(basename "$bin")
	short=${name#fuzz_}
	if [ $# -gt 0 ]; then
		case " $* " in *" $short "*) ;; *) continue ;; esac
	fi
	found=$((found + 1))
	corpus="$root/tests/fuzz/corpus/$short"
	regress="$root/tests/fuzz/regressions/$short"
	grow="$out/grow/$short"
	merged="$out/merged/$short"
	log="$out/$short.log"
	rm -rf "$grow" "$merged"
	mkdir -p "$grow" "$merged" "$corpus"
	dict=""
	[ -f "$root/tests/fuzz/dict/$short.dict" ] && dict="-dict=$root/tests/fuzz/dict/$short.dict"
	seeds="$corpus"
	[ -d "$regress" ] && seeds="$seeds $regress"
	tbound=""
	[ "$seconds" -gt 0 ] && tbound="-max_total_time=$seconds"
	echo "fuzz-campaign: $name: $execs executions${tbound:+, at most $seconds s}" >&2
	start=$(date +%s)
	crashed=0
	# shellcheck disable=SC2086
	"$bin" -runs="$execs" $tbound -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$short-" $dict \
		"$grow" $seeds > "$log" 2>&1 || crashed=1
	elapsed=$(( $(date +%s) - start ))
	if [ $crashed -ne 0 ]; then
		failed=1
		echo "fuzz-campaign: $name stopped on a finding; see $log and $out/artifacts" >&2
		tail -n 30 "$log" >&2
	fi
	ran=$(final_stat "$log" number_of_executed_units)
	rate=$(final_stat "$log" average_exec_per_sec)
	edges=$(status_field "$log" cov:)
	feats=$(status_field "$log" ft:)

	# Minimise: committed corpus + what grew, into a fresh directory that starts with
	# the hand-written seeds (any name but a SHA-1): those are always kept, libFuzzer's
	# own inputs (named by their SHA-1) only if they add coverage.
	seed_named "$corpus" "$merged"
	"$bin" -merge=1 -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		"$merged" "$corpus" "$grow" > "$out/$short.merge.log" 2>&1 || {
		echo "fuzz-campaign: $name: merge failed, see $out/$short.merge.log" >&2
		failed=1
		continue
	}
	# Too many files (counter buckets count as features): keep edge coverage only.
	if [ "$(find "$merged" -type f | wc -l)" -gt "$maxfiles" ]; then
		rm -rf "$merged.edges"
		seed_named "$corpus" "$merged.edges"
		if "$bin" -merge=1 -use_counters=0 -max_len=8192 -timeout=10 \
		    -rss_limit_mb=2048 "$merged.edges" "$merged" \
		    > "$out/$short.merge-edges.log" 2>&1; then
			rm -rf "$merged"
			mv "$merged.edges" "$merged"
		else
			echo "fuzz-campaign: $name: edge-only merge failed, kept the full one" >&2
		fi
	fi
	nfiles=$(find "$merged" -type f | wc -l)
	if [ "$keep" -eq 0 ] && [ "$nfiles" -gt 0 ]; then
		find "$corpus" -type f -delete
		cp "$merged"/* "$corpus"/
	fi
	kib=$(du -sk --apparent-size "$merged" | cut -f1)
	[ "$nfiles" -le "$maxfiles" ] && [ "$kib" -le 1024 ] ||
		echo "fuzz-campaign: $name: corpus has $nfiles files, $kib KiB" \
		    "(keep <= $maxfiles, 1 MiB)" >&2
	ncrash=$(find "$out/artifacts" -type f -name "$short-*" | wc -l)
	printf '%-12s %12s %8s %8s %8s %7s %7s %8s\n' "$short" "${ran:-?}" "${rate:-?}" \
	    "$elapsed" "${edges:-?}" "${feats:-?}" "$nfiles" "$ncrash" | tee -a "$table"
done
if [ "$found" -eq 0 ]; then
	echo "fuzz-campaign: no fuzz targets in $build" >&2
	exit 1
fi
echo "fuzz-campaign: table in $table, logs in $out" >&2
exit $failed
