#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the kselftests in the test VM for each kernel release given.
# Prints the TAP lines, one "<kver>: N passed, N failed, N skipped" line per
# kernel, and exits non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tests=(memslot_genl_test memslot_vm_test memslot_txn_test memslot_atomic_test memslot_dma_test memslot_security_test memslot_lib_test memslot_module_test)
rc=0
for v in "$@"; do
	out=$top/build/vm-$v
	mkdir -p "$out"
	"$top/tools/vm/vm.sh" test "$v" "$top/build/kmod-$v/memslot.ko" "$out" \
		"${tests[@]/#/$top/selftests/}" "$top/tools/memslotctl:bin"
	if ! python3 "$top/tools/vm/results.py" "$out/results.log" "$v"; then
		rc=1
		echo "# $v: last lines of the console ($out/console.log):"
		tail -n 25 "$out/console.log" | sed 's/^/#   /'
	fi
done
exit $rc
