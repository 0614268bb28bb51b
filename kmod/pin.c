// SPDX-License-Identifier: GPL-2.0
/*
 * Shared long-term pins of backing pages for DMA. A page is pinned once,
 * however many DMA ranges (aliases) map it: each backing counts the DMA
 * ranges using each of its pages. Pins are charged once to the owner's
 * pinned memory (mm->pinned_vm, VmPin in /proc/PID/status), within
 * RLIMIT_MEMLOCK unless the owner has CAP_IPC_LOCK. Everything here runs
 * under the space's lock; pinning runs in the owner's context (a netlink
 * request of the owner), unpinning anywhere.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "pin.h"
#include "space.h"

static struct ms_pins *ms_pins_get(struct ms_backing *b)
{
	u64 n = b->size >> PAGE_SHIFT;
	struct ms_pins *p = b->pins;

	if (p)
		return p;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return NULL;
	p->pages = kvcalloc(n, sizeof(*p->pages), GFP_KERNEL_ACCOUNT);
	p->refs = kvcalloc(n, sizeof(*p->refs), GFP_KERNEL_ACCOUNT);
	if (!p->pages || !p->refs) {
		kvfree(p->pages);
		kvfree(p->refs);
		kfree(p);
		return NULL;
	}
	b->pins = p;
	return p;
}

/* Pages of [off, off + size) of @b that no DMA range pins yet. */
u64 ms_pins_needed(struct ms_backing *b, u64 off, u64 size)
{
	u64 pg, end = (off + size) >> PAGE_SHIFT, n = 0;

	if (!b->pins)
		return size >> PAGE_SHIFT;
	for (pg = off >> PAGE_SHIFT; pg < end; pg++)
		n += !b->pins->refs[pg];
	return n;
}

/*
 * By how many pages pinning @more would exceed the owner's RLIMIT_MEMLOCK
 * (0: it would not, or CAP_IPC_LOCK). The caller runs in the owner's
 * context.
 */
u64 ms_pin_excess(u64 more)
{
	u64 limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	u64 after = atomic64_read(&current->mm->pinned_vm) + more;

	if (!more || after <= limit || capable(CAP_IPC_LOCK))
		return 0;
	return after - limit;
}

/* Pin the pages of [first, end) that are not pinned; none on failure. */
static int ms_pin_missing(struct ms_backing *b, u64 first, u64 end)
{
	struct ms_pins *p = b->pins;
	u64 pg = first, run;
	long got;

	while (pg < end) {
		if (p->pages[pg]) {
			pg++;
			continue;
		}
		for (run = 1; pg + run < end && run < 512 && !p->pages[pg + run];
		     run++)
			;
		got = pin_user_pages_fast(b->addr + (pg << PAGE_SHIFT), run,
					  FOLL_WRITE | FOLL_LONGTERM,
					  &p->pages[pg]);
		if (got <= 0)
			goto err_unpin;
		pg += got;
	}
	return 0;

err_unpin:
	for (pg = first; pg < end; pg++) {
		if (p->pages[pg] && !p->refs[pg]) {
			unpin_user_page(p->pages[pg]);
			p->pages[pg] = NULL;
		}
	}
	return got < 0 ? got : -EFAULT;
}

/*
 * Take a DMA reference on every page of [off, off + size) of @b, pinning
 * those that had none and charging them to the owner (current).
 */
int ms_pin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size)
{
	u64 pg, first = off >> PAGE_SHIFT, end = (off + size) >> PAGE_SHIFT;
	u64 taken = 0;
	int err;

	lockdep_assert_held(&space->lock);
	if (!ms_pins_get(b))
		return -ENOMEM;
	if (!space->pin_mm) {
		mmgrab(current->mm);
		space->pin_mm = current->mm;
	}
	err = ms_pin_missing(b, first, end);
	if (err)
		return err;
	for (pg = first; pg < end; pg++)
		taken += !b->pins->refs[pg]++;
	atomic64_add(taken, &space->pin_mm->pinned_vm);
	space->stats.pinned_pages += taken;
	space->stats.pins_taken += taken;
	space->stats.last_pins_taken += taken;
	return 0;
}

/* Drop the DMA references of ms_pin(); unpin pages nobody uses. */
void ms_unpin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size)
{
	u64 pg, end = (off + size) >> PAGE_SHIFT, dropped = 0;
	struct ms_pins *p = b->pins;

	lockdep_assert_held(&space->lock);
	for (pg = off >> PAGE_SHIFT; pg < end; pg++) {
		if (WARN_ON_ONCE(!p->refs[pg]) || --p->refs[pg])
			continue;
		unpin_user_page(p->pages[pg]);
		p->pages[pg] = NULL;
		dropped++;
	}
	atomic64_sub(dropped, &space->pin_mm->pinned_vm);
	space->stats.pinned_pages -= dropped;
	space->stats.pins_dropped += dropped;
	space->stats.last_pins_dropped += dropped;
}

void ms_pins_free(struct ms_backing *b)
{
	if (!b->pins)
		return;
	kvfree(b->pins->pages);
	kvfree(b->pins->refs);
	kfree(b->pins);
	b->pins = NULL;
}

/* The space goes: its pins are gone, let go of the owner's mm. */
void ms_pin_release_mm(struct ms_space *space)
{
	if (space->pin_mm)
		mmdrop(space->pin_mm);
	space->pin_mm = NULL;
}
