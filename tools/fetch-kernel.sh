#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian kernel that bookworm's apt sources do not carry (7.3 from
# trixie-backports) into build/kernel-VERSION, with a private apt
# configuration: the machine's own sources and lists stay untouched.
# Idempotent; cached by package version.
#
#   tools/fetch-kernel.sh [KVER PKGVER SUITE]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-7.3.4+deb13-amd64}
pkgver=${2:-7.3.4-1~bpo13+1}
suite=${3:-trixie-backports}
base=${kver%-amd64}		# 7.3.4+deb13
series=$(echo "$kver" | cut -d. -f1,2)	# 7.3
out=$top/build/kernel-$kver
stamp=$out/.fetched-$pkgver

[ -f "$stamp" ] && exit 0
echo "fetch-kernel: $kver ($pkgver from $suite) into ${out#$top/}"
mkdir -p "$out/debs" "$out/root"
. "$top/tools/apt-private.sh"
apt_private "$out/apt" "$suite"
pkgs="linux-binary-$kver linux-modules-$kver linux-headers-$kver
	linux-headers-$base-common linux-kbuild-$base linux-source-$series"
cd "$out/debs"
for p in $pkgs; do
	ls "${p}_"*.deb >/dev/null 2>&1 || aptq download "$p=$pkgver" >/dev/null
done
for d in *.deb; do
	dpkg-deb -x "$d" "$out/root"
done
touch "$stamp"
