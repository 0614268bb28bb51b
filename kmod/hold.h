/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hold policy: whether a commit holds the VM's vCPUs out of guest
 * mode, why, and in how many batches (hold.c). kvm-hold.c does the
 * holding itself.
 */
#ifndef _MEMSLOT_HOLD_H
#define _MEMSLOT_HOLD_H

#include <linux/types.h>

#include "kvm.h"

struct ms_txn;

/* The kinds of slot change the cost model tells apart. */
enum {
	MS_STEP_SET,		/* a slot created, or changed */
	MS_STEP_DELETE,		/* a slot deleted: KVM also zaps its mappings */
	MS_STEP_KINDS
};

/*
 * What the policy measured of a space's commits, by kind of slot change;
 * 0 is not measured yet. Moving averages (weight 1/4 per commit).
 */
struct ms_hold_cost {
	u64 unheld_ns[MS_STEP_KINDS];	/* no hold, vCPUs in KVM_RUN */
	u64 unheld_at_ns[MS_STEP_KINDS]; /* when last measured */
	u64 held_ns[MS_STEP_KINDS];	/* under a hold */
	u64 hold_ns;		/* fixed cost of a hold: gate, SRCU, release */
};

/* A space's hold budget (space-set) and cost model; under its lock. */
struct ms_hold_policy {
	u64 budget_ns;		/* longest hold for speed; 0: no budget */
	u32 budget_mode;	/* MEMSLOT_BUDGET_MODE_* */
	struct ms_hold_cost cost;
};

/* One commit's holds (ms_txn::hold), and its results for the reply. */
struct ms_txn_hold {
	u32 reason;		/* MEMSLOT_HOLD_REASON_* */
	bool speed;		/* a hold for speed: may probe and split */
	bool probing;		/* the first op runs unheld, to measure */
	bool held;		/* a hold is taken now */
	u32 running;		/* vCPUs in KVM_RUN when the commit began */
	struct ms_vcpu_hold vh;
	u32 batches;		/* holds taken */
	u32 left[MS_STEP_KINDS];	/* steps not run yet */
	/* the steps run, unheld [0] and held [1], and their time */
	u32 steps[2][MS_STEP_KINDS];
	u64 steps_ns[2][MS_STEP_KINDS];
	u64 ns_total, ns_max;	/* the holds' lengths */
	u64 kvm_ns;		/* all steps' time */
};

void ms_hold_policy_init(struct ms_hold_policy *p);
int ms_hold_begin(struct ms_txn *t);
int ms_hold_boundary(struct ms_txn *t, u32 k);
void ms_hold_step_done(struct ms_txn *t, u32 k, u64 ns);
void ms_hold_end(struct ms_txn *t, int err);

#endif /* _MEMSLOT_HOLD_H */
