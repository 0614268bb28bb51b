#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages memslot needs to build and test, then
# fetch the 7.3 kernel that bookworm's apt does not carry into build/
# (tools/kbuild-7.sh: a private apt configuration, the machine's own
# sources untouched). Idempotent and quiet when nothing is missing. Kernel
# images are installed without an initramfs of their own (INITRD=No): the
# test VM builds its own.
set -eu
pkgs="
	gcc make pkg-config bc xz-utils python3 python3-yaml python3-jsonschema
	flex bison libelf-dev libssl-dev
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	qemu-system-x86 busybox-static cpio kmod
	libmnl-dev libnl-3-dev libnl-genl-3-dev iproute2
	curl ninja-build python3-venv libglib2.0-dev libfdt-dev
"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive INITRD=No \
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
"$(dirname "$0")/kbuild-7.sh" >/dev/null
