#!/bin/sh
# Runs every libFuzzer target in BUILD_DIR for RUNS executions, starting from its
# seed corpus and past regressions, with its dictionary.  New inputs go to a scratch
# directory, never into the committed corpus.
# Usage: fuzz-smoke.sh BUILD_DIR RUNS
set -eu
build=$1
runs=$2
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/appshare-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

found=0
for bin in $(find "$build" -maxdepth 3 -type f -name 'fuzz_*' -perm -u+x | sort); do
	case "$bin" in *_replay) continue ;; esac
	name=$(basename "$bin")
	short=${name#fuzz_}
	found=$((found + 1))
	mkdir -p "$scratch/$short"
	dict=""
	[ -f "$root/tests/fuzz/dict/$short.dict" ] && dict="-dict=$root/tests/fuzz/dict/$short.dict"
	seeds=""
	for d in "$root/tests/fuzz/corpus/$short" "$root/tests/fuzz/regressions/$short"; do
		[ -d "$d" ] && seeds="$seeds $d"
	done
	echo "fuzz-smoke: $name, $runs runs"
	# shellcheck disable=SC2086
	"$bin" -runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$scratch/$short-" $dict "$scratch/$short" $seeds \
		> "$scratch/$short.log" 2>&1 || {
		tail -n 60 "$scratch/$short.log"
		echo "fuzz-smoke: $name FAILED; the crashing input is above (artifact in $scratch)" >&2
		trap - EXIT
		exit 1
	}
	grep -E '^#[0-9]+.*DONE' "$scratch/$short.log" | tail -n 1 || true
done
if [ "$found" -eq 0 ]; then
	echo "fuzz-smoke: no fuzz targets in $build" >&2
	exit 1
fi
echo "fuzz-smoke: $found targets clean"
