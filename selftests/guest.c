// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
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

/*
 * The loop program, at GUEST_LOOP_GPA; see guest.h. In: ebx base, ecx len,
 * edx a, esi b, edi mode | vCPU index << 8. Uses eax, ebp (the address),
 * esp (the end: nothing uses the stack, interrupts stay off).
 */
#define GUEST_BAD_PORT		0x11
#define GUEST_PASS_PORT		0x12
#define GUEST_LOOP_GPA		0x1100
#define GUEST_STOP_GPA		0x1800	/* u32: non-zero ends every loop */
#define GUEST_PASSES_GPA	0x1840	/* u32 per vCPU: passes completed */
extern const uint8_t guest_loop_code[], guest_loop_code_end[];
asm(".pushsection .rodata\n"
    ".code32\n"
    "guest_loop_code:\n"
    "	testl $2, %edi\n"
    "	jz 1f\n"
    "	cli\n"
    "0:	hlt\n"
    "	jmp 0b\n"
    "1:	movl %ebx, %ebp\n"
    "	leal (%ebx,%ecx), %esp\n"
    "2:	testl $4, %edi\n"
    "	jz 3f\n"
    "	movl %edx, (%ebp)\n"
    "3:	movl (%ebp), %eax\n"
    "	cmpl %edx, %eax\n"
    "	je 4f\n"
    "	cmpl %esi, %eax\n"
    "	je 4f\n"
    "	outb %al, $0x11\n"
    "4:	addl $0x1000, %ebp\n"
    "	cmpl %esp, %ebp\n"
    "	jb 2b\n"
    "	movl %edi, %eax\n"
    "	shrl $8, %eax\n"
    "	andl $0xff, %eax\n"
    "	lock incl 0x1840(,%eax,4)\n"
    "	testl $8, %edi\n"
    "	jz 6f\n"
    "	incl %edx\n"
    "6:	testl $1, %edi\n"
    "	jz 5f\n"
    "	outb %al, $0x12\n"
    "5:	cmpl $0, 0x1800\n"
    "	je 1b\n"
    "	outb %al, $0x10\n"
    "	jmp 5b\n"
    "guest_loop_code_end:\n"
    ".code64\n"
    ".popsection\n");

static int guest_flat_mode(int vcpu)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x8, .type = 11,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;

	data.selector = 0x10;
	data.type = 3;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 |= 1; /* protected mode, no paging */
	return ioctl(vcpu, KVM_SET_SREGS, &sregs) ? -errno : 0;
}

/* vCPU @idx, runnable (an AP with an in-kernel LAPIC waits for SIPI). */
static int guest_add_vcpu(struct guest *g, int idx)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct guest_vcpu *v = &g->vcpus[idx];

	v->g = g;
	v->idx = idx;
	v->fd = ioctl(g->vm, KVM_CREATE_VCPU, idx);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return -errno;
	}
	g->nr_vcpus++;
	if (idx && ioctl(v->fd, KVM_SET_MP_STATE, &mp))
		return -errno;
	return guest_flat_mode(v->fd);
}

int guest_open(struct guest *g)
{
	return guest_open_smp(g, 1);
}

int guest_open_smp(struct guest *g, int nr_vcpus)
{
	struct kvm_userspace_memory_region code = {
		.slot = GUEST_CODE_SLOT, .guest_phys_addr = GUEST_CODE_GPA,
		.memory_size = 0x1000,
	};

	int i, err;

	memset(g, 0, sizeof(*g));
	g->vm = g->vcpu = -1;
	if (nr_vcpus < 1 || nr_vcpus > GUEST_MAX_VCPUS)
		return -EINVAL;
	g->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm < 0)
		return -ENODEV;
	g->vm = ioctl(g->kvm, KVM_CREATE_VM, 0);
	g->code = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->vm < 0 || g->code == MAP_FAILED)
		return -errno;
	memcpy(g->code, guest_code, sizeof(guest_code));
	memcpy((char *)g->code + GUEST_LOOP_GPA - GUEST_CODE_GPA,
	       guest_loop_code, guest_loop_code_end - guest_loop_code);
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
	g->run_size = ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < nr_vcpus; i++) {
		err = guest_add_vcpu(g, i);
		if (err)
			return err;
	}
	g->vcpu = g->vcpus[0].fd;
	g->run = g->vcpus[0].run;
	return 0;
}

void guest_close(struct guest *g)
{
	int i;

	guest_loop_stop(g);
	for (i = 0; i < g->nr_vcpus; i++) {
		munmap(g->vcpus[i].run, g->run_size);
		close(g->vcpus[i].fd);
	}
	if (g->code && g->code != MAP_FAILED)
		munmap(g->code, 0x1000);
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

static uint32_t *guest_word(struct guest *g, uint64_t gpa)
{
	return (uint32_t *)((char *)g->code + gpa - GUEST_CODE_GPA);
}

uint32_t guest_loop_passes(struct guest *g, int idx)
{
	return __atomic_load_n(guest_word(g, GUEST_PASSES_GPA + 4 * idx),
			       __ATOMIC_ACQUIRE);
}

bool guest_loop_wait(struct guest *g, int idx, uint32_t n, int timeout_s)
{
	return guest_loop_reach(g, idx, guest_loop_passes(g, idx) + n,
				timeout_s);
}

bool guest_loop_reach(struct guest *g, int idx, uint32_t passes,
		      int timeout_s)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((int32_t)(guest_loop_passes(g, idx) - passes) < 0) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > timeout_s)
			return false;
		sched_yield();
	}
	return true;
}

/* An exit of the loop program; false when the thread should end. */
static bool guest_loop_exit(struct guest_vcpu *v, bool *parked)
{
	struct kvm_run *run = v->run;
	struct kvm_regs regs;
	char c;

	v->last_exit = run->exit_reason;
	if (run->exit_reason == KVM_EXIT_MMIO) {
		if (run->mmio.phys_addr - v->loop.base < v->loop.len)
			v->holes++;
		else
			v->errors++;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		return true;
	}
	if (run->exit_reason != KVM_EXIT_IO) {
		v->errors++;
		return false;
	}
	switch (run->io.port) {
	case GUEST_BAD_PORT:
		v->bad++;
		if (!ioctl(v->fd, KVM_GET_REGS, &regs))
			v->last_bad = regs.rax;
		return true;
	case GUEST_PASS_PORT:
		if (v->loop.park_fd >= 0 && !*parked) {
			*parked = true;	/* stays in userspace until released */
			if (read(v->loop.park_fd, &c, 1) != 1 &&
			    !v->g->stopping)
				v->errors++;
		}
		return true;
	}
	return run->io.port != GUEST_DONE_PORT;
}

static void *guest_loop_thread(void *arg)
{
	struct guest_vcpu *v = arg;
	bool parked = false;

	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0)) {
			if (errno == EINTR && !v->g->stopping)
				continue;
			if (errno != EINTR)
				v->errors++;
			break;
		}
		if (!guest_loop_exit(v, &parked))
			break;
	}
	return NULL;
}

static void guest_no_op(int sig)
{
	(void)sig;
}

int guest_loop_start(struct guest *g, int idx, const struct guest_loop *l)
{
	struct guest_vcpu *v = &g->vcpus[idx];
	struct kvm_regs regs = { 0 };
	struct sigaction sa = { .sa_handler = guest_no_op };

	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: KVM_RUN gets EINTR */
	v->loop = *l;
	regs.rbx = l->base;
	regs.rcx = l->len;
	regs.rdx = l->a;
	regs.rsi = l->b;
	regs.rdi = l->mode | idx << 8;
	regs.rip = GUEST_LOOP_GPA;
	regs.rflags = 2;
	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		return -errno;
	if (pthread_create(&v->thread, NULL, guest_loop_thread, v))
		return -EAGAIN;
	v->started = true;
	return 0;
}

void guest_loop_stop(struct guest *g)
{
	int i;

	for (i = 0; i < g->nr_vcpus && !g->vcpus[i].started; i++)
		;
	if (i == g->nr_vcpus)
		return;
	__atomic_store_n(guest_word(g, GUEST_STOP_GPA), 1, __ATOMIC_RELEASE);
	g->stopping = true;
	for (i = 0; i < g->nr_vcpus; i++) {
		struct guest_vcpu *v = &g->vcpus[i];

		if (!v->started)
			continue;
		/* a halted vCPU: KVM_RUN ends on the signal, or at once */
		((struct kvm_run *)v->run)->immediate_exit = 1;
		pthread_kill(v->thread, SIGUSR1);
		pthread_join(v->thread, NULL);
		v->started = false;
		((struct kvm_run *)v->run)->immediate_exit = 0;
	}
	/* the vCPUs may run again: guest_read(), guest_loop_start() */
	__atomic_store_n(guest_word(g, GUEST_STOP_GPA), 0, __ATOMIC_RELEASE);
	g->stopping = false;
}
