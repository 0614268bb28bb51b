// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logs that follow the backing: a guest writes known pages while the
 * host splits, merges, chunks, toggles readonly, aliases and removes the
 * dirty-logged ranges over them; dirty-get of the backing then reports
 * exactly the written pages, and get-and-clear leaves none behind. The
 * same writes read with plain KVM_GET_DIRTY_LOG over the new slots show
 * what a VMM loses without memslot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "guest.h"
#include "nlclient.h"
#include "setup.h"

#define KB		1024ULL
#define BACKING_SIZE	(2048 * KB)
#define PAGES		(BACKING_SIZE / 4096)
#define SLOT_BASE	10
#define G		0x100000ULL	/* guest address of backing offset 0 */
#define CHUNK		(256 * KB)	/* the space's max-slot-size */
#define LOG		MEMSLOT_RANGE_FLAGS_DIRTY_LOG
#define RO		MEMSLOT_RANGE_FLAGS_READONLY

FIXTURE(dirty) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	uint32_t space, backing;
	void *mem;
	uint64_t bits[PAGES / 64];
};

/* Every test in KVM's default dirty-log mode and with manual protect. */
FIXTURE_VARIANT(dirty) {
	uint32_t protect;	/* dirty-log-protect of the binding */
};

FIXTURE_VARIANT_ADD(dirty, kvm_default) {
	.protect = 0,
};

FIXTURE_VARIANT_ADD(dirty, manual_protect) {
	.protect = MEMSLOT_DIRTY_LOG_PROTECT_MANUAL_PROTECT,
};

FIXTURE_SETUP(dirty)
{
	SETUP_VM_SPACE(&self->c, &self->g, "dirty", &self->r, &self->space);
	ASSERT_EQ(0, nlc_space_bind_protect(&self->c, self->space, self->g.vm,
					    SLOT_BASE, 64, CHUNK,
					    variant->protect, &self->r))
		TH_LOG("%s", self->r.msg);
	self->mem = mmap(NULL, BACKING_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, self->mem,
				     BACKING_SIZE, &self->r));
	self->backing = self->r.backing_id;
}

FIXTURE_TEARDOWN(dirty)
{
	nlc_close(&self->c);
	guest_close(&self->g);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, BACKING_SIZE);
}

/* Commit @n ops; the first added range's id, or 0. */
static uint32_t commit(FIXTURE_DATA(dirty) *self, struct nlc_op *ops, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ops[i].type == MEMSLOT_OP_TYPE_ADD)
			ops[i].backing_id = self->backing;
	if (nlc_txn(&self->c, self->space, ops, n, &self->r))
		return 0;
	return self->r.n_added ? self->r.added[0].id : 1;
}

/* The guest writes backing page @pg through the range at @gpa (offset @off). */
static bool write_page(FIXTURE_DATA(dirty) *self, uint64_t gpa, uint64_t off,
		       uint64_t pg)
{
	return guest_write(&self->g, gpa + pg * 4096 - off, pg) == GUEST_OK;
}

/* dirty-get of the whole backing into self->bits. */
static int read_log(FIXTURE_DATA(dirty) *self, bool clear)
{
	memset(self->bits, 0xff, sizeof(self->bits));
	return nlc_dirty_get(&self->c, self->space, self->backing, 0,
			     BACKING_SIZE, self->bits, sizeof(self->bits),
			     clear, &self->r);
}

/* Is the bitmap exactly the pages @want[0..n)? Logs the first difference. */
static bool bits_are(struct __test_metadata *_metadata, const uint64_t *bits,
		     const uint64_t *want, int n)
{
	uint64_t expect[PAGES / 64] = { 0 }, pg;
	int i;

	for (i = 0; i < n; i++)
		expect[want[i] / 64] |= 1ULL << (want[i] % 64);
	for (pg = 0; pg < PAGES; pg++) {
		bool got = bits[pg / 64] >> (pg % 64) & 1;
		bool exp = expect[pg / 64] >> (pg % 64) & 1;

		if (got != exp) {
			TH_LOG("page %llu: dirty %d, expected %d",
			       (unsigned long long)pg, got, exp);
			return false;
		}
	}
	return true;
}

/*
 * A VMM's own read of KVM slot @slot (@pages pages) into @bits: GET, and
 * under manual protect CLEAR of what it got, as QEMU does.
 */
static int kvm_read(int vm, uint32_t slot, uint64_t pages, uint64_t *bits,
		    bool manual)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bits };
	struct kvm_clear_dirty_log clr = {
		.slot = slot, .num_pages = pages, .dirty_bitmap = bits,
	};

	if (ioctl(vm, KVM_GET_DIRTY_LOG, &log))
		return -1;
	return manual ? ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr) : 0;
}

/*
 * Another process (its own socket) cannot read or clear the log of a
 * space it does not own, even with a buffer of the right size: ENOENT,
 * and the owner still reads the written page.
 */
TEST_F(dirty, another_process_cannot_read_or_clear_the_log)
{
	static const uint64_t want[] = { 11 };
	struct nlc_op add_r = NLC_ADD(G, 64 * KB, 0, 0, LOG);
	int status;
	pid_t pid;

	ASSERT_NE(0, commit(self, &add_r, 1));
	ASSERT_TRUE(write_page(self, G, 0, 11));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct nlc_result *r = calloc(1, sizeof(*r));
		struct nlc other;
		int err = nlc_open(&other) ?: nlc_dirty_get(&other, self->space,
							     self->backing, 0,
							     BACKING_SIZE, self->bits,
							     sizeof(self->bits),
							     true, r);

		_exit(err == -ENOENT && strstr(r->msg, "no such space") ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, read_log(self, true));
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 1));
}

/*
 * Every kind of relayout between the writes: a 1 MiB range in 4 chunks
 * split in place into two, merged back, readonly toggled on and off, an
 * alias added over other pages and removed, and finally the range itself
 * removed. Every write is in the log, and nothing else.
 */
TEST_F(dirty, written_pages_survive_every_relayout)
{
	static const uint64_t want[] = { 3, 130, 200, 255, 7, 64, 265, 100 };
	struct nlc_op add_r = NLC_ADD(G, 1024 * KB, 0, 0, LOG);
	struct nlc_op split[3], merge[3], ro, rw, q[1], rm[1];
	uint32_t r, r1, r2, alias;

	r = commit(self, &add_r, 1);
	ASSERT_NE(0, r) TH_LOG("%s", self->r.msg);
	ASSERT_TRUE(write_page(self, G, 0, 3));

	split[0] = (struct nlc_op)NLC_REMOVE(r);
	split[1] = (struct nlc_op)NLC_ADD(G, 512 * KB, 0, 0, LOG);
	split[2] = (struct nlc_op)NLC_ADD(G + 512 * KB, 512 * KB, 0, 512 * KB, LOG);
	ASSERT_NE(0, commit(self, split, 3)) TH_LOG("%s", self->r.msg);
	r1 = self->r.added[0].id;
	r2 = self->r.added[1].id;
	ASSERT_TRUE(write_page(self, G, 0, 130));
	ASSERT_TRUE(write_page(self, G, 0, 200));

	merge[0] = (struct nlc_op)NLC_REMOVE(r1);
	merge[1] = (struct nlc_op)NLC_REMOVE(r2);
	merge[2] = add_r;
	r = commit(self, merge, 3);
	ASSERT_NE(0, r) TH_LOG("%s", self->r.msg);
	ASSERT_TRUE(write_page(self, G, 0, 255));
	ASSERT_TRUE(write_page(self, G, 0, 7));

	ro = (struct nlc_op)NLC_SET_FLAGS(r, LOG | RO);
	rw = (struct nlc_op)NLC_SET_FLAGS(r, LOG);
	ASSERT_NE(0, commit(self, &ro, 1)) TH_LOG("%s", self->r.msg);
	ASSERT_NE(0, commit(self, &rw, 1)) TH_LOG("%s", self->r.msg);
	ASSERT_TRUE(write_page(self, G, 0, 64));

	/* an alias at 4 MiB over backing pages 256.. */
	q[0] = (struct nlc_op)NLC_ADD(4096 * KB, 512 * KB, 0, 1024 * KB, LOG);
	alias = commit(self, q, 1);
	ASSERT_NE(0, alias) TH_LOG("%s", self->r.msg);
	ASSERT_TRUE(write_page(self, 4096 * KB, 1024 * KB, 265));
	rm[0] = (struct nlc_op)NLC_REMOVE(alias);
	ASSERT_NE(0, commit(self, rm, 1));

	ASSERT_TRUE(write_page(self, G, 0, 100));
	rm[0] = (struct nlc_op)NLC_REMOVE(r);
	ASSERT_NE(0, commit(self, rm, 1));

	ASSERT_EQ(0, read_log(self, true)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(8, self->r.dirty_pages);
	EXPECT_EQ(0, self->r.dma_pages);
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 8));
	ASSERT_EQ(0, read_log(self, true));
	EXPECT_EQ(0, self->r.dirty_pages);
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 0));
}

/*
 * KVM_GET_DIRTY_LOG over the slots after an in-place split, as a VMM
 * without memslot would read them, has lost the page written before the
 * split; memslot's log of the backing has it.
 */
TEST_F(dirty, plain_kvm_log_loses_what_the_backing_keeps)
{
	static const uint64_t want[] = { 3, 100 };
	struct nlc_op add_r = NLC_ADD(G, 512 * KB, 0, 0, LOG);
	struct nlc_op split[3];
	uint64_t kvm_bits[PAGES / 64] = { 0 }, one[CHUNK / 4096 / 64];
	uint32_t r;
	int i, j, s;

	r = commit(self, &add_r, 1);
	ASSERT_NE(0, r);
	ASSERT_TRUE(write_page(self, G, 0, 3));
	split[0] = (struct nlc_op)NLC_REMOVE(r);
	split[1] = (struct nlc_op)NLC_ADD(G, 256 * KB, 0, 0, LOG);
	split[2] = (struct nlc_op)NLC_ADD(G + 256 * KB, 256 * KB, 0, 256 * KB, LOG);
	ASSERT_NE(0, commit(self, split, 3)) TH_LOG("%s", self->r.msg);
	ASSERT_TRUE(write_page(self, G, 0, 100));

	/* the plain reading: every slot of the new ranges, from the dump */
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	ASSERT_EQ(2, self->r.n_ranges);
	for (i = 0; i < self->r.n_ranges; i++) {
		struct nlc_range *nr = &self->r.ranges[i];

		ASSERT_EQ(1, nr->n_slot_ids);
		ASSERT_EQ(0, kvm_read(self->g.vm, nr->slot_id[0], CHUNK / 4096,
				      one, variant->protect));
		for (j = 0; j < (int)(nr->size / 4096); j++) {
			s = nr->offset / 4096 + j;
			if (one[j / 64] >> (j % 64) & 1)
				kvm_bits[s / 64] |= 1ULL << (s % 64);
		}
	}
	EXPECT_TRUE(bits_are(_metadata, kvm_bits, want + 1, 1)); /* page 3 lost */
	ASSERT_EQ(0, read_log(self, true)) TH_LOG("%s", self->r.msg);
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 1)); /* 100: read above */
}

/* Without clear a page is reported until a read with clear. */
TEST_F(dirty, get_without_clear_reports_again)
{
	static const uint64_t want[] = { 5, 6 };
	struct nlc_op add_r = NLC_ADD(G, 64 * KB, 0, 0, LOG);

	ASSERT_NE(0, commit(self, &add_r, 1));
	ASSERT_TRUE(write_page(self, G, 0, 5));
	ASSERT_EQ(0, read_log(self, false));
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 1));
	ASSERT_TRUE(write_page(self, G, 0, 6));
	ASSERT_EQ(0, read_log(self, false));
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 2));
	ASSERT_EQ(0, read_log(self, true));
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 2));
	ASSERT_EQ(0, read_log(self, false));
	EXPECT_EQ(0, self->r.dirty_pages);
}

/* A commit that drops a dirty log holds the vCPU (auto) for the harvest. */
TEST_F(dirty, dropping_a_dirty_log_holds_the_vcpus)
{
	struct nlc_op add_r = NLC_ADD(G, 64 * KB, 0, 0, LOG);
	struct nlc_op add_p = NLC_ADD(G + 64 * KB, 64 * KB, 0, 64 * KB, 0);
	struct nlc_op rm;
	uint32_t r, p;

	r = commit(self, &add_r, 1);
	p = commit(self, &add_p, 1);
	ASSERT_NE(0, r);
	ASSERT_NE(0, p);
	rm = (struct nlc_op)NLC_REMOVE(p); /* no log: no hold */
	ASSERT_NE(0, commit(self, &rm, 1));
	EXPECT_EQ(0, self->r.held_vcpus);
	rm = (struct nlc_op)NLC_REMOVE(r);
	ASSERT_NE(0, commit(self, &rm, 1));
	EXPECT_EQ(1, self->r.held_vcpus);
}

/* Bad windows and buffers are refused, name the attribute, clear nothing. */
TEST_F(dirty, bad_requests_are_refused_and_clear_nothing)
{
	static const uint64_t want[] = { 9 };
	struct nlc_op add_r = NLC_ADD(G, 64 * KB, 0, 0, LOG);
	uint64_t small[1];

	ASSERT_NE(0, commit(self, &add_r, 1));
	ASSERT_TRUE(write_page(self, G, 0, 9));
	EXPECT_EQ(-EINVAL, nlc_dirty_get(&self->c, self->space, self->backing,
					 4096, BACKING_SIZE, self->bits,
					 sizeof(self->bits), true, &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "not pages inside backing")) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(-EINVAL, nlc_dirty_get(&self->c, self->space, self->backing,
					 100, 4096, self->bits,
					 sizeof(self->bits), true, &self->r));
	EXPECT_EQ(-ENOBUFS, nlc_dirty_get(&self->c, self->space, self->backing,
					  0, BACKING_SIZE, small, sizeof(small),
					  true, &self->r));
	EXPECT_EQ(MEMSLOT_A_DIRTY_BUFFER_SIZE, self->r.bad_attr);
	EXPECT_EQ(-EFAULT, nlc_dirty_get(&self->c, self->space, self->backing,
					 0, BACKING_SIZE, (void *)4096,
					 sizeof(self->bits), true, &self->r));
	EXPECT_EQ(MEMSLOT_A_DIRTY_BUFFER, self->r.bad_attr);
	EXPECT_EQ(-ENOENT, nlc_dirty_get(&self->c, self->space, self->backing + 1,
					 0, 4096, self->bits, sizeof(self->bits),
					 true, &self->r));
	/* none of them cleared page 9 */
	ASSERT_EQ(0, read_log(self, true));
	EXPECT_TRUE(bits_are(_metadata, self->bits, want, 1));
}

/* Another VM and space of the test's own, over the fixture's memory. */
struct side {
	struct nlc c;
	struct guest g;
	struct nlc_result r;
	uint32_t space, backing;
};

static int side_open(struct side *o, const char *name, uint32_t slots,
		     uint32_t protect, void *mem)
{
	return setup_vm_space(&o->c, &o->g, name, &o->r, &o->space) ?:
	       nlc_space_bind_protect(&o->c, o->space, o->g.vm, SLOT_BASE,
				      slots, 0, protect, &o->r) ?:
	       nlc_backing_new(&o->c, o->space, mem, BACKING_SIZE, &o->r) ?:
	       (o->backing = o->r.backing_id, 0);
}

static void side_close(struct side *o)
{
	nlc_close(&o->c);
	guest_close(&o->g);
}

/* dirty-get with clear of backing pages [first, first + n) into @bits. */
static int read_pages(struct side *o, uint64_t first, uint64_t n,
		      uint64_t *bits)
{
	int err;

	memset(bits, 0xff, PAGES / 8); /* the window's words must be written */
	err = nlc_dirty_get(&o->c, o->space, o->backing, first * 4096,
			    n * 4096, bits, PAGES / 8, true, &o->r);
	memset(bits + (n + 63) / 64, 0, PAGES / 8 - (n + 63) / 64 * 8);
	return err;
}

/*
 * A get-and-clear clears only its window (rounded out to 64 pages), in
 * one 512-page slot. Under manual protect KVM keeps the rest of the slot's
 * bits, as the VMM's own KVM_GET_DIRTY_LOG shows (it resets nothing
 * there); in KVM's default mode the module's read reset the slot and kept
 * the rest in the backing. Either way the other windows still report
 * their pages, and a page written after its clear is reported again.
 */
TEST_F(dirty, clear_is_per_window)
{
	static const uint64_t p100[] = { 100 }, p36[] = { 36 }, p3[] = { 3 };
	static const uint64_t p2[] = { 2 };
	struct nlc_op add = NLC_ADD(G, BACKING_SIZE, 0, 0, LOG);
	uint64_t bits[PAGES / 64], kvm[PAGES / 64];
	struct kvm_dirty_log log = { .slot = SLOT_BASE, .dirty_bitmap = kvm };
	struct side o = { 0 };
	int i;

	ASSERT_EQ(0, side_open(&o, "window", 4, variant->protect, self->mem))
		TH_LOG("%s", o.r.msg);
	add.backing_id = o.backing;
	ASSERT_EQ(0, nlc_txn(&o.c, o.space, &add, 1, &o.r)) TH_LOG("%s", o.r.msg);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(GUEST_OK, guest_write(&o.g, G + p3[0] * 4096 +
						i * 97 * 4096 % (256 * 4096), i));
	/* pages 3, 100 and 197 written; read [0, 64) */
	ASSERT_EQ(0, read_pages(&o, 0, 64, bits)) TH_LOG("%s", o.r.msg);
	EXPECT_TRUE(bits_are(_metadata, bits, p3, 1));
	ASSERT_EQ(0, ioctl(o.g.vm, KVM_GET_DIRTY_LOG, &log));
	if (variant->protect) {	/* 100 and 197 still in KVM, 3 cleared */
		EXPECT_EQ(1ULL << 36, kvm[1]);
		EXPECT_EQ(1ULL << 5, kvm[3]);
		EXPECT_EQ(0, kvm[0]);
	} else {		/* all moved to the backing */
		EXPECT_TRUE(bits_are(_metadata, kvm, p3, 0));
	}
	ASSERT_EQ(0, read_pages(&o, 64, 64, bits));
	EXPECT_TRUE(bits_are(_metadata, bits, p36, 1)); /* page 100 */
	ASSERT_EQ(0, read_pages(&o, 192, 64, bits));
	EXPECT_TRUE(bits_are(_metadata, bits, (const uint64_t[]){ 5 }, 1));
	ASSERT_EQ(0, ioctl(o.g.vm, KVM_GET_DIRTY_LOG, &log));
	EXPECT_TRUE(bits_are(_metadata, kvm, p100, 0)); /* KVM cleared all */

	/* an unaligned window: its 64-page neighbours are kept, not lost */
	ASSERT_EQ(GUEST_OK, guest_write(&o.g, G + 2 * 4096, 7));
	ASSERT_EQ(GUEST_OK, guest_write(&o.g, G + 10 * 4096, 8));
	ASSERT_EQ(0, read_pages(&o, 8, 8, bits));
	EXPECT_TRUE(bits_are(_metadata, bits, p2, 1)); /* page 10 */
	ASSERT_EQ(0, read_pages(&o, 0, 8, bits));
	EXPECT_TRUE(bits_are(_metadata, bits, p2, 1)); /* page 2 */
	ASSERT_EQ(0, read_pages(&o, 0, PAGES, bits));
	EXPECT_EQ(0, o.r.dirty_pages);
	/* written again after its clear: reported again */
	ASSERT_EQ(GUEST_OK, guest_write(&o.g, G + 3 * 4096, 9));
	ASSERT_EQ(0, read_pages(&o, 0, 64, bits));
	EXPECT_TRUE(bits_are(_metadata, bits, p3, 1));
	side_close(&o);
}

/*
 * The dirty-log mode is the VM's: a second space on the same VM must bind
 * with the same bits; initially-set needs manual-protect; refused binds
 * leave the space unbound. space-get reports the mode.
 */
TEST_F(dirty, one_dirty_log_mode_per_vm)
{
	uint32_t other = variant->protect ^ MEMSLOT_DIRTY_LOG_PROTECT_MANUAL_PROTECT;
	uint32_t sp;

	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	EXPECT_EQ(variant->protect, self->r.sp[0].dirty_protect);
	ASSERT_EQ(0, nlc_space_new(&self->c, "second", &self->r));
	sp = self->r.sp[0].id;
	EXPECT_EQ(-EINVAL, nlc_space_bind_protect(&self->c, sp, self->g.vm, 200,
						  4, 0, other, &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "binds this VM with")) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(-EINVAL, nlc_space_bind_protect(&self->c, sp, self->g.vm, 200, 4, 0,
						  MEMSLOT_DIRTY_LOG_PROTECT_INITIALLY_SET,
						  &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "initially-set needs manual-protect"));
	EXPECT_EQ(MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT, self->r.bad_attr);
	EXPECT_EQ(-EINVAL, nlc_space_bind_protect(&self->c, sp, self->g.vm, 200,
						  4, 0, 4, &self->r));
	EXPECT_EQ(MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT, self->r.bad_attr);
	ASSERT_EQ(0, nlc_space_get(&self->c, sp, &self->r));
	EXPECT_FALSE(self->r.sp[0].vm_bound);
	ASSERT_EQ(0, nlc_space_bind_protect(&self->c, sp, self->g.vm, 200, 4, 0,
					    variant->protect, &self->r))
		TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_space_get(&self->c, sp, &self->r));
	EXPECT_TRUE(self->r.sp[0].vm_bound);
	EXPECT_EQ(variant->protect, self->r.sp[0].dirty_protect);
}

/*
 * Asked for slot-ids, the commit reply names each added range's KVM slots,
 * the same as the range dump; not asked, it does not. A reply that would
 * exceed 32 KiB (a staged commit of 2048 adds) says diff-truncated instead.
 */
TEST_F(dirty, commit_reply_names_the_added_slots)
{
	struct nlc_op ops[2] = {
		NLC_ADD(G, 1024 * KB, 0, 0, LOG),
		NLC_ADD(4096 * KB, 64 * KB, 0, 0, 0),
	};
	static struct nlc_op many[512];
	struct nlc_range got[2];
	struct side o = { 0 };
	int i, j;

	for (i = 0; i < 2; i++)
		ops[i].backing_id = self->backing;
	ASSERT_EQ(0, nlc_txn_slot_ids(&self->c, self->space, ops, 2, false,
				      &self->r)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(2, self->r.n_added_slots);
	EXPECT_FALSE(self->r.diff_truncated);
	memcpy(got, self->r.added, sizeof(got));
	EXPECT_EQ(4, got[0].n_slot_ids);
	EXPECT_EQ(1, got[1].n_slot_ids);
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	ASSERT_EQ(2, self->r.n_ranges);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(1, got[i].slots); /* the nest named the added id */
		for (j = 0; j < 2; j++)
			if (self->r.ranges[j].id == got[i].id)
				EXPECT_EQ(0, memcmp(self->r.ranges[j].slot_id,
						    got[i].slot_id,
						    got[i].n_slot_ids * 4));
	}
	ops[1] = (struct nlc_op)NLC_ADD(8192 * KB, 64 * KB, self->backing, 0, 0);
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, &ops[1], 1, &self->r));
	EXPECT_EQ(0, self->r.n_added_slots);

	ASSERT_EQ(0, side_open(&o, "many", 2048, variant->protect, self->mem));
	ASSERT_EQ(0, nlc_txn_cmd(&o.c, MEMSLOT_CMD_TXN_OPEN, o.space, NULL, 0,
				 false, &o.r));
	for (i = 0; i < 2048; i++) {
		many[i % 512] = (struct nlc_op)NLC_ADD(G + i * 4096ULL, 4096,
						       o.backing, 0, 0);
		if (i % 512 == 511) /* 512 ops a message */
			ASSERT_EQ(0, nlc_txn_cmd(&o.c, MEMSLOT_CMD_TXN_APPEND,
						 o.space, many, 512, false,
						 &o.r)) TH_LOG("%s", o.r.msg);
	}
	ASSERT_EQ(0, nlc_txn_slot_ids(&o.c, o.space, NULL, 0, true, &o.r))
		TH_LOG("%s", o.r.msg);
	EXPECT_EQ(2048, o.r.n_added);
	EXPECT_EQ(0, o.r.n_added_slots);
	EXPECT_TRUE(o.r.diff_truncated);
	side_close(&o);
}

/* Bytes mapped in this process, the heap and stack left out. */
static uint64_t mapped_bytes(void)
{
	unsigned long long lo, hi, sum = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strstr(line, "[heap]") && !strstr(line, "[stack]") &&
		    sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			sum += hi - lo;
	if (f)
		fclose(f);
	return sum;
}

/*
 * The module keeps its scratch for KVM's dirty-log ioctls in the owner's
 * address space between reads (to spare a mapping per read); deleting
 * the space unmaps it: the owner's mappings are as before the first read.
 */
TEST_F(dirty, space_del_unmaps_the_kept_scratch)
{
	struct nlc_op add_r = NLC_ADD(G, 1024 * KB, 0, 0, LOG);
	uint64_t before, during;

	before = mapped_bytes();
	ASSERT_NE(0, commit(self, &add_r, 1));
	ASSERT_TRUE(write_page(self, G, 0, 5));
	ASSERT_EQ(0, read_log(self, true));
	ASSERT_EQ(0, read_log(self, true));
	during = mapped_bytes();
	TH_LOG("mapped: %llu bytes before the first read, %llu after two",
	       (unsigned long long)before, (unsigned long long)during);
	EXPECT_LT(before, during);
	EXPECT_GE(before + 8192, during); /* one scratch, not one per read */
	ASSERT_EQ(0, nlc_space_del(&self->c, self->space, &self->r));
	EXPECT_EQ(before, mapped_bytes());
}

/* Pre-copy migration of the range over backing pages [0, MIG_PAGES). */
#define MIG_LEN		(1024 * KB)
#define MIG_PAGES	(MIG_LEN / 4096)
#define MIG_ROUNDS	20

struct mig {
	uint8_t *dst;			/* the destination VM's backing */
	uint32_t ids[2];		/* the ranges over the region now */
	int n_ids;
	bool plain;			/* read the slots' logs, as plain KVM */
	bool manual;			/* the VM has manual dirty-log protect */
	unsigned long copied;		/* pages copied, all rounds */
};

/* Split the region in place into two ranges, or merge them back. */
static int relayout(FIXTURE_DATA(dirty) *self, struct mig *m)
{
	struct nlc_op ops[3];
	int i, n = 0, m_new = m->n_ids == 1 ? 2 : 1;
	uint64_t piece = MIG_LEN / m_new;

	for (i = 0; i < m->n_ids; i++)
		ops[n++] = (struct nlc_op)NLC_REMOVE(m->ids[i]);
	for (i = 0; i < m_new; i++)
		ops[n++] = (struct nlc_op)NLC_ADD(G + i * piece, piece, 0,
						  i * piece, LOG);
	if (!commit(self, ops, n))
		return -1;
	for (i = 0; i < m_new; i++)
		m->ids[i] = self->r.added[i].id;
	m->n_ids = m_new;
	return 0;
}

/* What plain KVM gives: KVM_GET_DIRTY_LOG of the slots there are now. */
static int plain_read(FIXTURE_DATA(dirty) *self, uint64_t *bits, bool manual)
{
	uint64_t one[MIG_PAGES / 64];
	struct nlc_range *nr;
	int i, j, s, pg;

	memset(bits, 0, MIG_PAGES / 8);
	if (nlc_range_dump(&self->c, self->space, &self->r))
		return -1;
	for (i = 0; i < self->r.n_ranges; i++) {
		nr = &self->r.ranges[i];
		for (s = 0; s < nr->n_slot_ids; s++) {
			if (kvm_read(self->g.vm, nr->slot_id[s], CHUNK / 4096,
				     one, manual))
				return -1;
			for (j = 0; j < (int)(CHUNK / 4096); j++) {
				pg = (nr->offset + s * CHUNK) / 4096 + j;
				if (one[j / 64] >> (j % 64) & 1)
					bits[pg / 64] |= 1ULL << (pg % 64);
			}
		}
	}
	return 0;
}

/* One dirty-log round: read (and clear), copy the dirty pages across. */
static int mig_round(FIXTURE_DATA(dirty) *self, struct mig *m)
{
	uint64_t bits[MIG_PAGES / 64];
	int pg, err;

	err = m->plain ? plain_read(self, bits, m->manual) :
	      nlc_dirty_get(&self->c, self->space, self->backing, 0, MIG_LEN,
			    bits, sizeof(bits), true, &self->r);
	for (pg = 0; !err && pg < (int)MIG_PAGES; pg++) {
		if (!(bits[pg / 64] >> (pg % 64) & 1))
			continue;
		memcpy(m->dst + pg * 4096, (uint8_t *)self->mem + pg * 4096, 4096);
		m->copied++;
	}
	return err;
}

/* Pages of the region where the destination differs from the source. */
static int mig_mismatches(FIXTURE_DATA(dirty) *self, struct mig *m)
{
	int pg, n = 0;

	for (pg = 0; pg < (int)MIG_PAGES; pg++)
		n += !!memcmp(m->dst + pg * 4096, (uint8_t *)self->mem + pg * 4096,
			      4096);
	return n;
}

/*
 * A pre-copy migration while the guest writes every page over and over
 * (a new value each pass) and the host splits and merges the region in
 * place: a full copy, dirty-log rounds, then stop, a last relayout, and
 * stop-and-copy. Returns the pages that differ at the end.
 */
static int migrate(struct __test_metadata *_metadata,
		   FIXTURE_DATA(dirty) *self, struct mig *m)
{
	struct guest_loop loop = {
		.base = G, .len = MIG_LEN, .a = 1,
		.mode = GUEST_LOOP_WRITE | GUEST_LOOP_COUNT, .park_fd = -1,
	};
	struct nlc_op add_r = NLC_ADD(G, MIG_LEN, 0, 0, LOG);
	int round;

	m->ids[0] = commit(self, &add_r, 1);
	m->n_ids = 1;
	if (!m->ids[0] || guest_loop_start(&self->g, 0, &loop) ||
	    !guest_loop_wait(&self->g, 0, 1, 30))
		return -1;
	/* round 0: everything, the log cleared first */
	if (mig_round(self, m))
		return -1;
	memcpy(m->dst, self->mem, MIG_LEN);
	for (round = 1; round <= MIG_ROUNDS; round++) {
		if (!guest_loop_wait(&self->g, 0, 1, 30) || relayout(self, m) ||
		    mig_round(self, m))
			return -1;
	}
	if (!guest_loop_wait(&self->g, 0, 1, 30))
		return -1;
	guest_loop_stop(&self->g);
	if (relayout(self, m) || mig_round(self, m))
		return -1;
	TH_LOG("%s: %d rounds, %lu pages copied after the full copy, %u passes",
	       m->plain ? "plain KVM_GET_DIRTY_LOG" : "memslot dirty-get",
	       MIG_ROUNDS, m->copied, guest_loop_passes(&self->g, 0));
	return mig_mismatches(self, m);
}

/*
 * End to end on one host: the source guest keeps writing while the host
 * relayouts, the destination VM's memory gets the pages dirty-get
 * reports, and after stop-and-copy it equals the source byte for byte;
 * the destination guest reads the last values. The same migration with
 * plain KVM_GET_DIRTY_LOG over the current slots loses the pages written
 * before the last relayout.
 */
TEST_F_TIMEOUT(dirty, precopy_migration_follows_every_relayout, 300)
{
	struct nlc_op add_d = NLC_ADD(G, MIG_LEN, 0, 0, 0);
	struct mig m = { .manual = variant->protect != 0 };
	struct nlc_result dr;
	struct guest dst_vm;
	uint32_t dspace, word;
	struct nlc dc;
	int bad;

	m.dst = mmap(NULL, MIG_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m.dst);
	/* the destination VM: its own space over the destination memory */
	SETUP_VM_SPACE(&dc, &dst_vm, "dst", &dr, &dspace);
	ASSERT_EQ(0, nlc_space_bind(&dc, dspace, dst_vm.vm, SLOT_BASE, 4, &dr));
	ASSERT_EQ(0, nlc_backing_new(&dc, dspace, m.dst, MIG_LEN, &dr));
	add_d.backing_id = dr.backing_id;
	ASSERT_EQ(0, nlc_txn(&dc, dspace, &add_d, 1, &dr)) TH_LOG("%s", dr.msg);

	bad = migrate(_metadata, self, &m);
	EXPECT_EQ(0, bad);
	ASSERT_EQ(GUEST_OK, guest_read(&dst_vm, G + MIG_LEN - 4096, &word));
	EXPECT_EQ(((uint32_t *)self->mem)[(MIG_LEN - 4096) / 4], word);

	/* again, reading the slots as a VMM without memslot would */
	ASSERT_EQ(0, nlc_space_del(&self->c, self->space, &self->r));
	guest_close(&self->g);
	ASSERT_EQ(0, guest_open(&self->g));
	ASSERT_EQ(0, nlc_space_new(&self->c, "plain", &self->r));
	self->space = self->r.sp[0].id;
	ASSERT_EQ(0, nlc_space_bind_protect(&self->c, self->space, self->g.vm,
					    SLOT_BASE, 64, CHUNK,
					    variant->protect, &self->r));
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, self->mem,
				     BACKING_SIZE, &self->r));
	self->backing = self->r.backing_id;
	m = (struct mig){ .dst = m.dst, .plain = true, .manual = m.manual };
	bad = migrate(_metadata, self, &m);
	TH_LOG("plain KVM: %d of %llu pages differ after stop-and-copy", bad,
	       (unsigned long long)MIG_PAGES);
	EXPECT_LT(0, bad);
	nlc_close(&dc);
	guest_close(&dst_vm);
	munmap(m.dst, MIG_LEN);
}

TEST_HARNESS_MAIN
