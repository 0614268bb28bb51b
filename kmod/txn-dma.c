// SPDX-License-Identifier: GPL-2.0
/*
 * The IOMMU side of a commit, diffed page by page. Each op's range gives
 * an IOVA translation before the commit (a removed or changed DMA range)
 * and after it (an added or changed one). IOVAs cannot be claimed by any
 * range outside the transaction (an add may not overlap a live range), so
 * the two sets of pieces describe every IOVA the commit could touch. A
 * sweep over them in IOVA order classifies each stretch:
 *
 *   mapped after only           MAP: mapped before the KVM steps
 *   mapped before only          UNMAP: unmapped at finish, after them
 *   the same page and rights    kept: no IOMMU call, the pins stay
 *   another page or rights      REPLACE: unmapped and mapped again
 *
 * Pieces over the same backing at the same offset compare in O(1); only
 * other backings or offsets are compared page by page (the same physical
 * page may sit under both). So the work is O(ops log ops) plus the pages
 * whose translation may change, not O(layout).
 *
 * No supported kernel offers an atomic replace of an IOMMU translation
 * (Documentation/design.rst, "DMA mappings"), so a REPLACE is a brief
 * hole, counted in dma-hole-pages, which MEMSLOT_DMA_HOLE_MODE_REFUSE refuses
 * before anything changes. Everything runs under the space's lock.
 */
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/genetlink.h>

#include "dirty.h"
#include "dma.h"
#include "pin.h"
#include "txn.h"

/* A DMA translation of one op's range, before or after the commit. */
struct ms_dma_piece {
	u64 gpa, end;		/* DMA ranges lie in the aperture: no wrap */
	struct ms_dma_tr tr;	/* of @gpa */
	u32 op;
};

static int ms_piece_cmp(const void *a, const void *b)
{
	const struct ms_dma_piece *pa = a, *pb = b;

	return pa->gpa < pb->gpa ? -1 : pa->gpa > pb->gpa;
}

/* Range flags of op @op before (@after false) or after the commit. */
static u32 ms_op_flags(const struct ms_txn_op *op, bool after)
{
	if (after)
		return op->new_flags;
	return op->type == MEMSLOT_OP_TYPE_ADD ? 0 : op->mr->flags;
}

/* The DMA pieces of the ops' ranges, before or @after, in IOVA order. */
static struct ms_dma_piece *ms_dma_pieces(struct ms_txn *t, bool after,
					  u32 *np)
{
	struct ms_dma_piece *p;
	u32 i, n = 0, flags;

	p = kvmalloc_array(t->n_ops, sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return NULL;
	for (i = 0; i < t->n_ops; i++) {
		struct ms_mrange *mr = t->ops[i].mr;

		flags = ms_op_flags(&t->ops[i], after);
		if (!(flags & MEMSLOT_RANGE_FLAGS_DMA))
			continue;
		p[n++] = (struct ms_dma_piece){
			.gpa = mr->r.gpa, .end = mr->r.gpa + mr->r.size,
			.tr = { mr->backing, mr->offset,
				flags & MEMSLOT_RANGE_FLAGS_READONLY },
			.op = i,
		};
	}
	sort(p, n, sizeof(*p), ms_piece_cmp, NULL);
	*np = n;
	return p;
}

/* The translation of @iova inside piece @p. */
static struct ms_dma_tr ms_piece_tr(const struct ms_dma_piece *p, u64 iova)
{
	struct ms_dma_tr tr = p->tr;

	tr.off += iova - p->gpa;
	return tr;
}

static int ms_seg_add(struct ms_txn_dma *d, enum ms_dma_seg_kind kind,
		      u64 iova, u64 size, u32 op, const struct ms_dma_tr *old,
		      const struct ms_dma_tr *new)
{
	struct ms_dma_seg *segs;

	if (d->n == d->cap) {
		segs = kvmalloc_array(max(2 * d->cap, 16U), sizeof(*segs),
				      GFP_KERNEL_ACCOUNT);
		if (!segs)
			return -ENOMEM;
		if (d->n)
			memcpy(segs, d->segs, d->n * sizeof(*segs));
		kvfree(d->segs);
		d->segs = segs;
		d->cap = max(2 * d->cap, 16U);
	}
	d->segs[d->n++] = (struct ms_dma_seg){
		.iova = iova, .size = size, .op = op, .kind = kind,
		.old = old ? *old : (struct ms_dma_tr){},
		.new = new ? *new : (struct ms_dma_tr){},
	};
	return 0;
}

static bool ms_same_page(const struct ms_dma_tr *a, const struct ms_dma_tr *b,
			 u64 pg)
{
	return ms_pin_page(a->b, (a->off >> PAGE_SHIFT) + pg) ==
	       ms_pin_page(b->b, (b->off >> PAGE_SHIFT) + pg);
}

/*
 * A stretch mapped before and after with the same rights, through other
 * backings or offsets: kept where the physical page is the same, REPLACE
 * where it is not, in runs.
 */
static int ms_dma_compare(struct ms_txn *t, u64 iova, u64 size, u32 op,
			  struct ms_dma_tr *old, struct ms_dma_tr *new)
{
	u64 n = size >> PAGE_SHIFT, pg, run;
	struct ms_dma_tr o, w;
	bool same;
	int err;

	for (pg = 0; pg < n; pg += run) {
		same = ms_same_page(old, new, pg);
		for (run = 1; pg + run < n &&
		     ms_same_page(old, new, pg + run) == same; run++)
			;
		if (same) {
			t->dma.cnt.kept_pages += run;
			continue;
		}
		o = *old;
		w = *new;
		o.off += pg << PAGE_SHIFT;
		w.off += pg << PAGE_SHIFT;
		err = ms_seg_add(&t->dma, MS_DMA_REPLACE,
				 iova + (pg << PAGE_SHIFT), run << PAGE_SHIFT,
				 op, &o, &w);
		if (err)
			return err;
	}
	return 0;
}

/* Classify [iova, iova + size), inside piece @a before and/or @b after. */
static int ms_dma_classify(struct ms_txn *t, u64 iova, u64 size,
			   const struct ms_dma_piece *a,
			   const struct ms_dma_piece *b)
{
	struct ms_dma_tr old, new;

	if (a)
		old = ms_piece_tr(a, iova);
	if (b)
		new = ms_piece_tr(b, iova);
	if (!b)
		return ms_seg_add(&t->dma, MS_DMA_UNMAP, iova, size, a->op,
				  &old, NULL);
	if (!a)
		return ms_seg_add(&t->dma, MS_DMA_MAP, iova, size, b->op,
				  NULL, &new);
	if (old.ro != new.ro)
		return ms_seg_add(&t->dma, MS_DMA_REPLACE, iova, size, b->op,
				  &old, &new);
	if (old.b == new.b && old.off == new.off) {
		t->dma.cnt.kept_pages += size >> PAGE_SHIFT;
		return 0;
	}
	return ms_dma_compare(t, iova, size, b->op, &old, &new);
}

/* Sweep the pieces before (@o) and after (@w), both in IOVA order. */
static int ms_dma_sweep(struct ms_txn *t, const struct ms_dma_piece *o,
			u32 no, const struct ms_dma_piece *w, u32 nw)
{
	u32 i = 0, j = 0;
	u64 pos = 0, lo, end;
	int err = 0;

	while (!err && (i < no || j < nw)) {
		const struct ms_dma_piece *a = i < no ? &o[i] : NULL;
		const struct ms_dma_piece *b = j < nw ? &w[j] : NULL;
		bool in_a, in_b;

		lo = min(a ? max(pos, a->gpa) : U64_MAX,
			 b ? max(pos, b->gpa) : U64_MAX);
		in_a = a && a->gpa <= lo;
		in_b = b && b->gpa <= lo;
		end = min(!a ? U64_MAX : in_a ? a->end : a->gpa,
			  !b ? U64_MAX : in_b ? b->end : b->gpa);
		err = ms_dma_classify(t, lo, end - lo, in_a ? a : NULL,
				      in_b ? b : NULL);
		pos = end;
		i += a && a->end <= pos;
		j += b && b->end <= pos;
	}
	return err;
}

/* With dma-hole refuse, a REPLACE refuses the transaction. */
static int ms_dma_check_holes(struct ms_txn *t)
{
	u32 k;

	if (t->dma_hole != MEMSLOT_DMA_HOLE_MODE_REFUSE)
		return 0;
	for (k = 0; k < t->dma.n; k++) {
		if (t->dma.segs[k].kind != MS_DMA_REPLACE)
			continue;
		NL_SET_ERR_MSG_ATTR_FMT(t->extack, t->dma_hole_attr,
					"op %u: would unmap DMA page 0x%llx in place: no atomic IOMMU replace",
					t->dma.segs[k].op, t->dma.segs[k].iova);
		return -EINVAL;
	}
	return 0;
}

/*
 * Pages that stop being DMA-mapped to their old page (UNMAP, REPLACE) are
 * marked dirty when unmapped, for a device may have written them since
 * the last dirty read: their bits are reserved now, so that the marking
 * cannot fail.
 */
static int ms_dma_reserve_dirty(struct ms_txn *t)
{
	struct ms_dma_seg *s;
	int err = 0;
	u32 k;

	for (k = 0; k < t->dma.n && !err; k++) {
		s = &t->dma.segs[k];
		if (s->kind != MS_DMA_MAP)
			err = ms_dirty_reserve(s->old.b, s->old.off >> PAGE_SHIFT,
					       s->size >> PAGE_SHIFT);
	}
	return err;
}

static void ms_seg_dirty(struct ms_dma_seg *s)
{
	ms_dirty_mark_pages(s->old.b, s->old.off >> PAGE_SHIFT,
			    s->size >> PAGE_SHIFT);
}

/*
 * Plan the IOMMU changes of a prepared transaction (nothing to do without
 * a bound container); refuse holes if asked. Changes nothing.
 */
int ms_txn_dma_plan(struct ms_txn *t)
{
	struct ms_dma_piece *old, *new;
	u32 no, nw;
	int err = -ENOMEM;

	if (!ms_dma_bound(t->space))
		return 0;
	old = ms_dma_pieces(t, false, &no);
	new = old ? ms_dma_pieces(t, true, &nw) : NULL;
	if (new)
		err = ms_dma_sweep(t, old, no, new, nw) ?:
		      ms_dma_check_holes(t) ?: ms_dma_reserve_dirty(t);
	kvfree(new);
	kvfree(old);
	return err;
}

static int ms_seg_map(struct ms_txn *t, struct ms_dma_seg *s,
		      struct ms_dma_tr *tr)
{
	return ms_dma_map_pages(t->space, s->iova, tr->b, tr->off, s->size,
				tr->ro, &t->dma.cnt);
}

static void ms_seg_unmap(struct ms_txn *t, struct ms_dma_seg *s)
{
	ms_dma_unmap_pages(t->space, s->iova, s->size, &t->dma.cnt);
}

/* Put a REPLACE stretch back on its old pages (undo, or a failed map). */
static void ms_seg_restore(struct ms_txn *t, struct ms_dma_seg *s)
{
	if (ms_seg_map(t, s, &s->old))
		pr_err_ratelimited("memslot: space %u: IOVA 0x%llx+0x%llx could not be mapped again\n",
				   t->space->id, s->iova, s->size);
}

/* Map one MAP or REPLACE stretch; as before on failure. */
static int ms_seg_apply(struct ms_txn *t, struct ms_dma_seg *s)
{
	int err;

	if (s->kind == MS_DMA_REPLACE) {
		ms_seg_unmap(t, s);
		ms_seg_dirty(s);
		t->dma.cnt.hole_pages += s->size >> PAGE_SHIFT;
	}
	err = ms_txn_fail_point(t) ?: ms_seg_map(t, s, &s->new);
	if (err) {
		ms_txn_op_err(t, s->op, NULL, "IOMMU map error %d at 0x%llx+0x%llx",
			      err, s->iova, s->size);
		if (s->kind == MS_DMA_REPLACE)
			ms_seg_restore(t, s);
	}
	return err;
}

/* Before the KVM steps: map what appears or changes. All or nothing. */
int ms_txn_dma_apply(struct ms_txn *t)
{
	struct ms_txn_dma *d = &t->dma;
	int err;

	for (; d->n_applied < d->n; d->n_applied++) {
		if (d->segs[d->n_applied].kind == MS_DMA_UNMAP)
			continue;
		err = ms_seg_apply(t, &d->segs[d->n_applied]);
		if (err) {
			ms_txn_dma_undo(t);
			return err;
		}
	}
	return 0;
}

/* Undo ms_txn_dma_apply(), newest first. */
void ms_txn_dma_undo(struct ms_txn *t)
{
	struct ms_txn_dma *d = &t->dma;
	struct ms_dma_seg *s;

	while (d->n_applied) {
		s = &d->segs[--d->n_applied];
		if (s->kind == MS_DMA_UNMAP)
			continue;
		ms_seg_unmap(t, s);
		if (s->kind == MS_DMA_REPLACE) {
			t->dma.cnt.hole_pages += s->size >> PAGE_SHIFT;
			ms_seg_restore(t, s);
		}
	}
}

/* After the KVM steps: unmap what went (its pins go after this), dirty. */
void ms_txn_dma_finish(struct ms_txn *t)
{
	u32 k;

	for (k = 0; k < t->dma.n; k++) {
		if (t->dma.segs[k].kind != MS_DMA_UNMAP)
			continue;
		ms_seg_unmap(t, &t->dma.segs[k]);
		ms_seg_dirty(&t->dma.segs[k]);
	}
}
