/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_RANGE_H
#define _MEMSLOT_RANGE_H

#include "space.h"

/* What one KVM slot of a range looks like; size 0 means "no slot". */
struct ms_slot_state {
	u64 gpa;
	u64 size;
	u64 hva;
	u32 kvm_flags;		/* KVM_MEM_* */
};

/* Largest KVM slot of a space; well under KVM's own 2^31 - 1 pages. */
#define MS_MAX_SLOT_SIZE	BIT_ULL(42)

u64 ms_chunk_size(const struct ms_space *space);
u64 ms_range_nr_slots(const struct ms_space *space, u64 size);
struct ms_mrange *ms_range_alloc(struct ms_space *space, u64 gpa, u64 size,
				 struct ms_backing *backing, u64 offset,
				 u32 flags);
void ms_range_destroy(struct ms_space *space, struct ms_mrange *mr);
void ms_range_unpin(struct ms_space *space, struct ms_mrange *mr);
int ms_range_take_slots(struct ms_space *space, struct ms_mrange *mr);
void ms_range_give_slots(struct ms_space *space, struct ms_mrange *mr);
void ms_range_retake_slots(struct ms_space *space, struct ms_mrange *mr);
void ms_range_slot_state(const struct ms_space *space,
			 const struct ms_mrange *mr, u32 i, u32 flags,
			 struct ms_slot_state *st);
u32 ms_kvm_flags(u32 range_flags);

#endif /* _MEMSLOT_RANGE_H */
