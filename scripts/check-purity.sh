#!/bin/sh
# Pure modules take bytes, `now` and randomness as arguments: they never touch
# sockets, files, the clock, the event loop or stdio.  This check keeps it so.
# Usage: check-purity.sh [SOURCE_ROOT]
set -eu
root=${1:-.}
cd "$root"

# Files that are pure by design (architecture.md B3).  I/O adapters are not listed.
pure_files=$(ls stun/*.[ch] sdp/*.[ch] \
	policy/addr_policy.[ch] policy/cidr.[ch] \
	shm/shm_layout.h shm/seqlock.h shm/ring.h shm/snapshot.[ch] shm/cdr_fmt.[ch] shm/cdrd_recover.[ch] \
	master/conf.[ch] master/ctl_json.[ch] master/ports.[ch] master/registry.[ch] master/metrics_fmt.[ch] \
	master/ipc_check.c master/ipc_msg.h master/bencode.[ch] worker/tap_pkt.[ch] 2>/dev/null || true)

calls='socket|bind|connect|accept|accept4|listen|open|openat|fopen|close|read|write|send|recv|sendto|recvfrom|sendmsg|recvmsg|time|clock_gettime|gettimeofday|getrandom|rand|random|srand|printf|fprintf|vfprintf|dprintf|puts|fputs|fputc|putchar|fwrite|fread|fgets|getline|perror|syslog|exit|_exit|abort|sleep|usleep|nanosleep|fork|execve|mmap|getenv'
includes='event2/|pcap|seccomp|syslog\.h|unistd\.h|fcntl\.h|sys/mman\.h|time\.h'

status=0
for f in $pure_files; do
	# Drop // comments and lines inside block comments that start with '*'.
	body=$(sed -e 's://.*$::' -e '/^[[:space:]]*\*/d' -e '/^[[:space:]]*\/\*/d' "$f")
	bad_inc=$(printf '%s\n' "$body" | grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($includes)" || true)
	bad_call=$(printf '%s\n' "$body" | grep -nE "(^|[^.>_A-Za-z0-9])($calls)[[:space:]]*\(" || true)
	if [ -n "$bad_inc" ]; then
		echo "$f: pure module includes an I/O header:"; echo "$bad_inc"; status=1
	fi
	if [ -n "$bad_call" ]; then
		echo "$f: pure module calls an I/O, clock or process function:"; echo "$bad_call"; status=1
	fi
done
n=$(printf '%s\n' $pure_files | grep -c . || true)
if [ "$status" -eq 0 ]; then
	echo "purity: $n pure files clean"
fi
exit $status
