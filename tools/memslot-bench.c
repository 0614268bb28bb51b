// SPDX-License-Identifier: GPL-2.0
/*
 * memslot-bench: what a transaction costs against the plain ioctls that
 * do the same KVM work, measured in the same run on the same machine.
 * Prints figures and ratios; asserts nothing (make bench).
 *
 *   1. N adds, then N removes: one transaction of N ops against N
 *      KVM_SET_USER_MEMORY_REGION calls on a VM of its own (N = 1, 16,
 *      256, 1024, 4096).
 *   2. One add + remove in a space of S ranges: the cost of an op as the
 *      space grows (the design's O(log n)), up to all of KVM's 32764
 *      slots; the memory per range (the module's and KVM's), and a dump
 *      of all ranges.
 *   3. In-place replacement of a range under a vCPU that reads it: a held
 *      commit against delete + create, with the holes each lets the vCPU
 *      see.
 *   4. The dirty log of a 1 GiB window chunked into 1, 16 and 256 slots:
 *      one dirty-get against KVM_GET_DIRTY_LOG of every slot, merged into
 *      one bitmap as a VMM does.
 *   5. A 2 MiB window of a 1 GiB slot read and cleared, in KVM's default
 *      dirty-log mode and with manual protect (the module clears only the
 *      window), against KVM_GET_DIRTY_LOG (+ KVM_CLEAR_DIRTY_LOG of the
 *      window under manual protect) by the VMM itself.
 *   6. The hold policy: N = 1, 16, 256 fresh adds and removes with 0, 1
 *      and 2 running vCPUs (one reading, one also exiting to userspace
 *      every pass), plain ioctls against hold never, always and auto, and
 *      auto with a pause budget; the longest guest pause of each.
 *   7. Where a one-op commit's time goes: netlink, parsing, prepare and
 *      reply (the rest of the round trip), memslot's commit, KVM's ioctl
 *      (the reply's commit-ns and kvm-ns), against one plain ioctl.
 *
 * Lines "JSON {...}" carry the figures of sections 1, 2 and 7 for
 * tools/vm/run-bench.sh (build/bench-KVER.json and .png).
 * memslot-bench [SECTION...] runs only those sections.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "libmemslot.h"
#include "../selftests/guest.h"

#define KB		1024ULL
#define MB		(1024 * KB)
#define BASE_GPA	(16 * MB)	/* above the guest's code page */
#define SCALE_MAX	32762		/* + pair + code: KVM's 32764 slots */
#define MEM_SIZE	(64 * MB)

struct bench {
	struct memslot *ms;
	uint8_t *mem;
};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* A space bound to @g's VM, with the whole of mem as backing 1. */
static int space_for(struct bench *b, struct guest *g, uint32_t slots,
		     uint32_t *space, uint32_t *backing)
{
	int err = memslot_space_new(b->ms, "bench", space);

	if (!err)
		err = memslot_space_bind(b->ms, *space, g->vm, 1, slots, 0, 0);
	if (!err)
		err = memslot_backing_new(b->ms, *space, b->mem, MEM_SIZE,
					  "mem", backing);
	if (err)
		fprintf(stderr, "memslot-bench: %s\n", memslot_errmsg(b->ms));
	return err;
}

/* Commit @t: us, or -1 (@t freed) with the kernel's message printed. */
static double timed_commit(struct bench *b, struct memslot_txn *t)
{
	double t0 = now_us();

	if (memslot_txn_commit(t)) {
		fprintf(stderr, "memslot-bench: %s\n", memslot_errmsg(b->ms));
		memslot_txn_free(t);
		return -1;
	}
	return now_us() - t0;
}

/* N 4 KiB ranges, 8 KiB apart, in one transaction; ids to @ids. */
static double memslot_adds(struct bench *b, uint32_t space, uint32_t backing,
			   uint64_t base, unsigned int n, uint32_t *ids)
{
	struct memslot_txn *t = memslot_txn_begin(b->ms, space);
	unsigned int i;
	double t0;

	for (i = 0; i < n; i++)
		memslot_txn_add(t, base + i * 8 * KB, 4 * KB, backing,
				(i * 4 * KB) % MEM_SIZE, 0);
	t0 = timed_commit(b, t);
	if (t0 < 0)
		return -1;
	for (i = 0; ids && i < n; i++)
		ids[i] = memslot_txn_added_id(t, i);
	memslot_txn_free(t);
	return t0;
}

static double memslot_removes(struct bench *b, uint32_t space,
			      const uint32_t *ids, unsigned int n)
{
	struct memslot_txn *t = memslot_txn_begin(b->ms, space);
	unsigned int i;
	double t0;
	int err;

	for (i = 0; i < n; i++)
		memslot_txn_remove(t, ids[i]);
	t0 = now_us();
	err = memslot_txn_commit(t);
	t0 = now_us() - t0;
	memslot_txn_free(t);
	return err ? -1 : t0;
}

/* The same slots with plain ioctls; @size 0 deletes them. */
static double plain_slots(struct bench *b, int vm, unsigned int n,
			  uint64_t size)
{
	struct kvm_userspace_memory_region m = { 0 };
	unsigned int i;
	double t0 = now_us();

	for (i = 0; i < n; i++) {
		m.slot = 1 + i;
		m.guest_phys_addr = BASE_GPA + i * 8 * KB;
		m.memory_size = size;
		m.userspace_addr = (uintptr_t)b->mem + (i * 4 * KB) % MEM_SIZE;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m))
			return -1;
	}
	return now_us() - t0;
}

/*
 * The first memslot change of a VM allocates KVM's memslot arrays and
 * warms caches: do one add and remove on each side before timing.
 */
static int warm_up(struct bench *b, uint32_t space, uint32_t backing, int vm)
{
	uint32_t id;

	if (memslot_adds(b, space, backing, BASE_GPA, 1, &id) < 0 ||
	    memslot_removes(b, space, &id, 1) < 0 ||
	    plain_slots(b, vm, 1, 4 * KB) < 0 || plain_slots(b, vm, 1, 0) < 0)
		return -1;
	return 0;
}

static void ratio_line(const char *what, unsigned int n, double ms,
		       double plain)
{
	printf("%-8s %5u ops: memslot %9.0f us (%6.1f us/op), plain ioctls %9.0f us (%6.1f us/op), plain/memslot %.2fx\n",
	       what, n, ms, ms / n, plain, plain / n, ms > 0 ? plain / ms : 0);
	printf("JSON {\"section\":1,\"op\":\"%s\",\"n\":%u,\"memslot_us\":%.1f,\"plain_us\":%.1f}\n",
	       what, n, ms, plain);
}

#define BATCH_OPS	4096	/* ops per size in section 1 */

static int bench_batches(struct bench *b)
{
	static const unsigned int sizes[] = { 1, 16, 256, 1024, BATCH_OPS };
	static uint32_t ids[BATCH_OPS];
	double ms[2], plain[2];
	struct guest gm, gp;
	uint32_t space, backing;
	unsigned int i, r, rounds;

	printf("== 1. N adds then N removes: one transaction vs N ioctls\n"
	       "   (averages over %u ops: %u/N rounds)\n", BATCH_OPS, BATCH_OPS);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned int n = sizes[i];

		if (guest_open(&gm) || guest_open(&gp) ||
		    space_for(b, &gm, BATCH_OPS + 16, &space, &backing) ||
		    warm_up(b, space, backing, gp.vm))
			return 1;
		ms[0] = ms[1] = plain[0] = plain[1] = 0;
		rounds = BATCH_OPS / n;
		for (r = 0; r < rounds; r++) {
			ms[0] += memslot_adds(b, space, backing, BASE_GPA, n, ids);
			plain[0] += plain_slots(b, gp.vm, n, 4 * KB);
			ms[1] += memslot_removes(b, space, ids, n);
			plain[1] += plain_slots(b, gp.vm, n, 0);
		}
		ratio_line("add", n, ms[0] / rounds, plain[0] / rounds);
		ratio_line("remove", n, ms[1] / rounds, plain[1] / rounds);
		memslot_space_del(b->ms, space);
		guest_close(&gm);
		guest_close(&gp);
	}
	return 0;
}

/* One slot created and deleted @n times next to the VM's others: us/ioctl. */
static double plain_pairs(struct bench *b, int vm, unsigned int n)
{
	struct kvm_userspace_memory_region m = {
		.slot = SCALE_MAX + 1, .guest_phys_addr = 4096 * MB,
		.userspace_addr = (uintptr_t)b->mem,
	};
	double t0 = now_us();
	unsigned int k;

	for (k = 0; k < n; k++) {
		m.memory_size = 4 * KB;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m))
			return -1;
		m.memory_size = 0;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m))
			return -1;
	}
	return (now_us() - t0) / (2 * n);
}

/* MemAvailable in KiB. */
static long mem_available_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int count_range(const struct memslot_range *r, void *arg)
{
	(void)r;
	++*(unsigned int *)arg;
	return 0;
}

/* One memslot add + remove of a 4 KiB range, @n times: us per commit. */
static double memslot_pairs(struct bench *b, uint32_t space, uint32_t backing,
			    unsigned int n)
{
	double t0 = now_us();
	struct memslot_txn *t;
	unsigned int k;
	uint32_t id;

	for (k = 0; k < n; k++) {
		t = memslot_txn_begin(b->ms, space);
		memslot_txn_add(t, 4096 * MB, 4 * KB, backing, 0, 0);
		if (memslot_txn_commit(t))
			return -1;
		id = memslot_txn_added_id(t, 0);
		memslot_txn_free(t);
		if (memslot_removes(b, space, &id, 1) < 0)
			return -1;
	}
	return (now_us() - t0) / (2 * n);
}

/* The whole space dumped: us, and the ranges seen. */
static double dump_all(struct bench *b, uint32_t space, unsigned int *seen)
{
	double t0 = now_us();

	*seen = 0;
	if (memslot_range_foreach(b->ms, space, count_range, seen))
		return -1;
	return now_us() - t0;
}

/*
 * Section 2. Slot 0 is the guest's code; the plain VM's ranges are slots
 * 1..S and its pair slot SCALE_MAX + 1; the space's block is slots
 * 1..SCALE_MAX + 1: at the largest S all of KVM's 32764 slots are in use
 * while the op runs.
 */
static int bench_scaling(struct bench *b)
{
	static const unsigned int sizes[] = { 16, 1000, 10000, SCALE_MAX };
	uint32_t space, backing;
	unsigned int i, k, have, seen;
	long m0, m1, m2;
	struct guest g, gp;
	double t0, plain, dump;

	printf("== 2. one add + one remove in a space of S ranges (200 pairs),\n"
	       "   and in a VM of S plain slots; memory per range; a dump\n");
	if (guest_open(&g) || guest_open(&gp) ||
	    space_for(b, &g, SCALE_MAX + 1, &space, &backing))
		return 1;
	for (i = have = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m0 = mem_available_kb();
		for (; have < sizes[i]; have += k) {
			k = sizes[i] - have > 1024 ? 1024 : sizes[i] - have;
			if (memslot_adds(b, space, backing,
					 BASE_GPA + have * 8 * KB, k, NULL) < 0)
				return 1;
		}
		m1 = mem_available_kb();
		if (plain_slots(b, gp.vm, sizes[i], 4 * KB) < 0)
			return 1;
		m2 = mem_available_kb();
		plain = plain_pairs(b, gp.vm, 200);
		t0 = memslot_pairs(b, space, backing, 200);
		dump = dump_all(b, space, &seen);
		if (plain < 0 || t0 < 0 || dump < 0)
			return 1;
		printf("S = %5u: memslot %6.1f us per commit, plain %6.1f us per ioctl, plain/memslot %.2fx; dump %u ranges %.0f us (%.2f us/range)\n",
		       sizes[i], t0, plain, plain / t0, seen, dump, dump / seen);
		printf("JSON {\"section\":2,\"ranges\":%u,\"memslot_us\":%.1f,\"plain_us\":%.1f,\"dump_us\":%.0f,\"mem_kb_memslot\":%ld,\"mem_kb_plain\":%ld}\n",
		       sizes[i], t0, plain, dump, m0 - m1, m1 - m2);
	}
	printf("memory for the last %u ranges (MemAvailable deltas): memslot VM %.2f KiB per range, plain VM %.2f KiB per slot; KVM's own slot memory dominates both, and the module's share is below this measure's resolution\n",
	       SCALE_MAX - sizes[2], (double)(m0 - m1) / (SCALE_MAX - sizes[2]),
	       (double)(m1 - m2) / (SCALE_MAX - sizes[2]));
	memslot_space_del(b->ms, space);
	guest_close(&g);
	guest_close(&gp);
	return 0;
}

/* Replace the range at RGPA in place, n times: 1 range <-> 4 ranges. */
#define RGPA	(BASE_GPA)
#define RLEN	(256 * KB)
static int memslot_replaces(struct bench *b, struct guest *g, uint32_t space,
			    uint32_t backing, unsigned int n, double *us,
			    double *hold_us)
{
	uint32_t ids[4], nids = 0, parts, i, k;
	struct memslot_txn *t;
	double t0;

	*us = *hold_us = 0;
	for (k = 0; k <= n; k++) {
		parts = k % 2 ? 4 : 1;
		t = memslot_txn_begin(b->ms, space);
		for (i = 0; i < nids; i++)
			memslot_txn_remove(t, ids[i]);
		for (i = 0; i < parts; i++)
			memslot_txn_add(t, RGPA + i * RLEN / parts, RLEN / parts,
					backing, i * RLEN / parts, 0);
		t0 = now_us();
		if (memslot_txn_commit(t))
			return -1;
		if (k) {
			*us += now_us() - t0;
			*hold_us += memslot_txn_hold_ns(t) / 1e3;
		}
		for (i = 0; i < parts; i++)
			ids[i] = memslot_txn_added_id(t, i);
		nids = parts;
		memslot_txn_free(t);
		if (k == 0 && guest_loop_start(g, 0, &(struct guest_loop){
				.base = RGPA, .len = RLEN, .a = 0x5a5a5a5a,
				.b = 0x5a5a5a5a, .park_fd = -1 }))
			return -1;
		if (!guest_loop_wait(g, 0, 1, 30)) /* the vCPU runs meanwhile */
			return -1;
	}
	return 0;
}

/* The same with delete + create of one slot. */
static int plain_replaces(struct bench *b, struct guest *g, unsigned int n,
			  double *us)
{
	struct kvm_userspace_memory_region m = {
		.slot = 1, .guest_phys_addr = RGPA, .memory_size = RLEN,
		.userspace_addr = (uintptr_t)b->mem,
	};
	struct guest_loop l = {
		.base = RGPA, .len = RLEN, .a = 0x5a5a5a5a, .b = 0x5a5a5a5a,
		.park_fd = -1,
	};
	unsigned int k;
	double t0;

	*us = 0;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &m) ||
	    guest_loop_start(g, 0, &l) || !guest_loop_wait(g, 0, 1, 30))
		return -1;
	for (k = 0; k < n; k++) {
		t0 = now_us();
		m.memory_size = 0;
		if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &m))
			return -1;
		m.memory_size = RLEN;
		if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &m))
			return -1;
		*us += now_us() - t0;
		if (!guest_loop_wait(g, 0, 1, 30))
			return -1;
	}
	return 0;
}

static int bench_replace(struct bench *b)
{
	double ms, hold, plain;
	uint32_t space, backing;
	struct guest gm, gp;
	unsigned int n = 200;

	printf("== 3. in-place replacement under a reading vCPU (%u times)\n", n);
	memset(b->mem, 0x5a, RLEN);
	if (guest_open(&gm) || space_for(b, &gm, 16, &space, &backing) ||
	    memslot_replaces(b, &gm, space, backing, n, &ms, &hold))
		return 1;
	guest_loop_stop(&gm);
	if (guest_open(&gp) || plain_replaces(b, &gp, n, &plain))
		return 1;
	guest_loop_stop(&gp);
	printf("memslot: %7.1f us per commit (vCPU held %6.1f us), holes seen %lu\n",
	       ms / n, hold / n, gm.vcpus[0].holes);
	printf("plain:   %7.1f us per delete + create, holes seen %lu\n",
	       plain / n, gp.vcpus[0].holes);
	printf("plain/memslot time %.2fx\n", ms > 0 ? plain / ms : 0);
	memslot_space_del(b->ms, space);
	guest_close(&gm);
	guest_close(&gp);
	return 0;
}

#define DIRTY_GPA	(1024 * MB)	/* the 1 GiB window, in guest space */
#define DIRTY_LEN	(1024 * MB)
#define DIRTY_PAGES	(DIRTY_LEN / 4096)
#define DIRTY_READS	16
#define DIRTY_WRITES	64		/* pages the guest writes per read */

/* The guest writes DIRTY_WRITES pages spread over the first @win bytes. */
static int dirty_some(struct guest *g, unsigned int round, uint64_t win)
{
	unsigned int i;

	for (i = 0; i < DIRTY_WRITES; i++)
		if (guest_write(g, DIRTY_GPA + ((i * 4099ULL + round) %
						(win / 4096)) * 4096,
				round) != GUEST_OK)
			return -1;
	return 0;
}

/*
 * Microseconds per dirty-get with clear of the first @win bytes of the
 * 1 GiB backing, mapped by one range over @chunks slots, bound with
 * MEMSLOT_BIND_DIRTY_* @flags.
 */
static double memslot_dirty(struct bench *b, void *mem, unsigned int chunks,
			    unsigned int flags, uint64_t win, uint64_t *bits)
{
	uint32_t space, backing;
	struct memslot_txn *t;
	double us = 0, t0;
	struct guest g;
	unsigned int r;
	int err;

	if (guest_open(&g))
		return -1;
	err = memslot_space_new(b->ms, "bench-dirty", &space) ||
	      memslot_space_bind_flags(b->ms, space, g.vm, 1, chunks, 0,
				       DIRTY_LEN / chunks, flags) ||
	      memslot_backing_new(b->ms, space, mem, DIRTY_LEN, "ram", &backing);
	t = err ? NULL : memslot_txn_begin(b->ms, space);
	err = !t || memslot_txn_add(t, DIRTY_GPA, DIRTY_LEN, backing, 0,
				    MEMSLOT_RANGE_DIRTY_LOG) ||
	      memslot_txn_commit(t);
	memslot_txn_free(t);
	for (r = 0; !err && r < DIRTY_READS; r++) {
		err = dirty_some(&g, r, win);
		t0 = now_us();
		err = err ?: memslot_dirty_get(b->ms, space, backing, 0, win,
					       bits, DIRTY_PAGES / 8,
					       MEMSLOT_DIRTY_CLEAR, NULL);
		us += now_us() - t0;
	}
	if (err)
		fprintf(stderr, "memslot-bench: %s\n", memslot_errmsg(b->ms));
	memslot_space_del(b->ms, space);
	guest_close(&g);
	return err ? -1 : us / DIRTY_READS;
}

/* Manual dirty-log protect on a plain VM, as memslot's bind sets it. */
static int plain_manual(int vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args[0] = 1,
	};

	return ioctl(vm, KVM_ENABLE_CAP, &cap);
}

/*
 * The same with plain slots: KVM_GET_DIRTY_LOG of each slot over the
 * window, merged (with @manual, and KVM_CLEAR_DIRTY_LOG of the window).
 */
static double plain_dirty(void *mem, unsigned int chunks, bool manual,
			  uint64_t win, uint64_t *bits)
{
	uint64_t per = DIRTY_LEN / chunks, words = per / 4096 / 64;
	uint64_t *one = calloc(words, sizeof(*one));
	struct kvm_userspace_memory_region m = {
		.flags = KVM_MEM_LOG_DIRTY_PAGES, .memory_size = per,
	};
	struct kvm_dirty_log log = { .dirty_bitmap = one };
	struct kvm_clear_dirty_log clr = { .dirty_bitmap = one };
	unsigned int r, i, w, n = (win + per - 1) / per;
	double us = 0, t0;
	struct guest g;
	int err = !one || guest_open(&g);

	if (!err && manual)
		err = plain_manual(g.vm);
	for (i = 0; !err && i < chunks; i++) {
		m.slot = 1 + i;
		m.guest_phys_addr = DIRTY_GPA + i * per;
		m.userspace_addr = (uintptr_t)mem + i * per;
		err = ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &m);
	}
	for (r = 0; !err && r < DIRTY_READS; r++) {
		err = dirty_some(&g, r, win);
		t0 = now_us();
		for (i = 0; !err && i < n; i++) {
			log.slot = clr.slot = 1 + i;
			clr.num_pages = (win < per ? win : per) / 4096;
			err = ioctl(g.vm, KVM_GET_DIRTY_LOG, &log) ||
			      (manual && ioctl(g.vm, KVM_CLEAR_DIRTY_LOG, &clr));
			for (w = 0; !err && w < clr.num_pages / 64; w++)
				bits[i * words + w] = one[w];
		}
		us += now_us() - t0;
	}
	if (one)
		guest_close(&g);
	free(one);
	return err ? -1 : us / DIRTY_READS;
}

#define WINDOW		(2 * MB)

/* Section 5: a small window of one big slot, both dirty-log modes. */
static int bench_window(struct bench *b, void *mem, uint64_t *bits)
{
	double ms_def, ms_man, pl_def, pl_man;

	ms_def = memslot_dirty(b, mem, 1, 0, WINDOW, bits);
	ms_man = memslot_dirty(b, mem, 1, MEMSLOT_BIND_DIRTY_MANUAL, WINDOW, bits);
	pl_def = plain_dirty(mem, 1, false, WINDOW, bits);
	pl_man = plain_dirty(mem, 1, true, WINDOW, bits);
	if (ms_def < 0 || ms_man < 0 || pl_def < 0 || pl_man < 0)
		return 1;
	printf("== 5. get-and-clear of a 2 MiB window of one 1 GiB slot, %u reads of %u written pages each\n",
	       DIRTY_READS, DIRTY_WRITES);
	printf("kvm default mode: memslot dirty-get %8.1f us, plain KVM_GET_DIRTY_LOG %8.1f us, plain/memslot %.2fx\n",
	       ms_def, pl_def, ms_def > 0 ? pl_def / ms_def : 0);
	printf("manual protect:   memslot dirty-get %8.1f us, plain GET + CLEAR      %8.1f us, plain/memslot %.2fx\n",
	       ms_man, pl_man, ms_man > 0 ? pl_man / ms_man : 0);
	printf("memslot manual/default time %.2fx\n",
	       ms_def > 0 ? ms_man / ms_def : 0);
	return 0;
}

static int bench_dirty(struct bench *b)
{
	static const unsigned int chunks[] = { 1, 16, 256 };
	uint64_t *bits = malloc(DIRTY_PAGES / 8);
	void *mem = mmap(NULL, DIRTY_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double ms, plain;
	unsigned int i;

	if (!bits || mem == MAP_FAILED)
		return 1;
	printf("== 4. dirty log of a 1 GiB window, %u reads of %u written pages each\n",
	       DIRTY_READS, DIRTY_WRITES);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		ms = memslot_dirty(b, mem, chunks[i], 0, DIRTY_LEN, bits);
		plain = plain_dirty(mem, chunks[i], false, DIRTY_LEN, bits);
		if (ms < 0 || plain < 0)
			return 1;
		printf("%4u slots: memslot dirty-get %8.1f us, plain KVM_GET_DIRTY_LOG x%u %8.1f us, plain/memslot %.2fx\n",
		       chunks[i], ms, chunks[i], plain, ms > 0 ? plain / ms : 0);
	}
	if (bench_window(b, mem, bits))
		return 1;
	munmap(mem, DIRTY_LEN);
	free(bits);
	return 0;
}

#define FRESH_GPA	(256 * MB)	/* section 6's fresh ranges */
#define FRESH_MAX	256
#define FRESH_STRIDE	(16 * MB)	/* between the ways' ranges */
#define BUDGET_US	10000		/* section 6's pause budget */
#define N_WAYS		5
#define N_SIZES		3

/* One way of section 6 to change slots, and what it saw. */
struct policy_way {
	const char *name;
	uint32_t hold;		/* MEMSLOT_HOLD_*; 0: plain ioctls */
	uint32_t budget_us;	/* space-set, for auto */
	uint32_t space, backing;
	uint64_t gpa;		/* where its fresh ranges go */
	double pause_us;	/* longest hold of the current cell */
	unsigned int held;	/* commits of the cell that held */
	double t[2][64];	/* add, remove times of the cell's rounds */
};

/* N fresh ranges added (@ids out) or removed in one commit: us. */
static double fresh_commit(struct bench *b, struct policy_way *w,
			   unsigned int n, uint32_t *ids, bool add)
{
	struct memslot_txn *t = memslot_txn_begin(b->ms, w->space);
	unsigned int i;
	double t0;

	memslot_txn_set_hold(t, w->hold);
	for (i = 0; i < n; i++) {
		if (add)
			memslot_txn_add(t, w->gpa + i * 8 * KB, 4 * KB,
					w->backing, (i * 4 * KB) % MEM_SIZE, 0);
		else
			memslot_txn_remove(t, ids[i]);
	}
	t0 = timed_commit(b, t);
	if (t0 < 0)
		return -1;
	for (i = 0; add && i < n; i++)
		ids[i] = memslot_txn_added_id(t, i);
	if (memslot_txn_hold_ns_max(t) / 1e3 > w->pause_us)
		w->pause_us = memslot_txn_hold_ns_max(t) / 1e3;
	w->held += memslot_txn_hold_batches(t) > 0;
	memslot_txn_free(t);
	return t0;
}

/* The same with plain ioctls on slots 2.. of @vm. */
static double fresh_plain(struct bench *b, int vm, const struct policy_way *w,
			  unsigned int n, bool add)
{
	struct kvm_userspace_memory_region m = { 0 };
	unsigned int i;
	double t0 = now_us();

	for (i = 0; i < n; i++) {
		m.slot = 2 + i;
		m.guest_phys_addr = w->gpa + i * 8 * KB;
		m.memory_size = add ? 4 * KB : 0;
		m.userspace_addr = (uintptr_t)b->mem + (i * 4 * KB) % MEM_SIZE;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m))
			return -1;
	}
	return now_us() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/*
 * One VM for all ways: the VMM's own slot 1 over RGPA.. that vCPU 0 reads
 * (and vCPU 1, exiting every pass), plain slots 2.. and one space per
 * memslot way on slots of its own; @running of the vCPUs run.
 */
static int policy_guest(struct bench *b, struct guest *g, int running,
			struct policy_way *w)
{
	struct kvm_userspace_memory_region m = {
		.slot = 1, .guest_phys_addr = RGPA, .memory_size = RLEN,
		.userspace_addr = (uintptr_t)b->mem,
	};
	int i, err = guest_open_smp(g, 2) ||
		     ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &m);

	for (i = 1; !err && i < N_WAYS; i++)
		err = memslot_space_new(b->ms, w[i].name, &w[i].space) ||
		      memslot_space_bind(b->ms, w[i].space, g->vm,
					 FRESH_MAX + 8 + i * (FRESH_MAX + 8),
					 FRESH_MAX, 0, 0) ||
		      memslot_backing_new(b->ms, w[i].space, b->mem, MEM_SIZE,
					  "mem", &w[i].backing) ||
		      memslot_space_set_hold_budget(b->ms, w[i].space,
						    w[i].budget_us, 0);
	if (err)
		fprintf(stderr, "memslot-bench: %s\n", memslot_errmsg(b->ms));
	for (i = 0; !err && i < running; i++)
		err = guest_loop_start(g, i, &(struct guest_loop){
				.base = RGPA, .len = RLEN, .a = 0x5a5a5a5a,
				.b = 0x5a5a5a5a, .park_fd = -1,
				.mode = i ? GUEST_LOOP_EXIT : 0 }) ||
		      !guest_loop_wait(g, i, 1, 30);
	return err ? -1 : 0;
}

static unsigned int policy_reps(unsigned int n)
{
	return n == 256 ? 3 : n == 16 ? 9 : 31;
}

/* @reps rounds of N adds then N removes, the ways taking turns. */
static int policy_cell(struct bench *b, struct guest *g, struct policy_way *w,
		       unsigned int n, unsigned int reps)
{
	static uint32_t ids[FRESH_MAX];
	unsigned int k, i, op;
	double *t;

	for (i = 0; i < N_WAYS; i++)
		w[i].pause_us = w[i].held = 0;
	for (k = 0; k < reps; k++) {
		for (i = 0; i < N_WAYS; i++) {
			for (op = 0; op < 2; op++) {
				t = &w[i].t[op][k];
				*t = w[i].hold ?
				     fresh_commit(b, &w[i], n, ids, !op) :
				     fresh_plain(b, g->vm, &w[i], n, !op);
				if (*t < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* One line per op kind: the ways' medians, auto against the best. */
static void policy_lines(int running, unsigned int n, struct policy_way *w)
{
	unsigned int reps = policy_reps(n);
	double m[N_WAYS], best;
	int op, i;

	for (op = 0; op < 2; op++) {
		printf("vcpus %d %-6s N = %3u:", running, op ? "remove" : "add", n);
		for (i = 0; i < N_WAYS; i++) {
			m[i] = median(w[i].t[op], reps);
			printf(" %s %.0f us%s", w[i].name, m[i],
			       i < N_WAYS - 1 ? "," : "");
		}
		best = m[1] < m[2] ? m[1] : m[2];
		printf("; auto/best(never,always) %.2fx\n",
		       best > 0 ? m[3] / best : 0);
	}
	printf("   longest pause: always %.0f us, auto %.0f us (%u of %u commits held), auto+budget %.0f us (budget %u us)\n",
	       w[2].pause_us, w[3].pause_us, w[3].held, 2 * reps, w[4].pause_us,
	       BUDGET_US);
}

/* What auto's space measured (its cost model). */
static void policy_model(struct bench *b, const struct policy_way *w)
{
	struct memslot_space *s;

	if (memslot_space_get(b->ms, w->space, &s))
		return;
	printf("   auto's cost model: slot set unheld %.0f us, held %.0f us; delete unheld %.0f us, held %.0f us; hold %.0f us; held for speed %" PRIu64 " of %" PRIu64 " commits\n",
	       memslot_space_stat(s, MEMSLOT_STAT_COST_UNHELD_SET_NS) / 1e3,
	       memslot_space_stat(s, MEMSLOT_STAT_COST_HELD_SET_NS) / 1e3,
	       memslot_space_stat(s, MEMSLOT_STAT_COST_UNHELD_DELETE_NS) / 1e3,
	       memslot_space_stat(s, MEMSLOT_STAT_COST_HELD_DELETE_NS) / 1e3,
	       memslot_space_stat(s, MEMSLOT_STAT_COST_HOLD_NS) / 1e3,
	       memslot_space_stat(s, MEMSLOT_STAT_HOLDS_SPEED),
	       memslot_space_stat(s, MEMSLOT_STAT_COMMITS));
	memslot_space_free(s);
}

static int bench_policy(struct bench *b)
{
	static const unsigned int sizes[N_SIZES] = { 1, 16, 256 };
	static struct policy_way w[N_WAYS] = {
		{ .name = "plain" },
		{ .name = "never", .hold = MEMSLOT_HOLD_NEVER },
		{ .name = "always", .hold = MEMSLOT_HOLD_ALWAYS },
		{ .name = "auto", .hold = MEMSLOT_HOLD_AUTO },
		{ .name = "auto+budget", .hold = MEMSLOT_HOLD_AUTO,
		  .budget_us = BUDGET_US },
	};
	struct guest g;
	unsigned int s;
	int running, i;

	printf("== 6. hold policy: N fresh adds, then removes, with running vCPUs\n"
	       "   (medians; one VM, the ways taking turns; plain =\n"
	       "   KVM_SET_USER_MEMORY_REGION per range)\n");
	memset(b->mem, 0x5a, RLEN);
	for (i = 0; i < N_WAYS; i++)
		w[i].gpa = FRESH_GPA + i * FRESH_STRIDE;
	for (running = 0; running <= 2; running++) {
		if (policy_guest(b, &g, running, w))
			return 1;
		for (s = 0; s < N_SIZES; s++) {
			if (policy_cell(b, &g, w, sizes[s], policy_reps(sizes[s])))
				return 1;
			policy_lines(running, sizes[s], w);
		}
		policy_model(b, &w[3]);
		for (i = 1; i < N_WAYS; i++)
			memslot_space_del(b->ms, w[i].space);
		guest_close(&g);
	}
	return 0;
}

#define SPLIT_N		1000	/* section 7's commits of each kind */

/*
 * Section 7: SPLIT_N one-op adds and removes; for each, the round trip
 * seen here, the kernel's commit (commit-ns) and KVM's share (kvm-ns).
 */
static int bench_split(struct bench *b)
{
	double user = 0, commit = 0, kvm = 0, t0, plain;
	uint32_t space, backing, id = 0;
	struct memslot_txn *t;
	struct guest g, gp;
	unsigned int k, op;

	if (guest_open(&g) || guest_open(&gp) ||
	    space_for(b, &g, 16, &space, &backing) ||
	    warm_up(b, space, backing, gp.vm))
		return 1;
	for (k = 0; k < 2 * SPLIT_N; k++) {
		op = k % 2;
		t = memslot_txn_begin(b->ms, space);
		if (op)
			memslot_txn_remove(t, id);
		else
			memslot_txn_add(t, BASE_GPA, 4 * KB, backing, 0, 0);
		t0 = now_us();
		if (memslot_txn_commit(t))
			return 1;
		user += now_us() - t0;
		commit += memslot_txn_commit_ns(t) / 1e3;
		kvm += memslot_txn_kvm_ns(t) / 1e3;
		id = memslot_txn_added_id(t, 0);
		memslot_txn_free(t);
	}
	plain = plain_pairs(b, gp.vm, SPLIT_N);
	user /= 2 * SPLIT_N;
	commit /= 2 * SPLIT_N;
	kvm /= 2 * SPLIT_N;
	printf("== 7. where a one-op commit's time goes (%u adds and removes)\n", SPLIT_N);
	printf("memslot %.1f us per commit: netlink, parsing, prepare, reply %.1f us (%.0f%%); commit %.1f us, of which KVM's ioctl %.1f us (%.0f%%); plain ioctl %.1f us; memslot/plain %.2fx\n",
	       user, user - commit, 100 * (user - commit) / user, commit, kvm,
	       100 * kvm / user, plain, plain > 0 ? user / plain : 0);
	printf("JSON {\"section\":7,\"total_us\":%.1f,\"netlink_us\":%.1f,\"commit_us\":%.1f,\"kvm_us\":%.1f,\"plain_us\":%.1f}\n",
	       user, user - commit, commit, kvm, plain);
	memslot_space_del(b->ms, space);
	guest_close(&g);
	guest_close(&gp);
	return 0;
}

static bool want(int argc, char **argv, int section)
{
	int i;

	for (i = 1; i < argc; i++)
		if (atoi(argv[i]) == section)
			return true;
	return argc < 2;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	int err;

	if (memslot_open(&b.ms)) {
		fprintf(stderr, "memslot-bench: no memslot family (load memslot.ko)\n");
		return 1;
	}
	b.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b.mem == MAP_FAILED)
		return 1;
	err = (want(argc, argv, 1) && bench_batches(&b)) ||
	      (want(argc, argv, 2) && bench_scaling(&b)) ||
	      (want(argc, argv, 3) && bench_replace(&b)) ||
	      (want(argc, argv, 4) && bench_dirty(&b)) ||
	      (want(argc, argv, 6) && bench_policy(&b)) ||
	      (want(argc, argv, 7) && bench_split(&b));
	memslot_close(b.ms);
	return err;
}
