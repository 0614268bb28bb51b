// SPDX-License-Identifier: GPL-2.0
/*
 * The hold policy of a commit (Documentation/design.rst, "When to hold").
 *
 * A hold for correctness (memory replaced in place, a dirty log dropped)
 * and hold always cover the whole commit. hold auto also holds for speed:
 * while vCPUs run guest code, each unheld slot change waits for an SRCU
 * grace period that they stretch, while under a hold they are parked
 * outside KVM's SRCU read side. The policy compares the two as it
 * measured them on the space's recent commits, for the slot changes the
 * commit has left, by kind (set or delete: a deletion also zaps),
 *
 *	unheld = sum n[kind] * unheld[kind]
 *	held = hold + sum n[kind] * held[kind]
 *
 * and holds when held < unheld. With no fresh unheld figure for a kind the
 * commit has (none yet, or none for 10 s because every commit since was
 * held) its first op runs unheld to measure, and the rest of the commit
 * is decided then.
 *
 * A hold for speed keeps within the space's budget. In split mode, before
 * an op whose measured cost would take the current hold past it, the
 * vCPUs are let go for as long as they were held, then held again; in
 * unheld mode a commit whose predicted hold exceeds it runs unheld.
 *
 * Everything here runs under the space's lock, from ms_txn_commit().
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/string.h>

#include "hold.h"
#include "kvm.h"
#include "space.h"
#include "txn.h"

#define MS_HOLD_STALE_NS	(10 * NSEC_PER_SEC)

void ms_hold_policy_init(struct ms_hold_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->budget_mode = MEMSLOT_BUDGET_MODE_SPLIT;
}

/* A moving average; never 0 once measured. */
static u64 ms_hold_avg(u64 old, u64 sample)
{
	sample = max_t(u64, sample, 1);
	return old ? (3 * old + sample) / 4 : sample;
}

static int ms_step_kind(const struct ms_step *s)
{
	return s->new.size ? MS_STEP_SET : MS_STEP_DELETE;
}

/* After step @k ran, in @ns. */
void ms_hold_step_done(struct ms_txn *t, u32 k, u64 ns)
{
	struct ms_txn_hold *h = &t->hold;
	int kind = ms_step_kind(&t->steps[k]);

	h->left[kind]--;
	h->steps[h->held][kind]++;
	h->steps_ns[h->held][kind] += ns;
	h->kvm_ns += ns;
}

static int ms_hold_take(struct ms_txn *t)
{
	struct ms_txn_hold *h = &t->hold;
	int err;

	err = ms_kvm_hold_vcpus(t->space, &h->vh);
	if (err)
		return err;
	h->held = true;
	h->batches++;
	return 0;
}

/* Let the vCPUs go; returns how long they were held. */
static u64 ms_hold_drop(struct ms_txn *t)
{
	struct ms_txn_hold *h = &t->hold;
	u64 ns;

	ns = ms_kvm_release_vcpus(t->space, &h->vh);
	h->held = false;
	h->ns_total += ns;
	h->ns_max = max(h->ns_max, ns);
	t->held_vcpus = h->vh.nr_vcpus;
	return ns;
}

/* A kind's unheld cost, or the other kind's while it has none. */
static u64 ms_hold_unheld(const struct ms_hold_cost *c, int kind)
{
	return c->unheld_ns[kind] ?: c->unheld_ns[!kind];
}

/* The predicted length of one hold over @n[] slot changes. */
static u64 ms_hold_predict(const struct ms_hold_cost *c, const u32 *n)
{
	return c->hold_ns + n[MS_STEP_SET] * c->held_ns[MS_STEP_SET] +
	       n[MS_STEP_DELETE] * c->held_ns[MS_STEP_DELETE];
}

/* Holding @n[] slot changes is faster (an unmeasured hold is tried). */
static bool ms_hold_pays(const struct ms_hold_cost *c, const u32 *n)
{
	u64 unheld = 0;
	int kind;

	for (kind = 0; kind < MS_STEP_KINDS; kind++) {
		if (n[kind] && !c->held_ns[kind])
			return true;
		unheld += n[kind] * ms_hold_unheld(c, kind);
	}
	return ms_hold_predict(c, n) < unheld;
}

/* hold auto, for the steps left: hold for speed if it pays and fits. */
static int ms_hold_decide(struct ms_txn *t)
{
	const struct ms_hold_policy *p = &t->space->hold;
	struct ms_txn_hold *h = &t->hold;

	if (!ms_hold_pays(&p->cost, h->left)) {
		h->reason = MEMSLOT_HOLD_REASON_NOT_FASTER;
		return 0;
	}
	if (p->budget_ns &&
	    (p->cost.hold_ns >= p->budget_ns ||
	     (p->budget_mode == MEMSLOT_BUDGET_MODE_UNHELD &&
	      ms_hold_predict(&p->cost, h->left) > p->budget_ns))) {
		h->reason = MEMSLOT_HOLD_REASON_BUDGET;
		return 0;
	}
	h->reason = MEMSLOT_HOLD_REASON_SPEED;
	h->speed = true;
	return ms_hold_take(t);
}

/* A kind the commit has lacks a fresh unheld figure. */
static bool ms_hold_stale(const struct ms_txn *t, u64 now)
{
	const struct ms_hold_cost *c = &t->space->hold.cost;
	int kind;

	for (kind = 0; kind < MS_STEP_KINDS; kind++)
		if (t->hold.left[kind] &&
		    (!c->unheld_ns[kind] ||
		     now - c->unheld_at_ns[kind] > MS_HOLD_STALE_NS))
			return true;
	return false;
}

/* Fold the unheld steps so far into the cost model, if vCPUs ran. */
static void ms_hold_learn_unheld(struct ms_txn *t)
{
	struct ms_hold_cost *c = &t->space->hold.cost;
	struct ms_txn_hold *h = &t->hold;
	int kind;

	for (kind = 0; h->running && kind < MS_STEP_KINDS; kind++) {
		if (!h->steps[0][kind])
			continue;
		c->unheld_ns[kind] = ms_hold_avg(c->unheld_ns[kind],
						 div_u64(h->steps_ns[0][kind],
							 h->steps[0][kind]));
		c->unheld_at_ns[kind] = ktime_get_ns();
		h->steps[0][kind] = 0;
		h->steps_ns[0][kind] = 0;
	}
}

/*
 * Before the commit's KVM steps (and harvests): decide, and take the hold
 * if it starts at once.
 */
int ms_hold_begin(struct ms_txn *t)
{
	struct ms_txn_hold *h = &t->hold;
	u32 k;

	memset(h, 0, sizeof(*h));
	for (k = 0; k < t->n_steps; k++)
		h->left[ms_step_kind(&t->steps[k])]++;
	if (!t->n_steps) {
		h->reason = MEMSLOT_HOLD_REASON_NO_CHANGE;
		return 0;
	}
	if (t->replaces || t->n_harvest) {
		h->reason = MEMSLOT_HOLD_REASON_CORRECTNESS;
		return ms_hold_take(t);
	}
	if (t->hold_mode == MEMSLOT_HOLD_MODE_ALWAYS) {
		h->reason = MEMSLOT_HOLD_REASON_REQUESTED;
		return ms_hold_take(t);
	}
	h->running = ms_kvm_running_vcpus(t->space);
	if (t->hold_mode == MEMSLOT_HOLD_MODE_NEVER) {
		h->reason = MEMSLOT_HOLD_REASON_NEVER;
		return 0;
	}
	h->reason = MEMSLOT_HOLD_REASON_NOT_FASTER;
	if (!h->running)
		return 0;
	if (ms_hold_stale(t, ktime_get_ns())) {
		h->probing = true;
		return 0;
	}
	return ms_hold_decide(t);
}

/* Would op @k's steps take the current hold past the budget? */
static bool ms_hold_over_budget(const struct ms_txn *t, u32 k)
{
	const struct ms_hold_policy *p = &t->space->hold;
	u64 est = 0;
	u32 j;

	for (j = k; j < t->n_steps && t->steps[j].op == t->steps[k].op; j++)
		est += p->cost.held_ns[ms_step_kind(&t->steps[j])];
	return ktime_get_ns() - t->hold.vh.start_ns + est > p->budget_ns;
}

/*
 * Before step @k, the first of an op other than the first: end the probe
 * and decide, or end a batch that the next op would take past the budget
 * and, after the vCPUs ran for as long, hold them again.
 */
int ms_hold_boundary(struct ms_txn *t, u32 k)
{
	struct ms_txn_hold *h = &t->hold;
	u64 held;

	if (h->probing) {
		h->probing = false;
		ms_hold_learn_unheld(t);
		return ms_hold_decide(t);
	}
	if (!h->held || !h->speed || !t->space->hold.budget_ns ||
	    !ms_hold_over_budget(t, k))
		return 0;
	held = ms_hold_drop(t);
	fsleep(div_u64(held, NSEC_PER_USEC) + 1);
	return ms_hold_take(t);
}

/* Fold the held steps into the cost model (not with harvests in them). */
static void ms_hold_learn_held(struct ms_txn *t)
{
	struct ms_hold_cost *c = &t->space->hold.cost;
	struct ms_txn_hold *h = &t->hold;
	u64 in_steps = 0;
	int kind;

	if (!h->batches || t->n_harvest)
		return;
	for (kind = 0; kind < MS_STEP_KINDS; kind++) {
		if (!h->steps[1][kind])
			continue;
		in_steps += h->steps_ns[1][kind];
		c->held_ns[kind] = ms_hold_avg(c->held_ns[kind],
					       div_u64(h->steps_ns[1][kind],
						       h->steps[1][kind]));
	}
	c->hold_ns = ms_hold_avg(c->hold_ns,
				 div_u64(h->ns_total > in_steps ?
					 h->ns_total - in_steps : 0,
					 h->batches));
}

/*
 * After the steps (all of them, or a failure at @err): release the vCPUs,
 * give the commit its hold results and, if it stands, learn its costs.
 */
void ms_hold_end(struct ms_txn *t, int err)
{
	struct ms_txn_hold *h = &t->hold;

	if (h->held)
		ms_hold_drop(t);
	t->hold_ns = h->ns_total;
	if (err)
		return;
	ms_hold_learn_unheld(t);
	ms_hold_learn_held(t);
}
