// SPDX-License-Identifier: GPL-2.0
/*
 * Ranges: their KVM slots (a range larger than the space's maximum slot
 * size is cut into chunks, one slot each) and the slot block bookkeeping.
 * All callers hold the space's lock.
 */
#include <linux/bitmap.h>
#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/slab.h>

#include "pin.h"
#include "range.h"

u64 ms_chunk_size(const struct ms_space *space)
{
	return space->vm.max_slot_size ?: MS_MAX_SLOT_SIZE;
}

/* Slots a range of @size takes; computed without overflow for any size. */
u64 ms_range_nr_slots(const struct ms_space *space, u64 size)
{
	u64 chunk = ms_chunk_size(space);

	return div64_u64(size, chunk) + !!(size % chunk);
}

u32 ms_kvm_flags(u32 range_flags)
{
	u32 f = 0;

	if (range_flags & MEMSLOT_RANGE_FLAGS_DIRTY_LOG)
		f |= KVM_MEM_LOG_DIRTY_PAGES;
	if (range_flags & MEMSLOT_RANGE_FLAGS_READONLY)
		f |= KVM_MEM_READONLY;
	return f;
}

struct ms_mrange *ms_range_alloc(struct ms_space *space, u64 gpa, u64 size,
				 struct ms_backing *backing, u64 offset,
				 u32 flags)
{
	struct ms_mrange *mr = kzalloc(sizeof(*mr), GFP_KERNEL_ACCOUNT);

	lockdep_assert_held(&space->lock);
	if (!mr)
		return NULL;
	mr->nr_slots = ms_range_nr_slots(space, size); /* checked by the caller */
	mr->slots = kcalloc(mr->nr_slots, sizeof(*mr->slots),
			    GFP_KERNEL_ACCOUNT);
	if (!mr->slots) {
		kfree(mr);
		return NULL;
	}
	mr->r.gpa = gpa;
	mr->r.size = size;
	mr->backing = backing;
	mr->offset = offset;
	mr->flags = flags;
	backing->users++;
	return mr;
}

/* Drop the pins of a DMA range (its IOMMU mapping is gone, or never was). */
void ms_range_unpin(struct ms_space *space, struct ms_mrange *mr)
{
	ms_unpin(space, mr->backing, mr->offset, mr->r.size);
	space->nr_dma--;
}

/*
 * The one way a range goes: out of the layout, its slots given back (the
 * caller did both) and its IOMMU mapping gone; its pins go here.
 */
void ms_range_destroy(struct ms_space *space, struct ms_mrange *mr)
{
	lockdep_assert_held(&space->lock);
	if (mr->flags & MEMSLOT_RANGE_FLAGS_DMA)
		ms_range_unpin(space, mr);
	xa_erase(&space->ranges, mr->id); /* 0, none, if it never had one */
	mr->backing->users--;
	kfree(mr->slots);
	kfree(mr);
}

/* Reserve mr->nr_slots ids of the block; -ENOSPC if too few are free. */
int ms_range_take_slots(struct ms_space *space, struct ms_mrange *mr)
{
	unsigned long *used = space->vm.slots_used;
	u32 n = space->vm.slot_count, i, bit = 0;

	lockdep_assert_held(&space->lock);
	if (mr->nr_slots > n - space->vm.nr_used)
		return -ENOSPC;
	for (i = 0; i < mr->nr_slots; i++) {
		bit = find_next_zero_bit(used, n, bit);
		__set_bit(bit, used);
		mr->slots[i] = bit;
	}
	space->vm.nr_used += mr->nr_slots;
	return 0;
}

void ms_range_give_slots(struct ms_space *space, struct ms_mrange *mr)
{
	u32 i;

	lockdep_assert_held(&space->lock);
	for (i = 0; i < mr->nr_slots; i++)
		__clear_bit(mr->slots[i], space->vm.slots_used);
	space->vm.nr_used -= mr->nr_slots;
}

/* Take back exactly the ids @mr gave (undoing a prepared removal). */
void ms_range_retake_slots(struct ms_space *space, struct ms_mrange *mr)
{
	u32 i;

	lockdep_assert_held(&space->lock);
	for (i = 0; i < mr->nr_slots; i++)
		WARN_ON_ONCE(__test_and_set_bit(mr->slots[i],
						space->vm.slots_used));
	space->vm.nr_used += mr->nr_slots;
}

/* The KVM view of slot @i of @mr with range flags @flags. */
void ms_range_slot_state(const struct ms_space *space,
			 const struct ms_mrange *mr, u32 i, u32 flags,
			 struct ms_slot_state *st)
{
	u64 chunk = ms_chunk_size(space), off = (u64)i * chunk;

	st->gpa = mr->r.gpa + off;
	st->size = min(chunk, mr->r.size - off);
	st->hva = mr->backing->addr + mr->offset + off;
	st->kvm_flags = ms_kvm_flags(flags);
}
