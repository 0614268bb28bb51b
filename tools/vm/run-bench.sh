#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: memslot-bench in the test VM, once per kernel release given.
# Figures and ratios only: nothing is asserted (the VM is TCG, so absolute
# times say little; ratios measured in the same run say more). The figures
# also go to build/bench-KVER.json, section 2's as build/bench-KVER.png.
# BENCH_SECTIONS="2 7": only those sections of memslot-bench.
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

# gnuplot for the plot (Debian's gnuplot-nox), installed once.
if ! command -v gnuplot >/dev/null; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends gnuplot-nox >/dev/null ||
		echo "run-bench: no gnuplot: no plot" >&2
fi

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

# The figures of one run as JSON (build/bench-$1.json) and section 2's
# per-op cost against the number of ranges as a plot (build/bench-$1.png).
figures() {
	local log=$1 label=$2 json=$top/build/bench-$2.json dat
	{
		echo "["
		sed -n 's/^JSON //p' "$log" | sed '$!s/$/,/'
		echo "]"
	} >"$json"
	echo "bench: $json"
	command -v gnuplot >/dev/null || return 0
	dat=$(mktemp)
	sed -n 's/^JSON {"section":2,"ranges":\([0-9]*\),"memslot_us":\([0-9.]*\),"plain_us":\([0-9.]*\).*/\1 \2 \3/p' \
		"$log" >"$dat"
	gnuplot <<-EOF
		set terminal png size 800,500
		set output "$top/build/bench-$label.png"
		set title "memslot-bench $label: one add + one remove next to S ranges"
		set xlabel "ranges in the space (S), KVM slots in the plain VM"
		set ylabel "us per op"
		set logscale x
		set key left top
		plot "$dat" using 1:2 with linespoints title "memslot commit", \
		     "$dat" using 1:3 with linespoints title "plain KVM ioctl"
	EOF
	rm -f "$dat"
	echo "bench: $top/build/bench-$label.png"
}

# One bench VM: kernel $1, module $2, label $3; ratios into $sum.
bench() {
	local v=$1 ko=$2 label=$3 out=$top/build/vm-bench-$3
	mkdir -p "$out"
	echo "== memslot-bench on $v, $label (QEMU TCG)"
	VM_APPEND="${VM_APPEND:-quiet}${BENCH_SECTIONS:+ memslot.bench=${BENCH_SECTIONS// /,}}" \
		"$top/tools/vm/vm.sh" bench "$v" "$ko" "$out" "$top/tools/memslot-bench:bin"
	sed -n '/^MEMSLOT-VM: exit bench/q;/^MEMSLOT-VM: /d;/^JSON /d;p' "$out/results.log"
	grep -q '^MEMSLOT-VM: exit bench 0' "$out/results.log"
	figures "$out/results.log" "$label"
	awk -v l="$label" '
		/^(add|remove) +[0-9]+ ops:/ { r[$1 " " $2] = $NF }
		/^S = +[0-9]+:/ { v = $0; sub(/;.*/, "", v); n = split(v, w, " ")
				   r["S=" $3] = w[n] }
		END { printf "%-34s", l
		      n = split("add 1,add 256,add 4096,remove 1,remove 256,remove 4096,S=32762:", k, ",")
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
echo "== plain/memslot time per op (section 1: N adds, N removes; section 2: S = 32762)"
printf "%-34s %11s %11s %11s %11s %11s %11s %11s\n" kernel-module \
	"add 1" "add 256" "add 4096" "rm 1" "rm 256" "rm 4096" "S=32762"
cat "$sum"
