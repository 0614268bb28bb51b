#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo run inside the test VM (make demo): the family as an independent
# client (iproute2's genl) sees it, then a space created, listed and shown
# with memslotctl, and gone once its owner exits; then the demo VMM
# (memslot-demo) with four vCPUs under layout churn, watched by memslotctl.
set -e
echo "== the kernel: $(uname -r), memslot.ko $(cat /sys/module/memslot/version)"
echo "== the generic netlink family, as iproute2 sees it"
genl ctrl get name memslot
echo "== one memslotctl session (-b): create a space, list it"
memslotctl -b - <<'CMDS'
space new name demo-vm
space list
CMDS
echo "== the same with -j"
memslotctl -j -b - <<'CMDS'
space new name demo-vm
space list
CMDS
echo "== after memslotctl exited, its spaces are gone (owner socket closed)"
memslotctl space list
echo "== (list is empty above)"
echo "== a bad request is refused with the kernel's reason"
memslotctl space del 4242 || true
echo "== the demo VMM: 4 vCPUs write and check their RAM, edu does DMA, the layout churns"
memslot-demo -c 4 -t 12 | cat & # not a tty: one status line a second
vmm=$!
sleep 6 # let it run a while, then look at it from outside, as an operator
echo "== meanwhile, memslotctl -s space list (an administrator sees every space)"
memslotctl -s space list
wait $vmm
