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
	ASSERT_EQ(0, nlc_space_bind(&self->c, self->space, self->g.vm, 10, 64,
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

struct dma_loop {
	struct edu *e;
	uint8_t *mem;
	volatile bool stop;
	volatile unsigned long trips;
	unsigned long bad;
};

/* Wait until the DMA thread completes another round trip. */
static bool dma_progress(struct dma_loop *l)
{
	unsigned long start = l->trips;
	time_t t0 = time(NULL);

	while (l->trips == start && time(NULL) - t0 < 30)
		sched_yield();
	return l->trips != start;
}

/* Round trips through the kept range until told to stop. */
static void *dma_thread(void *arg)
{
	struct dma_loop *l = arg;

	while (!l->stop) {
		if (!round_trip(l->e, l->mem, K_GPA, 0, l->trips))
			l->bad++;
		l->trips++;
	}
	return NULL;
}

TEST_F_TIMEOUT(dma, neighbour_churn_under_dma, 240)
{
	struct dma_loop l = { .e = &self->e, .mem = self->mem };
	struct nlc_op add2[2] = {
		NLC_ADD(K_GPA - K_LEN, K_LEN, 0, K_LEN, DMA),
		NLC_ADD(K_GPA + K_LEN, K_LEN, 0, 2 * K_LEN, DMA),
	};
	struct nlc_op del2[2];
	uint64_t taken, dropped;
	pthread_t thr;
	int i;
	long log;

	ASSERT_NE(0, add(self, K_GPA, K_LEN, 0, DMA));
	add2[0].backing_id = add2[1].backing_id = self->backing;
	taken = stat(self, MEMSLOT_A_STATS_PINS_TAKEN);
	dropped = stat(self, MEMSLOT_A_STATS_PINS_DROPPED);
	log = edu_faults_mark();
	ASSERT_EQ(0, pthread_create(&thr, NULL, dma_thread, &l));
	for (i = 0; i < 2000; i++) {
		if (i % 2 == 0) {
			ASSERT_EQ(0, nlc_txn(&self->c, self->space, add2, 2, &self->r)) TH_LOG("%s", self->r.msg);
			del2[0] = (struct nlc_op)NLC_REMOVE(self->r.added[0].id);
			del2[1] = (struct nlc_op)NLC_REMOVE(self->r.added[1].id);
		} else {
			ASSERT_EQ(0, nlc_txn(&self->c, self->space, del2, 2, &self->r));
		}
		if (i % 10 == 0) /* the device works all along */
			ASSERT_TRUE(dma_progress(&l));
	}
	l.stop = true;
	pthread_join(thr, NULL);
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
	uint32_t space, backing;
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
	EXPECT_NE(0, memslot_txn_added_id(t, 0));
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
	snprintf(args, sizeof(args), "-j range list %u", space);
	EXPECT_NE(NULL, strstr(ctl_out(args), "\"dma\":true"));
	snprintf(args, sizeof(args), "-j space show %u", space);
	EXPECT_NE(NULL, strstr(ctl_out(args), "\"dma_bound\":true"));
	memslot_close(ms); /* the space goes, and its pins */
	ASSERT_EQ(0, nlc_flush());
	EXPECT_EQ(0, vm_pin_kb());
	edu_close(&e);
	guest_close(&g);
}

TEST_HARNESS_MAIN
