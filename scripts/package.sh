#!/usr/bin/env bash
# package.sh [OUTDIR] - build the klaimd Debian package (debian/, debhelper)
# from this tree into OUTDIR (default build-deb/) and print the .deb's path.
# The tree is copied to a temp dir first: dpkg-buildpackage writes its
# results beside the source dir and leaves debian/build behind, and the
# checkout must stay clean. Needs the packages of scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The package version (debian/changelog) must be the version klaimd reports.
cm=$(sed -n 's/^project(klaimd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
deb=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$cm" != "$deb" ]; then
    echo "package.sh: debian/changelog is at $deb but CMakeLists.txt at $cm; add a debian/changelog entry (dch -v $cm)" >&2
    exit 65
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/klaimd-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/klaimd-$cm"
tar -c --exclude=./.git --exclude='./build*' --exclude=./debian/build . | tar -x -C "$tmp/klaimd-$cm"
(cd "$tmp/klaimd-$cm" &&
    DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" dpkg-buildpackage -b -us -uc >"$tmp/build.log" 2>&1) || {
    echo "package.sh: dpkg-buildpackage failed; the last lines of its log:" >&2
    tail -30 "$tmp/build.log" >&2
    exit 70
}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
cp "$tmp/klaimd_${cm}_$arch.deb" "$out/"
echo "$out/klaimd_${cm}_$arch.deb"
