// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs memslot/pause (root only, for tests that need a race to happen
 * in one order): writing "TID POINT" makes thread TID wait (killable) the
 * next time it reaches POINT (enum ms_pause_point), until "0" is written;
 * reading gives the thread waiting there, or 0. Off, a point costs one
 * READ_ONCE.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "testpoint.h"

static u32 ms_pause_tid, ms_pause_point;	/* what to stop */
static u32 ms_paused_tid;			/* who waits now */
static DECLARE_WAIT_QUEUE_HEAD(ms_pause_wq);

void ms_test_pause(enum ms_pause_point point)
{
	u32 tid = task_pid_nr(current);

	if (likely(!READ_ONCE(ms_pause_tid)) || READ_ONCE(ms_pause_tid) != tid ||
	    READ_ONCE(ms_pause_point) != point)
		return;
	WRITE_ONCE(ms_paused_tid, tid);
	wait_event_killable(ms_pause_wq, READ_ONCE(ms_pause_tid) != tid);
	WRITE_ONCE(ms_paused_tid, 0);
}

static ssize_t ms_pause_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	u32 tid = 0, point = 0;
	char buf[32];

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%u %u", &tid, &point) < 1)
		return -EINVAL;
	WRITE_ONCE(ms_pause_point, point);
	WRITE_ONCE(ms_pause_tid, tid);
	wake_up_all(&ms_pause_wq);
	return len;
}

static ssize_t ms_pause_read(struct file *file, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%u\n", READ_ONCE(ms_paused_tid));

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations ms_pause_fops = {
	.owner	= THIS_MODULE,
	.read	= ms_pause_read,
	.write	= ms_pause_write,
	.llseek	= default_llseek,
};

void ms_testpoint_init(struct dentry *dir)
{
	debugfs_create_file("pause", 0600, dir, NULL, &ms_pause_fops);
}

/* Nothing may wait in module text once it goes. */
void ms_testpoint_exit(void)
{
	WRITE_ONCE(ms_pause_tid, 0);
	wake_up_all(&ms_pause_wq);
}
