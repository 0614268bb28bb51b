/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A KVM VM with one vCPU running a few bytes of 32-bit flat protected-mode
 * code, to see guest memory as the guest sees it: read or write 4 bytes at
 * a guest-physical address, and learn whether it hit memory or exited to
 * userspace as MMIO (no slot, or a write to a read-only slot).
 */
#ifndef MEMSLOT_GUEST_H
#define MEMSLOT_GUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* The VMM's own slot (id GUEST_CODE_SLOT) holds the code at GUEST_CODE_GPA. */
#define GUEST_CODE_SLOT	0
#define GUEST_CODE_GPA	0x1000

#define GUEST_MAX_VCPUS	8

/*
 * The loop program (guest_loop_start()): a vCPU reads the first 4 bytes of
 * every page of [base, base + len) over and over, and reports a value that
 * is neither @a nor @b; after each pass it counts the pass in the control
 * area of the code page and, with GUEST_LOOP_EXIT, exits to userspace.
 */
enum guest_loop_mode {
	GUEST_LOOP_EXIT = 1,	/* an I/O exit to userspace after each pass */
	GUEST_LOOP_HALT = 2,	/* cli; hlt for ever: a halted vCPU */
	GUEST_LOOP_WRITE = 4,	/* write @a to each page before reading it */
	GUEST_LOOP_COUNT = 8,	/* with WRITE: @a goes up by one each pass */
};

struct guest_loop {
	uint64_t base;
	uint32_t len, a, b;
	uint32_t mode;		/* enum guest_loop_mode */
	int park_fd;		/* >= 0: after the first pass, block reading it */
};

/* One vCPU and the thread running it; counters are the thread's. */
struct guest_vcpu {
	struct guest *g;
	int idx, fd;
	void *run;		/* struct kvm_run */
	struct guest_loop loop;
	pthread_t thread;
	bool started;
	unsigned long holes;	/* MMIO exits inside [base, base + len) */
	unsigned long bad;	/* reads that were neither a nor b */
	unsigned long errors;	/* any other exit, or KVM_RUN failing */
	uint32_t last_bad, last_exit;
};

struct guest {
	int kvm, vm, vcpu;	/* vcpu, run: vCPU 0 */
	void *run;		/* struct kvm_run */
	size_t run_size;
	void *code;		/* the code page */
	int nr_vcpus;
	struct guest_vcpu vcpus[GUEST_MAX_VCPUS];
	volatile bool stopping;
};

enum guest_access {
	GUEST_OK,		/* memory: data read or written */
	GUEST_MMIO,		/* exited as MMIO at that address */
	GUEST_ERROR,		/* any other exit or failure */
};

int guest_open(struct guest *g);	/* -errno; -ENODEV without /dev/kvm */
int guest_open_smp(struct guest *g, int nr_vcpus);
void guest_close(struct guest *g);
enum guest_access guest_read(struct guest *g, uint64_t gpa, uint32_t *val);
enum guest_access guest_write(struct guest *g, uint64_t gpa, uint32_t val);

/* Start vCPU @idx on the loop program in a thread of its own. */
int guest_loop_start(struct guest *g, int idx, const struct guest_loop *l);
/* Passes vCPU @idx has completed (read from guest memory). */
uint32_t guest_loop_passes(struct guest *g, int idx);
/* Wait until vCPU @idx completes @n more passes; false after @timeout_s. */
bool guest_loop_wait(struct guest *g, int idx, uint32_t n, int timeout_s);
/* Wait until vCPU @idx has completed @passes passes in all. */
bool guest_loop_reach(struct guest *g, int idx, uint32_t passes,
		      int timeout_s);
/*
 * Stop every loop (halted and parked vCPUs too) and join the threads; the
 * vCPUs can then run again (guest_read(), guest_loop_start()).
 */
void guest_loop_stop(struct guest *g);

#endif /* MEMSLOT_GUEST_H */
