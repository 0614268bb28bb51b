#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install into a DESTDIR writes there and only there: the module of
# KVER under lib/modules/KVER/updates with no depmod run, the library,
# headers and .pc under PREFIX (a program builds and links against them
# with pkg-config), the tools and the man page; make uninstall then leaves
# no file behind.
#
#   tools/check-install.sh KVER
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
v=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() { echo "check-install: $*"; exit 1; }
real_before=$(ls /lib/modules/"$v"/updates/memslot.ko* 2>/dev/null)

make -s -C "$top" install KVER="$v" PREFIX=/usr DESTDIR="$dest" >"$dest.log" 2>&1 ||
	{ cat "$dest.log"; fail "make install failed"; }
for f in "lib/modules/$v/updates/memslot.ko*" usr/lib/libmemslot.so.1 \
	 usr/lib/libmemslot.a usr/lib/pkgconfig/libmemslot.pc \
	 usr/include/libmemslot.h usr/include/linux/memslot.h \
	 usr/sbin/memslotctl usr/bin/memslot-demo \
	 usr/share/man/man8/memslotctl.8; do
	compgen -G "$dest/$f" >/dev/null || fail "$f not installed"
done
[ ! -e "$dest/lib/modules/$v/modules.dep" ] || fail "depmod ran on the DESTDIR"
[ "$(ls /lib/modules/"$v"/updates/memslot.ko* 2>/dev/null)" = "$real_before" ] ||
	fail "the module went into the real /lib/modules"
grep -q '^prefix=/usr$' "$dest/usr/lib/pkgconfig/libmemslot.pc" ||
	fail "libmemslot.pc does not say prefix=/usr"

# a VMM builds against the installed library, found by pkg-config
printf '#include <libmemslot.h>\nint main(void) { struct memslot *m; return memslot_open(&m) ? 0 : 0; }\n' \
	>"$dest/t.c"
flags=$(PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig pkg-config \
	--define-variable=libdir="$dest/usr/lib" \
	--define-variable=includedir="$dest/usr/include" \
	--cflags --libs libmemslot) || fail "pkg-config finds no libmemslot"
cc -o "$dest/t" "$dest/t.c" $flags -Wl,-rpath-link,"$dest/usr/lib" ||
	fail "a program does not build with: $flags"
rm -f "$dest/t" "$dest/t.c"

make -s -C "$top" uninstall KVER="$v" PREFIX=/usr DESTDIR="$dest" >"$dest.log" 2>&1 ||
	{ cat "$dest.log"; fail "make uninstall failed"; }
left=$(find "$dest" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
rm -f "$dest.log"
echo "check-install: $v: make install DESTDIR=... PREFIX=/usr, then uninstall: ok"
