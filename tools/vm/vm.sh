#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a Debian kernel under QEMU (TCG, -cpu max for nested SVM, an Intel
# IOMMU and the edu DMA device) with memslot.ko and run tests, the demo, or
# a shell in it.
#
# usage: vm.sh MODE KVER KO OUTDIR [EXECUTABLE...]
#   MODE    test | demo | bench | shell
#   KO      memslot.ko built for KVER
#   OUTDIR  receives initramfs.gz, console.log and results.log
#   EXECUTABLE  test programs (-> /opt/memslot/selftests, run in the order
#               given) or, written PATH:bin, programs for /opt/memslot/bin;
#               their shared libraries come along; PATH:data, files for
#               /opt/memslot/data (a nested guest's kernel, firmware).
set -euo pipefail
mode=$1 kver=$2 ko=$3 out=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
root=$out/root

rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,opt/memslot/{bin,lib,selftests}}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"
chmod +x "$root/init"
cp "$ko" "$root/opt/memslot/memslot.ko"

# The kernel and its modules: installed (/boot, /lib/modules), or unpacked
# into build/kernel-KVER by tools/fetch-kernel.sh (7.x); none for a kernel
# of our own (VM_KERNEL=its bzImage), which has them built in.
kroot=
unpacked=$here/../../build/kernel-$kver/root
if [ ! -e "/boot/vmlinuz-$kver" ] && [ -d "$unpacked" ]; then
	kroot=$(cd "$unpacked" && pwd)
fi
if [ -n "${VM_KERNEL:-}" ]; then
	kernel=$VM_KERNEL
elif [ -n "$kroot" ]; then
	kernel=$kroot/usr/lib/modules/$kver/vmlinuz
else
	kernel=/boot/vmlinuz-$kver
fi
# Kernel modules the tests need, with their dependencies.
[ -n "${VM_KERNEL:-}" ] || for m in kvm_amd vfio-pci vfio_iommu_type1; do
	modprobe -d "${kroot:-/}" -S "$kver" --show-depends "$m" |
		awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r f; do
	to=${f#"$kroot"}
	mkdir -p "$root$(dirname "$to")"
	cp "$f" "$root$to"
done
if [ -z "${VM_KERNEL:-}" ]; then
	# busybox modprobe cannot hand .ko.xz to the kernel: store them plain
	find "$root" -name '*.ko.xz' -exec xz -d {} +
	cp "${kroot}"/lib/modules/"$kver"/modules.{order,builtin,builtin.modinfo} \
		"$root/lib/modules/$kver/" 2>/dev/null || true
	depmod -b "$root" "$kver" 2>/dev/null # 7.x ships no modules.builtin
fi

# Programs and the shared objects they load (same paths as on the host).
copy_libs() {
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done || true # scripts have no libraries
}
: >"$root/opt/memslot/selftests/list"
for x in "$@"; do
	case "$x" in
	*:bin) f=${x%:bin}; cp "$f" "$root/opt/memslot/bin/" ;;
	*:data) mkdir -p "$root/opt/memslot/data"
		cp -r "${x%:data}" "$root/opt/memslot/data/"; continue ;;
	*)     f=$x; cp "$f" "$root/opt/memslot/selftests/"
	       basename "$f" >>"$root/opt/memslot/selftests/list" ;;
	esac
	copy_libs "$f"
done

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/initramfs.gz"

qemu=(qemu-system-x86_64 -M q35 -accel tcg,thread=single -cpu max -smp "${VM_SMP:-2}" -m 2G -nographic -no-reboot
      -kernel "$kernel" -initrd "$out/initramfs.gz"
      -device intel-iommu -device edu)
append="console=ttyS0 panic=-1 intel_iommu=on memslot.mode=$mode"
if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio -serial null -append "$append"
fi
: >"$out/results.log"
timeout "${VM_TIMEOUT:-600}" "${qemu[@]}" -serial "file:$out/console.log" \
	-serial "file:$out/results.log" -monitor none \
	-append "$append ${VM_APPEND:-quiet}" </dev/null >/dev/null 2>"$out/qemu.log" || {
	echo "vm.sh: QEMU exited with $? (timeout ${VM_TIMEOUT:-600}s?)" >&2
}
