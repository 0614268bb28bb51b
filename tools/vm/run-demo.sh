#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot the test VM on one kernel and show memslot at work.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
v=$1
out=$top/build/vm-$v
mkdir -p "$out"
echo "Booting Debian $v under QEMU (TCG, about 10 s)..."
"$top/tools/vm/vm.sh" demo "$v" "$top/build/kmod-$v/memslot.ko" "$out" \
	"$top/tools/vm/demo.sh:bin" "$top/tools/memslotctl:bin" \
	"$top/tools/memslot-demo:bin" "$(command -v genl):bin"
grep -v '^MEMSLOT-VM: \(boot\|ready\|dmesg\|done\)' "$out/results.log" |
	sed -n '/^MEMSLOT-VM: exit demo/q;p'
grep -q '^MEMSLOT-VM: exit demo 0' "$out/results.log"
