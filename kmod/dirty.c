// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty state that belongs to the backing page, as a VMM's dirty bitmap
 * belongs to its RAM block offset, not to a KVM slot. KVM keeps a dirty
 * log per slot and frees it with the slot; so whenever the module reads a
 * slot's log, and before a commit deletes a dirty-logged slot or turns its
 * logging off (split, merge, readonly toggle, removal), the slot's bits
 * are moved into its backing's bitmap, where they stay until a dirty-get
 * with clear reads them. A commit harvests under its vCPU hold, so no
 * guest write falls between the harvest and the deletion.
 *
 * A dirty-get reads the slots over its window. In KVM's default mode each
 * read resets the whole slot, whose bits then all move to the backing.
 * With manual protect (the binding's dirty-log-protect) KVM keeps them:
 * only the window's move, and a clear is KVM_CLEAR_DIRTY_LOG of just that
 * window, so that reading a small window of a big slot stays cheap.
 *
 * The backing's bits are kept in chunks of MS_DIRTY_CHUNK pages (one page
 * of bits), in an xarray by chunk, that exist once a harvest may need
 * them: reserved before KVM's log is read, so that nothing read can be
 * dropped for want of memory. Everything runs under the space's lock.
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "dirty.h"
#include "dma.h"
#include "kvm.h"
#include "range.h"

/* Pages one chunk of bits covers. */
#define MS_DIRTY_CHUNK	(PAGE_SIZE * BITS_PER_BYTE)

void ms_dirty_init(struct ms_backing *b)
{
	xa_init(&b->dirty);
}

void ms_dirty_free(struct ms_backing *b)
{
	unsigned long i;
	void *c;

	xa_for_each(&b->dirty, i, c)
		kfree(c);
	xa_destroy(&b->dirty);
}

/* Make sure the chunks of backing pages [first, first + n) exist. */
int ms_dirty_reserve(struct ms_backing *b, u64 first, u64 n)
{
	u64 c, last = (first + n - 1) / MS_DIRTY_CHUNK;
	unsigned long *bits;

	for (c = first / MS_DIRTY_CHUNK; c <= last; c++) {
		if (xa_load(&b->dirty, c))
			continue;
		bits = kzalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
		if (!bits)
			return -ENOMEM;
		if (xa_err(xa_store(&b->dirty, c, bits, GFP_KERNEL_ACCOUNT))) {
			kfree(bits);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Pages [first, first + n) of @b (reserved) were DMA-mapped until now: a
 * device may have written them since the last read.
 */
void ms_dirty_mark_pages(struct ms_backing *b, u64 first, u64 n)
{
	u64 end = first + n, stop;

	for (; first < end; first = stop) {
		stop = min(end, round_down(first, MS_DIRTY_CHUNK) + MS_DIRTY_CHUNK);
		bitmap_set(xa_load(&b->dirty, first / MS_DIRTY_CHUNK),
			   first % MS_DIRTY_CHUNK, stop - first);
	}
}

/*
 * OR the user bitmap @ubits of @n pages into the backing's bits from page
 * @first (reserved), a page of bits at a time through @buf.
 */
static int ms_dirty_or_user(struct ms_backing *b, u64 first,
			    const void __user *ubits, u64 n,
			    unsigned long *buf)
{
	unsigned long *chunk = NULL;
	u64 done, len, i, pg, ci = U64_MAX;

	for (done = 0; done < n; done += len) {
		len = min_t(u64, n - done, MS_DIRTY_CHUNK);
		if (copy_from_user(buf, ubits + done / BITS_PER_BYTE,
				   BITS_TO_LONGS(len) * sizeof(long)))
			return -EFAULT;
		for_each_set_bit(i, buf, len) {
			pg = first + done + i;
			if (pg / MS_DIRTY_CHUNK != ci) {
				ci = pg / MS_DIRTY_CHUNK;
				chunk = xa_load(&b->dirty, ci);
			}
			__set_bit(pg % MS_DIRTY_CHUNK, chunk);
		}
		cond_resched();
	}
	return 0;
}

/* Backing page of page 0 of slot @s of @mr, and the slot's pages. */
static u64 ms_slot_pages(struct ms_space *space, struct ms_mrange *mr, u32 s,
			 u64 *first)
{
	struct ms_slot_state st;

	ms_range_slot_state(space, mr, s, mr->flags, &st);
	*first = (mr->offset + (st.gpa - mr->r.gpa)) >> PAGE_SHIFT;
	return st.size >> PAGE_SHIFT;
}

/*
 * Scratch for harvests of slots up to @max_pages pages: a page of bits,
 * and the space's user buffer for KVM (kept between reads: a mapping per
 * call costs more than the read of a small window), grown if need be.
 */
int ms_dirty_scratch_get(struct ms_space *space, struct ms_dirty_scratch *sc,
			 u64 max_pages)
{
	int err;

	sc->buf = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!sc->buf)
		return -ENOMEM;
	err = ms_kvm_ubuf_reserve(space, MS_KVM_UBUF_HDR +
				  BITS_TO_LONGS(max_pages) * sizeof(long));
	sc->ubuf = space->ubuf;
	return err;
}

void ms_dirty_scratch_put(struct ms_dirty_scratch *sc)
{
	kfree(sc->buf);
	sc->buf = NULL;
}

/* The backing's chunks for slot @s of @mr, before a harvest needs them. */
int ms_dirty_reserve_slot(struct ms_space *space, struct ms_mrange *mr, u32 s)
{
	u64 first, n = ms_slot_pages(space, mr, s, &first);

	return ms_dirty_reserve(mr->backing, first, n);
}

/*
 * Move KVM's dirty log of slot @s of dirty-logged range @mr into its
 * backing's bits (KVM's log is reset). Nothing read is lost: the chunks
 * were reserved (ms_dirty_reserve_slot()) before KVM is asked.
 */
int ms_dirty_harvest(struct ms_space *space, struct ms_mrange *mr, u32 s,
		     struct ms_dirty_scratch *sc)
{
	void __user *bits;
	u64 first, n = ms_slot_pages(space, mr, s, &first);
	int err;

	err = ms_kvm_get_dirty_log(space, mr->slots[s], &sc->ubuf, &bits);
	if (err == -ENOENT) /* the VMM deleted the slot behind our back */
		return 0;
	if (err)
		return err;
	return ms_dirty_or_user(mr->backing, first, bits, n, sc->buf);
}

/* Does range @mr map backing pages that overlap [first, first + n)? */
static bool ms_range_in(struct ms_mrange *mr, struct ms_backing *b,
			u64 first, u64 n)
{
	u64 start = mr->offset >> PAGE_SHIFT;

	return mr->backing == b && start < first + n &&
	       first < start + (mr->r.size >> PAGE_SHIFT);
}

static bool ms_dirty_manual(const struct ms_space *space)
{
	return space->vm.dirty_protect & MEMSLOT_DIRTY_LOG_PROTECT_MANUAL_PROTECT;
}

/*
 * Read slot @s of @mr for the backing window [first, first + n). KVM's
 * default GET reset the whole slot, so all its bits move to the backing.
 * With manual protect KVM kept them: only the window's move, rounded out
 * to 64 pages as KVM_CLEAR_DIRTY_LOG wants, and with @clear KVM clears
 * exactly the bits moved (a write since the GET stays in KVM).
 */
static int ms_dirty_read_slot(struct ms_space *space, struct ms_mrange *mr,
			      u32 s, u64 first, u64 n, bool clear,
			      struct ms_dirty_scratch *sc)
{
	u64 sfirst, sn = ms_slot_pages(space, mr, s, &sfirst), a = 0, b = sn;
	void __user *bits;
	int err;

	if (sfirst >= first + n || first >= sfirst + sn)
		return 0;
	if (ms_dirty_manual(space)) {
		a = round_down(max(first, sfirst) - sfirst, BITS_PER_LONG);
		b = min(round_up(min(first + n, sfirst + sn) - sfirst,
				 BITS_PER_LONG), sn);
	}
	err = ms_dirty_reserve(mr->backing, sfirst + a, b - a);
	if (err)
		return err;
	err = ms_kvm_get_dirty_log(space, mr->slots[s], &sc->ubuf, &bits);
	if (err == -ENOENT) /* the VMM deleted the slot behind our back */
		return 0;
	if (!err)
		err = ms_dirty_or_user(mr->backing, sfirst + a,
				       bits + a / BITS_PER_BYTE, b - a, sc->buf);
	if (err || !clear || !ms_dirty_manual(space))
		return err;
	return ms_kvm_clear_dirty_log(space, mr->slots[s], a, b - a,
				      bits + a / BITS_PER_BYTE, &sc->ubuf);
}

/* Read every slot of the dirty-logged ranges over the window. */
static int ms_dirty_harvest_window(struct ms_space *space,
				   struct ms_backing *b, u64 first, u64 n,
				   bool clear)
{
	struct ms_dirty_scratch sc;
	struct ms_mrange *mr;
	unsigned long id;
	u64 max = 0;
	int err = 0;
	u32 s;

	xa_for_each(&space->ranges, id, mr)
		if (mr->flags & MEMSLOT_RANGE_FLAGS_DIRTY_LOG &&
		    ms_range_in(mr, b, first, n))
			max = max(max, min(mr->r.size, ms_chunk_size(space)));
	if (!max)
		return 0;
	err = ms_dirty_scratch_get(space, &sc, max >> PAGE_SHIFT);
	xa_for_each(&space->ranges, id, mr) {
		if (err)
			break;
		if (!(mr->flags & MEMSLOT_RANGE_FLAGS_DIRTY_LOG) ||
		    !ms_range_in(mr, b, first, n))
			continue;
		for (s = 0; s < mr->nr_slots && !err; s++)
			err = ms_dirty_read_slot(space, mr, s, first, n, clear,
						 &sc);
	}
	ms_dirty_scratch_put(&sc);
	return err;
}

/* Set in @out (bits of pages [first, first + n)) the DMA-mapped pages. */
static u64 ms_dirty_dma(struct ms_space *space, struct ms_backing *b,
			u64 first, u64 n, unsigned long *out)
{
	u64 start, end, count = 0;
	struct ms_mrange *mr;
	unsigned long id;

	if (!ms_dma_bound(space)) /* mapped nowhere */
		return 0;
	xa_for_each(&space->ranges, id, mr) {
		if (!(mr->flags & MEMSLOT_RANGE_FLAGS_DMA) ||
		    !ms_range_in(mr, b, first, n))
			continue;
		start = max(first, mr->offset >> PAGE_SHIFT);
		end = min(first + n, (mr->offset + mr->r.size) >> PAGE_SHIFT);
		bitmap_set(out, start - first, end - start);
		count += end - start;
	}
	return count;
}

/*
 * Backing bits of pages [first, first + n) (n <= a chunk) into @out, a
 * chunk at a time: O(words + bits set). With @clear they are cleared.
 */
static void ms_dirty_gather(struct ms_backing *b, u64 first, u64 n,
			    unsigned long *out, bool clear)
{
	u64 pg = first, end = first + n, stop, c;
	unsigned long *bits, i, s0, s1;

	if (out)
		bitmap_zero(out, n);
	for (; pg < end; pg = stop) {
		c = pg / MS_DIRTY_CHUNK;
		stop = min(end, (c + 1) * MS_DIRTY_CHUNK);
		bits = xa_load(&b->dirty, c);
		if (!bits)
			continue;
		s0 = pg % MS_DIRTY_CHUNK;
		s1 = s0 + (stop - pg);
		for (i = find_next_bit(bits, s1, s0); out && i < s1;
		     i = find_next_bit(bits, s1, i + 1))
			__set_bit(c * MS_DIRTY_CHUNK + i - first, out);
		if (clear)
			bitmap_clear(bits, s0, s1 - s0);
	}
}

/*
 * Write the dirty bitmap of backing pages [first, first + n) to @ubuf
 * (bit i: page first + i), a chunk at a time; with @clear the backing's
 * bits of the window are cleared once written out.
 */
static int ms_dirty_copy_out(struct ms_space *space, struct ms_backing *b,
			     u64 first, u64 n, void __user *ubuf, bool clear,
			     struct ms_dirty_result *res)
{
	unsigned long *out = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	u64 done, len;
	int err = 0;

	if (!out)
		return -ENOMEM;
	for (done = 0; done < n && !err; done += len) {
		len = min_t(u64, n - done, MS_DIRTY_CHUNK);
		ms_dirty_gather(b, first + done, len, out, false);
		res->dma_pages += ms_dirty_dma(space, b, first + done, len, out);
		res->dirty_pages += bitmap_weight(out, len);
		if (copy_to_user(ubuf + done / BITS_PER_BYTE, out,
				 BITS_TO_LONGS(len) * sizeof(long)))
			err = -EFAULT;
		cond_resched();
	}
	for (done = 0; clear && !err && done < n; done += len) {
		len = min_t(u64, n - done, MS_DIRTY_CHUNK);
		ms_dirty_gather(b, first + done, len, NULL, true);
	}
	kfree(out);
	return err;
}

/*
 * The dirty bitmap of backing @b's pages [off, off + size) into the
 * caller's @ubuf (at least ms_dirty_buf_size(size) bytes): pages KVM saw
 * written through any range since the last clear, harvested slots
 * included, and pages mapped for DMA (a device may write them at any
 * time, untracked). With @clear, they are reported once.
 */
int ms_dirty_get(struct ms_space *space, struct ms_backing *b, u64 off,
		 u64 size, void __user *ubuf, bool clear,
		 struct ms_dirty_result *res)
{
	u64 first = off >> PAGE_SHIFT, n = size >> PAGE_SHIFT;
	int err;

	lockdep_assert_held(&space->lock);
	memset(res, 0, sizeof(*res));
	err = ms_dirty_harvest_window(space, b, first, n, clear);
	if (err)
		return err;
	return ms_dirty_copy_out(space, b, first, n, ubuf, clear, res);
}

u64 ms_dirty_buf_size(u64 size)
{
	return BITS_TO_LONGS(size >> PAGE_SHIFT) * sizeof(long);
}
