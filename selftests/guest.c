// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "guest.h"

/*
 * eax = 1: write ecx to [ebx]; else read [ebx] into ecx. Then an I/O exit
 * (the vCPU has an in-kernel LAPIC, so hlt would not come back to us).
 *   83 f8 01  cmp eax, 1
 *   74 04     je write
 *   8b 0b     mov ecx, [ebx]
 *   e6 10     out GUEST_DONE_PORT, al
 *   89 0b     write: mov [ebx], ecx
 *   e6 10     out GUEST_DONE_PORT, al
 */
#define GUEST_DONE_PORT 0x10
static const uint8_t guest_code[] = {
	0x83, 0xf8, 0x01, 0x74, 0x04, 0x8b, 0x0b, 0xe6, GUEST_DONE_PORT,
	0x89, 0x0b, 0xe6, GUEST_DONE_PORT,
};

static int guest_flat_mode(struct guest *g)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x8, .type = 11,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;

	data.selector = 0x10;
	data.type = 3;
	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 |= 1; /* protected mode, no paging */
	return ioctl(g->vcpu, KVM_SET_SREGS, &sregs) ? -errno : 0;
}

int guest_open(struct guest *g)
{
	struct kvm_userspace_memory_region code = {
		.slot = GUEST_CODE_SLOT, .guest_phys_addr = GUEST_CODE_GPA,
		.memory_size = 0x1000,
	};

	memset(g, 0, sizeof(*g));
	g->vm = g->vcpu = -1;
	g->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm < 0)
		return -ENODEV;
	g->vm = ioctl(g->kvm, KVM_CREATE_VM, 0);
	g->code = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->vm < 0 || g->code == MAP_FAILED)
		return -errno;
	memcpy(g->code, guest_code, sizeof(guest_code));
	code.userspace_addr = (uintptr_t)g->code;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &code))
		return -errno;
	/*
	 * An in-kernel LAPIC: a vCPU without one flips KVM's
	 * kvm_has_noapic_vcpu static key (code patching) on every create and
	 * destroy, which hangs SMP guests under QEMU TCG now and then.
	 */
	if (ioctl(g->vm, KVM_CREATE_IRQCHIP, 0))
		return -errno;
	g->vcpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	g->run_size = ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (g->vcpu < 0)
		return -errno;
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED)
		return -errno;
	return guest_flat_mode(g);
}

void guest_close(struct guest *g)
{
	if (g->run && g->run != MAP_FAILED)
		munmap(g->run, g->run_size);
	if (g->code && g->code != MAP_FAILED)
		munmap(g->code, 0x1000);
	if (g->vcpu >= 0)
		close(g->vcpu);
	if (g->vm >= 0)
		close(g->vm);
	if (g->kvm >= 0)
		close(g->kvm);
}

/* Run the code once with eax/ebx/ecx set, up to its I/O exit. */
static enum guest_access guest_access(struct guest *g, int write, uint64_t gpa,
				      uint32_t *val)
{
	struct kvm_run *run = g->run;
	enum guest_access res = GUEST_OK;
	struct kvm_regs regs = { 0 };

	regs.rax = write;
	regs.rbx = gpa;
	regs.rcx = *val;
	regs.rip = GUEST_CODE_GPA;
	regs.rflags = 2;
	if (ioctl(g->vcpu, KVM_SET_REGS, &regs))
		return GUEST_ERROR;
	for (;;) {
		if (ioctl(g->vcpu, KVM_RUN, 0))
			return GUEST_ERROR;
		if (run->exit_reason == KVM_EXIT_IO &&
		    run->io.port == GUEST_DONE_PORT)
			break;
		if (run->exit_reason != KVM_EXIT_MMIO ||
		    run->mmio.phys_addr != gpa)
			return GUEST_ERROR;
		/* let KVM finish the access (reads get 0) and reach the out */
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		res = GUEST_MMIO;
	}
	if (ioctl(g->vcpu, KVM_GET_REGS, &regs))
		return GUEST_ERROR;
	*val = regs.rcx;
	return res;
}

enum guest_access guest_read(struct guest *g, uint64_t gpa, uint32_t *val)
{
	*val = 0;
	return guest_access(g, 0, gpa, val);
}

enum guest_access guest_write(struct guest *g, uint64_t gpa, uint32_t val)
{
	return guest_access(g, 1, gpa, &val);
}
