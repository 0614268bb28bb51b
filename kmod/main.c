// SPDX-License-Identifier: GPL-2.0
/*
 * memslot: atomic guest RAM layout changes for KVM memslots and IOMMU
 * mappings, driven over the generic netlink family "memslot".
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

#include "dma.h"
#include "netlink.h"
#include "txn.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static struct dentry *ms_debugfs;

/*
 * debugfs memslot/fail_step (root only, for tests): write k > 0 and the
 * next commit fails at its k-th step (IOMMU maps of added DMA ranges,
 * then KVM steps), then the knob reads 0 again.
 */
static void __init ms_debugfs_init(void)
{
	ms_debugfs = debugfs_create_dir("memslot", NULL);
	debugfs_create_u32("fail_step", 0600, ms_debugfs, &ms_fail_step);
}

static int __init memslot_init(void)
{
	int err = ms_dma_init();

	if (err)
		return err;
	err = ms_netlink_init();
	if (err) {
		ms_dma_exit();
		return err;
	}
	ms_debugfs_init();
	return 0;
}

static void __exit memslot_exit(void)
{
	debugfs_remove_recursive(ms_debugfs);
	ms_netlink_uninit();
	ms_dma_exit();
	rcu_barrier(); /* pending frees of spaces run module code */
	/* a vCPU thread that ran the last park work may still be leaving it */
	synchronize_rcu_tasks();
}

module_init(memslot_init);
module_exit(memslot_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Atomic guest memory layout transactions for KVM and VFIO");
MODULE_VERSION(MEMSLOT_VERSION);
MODULE_ALIAS_GENL_FAMILY("memslot");
