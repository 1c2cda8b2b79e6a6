#!/bin/sh
# Installs the Debian 12 packages appshare needs to build and test, when missing.
# Non-interactive; as root it uses apt-get directly, otherwise sudo if available.
# Usage: install-deps.sh [build|sanitize|fuzz|all]
set -eu
lane=${1:-build}

pkgs="cmake make gcc pkg-config libc6-dev libssl-dev libcriterion-dev libevent-dev
libjansson-dev libseccomp-dev libpcap-dev"
pkgs="$pkgs libnice-dev"	# tests/interop: the libnice test peer (every lane that builds tests)
pkgs="$pkgs kamailio sip-tester"	# tests/kamailio: Kamailio 5.6 (+ rtpengine module) and SIPp
pkgs="$pkgs tshark"	# tests/integ/tap.sh decodes the pcap tap (setuid question: default no)
case "$lane" in
build) ;;
check) pkgs="cppcheck" ;;
package) pkgs="debhelper dpkg-dev fakeroot lintian cmake gcc pkg-config libc6-dev libssl-dev libevent-dev libjansson-dev libpcap-dev libseccomp-dev" ;;	# make package: debian/control Build-Depends
bench) pkgs="cmake make gcc pkg-config libc6-dev libssl-dev libevent-dev libjansson-dev libseccomp-dev libpcap-dev haproxy linux-perf" ;;	# make bench: bench/run.sh
sanitize|fuzz|all) pkgs="$pkgs clang llvm libclang-rt-14-dev" ;;
*) echo "install-deps: unknown lane '$lane'" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: missing packages:$missing; run as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# kamailio's postinst would start the system's Kamailio: forbid service start-ups for this
# install only (tests/kamailio runs its own in the foreground).  An existing policy stays.
case " $missing " in
*" kamailio "*)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	;;
esac
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
