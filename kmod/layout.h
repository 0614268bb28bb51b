/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest-physical layout of a space: non-overlapping ranges kept sorted
 * by address in an rbtree, so lookups and overlap checks are O(log n).
 *
 * Pure code: no locking, no allocation, no kernel-only headers. It builds
 * in the module and, against the kernel's tools/include, in the host unit
 * tests. The caller serialises access (the space's lock in the module).
 */
#ifndef _MEMSLOT_LAYOUT_H
#define _MEMSLOT_LAYOUT_H

#include <linux/bits.h>
#include <linux/rbtree.h>
#include <linux/types.h>

#define MS_PAGE_SHIFT	12
#define MS_PAGE_SIZE	BIT_ULL(MS_PAGE_SHIFT)

struct ms_range {
	struct rb_node node;	/* in ms_layout::root, keyed by gpa */
	u64 gpa;		/* first guest-physical byte */
	u64 size;		/* bytes, page multiple, never 0 */
};

struct ms_layout {
	struct rb_root root;
	unsigned int nr_ranges;
};

enum ms_range_err {
	MS_RANGE_OK = 0,
	MS_RANGE_ZERO_SIZE,
	MS_RANGE_UNALIGNED_GPA,
	MS_RANGE_UNALIGNED_SIZE,
	MS_RANGE_OVERFLOW,
};

void ms_layout_init(struct ms_layout *l);
enum ms_range_err ms_range_check(u64 gpa, u64 size);
const char *ms_range_err_str(enum ms_range_err err);
struct ms_range *ms_layout_first_overlap(const struct ms_layout *l,
					 u64 gpa, u64 size);
struct ms_range *ms_layout_insert(struct ms_layout *l, struct ms_range *r);
void ms_layout_remove(struct ms_layout *l, struct ms_range *r);
struct ms_range *ms_layout_first(const struct ms_layout *l);
struct ms_range *ms_layout_first_from(const struct ms_layout *l, u64 gpa);
struct ms_range *ms_layout_next(const struct ms_range *r);

#endif /* _MEMSLOT_LAYOUT_H */
