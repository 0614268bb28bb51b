/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_DMA_H
#define _MEMSLOT_DMA_H

#include <linux/types.h>

struct ms_space;
struct ms_mrange;

int ms_dma_init(void);
void ms_dma_exit(void);
int ms_dma_map(struct ms_space *space, struct ms_mrange *mr, u32 flags);
void ms_dma_unmap(struct ms_space *space, struct ms_mrange *mr);
void ms_dma_release_range(struct ms_space *space, struct ms_mrange *mr);
void ms_dma_unbind_space(struct ms_space *space);

#endif /* _MEMSLOT_DMA_H */
