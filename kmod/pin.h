/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_PIN_H
#define _MEMSLOT_PIN_H

#include <linux/types.h>

struct ms_space;
struct ms_backing;
struct page;

/* Long-term pins of one backing's pages, counted per page. */
struct ms_pins {
	struct page **pages;	/* per page of the backing; NULL: not pinned */
	u32 *refs;		/* DMA ranges using each page */
};

u64 ms_pins_needed(struct ms_backing *b, u64 off, u64 size);
u64 ms_pin_excess(u64 more);
int ms_pin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size);
void ms_unpin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size);
void ms_pins_free(struct ms_backing *b);
void ms_pin_release_mm(struct ms_space *space);

#endif /* _MEMSLOT_PIN_H */
