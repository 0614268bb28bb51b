// SPDX-License-Identifier: GPL-2.0
/* Storage for the shims in compat.h, where a kernel needs any. */
#ifdef MEMSLOT_COMPAT_NEED_MSG_BUF
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

/*
 * Formatted extack messages on 6.1, one buffer per sending thread, found
 * by its pid number. A thread sends one request at a time, and netlink
 * copies the message into the ACK before sendmsg() returns, so a buffer is
 * never rewritten before its ACK is built, nor read by another thread.
 * xa_lock serialises a thread's claim on its slot with the collection of
 * slots whose thread is gone.
 */
struct ms_msg_buf {
	struct pid *pid;	/* counted; the thread that wrote last */
	char msg[MEMSLOT_COMPAT_MSG_LEN];
};

static DEFINE_XARRAY(ms_msg_bufs);
static atomic_t ms_msg_nr = ATOMIC_INIT(0);
static DEFINE_MUTEX(ms_msg_gc_lock);	/* the only eraser; protects gc_at */
static unsigned int ms_msg_gc_at = 1024;

/* Free the buffers of threads that exited; called as the table grows. */
static void ms_msg_gc(void)
{
	struct ms_msg_buf *b;
	unsigned long i;
	bool dead;

	if (!mutex_trylock(&ms_msg_gc_lock))
		return; /* another thread collects */
	xa_for_each(&ms_msg_bufs, i, b) {
		xa_lock(&ms_msg_bufs);
		rcu_read_lock();
		dead = !pid_task(b->pid, PIDTYPE_PID);
		rcu_read_unlock();
		if (dead)
			__xa_erase(&ms_msg_bufs, i);
		xa_unlock(&ms_msg_bufs);
		if (dead) {
			put_pid(b->pid);
			kfree(b);
			atomic_dec(&ms_msg_nr);
		}
	}
	WRITE_ONCE(ms_msg_gc_at, 2 * max(1024, atomic_read(&ms_msg_nr)));
	mutex_unlock(&ms_msg_gc_lock);
}

static int ms_msg_buf_add(unsigned long nr)
{
	struct ms_msg_buf *b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	int err;

	if (!b)
		return -ENOMEM;
	b->pid = get_pid(task_pid(current));
	err = xa_insert(&ms_msg_bufs, nr, b, GFP_KERNEL_ACCOUNT);
	if (err) {
		put_pid(b->pid);
		kfree(b);
		return err == -EBUSY ? 0 : err;
	}
	if (atomic_inc_return(&ms_msg_nr) > READ_ONCE(ms_msg_gc_at))
		ms_msg_gc();
	return 0;
}

void memslot_compat_msg_fmt(struct netlink_ext_ack *extack, const char *fmt,
			    ...)
{
	unsigned long nr = task_pid_nr(current);
	struct pid *old = NULL;
	struct ms_msg_buf *b;
	va_list ap;

	if (!extack)
		return;
	if (!xa_load(&ms_msg_bufs, nr) && ms_msg_buf_add(nr)) {
		extack->_msg = "(error message lost: out of memory)";
		return;
	}
	xa_lock(&ms_msg_bufs);
	b = xa_load(&ms_msg_bufs, nr);
	if (b && b->pid != task_pid(current)) { /* the number was reused */
		old = b->pid;
		b->pid = get_pid(task_pid(current));
	}
	if (b) {
		va_start(ap, fmt);
		vsnprintf(b->msg, sizeof(b->msg), fmt, ap);
		va_end(ap);
		extack->_msg = b->msg;
	}
	xa_unlock(&ms_msg_bufs);
	put_pid(old);
	if (!b)
		extack->_msg = "(error message lost)";
}

void memslot_compat_exit(void)
{
	struct ms_msg_buf *b;
	unsigned long i;

	xa_for_each(&ms_msg_bufs, i, b) {
		put_pid(b->pid);
		kfree(b);
	}
	xa_destroy(&ms_msg_bufs);
}
#endif
