// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU-visible atomicity (guarantees 1 and 2), seen by vCPUs running the
 * loop program of guest.c: they read guest memory all the time and report
 * every hole (an MMIO exit inside memory that should be there) and every
 * value that belongs to no layout. Neighbour churn, in-place re-layout
 * (and the same with plain KVM ioctls, for comparison), halted, exiting
 * and parked vCPUs, hold modes, statistics, tracepoints, a VMM killed in
 * the middle of a stream of commits, and the hold policy's hold for speed
 * within a pause budget.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "child.h"
#include "guest.h"
#include "nlclient.h"

#define KB		1024ULL
#define BACKING_SIZE	(1024 * KB)
#define SLOT_BASE	10
#define PAT_A		0xa5a5a5a5u	/* first word of every page of A */
#define PAT_B		0x5b5b5b5bu	/* ... and of B */
#define R_GPA		0x100000ULL	/* the region the vCPUs read */
#define R_LEN		(256 * KB)
#define NB_LEN		(64 * KB)	/* its neighbours, on both sides */
#define RO		MEMSLOT_RANGE_FLAGS_READONLY
/*
 * Liveness, not speed: a commit that waited on a halted or parked vCPU
 * would never end, and one commit under TCG takes about a millisecond.
 */
#define COMMIT_BOUND_NS	(5 * 1000000000ULL)
#define PASS_TIMEOUT_S	30

FIXTURE(atomic) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	uint32_t space, ba, bb;
	uint32_t *mem_a, *mem_b;
	uint32_t ids[8];	/* ranges over the region, per layout */
	int n_ids, layout;
	uint64_t max_wait_ns;	/* longest commit request, seen from here */
	unsigned long commits, held;
	unsigned long held_for[MEMSLOT_HOLD_REASON_NEVER + 1]; /* by reason */
};

static uint32_t *pattern_backing(uint32_t pat)
{
	uint32_t *m = mmap(NULL, BACKING_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (m == MAP_FAILED)
		return NULL;
	for (i = 0; i < BACKING_SIZE / 4; i++)
		m[i] = pat;
	return m;
}

FIXTURE_SETUP(atomic)
{
	int err = nlc_open(&self->c);

	if (err == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	ASSERT_EQ(0, err);
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	self->mem_a = pattern_backing(PAT_A);
	self->mem_b = pattern_backing(PAT_B);
	ASSERT_NE(NULL, self->mem_a);
	ASSERT_NE(NULL, self->mem_b);
	ASSERT_EQ(0, nlc_space_new(&self->c, "atomic", &self->r));
	self->space = self->r.sp[0].id;
}

FIXTURE_TEARDOWN(atomic)
{
	guest_close(&self->g);
	nlc_close(&self->c);
	if (self->mem_a)
		munmap(self->mem_a, BACKING_SIZE);
	if (self->mem_b)
		munmap(self->mem_b, BACKING_SIZE);
}

/* A VM with @n vCPUs, the space bound to @slots of it, backings A and B. */
static int start_vm_slots(FIXTURE_DATA(atomic) *self, int n, uint32_t slots)
{
	int err = guest_open_smp(&self->g, n);

	if (err)
		return err;
	err = nlc_space_bind(&self->c, self->space, self->g.vm, SLOT_BASE,
			     slots, &self->r);
	if (!err)
		err = nlc_backing_new(&self->c, self->space, self->mem_a,
				      BACKING_SIZE, &self->r);
	self->ba = self->r.backing_id;
	if (!err)
		err = nlc_backing_new(&self->c, self->space, self->mem_b,
				      BACKING_SIZE, &self->r);
	self->bb = self->r.backing_id;
	return err;
}

static int start_vm(FIXTURE_DATA(atomic) *self, int n)
{
	return start_vm_slots(self, n, 64);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/* Commit @ops with @hold; keep the longest wait and count the holds. */
static int commit(FIXTURE_DATA(atomic) *self, const struct nlc_op *ops, int n,
		  uint32_t hold)
{
	uint64_t t0 = now_ns(), dt;
	int err;

	err = nlc_txn_hold(&self->c, self->space, ops, n, hold, &self->r);
	dt = now_ns() - t0;
	if (dt > self->max_wait_ns)
		self->max_wait_ns = dt;
	if (!err) {
		self->commits++;
		self->held += self->r.held_vcpus > 0;
		if (self->r.held_vcpus &&
		    self->r.hold_reason <= MEMSLOT_HOLD_REASON_NEVER)
			self->held_for[self->r.hold_reason]++;
	}
	return err;
}

/*
 * Replace the region's layout in place, in one transaction, cycling
 * through: one range on A; four ranges on A at the same offsets; one range
 * on B. Every page reads PAT_A or PAT_B in every layout.
 */
static int relayout(FIXTURE_DATA(atomic) *self)
{
	struct nlc_op ops[12];
	int n = 0, i, parts, err;
	uint32_t backing;

	for (i = 0; i < self->n_ids; i++)
		ops[n++] = (struct nlc_op)NLC_REMOVE(self->ids[i]);
	self->layout = (self->layout + 1) % 3;
	parts = self->layout == 1 ? 4 : 1;
	backing = self->layout == 2 ? self->bb : self->ba;
	for (i = 0; i < parts; i++)
		ops[n++] = (struct nlc_op)NLC_ADD(R_GPA + i * (R_LEN / parts),
						  R_LEN / parts, backing,
						  i * (R_LEN / parts), 0);
	err = commit(self, ops, n, 0);
	if (err || self->r.n_added != parts)
		return err ?: -EPROTO;
	for (i = 0; i < parts; i++)
		self->ids[i] = self->r.added[i].id;
	self->n_ids = parts;
	return 0;
}

static void start_loop(struct __test_metadata *_metadata,
		       FIXTURE_DATA(atomic) *self, int idx, uint32_t mode,
		       int park_fd)
{
	struct guest_loop l = {
		.base = R_GPA, .len = R_LEN, .a = PAT_A, .b = PAT_B,
		.mode = mode, .park_fd = park_fd,
	};

	ASSERT_EQ(0, guest_loop_start(&self->g, idx, &l));
}

/* Sum of a counter over the vCPUs, after guest_loop_stop(). */
#define SUM(self, field) ({						\
	unsigned long __s = 0;						\
	for (int __i = 0; __i < (self)->g.nr_vcpus; __i++)		\
		__s += (self)->g.vcpus[__i].field;			\
	__s; })

static void expect_clean(struct __test_metadata *_metadata,
			 FIXTURE_DATA(atomic) *self)
{
	EXPECT_EQ(0, SUM(self, holes));
	EXPECT_EQ(0, SUM(self, bad)) TH_LOG("last bad value 0x%x", self->g.vcpus[0].last_bad);
	EXPECT_EQ(0, SUM(self, errors)) TH_LOG("last exit %u", self->g.vcpus[0].last_exit);
}

/*
 * Thousands of commits add and remove ranges right next to the region on
 * both sides, while a vCPU reads it: the region is never unmapped, and no
 * hold is needed for correctness (auto may hold for speed, as the vCPU
 * runs: every hold here must say so).
 */
/* 2000 commits under a running vCPU: minutes on the debug kernel under TCG */
TEST_F_TIMEOUT(atomic, neighbour_churn, 600)
{
	struct nlc_op add[2] = {
		NLC_ADD(R_GPA - NB_LEN, NB_LEN, 0, 0, 0),
		NLC_ADD(R_GPA + R_LEN, NB_LEN, 0, NB_LEN, 0),
	};
	struct nlc_op del[2];
	int i;

	ASSERT_EQ(0, start_vm(self, 1));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	add[0].backing_id = add[1].backing_id = self->bb;
	start_loop(_metadata, self, 0, 0, -1);
	ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	for (i = 0; i < 2000; i++) {
		if (i % 2 == 0) {
			ASSERT_EQ(0, commit(self, add, 2, 0)) TH_LOG("%s", self->r.msg);
			del[0] = (struct nlc_op)NLC_REMOVE(self->r.added[0].id);
			del[1] = (struct nlc_op)NLC_REMOVE(self->r.added[1].id);
		} else {
			ASSERT_EQ(0, commit(self, del, 2, 0)) TH_LOG("%s", self->r.msg);
		}
		if (i % 50 == 0)
			ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	}
	guest_loop_stop(&self->g);
	TH_LOG("2000 neighbour commits, %u passes of the vCPU, %lu holes",
	       guest_loop_passes(&self->g, 0), SUM(self, holes));
	EXPECT_EQ(0, self->held_for[MEMSLOT_HOLD_REASON_CORRECTNESS]);
	EXPECT_EQ(self->held, self->held_for[MEMSLOT_HOLD_REASON_SPEED]);
	expect_clean(_metadata, self);
}

/* The same re-layouts with plain KVM ioctls: delete the slot, create it. */
static unsigned long plain_relayout_holes(struct __test_metadata *_metadata,
					  FIXTURE_DATA(atomic) *self, int n)
{
	struct kvm_userspace_memory_region m = {
		.slot = 1, .guest_phys_addr = R_GPA, .memory_size = R_LEN,
		.userspace_addr = (uintptr_t)self->mem_a,
	};
	struct guest_loop l = {
		.base = R_GPA, .len = R_LEN, .a = PAT_A, .b = PAT_B,
		.park_fd = -1,
	};
	struct guest g;
	unsigned long holes;
	int i;

	if (guest_open(&g) || ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &m) ||
	    guest_loop_start(&g, 0, &l) || !guest_loop_wait(&g, 0, 1, PASS_TIMEOUT_S)) {
		guest_close(&g);
		return 0;
	}
	for (i = 0; i < n; i++) {
		m.memory_size = 0;
		EXPECT_EQ(0, ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &m));
		m.memory_size = R_LEN;
		m.userspace_addr = (uintptr_t)(i % 2 ? self->mem_a : self->mem_b);
		EXPECT_EQ(0, ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &m));
		EXPECT_TRUE(guest_loop_wait(&g, 0, 1, PASS_TIMEOUT_S));
	}
	guest_loop_stop(&g);
	holes = g.vcpus[0].holes;
	EXPECT_EQ(0, g.vcpus[0].errors);
	guest_close(&g);
	return holes;
}

/*
 * A vCPU reads a region that commits replace in place (one range -> four
 * -> one on another backing -> ...): no hole, and every read is the value
 * of the layout before or after. Plain ioctls, same loop, do show holes.
 */
TEST_F_TIMEOUT(atomic, inplace_relayout, 240)
{
	unsigned long plain;
	int i;

	ASSERT_EQ(0, start_vm(self, 1));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	start_loop(_metadata, self, 0, 0, -1);
	ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	self->held = 0;
	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
		ASSERT_EQ(1, self->r.held_vcpus);
		ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	}
	guest_loop_stop(&self->g);
	plain = plain_relayout_holes(_metadata, self, 300);
	TH_LOG("300 in-place re-layouts under a reading vCPU: memslot %lu holes, plain ioctls %lu holes",
	       SUM(self, holes), plain);
	EXPECT_EQ(300, self->held);
	expect_clean(_metadata, self);
	/* the detector works: without the hold the same loop sees holes */
	EXPECT_LT(0, plain);
}

/* Check the space's statistics against what this side saw. */
static void expect_stats(struct __test_metadata *_metadata,
			 FIXTURE_DATA(atomic) *self)
{
	uint64_t *st;

	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	st = self->r.sp[0].stats;
	EXPECT_EQ(self->commits, st[MEMSLOT_A_STATS_COMMITS]);
	EXPECT_EQ(self->held, st[MEMSLOT_A_STATS_HOLDS]);
	EXPECT_LT(0, st[MEMSLOT_A_STATS_HOLD_NS_MAX]);
	EXPECT_LE(st[MEMSLOT_A_STATS_HOLD_NS_MAX], st[MEMSLOT_A_STATS_COMMIT_NS_MAX]);
	EXPECT_LE(st[MEMSLOT_A_STATS_HOLD_NS_TOTAL], st[MEMSLOT_A_STATS_COMMIT_NS_TOTAL]);
	EXPECT_GT(COMMIT_BOUND_NS, st[MEMSLOT_A_STATS_COMMIT_NS_MAX]);
	TH_LOG("%lu commits, %lu held: hold max %llu us avg %llu us, commit max %llu us; longest request %llu us",
	       self->commits, self->held,
	       (unsigned long long)st[MEMSLOT_A_STATS_HOLD_NS_MAX] / 1000,
	       (unsigned long long)(st[MEMSLOT_A_STATS_HOLD_NS_TOTAL] /
				    (self->held ?: 1) / 1000),
	       (unsigned long long)st[MEMSLOT_A_STATS_COMMIT_NS_MAX] / 1000,
	       (unsigned long long)self->max_wait_ns / 1000);
}

/*
 * Two vCPUs: one halted in HLT (interrupts off: it never wakes), one
 * returning to userspace after every pass. Every commit holds both and
 * none waits for the halted one.
 */
TEST_F_TIMEOUT(atomic, two_vcpus_halted_and_exiting, 240)
{
	int i;

	ASSERT_EQ(0, start_vm(self, 2));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	start_loop(_metadata, self, 0, GUEST_LOOP_EXIT, -1);
	start_loop(_metadata, self, 1, GUEST_LOOP_HALT, -1);
	ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
		ASSERT_EQ(2, self->r.held_vcpus);
		ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	}
	guest_loop_stop(&self->g);
	expect_clean(_metadata, self);
	EXPECT_EQ(0, guest_loop_passes(&self->g, 1)); /* it stayed halted */
	EXPECT_GT(COMMIT_BOUND_NS, self->max_wait_ns);
	expect_stats(_metadata, self);
}

/*
 * Four vCPUs: one reading in the guest, one halted, one exiting after
 * every pass, and one whose thread stays blocked in userspace (on a pipe)
 * during all the commits: the commits do not wait for it, and when it is
 * let go it runs on the final layout without a hole.
 */
TEST_F_TIMEOUT(atomic, four_vcpus_one_parked_in_userspace, 240)
{
	int park[2], i;

	ASSERT_EQ(0, pipe(park));
	ASSERT_EQ(0, start_vm(self, 4));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	start_loop(_metadata, self, 0, 0, -1);
	start_loop(_metadata, self, 1, GUEST_LOOP_HALT, -1);
	start_loop(_metadata, self, 2, GUEST_LOOP_EXIT, -1);
	start_loop(_metadata, self, 3, GUEST_LOOP_EXIT, park[0]);
	ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	ASSERT_TRUE(guest_loop_reach(&self->g, 3, 1, PASS_TIMEOUT_S));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
		ASSERT_EQ(4, self->r.held_vcpus);
		ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	}
	EXPECT_EQ(1, guest_loop_passes(&self->g, 3)); /* parked all along */
	ASSERT_EQ(1, write(park[1], "x", 1));
	EXPECT_TRUE(guest_loop_wait(&self->g, 3, 3, PASS_TIMEOUT_S));
	EXPECT_TRUE(guest_loop_wait(&self->g, 2, 3, PASS_TIMEOUT_S));
	guest_loop_stop(&self->g);
	expect_clean(_metadata, self);
	EXPECT_GT(COMMIT_BOUND_NS, self->max_wait_ns);
	expect_stats(_metadata, self);
	close(park[0]);
	close(park[1]);
}

/* auto holds only in-place replacement; always holds; never is refused. */
TEST_F(atomic, hold_modes)
{
	struct nlc_op nb = NLC_ADD(R_GPA + R_LEN, NB_LEN, 0, 0, 0);
	struct nlc_op del, ro, ops[2];
	uint64_t gen;

	ASSERT_EQ(0, start_vm(self, 2));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(0, self->r.held_vcpus); /* adds only */
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(2, self->r.held_vcpus); /* four ranges -> one, in place */
	nb.backing_id = self->bb;
	ASSERT_EQ(0, commit(self, &nb, 1, MEMSLOT_HOLD_MODE_ALWAYS));
	EXPECT_EQ(2, self->r.held_vcpus);
	del = (struct nlc_op)NLC_REMOVE(self->r.added[0].id);
	ASSERT_EQ(0, commit(self, &del, 1, MEMSLOT_HOLD_MODE_AUTO));
	EXPECT_EQ(0, self->r.held_vcpus);
	EXPECT_EQ(0, self->r.hold_ns);
	EXPECT_LT(0, self->r.commit_ns);

	/* never: refused for an in-place replacement, nothing changes */
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	gen = self->r.sp[0].generation;
	ASSERT_EQ(1, self->n_ids);
	ops[0] = (struct nlc_op)NLC_REMOVE(self->ids[0]);
	ops[1] = (struct nlc_op)NLC_ADD(R_GPA, R_LEN, self->bb, 0, 0);
	EXPECT_EQ(-EINVAL, commit(self, ops, 2, MEMSLOT_HOLD_MODE_NEVER));
	EXPECT_STREQ("op 1: replaces memory in place, vCPUs would see a hole without a hold",
		     self->r.msg);
	EXPECT_EQ(MEMSLOT_A_TXN_HOLD, self->r.bad_attr);
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	EXPECT_EQ(gen, self->r.sp[0].generation);

	/* toggling read-only re-creates the slot: auto holds */
	ro = (struct nlc_op)NLC_SET_FLAGS(self->ids[0], RO);
	ASSERT_EQ(0, commit(self, &ro, 1, 0)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(2, self->r.held_vcpus);
	EXPECT_LT(0, self->r.hold_ns);
	EXPECT_LE(self->r.hold_ns, self->r.commit_ns);
}

#define SPEED_N		256	/* fresh ranges of a batch */
#define SPEED_GPA	0x10000000ULL	/* far from the region */
#define SPEED_CHUNK	32	/* ops per txn-append */

/*
 * One staged commit (hold auto) of SPEED_N fresh 4 KiB ranges on A, 8 KiB
 * apart (@ids out), or of their removal (@ids in).
 */
static int speed_batch(FIXTURE_DATA(atomic) *self, uint32_t *ids, bool add)
{
	static struct nlc_op ops[SPEED_N];
	int i, err;

	for (i = 0; i < SPEED_N; i++)
		ops[i] = add ? (struct nlc_op)NLC_ADD(SPEED_GPA + i * 8 * KB,
						      4 * KB, self->ba,
						      i * 4 * KB % BACKING_SIZE, 0) :
			       (struct nlc_op)NLC_REMOVE(ids[i]);
	err = nlc_txn_cmd(&self->c, MEMSLOT_CMD_TXN_OPEN, self->space, NULL, 0,
			  false, &self->r);
	for (i = 0; !err && i < SPEED_N; i += SPEED_CHUNK)
		err = nlc_txn_cmd(&self->c, MEMSLOT_CMD_TXN_APPEND, self->space,
				  ops + i, SPEED_CHUNK, false, &self->r);
	if (!err)
		err = nlc_txn_cmd(&self->c, MEMSLOT_CMD_TXN_COMMIT, self->space,
				  NULL, 0, true, &self->r);
	if (err || !add)
		return err;
	if (self->r.n_added != SPEED_N)
		return -EPROTO;
	for (i = 0; i < SPEED_N; i++)
		ids[i] = self->r.added[i].id;
	return 0;
}

static uint64_t space_stat(struct __test_metadata *_metadata,
			   FIXTURE_DATA(atomic) *self, int stat)
{
	struct nlc_result r;

	EXPECT_EQ(0, nlc_space_get(&self->c, self->space, &r));
	return r.sp[0].stats[stat];
}

/*
 * Two running vCPUs (one reading the region, one also exiting to
 * userspace every pass): hold auto holds batches of fresh adds and
 * removes for speed, since unheld each slot change waits for an SRCU
 * grace period that they stretch. With a pause budget B (a quarter of the
 * batch's measured held time, so that it must split), every hold stays
 * within B plus the margin, the batch is applied completely, and the
 * vCPUs never see a hole in the region. In unheld mode the same batch
 * runs unheld, reason budget.
 */
TEST_F_TIMEOUT(atomic, hold_for_speed_within_budget, 600)
{
	static uint32_t ids[SPEED_N];
	uint64_t held_step, budget_ns, margin_ns;
	uint32_t v;
	int i;

	ASSERT_EQ(0, start_vm_slots(self, 2, SPEED_N + 16));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	start_loop(_metadata, self, 0, 0, -1);
	start_loop(_metadata, self, 1, GUEST_LOOP_EXIT, -1);
	ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	ASSERT_TRUE(guest_loop_wait(&self->g, 1, 1, PASS_TIMEOUT_S));

	/* no budget: the policy measures (its first op unheld), then holds */
	ASSERT_EQ(0, speed_batch(self, ids, true)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(MEMSLOT_HOLD_REASON_SPEED, self->r.hold_reason);
	EXPECT_EQ(1, self->r.hold_batches);
	EXPECT_LT(0, space_stat(_metadata, self, MEMSLOT_A_STATS_COST_UNHELD_SET_NS));
	held_step = space_stat(_metadata, self, MEMSLOT_A_STATS_COST_HELD_SET_NS);
	ASSERT_LT(0, held_step);
	ASSERT_EQ(0, speed_batch(self, ids, false)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(MEMSLOT_HOLD_REASON_SPEED, self->r.hold_reason);
	EXPECT_EQ(1, self->r.hold_batches);
	EXPECT_LT(0, space_stat(_metadata, self, MEMSLOT_A_STATS_COST_UNHELD_DELETE_NS));
	EXPECT_LT(0, space_stat(_metadata, self, MEMSLOT_A_STATS_COST_HELD_DELETE_NS));

	/*
	 * Margin: the misestimate of one op's cost plus a scheduling delay
	 * of the test VM's host (TCG): max(B, 10 ms).
	 */
	budget_ns = SPEED_N * held_step / 4;
	if (budget_ns < 1000000)
		budget_ns = 1000000;
	margin_ns = budget_ns > 10000000 ? budget_ns : 10000000;
	ASSERT_EQ(0, nlc_space_set(&self->c, self->space, budget_ns / 1000, -1,
				   &self->r));
	for (i = 0; i < 3; i++) { /* add, remove, add */
		ASSERT_EQ(0, speed_batch(self, ids, !(i % 2))) TH_LOG("%s", self->r.msg);
		TH_LOG("%s: budget %lu us, %u holds, longest %lu us, all %lu us",
		       i % 2 ? "remove" : "add", budget_ns / 1000,
		       self->r.hold_batches, self->r.hold_ns_max / 1000,
		       self->r.hold_ns / 1000);
		EXPECT_EQ(MEMSLOT_HOLD_REASON_SPEED, self->r.hold_reason);
		EXPECT_LE(2, self->r.hold_batches);
		EXPECT_GE(budget_ns + margin_ns, self->r.hold_ns_max);
	}
	/* all of the last batch is there, as the vCPU sees it */
	guest_loop_stop(&self->g);
	for (i = 0; i < SPEED_N; i++) {
		ASSERT_EQ(GUEST_OK, guest_read(&self->g, SPEED_GPA + i * 8 * KB, &v));
		ASSERT_EQ(PAT_A, v);
	}
	expect_clean(_metadata, self);

	/* unheld mode: a batch that would need more than B runs unheld */
	start_loop(_metadata, self, 0, 0, -1);
	start_loop(_metadata, self, 1, GUEST_LOOP_EXIT, -1);
	ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, PASS_TIMEOUT_S));
	ASSERT_EQ(0, nlc_space_set(&self->c, self->space, -1,
				   MEMSLOT_BUDGET_MODE_UNHELD, &self->r));
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	EXPECT_EQ(budget_ns / 1000, self->r.sp[0].hold_budget_us);
	EXPECT_EQ(MEMSLOT_BUDGET_MODE_UNHELD, self->r.sp[0].budget_mode);
	ASSERT_EQ(0, speed_batch(self, ids, false)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(MEMSLOT_HOLD_REASON_BUDGET, self->r.hold_reason);
	EXPECT_EQ(0, self->r.hold_batches);
	EXPECT_EQ(0, self->r.held_vcpus);
	EXPECT_EQ(1, space_stat(_metadata, self, MEMSLOT_A_STATS_UNHELD_BUDGET));
	EXPECT_LE(3, space_stat(_metadata, self, MEMSLOT_A_STATS_HOLDS_SPEED));
	guest_loop_stop(&self->g);
	for (i = 0; i < SPEED_N; i += 17)
		EXPECT_EQ(GUEST_MMIO, guest_read(&self->g, SPEED_GPA + i * 8 * KB, &v));
	expect_clean(_metadata, self);
}

/* space-set refuses bad values, naming the attribute, and changes nothing. */
TEST_F(atomic, hold_budget_refused)
{
	struct nlc_result r;

	ASSERT_EQ(0, nlc_space_set(&self->c, self->space, 5000, -1, &self->r));
	EXPECT_EQ(-ERANGE, nlc_space_set(&self->c, self->space, 10000001,
					  MEMSLOT_BUDGET_MODE_UNHELD, &self->r));
	EXPECT_EQ(MEMSLOT_A_SPACE_HOLD_BUDGET_US, self->r.bad_attr);
	EXPECT_EQ(-ERANGE, nlc_space_set(&self->c, self->space, 1, 3, &self->r));
	EXPECT_EQ(MEMSLOT_A_SPACE_BUDGET_MODE, self->r.bad_attr);
	EXPECT_EQ(-ENOENT, nlc_space_set(&self->c, self->space + 1000, 1, -1,
					 &self->r));
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &r));
	EXPECT_EQ(5000, r.sp[0].hold_budget_us);
	EXPECT_EQ(MEMSLOT_BUDGET_MODE_SPLIT, r.sp[0].budget_mode);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC), n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (int)strlen(s) ? 0 : -EIO;
}

#define TRACING "/sys/kernel/tracing"

/* The tracepoints report holds and commits with the reply's figures. */
TEST_F(atomic, tracepoints)
{
	char buf[8192], want[128];
	int fd, n;

	if (access(TRACING "/trace", R_OK))
		mount("tracefs", TRACING, "tracefs", 0, NULL);
	if (access(TRACING "/events/memslot", R_OK))
		SKIP(return, "no tracefs with events/memslot");
	ASSERT_EQ(0, start_vm(self, 2));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg); /* 4 ranges */
	ASSERT_EQ(0, write_file(TRACING "/trace", ""));
	ASSERT_EQ(0, write_file(TRACING "/events/memslot/enable", "1"));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, write_file(TRACING "/events/memslot/enable", "0"));
	fd = open(TRACING "/trace", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = 0;
	snprintf(want, sizeof(want), "memslot_hold: space=%u vcpus=2", self->space);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
	snprintf(want, sizeof(want), "memslot_release: space=%u vcpus=2 hold_ns=%llu",
		 self->space, (unsigned long long)self->r.hold_ns);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
	snprintf(want, sizeof(want), "memslot_commit: space=%u generation=%llu ops=5",
		 self->space, (unsigned long long)self->r.generation);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
	/* held whole for correctness (reason 2), in one batch */
	snprintf(want, sizeof(want), "held=2 hold_ns=%llu commit_ns=%llu reason=%u batches=1 err=0",
		 (unsigned long long)self->r.hold_ns,
		 (unsigned long long)self->r.commit_ns,
		 MEMSLOT_HOLD_REASON_CORRECTNESS);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
	EXPECT_EQ(MEMSLOT_HOLD_REASON_CORRECTNESS, self->r.hold_reason);
	EXPECT_EQ(1, self->r.hold_batches);
	EXPECT_EQ(self->r.hold_ns, self->r.hold_ns_max);
}

/*
 * The VMM side of the kill test, in a child: its own socket and space, a
 * running and a halted vCPU, then commits for ever, one byte per commit.
 */
static void vmm_stream(void *arg, int out)
{
	FIXTURE_DATA(atomic) *self = arg;

	int err;

	nlc_close(&self->c);
	err = nlc_open(&self->c);
	if (!err)
		err = nlc_space_new(&self->c, "doomed", &self->r);
	if (err) {
		fprintf(stderr, "# vmm_stream: no space: %d %s\n", err,
			self->r.msg);
		exit(1);
	}
	self->space = self->r.sp[0].id;
	if (start_vm(self, 2) || relayout(self)) {
		fprintf(stderr, "# vmm_stream: setup failed: %s\n", self->r.msg);
		exit(1);
	}
	{
		struct guest_loop l = {
			.base = R_GPA, .len = R_LEN, .a = PAT_A, .b = PAT_B,
			.park_fd = -1,
		};

		guest_loop_start(&self->g, 0, &l);
		l.mode = GUEST_LOOP_HALT;
		guest_loop_start(&self->g, 1, &l);
	}
	while (!relayout(self))
		if (write(out, "c", 1) != 1)
			break;
	fprintf(stderr, "# vmm_stream: commit failed: %d %s\n", self->r.err,
		self->r.msg);
	exit(1);
}

/* Whether KVM still has a VM of @pid (its debugfs directory "pid-fd"). */
static bool kvm_has_vm_of(pid_t pid)
{
	char pat[64];
	glob_t gl;
	bool found;

	snprintf(pat, sizeof(pat), "/sys/kernel/debug/kvm/%d-*", pid);
	found = glob(pat, 0, NULL, &gl) == 0;
	globfree(&gl);
	return found;
}

/*
 * The VMM is killed with SIGKILL in the middle of a stream of commits
 * (vCPUs running and halted): its space, slots and VM go, the module's
 * reference count is back, and the module keeps working.
 */
TEST_F_TIMEOUT(atomic, vmm_killed_mid_stream, 240)
{
	long refcnt = (nlc_flush(), nlc_module_refcnt()); /* earlier teardowns done */
	int status, i;
	pid_t pid;

	pid = child_kill_after(vmm_stream, self, 50, &status);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("child status %#x", status);

	ASSERT_EQ(0, nlc_space_dump(&self->c, &self->r));
	for (i = 0; i < self->r.n; i++)
		EXPECT_NE(pid, self->r.sp[i].owner_pid);
	/* the last thread's exit closed the socket and ended the mm */
	ASSERT_EQ(0, nlc_flush());
	EXPECT_FALSE(kvm_has_vm_of(pid));
	EXPECT_EQ(refcnt, nlc_module_refcnt());

	/* still usable: a new VM, a commit that holds */
	ASSERT_EQ(0, start_vm(self, 1));
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, relayout(self)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(1, self->r.held_vcpus);
}

TEST_HARNESS_MAIN
