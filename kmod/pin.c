// SPDX-License-Identifier: GPL-2.0
/*
 * Shared long-term pins of backing pages for DMA. A page is pinned once,
 * however many DMA ranges (aliases) map it: each backing counts the DMA
 * ranges using each of its pages, in chunks of MS_PIN_CHUNK pages that
 * exist only while one of their pages is pinned (an xarray by chunk
 * index), so a huge backing with a small DMA range costs one chunk.
 *
 * Pins are charged once to the owner's pinned memory (mm->pinned_vm,
 * VmPin in /proc/PID/status) within RLIMIT_MEMLOCK unless the owner has
 * CAP_IPC_LOCK. The mm checked and charged is the space's owner mm, which
 * every request that pins runs in (ms_owner_matches()), and the space dies
 * with it. Everything here runs under the space's lock; pinning in the
 * owner's context, unpinning anywhere.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "pin.h"
#include "space.h"

/* Pages pinned or compared in one call to the GUP fast path. */
#define MS_PIN_RUN	64

void ms_pins_init(struct ms_backing *b)
{
	xa_init(&b->pins);
}

static struct ms_pin_chunk *ms_chunk(struct ms_backing *b, u64 pg)
{
	return xa_load(&b->pins, pg / MS_PIN_CHUNK);
}

static struct ms_pin_chunk *ms_chunk_get(struct ms_backing *b, u64 pg)
{
	struct ms_pin_chunk *c = ms_chunk(b, pg);

	if (c)
		return c;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (c && xa_err(xa_store(&b->pins, pg / MS_PIN_CHUNK, c,
				 GFP_KERNEL_ACCOUNT))) {
		kfree(c);
		c = NULL;
	}
	return c;
}

/* Free the chunk of @pg if nothing in it is pinned. */
static void ms_chunk_put(struct ms_backing *b, u64 pg)
{
	struct ms_pin_chunk *c = ms_chunk(b, pg);

	if (c && !c->nr) {
		xa_erase(&b->pins, pg / MS_PIN_CHUNK);
		kfree(c);
	}
}

/* The pinned page @pg of @b (a DMA range uses it). */
struct page *ms_pin_page(struct ms_backing *b, u64 pg)
{
	return ms_chunk(b, pg)->pages[pg % MS_PIN_CHUNK];
}

/* Pages of [off, off + size) of @b that no DMA range pins yet. */
u64 ms_pins_needed(struct ms_backing *b, u64 off, u64 size)
{
	u64 pg, end = (off + size) >> PAGE_SHIFT, n = 0;
	struct ms_pin_chunk *c = NULL;

	for (pg = off >> PAGE_SHIFT; pg < end; pg++) {
		if (!c || !(pg % MS_PIN_CHUNK))
			c = ms_chunk(b, pg);
		n += !c || !c->refs[pg % MS_PIN_CHUNK];
	}
	return n;
}

/*
 * By how many pages pinning @more would exceed the owner's RLIMIT_MEMLOCK
 * (0: it would not, or CAP_IPC_LOCK). The caller runs as the owner.
 */
u64 ms_pin_excess(struct ms_space *space, u64 more)
{
	u64 limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	u64 after = atomic64_read(&space->owner.mm->pinned_vm) + more;

	if (!more || after <= limit || capable(CAP_IPC_LOCK))
		return 0;
	return after - limit;
}

/*
 * Pages [i, i + n) of chunk @c, at @addr, are pinned already: are they
 * still what the address maps? A munmap() and mmap() of the backing
 * leaves the pins on the old pages, which KVM no longer maps.
 */
static int ms_pins_current(struct ms_pin_chunk *c, u32 i, u32 n, u64 addr)
{
	struct page *now[MS_PIN_RUN];
	int got, k, err = 0;

	got = get_user_pages_fast(addr, n, FOLL_WRITE, now);
	if (got < 0)
		return got;
	for (k = 0; k < got; k++) {
		if (now[k] != c->pages[i + k])
			err = -ESTALE;
		put_page(now[k]);
	}
	return err ?: (got == n ? 0 : -EFAULT);
}

/* Length of the run at @i of pages that are (@pinned) or are not pinned. */
static u32 ms_run(struct ms_pin_chunk *c, u32 i, u32 end, bool pinned)
{
	u32 n = 1;

	while (i + n < end && n < MS_PIN_RUN && !!c->pages[i + n] == pinned)
		n++;
	return n;
}

/* Pin what is not pinned of chunk pages [i, end) at @addr; check the rest. */
static int ms_pin_chunk(struct ms_pin_chunk *c, u32 i, u32 end, u64 addr)
{
	u32 n;
	long got;
	int err;

	while (i < end) {
		bool pinned = c->pages[i];

		n = ms_run(c, i, end, pinned);
		if (pinned) {
			err = ms_pins_current(c, i, n, addr);
			if (err)
				return err;
			got = n;
		} else {
			got = pin_user_pages_fast(addr, n,
						  FOLL_WRITE | FOLL_LONGTERM,
						  &c->pages[i]);
			if (got <= 0)
				return got ?: -EFAULT;
			c->nr += got;
		}
		i += got;
		addr += (u64)got << PAGE_SHIFT;
	}
	return 0;
}

/* Undo what ms_pin_pages() pinned in [first, end): pages nobody uses. */
static void ms_pin_undo(struct ms_backing *b, u64 first, u64 end)
{
	struct ms_pin_chunk *c;
	u64 pg;

	for (pg = first; pg < end; pg++) {
		c = ms_chunk(b, pg);
		if (c && c->pages[pg % MS_PIN_CHUNK] &&
		    !c->refs[pg % MS_PIN_CHUNK]) {
			unpin_user_page(c->pages[pg % MS_PIN_CHUNK]);
			c->pages[pg % MS_PIN_CHUNK] = NULL;
			c->nr--;
		}
		if (pg + 1 == end || !((pg + 1) % MS_PIN_CHUNK))
			ms_chunk_put(b, pg);
	}
}

/* Every page of [first, end) of @b pinned and current; none new on error. */
static int ms_pin_pages(struct ms_backing *b, u64 first, u64 end)
{
	struct ms_pin_chunk *c;
	u64 pg, stop;
	int err = 0;

	for (pg = first; pg < end && !err; pg = stop) {
		stop = min(end, round_down(pg, MS_PIN_CHUNK) + MS_PIN_CHUNK);
		c = ms_chunk_get(b, pg);
		err = c ? ms_pin_chunk(c, pg % MS_PIN_CHUNK,
				       (stop - 1) % MS_PIN_CHUNK + 1,
				       b->addr + (pg << PAGE_SHIFT)) : -ENOMEM;
	}
	if (err)
		ms_pin_undo(b, first, end);
	return err;
}

/*
 * Take a DMA reference on every page of [off, off + size) of @b, pinning
 * those that had none and charging them to the owner. -ESTALE if a page
 * pinned already is no longer the one its address maps.
 */
int ms_pin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size)
{
	u64 pg, first = off >> PAGE_SHIFT, end = (off + size) >> PAGE_SHIFT;
	struct ms_pin_chunk *c = NULL;
	u64 taken = 0;
	int err;

	lockdep_assert_held(&space->lock);
	err = ms_pin_pages(b, first, end);
	if (err)
		return err;
	for (pg = first; pg < end; pg++) {
		if (!c || !(pg % MS_PIN_CHUNK))
			c = ms_chunk(b, pg);
		taken += !c->refs[pg % MS_PIN_CHUNK]++;
	}
	atomic64_add(taken, &space->owner.mm->pinned_vm);
	space->stats.pinned_pages += taken;
	space->stats.pins_taken += taken;
	return 0;
}

/* Drop the DMA references of ms_pin(); unpin pages nobody uses. */
void ms_unpin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size)
{
	u64 pg, end = (off + size) >> PAGE_SHIFT, dropped = 0;
	struct ms_pin_chunk *c;
	u32 i;

	lockdep_assert_held(&space->lock);
	for (pg = off >> PAGE_SHIFT; pg < end; pg++) {
		c = ms_chunk(b, pg);
		i = pg % MS_PIN_CHUNK;
		if (WARN_ON_ONCE(!c || !c->refs[i]) || --c->refs[i])
			continue;
		unpin_user_page(c->pages[i]);
		c->pages[i] = NULL;
		c->nr--;
		dropped++;
		ms_chunk_put(b, pg);
	}
	atomic64_sub(dropped, &space->owner.mm->pinned_vm);
	space->stats.pinned_pages -= dropped;
	space->stats.pins_dropped += dropped;
}

/* The backing goes; no range uses it, so nothing is pinned. */
void ms_pins_free(struct ms_backing *b)
{
	struct ms_pin_chunk *c;
	unsigned long i;

	xa_for_each(&b->pins, i, c) {
		WARN_ON_ONCE(c->nr);
		kfree(c);
	}
	xa_destroy(&b->pins);
}
