/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_PIN_H
#define _MEMSLOT_PIN_H

#include <linux/types.h>

struct ms_space;
struct ms_backing;
struct page;

/* Pages a pin chunk covers: bookkeeping is per chunk in use, not per backing. */
#define MS_PIN_CHUNK	256

/**
 * struct ms_pin_chunk - pins of MS_PIN_CHUNK consecutive backing pages
 * @nr: pages of @pages that are pinned; the chunk goes when it drops to 0
 * @refs: DMA ranges using each page
 * @pages: the pinned page, or NULL
 */
struct ms_pin_chunk {
	u32 nr;
	u32 refs[MS_PIN_CHUNK];
	struct page *pages[MS_PIN_CHUNK];
};

void ms_pins_init(struct ms_backing *b);
u64 ms_pins_needed(struct ms_backing *b, u64 off, u64 size);
u64 ms_pin_excess(struct ms_space *space, u64 more);
int ms_pin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size);
void ms_unpin(struct ms_space *space, struct ms_backing *b, u64 off, u64 size);
struct page *ms_pin_page(struct ms_backing *b, u64 pg);
void ms_pins_free(struct ms_backing *b);

#endif /* _MEMSLOT_PIN_H */
