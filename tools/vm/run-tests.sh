#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the kselftests in the test VM for each kernel release given.
# Prints the TAP lines, one "<kver>: N passed, N failed, N skipped" line per
# kernel, and exits non-zero if anything failed. VM_JOBS=N runs the
# kernels' VMs N at a time (each TCG VM keeps one core busy), printing
# each kernel's lines, in order, once it is done; VM_SPLIT=1 splits each
# kernel's suite over two VMs.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tests=(memslot_genl_test memslot_vm_test memslot_txn_test memslot_atomic_test
       memslot_dirty_test memslot_dma_test memslot_security_test "$top/tools/memslot-fuzz"
       memslot_lib_test memslot_module_test)
rc=0

# vm KVER OUTDIR LABEL APPEND PROGRAM...: one VM, judged by results.py
vm() {
	local v=$1 out=$2 label=$3 append=$4
	shift 4
	mkdir -p "$out"
	local progs=() p
	for p in "$@"; do # names of selftests, or paths
		[[ $p == /* ]] || p=$top/selftests/$p
		progs+=("$p")
	done
	# each program may take VM_TEST_TIMEOUT s, the VM VM_TIMEOUT s in all
	VM_APPEND="$append memslot.timeout=${VM_TEST_TIMEOUT:-600}" \
	VM_TIMEOUT=${VM_TIMEOUT:-1800} "$top/tools/vm/vm.sh" test "$v" \
		"$top/build/kmod-$v/memslot.ko" "$out" \
		"${progs[@]}" "$top/tools/memslotctl:bin"
	if ! python3 "$top/tools/vm/results.py" "$out/results.log" "$label"; then
		echo "# $label: last lines of the console ($out/console.log):"
		tail -n 25 "$out/console.log" | sed 's/^/#   /'
		return 1
	fi
}

# Every VM of kernel $1; non-zero if anything failed. With VM_SPLIT=1
# the two longest programs run in a second VM alongside (a slow kernel's
# suite in about half the time on two cores).
kernel() {
	local v=$1 r=0 t pid long=(memslot_dma_test "$top/tools/memslot-fuzz") rest=()
	if [ "${VM_SPLIT:-0}" = 1 ]; then
		for t in "${tests[@]}"; do
			[[ " ${long[*]} " == *" $t "* ]] || rest+=("$t")
		done
		vm "$v" "$top/build/vm-$v-b" "$v/b" quiet "${long[@]}" \
			>"$top/build/vm-$v-b.out" 2>&1 &
		pid=$!
		vm "$v" "$top/build/vm-$v" "$v" quiet "${rest[@]}" || r=1
		wait "$pid" || r=1
		cat "$top/build/vm-$v-b.out"
	else
		vm "$v" "$top/build/vm-$v" "$v" quiet "${tests[@]}" || r=1
	fi
	# interrupt remapping off: the IOMMU backend's isolation check
	[ "${VM_NOIR:-1}" = 0 ] ||
		vm "$v" "$top/build/vm-$v-noir" "$v/intremap=off" \
			"quiet intremap=off" memslot_isolation_test || r=1
	return $r
}

jobs=${VM_JOBS:-1}
if [ "$jobs" -le 1 ]; then
	for v in "$@"; do
		kernel "$v" || rc=1
	done
	exit $rc
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for v in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	(kernel "$v" >"$tmp/$i.out" 2>&1; echo $? >"$tmp/$i.rc") &
	i=$((i + 1))
done
wait
for ((j = 0; j < i; j++)); do
	cat "$tmp/$j.out"
	[ "$(cat "$tmp/$j.rc" 2>/dev/null)" = 0 ] || rc=1
done
exit $rc
