#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make fuzz: memslot-fuzz in the test VM for a long run, per kernel given.
# FUZZ_N messages (default 1000000), FUZZ_P processes and FUZZ_T threads
# (2 and 2), FUZZ_SEED (random). Fails on any kernel complaint.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
for v in "$@"; do
	out=$top/build/vm-$v-fuzz
	mkdir -p "$out"
	cat >"$out/memslot_fuzz_long" <<EOS
#!/bin/sh
exec /opt/memslot/bin/memslot-fuzz -n ${FUZZ_N:-1000000} -p ${FUZZ_P:-2} -t ${FUZZ_T:-2} ${FUZZ_SEED:+-s $FUZZ_SEED}
EOS
	chmod +x "$out/memslot_fuzz_long"
	VM_TIMEOUT=${VM_TIMEOUT:-86400} VM_APPEND="quiet memslot.timeout=86000" \
		"$top/tools/vm/vm.sh" test "$v" "$top/build/kmod-$v/memslot.ko" \
		"$out" "$out/memslot_fuzz_long" "$top/tools/memslot-fuzz:bin"
	python3 "$top/tools/vm/results.py" "$out/results.log" "$v" || rc=1
	grep '^# ' "$out/results.log" | head -n 3
done
exit $rc
