#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The QEMU integration test (tools/qemu/test.sh) in the test VM for each
# kernel release given: builds the patched QEMU (cached), qmp, memcheck and
# the nested guest's initramfs, then boots one VM per kernel, VM_JOBS at a
# time. Prints the TAP lines and one "<kver>/qemu: N passed, N failed"
# line per kernel; non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/qemu-test
mkdir -p "$out"
qemu=$("$top/tools/qemu/build.sh") || exit 1
gcc -O2 -Wall -Wextra -o "$out/qmp" "$top/tools/qemu/qmp.c" || exit 1
gcc -O2 -static -Wall -Wextra -o "$out/memcheck" "$top/tools/qemu/memcheck.c" || exit 1
gkver=$(ls /boot/vmlinuz-6.1.* | sort -V | tail -1)
gkver=${gkver#/boot/vmlinuz-}
"$top/tools/qemu/guest-initramfs.sh" "$gkver" "$out/memcheck" "$out/guest.gz" || exit 1
data=(/boot/vmlinuz-"$gkver" "$out/guest.gz" /usr/share/seabios/bios-256k.bin
      /usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot_dma.bin)
cp "${data[0]}" "$out/bzImage"
data[0]=$out/bzImage

one() { # KVER
	local v=$1 dir=$out/vm-$1
	mkdir -p "$dir"
	VM_APPEND="quiet memslot.timeout=${VM_TEST_TIMEOUT:-1500}" \
	VM_TIMEOUT=${VM_TIMEOUT:-1800} "$top/tools/vm/vm.sh" test "$v" \
		"$top/build/kmod-$v/memslot.ko" "$dir" "$top/tools/qemu/test.sh" \
		"$qemu:bin" "$out/qmp:bin" "$top/tools/memslotctl:bin" \
		"${data[@]/%/:data}"
	python3 "$top/tools/vm/results.py" "$dir/results.log" "$v/qemu"
}

rc=0 i=0
for v in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "${VM_JOBS:-1}" ]; do
		wait -n || true
	done
	(one "$v" >"$out/$i.out" 2>&1; echo $? >"$out/$i.rc") &
	i=$((i + 1))
done
wait
for ((j = 0; j < i; j++)); do
	cat "$out/$j.out"
	[ "$(cat "$out/$j.rc")" = 0 ] || rc=1
done
exit $rc
