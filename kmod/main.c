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
#include "owner.h"
#include "space.h"
#include "testpoint.h"
#include "txn.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static struct dentry *ms_debugfs;

/*
 * debugfs memslot/fail_step (root only, for tests): write k > 0 and the
 * next commit fails at its k-th step (IOMMU maps of added DMA ranges,
 * then KVM steps), then the knob reads 0 again.
 */
/*
 * debugfs memslot/flush (root only, for tests): a write returns once every
 * space destroyed before it is torn down (slots, pins and references
 * gone); teardown otherwise runs in the background.
 */
static ssize_t ms_flush_write(struct file *file, const char __user *buf,
			      size_t len, loff_t *ppos)
{
	ms_space_flush();
	return len;
}

static const struct file_operations ms_flush_fops = {
	.owner	= THIS_MODULE,
	.write	= ms_flush_write,
	.llseek	= noop_llseek,
};

static void __init ms_debugfs_init(void)
{
	ms_debugfs = debugfs_create_dir("memslot", NULL);
	debugfs_create_u32("fail_step", 0600, ms_debugfs, &ms_fail_step);
	debugfs_create_file("flush", 0200, ms_debugfs, NULL, &ms_flush_fops);
	ms_testpoint_init(ms_debugfs);
}

static int __init memslot_init(void)
{
	int err = ms_space_init();

	if (err)
		return err;
	err = ms_dma_init();
	if (err)
		goto err_space_exit;
	err = ms_netlink_init();
	if (err)
		goto err_dma_exit;
	ms_debugfs_init();
	return 0;

err_dma_exit:
	ms_dma_exit();
err_space_exit:
	ms_space_exit();
	return err;
}

static void __exit memslot_exit(void)
{
	debugfs_remove_recursive(ms_debugfs);
	ms_testpoint_exit();
	ms_netlink_uninit();
	ms_dma_exit();
	ms_space_exit(); /* a teardown's last put may still be returning */
	rcu_barrier(); /* pending frees of spaces run module code */
	ms_owner_exit(); /* and so do frees of MMU notifier subscriptions */
	memslot_compat_exit();
	/* a vCPU thread that ran the last park work may still be leaving it */
	synchronize_rcu_tasks();
}

module_init(memslot_init);
module_exit(memslot_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Atomic guest memory layout transactions for KVM and VFIO");
MODULE_VERSION(MEMSLOT_VERSION);
MODULE_ALIAS_GENL_FAMILY("memslot");
