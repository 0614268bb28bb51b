#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The nested guest's initramfs for the QEMU test (tools/qemu/test.sh):
# busybox, memcheck and the virtio-mem modules of KVER (the guest runs
# /boot/vmlinuz-KVER). Its init loads them, onlines hot-plugged memory as
# movable (so it can be unplugged again) and runs memcheck for ever; the
# host ends the guest.
#
#   tools/qemu/guest-initramfs.sh KVER MEMCHECK OUT.gz
set -eu
kver=$1
memcheck=$2
out=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/mod"
cp /bin/busybox "$root/bin/"
for a in sh cat echo insmod mount sleep; do
	ln -s busybox "$root/bin/$a"
done
cp "$memcheck" "$root/bin/memcheck"
mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	virtio_mem"
for m in $mods; do
	f=$(find "/lib/modules/$kver/kernel/drivers/virtio" -name "$m.ko*" | head -1)
	[ -n "$f" ] || continue # built in
	case "$f" in
	*.xz) xz -dc "$f" >"$root/mod/$m.ko" ;;
	*) cp "$f" "$root/mod/$m.ko" ;;
	esac
	echo "$m" >>"$root/mod/list"
done
cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mod/list); do
	insmod /mod/$m.ko || echo "guest: insmod $m failed"
done
echo "guest: up"
exec /bin/memcheck
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
