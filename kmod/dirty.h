/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_DIRTY_H
#define _MEMSLOT_DIRTY_H

#include "kvm.h"

struct ms_space;
struct ms_backing;
struct ms_mrange;

/* What a harvest needs: the space's user buffer for KVM, a page of bits. */
struct ms_dirty_scratch {
	struct ms_kvm_ubuf ubuf;
	unsigned long *buf;
};

/* What ms_dirty_get() reported. */
struct ms_dirty_result {
	u64 dirty_pages;	/* bits set in the bitmap written out */
	u64 dma_pages;		/* of which set because DMA-mapped */
};

void ms_dirty_init(struct ms_backing *b);
void ms_dirty_free(struct ms_backing *b);
int ms_dirty_reserve(struct ms_backing *b, u64 first, u64 n);
void ms_dirty_mark_pages(struct ms_backing *b, u64 first, u64 n);
int ms_dirty_scratch_get(struct ms_space *space, struct ms_dirty_scratch *sc,
			 u64 max_pages);
void ms_dirty_scratch_put(struct ms_dirty_scratch *sc);
int ms_dirty_reserve_slot(struct ms_space *space, struct ms_mrange *mr, u32 s);
int ms_dirty_harvest(struct ms_space *space, struct ms_mrange *mr, u32 s,
		     struct ms_dirty_scratch *sc);
int ms_dirty_get(struct ms_space *space, struct ms_backing *b, u64 off,
		 u64 size, void __user *ubuf, bool clear,
		 struct ms_dirty_result *res);
u64 ms_dirty_buf_size(u64 size);

#endif /* _MEMSLOT_DIRTY_H */
