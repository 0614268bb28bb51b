/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_TXN_H
#define _MEMSLOT_TXN_H

#include <uapi/linux/memslot.h>

#include "range.h"

struct genl_info;
struct netlink_ext_ack;
struct nlattr;

struct ms_txn_op {
	u32 type;			/* MEMSLOT_OP_TYPE_* */
	struct nlattr *nest;		/* the op in the request */
	struct nlattr *tb[MEMSLOT_A_OP_MAX + 1];
	struct ms_mrange *mr;		/* added, removed or changed */
};

/* One KVM call of a commit, and what undoes it. */
struct ms_step {
	u32 op;
	u32 idx;			/* slot index in the space's block */
	struct ms_slot_state old, new;
};

/* Ops of a staged transaction, copied from txn-append messages. */
struct ms_staged {
	u32 n, cap;
	struct nlattr **ops;		/* each a kmemdup'd MEMSLOT_A_TXN_OP */
};

/*
 * A transaction: parsed, then prepared (validated against the layout and
 * applied to the module's model), then committed to KVM or aborted. All
 * under the space's lock.
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
	struct ms_staged *staged_ops;	/* owned: the ops point into it */
	u32 hold_mode;			/* MEMSLOT_HOLD_MODE_* */
	const struct nlattr *hold_attr;	/* where the request set it, or NULL */
	bool replaces;			/* replaces memory in place */
	u32 points;			/* steps reached, for fail_step */
	u32 held_vcpus;			/* result: vCPUs held, 0 if no hold */
	u64 hold_ns, commit_ns;		/* result */
};

int ms_txn_parse_msg(struct ms_txn *txn, struct genl_info *info);
int ms_txn_parse_staged(struct ms_txn *txn, struct ms_staged *staged);
int ms_staged_open(struct ms_space *space);
int ms_staged_append(struct ms_space *space, struct genl_info *info);
void ms_staged_free(struct ms_staged *staged);
int ms_txn_prepare(struct ms_txn *txn);
int ms_txn_commit(struct ms_txn *txn);
void ms_txn_abort(struct ms_txn *txn);
void ms_txn_finish(struct ms_txn *txn);
void ms_txn_free(struct ms_txn *txn);

extern u32 ms_fail_step;

#endif /* _MEMSLOT_TXN_H */
