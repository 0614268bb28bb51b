#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# memslot.ko may import from KVM only kvm_get_kvm, kvm_get_kvm_safe and
# kvm_put_kvm, which every kernel exports to all GPL modules; everything
# else goes through the VM file's ioctls (Documentation/design.rst, "One
# door into KVM"). For each kernel given: the module's undefined symbols
# that the kernel's Module.symvers says KVM exports, less those three.
#
#   tools/check-kvm-abi.sh KVER...
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
allowed="kvm_get_kvm kvm_get_kvm_safe kvm_put_kvm"
rc=0
for v; do
	ko=$top/build/kmod-$v/memslot.ko
	sv=
	for d in /lib/modules/$v/build "$top/build/kernel-$v/root/usr/src/linux-headers-$v" \
		 /usr/src/linux-headers-$v; do
		[ -f "$d/Module.symvers" ] && { sv=$d/Module.symvers; break; }
	done
	[ -n "$sv" ] && [ -f "$ko" ] || { echo "kvm-abi: $v: no module or Module.symvers" >&2; rc=1; continue; }
	kvm=$(nm -u "$ko" | awk '{ print $2 }' | sort -u |
	      awk -v sv="$sv" 'BEGIN { while ((getline l < sv) > 0) {
					split(l, f, "\t"); if (f[3] ~ /(^|\/)kvm(-amd|-intel)?$/) k[f[2]] = 1 } }
			   k[$1]')
	bad=$(for s in $kvm; do case " $allowed " in *" $s "*) ;; *) echo "$s" ;; esac; done)
	if [ -n "$bad" ]; then
		echo "kvm-abi: $v: memslot.ko imports from KVM:" $bad
		rc=1
	else
		echo "kvm-abi: $v: imports from KVM only:" $kvm
	fi
done
exit $rc
