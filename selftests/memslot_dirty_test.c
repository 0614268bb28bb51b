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

FIXTURE_SETUP(dirty)
{
	SETUP_VM_SPACE(&self->c, &self->g, "dirty", &self->r, &self->space);
	ASSERT_EQ(0, nlc_space_bind_max(&self->c, self->space, self->g.vm,
					SLOT_BASE, 64, CHUNK, &self->r));
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
	struct kvm_dirty_log log = { 0 };
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
		log.slot = nr->slot_id[0];
		log.dirty_bitmap = one;
		ASSERT_EQ(0, ioctl(self->g.vm, KVM_GET_DIRTY_LOG, &log));
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

/* Pre-copy migration of the range over backing pages [0, MIG_PAGES). */
#define MIG_LEN		(1024 * KB)
#define MIG_PAGES	(MIG_LEN / 4096)
#define MIG_ROUNDS	20

struct mig {
	uint8_t *dst;			/* the destination VM's backing */
	uint32_t ids[2];		/* the ranges over the region now */
	int n_ids;
	bool plain;			/* read the slots' logs, as plain KVM */
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
static int plain_read(FIXTURE_DATA(dirty) *self, uint64_t *bits)
{
	uint64_t one[MIG_PAGES / 64];
	struct kvm_dirty_log log = { .dirty_bitmap = one };
	struct nlc_range *nr;
	int i, j, s, pg;

	memset(bits, 0, MIG_PAGES / 8);
	if (nlc_range_dump(&self->c, self->space, &self->r))
		return -1;
	for (i = 0; i < self->r.n_ranges; i++) {
		nr = &self->r.ranges[i];
		for (s = 0; s < nr->n_slot_ids; s++) {
			log.slot = nr->slot_id[s];
			if (ioctl(self->g.vm, KVM_GET_DIRTY_LOG, &log))
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

	err = m->plain ? plain_read(self, bits) :
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
	struct mig m = { 0 };
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
	ASSERT_EQ(0, nlc_space_bind_max(&self->c, self->space, self->g.vm,
					SLOT_BASE, 64, CHUNK, &self->r));
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, self->mem,
				     BACKING_SIZE, &self->r));
	self->backing = self->r.backing_id;
	m = (struct mig){ .dst = m.dst, .plain = true };
	bad = migrate(_metadata, self, &m);
	TH_LOG("plain KVM: %d of %llu pages differ after stop-and-copy", bad,
	       (unsigned long long)MIG_PAGES);
	EXPECT_LT(0, bad);
	nlc_close(&dc);
	guest_close(&dst_vm);
	munmap(m.dst, MIG_LEN);
}

TEST_HARNESS_MAIN
