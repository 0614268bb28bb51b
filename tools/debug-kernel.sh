#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a 6.12 kernel from Debian's linux-source-6.12 with the kernel's
# debugging aids (KASAN, lockdep, kmemleak, DEBUG_ATOMIC_SLEEP, fault
# injection), configured small for the test VM: everything the tests need
# is built in, so the VM needs no modules but memslot.ko. Cached in
# build/debug-kernel, keyed by the source package's version and this
# script's configuration; a second run costs nothing.
# usage: debug-kernel.sh    (prints the build directory on success)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/debug-kernel
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing (make deps)" >&2; exit 1; }
# Bump when the configuration below changes.
key="$(dpkg-query -W -f='${Version}' linux-source-6.12) config-1"
if [ -f "$out/.memslot-key" ] && [ "$(cat "$out/.memslot-key")" = "$key" ] &&
   [ -f "$out/arch/x86/boot/bzImage" ] && [ -f "$out/Module.symvers" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
echo "debug-kernel: extracting linux-source-6.12" >&2
tar -xJf "$tarball" -C "$out" --strip-components=1
cd "$out"
make -s x86_64_defconfig >/dev/null
# Off: what a busybox VM with virtio-less QEMU q35 never uses.
scripts/config -d DRM -d SOUND -d USB_SUPPORT -d WLAN -d WIRELESS \
	-d ETHERNET -d NET_VENDOR_INTEL -d HID -d INPUT_MOUSE -d AGP \
	-d FB -d MEDIA_SUPPORT -d NFS_FS -d IPV6 -d NETFILTER -d WIRELESS \
	-d MODULE_SIG -d DEBUG_INFO -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
	-e DEBUG_INFO_NONE -d EFI -d HIBERNATION -d SUSPEND -d ACPI_DEBUG
# On: what the tests use, built in.
scripts/config -e MODULES -e MODULE_UNLOAD -e KVM -e KVM_AMD -e KVM_INTEL \
	-e VFIO -e VFIO_CONTAINER -e VFIO_IOMMU_TYPE1 -e VFIO_PCI -e VFIO_PCI_CORE \
	-e IOMMU_SUPPORT -e INTEL_IOMMU -e IRQ_REMAP -e INTEL_IOMMU_DEFAULT_ON \
	-e USERFAULTFD -e DEBUG_FS -e BLK_DEV_INITRD -e RD_GZIP -e DEVTMPFS \
	-e TMPFS -e TRACING -e FTRACE -e SERIAL_8250 -e SERIAL_8250_CONSOLE
# The debugging aids.
scripts/config -e KASAN -e KASAN_GENERIC -e KASAN_INLINE \
	-e PROVE_LOCKING -e DEBUG_LOCKDEP -e DEBUG_ATOMIC_SLEEP \
	-e DEBUG_KMEMLEAK -d DEBUG_KMEMLEAK_DEFAULT_OFF \
	--set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 64000 \
	-e FAULT_INJECTION -e FAILSLAB -e FAULT_INJECTION_DEBUG_FS \
	-e DEBUG_LIST -e DEBUG_OBJECTS -e DEBUG_OBJECTS_WORK \
	-e SOFTLOCKUP_DETECTOR -e DETECT_HUNG_TASK -e PROVE_RCU
make -s olddefconfig >/dev/null
echo "debug-kernel: building (about 11 minutes on 2 cores)" >&2
# modules too: modpost of vmlinux writes the Module.symvers memslot.ko needs
make -s -j"$(nproc)" bzImage modules >build.log 2>&1 ||
	{ tail -n 30 build.log >&2; exit 1; }
echo "$key" >.memslot-key
echo "$out"
