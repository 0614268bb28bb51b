// SPDX-License-Identifier: GPL-2.0
/*
 * memslot: atomic guest RAM layout changes for KVM memslots and IOMMU
 * mappings, driven over the generic netlink family "memslot".
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

#include "netlink.h"

static int __init memslot_init(void)
{
	return ms_netlink_init();
}

static void __exit memslot_exit(void)
{
	ms_netlink_uninit();
	rcu_barrier(); /* pending frees of spaces run module code */
}

module_init(memslot_init);
module_exit(memslot_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Atomic guest memory layout transactions for KVM and VFIO");
MODULE_VERSION(MEMSLOT_VERSION);
MODULE_ALIAS_GENL_FAMILY("memslot");
