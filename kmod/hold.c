// SPDX-License-Identifier: GPL-2.0
/*
 * The hold policy of a commit (Documentation/design.rst, "When to hold").
 *
 * A hold for correctness (memory replaced in place, a dirty log dropped)
 * and hold always cover the whole commit. hold auto also holds for speed:
 * while vCPUs run guest code, each unheld slot change waits for an SRCU
 * grace period that they stretch, while under a hold they are parked
 * outside KVM's SRCU read side. The policy compares the two as it
 * measured them on the space's recent commits,
 *
 *	unheld = n * unheld_step	held = hold + n * held_step
 *
 * and holds when held < unheld. With no fresh unheld figure (none yet, or
 * none for a second because every commit since was held) the first op
 * runs unheld to measure it, and the rest of the commit is decided then.
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

#define MS_HOLD_STALE_NS	NSEC_PER_SEC

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

/* The steps [seg_k, @k) end now: add their time to the held or unheld side. */
static void ms_hold_seg_end(struct ms_txn_hold *h, u32 k)
{
	u64 ns = ktime_get_ns() - h->mark_ns;

	if (h->held) {
		h->steps_ns += ns;
		h->steps += k - h->seg_k;
	} else {
		h->unheld_ns += ns;
		h->unheld_steps += k - h->seg_k;
	}
	h->seg_k = k;
}

/* Hold the vCPUs from step @k on. */
static int ms_hold_take(struct ms_txn *t, u32 k)
{
	struct ms_txn_hold *h = &t->hold;
	int err;

	ms_hold_seg_end(h, k);
	err = ms_kvm_hold_vcpus(t->space, &h->vh);
	if (err)
		return err;
	h->held = true;
	h->batches++;
	h->mark_ns = ktime_get_ns();
	return 0;
}

/* Let the vCPUs go before step @k; returns how long they were held. */
static u64 ms_hold_drop(struct ms_txn *t, u32 k)
{
	struct ms_txn_hold *h = &t->hold;
	u64 ns;

	ms_hold_seg_end(h, k);
	ns = ms_kvm_release_vcpus(t->space, &h->vh);
	h->held = false;
	h->ns_total += ns;
	h->ns_max = max(h->ns_max, ns);
	h->mark_ns = ktime_get_ns();
	t->held_vcpus = h->vh.nr_vcpus;
	return ns;
}

/* The predicted length of one hold over @n slot changes. */
static u64 ms_hold_predict(const struct ms_hold_cost *c, u32 n)
{
	return c->hold_ns + (u64)n * c->held_step_ns;
}

/* Holding @n slot changes is faster (an unmeasured hold is tried once). */
static bool ms_hold_pays(const struct ms_hold_cost *c, u32 n)
{
	return !c->held_step_ns ||
	       ms_hold_predict(c, n) < (u64)n * c->unheld_step_ns;
}

/* hold auto, from step @k on: hold for speed if it pays and fits. */
static int ms_hold_decide(struct ms_txn *t, u32 k)
{
	const struct ms_hold_policy *p = &t->space->hold;
	struct ms_txn_hold *h = &t->hold;
	u32 n = t->n_steps - k;

	if (!ms_hold_pays(&p->cost, n)) {
		h->reason = MEMSLOT_HOLD_REASON_NOT_FASTER;
		return 0;
	}
	if (p->budget_ns &&
	    (p->cost.hold_ns >= p->budget_ns ||
	     (p->budget_mode == MEMSLOT_BUDGET_MODE_UNHELD &&
	      ms_hold_predict(&p->cost, n) > p->budget_ns))) {
		h->reason = MEMSLOT_HOLD_REASON_BUDGET;
		return 0;
	}
	h->reason = MEMSLOT_HOLD_REASON_SPEED;
	h->speed = true;
	return ms_hold_take(t, k);
}

/* Fold the unheld steps so far into the cost model, if vCPUs ran. */
static void ms_hold_learn_unheld(struct ms_txn *t)
{
	struct ms_hold_cost *c = &t->space->hold.cost;
	struct ms_txn_hold *h = &t->hold;

	if (!h->running || !h->unheld_steps)
		return;
	c->unheld_step_ns = ms_hold_avg(c->unheld_step_ns,
					h->unheld_ns / h->unheld_steps);
	c->unheld_at_ns = ktime_get_ns();
	h->unheld_ns = 0;
	h->unheld_steps = 0;
}

/*
 * Before the commit's KVM steps (and harvests): decide, and take the hold
 * if it starts at once.
 */
int ms_hold_begin(struct ms_txn *t)
{
	const struct ms_hold_cost *c = &t->space->hold.cost;
	struct ms_txn_hold *h = &t->hold;

	memset(h, 0, sizeof(*h));
	h->mark_ns = ktime_get_ns();
	if (!t->n_steps) {
		h->reason = MEMSLOT_HOLD_REASON_NO_CHANGE;
		return 0;
	}
	if (t->replaces || t->n_harvest) {
		h->reason = MEMSLOT_HOLD_REASON_CORRECTNESS;
		return ms_hold_take(t, 0);
	}
	if (t->hold_mode == MEMSLOT_HOLD_MODE_ALWAYS) {
		h->reason = MEMSLOT_HOLD_REASON_REQUESTED;
		return ms_hold_take(t, 0);
	}
	h->running = ms_kvm_running_vcpus(t->space);
	if (t->hold_mode == MEMSLOT_HOLD_MODE_NEVER) {
		h->reason = MEMSLOT_HOLD_REASON_NEVER;
		return 0;
	}
	h->reason = MEMSLOT_HOLD_REASON_NOT_FASTER;
	if (!h->running)
		return 0;
	if (!c->unheld_step_ns || h->mark_ns - c->unheld_at_ns > MS_HOLD_STALE_NS) {
		h->probing = true;
		return 0;
	}
	return ms_hold_decide(t, 0);
}

/* Would op @k's steps take the current hold past the budget? */
static bool ms_hold_over_budget(const struct ms_txn *t, u32 k)
{
	const struct ms_hold_policy *p = &t->space->hold;
	u32 j, n = 0;

	for (j = k; j < t->n_steps && t->steps[j].op == t->steps[k].op; j++)
		n++;
	return ktime_get_ns() - t->hold.vh.start_ns +
	       (u64)n * p->cost.held_step_ns > p->budget_ns;
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
		ms_hold_seg_end(h, k);
		ms_hold_learn_unheld(t);
		return ms_hold_decide(t, k);
	}
	if (!h->held || !h->speed || !t->space->hold.budget_ns ||
	    !ms_hold_over_budget(t, k))
		return 0;
	held = ms_hold_drop(t, k);
	fsleep(div_u64(held, NSEC_PER_USEC) + 1);
	return ms_hold_take(t, k);
}

/* Fold the held steps into the cost model (not with harvests in them). */
static void ms_hold_learn_held(struct ms_txn *t)
{
	struct ms_hold_cost *c = &t->space->hold.cost;
	struct ms_txn_hold *h = &t->hold;
	u64 fixed;

	if (!h->batches || !h->steps || t->n_harvest)
		return;
	c->held_step_ns = ms_hold_avg(c->held_step_ns, h->steps_ns / h->steps);
	fixed = h->ns_total > h->steps_ns ? h->ns_total - h->steps_ns : 0;
	c->hold_ns = ms_hold_avg(c->hold_ns, div_u64(fixed, h->batches));
}

/*
 * After the steps (all of them, or a failure at @err): release the vCPUs,
 * give the commit its hold results and, if it stands, learn its costs.
 */
void ms_hold_end(struct ms_txn *t, int err)
{
	struct ms_txn_hold *h = &t->hold;

	if (h->held)
		ms_hold_drop(t, t->n_steps);
	else
		ms_hold_seg_end(h, t->n_steps);
	t->hold_ns = h->ns_total;
	if (err)
		return;
	ms_hold_learn_unheld(t);
	ms_hold_learn_held(t);
}
