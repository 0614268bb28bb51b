#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: memslot-bench in the test VM, once per kernel release given.
# Figures and ratios only: nothing is asserted (the VM is TCG, so absolute
# times say little; ratios measured in the same run say more).
#
# BENCH_OLD=<git revision>: also run it with the module of that revision
# on each kernel it builds for (a 6.x kernel, for the route through
# KVM's internal exports), and print the per-op ratios of both side by
# side.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
old=${BENCH_OLD:-}
sum=$(mktemp)
trap 'rm -f "$sum"' EXIT

# The kbuild tree of kernel $1.
kdir() {
	local k
	for k in "/lib/modules/$1/build" \
		 "$top/build/kernel-$1/root/usr/src/linux-headers-$1" \
		 "/usr/src/linux-headers-$1"; do
		[ -d "$k" ] && { echo "$k"; return; }
	done
	return 1
}

# memslot.ko of revision $old for kernel $1, in build/kmod-old-$1.
build_old() {
	local v=$1 d=$top/build/kmod-old-$1 h
	rm -rf "$d"
	mkdir -p "$d"
	git -C "$top" archive "$old" kmod | tar -x -C "$d" --strip-components=1
	case $v in
	6.1.*) h=$top/build/src-6.1/drivers/vfio/vfio.h ;;
	*) h=$top/build/src-6.12/drivers/vfio/vfio.h ;;
	esac
	ln -sfn "$h" "$d/vfio_internal.h"
	make -s -C "$(kdir "$v")" M="$d" modules >"$d/build.log" 2>&1
}

# One bench VM: kernel $1, module $2, label $3; ratios into $sum.
bench() {
	local v=$1 ko=$2 label=$3 out=$top/build/vm-bench-$3
	mkdir -p "$out"
	echo "== memslot-bench on $v, $label (QEMU TCG)"
	"$top/tools/vm/vm.sh" bench "$v" "$ko" "$out" "$top/tools/memslot-bench:bin"
	sed -n '/^MEMSLOT-VM: exit bench/q;/^MEMSLOT-VM: /d;p' "$out/results.log"
	grep -q '^MEMSLOT-VM: exit bench 0' "$out/results.log"
	awk -v l="$label" '
		/^(add|remove) +[0-9]+ ops:/ { r[$1 " " $2] = $NF }
		/^S = +10000:/ { r["S=10000"] = $NF }
		END { printf "%-34s", l
		      n = split("add 1,add 256,add 1024,remove 1,remove 256,remove 1024,S=10000", k, ",")
		      for (i = 1; i <= n; i++) printf " %11s", r[k[i]]
		      print "" }' "$out/results.log" >>"$sum"
}

for v in "$@"; do
	bench "$v" "$top/build/kmod-$v/memslot.ko" "$v"
	if [ -n "$old" ] && [[ $v == 6.* ]]; then
		build_old "$v"
		bench "$v" "$top/build/kmod-old-$v/memslot.ko" "$v-$old"
	fi
done
echo "== plain/memslot time per op (section 1: N adds, N removes; section 2: S = 10000)"
printf "%-34s %11s %11s %11s %11s %11s %11s %11s\n" kernel-module \
	"add 1" "add 256" "add 1024" "rm 1" "rm 256" "rm 1024" "S=10000"
cat "$sum"
