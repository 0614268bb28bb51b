#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the test VM: the patched QEMU (tools/qemu) boots a nested guest with
# -accel kvm,memslot=on and a virtio-mem device with dynamic memslots
# (2 GiB, two 1 GiB memslots); QMP plugs and unplugs memory in steps while
# the guest's memcheck fills and checks its free memory at every change.
# TAP: the guest sees each size with no memory error, and memslot counted
# exactly one commit for each QEMU memory transaction that changed slots
# (QEMU's kvm_memslot_commit trace), none through plain ioctls.
d=/opt/memslot/data
b=/opt/memslot/bin
w=/tmp/qemu-test
mkdir -p $w
n=0
fails=0
tap() { # tap OK|FAIL DESCRIPTION
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n qemu.$2"; else echo "not ok $n qemu.$2"; fails=$((fails + 1)); fi
}
# wait_line PATTERN FILE SECONDS: the guest or QEMU printed PATTERN
wait_line() {
	i=0
	while ! grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt "$3" ] && return 1
		sleep 1
	done
}
qmp() { $b/qmp $w/qmp.sock "$@"; }
# the guest's lines without the serial line's carriage returns
guest() { tr -d '\r' <$w/guest.log; }
space_id() { $b/memslotctl -j space list | grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$'; }
nranges() { $b/memslotctl -j range list "$space" | grep -o '"id"' | grep -c .; }

$b/qemu-system-x86_64 -nodefaults -L $d -M q35 -accel kvm,memslot=on \
	-cpu host -smp 1 -m 256M,maxmem=3G -display none -no-reboot \
	-kernel $d/bzImage -initrd $d/guest.gz \
	-append "console=ttyS0 panic=-1 quiet memhp_default_state=online_movable" \
	-serial file:$w/guest.log -qmp unix:$w/qmp.sock,server=on,wait=off \
	-object memory-backend-ram,id=vmem0,size=2G,reserve=off \
	-device virtio-mem-pci,id=vm0,memdev=vmem0,block-size=2M,requested-size=0,dynamic-memslots=on \
	-trace kvm_memslot_commit 2>$w/qemu.err &
qpid=$!
if ! wait_line "memcheck: memtotal" $w/guest.log 600; then
	cat $w/qemu.err; guest
	tap FAIL guest_boots_with_memslot_on
	echo "# $fails failed"
	exit 1
fi
tap OK guest_boots_with_memslot_on
base=$(guest | sed -n 's/.*memtotal=\([0-9]*\).*/\1/p' | head -1)
echo "# guest base MemTotal ${base} kB: $(guest | grep memcheck | head -1)"
space=$(space_id)
r0=$(nranges)
echo "# space $space: $r0 ranges at boot"
# MiB plugged, then how many 1 GiB memslots of the device are mapped (QEMU
# 10.0 keeps a memslot that was plugged mapped until the device resets)
for step in 64:1 1088:2 64:2 0:2; do
	mb=${step%:*} slots=${step#*:}
	want=$((base + mb * 1024))
	qmp "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/vm0\",\"property\":\"requested-size\",\"value\":$((mb << 20))}}" >/dev/null
	if wait_line "memtotal=$want " $w/guest.log 600; then
		line=$(guest | grep "memtotal=$want " | tail -1)
		r=$(nranges)
		echo "# plugged ${mb} MiB: $line; $r ranges (want $((r0 + slots)))"
		case "$line" in
		*errors=0) [ "$r" = $((r0 + slots)) ] && tap OK "plug_${mb}_mib_checked" ||
				tap FAIL "plug_${mb}_mib_checked" ;;
		*) tap FAIL "plug_${mb}_mib_checked" ;;
		esac
	else
		echo "# plugged ${mb} MiB: the guest never showed MemTotal $want kB"
		guest | tail -3
		tap FAIL "plug_${mb}_mib_checked"
	fi
done
# QEMU's memslot commits against the kernel's count for the space
kernel=$($b/memslotctl -j -s space show "$space" | grep -o '"commits": *[0-9]*' | grep -o '[0-9]*$')
qemu=$(grep -c kvm_memslot_commit $w/qemu.err)
echo "# space $space: $kernel commits in the kernel, $qemu traced by QEMU"
$b/memslotctl -s space show "$space" | sed 's/^/# /'
if [ -n "$kernel" ] && [ "$kernel" = "$qemu" ] && [ "$qemu" -gt 0 ]; then
	tap OK one_commit_per_qemu_memory_transaction
else
	tap FAIL one_commit_per_qemu_memory_transaction
fi
grep -v kvm_memslot_commit $w/qemu.err | sed 's/^/# qemu: /'
qmp '{"execute":"quit"}' >/dev/null
wait $qpid
echo "# $n tests, $fails failed"
[ $fails = 0 ]
