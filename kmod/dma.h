/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_DMA_H
#define _MEMSLOT_DMA_H

#include <linux/types.h>

struct ms_backing;
struct ms_dma_counts;
struct ms_space;

int ms_dma_init(void);
void ms_dma_exit(void);
int ms_dma_map_pages(struct ms_space *space, u64 iova, struct ms_backing *b,
		     u64 off, u64 size, bool ro, struct ms_dma_counts *cnt);
void ms_dma_unmap_pages(struct ms_space *space, u64 iova, u64 size,
			struct ms_dma_counts *cnt);
void ms_dma_unbind_space(struct ms_space *space);
bool ms_dma_bound(struct ms_space *space);
int ms_dma_check(struct ms_space *space, u64 iova, u64 size, u32 nr_dma,
		 u64 *resv_start, u64 *resv_size);

#endif /* _MEMSLOT_DMA_H */
