#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: memslot-bench in the test VM, once per kernel release given.
# Figures and ratios only: nothing is asserted (the VM is TCG, so absolute
# times say little; ratios measured in the same run say more).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
for v in "$@"; do
	out=$top/build/vm-$v
	mkdir -p "$out"
	echo "== memslot-bench on $v (QEMU TCG)"
	"$top/tools/vm/vm.sh" bench "$v" "$top/build/kmod-$v/memslot.ko" "$out" \
		"$top/tools/memslot-bench:bin"
	sed -n '/^MEMSLOT-VM: exit bench/q;/^MEMSLOT-VM: /d;p' "$out/results.log"
	grep -q '^MEMSLOT-VM: exit bench 0' "$out/results.log"
done
