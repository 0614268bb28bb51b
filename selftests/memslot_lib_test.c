// SPDX-License-Identifier: GPL-2.0
/*
 * libmemslot and memslotctl: the library's calls and error reporting
 * (negative errno, the kernel's extack message, the attribute it names),
 * and the CLI's text and JSON output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "guest.h"
#include "libmemslot.h"
#include <sys/mman.h>

FIXTURE(lib) {
	struct memslot *ms;
};

FIXTURE_SETUP(lib)
{
	int err = memslot_open(&self->ms);

	if (err == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(lib)
{
	memslot_close(self->ms);
}

static int count_id(const struct memslot_space *s, void *arg)
{
	uint32_t *want = arg;

	if (memslot_space_id(s) == want[0])
		want[1]++;
	return 0;
}

static int stop_early(const struct memslot_space *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 42;
}

TEST_F(lib, space_lifecycle)
{
	struct memslot_space *s;
	uint32_t id, want[2];

	ASSERT_EQ(0, memslot_space_new(self->ms, "lib", &id));
	ASSERT_EQ(0, memslot_space_get(self->ms, id, &s));
	EXPECT_EQ(id, memslot_space_id(s));
	EXPECT_STREQ("lib", memslot_space_name(s));
	EXPECT_EQ((uint32_t)getpid(), memslot_space_owner_pid(s));
	EXPECT_EQ(1, memslot_space_generation(s));
	memslot_space_free(s);

	want[0] = id;
	want[1] = 0;
	ASSERT_EQ(0, memslot_space_foreach(self->ms, count_id, want));
	EXPECT_EQ(1, want[1]);
	ASSERT_EQ(0, memslot_space_del(self->ms, id));
	want[1] = 0;
	ASSERT_EQ(0, memslot_space_foreach(self->ms, count_id, want));
	EXPECT_EQ(0, want[1]);
}

TEST_F(lib, callback_stops_walk_and_socket_stays_usable)
{
	uint32_t id;
	int calls = 0, i;

	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, memslot_space_new(self->ms, NULL, &id));
	EXPECT_EQ(42, memslot_space_foreach(self->ms, stop_early, &calls));
	EXPECT_EQ(1, calls);
	/* the rest of the dump was drained: the next request works */
	ASSERT_EQ(0, memslot_space_del(self->ms, id));
}

TEST_F(lib, errors_carry_extack_and_attribute)
{
	struct memslot_space *s;

	EXPECT_EQ(-ENOENT, memslot_space_get(self->ms, 0x7ffffffe, &s));
	EXPECT_EQ(NULL, s);
	EXPECT_STREQ("space 2147483646: no such space for this socket",
		     memslot_errmsg(self->ms));
	EXPECT_STREQ("MEMSLOT_A_SPACE_ID", memslot_err_attr_name(self->ms));

	EXPECT_EQ(-ERANGE, memslot_space_del(self->ms, 0));
	EXPECT_NE(0, memslot_errmsg(self->ms)[0]);
	EXPECT_STREQ("MEMSLOT_A_SPACE_ID", memslot_err_attr_name(self->ms));

	/* checked before sending */
	EXPECT_EQ(-ENAMETOOLONG,
		  memslot_space_new(self->ms, "0123456789012345678901234567890123", NULL));
	/* a success clears the last error */
	ASSERT_EQ(0, memslot_space_new(self->ms, NULL, NULL));
	EXPECT_STREQ("", memslot_errmsg(self->ms));
}

static FILE *ctl(const char *args, const char *batch);
static char *slurp(FILE *f);
static FILE *start_monitor(const char *opts);

static int count_range(const struct memslot_range *r, void *arg)
{
	uint64_t *sum = arg;

	sum[0]++;
	sum[1] += memslot_range_size(r);
	return 0;
}

/* memslotctl (root: an administrator) lists another process's ranges. */
static void check_ctl_ranges(struct __test_metadata *_metadata, uint32_t space,
			     uint32_t last, uint32_t backing)
{
	char args[64], *out, want[160];
	int lines = 0;

	snprintf(args, sizeof(args), "range list %u", space);
	out = slurp(ctl(args, NULL));
	for (char *p = out; (p = strstr(p, "range ")); p++)
		lines++;
	EXPECT_EQ(300, lines) TH_LOG("%.200s", out);
	snprintf(want, sizeof(want), "range %u gpa 0x%llx size 0x1000 backing %u offset 0x0 slots 1\n",
		 last, (64ULL << 20) + 299 * 8192, backing);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%.300s", out);
	snprintf(args, sizeof(args), "-j range list %u", space);
	out = slurp(ctl(args, NULL));
	snprintf(want, sizeof(want), "{\"id\":%u,\"gpa\":%llu,\"size\":4096,\"backing\":%u,\"offset\":0,\"readonly\":false,\"dirty_log\":false,\"dma\":false,\"slots\":1}]",
		 last, (64ULL << 20) + 299 * 8192, backing);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%.300s", out);
}

static void check_ctl_backings(struct __test_metadata *_metadata,
			       uint32_t space, uint32_t backing, void *mem)
{
	char args[64], *out, want[160];

	snprintf(args, sizeof(args), "backing list %u", space);
	out = slurp(ctl(args, NULL));
	snprintf(want, sizeof(want), "backing %u addr %p size 0x100000 name ram\nrc=0\n",
		 backing, mem);
	EXPECT_STREQ(want, out);
	snprintf(args, sizeof(args), "-j backing list %u", space);
	out = slurp(ctl(args, NULL));
	snprintf(want, sizeof(want),
		 "[{\"id\":%u,\"addr\":%llu,\"size\":1048576,\"name\":\"ram\"}]\nrc=0\n",
		 backing, (unsigned long long)(uintptr_t)mem);
	EXPECT_STREQ(want, out);
}

/* A VM and @len bytes of anonymous memory, or skip where there is no KVM. */
#define OPEN_VM_AND_MEM(g, mem, len) do {					\
	int __err = guest_open(g);						\
										\
	if (__err == -ENODEV)							\
		SKIP(return, "no /dev/kvm");					\
	ASSERT_EQ(0, __err);							\
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,				\
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);				\
	ASSERT_NE(MAP_FAILED, mem);						\
} while (0)

TEST_F(lib, transactions_small_and_staged)
{
	uint32_t space, backing, first, ids[300];
	struct memslot_txn *t;
	struct guest g;
	uint64_t sum[2] = { 0 };
	void *mem;
	int i;

	OPEN_VM_AND_MEM(&g, mem, 1 << 20);
	ASSERT_EQ(0, memslot_space_new(self->ms, "lib-txn", &space));
	ASSERT_EQ(0, memslot_space_bind(self->ms, space, g.vm, 10, 400, 0, 0)) TH_LOG("%s", memslot_errmsg(self->ms));
	ASSERT_EQ(0, memslot_backing_new(self->ms, space, mem, 1 << 20, "ram",
					 &backing));

	/* one message */
	t = memslot_txn_begin(self->ms, space);
	ASSERT_EQ(0, memslot_txn_add(t, 1 << 20, 1 << 20, backing, 0,
				     MEMSLOT_RANGE_READONLY));
	ASSERT_EQ(0, memslot_txn_commit(t)) TH_LOG("%s", memslot_errmsg(self->ms));
	EXPECT_EQ(2, memslot_txn_generation(t));
	first = memslot_txn_added_id(t, 0);
	EXPECT_NE(0, first);
	EXPECT_EQ(-EALREADY, memslot_txn_commit(t));
	memslot_txn_free(t);

	/* 301 ops: staged behind the caller's back, still one commit */
	t = memslot_txn_begin(self->ms, space);
	ASSERT_EQ(0, memslot_txn_remove(t, first));
	for (i = 0; i < 300; i++)
		ASSERT_EQ(0, memslot_txn_add(t, (64ULL << 20) + i * 8192, 4096,
					     backing, 0, 0));
	ASSERT_EQ(0, memslot_txn_commit(t)) TH_LOG("%s", memslot_errmsg(self->ms));
	EXPECT_EQ(3, memslot_txn_generation(t));
	for (i = 0; i < 300; i++)
		ids[i] = memslot_txn_added_id(t, i);
	EXPECT_NE(0, ids[299]);
	EXPECT_NE(ids[0], ids[299]);
	memslot_txn_free(t);
	ASSERT_EQ(0, memslot_range_foreach(self->ms, space, count_range, sum));
	EXPECT_EQ(300, sum[0]);
	EXPECT_EQ(300 * 4096, sum[1]);

	/* a staged failure names the op, and changes nothing */
	t = memslot_txn_begin(self->ms, space);
	for (i = 0; i < 299; i++)
		ASSERT_EQ(0, memslot_txn_remove(t, ids[i]));
	ASSERT_EQ(0, memslot_txn_add(t, (64ULL << 20) + 299 * 8192, 4096, backing, 0, 0));
	EXPECT_EQ(-EEXIST, memslot_txn_commit(t));
	EXPECT_EQ(299, memslot_err_op(self->ms)) TH_LOG("%s", memslot_errmsg(self->ms));
	memslot_txn_free(t);
	sum[0] = sum[1] = 0;
	ASSERT_EQ(0, memslot_range_foreach(self->ms, space, count_range, sum));
	EXPECT_EQ(300, sum[0]);

	check_ctl_ranges(_metadata, space, ids[299], backing);
	check_ctl_backings(_metadata, space, backing, mem);

	ASSERT_EQ(-EBUSY, memslot_backing_del(self->ms, space, backing));
	EXPECT_NE(NULL, strstr(memslot_errmsg(self->ms), "is mapped by 300"));
	ASSERT_EQ(0, memslot_space_del(self->ms, space));
	guest_close(&g);
	munmap(mem, 1 << 20);
}

struct slot_walk {
	uint32_t range, slots[8];
	int n;
};

static int range_slots(const struct memslot_range *r, void *arg)
{
	struct slot_walk *w = arg;

	if (memslot_range_id(r) != w->range)
		return 0;
	while (w->n < 8 && !memslot_range_slot_id(r, w->n, &w->slots[w->n]))
		w->n++;
	return 0;
}

/*
 * A bind with MEMSLOT_BIND_DIRTY_MANUAL is reported by memslot_space_get;
 * a commit asked for slot ids gives the added range's KVM slots, the same
 * the range walk gives; not asked, it gives none.
 */
TEST_F(lib, dirty_mode_and_commit_slot_ids)
{
	struct slot_walk w = { 0 };
	struct memslot_space *sp;
	struct memslot_txn *t;
	uint32_t space, backing, slot;
	struct guest g;
	void *mem;
	int i;

	OPEN_VM_AND_MEM(&g, mem, 1 << 20);
	ASSERT_EQ(0, memslot_space_new(self->ms, "lib-slots", &space));
	EXPECT_EQ(-EINVAL, memslot_space_bind_flags(self->ms, space, g.vm, 10, 8,
						    0, 256 << 10, 8));
	ASSERT_EQ(0, memslot_space_bind_flags(self->ms, space, g.vm, 10, 8, 0,
					      256 << 10,
					      MEMSLOT_BIND_DIRTY_MANUAL))
		TH_LOG("%s", memslot_errmsg(self->ms));
	ASSERT_EQ(0, memslot_space_get(self->ms, space, &sp));
	EXPECT_EQ(MEMSLOT_BIND_DIRTY_MANUAL, memslot_space_dirty_protect(sp));
	memslot_space_free(sp);
	ASSERT_EQ(0, memslot_backing_new(self->ms, space, mem, 1 << 20, "ram",
					 &backing));

	t = memslot_txn_begin(self->ms, space);
	ASSERT_EQ(0, memslot_txn_add(t, 1 << 20, 1 << 20, backing, 0,
				     MEMSLOT_RANGE_DIRTY_LOG));
	ASSERT_EQ(0, memslot_txn_want_slot_ids(t));
	ASSERT_EQ(0, memslot_txn_commit(t)) TH_LOG("%s", memslot_errmsg(self->ms));
	EXPECT_EQ(-EALREADY, memslot_txn_want_slot_ids(t));
	w.range = memslot_txn_added_id(t, 0);
	ASSERT_EQ(0, memslot_range_foreach(self->ms, space, range_slots, &w));
	ASSERT_EQ(4, w.n); /* 1 MiB in 256 KiB slots */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, memslot_txn_added_slot_id(t, 0, i, &slot));
		EXPECT_EQ(w.slots[i], slot);
	}
	EXPECT_EQ(-ENOENT, memslot_txn_added_slot_id(t, 0, 4, &slot));
	EXPECT_EQ(-ENOENT, memslot_txn_added_slot_id(t, 1, 0, &slot));
	memslot_txn_free(t);

	t = memslot_txn_begin(self->ms, space);
	ASSERT_EQ(0, memslot_txn_add(t, 4 << 20, 4096, backing, 0, 0));
	ASSERT_EQ(0, memslot_txn_commit(t));
	EXPECT_EQ(-ENOENT, memslot_txn_added_slot_id(t, 0, 0, &slot));
	memslot_txn_free(t);
	ASSERT_EQ(0, memslot_space_del(self->ms, space));
	guest_close(&g);
	munmap(mem, 1 << 20);
}

/* A space bound to @vm at @slot_base with one backing @name of @size. */
static uint32_t dest_space(struct memslot *ms, int vm, uint32_t slot_base,
			   const char *name, void *mem, uint64_t size)
{
	uint32_t space, b;

	if (memslot_space_new(ms, "dest", &space) ||
	    memslot_space_bind(ms, space, vm, slot_base, 16, 0, 0) ||
	    memslot_backing_new(ms, space, mem, size, name, &b))
		return 0;
	return space;
}

static int count_range_flags(const struct memslot_range *r, void *arg)
{
	uint64_t *sum = arg;

	sum[0]++;
	sum[1] += memslot_range_gpa(r) + memslot_range_size(r) +
		  memslot_range_offset(r) + memslot_range_flags(r);
	return 0;
}

/*
 * Export keeps the migratable part of a layout (not the ROM backing and
 * its range); import rebuilds it on another VM's space in one commit, and
 * refuses a destination whose backing is missing or of another size, or
 * that has ranges already, changing nothing.
 */
TEST_F(lib, layout_export_import_rebuilds_the_migratable_part)
{
	static const char want[] =
		"memslot-layout 1\n"
		"backing ram0 0x100000\n"
		"range 0x100000 0x80000 ram0 0x0 0x1\n"
		"range 0x200000 0x40000 ram0 0x80000 0x2\n";
	uint64_t src_sum[2] = { 0 }, dst_sum[2] = { 0 };
	uint32_t space, ram, rom, d;
	struct memslot_txn *t;
	struct guest g1, g2;
	char *text, args[64];
	void *mem;
	int err;

	err = guest_open(&g1);
	if (err == -ENODEV)
		SKIP(return, "no /dev/kvm");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, guest_open(&g2));
	mem = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, memslot_space_new(self->ms, "src", &space));
	ASSERT_EQ(0, memslot_space_bind(self->ms, space, g1.vm, 10, 16, 0, 0));
	ASSERT_EQ(0, memslot_backing_new(self->ms, space, mem, 1 << 20, "ram0", &ram));
	ASSERT_EQ(0, memslot_backing_new_flags(self->ms, space, (char *)mem + (1 << 20),
					       1 << 16, "rom",
					       MEMSLOT_BACKING_NO_MIGRATE, &rom));
	EXPECT_EQ(-EINVAL, memslot_backing_new_flags(self->ms, space, mem, 4096,
						     "x", 2, &rom));
	t = memslot_txn_begin(self->ms, space);
	ASSERT_EQ(0, memslot_txn_add(t, 1 << 20, 512 << 10, ram, 0, MEMSLOT_RANGE_DIRTY_LOG));
	ASSERT_EQ(0, memslot_txn_add(t, 2 << 20, 256 << 10, ram, 512 << 10, MEMSLOT_RANGE_READONLY));
	ASSERT_EQ(0, memslot_txn_add(t, 4 << 20, 1 << 16, rom, 0, MEMSLOT_RANGE_READONLY));
	ASSERT_EQ(0, memslot_txn_commit(t)) TH_LOG("%s", memslot_errmsg(self->ms));
	memslot_txn_free(t);

	ASSERT_EQ(0, memslot_layout_export(self->ms, space, &text)) TH_LOG("%s", memslot_errmsg(self->ms));
	EXPECT_STREQ(want, text);
	snprintf(args, sizeof(args), "-j space export %u", space);
	EXPECT_STREQ("{\"version\":1,\"objects\":[{\"type\":\"backing\",\"name\":\"ram0\",\"size\":1048576},"
		     "{\"type\":\"range\",\"gpa\":1048576,\"size\":524288,\"backing\":\"ram0\",\"offset\":0,\"flags\":1},"
		     "{\"type\":\"range\",\"gpa\":2097152,\"size\":262144,\"backing\":\"ram0\",\"offset\":524288,\"flags\":2}]}\nrc=0\n",
		     slurp(ctl(args, NULL)));

	/* a backing of another size, a missing one: refused, nothing added */
	d = dest_space(self->ms, g2.vm, 40, "ram0", (char *)mem + (2 << 20), 512 << 10);
	ASSERT_NE(0, d);
	EXPECT_EQ(-EINVAL, memslot_layout_import(self->ms, d, text));
	EXPECT_NE(NULL, strstr(memslot_errmsg(self->ms), "backing ram0: 0x80000 bytes in space")) TH_LOG("%s", memslot_errmsg(self->ms));
	ASSERT_EQ(0, memslot_range_foreach(self->ms, d, count_range_flags, dst_sum));
	EXPECT_EQ(0, dst_sum[0]);
	d = dest_space(self->ms, g2.vm, 60, "ram1", (char *)mem + (2 << 20), 1 << 20);
	ASSERT_NE(0, d);
	EXPECT_EQ(-ENOENT, memslot_layout_import(self->ms, d, text));
	EXPECT_NE(NULL, strstr(memslot_errmsg(self->ms), "backing ram0: not in space"));
	EXPECT_EQ(-EINVAL, memslot_layout_import(self->ms, d, "memslot-layout 9\n"));
	EXPECT_NE(NULL, strstr(memslot_errmsg(self->ms), "line 1:"));

	/* the right destination: the same layout, in one commit */
	d = dest_space(self->ms, g2.vm, 20, "ram0", (char *)mem + (2 << 20), 1 << 20);
	ASSERT_NE(0, d);
	ASSERT_EQ(0, memslot_layout_import(self->ms, d, text)) TH_LOG("%s", memslot_errmsg(self->ms));
	ASSERT_EQ(0, memslot_range_foreach(self->ms, d, count_range_flags, dst_sum));
	src_sum[0] = src_sum[1] = 0;
	/* the source without its ROM range */
	ASSERT_EQ(0, memslot_range_foreach(self->ms, space, count_range_flags, src_sum));
	EXPECT_EQ(2, dst_sum[0]);
	EXPECT_EQ(src_sum[1] - ((4 << 20) + (1 << 16) + MEMSLOT_RANGE_READONLY), dst_sum[1]);
	EXPECT_EQ(-EEXIST, memslot_layout_import(self->ms, d, text));
	free(text);
	guest_close(&g1);
	guest_close(&g2);
	munmap(mem, 4 << 20);
}

/* Replace the one range of @space by one at the same place: a hold. */
static int replace(struct memslot *ms, uint32_t space, uint32_t *id,
		   uint32_t backing, uint32_t hold, struct memslot_txn **tp)
{
	struct memslot_txn *t = memslot_txn_begin(ms, space);
	int err;

	memslot_txn_remove(t, *id);
	memslot_txn_add(t, 1 << 20, 1 << 16, backing, 0, 0);
	if (hold)
		memslot_txn_set_hold(t, hold);
	err = memslot_txn_commit(t);
	if (!err)
		*id = memslot_txn_added_id(t, 0);
	*tp = t;
	return err;
}

/* Hold modes, the hold and commit times of a commit, space statistics. */
TEST_F(lib, hold_and_stats)
{
	struct memslot_space *sp;
	uint32_t space, backing, id;
	struct memslot_txn *t;
	char args[64], want[128], *out;
	struct guest g;
	void *mem;

	OPEN_VM_AND_MEM(&g, mem, 1 << 16);
	ASSERT_EQ(0, memslot_space_new(self->ms, "lib-hold", &space));
	ASSERT_EQ(0, memslot_space_bind(self->ms, space, g.vm, 10, 8, 0, 0));
	ASSERT_EQ(0, memslot_backing_new(self->ms, space, mem, 1 << 16, NULL,
					 &backing));
	t = memslot_txn_begin(self->ms, space);
	ASSERT_EQ(-EINVAL, memslot_txn_set_hold(t, 4));
	ASSERT_EQ(0, memslot_txn_add(t, 1 << 20, 1 << 16, backing, 0, 0));
	ASSERT_EQ(0, memslot_txn_commit(t)) TH_LOG("%s", memslot_errmsg(self->ms));
	EXPECT_EQ(0, memslot_txn_held_vcpus(t)); /* an add: no hold */
	EXPECT_EQ(0, memslot_txn_hold_ns(t));
	EXPECT_LT(0, memslot_txn_commit_ns(t));
	id = memslot_txn_added_id(t, 0);
	memslot_txn_free(t);

	ASSERT_EQ(0, replace(self->ms, space, &id, backing, 0, &t));
	EXPECT_EQ(1, memslot_txn_held_vcpus(t));
	EXPECT_LT(0, memslot_txn_hold_ns(t));
	EXPECT_LE(memslot_txn_hold_ns(t), memslot_txn_commit_ns(t));
	memslot_txn_free(t);
	EXPECT_EQ(-EINVAL, replace(self->ms, space, &id, backing,
				   MEMSLOT_HOLD_NEVER, &t));
	EXPECT_EQ(1, memslot_err_op(self->ms)) TH_LOG("%s", memslot_errmsg(self->ms));
	memslot_txn_free(t);

	ASSERT_EQ(0, memslot_space_get(self->ms, space, &sp));
	EXPECT_EQ(2, memslot_space_stat(sp, MEMSLOT_STAT_COMMITS));
	EXPECT_EQ(3, memslot_space_stat(sp, MEMSLOT_STAT_OPS));
	EXPECT_EQ(1, memslot_space_stat(sp, MEMSLOT_STAT_HOLDS));
	EXPECT_LT(0, memslot_space_stat(sp, MEMSLOT_STAT_HOLD_NS_MAX));
	EXPECT_EQ(0, memslot_space_stat(sp, 0));
	memslot_space_free(sp);

	snprintf(args, sizeof(args), "-s space show %u", space);
	out = slurp(ctl(args, NULL));
	EXPECT_NE(NULL, strstr(out, "    commits 2 ops 3 failed 0 holds 1\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "    vcpu hold last ")) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "-j -s space show %u", space);
	out = slurp(ctl(args, NULL));
	snprintf(want, sizeof(want), "\"stats\":{\"commits\":2,\"ops\":3,\"failed\":0,\"holds\":1,");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	ASSERT_EQ(0, memslot_space_del(self->ms, space));
	guest_close(&g);
	munmap(mem, 1 << 16);
}

/* Start "memslotctl ARGS monitor count 4"; returns once it has joined. */
static FILE *start_monitor(const char *opts)
{
	char cmd[128], line[128];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%smemslotctl %s monitor count 4 2>&1",
		 access("./memslotctl", X_OK) ? "" : "./", opts);
	f = popen(cmd, "r");
	if (f && (!fgets(line, sizeof(line), f) ||
		  !strstr(line, "monitoring memslot events"))) {
		pclose(f);
		return NULL;
	}
	return f;
}

/* Four events: space-new, two commits, space-del. */
static void make_events(struct __test_metadata *_metadata, struct memslot *ms,
			uint32_t *space)
{
	struct memslot_txn *t;
	uint32_t backing, id;
	struct guest g;
	void *mem = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_EQ(0, guest_open(&g));
	ASSERT_EQ(0, memslot_space_new(ms, "mon", space));
	ASSERT_EQ(0, memslot_space_bind(ms, *space, g.vm, 10, 4, 0, 0));
	ASSERT_EQ(0, memslot_backing_new(ms, *space, mem, 1 << 16, NULL, &backing));
	t = memslot_txn_begin(ms, *space);
	memslot_txn_add(t, 1 << 20, 1 << 16, backing, 0, 0);
	ASSERT_EQ(0, memslot_txn_commit(t));
	id = memslot_txn_added_id(t, 0);
	memslot_txn_free(t);
	t = memslot_txn_begin(ms, *space);
	memslot_txn_remove(t, id);
	memslot_txn_add(t, 2 << 20, 1 << 12, backing, 0, MEMSLOT_RANGE_READONLY);
	ASSERT_EQ(0, memslot_txn_commit(t));
	memslot_txn_free(t);
	ASSERT_EQ(0, memslot_space_del(ms, *space));
	guest_close(&g);
	munmap(mem, 1 << 16);
}

TEST_F(lib, monitor_shows_every_event)
{
	char want[512], *out;
	uint32_t space;
	FILE *f;

	if (geteuid())
		SKIP(return, "the events group needs CAP_NET_ADMIN");
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	f = start_monitor("");
	ASSERT_NE(NULL, f);
	make_events(_metadata, self->ms, &space);
	out = slurp(f);
	snprintf(want, sizeof(want),
		 "space-new space %u\n"
		 "commit space %u generation 2 removed 0 added 1 changed 0\n"
		 "commit space %u generation 3 removed 1 added 1 changed 0\n"
		 "space-del space %u\n", space, space, space, space);
	EXPECT_STREQ(want, out);

	f = start_monitor("-j");
	ASSERT_NE(NULL, f);
	make_events(_metadata, self->ms, &space);
	out = slurp(f);
	snprintf(want, sizeof(want),
		 "{\"event\":\"commit\",\"space\":%u,\"generation\":3,\"removed\":1,\"added\":1,\"changed\":0,\"truncated\":false}\n",
		 space);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
}

/* Run memslotctl (next to this test or on PATH); output ends "rc=N". */
static FILE *ctl(const char *args, const char *batch)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "%s%s %s 2>&1 <<'EOF'\n%s\nEOF\necho rc=$?\n",
		 access("./memslotctl", X_OK) ? "" : "./",
		 "memslotctl", args, batch ? batch : "");
	return popen(cmd, "r");
}

static char *slurp(FILE *f)
{
	static char buf[256 * 1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);

	buf[n] = '\0';
	pclose(f);
	return buf;
}

TEST_F(lib, memslotctl_text_and_json)
{
	unsigned int id, gen;
	char want[128], *out;
	int pid;

	if (system("command -v memslotctl >/dev/null || test -x ./memslotctl"))
		SKIP(return, "memslotctl not found");
	out = slurp(ctl("-b -", "space new name cli\nspace show 0x0\n"));
	/* the new space is listed by id; show 0 is refused by the policy */
	ASSERT_EQ(1, sscanf(out, "space %u\n", &id)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Error: space show: integer out of range (attribute MEMSLOT_A_SPACE_ID)")) TH_LOG("%s", out);

	out = slurp(ctl("-b -", "space new name cli\nspace list\n"));
	ASSERT_EQ(1, sscanf(out, "space %u\n", &id));
	snprintf(want, sizeof(want), "space %u name cli owner ", id);
	ASSERT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	ASSERT_EQ(2, sscanf(strstr(out, want) + strlen(want),
			    "%d generation %u", &pid, &gen));
	EXPECT_LT(0, pid);
	EXPECT_EQ(1, gen);

	out = slurp(ctl("-j -b -", "space new name j\"son\nspace list\n"));
	ASSERT_EQ(1, sscanf(out, "{\"id\":%u}\n", &id)) TH_LOG("%s", out);
	snprintf(want, sizeof(want),
		 "{\"id\":%u,\"name\":\"j\\\"son\",\"owner_pid\":", id);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ",\"generation\":1}"));

	/* a budget set through the library, as memslotctl shows it */
	if (!geteuid()) {
		ASSERT_EQ(0, memslot_space_new(self->ms, "budget", &id));
		EXPECT_EQ(-EINVAL, memslot_space_set_hold_budget(self->ms, id, 1, 3));
		ASSERT_EQ(0, memslot_space_set_hold_budget(self->ms, id, 1500,
							   MEMSLOT_BUDGET_UNHELD));
		snprintf(want, sizeof(want), "space show %u", id);
		out = slurp(ctl(want, NULL));
		EXPECT_NE(NULL, strstr(out, "    hold-budget 1500us budget-mode unheld\n")) TH_LOG("%s", out);
		snprintf(want, sizeof(want), "-j space show %u", id);
		out = slurp(ctl(want, NULL));
		EXPECT_NE(NULL, strstr(out, ",\"hold_budget_us\":1500,\"budget_mode\":\"unheld\"")) TH_LOG("%s", out);
		/* only the owner's socket may set it */
		snprintf(want, sizeof(want), "space set %u hold-budget 10", id);
		out = slurp(ctl(want, NULL));
		EXPECT_NE(NULL, strstr(out, "Error: space set: ")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "rc=1"));
		snprintf(want, sizeof(want), "space set %u hold-budget x", id);
		out = slurp(ctl(want, NULL));
		EXPECT_NE(NULL, strstr(out, "Error: \"x\" is not a valid budget (us)")) TH_LOG("%s", out);
	}

	/* one-shot: an error is shown with the kernel's words, exit 1 */
	out = slurp(ctl("space del 2147483645", NULL));
	EXPECT_NE(NULL, strstr(out, "Error: space del: space 2147483645: no such space for this socket (attribute MEMSLOT_A_SPACE_ID)")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "rc=1"));
}

TEST_HARNESS_MAIN
