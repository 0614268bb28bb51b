// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions on a space bound to a KVM VM, checked as the guest sees
 * them (a vCPU reading and writing guest-physical addresses): adds at the
 * right backing offsets, aliases, read-only ranges, in-place replacement,
 * rollback at every step, rejected input that changes nothing, chunking,
 * one notification per commit, teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "guest.h"
#include "nlclient.h"

#define KB		1024ULL
#define MB		(1024 * KB)
#define BACKING_SIZE	(8 * MB)
#define SLOT_BASE	10
#define RO		MEMSLOT_RANGE_FLAGS_READONLY
#define DIRTY		MEMSLOT_RANGE_FLAGS_DIRTY_LOG
#define FAIL_STEP	"/sys/kernel/debug/memslot/fail_step"

FIXTURE(txn) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	uint32_t space, backing;
	uint32_t *mem;		/* the backing; word i holds i at start */
};

static void setup(struct __test_metadata *_metadata, FIXTURE_DATA(txn) *self,
		  uint32_t slots, uint64_t max_slot_size)
{
	size_t i;
	int err;

	if (nlc_open(&self->c) == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	err = guest_open(&self->g);
	if (err == -ENODEV)
		SKIP(return, "no /dev/kvm");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlc_space_new(&self->c, "txn", &self->r));
	self->space = self->r.sp[0].id;
	ASSERT_EQ(0, nlc_space_bind_max(&self->c, self->space, self->g.vm,
					SLOT_BASE, slots, max_slot_size,
					&self->r));
	self->mem = mmap(NULL, BACKING_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	for (i = 0; i < BACKING_SIZE / 4; i++)
		self->mem[i] = i;
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, self->mem,
				     BACKING_SIZE, &self->r));
	self->backing = self->r.backing_id;
}

FIXTURE_SETUP(txn)
{
	setup(_metadata, self, 16, 0);
}

FIXTURE_TEARDOWN(txn)
{
	nlc_close(&self->c);
	guest_close(&self->g);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, BACKING_SIZE);
}

/* The backing's word at byte offset @off (what the guest should read). */
#define WORD(off) ((uint32_t)((off) / 4))

/* Commit one op; returns the new range id or 0. */
static uint32_t add(FIXTURE_DATA(txn) *self, uint64_t gpa, uint64_t size,
		    uint64_t off, uint32_t flags)
{
	struct nlc_op op = NLC_ADD(gpa, size, self->backing, off, flags);

	if (nlc_txn(&self->c, self->space, &op, 1, &self->r) ||
	    self->r.n_added != 1)
		return 0;
	return self->r.added[0].id;
}

static enum guest_access rd(FIXTURE_DATA(txn) *self, uint64_t gpa,
			    uint32_t *v)
{
	return guest_read(&self->g, gpa, v);
}

static uint64_t generation(FIXTURE_DATA(txn) *self)
{
	struct nlc_result r;

	return nlc_space_get(&self->c, self->space, &r) ? 0 : r.sp[0].generation;
}

/* The layout, for "nothing changed": the range dump and the generation. */
struct view {
	uint64_t gen;
	int n;
	struct nlc_range r[32];
};

static void snap(FIXTURE_DATA(txn) *self, struct view *v)
{
	struct nlc_result r;

	memset(v, 0, sizeof(*v));
	nlc_range_dump(&self->c, self->space, &r);
	v->n = r.n_ranges;
	memcpy(v->r, r.ranges, sizeof(v->r[0]) * (r.n_ranges < 32 ? r.n_ranges : 32));
	v->gen = generation(self);
}

static bool same_view(const struct view *a, const struct view *b)
{
	return a->gen == b->gen && a->n == b->n &&
	       !memcmp(a->r, b->r, sizeof(a->r[0]) * (a->n < 32 ? a->n : 32));
}

TEST_F(txn, add_maps_the_backing_at_its_offset)
{
	uint32_t id, v;

	id = add(self, 1 * MB, 2 * MB, 1 * MB, 0);
	ASSERT_NE(0, id) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(2, self->r.generation);
	EXPECT_EQ(2, generation(self));

	ASSERT_EQ(GUEST_OK, rd(self, 1 * MB + 0x100, &v));
	EXPECT_EQ(WORD(1 * MB + 0x100), v);
	ASSERT_EQ(GUEST_OK, rd(self, 3 * MB - 4, &v));
	EXPECT_EQ(WORD(3 * MB - 4), v);
	/* just outside on both sides: no memory */
	EXPECT_EQ(GUEST_MMIO, rd(self, 1 * MB - 4, &v));
	EXPECT_EQ(GUEST_MMIO, rd(self, 3 * MB, &v));
	/* guest writes land in the backing */
	ASSERT_EQ(GUEST_OK, guest_write(&self->g, 1 * MB + 0x200, 0xdeadbeef));
	EXPECT_EQ(0xdeadbeef, self->mem[WORD(1 * MB + 0x200)]);

	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	ASSERT_EQ(1, self->r.n_ranges);
	EXPECT_EQ(id, self->r.ranges[0].id);
	EXPECT_EQ(1 * MB, self->r.ranges[0].gpa);
	EXPECT_EQ(2 * MB, self->r.ranges[0].size);
	EXPECT_EQ(1 * MB, self->r.ranges[0].offset);
	EXPECT_EQ(1, self->r.ranges[0].slots);
}

TEST_F(txn, aliases_show_the_same_bytes)
{
	uint32_t v;

	ASSERT_NE(0, add(self, 1 * MB, 1 * MB, 0, 0));
	ASSERT_NE(0, add(self, 16 * MB, 1 * MB, 0, 0));
	ASSERT_EQ(GUEST_OK, guest_write(&self->g, 1 * MB + 0x40, 0x5a5a1234));
	ASSERT_EQ(GUEST_OK, rd(self, 16 * MB + 0x40, &v));
	EXPECT_EQ(0x5a5a1234, v);
	EXPECT_EQ(0x5a5a1234, self->mem[WORD(0x40)]);
}

TEST_F(txn, readonly_refuses_guest_writes_until_cleared)
{
	uint32_t id, v;
	struct nlc_op op;

	id = add(self, 1 * MB, 1 * MB, 0, RO);
	ASSERT_NE(0, id);
	ASSERT_EQ(GUEST_OK, rd(self, 1 * MB + 8, &v));
	EXPECT_EQ(WORD(8), v);
	EXPECT_EQ(GUEST_MMIO, guest_write(&self->g, 1 * MB + 8, 7));
	EXPECT_EQ(WORD(8), self->mem[WORD(8)]);

	op = (struct nlc_op)NLC_SET_FLAGS(id, 0);
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, &op, 1, &self->r));
	EXPECT_EQ(GUEST_OK, guest_write(&self->g, 1 * MB + 8, 7));
	EXPECT_EQ(7, self->mem[WORD(8)]);

	/* dirty logging is changed in place; the range keeps working */
	op = (struct nlc_op)NLC_SET_FLAGS(id, DIRTY);
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, &op, 1, &self->r));
	EXPECT_EQ(GUEST_OK, guest_write(&self->g, 1 * MB + 12, 9));
	EXPECT_EQ(9, self->mem[WORD(12)]);
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	EXPECT_EQ(DIRTY, self->r.ranges[0].flags);
}

TEST_F(txn, replace_in_place_and_remove)
{
	uint32_t a, v;
	struct nlc_result r;

	a = add(self, 1 * MB, 2 * MB, 0, 0);
	ASSERT_NE(0, a);
	struct nlc_op split[] = {
		NLC_REMOVE(a),
		NLC_ADD(1 * MB, 1 * MB, self->backing, 0, 0),
		NLC_ADD(2 * MB, 1 * MB, self->backing, 1 * MB, 0),
	};
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, split, 3, &self->r)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(2, self->r.n_added);
	EXPECT_EQ(3, self->r.generation);
	/* the same bytes at the same addresses, now through two ranges */
	ASSERT_EQ(GUEST_OK, rd(self, 1 * MB + 4, &v));
	EXPECT_EQ(WORD(4), v);
	ASSERT_EQ(GUEST_OK, rd(self, 2 * MB + 4, &v));
	EXPECT_EQ(WORD(1 * MB + 4), v);
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &r));
	EXPECT_EQ(2, r.n_ranges);
	EXPECT_EQ(-ENOENT, nlc_txn(&self->c, self->space, &(struct nlc_op)NLC_REMOVE(a), 1, &r));

	struct nlc_op drop = NLC_REMOVE(self->r.added[1].id);
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, &drop, 1, &self->r));
	EXPECT_EQ(GUEST_OK, rd(self, 1 * MB + 4, &v));
	EXPECT_EQ(GUEST_MMIO, rd(self, 2 * MB + 4, &v));
}

static int write_fail_step(int k)
{
	FILE *f = fopen(FAIL_STEP, "w");

	if (!f)
		return -1;
	fprintf(f, "%d\n", k);
	return fclose(f);
}

static int read_fail_step(void)
{
	FILE *f = fopen(FAIL_STEP, "r");
	int k = -1;

	if (f) {
		if (fscanf(f, "%d", &k) != 1)
			k = -1;
		fclose(f);
	}
	return k;
}

/* The guest view of the rollback test's starting layout. */
static void check_start_view(struct __test_metadata *_metadata,
			     FIXTURE_DATA(txn) *self)
{
	uint32_t v;

	ASSERT_EQ(GUEST_OK, rd(self, 1 * MB + 16, &v));
	EXPECT_EQ(WORD(16), v);
	ASSERT_EQ(GUEST_OK, rd(self, 2 * MB + 16, &v));
	EXPECT_EQ(WORD(1 * MB + 16), v);
	EXPECT_EQ(GUEST_MMIO, guest_write(&self->g, 2 * MB + 16, 1));
	EXPECT_EQ(GUEST_MMIO, rd(self, 5 * MB, &v));
}

TEST_F(txn, failure_at_every_step_rolls_back)
{
	struct view before, after;
	uint32_t r1, r2, v;
	int k;

	if (write_fail_step(0))
		SKIP(return, "no " FAIL_STEP " (debugfs)");
	r1 = add(self, 1 * MB, 1 * MB, 0, 0);
	r2 = add(self, 2 * MB, 1 * MB, 1 * MB, RO);
	ASSERT_NE(0, r1);
	ASSERT_NE(0, r2);
	snap(self, &before);
	check_start_view(_metadata, self);

	/* 1 removal + read-only toggle (delete, create) + 2 additions */
	struct nlc_op ops[] = {
		NLC_REMOVE(r1),
		NLC_ADD(1 * MB, 512 * KB, self->backing, 4 * MB, 0),
		NLC_ADD(5 * MB, 1 * MB, self->backing, 0, 0),
		NLC_SET_FLAGS(r2, 0),
	};
	for (k = 1; k <= 5; k++) {
		ASSERT_EQ(0, write_fail_step(k));
		EXPECT_EQ(-ENOMEM, nlc_txn(&self->c, self->space, ops, 4,
					   &self->r)) TH_LOG("step %d", k);
		EXPECT_NE(NULL, strstr(self->r.msg, "KVM error -12")) TH_LOG("step %d: %s", k, self->r.msg);
		EXPECT_EQ(0, read_fail_step());
		snap(self, &after);
		EXPECT_TRUE(same_view(&before, &after)) TH_LOG("step %d", k);
		check_start_view(_metadata, self);
	}
	/* the same transaction, with nothing injected, goes through */
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, ops, 4, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(before.gen + 1, self->r.generation);
	ASSERT_EQ(GUEST_OK, rd(self, 1 * MB + 16, &v));
	EXPECT_EQ(WORD(4 * MB + 16), v);
	EXPECT_EQ(GUEST_MMIO, rd(self, 1 * MB + 512 * KB, &v));
	ASSERT_EQ(GUEST_OK, rd(self, 5 * MB + 16, &v));
	EXPECT_EQ(WORD(16), v);
	EXPECT_EQ(GUEST_OK, guest_write(&self->g, 2 * MB + 16, 1));
}

/* A rejected transaction: its errno, its message, and no change. */
#define REJECT(err, substr, ...) do {					\
	struct nlc_op __ops[] = { __VA_ARGS__ };			\
	struct view __b, __a;						\
									\
	snap(self, &__b);						\
	EXPECT_EQ(err, nlc_txn(&self->c, self->space, __ops,		\
			       sizeof(__ops) / sizeof(__ops[0]), &self->r)); \
	EXPECT_NE(NULL, strstr(self->r.msg, substr))			\
		TH_LOG("wanted \"%s\", got \"%s\"", substr, self->r.msg); \
	snap(self, &__a);						\
	EXPECT_TRUE(same_view(&__b, &__a));				\
} while (0)

TEST_F(txn, bad_input_is_rejected_and_changes_nothing)
{
	uint64_t top = ~0ULL & ~(4 * KB - 1);
	uint32_t keep, v;
	char msg[128];

	keep = add(self, 8 * MB, 1 * MB, 0, 0);
	ASSERT_NE(0, keep);

	REJECT(-EEXIST, "op 1: 0x100000+0x100000 overlaps op 0's range",
	       NLC_ADD(1 * MB, 1 * MB, self->backing, 0, 0),
	       NLC_ADD(1 * MB, 1 * MB, self->backing, 0, 0));
	snprintf(msg, sizeof(msg), "op 0: range 0x801000+0x1000 overlaps range %u (0x800000+0x100000)", keep);
	REJECT(-EEXIST, msg, NLC_ADD(8 * MB + 4 * KB, 4 * KB, self->backing, 0, 0));
	REJECT(-EINVAL, "gpa is not page aligned",
	       NLC_ADD(1 * MB + 1, 4 * KB, self->backing, 0, 0));
	REJECT(-EINVAL, "size is not a page multiple",
	       NLC_ADD(1 * MB, 4 * KB + 1, self->backing, 0, 0));
	REJECT(-EINVAL, "size is zero", NLC_ADD(1 * MB, 0, self->backing, 0, 0));
	REJECT(-EINVAL, "gpa + size overflows",
	       NLC_ADD(top, 8 * KB, self->backing, 0, 0));
	REJECT(-ERANGE, "is beyond backing",
	       NLC_ADD(1 * MB, 2 * MB, self->backing, 7 * MB, 0));
	REJECT(-EINVAL, "offset 0x800 is not page aligned",
	       NLC_ADD(1 * MB, 4 * KB, self->backing, 2 * KB, 0));
	REJECT(-ENOENT, "op 0: no backing 99", NLC_ADD(1 * MB, 4 * KB, 99, 0, 0));
	REJECT(-ENOENT, "op 0: no range 4242", NLC_REMOVE(4242));
	snprintf(msg, sizeof(msg), "op 1: range %u is already removed by op 0", keep);
	REJECT(-EINVAL, msg, NLC_REMOVE(keep), NLC_REMOVE(keep));
	snprintf(msg, sizeof(msg), "op 1: range %u is already changed by op 0", keep);
	REJECT(-EINVAL, msg, NLC_SET_FLAGS(keep, RO), NLC_REMOVE(keep));
	REJECT(-EINVAL, "already has flags", NLC_SET_FLAGS(keep, 0));
	/* unknown flag bits: refused by the op policy, inside the op */
	REJECT(-EINVAL, "", NLC_ADD(1 * MB, 4 * KB, self->backing, 0, 8));
	TH_LOG("flags 8: %s", self->r.msg);
	EXPECT_NE(0, self->r.msg[0]);
	EXPECT_EQ(MEMSLOT_A_OP_FLAGS, self->r.bad_attr);
	/* dma without a VFIO container bound */
	REJECT(-ENOTCONN, "op 0: dma: no VFIO container is bound to space",
	       NLC_ADD(1 * MB, 4 * KB, self->backing, 0, MEMSLOT_RANGE_FLAGS_DMA));
	EXPECT_EQ(MEMSLOT_A_OP_FLAGS, self->r.bad_attr);
	/* a valid op before the bad one is undone too */
	REJECT(-ENOENT, "op 2: no backing 99",
	       NLC_REMOVE(keep),
	       NLC_ADD(1 * MB, 4 * KB, self->backing, 0, 0),
	       NLC_ADD(2 * MB, 4 * KB, 99, 0, 0));
	struct nlc_op many[17];
	int i;

	for (i = 0; i < 17; i++)
		many[i] = (struct nlc_op)NLC_ADD(i * 16 * KB, 4 * KB,
						 self->backing, 0, 0);
	EXPECT_EQ(-ENOSPC, nlc_txn(&self->c, self->space, many, 17, &self->r));
	EXPECT_STREQ("op 15: slot budget: needs 1 slot(s), 0 of 16 free",
		     self->r.msg);
	EXPECT_EQ(-EINVAL, nlc_txn(&self->c, self->space, NULL, 0, &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "1 to 1024 ops"));

	/* the kept range is still there for the guest */
	ASSERT_EQ(GUEST_OK, rd(self, 8 * MB + 4, &v));
	EXPECT_EQ(WORD(4), v);
}

TEST_F(txn, unbound_space_and_other_process)
{
	struct nlc_op op = NLC_ADD(1 * MB, 4 * KB, self->backing, 0, 0);
	uint32_t id;
	pid_t pid;
	int status;

	ASSERT_EQ(0, nlc_space_new(&self->c, "unbound", &self->r));
	id = self->r.sp[0].id;
	ASSERT_EQ(0, nlc_backing_new(&self->c, id, self->mem, 4 * KB, &self->r));
	op.backing_id = self->r.backing_id;
	EXPECT_EQ(-ENOTCONN, nlc_txn(&self->c, id, &op, 1, &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "is not bound to a VM"));

	pid = fork();
	if (!pid) {
		struct nlc_result r;
		struct nlc c;

		op.backing_id = self->backing;
		if (nlc_drop_privileges() || nlc_open(&c))
			_exit(10);
		_exit(nlc_txn(&c, self->space, &op, 1, &r) == -ENOENT ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, generation(self));
}

TEST_F(txn, backings_are_checked_and_kept_while_mapped)
{
	void *hole = mmap(NULL, 8 * KB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	struct nl_msg *msg;
	uint32_t id;

	munmap((char *)hole + 4 * KB, 4 * KB);
	EXPECT_EQ(-EFAULT, nlc_backing_new(&self->c, self->space, hole, 8 * KB,
					   &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "nothing mapped at"));
	EXPECT_EQ(-EINVAL, nlc_backing_new(&self->c, self->space,
					   (char *)self->mem + 1, 4 * KB, &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "not page aligned"));
	munmap(hole, 4 * KB);

	id = add(self, 1 * MB, 4 * KB, 0, 0);
	ASSERT_NE(0, id);
	msg = nlc_msg(&self->c, MEMSLOT_CMD_BACKING_DEL, 0);
	nla_put_u32(msg, MEMSLOT_A_BACKING_SPACE_ID, self->space);
	nla_put_u32(msg, MEMSLOT_A_BACKING_ID, self->backing);
	EXPECT_EQ(-EBUSY, nlc_xfer(&self->c, msg, &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "is mapped by 1 range(s)"));
}

static int get_one(FIXTURE_DATA(txn) *self, uint8_t cmd, int space_attr,
		   int id_attr, uint32_t id)
{
	struct nl_msg *msg = nlc_msg(&self->c, cmd, 0);

	nla_put_u32(msg, space_attr, self->space);
	nla_put_u32(msg, id_attr, id);
	return nlc_xfer(&self->c, msg, &self->r);
}

TEST_F(txn, get_one_range_and_one_backing)
{
	uint32_t id = add(self, 3 * MB, 64 * KB, 128 * KB, DIRTY);

	ASSERT_NE(0, id);
	ASSERT_EQ(0, get_one(self, MEMSLOT_CMD_RANGE_GET, MEMSLOT_A_RANGE_SPACE_ID,
			     MEMSLOT_A_RANGE_ID, id));
	ASSERT_EQ(1, self->r.n_ranges);
	EXPECT_EQ(3 * MB, self->r.ranges[0].gpa);
	EXPECT_EQ(64 * KB, self->r.ranges[0].size);
	EXPECT_EQ(128 * KB, self->r.ranges[0].offset);
	EXPECT_EQ(self->backing, self->r.ranges[0].backing_id);
	EXPECT_EQ(DIRTY, self->r.ranges[0].flags);
	EXPECT_EQ(-ENOENT, get_one(self, MEMSLOT_CMD_RANGE_GET,
				   MEMSLOT_A_RANGE_SPACE_ID, MEMSLOT_A_RANGE_ID,
				   id + 100));
	EXPECT_NE(NULL, strstr(self->r.msg, "no range"));
	EXPECT_EQ(MEMSLOT_A_RANGE_ID, self->r.bad_attr);

	ASSERT_EQ(0, get_one(self, MEMSLOT_CMD_BACKING_GET,
			     MEMSLOT_A_BACKING_SPACE_ID, MEMSLOT_A_BACKING_ID,
			     self->backing));
	EXPECT_EQ(self->backing, self->r.backing_id);
	EXPECT_EQ(-ENOENT, get_one(self, MEMSLOT_CMD_BACKING_GET,
				   MEMSLOT_A_BACKING_SPACE_ID,
				   MEMSLOT_A_BACKING_ID, 77));
	EXPECT_NE(NULL, strstr(self->r.msg, "no backing 77"));
}

TEST_F(txn, closing_the_socket_unmaps_everything)
{
	uint32_t v;

	ASSERT_NE(0, add(self, 1 * MB, 1 * MB, 0, 0));
	ASSERT_EQ(GUEST_OK, rd(self, 1 * MB, &v));
	nlc_close(&self->c);
	ASSERT_EQ(0, nlc_flush());
	EXPECT_EQ(GUEST_MMIO, rd(self, 1 * MB, &v));
	/* the VMM's own slot was never ours to touch */
	EXPECT_EQ(GUEST_OK, rd(self, GUEST_CODE_GPA, &v));
}

TEST_F(txn, one_event_per_commit_with_the_diff)
{
	struct nlc listener;
	struct nlc_result ev;
	uint32_t a;

	if (geteuid())
		SKIP(return, "joining the events group needs CAP_NET_ADMIN");
	ASSERT_EQ(0, nlc_open(&listener));
	ASSERT_EQ(0, nlc_join_events(&listener));

	a = add(self, 1 * MB, 1 * MB, 0, 0);
	ASSERT_NE(0, a);
	ASSERT_EQ(1, nlc_read_events(&listener, &ev));
	EXPECT_EQ(MEMSLOT_CMD_COMMIT_NTF, ev.cmd[0]);
	EXPECT_EQ(2, ev.generation);
	ASSERT_EQ(1, ev.n_added);
	EXPECT_EQ(a, ev.added[0].id);
	EXPECT_EQ(1 * MB, ev.added[0].gpa);
	EXPECT_EQ(0, ev.n_removed);
	EXPECT_FALSE(ev.diff_truncated);

	struct nlc_op ops[] = {
		NLC_REMOVE(a),
		NLC_ADD(4 * MB, 4 * KB, self->backing, 8 * KB, RO),
	};
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, ops, 2, &self->r));
	ASSERT_EQ(1, nlc_read_events(&listener, &ev));
	EXPECT_EQ(3, ev.generation);
	ASSERT_EQ(1, ev.n_removed);
	EXPECT_EQ(a, ev.removed[0].id);
	ASSERT_EQ(1, ev.n_added);
	EXPECT_EQ(8 * KB, ev.added[0].offset);
	EXPECT_EQ(RO, ev.added[0].flags);

	struct nlc_op dirty = NLC_SET_FLAGS(ev.added[0].id, DIRTY);

	ASSERT_EQ(0, nlc_txn(&self->c, self->space, &dirty, 1, &self->r));
	/* rejected: no event */
	EXPECT_EQ(-EINVAL, nlc_txn(&self->c, self->space, &dirty, 1, &self->r));
	ASSERT_EQ(1, nlc_read_events(&listener, &ev));
	EXPECT_EQ(4, ev.generation);
	ASSERT_EQ(1, ev.n_changed);
	EXPECT_EQ(DIRTY, ev.changed[0].flags);
	nlc_close(&listener);
}

/* With a 1 MiB slot limit, ranges are cut into 1 MiB slots. */
FIXTURE(chunk) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	uint32_t space, backing;
	uint32_t *mem;
};

FIXTURE_SETUP(chunk)
{
	setup(_metadata, (FIXTURE_DATA(txn) *)self, 6, 1 * MB);
}

FIXTURE_TEARDOWN(chunk)
{
	nlc_close(&self->c);
	guest_close(&self->g);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, BACKING_SIZE);
}

TEST_F(chunk, five_mib_range_uses_five_slots)
{
	FIXTURE_DATA(txn) *t = (FIXTURE_DATA(txn) *)self;
	uint32_t big, v;
	uint64_t off;
	struct nlc_op op = NLC_ADD(16 * MB, 2 * MB, self->backing, 0, 0);

	big = add(t, 1 * MB, 5 * MB, 1 * MB, 0);
	ASSERT_NE(0, big) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	ASSERT_EQ(1, self->r.n_ranges);
	EXPECT_EQ(5, self->r.ranges[0].slots);
	EXPECT_EQ(5 * MB, self->r.ranges[0].size);
	/* every chunk maps the right part of the backing */
	for (off = 0; off < 5 * MB; off += 1 * MB - 4) {
		ASSERT_EQ(GUEST_OK, rd(t, 1 * MB + off, &v));
		EXPECT_EQ(WORD(1 * MB + off), v);
	}
	/* one slot is left of 6 */
	EXPECT_EQ(-ENOSPC, nlc_txn(&self->c, self->space, &op, 1, &self->r));
	EXPECT_STREQ("op 0: slot budget: needs 2 slot(s), 1 of 6 free",
		     self->r.msg);
	/* removing the range frees all five */
	struct nlc_op swap[] = {
		NLC_REMOVE(big),
		NLC_ADD(16 * MB, 6 * MB, self->backing, 0, 0),
	};
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, swap, 2, &self->r)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	ASSERT_EQ(1, self->r.n_ranges);
	EXPECT_EQ(6, self->r.ranges[0].slots);
	EXPECT_EQ(GUEST_MMIO, rd(t, 1 * MB, &v));
	ASSERT_EQ(GUEST_OK, rd(t, 21 * MB + 8, &v));
	EXPECT_EQ(WORD(5 * MB + 8), v);
}

/* Staged transactions: larger than a message, still all or nothing. */
FIXTURE(staged) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	uint32_t space, backing;
	uint32_t *mem;
};

FIXTURE_SETUP(staged)
{
	setup(_metadata, (FIXTURE_DATA(txn) *)self, 4000, 0);
}

FIXTURE_TEARDOWN(staged)
{
	nlc_close(&self->c);
	guest_close(&self->g);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, BACKING_SIZE);
}

#define STAGED_OPS	3000
#define STAGED_GPA(i)	(64 * MB + (uint64_t)(i) * 8 * KB)

static int stage(FIXTURE_DATA(staged) *self, uint8_t cmd,
		 const struct nlc_op *ops, int n)
{
	return nlc_txn_cmd(&self->c, cmd, self->space, ops, n,
			   cmd == MEMSLOT_CMD_TXN_COMMIT, &self->r);
}

/* Append STAGED_OPS adds, 500 a message; @bad: make one overlap op 0. */
static int stage_adds(FIXTURE_DATA(staged) *self, bool bad)
{
	static struct nlc_op ops[STAGED_OPS];
	int i, err = 0;

	for (i = 0; i < STAGED_OPS; i++)
		ops[i] = (struct nlc_op)NLC_ADD(STAGED_GPA(i), 4 * KB,
						self->backing,
						(i % 2048) * 4 * KB, 0);
	if (bad)
		ops[STAGED_OPS - 100].gpa = STAGED_GPA(0);
	for (i = 0; i < STAGED_OPS && !err; i += 500)
		err = stage(self, MEMSLOT_CMD_TXN_APPEND, ops + i,
			    STAGED_OPS - i < 500 ? STAGED_OPS - i : 500);
	return err;
}

/* thousands of ops: minutes on the debug kernel under TCG */
TEST_F_TIMEOUT(staged, three_thousand_ops_in_one_commit, 300)
{
	struct nlc listener;
	struct nlc_result ev;
	uint32_t v;

	ASSERT_EQ(0, nlc_open(&listener));
	if (!geteuid())
		ASSERT_EQ(0, nlc_join_events(&listener));
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_OPEN, NULL, 0));
	ASSERT_EQ(0, stage_adds(self, false)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(STAGED_OPS, self->r.n_ops);
	/* nothing is visible before the commit */
	EXPECT_EQ(GUEST_MMIO, guest_read(&self->g, STAGED_GPA(0), &v));
	EXPECT_EQ(1, generation((FIXTURE_DATA(txn) *)self));

	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_COMMIT, NULL, 0)) TH_LOG("commit: %s", self->r.msg);
	EXPECT_EQ(2, self->r.generation);
	EXPECT_EQ(STAGED_OPS, self->r.n_added);
	ASSERT_EQ(GUEST_OK, guest_read(&self->g, STAGED_GPA(STAGED_OPS - 1) + 16, &v));
	EXPECT_EQ(WORD(((STAGED_OPS - 1) % 2048) * 4 * KB + 16), v);
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	EXPECT_EQ(STAGED_OPS, self->r.n_ranges);
	EXPECT_FALSE(self->r.dump_intr);
	if (!geteuid()) {
		/* one event; too big a diff is left out, the layout dumped */
		ASSERT_EQ(1, nlc_read_events(&listener, &ev));
		EXPECT_EQ(2, ev.generation);
		EXPECT_TRUE(ev.diff_truncated);
		EXPECT_EQ(0, ev.n_added);
	}
	/* the commit ended the staged transaction */
	EXPECT_EQ(-ENOENT, stage(self, MEMSLOT_CMD_TXN_COMMIT, NULL, 0));
	EXPECT_NE(NULL, strstr(self->r.msg, "no staged transaction open"));
	nlc_close(&listener);
}

/*
 * Dump the ranges from an administrator's socket one datagram at a time;
 * with @change, commit a transaction after the first. Returns whether the
 * dump came back flagged NLM_F_DUMP_INTR, or -1.
 */
static int range_dump_intr(FIXTURE_DATA(staged) *self, bool change)
{
	static char buf[1 << 16];
	struct nlc admin;
	struct nl_msg *msg;
	int intr = 0, chunks = 0, done = 0, fd;
	struct nlc_op op = NLC_ADD(1 * MB, 4 * KB, self->backing, 0, 0);
	struct nlc_result r;

	if (nlc_open(&admin))
		return -1;
	fd = nl_socket_get_fd(admin.sk);
	msg = nlc_msg(&admin, MEMSLOT_CMD_RANGE_GET, NLM_F_DUMP);
	nla_put_u32(msg, MEMSLOT_A_RANGE_SPACE_ID, self->space);
	if (nl_send_auto(admin.sk, msg) < 0)
		return -1;
	nlmsg_free(msg);
	while (!done) {
		int len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		if (len <= 0)
			return -1;
		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			intr |= !!(nlh->nlmsg_flags & NLM_F_DUMP_INTR);
			done |= nlh->nlmsg_type == NLMSG_DONE ||
				nlh->nlmsg_type == NLMSG_ERROR;
		}
		if (chunks++ == 0 && change &&
		    nlc_txn(&self->c, self->space, &op, 1, &r))
			return -1;
	}
	nlc_close(&admin);
	return chunks > 2 ? intr : -1;
}

TEST_F_TIMEOUT(staged, range_dump_across_a_commit_is_flagged, 300)
{
	if (geteuid())
		SKIP(return, "dumping another socket's space needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_OPEN, NULL, 0));
	ASSERT_EQ(0, stage_adds(self, false));
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_COMMIT, NULL, 0));
	EXPECT_EQ(0, range_dump_intr(self, false));
	EXPECT_EQ(1, range_dump_intr(self, true));
}

TEST_F(staged, a_bad_op_anywhere_changes_nothing)
{
	uint32_t v;

	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_OPEN, NULL, 0));
	ASSERT_EQ(0, stage_adds(self, true));
	EXPECT_EQ(-EEXIST, stage(self, MEMSLOT_CMD_TXN_COMMIT, NULL, 0));
	EXPECT_STREQ("op 2900: 0x4000000+0x1000 overlaps op 0's range (0x4000000+0x1000)",
		     self->r.msg);
	/* no offset: the op is not in the commit message */
	EXPECT_EQ(0, self->r.bad_attr);
	EXPECT_EQ(1, generation((FIXTURE_DATA(txn) *)self));
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	EXPECT_EQ(0, self->r.n_ranges);
	EXPECT_EQ(GUEST_MMIO, guest_read(&self->g, STAGED_GPA(0), &v));
	EXPECT_EQ(-ENOENT, stage(self, MEMSLOT_CMD_TXN_COMMIT, NULL, 0));
}

TEST_F(staged, open_append_abort_rules)
{
	struct nlc_op op = NLC_ADD(1 * MB, 4 * KB, self->backing, 0, 0);
	uint32_t v;

	EXPECT_EQ(-ENOENT, stage(self, MEMSLOT_CMD_TXN_APPEND, &op, 1));
	EXPECT_NE(NULL, strstr(self->r.msg, "no staged transaction open"));
	EXPECT_EQ(-ENOENT, stage(self, MEMSLOT_CMD_TXN_ABORT, NULL, 0));
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_OPEN, NULL, 0));
	EXPECT_EQ(-EBUSY, stage(self, MEMSLOT_CMD_TXN_OPEN, NULL, 0));
	EXPECT_NE(NULL, strstr(self->r.msg, "already has a staged transaction"));
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_APPEND, &op, 1));
	EXPECT_EQ(1, self->r.n_ops);
	/* a staged commit takes no ops of its own */
	EXPECT_EQ(-EINVAL, nlc_txn_cmd(&self->c, MEMSLOT_CMD_TXN_COMMIT,
				       self->space, &op, 1, true, &self->r));
	EXPECT_STREQ("a staged commit carries no ops", self->r.msg);
	/* abort: nothing happened (not even an event), and it is gone */
	struct nlc listener;
	struct nlc_result ev;

	ASSERT_EQ(0, nlc_open(&listener));
	if (!geteuid())
		ASSERT_EQ(0, nlc_join_events(&listener));
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_ABORT, NULL, 0));
	EXPECT_EQ(0, nlc_read_events(&listener, &ev));
	nlc_close(&listener);
	EXPECT_EQ(-ENOENT, stage(self, MEMSLOT_CMD_TXN_COMMIT, NULL, 0));
	EXPECT_EQ(GUEST_MMIO, guest_read(&self->g, 1 * MB, &v));
	EXPECT_EQ(1, generation((FIXTURE_DATA(txn) *)self));
	/* a staged transaction left open goes with its socket */
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_OPEN, NULL, 0));
	ASSERT_EQ(0, stage(self, MEMSLOT_CMD_TXN_APPEND, &op, 1));
	nlc_close(&self->c);
	EXPECT_EQ(GUEST_MMIO, guest_read(&self->g, 1 * MB, &v));
	ASSERT_EQ(0, nlc_open(&self->c));
	EXPECT_EQ(-ENOENT, nlc_space_get(&self->c, self->space, &self->r));
}

TEST_HARNESS_MAIN
