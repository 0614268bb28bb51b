#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerate the uAPI header and the kernel policy/ops tables from
# Documentation/netlink/specs/memslot.yaml with the kernel's own generator
# (tools/net/ynl of linux-source-6.12), validating the spec against the
# genetlink-legacy schema on the way.
# usage: ynl-regen.sh <extracted 6.12 source> [--check]
set -eu
ksrc=$(realpath "$1")
mode=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
spec=Documentation/netlink/specs/memslot.yaml
gen=$ksrc/tools/net/ynl/ynl-gen-c.py

cp "$top/$spec" "$ksrc/$spec"
out=$top
if [ "$mode" = --check ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	mkdir -p "$out/kmod/include/uapi/linux"
fi
run() { # mode kind file
	python3 "$gen" --mode "$1" --"$2" --spec "$ksrc/$spec" -o "$out/$3" \
		>/dev/null
}
run uapi header kmod/include/uapi/linux/memslot.h
run kernel header kmod/netlink-gen.h
run kernel source kmod/netlink-gen.c
if [ "$mode" = --check ]; then
	for f in kmod/include/uapi/linux/memslot.h kmod/netlink-gen.h \
		 kmod/netlink-gen.c; do
		if ! diff -u "$top/$f" "$out/$f"; then
			echo "ynl-regen: $f is stale; run make regen" >&2
			exit 1
		fi
	done
	echo "ynl-regen: generated files match $spec"
fi
