#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fetch QEMU's source (Debian 13's upstream tarball, pinned by checksum),
# apply tools/qemu/patches/*.patch and build a small KVM-only x86 QEMU
# into build/qemu-VERSION-HASH, where HASH covers the patches and this
# script: a rebuild happens only when they change. Meson >= 1.5 and
# pycotap come from bookworm-backports, unpacked into the build tree with
# a private apt configuration (the machine's own sources stay untouched).
#
#   tools/qemu/build.sh        prints the path of the built qemu-system-x86_64
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ver=10.0.13
tarball=qemu_$ver+ds.orig.tar.xz
sha256=6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae
url=http://deb.debian.org/debian/pool/main/q/qemu/qemu_$ver%2bds.orig.tar.xz

hash=$(cat "$0" "$here/devices.mak" "$here"/patches/*.patch 2>/dev/null | sha256sum | cut -c1-12)
out=$top/build/qemu-$ver-$hash
bin=$out/build/qemu-system-x86_64
dl=$top/build/qemu-dl
mkdir -p "$dl/pc"
# libmemslot from the project's own tree, linked statically
make -s -C "$top/lib" >/dev/null
cat >"$dl/pc/libmemslot.pc" <<PC
Name: libmemslot
Description: libmemslot of $top
Version: $(sed -n "s/^VERSION := //p" "$top/lib/Makefile")
Requires.private: libmnl
Libs: $top/lib/libmemslot.a -lmnl
Cflags: -I$top/lib
PC
export PKG_CONFIG_PATH="$dl/pc"
if [ -x "$bin" ]; then
	# relink if libmemslot changed
	[ "$top/lib/libmemslot.a" -nt "$bin" ] &&
		make -C "$out/build" qemu-system-x86_64 >"$out/make.log" 2>&1
	echo "$bin"
	exit 0
fi

# the tarball, checked
if ! echo "$sha256  $dl/$tarball" | sha256sum -c --status 2>/dev/null; then
	echo "qemu: fetching $tarball" >&2
	curl -fsSL -o "$dl/$tarball.part" "$url"
	mv "$dl/$tarball.part" "$dl/$tarball"
	echo "$sha256  $dl/$tarball" | sha256sum -c --status ||
		{ echo "qemu: $tarball: checksum mismatch" >&2; exit 1; }
fi

# meson and pycotap from bookworm-backports, unpacked
tools=$dl/tools
if [ ! -f "$tools/.done" ]; then
	. "$top/tools/apt-private.sh"
	apt_private "$dl/apt" bookworm-backports
	mkdir -p "$dl/debs" "$tools"
	(cd "$dl/debs" && aptq download meson/bookworm-backports \
		python3-pycotap/bookworm-backports >/dev/null)
	for d in "$dl"/debs/*.deb; do
		dpkg-deb -x "$d" "$tools"
	done
	touch "$tools/.done"
fi
pyp=$(echo "$tools"/usr/lib/python3/dist-packages)

rm -rf "$top"/build/qemu-"$ver"-*
mkdir -p "$out"
echo "qemu: unpacking and patching into ${out#$top/}" >&2
tar -C "$out" --strip-components=1 -xf "$dl/$tarball"
for p in "$here"/patches/*.patch; do
	[ -f "$p" ] || continue
	patch -d "$out" -p1 -s <"$p"
done
cd "$out"
cp "$here/devices.mak" configs/devices/x86_64-softmmu/memslot.mak
export PYTHONPATH="$pyp${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$tools/usr/bin:$PATH"
./configure --target-list=x86_64-softmmu --enable-kvm --disable-tcg \
	--without-default-features --without-default-devices \
	--disable-install-blobs --disable-docs --disable-werror \
	--with-devices-x86_64=memslot >"$out/configure.log" 2>&1 ||
	{ tail -20 "$out/configure.log" >&2; exit 1; }
nice -n 5 make -C build -j"$(nproc)" qemu-system-x86_64 >"$out/make.log" 2>&1 ||
	{ tail -30 "$out/make.log" >&2; exit 1; }
echo "$bin"
