/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_TXN_H
#define _MEMSLOT_TXN_H

#include <uapi/linux/memslot.h>

#include "hold.h"
#include "range.h"

struct genl_info;
struct netlink_ext_ack;
struct nlattr;

/**
 * struct ms_txn_op - one op of a transaction, and its scratch state
 * @type: MEMSLOT_OP_TYPE_*
 * @nest: the op in the request
 * @tb: its attributes
 * @mr: the range it adds, removes or changes (prepared ops only)
 * @new_flags: the range's flags after the commit (0 for a removal)
 * @pinned: the op took pins for the range (an add or a gain of dma)
 */
struct ms_txn_op {
	u32 type;
	struct nlattr *nest;
	struct nlattr *tb[MEMSLOT_A_OP_MAX + 1];
	struct ms_mrange *mr;
	u32 new_flags;
	bool pinned;
};

/* One KVM call of a commit, and what undoes it. */
struct ms_step {
	u32 op;
	u32 slot;			/* slot of the op's range */
	u32 idx;			/* slot index in the space's block */
	bool harvest;			/* drops a dirty log: read it first */
	struct ms_slot_state old, new;
};

/* What a stretch of IOVAs does in a commit (txn-dma.c). */
enum ms_dma_seg_kind {
	MS_DMA_MAP,			/* not mapped before: map */
	MS_DMA_UNMAP,			/* not mapped after: unmap at finish */
	MS_DMA_REPLACE,			/* mapped to something else: a hole */
};

/* One translation of an IOVA stretch: pages at @off of @b. */
struct ms_dma_tr {
	struct ms_backing *b;
	u64 off;
	bool ro;
};

/* A stretch of IOVAs whose translation the commit changes. */
struct ms_dma_seg {
	u64 iova, size;
	u32 op;				/* the op that changes it */
	enum ms_dma_seg_kind kind;
	struct ms_dma_tr old, new;
};

/* The IOMMU side of a commit: the changed stretches, in IOVA order. */
struct ms_txn_dma {
	struct ms_dma_seg *segs;
	u32 n, cap;
	u32 n_applied;			/* segs mapped so far (MAP, REPLACE) */
	struct ms_dma_counts cnt;	/* result: this commit's IOMMU work */
};

/* Ops of a staged transaction, copied from txn-append messages. */
struct ms_staged {
	u32 n, cap;
	struct nlattr **ops;		/* each a kmemdup'd MEMSLOT_A_TXN_OP */
};

/*
 * A transaction: parsed (no lock), then under the space's lock prepared
 * (validated against the layout and applied to the module's model, with
 * its KVM steps and IOMMU changes planned), then committed to KVM and the
 * IOMMU, or aborted. ms_txn_execute() runs the phases in order.
 */
struct ms_txn {
	struct ms_space *space;
	struct netlink_ext_ack *extack;
	bool staged;			/* ops are copies: no attribute offsets */
	u32 n_ops;
	u32 n_prepared;			/* ops applied to the model */
	struct ms_txn_op *ops;
	struct ms_step *steps;
	u32 n_steps;
	u32 n_harvest;			/* steps that drop a dirty log */
	u64 harvest_pages;		/* the largest such slot */
	struct ms_txn_dma dma;
	struct ms_staged *staged_ops;	/* owned: the ops point into it */
	u32 hold_mode;			/* MEMSLOT_HOLD_MODE_* */
	const struct nlattr *hold_attr;	/* where the request set it, or NULL */
	u32 dma_hole;			/* MEMSLOT_DMA_HOLE_MODE_* */
	const struct nlattr *dma_hole_attr;
	bool replaces;			/* replaces memory in place */
	u64 pins_taken, pins_dropped;	/* the space's counters before it */
	u32 points;			/* steps reached, for fail_step */
	struct ms_txn_hold hold;	/* the commit's holds (hold.c) */
	u32 held_vcpus;			/* result: vCPUs held, 0 if no hold */
	u64 hold_ns, commit_ns;		/* result; hold_ns: all holds */
};

/*
 * What the caller does between the phases: @prepared after a successful
 * prepare (build the reply; an error aborts the transaction), @committed
 * once the commit stands and is finished (fill in its results).
 */
struct ms_txn_hooks {
	int (*prepared)(struct ms_txn *t, void *arg);
	void (*committed)(struct ms_txn *t, void *arg);
};

int ms_txn_parse_msg(struct ms_txn *txn, struct genl_info *info);
int ms_txn_parse_staged(struct ms_txn *txn, struct ms_staged *staged);
int ms_staged_open(struct ms_space *space);
int ms_staged_append(struct ms_space *space, struct genl_info *info,
		     u32 *total);
struct ms_staged *ms_staged_take(struct ms_space *space);
void ms_staged_free(struct ms_staged *staged);
int ms_txn_execute(struct ms_txn *txn, const struct ms_txn_hooks *hooks,
		   void *arg);
u32 ms_txn_op_index(const struct ms_txn *txn, const struct ms_txn_op *op);
void ms_txn_free(struct ms_txn *txn);

/* txn-dma.c: the IOMMU phases of a commit */
int ms_txn_dma_plan(struct ms_txn *txn);
int ms_txn_dma_apply(struct ms_txn *txn);
void ms_txn_dma_undo(struct ms_txn *txn);
void ms_txn_dma_finish(struct ms_txn *txn);
int ms_txn_fail_point(struct ms_txn *txn);
__printf(4, 5) void ms_txn_op_err(struct ms_txn *txn, u32 i,
				  const struct nlattr *attr,
				  const char *fmt, ...);

extern u32 ms_fail_step;

#endif /* _MEMSLOT_TXN_H */
