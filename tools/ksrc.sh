#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Extract the few paths of Debian's linux-source-<series> that the build
# needs (kselftest harness, checkpatch, tools/net/ynl, netlink schemas,
# tools/lib/rbtree.c, drivers/vfio/vfio.h) into <outdir>. Idempotent.
# usage: ksrc.sh <series: 6.1|6.12> <outdir>
set -eu
series=$1
out=$2
tarball=/usr/src/linux-source-$series.tar.xz
stamp=$out/.memslot-extracted
[ -f "$stamp" ] && [ "$stamp" -nt "$tarball" ] && exit 0
[ -f "$tarball" ] || { echo "ksrc: $tarball missing (make deps)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
top=linux-source-$series
tar -xJf "$tarball" -C "$out" --strip-components=1 --wildcards \
	"$top/tools/testing/selftests/kselftest*" \
	"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch" \
	"$top/drivers/vfio/vfio.h" \
	"$top/tools/lib/rbtree.c" "$top/tools/include" \
	"$top/Documentation/netlink" "$top/tools/net/ynl" 2>/dev/null || {
	# 6.1 has no tools/net/ynl nor Documentation/netlink: retry without
	tar -xJf "$tarball" -C "$out" --strip-components=1 --wildcards \
		"$top/tools/testing/selftests/kselftest*" \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch" \
		"$top/drivers/vfio/vfio.h" \
		"$top/tools/lib/rbtree.c" "$top/tools/include"
}
# ynl-gen-c.py finds the tree's root by its MAINTAINERS file.
touch "$out/MAINTAINERS"
touch "$stamp"
