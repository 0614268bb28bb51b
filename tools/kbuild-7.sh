#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Make the 7.3 kernel (Debian 13 backports) usable on a bookworm machine:
# fetch it (fetch-kernel.sh), unpack linux-source-7.3 into build/src-7.3,
# point the unpacked headers at themselves, and mend what bookworm's
# toolchain cannot run or take (seen in ../shared/testbed.md):
#   - objtool and modpost of linux-kbuild need glibc 2.38: rebuilt from
#     the source tree and put in place of the packaged ones;
#   - the kernel was configured by gcc 14, whose -fmin-function-alignment
#     gcc 12 lacks: build/kernel-KVER/cc turns it into -falign-functions;
#   - bookworm's pahole is older than the kernel's: no BTF for the module
#     (CONFIG_DEBUG_INFO_BTF_MODULES=), so pahole's version does not matter.
# Those make arguments go in build/kernel-KVER/kbuild.args, which the top
# Makefile passes to kbuild. Prints the kbuild directory. Idempotent;
# cached by package version.
#
#   tools/kbuild-7.sh [KVER PKGVER]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-7.3.4+deb13-amd64}
pkgver=${2:-7.3.4-1~bpo13+1}
series=$(echo "$kver" | cut -d. -f1,2)
base=${kver%-amd64}
k=$top/build/kernel-$kver
r=$k/root
src=$top/build/src-$series
hdr=$r/usr/src/linux-headers-$kver
kb=$r/usr/lib/linux-kbuild-$base
stamp=$k/.prepared-$pkgver

if [ ! -f "$stamp" ]; then
	"$top/tools/fetch-kernel.sh" "$kver" "$pkgver" >&2
	if [ ! -f "$src/.memslot-extracted-$pkgver" ]; then
		echo "kbuild-7: unpacking linux-source-$series into ${src#$top/}" >&2
		rm -rf "$src"
		mkdir -p "$src"
		tar -xJf "$r/usr/src/linux-source-$series.tar.xz" -C "$src" \
			--strip-components=1
		touch "$src/MAINTAINERS" "$src/.memslot-extracted-$pkgver"
	fi
	# the headers name /usr/src absolutely; modprobe/depmod want /lib
	sed -i "s|\([ =]\)/usr/src/|\1$r/usr/src/|g" "$hdr/Makefile"
	[ -e "$r/lib" ] || ln -s usr/lib "$r/lib"
	depmod -b "$r" "$kver" 2>/dev/null
	cat >"$k/cc" <<'CC'
#!/bin/sh
# gcc 12 for a kernel configured by gcc 14 (kbuild-7.sh)
for a; do
	shift
	case $a in
	-fmin-function-alignment=*) set -- "$@" "-falign-functions=${a#*=}" ;;
	*) set -- "$@" "$a" ;;
	esac
done
exec gcc "$@"
CC
	chmod +x "$k/cc"
	echo "kbuild-7: rebuilding objtool and modpost for this glibc" >&2
	make -s -C "$src/tools/objtool" >/dev/null
	cp "$src/tools/objtool/objtool" "$kb/tools/objtool/objtool.real-x86"
	if [ ! -x "$src/scripts/mod/modpost" ]; then
		make -s -C "$src" defconfig >/dev/null
		make -s -C "$src" modules_prepare >/dev/null
	fi
	cp "$src/scripts/mod/modpost" "$kb/scripts/mod/modpost.real-lsb-64"
	pahole=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$hdr/.config")
	echo "CC=$k/cc CONFIG_DEBUG_INFO_BTF_MODULES= PAHOLE_VERSION=$pahole" \
		>"$k/kbuild.args"
	touch "$stamp"
fi
echo "$hdr"
