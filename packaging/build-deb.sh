#!/bin/sh
# `make package`: builds the Debian package from a copy of the source tree (so that
# neither the tree nor its parent directory gets build products), puts the .deb files
# into OUTDIR (default build-deb/) and runs lintian over them, failing on errors.
# Usage: packaging/build-deb.sh [OUTDIR]
# Environment: JOBS (parallel compile jobs, default 2).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build-deb}
jobs=${JOBS:-2}

"$root/scripts/install-deps.sh" package

version=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
# The package's version is the project's (native package, no Debian revision).
cmake_version=$(sed -n 's/^project(appshare VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
if [ "$version" != "$cmake_version" ]; then
	echo "build-deb: packaging/debian/changelog says $version, CMakeLists.txt $cmake_version" >&2
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

# Every library the build looks for (pkg_check_modules outside tests/) must come from a
# package in Build-Depends, or one that such a package depends on (libpcap-dev pulls in
# libpcap0.8-dev): here it is installed anyway, so the build alone would not tell.
control=$root/packaging/debian/control
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/p' "$control" | sed '$d' |
	sed 's/^Build-Depends://; s/([^)]*)//g' | tr ',' '\n' | tr -d ' ' | sed '/^$/d')
have=$(for b in $bdeps; do
	echo "$b"
	dpkg-query -W -f='${Depends}\n' "$b" 2>/dev/null | tr ',' '\n' |
		sed 's/([^)]*)//g; s/|.*//; s/:any//' | tr -d ' '
done | sort -u)
# shellcheck disable=SC2046
mods=$(sed -n 's/.*pkg_check_modules([A-Z_]* REQUIRED IMPORTED_TARGET \([a-z_]*\).*/\1/p' \
	$(find "$root" -name CMakeLists.txt -not -path "$root/tests/*" -not -path "$root/build*") |
	sort -u)
for m in $mods; do
	pc=$(pkg-config --variable=pcfiledir "$m" 2>/dev/null)/$m.pc
	dev=$(dpkg -S "$pc" 2>/dev/null | sed -n '1s/:.*//p')
	if [ -z "$dev" ] || ! echo "$have" | grep -qx -- "$dev"; then
		echo "build-deb: $m (${dev:-no package found}) is not in Build-Depends" >&2
		exit 1
	fi
done

work=$(mktemp -d /tmp/appshare-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/appshare-$version"
mkdir "$src"
# Everything but VCS data and build directories (.gitignore's /build/ and /build-*/).
tar -C "$root" --exclude=./.git --exclude=./build --exclude='./build-*' -cf - . |
	tar -C "$src" -xf -
mv "$src/packaging/debian" "$src/debian"

echo "build-deb: building appshare $version in $src"
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs" dpkg-buildpackage -us -uc -b)

mkdir -p "$out"
rm -f "$out"/appshare_*.deb "$out"/appshare-dbgsym_*.deb "$out"/appshare_*.changes \
	"$out"/appshare_*.buildinfo
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
changes="$out/appshare_${version}_${arch}.changes"

echo "build-deb: lintian $changes"
# Errors fail the build; warnings and notes are printed for the record.
lintian --fail-on error "$changes"
echo "build-deb: OK: $out/appshare_${version}_${arch}.deb"
