#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: build everything warning-free, host unit tests under
# ASan+UBSan, static checks (spec/codegen, checkpatch, the module's KVM
# imports), then the kselftests in a VM on every reference kernel (6.1,
# 6.12, 7.3), then on a 6.12 debug kernel (KASAN, lockdep, kmemleak, fault
# injection). Ends with "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=build/check
mkdir -p "$log"
passed=0 failed=0

result() { # name status
	if [ "$2" = 0 ]; then
		passed=$((passed + 1)); echo "ok - $1"
	else
		failed=$((failed + 1)); echo "not ok - $1"
	fi
}

# 1. Build: module for each kernel (W=1), library, tools, selftests.
make -s all >"$log/build.log" 2>&1
st=$?
if grep -q 'warning:' "$log/build.log"; then st=1; fi
[ $st = 0 ] || sed 's/^/#   /' "$log/build.log"
result "build (module W=1 on $(make -s --no-print-directory kvers), lib, tools, selftests), no warnings" $st
[ $st = 0 ] || { echo "$passed passed, $((failed)) failed"; exit 1; }

# The 6.12 debug kernel for step 6 builds in the background meanwhile
# (about 11 minutes on 2 cores the first time; cached after), at a lower
# priority than the test VMs.
dk_pid=
if [ "${CHECK_DEBUG:-1}" != 0 ]; then
	nice -n 10 tools/debug-kernel.sh >"$log/debug-kernel.log" 2>&1 &
	dk_pid=$!
fi

# 2. Unit tests of the module's pure code.
make -s unit >"$log/unit-build.log" 2>&1 || sed 's/^/#   /' "$log/unit-build.log"
build/unit/layout_test >"$log/unit.log" 2>&1
st=$?
grep -E '^(not )?ok ' "$log/unit.log" | sed 's/^/unit: /'
p=$(grep -c '^ok ' "$log/unit.log") f=$(grep -c '^not ok ' "$log/unit.log")
[ $st = 0 ] || [ "$f" -gt 0 ] || f=1
passed=$((passed + p)) failed=$((failed + f))

# 3. Static checks.
make -s check-static >"$log/static.log" 2>&1
st=$?
sed 's/^/#   /' "$log/static.log"
result "spec validates and generated code is current; checkpatch --strict clean" $st

# 4. The module's only imports from KVM are kvm_get_kvm/kvm_put_kvm.
tools/check-kvm-abi.sh $(make -s --no-print-directory kvers) >"$log/kvm-abi.log" 2>&1
st=$?
sed 's/^/#   /' "$log/kvm-abi.log"
result "memslot.ko reaches KVM only through its public ABI (nm -u against KVM's exports)" $st

# make install into a DESTDIR, and make uninstall.
tools/check-install.sh "$(make -s --no-print-directory kvers | cut -d' ' -f1)" \
	>"$log/install.log" 2>&1
st=$?
sed 's/^/#   /' "$log/install.log"
result "make install DESTDIR=... writes only there, a program links against it, make uninstall removes it" $st

# 5. kselftests in the VM, per kernel, two VMs at a time.
VM_JOBS=${VM_JOBS:-2} tools/vm/run-tests.sh $(make -s --no-print-directory kvers) |
	tee "$log/vm.log"
while read -r p f; do
	passed=$((passed + p)) failed=$((failed + f))
done < <(sed -nE 's/^[^ ]+: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$log/vm.log")
grep -q 'passed, .* failed' "$log/vm.log" || failed=$((failed + 1))

# 6. The same on a 6.12 debug kernel (KASAN, lockdep, kmemleak, fault
# injection), built once into build/debug-kernel (started above).
# CHECK_DEBUG=0 leaves it out.
if [ -n "$dk_pid" ]; then
	wait "$dk_pid" || sed 's/^/#   /' "$log/debug-kernel.log"
	tools/check-debug.sh | tee "$log/debug.log"
	read -r p f < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log/debug.log" | tail -n 1)
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1}))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
