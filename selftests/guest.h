/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A KVM VM with one vCPU running a few bytes of 32-bit flat protected-mode
 * code, to see guest memory as the guest sees it: read or write 4 bytes at
 * a guest-physical address, and learn whether it hit memory or exited to
 * userspace as MMIO (no slot, or a write to a read-only slot).
 */
#ifndef MEMSLOT_GUEST_H
#define MEMSLOT_GUEST_H

#include <stdbool.h>
#include <stdint.h>

/* The VMM's own slot (id GUEST_CODE_SLOT) holds the code at GUEST_CODE_GPA. */
#define GUEST_CODE_SLOT	0
#define GUEST_CODE_GPA	0x1000

struct guest {
	int kvm, vm, vcpu;
	void *run;		/* struct kvm_run */
	size_t run_size;
	void *code;		/* the code page */
};

enum guest_access {
	GUEST_OK,		/* memory: data read or written */
	GUEST_MMIO,		/* exited as MMIO at that address */
	GUEST_ERROR,		/* any other exit or failure */
};

int guest_open(struct guest *g);	/* -errno; -ENODEV without /dev/kvm */
void guest_close(struct guest *g);
enum guest_access guest_read(struct guest *g, uint64_t gpa, uint32_t *val);
enum guest_access guest_write(struct guest *g, uint64_t gpa, uint32_t val);

#endif /* MEMSLOT_GUEST_H */
