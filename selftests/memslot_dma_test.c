// SPDX-License-Identifier: GPL-2.0
/*
 * DMA through the memslot VFIO IOMMU backend, with QEMU's edu device
 * (guarantees 1, 3, 4 and 5 for the IOMMU): round trips through ranges a
 * transaction maps, DMAR faults once they are removed, shared pins for
 * aliases (statistics and the owner's VmPin agree), RLIMIT_MEMLOCK,
 * failure at every step of a mixed transaction, neighbour churn under
 * running DMA, and the owner killed mid-stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/vfio.h>
#include <linux/memslot_vfio.h>

#include "kselftest_harness.h"
#include "child.h"
#include "edu.h"
#include "guest.h"
#include "libmemslot.h"
#include "nlclient.h"

#define KB		1024ULL
#define MEM_SIZE	(2048 * KB)
#define K_GPA		0x100000ULL	/* the kept range */
#define K_LEN		(64 * KB)
#define PAGES(len)	((len) / 4096)
#define DMA		MEMSLOT_RANGE_FLAGS_DMA
#define FAIL_STEP	"/sys/kernel/debug/memslot/fail_step"

/*
 * DMAR fault lines in the kernel log are this program's business: its
 * tests count the faults themselves (edu_faults_since()), so the VM runner
 * is told to expect such lines for as long as the program runs.
 */
static void __attribute__((constructor)) expect_dmar_faults(void)
{
	edu_log_expect("DMAR: \\[DMA");
}

static void __attribute__((destructor)) expect_dmar_faults_end(void)
{
	edu_log_expect_end();
}

FIXTURE(dma) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	struct edu e;
	uint32_t space, backing;
	uint8_t *mem;
};

FIXTURE_SETUP(dma)
{
	int err = nlc_open(&self->c);

	self->e.group = self->e.container = self->e.device = -1;
	if (err == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	err = edu_open(&self->e, MEMSLOT_VFIO_IOMMU);
	if (err == -ENODEV)
		SKIP(return, "no edu device behind an IOMMU (-device intel-iommu -device edu)");
	ASSERT_EQ(0, err);
	err = guest_open(&self->g);
	if (err == -ENODEV)
		SKIP(return, "no /dev/kvm");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlc_space_new(&self->c, "dma", &self->r));
	self->space = self->r.sp[0].id;
	ASSERT_EQ(0, nlc_space_bind(&self->c, self->space, self->g.vm, 10, 300,
				    &self->r));
	ASSERT_EQ(0, edu_bind(&self->e, self->space));
	self->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memset(self->mem, 0x11, MEM_SIZE);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, self->mem,
				     MEM_SIZE, &self->r));
	self->backing = self->r.backing_id;
}

FIXTURE_TEARDOWN(dma)
{
	edu_close(&self->e);
	nlc_close(&self->c);
	guest_close(&self->g);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, MEM_SIZE);
}

static uint32_t add(FIXTURE_DATA(dma) *self, uint64_t gpa, uint64_t size,
		    uint64_t off, uint32_t flags)
{
	struct nlc_op op = NLC_ADD(gpa, size, self->backing, off, flags);

	if (nlc_txn(&self->c, self->space, &op, 1, &self->r))
		return 0;
	return self->r.added[0].id;
}

static int del(FIXTURE_DATA(dma) *self, uint32_t id)
{
	struct nlc_op op = NLC_REMOVE(id);

	return nlc_txn(&self->c, self->space, &op, 1, &self->r);
}

/* A round trip through the range at @gpa, backing offset @off. */
static bool round_trip(struct edu *e, uint8_t *mem, uint64_t gpa,
		       uint64_t off, uint8_t seed)
{
	return edu_round_trip(e, mem + off, gpa, seed);
}

static uint64_t stat(FIXTURE_DATA(dma) *self, int which)
{
	struct nlc_result *r = malloc(sizeof(*r));
	uint64_t v = ~0ULL;

	if (r && !nlc_space_get(&self->c, self->space, r))
		v = r->sp[0].stats[which];
	free(r);
	return v;
}

/* VmPin of this process, in kB. */
static long vm_pin_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmPin:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

TEST_F(dma, round_trip_then_fault_after_remove)
{
	uint32_t id;
	long log;

	id = add(self, K_GPA, K_LEN, 0, DMA);
	ASSERT_NE(0, id) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(K_LEN / KB, vm_pin_kb());
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, 1));
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA + 8192, 8192, 2));

	ASSERT_EQ(0, del(self, id));
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(0, vm_pin_kb());
	log = edu_faults_mark();
	memset(self->mem + 4096, 0, 256);
	EXPECT_EQ(0, edu_to_ram(&self->e, K_GPA + 4096, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
	EXPECT_EQ(0, self->mem[4096 + 1]); /* the device did not reach RAM */
}

static int vfio_bind(int container, uint32_t argsz, uint32_t flags,
		     uint32_t space)
{
	struct memslot_vfio_bind b = {
		.argsz = argsz, .flags = flags, .space_id = space,
	};

	return ioctl(container, MEMSLOT_VFIO_BIND, &b) ? -errno : 0;
}

/*
 * MEMSLOT_VFIO_BIND refuses a short or flagged argument, an unknown space,
 * another process's space, a second binding; VFIO's own MAP_DMA does not
 * reach around memslot.
 */
TEST_F(dma, bind_refusals)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ,
		.vaddr = (uintptr_t)self->mem, .iova = K_GPA, .size = 4096,
	};
	int up[2], down[2], status;	/* child -> parent, parent -> child */
	uint32_t other;
	pid_t pid;
	char c;

	EXPECT_EQ(-EINVAL, vfio_bind(self->e.container, 8, 0, self->space));
	EXPECT_EQ(-EINVAL, vfio_bind(self->e.container, 16, 1, self->space));
	EXPECT_EQ(-EBUSY, vfio_bind(self->e.container, 16, 0, self->space));
	EXPECT_EQ(-ENOENT, vfio_bind(self->e.container, 16, 0, 0x7fffff00));
	EXPECT_EQ(-ENOTTY, ioctl(self->e.container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0);

	/* a space of another process cannot be named */
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlc c2;
		struct nlc_result *r = malloc(sizeof(*r));

		if (!r || nlc_open(&c2) || nlc_space_new(&c2, "other", r) ||
		    write(up[1], &r->sp[0].id, 4) != 4 ||
		    read(down[0], &c, 1) != 1) /* until the parent is done */
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(4, read(up[0], &other, 4));
	EXPECT_EQ(-ENOENT, vfio_bind(self->e.container, 16, 0, other));
	ASSERT_EQ(1, write(down[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

static int write_fail_step(int k);

static int set_flags(FIXTURE_DATA(dma) *self, uint32_t id, uint32_t flags)
{
	struct nlc_op op = NLC_SET_FLAGS(id, flags);

	return nlc_txn(&self->c, self->space, &op, 1, &self->r);
}

/*
 * set-flags adds dma (pins, maps), toggles readonly of a DMA range (new
 * IOMMU permissions: device writes fault) and removes dma (unmaps,
 * unpins); failed at its IOMMU step it changes nothing.
 */
TEST_F(dma, set_flags_changes_dma_and_permissions)
{
	uint32_t id = add(self, K_GPA, K_LEN, 0, 0);
	long log;

	ASSERT_NE(0, id);
	if (!access(FAIL_STEP, W_OK)) {
		ASSERT_EQ(0, write_fail_step(1)); /* its only step: the map */
		EXPECT_EQ(-ENOMEM, set_flags(self, id, DMA));
		EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
		EXPECT_EQ(0, vm_pin_kb());
	}
	ASSERT_EQ(0, set_flags(self, id, DMA)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(0, self->r.held_vcpus); /* KVM's slot did not change */
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(K_LEN / KB, vm_pin_kb());
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, 11));

	ASSERT_EQ(0, set_flags(self, id, DMA | MEMSLOT_RANGE_FLAGS_READONLY));
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_LAST_PINS_TAKEN));
	log = edu_faults_mark();
	EXPECT_EQ(0, edu_from_ram(&self->e, K_GPA, 256)); /* reads: fine */
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	memset(self->mem + 4096, 0, 256);
	EXPECT_EQ(0, edu_to_ram(&self->e, K_GPA + 4096, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
	EXPECT_EQ(0, self->mem[4096 + 1]); /* the write did not land */

	ASSERT_EQ(0, set_flags(self, id, DMA));
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, 12));

	ASSERT_EQ(0, set_flags(self, id, 0));
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_LAST_PINS_DROPPED));
	EXPECT_EQ(0, vm_pin_kb());
	log = edu_faults_mark();
	EXPECT_EQ(0, edu_from_ram(&self->e, K_GPA, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
}

TEST_F(dma, aliases_pin_once)
{
	uint32_t a, b;
	long log;

	a = add(self, K_GPA, K_LEN, 0, DMA);
	b = add(self, 2 * K_GPA, K_LEN, 0, DMA);
	ASSERT_NE(0, a);
	ASSERT_NE(0, b) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_LAST_PINS_TAKEN)); /* b: none */
	EXPECT_EQ(K_LEN / KB, vm_pin_kb());
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, 3));
	EXPECT_TRUE(round_trip(&self->e, self->mem, 2 * K_GPA, 0, 4));

	ASSERT_EQ(0, del(self, a));
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_LAST_PINS_DROPPED));
	EXPECT_EQ(K_LEN / KB, vm_pin_kb());
	EXPECT_TRUE(round_trip(&self->e, self->mem, 2 * K_GPA, 0, 5));
	log = edu_faults_mark();
	EXPECT_EQ(0, edu_from_ram(&self->e, K_GPA, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
	ASSERT_EQ(0, del(self, b));
	EXPECT_EQ(0, vm_pin_kb());
}

/* Drop CAP_IPC_LOCK from the effective set, so RLIMIT_MEMLOCK applies. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

TEST_F(dma, memlock_limit_refuses_and_changes_nothing)
{
	struct rlimit rl = { 64 * KB, 64 * KB };	/* 16 pages */
	struct nlc_op ops[2] = {
		NLC_ADD(K_GPA, 32 * KB, 0, 0, DMA),
		NLC_ADD(2 * K_GPA, 128 * KB, 0, 256 * KB, DMA),
	};
	uint64_t gen;

	ops[0].backing_id = ops[1].backing_id = self->backing;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, drop_ipc_lock());
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	gen = self->r.sp[0].generation;
	EXPECT_EQ(-ENOMEM, nlc_txn(&self->c, self->space, ops, 2, &self->r));
	EXPECT_STREQ("op 1: pinning 32 pages exceeds RLIMIT_MEMLOCK by 24 pages",
		     self->r.msg);
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(0, vm_pin_kb());
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	EXPECT_EQ(0, self->r.n_ranges);
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	EXPECT_EQ(gen, self->r.sp[0].generation);
	/* within the limit it works */
	EXPECT_NE(0, add(self, K_GPA, 64 * KB, 0, DMA)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(64, vm_pin_kb());
}

static int write_fail_step(int k)
{
	char buf[16];
	int fd = open(FAIL_STEP, O_WRONLY), n;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", k);
	n = write(fd, buf, n) == n ? 0 : -errno;
	close(fd);
	return n;
}

/*
 * A transaction that removes DMA range Z, adds DMA range X over other
 * pages and non-DMA range Y: steps are X's IOMMU map, then the KVM steps.
 * Failed at each step, pins, mappings and ranges are as before.
 */
TEST_F(dma, failure_at_every_step_changes_nothing)
{
	uint32_t z = add(self, K_GPA, K_LEN, 0, DMA);
	struct nlc_op ops[3] = {
		NLC_REMOVE(z),
		NLC_ADD(2 * K_GPA, K_LEN, 0, 512 * KB, DMA),
		NLC_ADD(3 * K_GPA, K_LEN, 0, 0, 0),
	};
	int k;
	long log;

	ASSERT_NE(0, z);
	if (access(FAIL_STEP, W_OK))
		SKIP(return, "no %s", FAIL_STEP);
	ops[1].backing_id = ops[2].backing_id = self->backing;
	log = edu_faults_mark();
	for (k = 1; k <= 4; k++) {
		ASSERT_EQ(0, write_fail_step(k));
		EXPECT_EQ(-ENOMEM, nlc_txn(&self->c, self->space, ops, 3, &self->r));
		EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES)) TH_LOG("step %d", k);
		EXPECT_EQ(K_LEN / KB, vm_pin_kb());
		EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, k)) TH_LOG("step %d", k);
		ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
		EXPECT_EQ(1, self->r.n_ranges);
	}
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	/* X was mapped by step 1 of the last try, and unmapped by its rollback */
	EXPECT_EQ(0, edu_from_ram(&self->e, 2 * K_GPA, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, ops, 3, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_TRUE(round_trip(&self->e, self->mem, 2 * K_GPA, 512 * KB, 9));
}

/*
 * A DMA range replaced in place (same IOVAs, other pages): the old mapping
 * goes just before the new one is made. Failed at each step (the new
 * map, the KVM delete, the KVM create), the old mapping is back.
 */
TEST_F(dma, inplace_replacement_rolls_back)
{
	uint32_t z = add(self, K_GPA, K_LEN, 0, DMA);
	struct nlc_op ops[2] = {
		NLC_REMOVE(z),
		NLC_ADD(K_GPA, K_LEN, 0, 512 * KB, DMA),
	};
	int k;
	long log;

	ASSERT_NE(0, z);
	if (access(FAIL_STEP, W_OK))
		SKIP(return, "no %s", FAIL_STEP);
	ops[1].backing_id = self->backing;
	log = edu_faults_mark();
	for (k = 1; k <= 3; k++) {
		ASSERT_EQ(0, write_fail_step(k));
		EXPECT_EQ(-ENOMEM, nlc_txn(&self->c, self->space, ops, 2, &self->r));
		EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
		/* through the old pages, not the new ones */
		memset(self->mem + 512 * KB, 0, 8192);
		EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, k)) TH_LOG("step %d", k);
		EXPECT_EQ(0, self->mem[512 * KB + 4096 + 1]);
	}
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, ops, 2, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_LAST_PINS_TAKEN));
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_LAST_PINS_DROPPED));
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 512 * KB, 10));
}

/* Round trips through every page of a range, until told to stop. */
struct walk_loop {
	struct edu *e;
	uint8_t *mem;
	uint64_t gpa, off, pages;	/* the range the device walks */
	volatile bool stop;
	volatile unsigned long trips;
	unsigned long bad;
	pthread_t thr;
};

static void *walk_thread(void *arg)
{
	struct walk_loop *l = arg;
	uint64_t pg;

	while (!l->stop) {
		pg = (l->trips * 7) % (l->pages - 1); /* a trip uses pg, pg + 1 */
		if (!round_trip(l->e, l->mem, l->gpa + pg * 4096,
				l->off + pg * 4096, l->trips))
			l->bad++;
		l->trips++;
	}
	return NULL;
}

static int walk_start(struct walk_loop *l)
{
	return pthread_create(&l->thr, NULL, walk_thread, l);
}

static void walk_stop(struct walk_loop *l)
{
	l->stop = true;
	pthread_join(l->thr, NULL);
}

static bool walk_progress(struct walk_loop *l)
{
	unsigned long start = l->trips;
	time_t t0 = time(NULL);

	while (l->trips == start && time(NULL) - t0 < 30)
		sched_yield();
	return l->trips != start;
}

/* 2000 pinning commits: over 4 minutes on the debug kernel under TCG */
TEST_F_TIMEOUT(dma, neighbour_churn_under_dma, 900)
{
	struct walk_loop l = { .e = &self->e, .mem = self->mem, .gpa = K_GPA,
			       .pages = 2 }; /* the first page only */
	struct nlc_op add2[2] = {
		NLC_ADD(K_GPA - K_LEN, K_LEN, 0, K_LEN, DMA),
		NLC_ADD(K_GPA + K_LEN, K_LEN, 0, 2 * K_LEN, DMA),
	};
	struct nlc_op del2[2];
	uint64_t taken, dropped;
	int i;
	long log;

	ASSERT_NE(0, add(self, K_GPA, K_LEN, 0, DMA));
	add2[0].backing_id = add2[1].backing_id = self->backing;
	taken = stat(self, MEMSLOT_A_STATS_PINS_TAKEN);
	dropped = stat(self, MEMSLOT_A_STATS_PINS_DROPPED);
	log = edu_faults_mark();
	ASSERT_EQ(0, walk_start(&l));
	for (i = 0; i < 2000; i++) {
		if (i % 2 == 0) {
			ASSERT_EQ(0, nlc_txn(&self->c, self->space, add2, 2, &self->r)) TH_LOG("%s", self->r.msg);
			del2[0] = (struct nlc_op)NLC_REMOVE(self->r.added[0].id);
			del2[1] = (struct nlc_op)NLC_REMOVE(self->r.added[1].id);
		} else {
			ASSERT_EQ(0, nlc_txn(&self->c, self->space, del2, 2, &self->r));
		}
		if (i % 10 == 0) /* the device works all along */
			ASSERT_TRUE(walk_progress(&l));
	}
	walk_stop(&l);
	TH_LOG("2000 neighbour commits, %lu DMA round trips through the kept range, %lu wrong",
	       l.trips, l.bad);
	EXPECT_LT(0, l.trips);
	EXPECT_EQ(0, l.bad);
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	/* exactly the neighbours' pages: the kept range was never re-pinned */
	EXPECT_EQ(taken + 1000 * 2 * PAGES(K_LEN),
		  stat(self, MEMSLOT_A_STATS_PINS_TAKEN));
	EXPECT_EQ(dropped + 1000 * 2 * PAGES(K_LEN),
		  stat(self, MEMSLOT_A_STATS_PINS_DROPPED));
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
}

/* IOMMU work summed over the commits of a test, from their replies. */
struct dma_sum {
	uint64_t map_calls, unmap_calls, map_pages, unmap_pages, kept, hole;
};

static void dma_sum_add(struct dma_sum *d, struct nlc_result *r)
{
	d->map_calls += NLC_DMA(r, MAP_CALLS);
	d->unmap_calls += NLC_DMA(r, UNMAP_CALLS);
	d->map_pages += NLC_DMA(r, MAP_PAGES);
	d->unmap_pages += NLC_DMA(r, UNMAP_PAGES);
	d->kept += NLC_DMA(r, KEPT_PAGES);
	d->hole += NLC_DMA(r, HOLE_PAGES);
}

/*
 * Replace the ranges @ids[0..@n) covering [@gpa, @gpa + @len) at backing
 * offset @off by @m ranges over the same pages; their ids into @ids.
 */
static int reshape(FIXTURE_DATA(dma) *self, uint32_t *ids, int n, int m,
		   uint64_t gpa, uint64_t len, uint64_t off, struct dma_sum *d)
{
	struct nlc_op ops[2 * 256 + 2];
	uint64_t piece = len / m;
	int i, err;

	for (i = 0; i < n; i++)
		ops[i] = (struct nlc_op)NLC_REMOVE(ids[i]);
	for (i = 0; i < m; i++)
		ops[n + i] = (struct nlc_op)NLC_ADD(gpa + i * piece, piece,
						    self->backing,
						    off + i * piece, DMA);
	err = nlc_txn(&self->c, self->space, ops, n + m, &self->r);
	if (err)
		return err;
	for (i = 0; i < m; i++)
		ids[i] = self->r.added[i].id;
	dma_sum_add(d, &self->r);
	return 0;
}

/*
 * The device walks a 1 MiB DMA range while commits split it into 2, 16
 * and 256 ranges over the same pages and merge it back, thousands of
 * times: not one IOMMU call, pin, wrong round trip or DMAR fault.
 */
TEST_F_TIMEOUT(dma, split_and_merge_under_dma_touch_nothing, 600)
{
	static const int split[] = { 2, 16, 256 }, cycles[] = { 1000, 150, 12 };
	const uint64_t len = 1024 * KB;
	struct walk_loop l = { .e = &self->e, .mem = self->mem, .gpa = K_GPA,
			       .pages = PAGES(len) };
	uint64_t taken, dropped, commits = 0;
	struct dma_sum d = { 0 };
	uint32_t ids[256];
	int s, c;
	long log;

	ids[0] = add(self, K_GPA, len, 0, DMA);
	ASSERT_NE(0, ids[0]) TH_LOG("%s", self->r.msg);
	taken = stat(self, MEMSLOT_A_STATS_PINS_TAKEN);
	dropped = stat(self, MEMSLOT_A_STATS_PINS_DROPPED);
	log = edu_faults_mark();
	ASSERT_EQ(0, walk_start(&l));
	for (s = 0; s < 3; s++) {
		for (c = 0; c < cycles[s]; c++) {
			ASSERT_EQ(0, reshape(self, ids, 1, split[s], K_GPA, len, 0, &d)) TH_LOG("%s", self->r.msg);
			ASSERT_EQ(0, reshape(self, ids, split[s], 1, K_GPA, len, 0, &d)) TH_LOG("%s", self->r.msg);
			commits += 2;
			if (c % 20 == 0) /* the device works all along */
				ASSERT_TRUE(walk_progress(&l));
		}
	}
	walk_stop(&l);
	TH_LOG("%llu split/merge commits, %lu round trips, %lu wrong; IOMMU map %llu unmap %llu calls, kept %llu pages",
	       (unsigned long long)commits, l.trips, l.bad,
	       (unsigned long long)d.map_calls, (unsigned long long)d.unmap_calls,
	       (unsigned long long)d.kept);
	EXPECT_LT(0, l.trips);
	EXPECT_EQ(0, l.bad);
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	EXPECT_EQ(0, d.map_calls);
	EXPECT_EQ(0, d.unmap_calls);
	EXPECT_EQ(0, d.hole);
	EXPECT_EQ(commits * PAGES(len), d.kept);
	EXPECT_EQ(taken, stat(self, MEMSLOT_A_STATS_PINS_TAKEN));
	EXPECT_EQ(dropped, stat(self, MEMSLOT_A_STATS_PINS_DROPPED));
	EXPECT_EQ(PAGES(len), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_DMA_HOLE_PAGES));
}

/*
 * Two aliases of one backing, merged into one range as a VMM's flat view
 * merges them; removing the second and adding it back changes the range
 * in place. The device walks the first alias all along: its IOVAs keep
 * their IOMMU entries and pins; only the second alias's pages are mapped
 * and unmapped, and they fault while it is gone.
 */
TEST_F_TIMEOUT(dma, alias_change_keeps_translations, 300)
{
	struct walk_loop l = { .e = &self->e, .mem = self->mem, .gpa = K_GPA,
			       .pages = PAGES(K_LEN) };
	struct dma_sum d = { 0 };
	uint32_t ids[1];
	long log;
	int i;

	ids[0] = add(self, K_GPA, 2 * K_LEN, 0, DMA);
	ASSERT_NE(0, ids[0]) TH_LOG("%s", self->r.msg);
	log = edu_faults_mark();
	ASSERT_EQ(0, walk_start(&l));
	for (i = 0; i < 1000; i++) {
		/* the second alias goes, then comes back */
		ASSERT_EQ(0, reshape(self, ids, 1, 1, K_GPA, K_LEN, 0, &d)) TH_LOG("%s", self->r.msg);
		EXPECT_EQ(PAGES(K_LEN), NLC_DMA(&self->r, UNMAP_PAGES));
		EXPECT_EQ(PAGES(K_LEN), NLC_DMA(&self->r, KEPT_PAGES));
		EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_LAST_PINS_DROPPED));
		ASSERT_EQ(0, reshape(self, ids, 1, 1, K_GPA, 2 * K_LEN, 0, &d)) TH_LOG("%s", self->r.msg);
		EXPECT_EQ(PAGES(K_LEN), NLC_DMA(&self->r, MAP_PAGES));
		EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_LAST_PINS_TAKEN));
		if (i % 20 == 0)
			ASSERT_TRUE(walk_progress(&l));
	}
	walk_stop(&l);
	TH_LOG("2000 alias commits, %lu round trips through the first alias, %lu wrong",
	       l.trips, l.bad);
	EXPECT_EQ(0, l.bad);
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	EXPECT_EQ(1000 * PAGES(K_LEN), d.map_pages);
	EXPECT_EQ(1000 * PAGES(K_LEN), d.unmap_pages);
	EXPECT_EQ(2000 * PAGES(K_LEN), d.kept);
	EXPECT_EQ(0, d.hole);
	/* while it is gone, the second alias faults */
	ASSERT_EQ(0, reshape(self, ids, 1, 1, K_GPA, K_LEN, 0, &d));
	EXPECT_EQ(0, edu_from_ram(&self->e, K_GPA + K_LEN, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
}

/*
 * A range replaced by one over other pages at the same IOVAs: no kernel
 * gives an atomic IOMMU replace, so dma-hole refuse refuses it, naming the
 * op and the page, and changes nothing; allow goes through a hole of
 * exactly the range's pages, counted per commit and per space.
 */
TEST_F(dma, translation_change_refused_or_counted_as_hole)
{
	uint32_t z = add(self, K_GPA, K_LEN, 0, DMA);
	struct nlc_op ops[2] = {
		NLC_REMOVE(z),
		NLC_ADD(K_GPA, K_LEN, 0, 512 * KB, DMA),
	};

	ASSERT_NE(0, z);
	ops[1].backing_id = self->backing;
	EXPECT_EQ(-EINVAL, nlc_txn_dma_hole(&self->c, self->space, ops, 2,
					    MEMSLOT_DMA_HOLE_MODE_REFUSE, &self->r));
	EXPECT_STREQ("op 1: would unmap DMA page 0x100000 in place: no atomic IOMMU replace",
		     self->r.msg);
	EXPECT_EQ(MEMSLOT_A_TXN_DMA_HOLE, self->r.bad_attr);
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_PINNED_PAGES));
	/* the last successful commit is still the add */
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_LAST_PINS_TAKEN));
	EXPECT_EQ(0, stat(self, MEMSLOT_A_STATS_DMA_HOLE_PAGES));
	memset(self->mem + 512 * KB, 0, 8192);
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, 1)); /* old pages */
	EXPECT_EQ(0, self->mem[512 * KB + 4096 + 1]);

	ASSERT_EQ(0, nlc_txn_dma_hole(&self->c, self->space, ops, 2,
				      MEMSLOT_DMA_HOLE_MODE_ALLOW, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(K_LEN), NLC_DMA(&self->r, HOLE_PAGES));
	EXPECT_EQ(PAGES(K_LEN), NLC_DMA(&self->r, MAP_PAGES));
	EXPECT_EQ(PAGES(K_LEN), NLC_DMA(&self->r, UNMAP_PAGES));
	EXPECT_EQ(0, NLC_DMA(&self->r, KEPT_PAGES));
	EXPECT_EQ(PAGES(K_LEN), stat(self, MEMSLOT_A_STATS_DMA_HOLE_PAGES));
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 512 * KB, 2)); /* new */
}

/*
 * A readonly toggle of a DMA range changes its IOMMU permissions: the same
 * refusal, or a counted hole; after it device writes fault, reads work.
 */
TEST_F(dma, readonly_toggle_refused_or_counted_as_hole)
{
	uint32_t id = add(self, K_GPA, K_LEN, 0, DMA);
	struct nlc_op op = NLC_SET_FLAGS(id, DMA | MEMSLOT_RANGE_FLAGS_READONLY);
	long log;

	ASSERT_NE(0, id);
	EXPECT_EQ(-EINVAL, nlc_txn_dma_hole(&self->c, self->space, &op, 1,
					    MEMSLOT_DMA_HOLE_MODE_REFUSE, &self->r));
	EXPECT_STREQ("op 0: would unmap DMA page 0x100000 in place: no atomic IOMMU replace",
		     self->r.msg);
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, 3)); /* still rw */

	ASSERT_EQ(0, nlc_txn(&self->c, self->space, &op, 1, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(K_LEN), NLC_DMA(&self->r, HOLE_PAGES));
	EXPECT_EQ(0, NLC_DMA(&self->r, KEPT_PAGES));
	log = edu_faults_mark();
	EXPECT_EQ(0, edu_from_ram(&self->e, K_GPA, 256));
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	EXPECT_EQ(0, edu_to_ram(&self->e, K_GPA + 4096, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
}

/*
 * One commit with every kind of IOMMU change: X split in place into X1
 * (same pages: kept) and X2 (other pages: a hole), Y removed (unmapped at
 * the end), Z added (mapped). Failed at each step (X2's map, Z's map, the
 * five KVM steps), mappings, pins, ranges and the device's view are as
 * before; then it commits with exactly the expected IOMMU work.
 */
TEST_F(dma, failure_at_every_iommu_step_changes_nothing)
{
	const uint64_t h = K_LEN / 2;
	uint32_t x = add(self, K_GPA, K_LEN, 0, DMA);
	uint32_t y = add(self, K_GPA + K_LEN, K_LEN, K_LEN, DMA);
	struct nlc_op ops[5] = {
		NLC_REMOVE(x),
		NLC_REMOVE(y),
		NLC_ADD(K_GPA, h, 0, 0, DMA),
		NLC_ADD(K_GPA + h, h, 0, 512 * KB, DMA),
		NLC_ADD(K_GPA + 3 * K_LEN, K_LEN, 0, 3 * K_LEN, DMA),
	};
	uint64_t pinned;
	int k;
	long log;

	ASSERT_NE(0, x);
	ASSERT_NE(0, y);
	if (access(FAIL_STEP, W_OK))
		SKIP(return, "no %s", FAIL_STEP);
	ops[2].backing_id = ops[3].backing_id = ops[4].backing_id = self->backing;
	pinned = stat(self, MEMSLOT_A_STATS_PINNED_PAGES);
	log = edu_faults_mark();
	for (k = 1; k <= 7; k++) {
		ASSERT_EQ(0, write_fail_step(k));
		EXPECT_EQ(-ENOMEM, nlc_txn(&self->c, self->space, ops, 5, &self->r));
		EXPECT_EQ(pinned, stat(self, MEMSLOT_A_STATS_PINNED_PAGES)) TH_LOG("step %d", k);
		memset(self->mem + 512 * KB, 0, 2 * h);
		EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, k)) TH_LOG("step %d", k);
		EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA + h, h, k)) TH_LOG("step %d", k);
		EXPECT_EQ(0, self->mem[512 * KB + 4096 + 1]);
		EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA + K_LEN, K_LEN, k));
		ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
		EXPECT_EQ(2, self->r.n_ranges);
	}
	EXPECT_EQ(0, edu_faults_since(log, 1, 0));
	EXPECT_EQ(0, edu_from_ram(&self->e, K_GPA + 3 * K_LEN, 256)); /* Z: none */
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, ops, 5, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(h), NLC_DMA(&self->r, KEPT_PAGES));
	EXPECT_EQ(PAGES(h), NLC_DMA(&self->r, HOLE_PAGES));
	EXPECT_EQ(PAGES(h) + PAGES(K_LEN), NLC_DMA(&self->r, MAP_PAGES));
	EXPECT_EQ(PAGES(h) + PAGES(K_LEN), NLC_DMA(&self->r, UNMAP_PAGES));
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA, 0, 20));
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA + h, 512 * KB, 21));
	EXPECT_TRUE(round_trip(&self->e, self->mem, K_GPA + 3 * K_LEN, 3 * K_LEN, 22));
	log = edu_faults_mark();
	EXPECT_EQ(0, edu_from_ram(&self->e, K_GPA + K_LEN, 256)); /* Y: gone */
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
}

/*
 * A device may write DMA-mapped pages at any time, untracked: dirty-get
 * reports all of them while a container is bound, with or without dirty
 * logging, and says how many it reported for that reason; unmapped, they
 * are dirty once more.
 */
TEST_F(dma, dma_mapped_pages_are_reported_dirty)
{
	uint64_t bits[PAGES(MEM_SIZE) / 64];
	uint32_t id = add(self, K_GPA, K_LEN, K_LEN,
			  DMA | MEMSLOT_RANGE_FLAGS_DIRTY_LOG);
	int i;

	ASSERT_NE(0, id) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_dirty_get(&self->c, self->space, self->backing, 0,
				   MEM_SIZE, bits, sizeof(bits), true, &self->r))
		TH_LOG("%s", self->r.msg);
	EXPECT_EQ(PAGES(K_LEN), self->r.dirty_pages);
	EXPECT_EQ(PAGES(K_LEN), self->r.dma_pages);
	for (i = 0; i < (int)PAGES(MEM_SIZE); i++)
		EXPECT_EQ(i >= (int)PAGES(K_LEN) && i < 2 * (int)PAGES(K_LEN),
			  (int)(bits[i / 64] >> (i % 64) & 1)) TH_LOG("page %d", i);
	/* cleared or not, still mapped: still dirty */
	ASSERT_EQ(0, nlc_dirty_get(&self->c, self->space, self->backing, 0,
				   MEM_SIZE, bits, sizeof(bits), true, &self->r));
	EXPECT_EQ(PAGES(K_LEN), self->r.dma_pages);
	/* unmapped: dirty once more (written since the last read?), then not */
	ASSERT_EQ(0, del(self, id));
	ASSERT_EQ(0, nlc_dirty_get(&self->c, self->space, self->backing, 0,
				   MEM_SIZE, bits, sizeof(bits), true, &self->r));
	EXPECT_EQ(PAGES(K_LEN), self->r.dirty_pages);
	EXPECT_EQ(0, self->r.dma_pages);
	ASSERT_EQ(0, nlc_dirty_get(&self->c, self->space, self->backing, 0,
				   MEM_SIZE, bits, sizeof(bits), true, &self->r));
	EXPECT_EQ(0, self->r.dirty_pages);
}

/*
 * The container closed before the space: the space is unbound and its DMA
 * range unmapped, but still pinned until it is removed; the space works on.
 */
TEST_F(dma, container_closed_first)
{
	uint32_t id = add(self, K_GPA, K_LEN, 0, DMA);

	ASSERT_NE(0, id);
	edu_close(&self->e);
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	EXPECT_EQ(PAGES(K_LEN), self->r.sp[0].stats[MEMSLOT_A_STATS_PINNED_PAGES]);
	EXPECT_EQ(K_LEN / KB, vm_pin_kb());
	EXPECT_EQ(0, add(self, 2 * K_GPA, K_LEN, 0, DMA));
	EXPECT_NE(NULL, strstr(self->r.msg, "no VFIO container is bound"));
	EXPECT_EQ(0, del(self, id));
	EXPECT_EQ(0, vm_pin_kb());
	EXPECT_NE(0, add(self, 2 * K_GPA, K_LEN, 0, 0)); /* plain ranges work */
}

/*
 * FOLL_PIN pages acquired minus released, host-wide (/proc/vmstat), with
 * the per-CPU deltas folded in first (vm.stat_refresh).
 */
static long foll_pins(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	char name[64];
	long v, acq = -1, rel = -1;
	FILE *f;

	if (fd < 0 || write(fd, "1", 1) != 1)
		acq = rel = -2;
	if (fd >= 0)
		close(fd);
	f = fopen("/proc/vmstat", "r");

	while (f && fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acq = v;
		if (!strcmp(name, "nr_foll_pin_released"))
			rel = v;
	}
	if (f)
		fclose(f);
	return acq - rel;
}

/* The owner: DMA ranges pinned, then a stream of commits. */
static void owner_stream(void *arg, int out)
{
	FIXTURE_DATA(dma) *self = arg;
	struct nlc_op op;
	uint32_t id;

	if (nlc_open(&self->c) || edu_open(&self->e, MEMSLOT_VFIO_IOMMU) ||
	    guest_open(&self->g) ||
	    nlc_space_new(&self->c, "doomed", &self->r))
		exit(1);
	self->space = self->r.sp[0].id;
	if (nlc_space_bind(&self->c, self->space, self->g.vm, 10, 64, &self->r) ||
	    edu_bind(&self->e, self->space) ||
	    nlc_backing_new(&self->c, self->space, self->mem, MEM_SIZE, &self->r))
		exit(1);
	self->backing = self->r.backing_id;
	if (!add(self, K_GPA, 512 * KB, 0, DMA))
		exit(1);
	for (;;) {
		id = add(self, 4 * K_GPA, 256 * KB, 1024 * KB, DMA);
		op = (struct nlc_op)NLC_REMOVE(id);
		if (!id || nlc_txn(&self->c, self->space, &op, 1, &self->r) ||
		    write(out, "c", 1) != 1)
			exit(1);
	}
}

TEST_F_TIMEOUT(dma, owner_killed_mid_stream, 120)
{
	long pins = foll_pins();
	struct edu fresh;
	int status;
	long log;
	pid_t pid;

	edu_close(&self->e); /* the group is the child's now */
	nlc_close(&self->c);
	pid = child_kill_after(owner_stream, self, 50, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, nlc_flush());
	EXPECT_EQ(pins, foll_pins()); /* every pin of the child is released */

	/* the device, in a new container with nothing mapped, faults */
	ASSERT_EQ(0, edu_open(&fresh, MEMSLOT_VFIO_IOMMU));
	log = edu_faults_mark();
	EXPECT_EQ(0, edu_to_ram(&fresh, K_GPA, 256));
	EXPECT_LE(1, edu_faults_since(log, 1, 10));
	edu_close(&fresh);
	ASSERT_EQ(0, nlc_open(&self->c));
}

static char *ctl_out(const char *args)
{
	static char buf[4096];
	char cmd[256];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%smemslotctl %s 2>&1",
		 access("./memslotctl", X_OK) ? "" : "./", args);
	f = popen(cmd, "r");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		pclose(f);
	return buf;
}

/* The same through libmemslot, and what memslotctl shows of it. */
TEST(library_and_memslotctl)
{
	uint32_t space, backing, id;
	struct memslot_space *sp;
	struct memslot_txn *t;
	struct memslot *ms;
	char args[64];
	struct guest g;
	struct edu e;
	uint8_t *mem;
	int err;

	err = edu_open(&e, MEMSLOT_VFIO_IOMMU);
	if (err == -ENODEV || memslot_open(&ms))
		SKIP(return, "no edu device or no memslot family");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, guest_open(&g));
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, memslot_space_new(ms, "dma-lib", &space));
	ASSERT_EQ(0, memslot_space_bind(ms, space, g.vm, 10, 8, 0, 0));
	EXPECT_EQ(-EBADF, memslot_vfio_bind(ms, space, -1));
	EXPECT_NE(NULL, strstr(memslot_errmsg(ms), "VFIO container fd -1"));
	ASSERT_EQ(0, memslot_vfio_bind(ms, space, e.container)) TH_LOG("%s", memslot_errmsg(ms));
	EXPECT_EQ(-EBUSY, memslot_vfio_bind(ms, space, e.container));
	ASSERT_EQ(0, memslot_backing_new(ms, space, mem, MEM_SIZE, "ram", &backing));
	t = memslot_txn_begin(ms, space);
	ASSERT_EQ(0, memslot_txn_add(t, K_GPA, K_LEN, backing, 0, MEMSLOT_RANGE_DMA));
	ASSERT_EQ(0, memslot_txn_commit(t)) TH_LOG("%s", memslot_errmsg(ms));
	id = memslot_txn_added_id(t, 0);
	EXPECT_NE(0, id);
	EXPECT_EQ(PAGES(K_LEN), memslot_txn_stat(t, MEMSLOT_STAT_DMA_MAP_PAGES));
	EXPECT_EQ(0, memslot_txn_stat(t, MEMSLOT_STAT_COMMITS));
	memslot_txn_free(t);
	EXPECT_TRUE(round_trip(&e, mem, K_GPA, 0, 42));
	ASSERT_EQ(0, memslot_space_get(ms, space, &sp));
	EXPECT_EQ(PAGES(K_LEN), memslot_space_stat(sp, MEMSLOT_STAT_PINNED_PAGES));
	EXPECT_EQ(PAGES(K_LEN), memslot_space_stat(sp, MEMSLOT_STAT_LAST_PINS_TAKEN));
	memslot_space_free(sp);

	snprintf(args, sizeof(args), "range list %u", space);
	EXPECT_NE(NULL, strstr(ctl_out(args), " dma slots 1\n"));
	snprintf(args, sizeof(args), "-s space show %u", space);
	EXPECT_NE(NULL, strstr(ctl_out(args), "    dma pinned 16 pages, pins taken 16 dropped 0 (last commit 16/0)\n")) TH_LOG("%s", ctl_out(args));
	EXPECT_NE(NULL, strstr(ctl_out(args), " calls 16 pages, unmap 0 calls 0 pages, kept 0 pages, hole 0 pages\n"));
	snprintf(args, sizeof(args), "-j range list %u", space);
	EXPECT_NE(NULL, strstr(ctl_out(args), "\"dma\":true"));
	snprintf(args, sizeof(args), "-j space show %u", space);
	EXPECT_NE(NULL, strstr(ctl_out(args), "\"dma_bound\":true"));
	/* the same IOVAs over other pages: refused with dma-hole refuse */
	t = memslot_txn_begin(ms, space);
	EXPECT_EQ(-EINVAL, memslot_txn_set_dma_hole(t, 3));
	ASSERT_EQ(0, memslot_txn_set_dma_hole(t, MEMSLOT_DMA_HOLE_REFUSE));
	ASSERT_EQ(0, memslot_txn_remove(t, id));
	ASSERT_EQ(0, memslot_txn_add(t, K_GPA, K_LEN, backing, K_LEN, MEMSLOT_RANGE_DMA));
	EXPECT_EQ(-EINVAL, memslot_txn_commit(t));
	EXPECT_EQ(1, memslot_err_op(ms));
	EXPECT_NE(NULL, strstr(memslot_errmsg(ms), "no atomic IOMMU replace")) TH_LOG("%s", memslot_errmsg(ms));
	memslot_txn_free(t);
	memslot_close(ms); /* the space goes, and its pins */
	ASSERT_EQ(0, nlc_flush());
	EXPECT_EQ(0, vm_pin_kb());
	edu_close(&e);
	guest_close(&g);
}

TEST_HARNESS_MAIN
