// SPDX-License-Identifier: GPL-2.0
/*
 * memslot-demo: a small VMM on libmemslot. Several vCPUs keep writing,
 * reading back and checking their part of guest RAM while the host side
 * changes the layout the way a VMM does: virtio-mem-like plug and unplug
 * of blocks, RAM split into many ranges and merged back (in place: the
 * module holds the vCPUs), a block aliased at a second address. With QEMU's
 * edu device (the test VM has one), the blocks are DMA ranges too, and a
 * thread keeps the device copying through a DMA buffer range while they
 * churn. A live status line, then a summary: commits, ops, holds, the
 * holes the vCPUs saw (MMIO exits in RAM), checksum errors, DMA round
 * trips and pins. Exit status 0 when holes and errors are zero.
 *
 *   memslot-demo [-c VCPUS] [-t SECONDS]
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <linux/memslot_vfio.h>

#include "libmemslot.h"
#include "../selftests/edu.h"
#include "../selftests/guest.h"

#define MB		(1ULL << 20)
#define RAM_GPA		(1 * MB)	/* the vCPUs' RAM */
#define RAM_SIZE	(4 * MB)
#define SPLIT		16		/* RAM split into this many ranges */
#define VMEM_GPA	(16 * MB)	/* virtio-mem-like device region */
#define VMEM_BLOCK	(256 * 1024ULL)
#define VMEM_BLOCKS	32
#define ALIAS_GPA	(32 * MB)	/* RAM's first block, seen twice */
#define DMA_GPA		(8 * MB)	/* the device's buffer range */
#define DMA_SIZE	(64 * 1024ULL)

struct demo {
	struct memslot *ms;
	struct guest g;
	uint32_t space, ram_backing, vmem_backing;
	uint32_t *ram;
	uint32_t ram_ids[SPLIT], n_ram;	/* RAM: 1 range, or SPLIT */
	uint32_t vmem_ids[VMEM_BLOCKS];	/* 0: unplugged */
	uint32_t alias_id;
	unsigned long commits, ops, plugs, unplugs, splits, merges, aliases;
	int nr_vcpus;
	/* DMA, when there is an edu device */
	bool dma;
	struct edu edu;
	uint8_t *dma_buf;
	pthread_t dma_thread;
	volatile bool dma_stop;
	volatile unsigned long dma_trips, dma_wrong;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(struct demo *d, int err, const char *what)
{
	fprintf(stderr, "memslot-demo: %s: %s\n", what,
		memslot_errmsg(d->ms)[0] ? memslot_errmsg(d->ms) : strerror(-err));
	return err;
}

/* Commit @t, count it, and free it; ids of adds go to @ids. */
static int commit(struct demo *d, struct memslot_txn *t, unsigned int nops,
		  uint32_t **ids, unsigned int nids)
{
	unsigned int i;
	int err = memslot_txn_commit(t);

	if (!err) {
		d->commits++;
		d->ops += nops;
		for (i = 0; i < nids; i++)
			*ids[i] = memslot_txn_added_id(t, i);
	}
	memslot_txn_free(t);
	return err ? fail(d, err, "commit") : 0;
}

/* RAM as one range, or split in SPLIT ranges over the same memory. */
static int ram_relayout(struct demo *d)
{
	struct memslot_txn *t = memslot_txn_begin(d->ms, d->space);
	uint32_t *ids[SPLIT], n = d->n_ram == 1 ? SPLIT : 1, i;
	uint64_t part = RAM_SIZE / n;

	for (i = 0; i < d->n_ram; i++)
		memslot_txn_remove(t, d->ram_ids[i]);
	for (i = 0; i < n; i++) {
		memslot_txn_add(t, RAM_GPA + i * part, part, d->ram_backing,
				i * part, 0);
		ids[i] = &d->ram_ids[i];
	}
	if (d->n_ram && n == SPLIT)
		d->splits++;
	else if (d->n_ram)
		d->merges++;
	i = d->n_ram;
	d->n_ram = n;
	return commit(d, t, i + n, ids, n);
}

/* Plug or unplug four distinct blocks, and maybe flip the alias. */
static int churn(struct demo *d, unsigned int round)
{
	struct memslot_txn *t = memslot_txn_begin(d->ms, d->space);
	unsigned int i, b, n = 0, nops = 0, first = rand();
	uint32_t *ids[5];

	for (i = 0; i < 4; i++) {
		b = (first + 7 * i) % VMEM_BLOCKS;
		if (d->vmem_ids[b]) {
			memslot_txn_remove(t, d->vmem_ids[b]);
			d->vmem_ids[b] = 0;
			d->unplugs++;
		} else {
			memslot_txn_add(t, VMEM_GPA + b * VMEM_BLOCK, VMEM_BLOCK,
					d->vmem_backing, b * VMEM_BLOCK,
					d->dma ? MEMSLOT_RANGE_DMA : 0);
			ids[n++] = &d->vmem_ids[b];
			d->plugs++;
		}
		nops++;
	}
	if (round % 8 == 0) {
		if (d->alias_id) {
			memslot_txn_remove(t, d->alias_id);
			d->alias_id = 0;
		} else {
			memslot_txn_add(t, ALIAS_GPA, VMEM_BLOCK, d->ram_backing,
					0, 0);
			ids[n++] = &d->alias_id;
			d->aliases++;
		}
		nops++;
	}
	return commit(d, t, nops, ids, n);
}

static int setup(struct demo *d)
{
	void *vmem;
	int err;

	d->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vmem = mmap(NULL, VMEM_BLOCKS * VMEM_BLOCK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->ram == MAP_FAILED || vmem == MAP_FAILED)
		return -ENOMEM;
	err = guest_open_smp(&d->g, d->nr_vcpus);
	if (err)
		return fail(d, err, "KVM VM");
	err = memslot_space_new(d->ms, "memslot-demo", &d->space);
	if (!err)
		err = memslot_space_bind(d->ms, d->space, d->g.vm, 16, 256, 0, 0);
	if (!err)
		err = memslot_backing_new(d->ms, d->space, d->ram, RAM_SIZE,
					  "ram", &d->ram_backing);
	if (!err)
		err = memslot_backing_new(d->ms, d->space, vmem,
					  VMEM_BLOCKS * VMEM_BLOCK, "virtio-mem",
					  &d->vmem_backing);
	return err ? fail(d, err, "space") : ram_relayout(d);
}

/* RAM -> edu -> RAM through the DMA buffer range, until told to stop. */
static void *dma_loop(void *arg)
{
	struct demo *d = arg;

	while (!d->dma_stop) {
		if (!edu_round_trip(&d->edu, d->dma_buf, DMA_GPA, d->dma_trips))
			d->dma_wrong++;
		d->dma_trips++;
	}
	return NULL;
}

/*
 * The DMA part: edu's VFIO container on the memslot IOMMU backend, bound
 * to the space, a DMA buffer range, a thread copying through it. Without
 * an edu device (or VFIO), the demo goes on without DMA.
 */
static int setup_dma(struct demo *d)
{
	struct memslot_txn *t;
	uint32_t backing;
	int err = edu_open(&d->edu, MEMSLOT_VFIO_IOMMU);

	if (err) {
		printf("no edu device behind an IOMMU (%s): no DMA part\n",
		       strerror(-err));
		edu_close(&d->edu);
		return 0;
	}
	d->dma_buf = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->dma_buf == MAP_FAILED)
		return -ENOMEM;
	err = memslot_vfio_bind(d->ms, d->space, d->edu.container);
	if (!err)
		err = memslot_backing_new(d->ms, d->space, d->dma_buf, DMA_SIZE,
					  "dma-buffer", &backing);
	if (err)
		return fail(d, err, "DMA");
	t = memslot_txn_begin(d->ms, d->space);
	memslot_txn_add(t, DMA_GPA, DMA_SIZE, backing, 0, MEMSLOT_RANGE_DMA);
	err = commit(d, t, 1, NULL, 0);
	if (err)
		return err;
	d->dma = true;
	if (pthread_create(&d->dma_thread, NULL, dma_loop, d))
		return -EAGAIN;
	printf("edu %s: DMA through 0x%llx+0x%llx, virtio-mem blocks DMA-mapped\n",
	       d->edu.bdf, DMA_GPA, DMA_SIZE);
	return 0;
}

/* vCPU i writes and checks a value of its own over its share of RAM. */
static uint32_t seed(int i)
{
	return 0x6d656d00 | i;
}

static int start_vcpus(struct demo *d)
{
	uint64_t share = RAM_SIZE / d->nr_vcpus;
	int i, err;

	for (i = 0; i < d->nr_vcpus; i++) {
		struct guest_loop l = {
			.base = RAM_GPA + i * share, .len = share,
			.a = seed(i), .b = seed(i), .park_fd = -1,
			/* vCPU 1 also goes back to userspace after each pass */
			.mode = GUEST_LOOP_WRITE | (i == 1 ? GUEST_LOOP_EXIT : 0),
		};

		err = guest_loop_start(&d->g, i, &l);
		if (err)
			return fail(d, err, "vCPU");
	}
	return 0;
}

static unsigned long sum(struct demo *d, size_t off)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i < d->nr_vcpus; i++)
		s += *(volatile unsigned long *)((char *)&d->g.vcpus[i] + off);
	return s;
}

static unsigned long passes(struct demo *d)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i < d->nr_vcpus; i++)
		s += guest_loop_passes(&d->g, i);
	return s;
}

static void status(struct demo *d, double t, int tty)
{
	printf("%s%5.1fs commits %lu ops %lu | vCPU passes %lu holes %lu checksum errors %lu",
	       tty ? "\r" : "", t, d->commits, d->ops, passes(d),
	       sum(d, offsetof(struct guest_vcpu, holes)),
	       sum(d, offsetof(struct guest_vcpu, bad)));
	if (d->dma)
		printf(" | DMA trips %lu wrong %lu", d->dma_trips, d->dma_wrong);
	printf("%s", tty ? "" : "\n");
	fflush(stdout);
}

/* The host's own check of what the vCPUs wrote: every page's first word. */
static unsigned long host_checksum_errors(struct demo *d)
{
	uint64_t share = RAM_SIZE / d->nr_vcpus, off;
	unsigned long bad = 0;

	for (off = 0; off < RAM_SIZE; off += 4096)
		bad += d->ram[off / 4] != seed(off / share);
	return bad;
}

static void summary(struct demo *d, double secs, unsigned long holes,
		    unsigned long errors, int err)
{
	struct memslot_space *sp;

	printf("\nmemslot-demo: %d vCPUs, %.1f s\n", d->nr_vcpus, secs);
	printf("  commits %lu, ops %lu: %lu plugs, %lu unplugs, %lu splits, %lu merges, %lu aliases\n",
	       d->commits, d->ops, d->plugs, d->unplugs, d->splits, d->merges,
	       d->aliases);
	if (!memslot_space_get(d->ms, d->space, &sp)) {
		uint64_t holds = memslot_space_stat(sp, MEMSLOT_STAT_HOLDS);

		printf("  vCPU holds %" PRIu64 ": avg %" PRIu64 " us, max %" PRIu64
		       " us; commits avg %" PRIu64 " us\n", holds,
		       memslot_space_stat(sp, MEMSLOT_STAT_HOLD_NS_TOTAL) /
		       (holds ? holds : 1) / 1000,
		       memslot_space_stat(sp, MEMSLOT_STAT_HOLD_NS_MAX) / 1000,
		       memslot_space_stat(sp, MEMSLOT_STAT_COMMIT_NS_TOTAL) /
		       (d->commits ? d->commits : 1) / 1000);
		if (d->dma)
			printf("  DMA round trips %lu, wrong %lu; pages pinned %" PRIu64
			       ", pins taken %" PRIu64 ", dropped %" PRIu64 "\n",
			       d->dma_trips, d->dma_wrong,
			       memslot_space_stat(sp, MEMSLOT_STAT_PINNED_PAGES),
			       memslot_space_stat(sp, MEMSLOT_STAT_PINS_TAKEN),
			       memslot_space_stat(sp, MEMSLOT_STAT_PINS_DROPPED));
		memslot_space_free(sp);
	}
	printf("  vCPU passes %lu, holes seen by vCPUs %lu, checksum errors %lu\n",
	       passes(d), holes, errors);
	printf("memslot-demo: %s\n", err || holes || errors ? "FAIL" : "PASS");
}

static int run(struct demo *d, double secs)
{
	double t0 = now(), next = 0, t;
	unsigned long holes, errors;
	unsigned int round = 0;
	int tty = isatty(1), err = 0;

	while (!err && (t = now() - t0) < secs) {
		err = churn(d, round);
		if (!err && ++round % 4 == 0)
			err = ram_relayout(d);
		if (t >= next) {
			status(d, t, tty);
			next = t + (tty ? 0.2 : 1);
		}
	}
	guest_loop_stop(&d->g);
	if (d->dma) {
		d->dma_stop = true;
		pthread_join(d->dma_thread, NULL);
	}
	status(d, now() - t0, tty);
	holes = sum(d, offsetof(struct guest_vcpu, holes));
	errors = sum(d, offsetof(struct guest_vcpu, bad)) +
		 sum(d, offsetof(struct guest_vcpu, errors)) +
		 host_checksum_errors(d) + d->dma_wrong;
	summary(d, now() - t0, holes, errors, err);
	return err ? 1 : holes || errors ? 2 : 0;
}

int main(int argc, char **argv)
{
	struct demo d = { .nr_vcpus = 4, .edu.group = -1, .edu.container = -1,
			  .edu.device = -1 };
	double secs = 10;
	int opt, err;

	while ((opt = getopt(argc, argv, "c:t:h")) != -1) {
		if (opt == 'c')
			d.nr_vcpus = atoi(optarg);
		else if (opt == 't')
			secs = atof(optarg);
		else
			return fprintf(stderr, "usage: memslot-demo [-c VCPUS] [-t SECONDS]\n"), opt != 'h';
	}
	if (d.nr_vcpus < 1 || d.nr_vcpus > GUEST_MAX_VCPUS)
		return fprintf(stderr, "memslot-demo: 1 to %d vCPUs\n", GUEST_MAX_VCPUS), 1;
	err = memslot_open(&d.ms);
	if (err)
		return fprintf(stderr, "memslot-demo: memslot family: %s (load memslot.ko)\n",
			       strerror(-err)), 1;
	srand(1);
	err = setup(&d);
	if (!err)
		err = setup_dma(&d);
	if (!err)
		err = start_vcpus(&d);
	err = err ? 1 : run(&d, secs);
	guest_close(&d.g);
	edu_close(&d.edu);
	memslot_close(d.ms);
	return err;
}
