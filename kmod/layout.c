// SPDX-License-Identifier: GPL-2.0
/*
 * Range map of a space. See layout.h.
 */
#include "layout.h"

void ms_layout_init(struct ms_layout *l)
{
	l->root = RB_ROOT;
	l->nr_ranges = 0;
}

enum ms_range_err ms_range_check(u64 gpa, u64 size)
{
	if (!size)
		return MS_RANGE_ZERO_SIZE;
	if (gpa & (MS_PAGE_SIZE - 1))
		return MS_RANGE_UNALIGNED_GPA;
	if (size & (MS_PAGE_SIZE - 1))
		return MS_RANGE_UNALIGNED_SIZE;
	if (gpa + size < gpa)
		return MS_RANGE_OVERFLOW;
	return MS_RANGE_OK;
}

const char *ms_range_err_str(enum ms_range_err err)
{
	switch (err) {
	case MS_RANGE_OK:
		return "ok";
	case MS_RANGE_ZERO_SIZE:
		return "size is zero";
	case MS_RANGE_UNALIGNED_GPA:
		return "gpa is not page aligned";
	case MS_RANGE_UNALIGNED_SIZE:
		return "size is not a page multiple";
	case MS_RANGE_OVERFLOW:
		return "gpa + size overflows";
	}
	return "invalid range";
}

/* The range with the highest gpa below @end, or NULL. */
static struct ms_range *last_below(const struct ms_layout *l, u64 end)
{
	struct rb_node *n = l->root.rb_node;
	struct ms_range *best = NULL;

	while (n) {
		struct ms_range *r = rb_entry(n, struct ms_range, node);

		if (r->gpa < end) {
			best = r;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	return best;
}

/*
 * The lowest range that overlaps [gpa, gpa + size), or NULL. The stored
 * ranges do not overlap each other, so only the last one starting below
 * the end can reach into the window from the left.
 */
struct ms_range *ms_layout_first_overlap(const struct ms_layout *l,
					 u64 gpa, u64 size)
{
	struct ms_range *r = last_below(l, gpa + size);
	struct ms_range *prev;

	if (!r || r->gpa + r->size <= gpa)
		return NULL;
	for (;;) {
		prev = rb_entry_safe(rb_prev(&r->node), struct ms_range, node);
		if (!prev || prev->gpa + prev->size <= gpa)
			return r;
		r = prev;
	}
}

/*
 * Insert @r unless it overlaps a stored range; returns the lowest such range
 * (and leaves the map unchanged) or NULL on success.
 */
struct ms_range *ms_layout_insert(struct ms_layout *l, struct ms_range *r)
{
	struct rb_node **link = &l->root.rb_node, *parent = NULL;
	struct ms_range *clash;

	clash = ms_layout_first_overlap(l, r->gpa, r->size);
	if (clash)
		return clash;
	while (*link) {
		struct ms_range *cur = rb_entry(*link, struct ms_range, node);

		parent = *link;
		link = r->gpa < cur->gpa ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&r->node, parent, link);
	rb_insert_color(&r->node, &l->root);
	l->nr_ranges++;
	return NULL;
}

void ms_layout_remove(struct ms_layout *l, struct ms_range *r)
{
	rb_erase(&r->node, &l->root);
	RB_CLEAR_NODE(&r->node);
	l->nr_ranges--;
}

struct ms_range *ms_layout_first(const struct ms_layout *l)
{
	return rb_entry_safe(rb_first(&l->root), struct ms_range, node);
}

struct ms_range *ms_layout_next(const struct ms_range *r)
{
	return rb_entry_safe(rb_next(&r->node), struct ms_range, node);
}

/* The first range starting at or above @gpa, or NULL. */
struct ms_range *ms_layout_first_from(const struct ms_layout *l, u64 gpa)
{
	struct rb_node *n = l->root.rb_node;
	struct ms_range *best = NULL;

	while (n) {
		struct ms_range *r = rb_entry(n, struct ms_range, node);

		if (r->gpa >= gpa) {
			best = r;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}
