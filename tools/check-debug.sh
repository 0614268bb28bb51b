#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug: the kselftests (and the fuzzer) in the test VM on a 6.12
# kernel built with KASAN, lockdep, kmemleak, DEBUG_ATOMIC_SLEEP and fault
# injection (tools/debug-kernel.sh, cached in build/debug-kernel). Any
# report of those fails the run (results.py); kmemleak is scanned at the
# end. Ends with "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dk=$(tools/debug-kernel.sh) || { echo "0 passed, 1 failed"; exit 1; }
kver=$(cat "$dk/include/config/kernel.release")
d=build/kmod-$kver
mkdir -p "$d"
for f in "$top"/kmod/*.[ch] "$top"/kmod/Kbuild "$top"/kmod/include; do
	ln -sfn "$f" "$d/"
done
ln -sfn "$dk/drivers/vfio/vfio.h" "$d/vfio_internal.h"
if ! make -s -C "$dk" M="$top/$d" W=1 \
	MEMSLOT_VERSION="$(git describe --always --dirty 2>/dev/null || echo unknown)" \
	modules >"$d/build.log" 2>&1 || grep -q 'warning:' "$d/build.log"; then
	sed 's/^/#   /' "$d/build.log"
	echo "0 passed, 1 failed"
	exit 1
fi
# KASAN and lockdep under TCG: give the VM more time. No intremap=off VM:
# booted so, this 6.12 build at times reports a KASAN wild access in
# handle_edge_irq() during identify_cpu(), before any module loads (seen
# once in three boots); the isolation check runs on the Debian kernels.
# Its suite is split over two VMs, which run side by side.
VM_SPLIT=1 VM_NOIR=0 VM_KERNEL=$dk/arch/x86/boot/bzImage VM_TIMEOUT=4000 VM_TEST_TIMEOUT=1500 \
	tools/vm/run-tests.sh "$kver" | tee build/check/vm-debug.log
passed=0 failed=0
while read -r p f; do
	passed=$((passed + p)) failed=$((failed + f))
done < <(sed -nE 's/^[^ ]+: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' build/check/vm-debug.log)
grep -q 'passed, .* failed' build/check/vm-debug.log || failed=$((failed + 1))
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
