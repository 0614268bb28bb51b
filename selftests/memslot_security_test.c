// SPDX-License-Identifier: GPL-2.0
/*
 * What a hostile local user cannot do (Documentation/design.rst, "Threat
 * model"): keep pins or spaces past its address space, spend host memory
 * on bookkeeping it does not use, overflow the slot arithmetic, upset the
 * module with slots it changed itself or with overlapping slot blocks,
 * exceed the quotas, lose a commit's outcome, map DMA into reserved IOVA
 * ranges or through stale pins. Each test fails on the module as it was
 * before these checks existed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>
#include <linux/memslot_vfio.h>

#include "kselftest_harness.h"
#include "edu.h"
#include "guest.h"
#include "nlclient.h"
#include "setup.h"

#define KB		1024ULL
#define MB		(1024 * KB)
#define GB		(1024 * MB)
#define DMA		MEMSLOT_RANGE_FLAGS_DMA
#define SLOT_BASE	10

FIXTURE(sec) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	uint32_t space;
};

FIXTURE_SETUP(sec)
{
	SETUP_VM_SPACE(&self->c, &self->g, "sec", &self->r, &self->space);
}

FIXTURE_TEARDOWN(sec)
{
	nlc_close(&self->c);
	guest_close(&self->g);
	nlc_flush();
}

static bool has_msg(FIXTURE_DATA(sec) *self, const char *want)
{
	return strstr(self->r.msg, want) != NULL;
}

/* Is space @id still registered (an administrator's dump)? */
static bool space_exists(uint32_t id)
{
	struct nlc_result *r = malloc(sizeof(*r));
	struct nlc admin;
	bool found = false;

	if (r && !nlc_open(&admin)) {
		found = !nlc_space_dump(&admin, r) && nlc_has_space(r, id);
		nlc_close(&admin);
	}
	free(r);
	return found;
}

/* A slot size that makes size + chunk - 1 wrap is refused at bind. */
TEST_F(sec, max_slot_size_is_bounded)
{
	EXPECT_EQ(-ERANGE, nlc_space_bind_max(&self->c, self->space, self->g.vm,
					      SLOT_BASE, 8, 0xFFFFFFFFFFFFF000ULL,
					      &self->r));
	EXPECT_TRUE(has_msg(self, "max-slot-size 0xfffffffffffff000 exceeds"))
		TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	EXPECT_FALSE(self->r.sp[0].vm_bound);
}

/*
 * 1 TiB in 4 KiB slots is 2^28 slots: refused by the budget before any
 * allocation is sized by it (once a 1 GiB kcalloc and a kernel warning).
 */
TEST_F(sec, slot_budget_checked_before_allocation)
{
	struct nlc_op op;
	void *big;

	ASSERT_EQ(0, nlc_space_bind_max(&self->c, self->space, self->g.vm,
					SLOT_BASE, 8, 4096, &self->r));
	big = mmap(NULL, 1024 * GB, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, big, 1024 * GB,
				     &self->r)) TH_LOG("%s", self->r.msg);
	op = (struct nlc_op)NLC_ADD(0, 1024 * GB, self->r.backing_id, 0, 0);
	EXPECT_EQ(-ENOSPC, nlc_txn(&self->c, self->space, &op, 1, &self->r));
	EXPECT_TRUE(has_msg(self, "op 0: slot budget: needs 268435456 slot(s), 8 of 8 free"))
		TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
	EXPECT_EQ(0, self->r.n_ranges);
	munmap(big, 1024 * GB);
}

/* Two spaces may not share memslot ids of one VM. */
TEST_F(sec, overlapping_slot_blocks_refused)
{
	uint32_t other;

	ASSERT_EQ(0, nlc_space_bind(&self->c, self->space, self->g.vm,
				    SLOT_BASE, 64, &self->r));
	ASSERT_EQ(0, nlc_space_new(&self->c, "other", &self->r));
	other = self->r.sp[0].id;
	EXPECT_EQ(-EADDRINUSE, nlc_space_bind(&self->c, other, self->g.vm,
					      SLOT_BASE + 63, 8, &self->r));
	EXPECT_TRUE(has_msg(self, "overlap space")) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_space_get(&self->c, other, &self->r));
	EXPECT_FALSE(self->r.sp[0].vm_bound);
	EXPECT_EQ(0, nlc_space_bind(&self->c, other, self->g.vm,
				    SLOT_BASE + 64, 8, &self->r));
}

/*
 * The VMM deletes one of the module's slots itself: the removal is an
 * error reported to the caller and counted, and teardown copes; the VM
 * runner fails the run on any kernel WARNING this would have caused.
 */
TEST_F(sec, vmm_deleting_module_slot_is_an_error_not_a_warning)
{
	struct kvm_userspace_memory_region del = { .slot = SLOT_BASE };
	struct nlc_op op;
	uint64_t failed;
	void *mem;

	ASSERT_EQ(0, nlc_space_bind(&self->c, self->space, self->g.vm,
				    SLOT_BASE, 8, &self->r));
	mem = mmap(NULL, MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, MB, &self->r));
	op = (struct nlc_op)NLC_ADD(MB, MB, self->r.backing_id, 0, 0);
	ASSERT_EQ(0, nlc_txn(&self->c, self->space, &op, 1, &self->r));
	op = (struct nlc_op)NLC_REMOVE(self->r.added[0].id);
	ASSERT_EQ(0, ioctl(self->g.vm, KVM_SET_USER_MEMORY_REGION, &del));

	EXPECT_EQ(-EINVAL, nlc_txn(&self->c, self->space, &op, 1, &self->r));
	EXPECT_TRUE(has_msg(self, "op 0: KVM error -22 on slot 10"))
		TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	failed = self->r.sp[0].stats[MEMSLOT_A_STATS_FAILED];
	EXPECT_EQ(1, failed);
	nlc_close(&self->c); /* teardown deletes the slot KVM lacks */
	ASSERT_EQ(0, nlc_flush());
	ASSERT_EQ(0, nlc_open(&self->c));
	munmap(mem, MB);
}

/* Space quota per user; backing quota per space. */
TEST_F(sec, quotas_name_their_limit)
{
	long old_spaces, old_backings;
	int i, err = 0;
	uint8_t *mem;

	ASSERT_EQ(0, nlc_param("max_spaces_per_user", 4, &old_spaces));
	for (i = 0; i < 8 && !err; i++)
		err = nlc_space_new(&self->c, NULL, &self->r);
	nlc_param("max_spaces_per_user", old_spaces, NULL);
	EXPECT_EQ(-EDQUOT, err);
	EXPECT_TRUE(has_msg(self, "owns 4 spaces already (memslot.max_spaces_per_user)"))
		TH_LOG("%s", self->r.msg);

	mem = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_param("max_backings_per_space", 3, &old_backings));
	for (i = 0, err = 0; i < 4 && !err; i++)
		err = nlc_backing_new(&self->c, self->space, mem + i * 4096,
				      4096, &self->r);
	nlc_param("max_backings_per_space", old_backings, NULL);
	EXPECT_EQ(-EDQUOT, err);
	EXPECT_EQ(4, i);
	EXPECT_TRUE(has_msg(self, "has 3 backings already (memslot.max_backings_per_space)"))
		TH_LOG("%s", self->r.msg);
	munmap(mem, 4 * 4096);
}

static void put_add_op(struct nl_msg *msg, uint64_t gpa, uint64_t size,
		       uint32_t backing)
{
	struct nlattr *nest = nla_nest_start(msg, MEMSLOT_A_TXN_OP);

	nla_put_u32(msg, MEMSLOT_A_OP_TYPE, MEMSLOT_OP_TYPE_ADD);
	nla_put_u64(msg, MEMSLOT_A_OP_GPA, gpa);
	nla_put_u64(msg, MEMSLOT_A_OP_SIZE, size);
	nla_put_u32(msg, MEMSLOT_A_OP_BACKING_ID, backing);
	nla_nest_end(msg, nest);
}

/*
 * A commit whose reply cannot be queued (the sender's receive buffer is
 * full) changes nothing: once it was applied and reported lost.
 */
TEST_F(sec, commit_that_cannot_reply_changes_nothing)
{
	int fd = nl_socket_get_fd(self->c.sk), tiny = 1, i;
	struct nl_msg *msg;
	void *mem;

	ASSERT_EQ(0, nlc_space_bind(&self->c, self->space, self->g.vm,
				    SLOT_BASE, 8, &self->r));
	mem = mmap(NULL, MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, MB, &self->r));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny)));
	for (i = 0; i < 64; i++) { /* replies nobody reads */
		msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_GET, 0);
		nla_put_u32(msg, MEMSLOT_A_SPACE_ID, self->space);
		ASSERT_LT(0, nl_send_auto(self->c.sk, msg));
		nlmsg_free(msg);
	}
	msg = nlc_msg(&self->c, MEMSLOT_CMD_TXN_COMMIT, 0);
	nla_put_u32(msg, MEMSLOT_A_TXN_SPACE_ID, self->space);
	put_add_op(msg, MB, MB, self->r.backing_id);
	ASSERT_LT(0, nl_send_auto(self->c.sk, msg));
	nlmsg_free(msg);

	{
		struct nlc admin;

		ASSERT_EQ(0, nlc_open(&admin));
		ASSERT_EQ(0, nlc_range_dump(&admin, self->space, &self->r));
		EXPECT_EQ(0, self->r.n_ranges);
		ASSERT_EQ(0, nlc_space_get(&admin, self->space, &self->r));
		EXPECT_EQ(1, self->r.sp[0].generation);
		nlc_close(&admin);
	}
	munmap(mem, MB);
}

/* The owner's execve() ends its address space, and so its spaces. */
TEST_F(sec, exec_destroys_the_owners_spaces)
{
	int up[2], flags;
	uint32_t id = 0;
	char comm[32];
	pid_t pid;

	ASSERT_EQ(0, pipe(up));
	pid = fork();
	if (!pid) {
		struct nlc c;
		struct nlc_result *r = malloc(sizeof(*r));

		if (!r || nlc_open(&c) || nlc_space_new(&c, "exec", r))
			_exit(1);
		id = r->sp[0].id;
		flags = fcntl(nl_socket_get_fd(c.sk), F_GETFD);
		fcntl(nl_socket_get_fd(c.sk), F_SETFD, flags & ~FD_CLOEXEC);
		if (write(up[1], &id, sizeof(id)) != sizeof(id))
			_exit(1);
		execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(1);
	}
	close(up[1]);
	ASSERT_EQ(sizeof(id), read(up[0], &id, sizeof(id)));
	close(up[0]);
	/* wait for the exec to have happened: the new image's name */
	for (flags = 0; flags < 1000; flags++) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		comm[0] = 0;
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "sleep\n")) {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(10000); /* polling a condition, bounded */
	}
	ASSERT_STREQ("sleep\n", comm);
	ASSERT_EQ(0, nlc_flush());
	EXPECT_FALSE(space_exists(id)); /* the socket is still open */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * The owner exits while a forked child keeps its socket open: nobody
 * could use or delete the space any more, so it goes with the owner.
 */
TEST_F(sec, owner_exit_destroys_spaces_a_child_keeps_open)
{
	int up[2], status;
	uint32_t id = 0;
	pid_t owner, child = 0;

	ASSERT_EQ(0, pipe(up));
	owner = fork();
	if (!owner) {
		struct nlc c;
		struct nlc_result *r = malloc(sizeof(*r));
		pid_t kid;

		if (!r || nlc_open(&c) || nlc_space_new(&c, "orphan", r))
			_exit(1);
		id = r->sp[0].id;
		kid = fork();
		if (!kid) {
			pause(); /* holds the socket */
			_exit(0);
		}
		if (write(up[1], &id, sizeof(id)) != sizeof(id) ||
		    write(up[1], &kid, sizeof(kid)) != sizeof(kid))
			_exit(1);
		_exit(0);
	}
	close(up[1]);
	ASSERT_EQ(sizeof(id), read(up[0], &id, sizeof(id)));
	ASSERT_EQ(sizeof(child), read(up[0], &child, sizeof(child)));
	close(up[0]);
	ASSERT_EQ(owner, waitpid(owner, &status, 0));
	ASSERT_EQ(0, nlc_flush());
	EXPECT_FALSE(space_exists(id));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

struct regs_spinner {
	int vcpu;
	volatile bool stop;
	unsigned long calls;
};

/* Another thread's vCPU ioctls: the vCPU's mutex is often taken. */
static void *spin_get_regs(void *arg)
{
	struct regs_spinner *s = arg;
	struct kvm_regs regs;

	while (!s->stop)
		s->calls += !ioctl(s->vcpu, KVM_GET_REGS, &regs);
	return NULL;
}

/*
 * The vCPU's last KVM_RUN thread blocks in userspace while another thread
 * keeps the vCPU's mutex busy: a held commit cannot take the mutex and
 * queues a park work on a thread that will not run it soon. At most one
 * such work per vCPU may be pending (each holds a module reference), not
 * one per commit; when the thread returns, they run and go.
 */
TEST_F(sec, stranded_park_works_are_bounded)
{
	struct guest_loop loop = {
		.base = GUEST_CODE_GPA, .len = 4096, .mode = GUEST_LOOP_EXIT,
	};
	struct regs_spinner spin = { .vcpu = self->g.vcpu };
	long base, most = 0, now;
	struct nlc_op op;
	pthread_t t;
	int park[2], i, n;
	uint32_t id = 0;
	void *mem;

	ASSERT_EQ(0, nlc_flush()); /* earlier teardowns hold module references */
	ASSERT_EQ(0, nlc_space_bind(&self->c, self->space, self->g.vm,
				    SLOT_BASE, 8, &self->r));
	mem = mmap(NULL, MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, MB, &self->r));
	op = (struct nlc_op)NLC_ADD(MB, MB, self->r.backing_id, 0, 0);
	ASSERT_EQ(0, pipe(park));
	loop.park_fd = park[0];
	ASSERT_EQ(0, guest_loop_start(&self->g, 0, &loop));
	/* liveness, as the atomic tests bound it: one pass under TCG */
	ASSERT_TRUE(guest_loop_wait(&self->g, 0, 1, 30))
		TH_LOG("passes %u, errors %lu, last exit %u",
		       guest_loop_passes(&self->g, 0), self->g.vcpus[0].errors,
		       self->g.vcpus[0].last_exit);
	ASSERT_EQ(0, pthread_create(&t, NULL, spin_get_regs, &spin));
	base = nlc_module_refcnt();
	for (i = 0, n = 0; i < 100; i++) {
		struct nlc_op rm = NLC_REMOVE(id);

		ASSERT_EQ(0, nlc_txn_hold(&self->c, self->space, id ? &rm : &op,
					  1, MEMSLOT_HOLD_MODE_ALWAYS, &self->r))
			TH_LOG("%s", self->r.msg);
		id = id ? 0 : self->r.added[0].id;
		now = nlc_module_refcnt();
		most = now - base > most ? now - base : most;
	}
	spin.stop = true;
	pthread_join(t, NULL);
	TH_LOG("%lu GET_REGS calls, most works pending %ld", spin.calls, most);
	EXPECT_GE(1, most); /* one vCPU */
	ASSERT_EQ(1, write(park[1], "g", 1)); /* the thread returns */
	guest_loop_stop(&self->g);
	for (n = 0; n < 500 && nlc_module_refcnt() != base; n++)
		usleep(10000); /* polling a condition, bounded */
	EXPECT_EQ(base, nlc_module_refcnt());
	close(park[0]);
	close(park[1]);
	munmap(mem, MB);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -errno;
	close(fd);
	return err;
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	close(fd);
	return atol(buf);
}

/*
 * Every allocation of a request can fail (fail-nth, failslab and
 * fail_page_alloc on a kernel with fault injection, make check-debug):
 * fail the n-th one for n = 1, 2, ... until a commit of three adds passes
 * with nothing left to fail. A request that fails changes nothing (no
 * range, same generation); one that passes is complete; and the kernel
 * log stays clean (the VM runner judges it).
 */
TEST_F_TIMEOUT(sec, allocation_failures_change_nothing, 600)
{
	struct nlc_op ops[3];
	uint64_t gen;
	long left;
	char nth[16];
	void *mem;
	int n, err;

	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access("/sys/kernel/debug/failslab/ignore-gfp-wait", W_OK))
		SKIP(return, "no fault injection in this kernel");
	ASSERT_EQ(0, write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"));
	write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_file("/sys/kernel/debug/failslab/verbose", "0");
	write_file("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	ASSERT_EQ(0, nlc_space_bind_max(&self->c, self->space, self->g.vm,
					SLOT_BASE, 8, MB, &self->r));
	mem = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, 4 * MB, &self->r));
	ops[0] = (struct nlc_op)NLC_ADD(1 * MB, 2 * MB, self->r.backing_id, 0, 0);
	ops[1] = (struct nlc_op)NLC_ADD(4 * MB, MB, self->r.backing_id, 0, 0);
	ops[2] = (struct nlc_op)NLC_ADD(8 * MB, MB, self->r.backing_id, MB, 0);
	ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
	gen = self->r.sp[0].generation;
	/* an injected failure may print its call trace: that one is ours */
	edu_log_expect("Call Trace:|vmalloc error|page allocation failure");
	for (n = 1; n < 2000; n++) {
		snprintf(nth, sizeof(nth), "%d", n);
		ASSERT_EQ(0, write_file("/proc/thread-self/fail-nth", nth));
		err = nlc_txn(&self->c, self->space, ops, 3, &self->r);
		left = read_long("/proc/thread-self/fail-nth");
		write_file("/proc/thread-self/fail-nth", "0");
		ASSERT_EQ(0, nlc_range_dump(&self->c, self->space, &self->r));
		if (self->r.n_ranges) { /* it passed: undo, for the next n */
			struct nlc_op rm[3];
			int i;

			ASSERT_EQ(3, self->r.n_ranges) TH_LOG("n=%d", n);
			for (i = 0; i < 3; i++)
				rm[i] = (struct nlc_op)NLC_REMOVE(self->r.ranges[i].id);
			ASSERT_EQ(0, nlc_txn(&self->c, self->space, rm, 3, &self->r));
			gen += 2;
		} else {
			EXPECT_NE(0, err) TH_LOG("n=%d", n);
		}
		ASSERT_EQ(0, nlc_space_get(&self->c, self->space, &self->r));
		ASSERT_EQ(gen, self->r.sp[0].generation) TH_LOG("n=%d", n);
		if (left > 0)
			break; /* nothing was left to fail */
	}
	edu_log_expect_end();
	TH_LOG("%d allocation points", n - 1);
	EXPECT_LT(n, 2000);
	munmap(mem, 4 * MB);
}

/* In a child: @n failed gets of ids from @base; how many texts were not ours. */
static int foreign_messages(uint32_t base, int n)
{
	struct nlc_result *r = malloc(sizeof(*r));
	int i, wrong = 0;
	char want[64];
	struct nlc c;

	if (!r || nlc_open(&c))
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "space %u: no such space", base + i);
		if (nlc_space_get(&c, base + i, r) != -ENOENT ||
		    !strstr(r->msg, want))
			wrong++;
	}
	nlc_close(&c);
	return wrong;
}

/*
 * Formatted error messages belong to their request: two users flooding
 * errors at once each read only their own texts (on 6.1, where netlink
 * has no per-request buffer, the module keeps one per thread).
 */
/* 6000 formatted errors: minutes on the debug kernel under TCG */
TEST_F_TIMEOUT(sec, error_messages_are_per_request, 300)
{
	pid_t pids[2];
	int i, status;

	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			if (i && nlc_drop_privileges())
				_exit(100);
			_exit(foreign_messages(1000000 * (i + 1), 3000) ? 1 : 0);
		}
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d: status 0x%x", i, status);
	}
}

#define PAUSE	"/sys/kernel/debug/memslot/pause"

/* A request in a thread of its own that debugfs memslot/pause stops. */
struct paused {
	pthread_t thread;
	struct nlc *c;
	uint32_t space;
	int point;		/* enum ms_pause_point of the module */
	void *mem;
	pid_t tid;
	int err;
	struct nlc_result r;
};

static void *paused_request(void *arg)
{
	struct paused *p = arg;
	char knob[32];

	p->tid = syscall(SYS_gettid);
	snprintf(knob, sizeof(knob), "%d %d", p->tid, p->point);
	p->err = write_file(PAUSE, knob);
	if (p->err)
		return NULL;
	if (p->mem)
		p->err = nlc_backing_new(p->c, p->space, p->mem, 4096, &p->r);
	else
		p->err = nlc_space_get(p->c, p->space, &p->r);
	return NULL;
}

/* Start @p and wait (bounded) until it waits at its point. */
static bool pause_request(struct paused *p)
{
	int i;

	if (pthread_create(&p->thread, NULL, paused_request, p))
		return false;
	for (i = 0; i < 2000; i++) {
		if (p->tid && read_long(PAUSE) == p->tid)
			return true;
		usleep(10000); /* polling a condition, bounded */
	}
	return false;
}

static void resume_request(struct paused *p)
{
	write_file(PAUSE, "0");
	pthread_join(p->thread, NULL);
}

/*
 * A request that found its space, then waits while the space is deleted
 * (its teardown runs meanwhile), finds it dead when it takes the lock:
 * ENOENT, and nothing added to the cleared space (which would have left
 * a backing behind, and a kernel warning, in the space's release).
 */
TEST_F(sec, request_after_destroy_finds_it_dead)
{
	struct paused p = {
		.c = &self->c, .space = self->space, .point = 1,
	};

	if (access(PAUSE, W_OK))
		SKIP(return, "no debugfs memslot/pause");
	p.mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p.mem);
	ASSERT_TRUE(pause_request(&p));
	EXPECT_EQ(0, nlc_space_del(&self->c, self->space, &self->r))
		TH_LOG("%s", self->r.msg);
	resume_request(&p);
	EXPECT_EQ(-ENOENT, p.err);
	EXPECT_NE(NULL, strstr(p.r.msg, "no such space for this socket"))
		TH_LOG("%s", p.r.msg);
	ASSERT_EQ(0, nlc_flush());
	EXPECT_FALSE(space_exists(self->space));
	munmap(p.mem, 4096);
}

/*
 * The error text of a request, formatted, then held back (paused) while
 * another user provokes hundreds of formatted errors: the ACK still says
 * what this request did wrong (6.1 once shared a ring of 256 messages).
 */
TEST_F(sec, error_text_survives_a_flood_of_others)
{
	struct nlc mine;
	struct paused p = { .c = &mine, .space = 999991, .point = 2 };
	int status;
	pid_t pid;

	if (access(PAUSE, W_OK))
		SKIP(return, "no debugfs memslot/pause");
	ASSERT_EQ(0, nlc_open(&mine));
	ASSERT_TRUE(pause_request(&p));
	pid = fork();
	if (!pid) {
		if (nlc_drop_privileges())
			_exit(100);
		_exit(foreign_messages(5000000, 600) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	resume_request(&p);
	EXPECT_EQ(-ENOENT, p.err);
	EXPECT_NE(NULL, strstr(p.r.msg, "space 999991: no such space"))
		TH_LOG("%s", p.r.msg);
	nlc_close(&mine);
}

/* Kernel memory (vmalloc + unreclaimable slab) in kB, from /proc/meminfo. */
static long kernel_kb(void)
{
	char line[128];
	long kb = 0, v;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmallocUsed: %ld kB", &v) == 1 ||
		    sscanf(line, "SUnreclaim: %ld kB", &v) == 1)
			kb += v;
	}
	if (f)
		fclose(f);
	return kb;
}

FIXTURE(secdma) {
	struct nlc c;
	struct nlc_result r;
	struct guest g;
	struct edu e;
	uint32_t space;
};

FIXTURE_SETUP(secdma)
{
	int err = nlc_open(&self->c);

	self->e.group = self->e.container = self->e.device = -1;
	if (err == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	err = edu_open(&self->e, MEMSLOT_VFIO_IOMMU);
	if (err == -ENODEV)
		SKIP(return, "no edu device behind an IOMMU");
	ASSERT_EQ(0, err);
	err = guest_open(&self->g);
	if (err == -ENODEV)
		SKIP(return, "no /dev/kvm");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlc_space_new(&self->c, "secdma", &self->r));
	self->space = self->r.sp[0].id;
	ASSERT_EQ(0, nlc_space_bind(&self->c, self->space, self->g.vm,
				    SLOT_BASE, 64, &self->r));
	ASSERT_EQ(0, edu_bind(&self->e, self->space));
}

FIXTURE_TEARDOWN(secdma)
{
	edu_close(&self->e);
	nlc_close(&self->c);
	guest_close(&self->g);
	nlc_flush();
}

static uint32_t dma_add(FIXTURE_DATA(secdma) *self, uint64_t gpa,
			uint64_t size, uint32_t backing, uint64_t off)
{
	struct nlc_op op = NLC_ADD(gpa, size, backing, off, DMA);

	if (nlc_txn(&self->c, self->space, &op, 1, &self->r))
		return 0;
	return self->r.added[0].id;
}

static int txn_del(FIXTURE_DATA(secdma) *self, uint32_t id)
{
	struct nlc_op op = NLC_REMOVE(id);

	return nlc_txn(&self->c, self->space, &op, 1, &self->r);
}

static uint64_t pinned(FIXTURE_DATA(secdma) *self)
{
	struct nlc_result *r = malloc(sizeof(*r));
	uint64_t v = ~0ULL;

	if (r && !nlc_space_get(&self->c, self->space, r))
		v = r->sp[0].stats[MEMSLOT_A_STATS_PINNED_PAGES];
	free(r);
	return v;
}

/*
 * A page of DMA in a 64 GiB backing costs one pin chunk (a few kB), not
 * bookkeeping for every page of the backing (once 192 MiB).
 */
TEST_F(secdma, pin_bookkeeping_follows_what_is_pinned)
{
	uint64_t size = 64 * GB;
	long before, during;
	uint32_t id;
	uint8_t *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, size, &self->r));
	before = kernel_kb();
	id = dma_add(self, MB, 4096, self->r.backing_id, 32 * GB);
	ASSERT_NE(0, id) TH_LOG("%s", self->r.msg);
	during = kernel_kb();
	EXPECT_GT(1024, during - before) TH_LOG("%ld kB", during - before);
	EXPECT_EQ(1, pinned(self));
	EXPECT_EQ(0, txn_del(self, id));
	munmap(mem, size);
}

/* Deleting a backing frees its pin bookkeeping: no growth over 16 rounds. */
TEST_F(secdma, backing_delete_frees_pin_bookkeeping)
{
	long before, after;
	uint32_t id, b;
	uint8_t *mem;
	int i;

	before = kernel_kb();
	for (i = 0; i < 16; i++) {
		struct nl_msg *msg;

		mem = mmap(NULL, GB, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, mem);
		ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, GB,
					     &self->r));
		b = self->r.backing_id;
		id = dma_add(self, MB, 4096, b, 0);
		ASSERT_NE(0, id) TH_LOG("%s", self->r.msg);
		ASSERT_EQ(0, txn_del(self, id));
		msg = nlc_msg(&self->c, MEMSLOT_CMD_BACKING_DEL, 0);
		nla_put_u32(msg, MEMSLOT_A_BACKING_SPACE_ID, self->space);
		nla_put_u32(msg, MEMSLOT_A_BACKING_ID, b);
		ASSERT_EQ(0, nlc_xfer(&self->c, msg, &self->r)) TH_LOG("%s", self->r.msg);
		munmap(mem, GB);
	}
	after = kernel_kb();
	EXPECT_GT(4096, after - before) TH_LOG("%ld kB", after - before);
}

/*
 * munmap() and mmap() under a pinned backing: a new DMA alias of its
 * pages would map the old pages for DMA while KVM maps the new ones.
 */
TEST_F(secdma, remapped_backing_refused_for_new_alias)
{
	uint8_t *mem;
	uint32_t b, id;

	mem = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 1, 64 * KB);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, 64 * KB,
				     &self->r));
	b = self->r.backing_id;
	id = dma_add(self, MB, 64 * KB, b, 0);
	ASSERT_NE(0, id);
	ASSERT_EQ(mem, mmap(mem, 64 * KB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	memset(mem, 2, 64 * KB); /* new pages */
	EXPECT_EQ(0, dma_add(self, 2 * MB, 64 * KB, b, 0));
	EXPECT_EQ(-ESTALE, self->r.err);
	EXPECT_NE(NULL, strstr(self->r.msg, "was remapped under pinned pages"))
		TH_LOG("%s", self->r.msg);
	EXPECT_EQ(16, pinned(self));
	EXPECT_EQ(0, txn_del(self, id));
	munmap(mem, 64 * KB);
}

/* A container bound after an earlier one was released maps the ranges. */
TEST_F(secdma, next_container_maps_existing_ranges)
{
	uint8_t *mem;
	uint32_t id;

	mem = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, 64 * KB,
				     &self->r));
	id = dma_add(self, MB, 64 * KB, self->r.backing_id, 0);
	ASSERT_NE(0, id);
	EXPECT_TRUE(edu_round_trip(&self->e, mem, MB, 3));
	edu_close(&self->e);
	ASSERT_EQ(0, edu_open(&self->e, MEMSLOT_VFIO_IOMMU));
	ASSERT_EQ(0, edu_bind(&self->e, self->space));
	EXPECT_TRUE(edu_round_trip(&self->e, mem, MB, 4));
	EXPECT_EQ(0, txn_del(self, id));
	munmap(mem, 64 * KB);
}

/*
 * VFIO_IOMMU_GET_INFO answers as type1: page sizes and IOVA ranges that
 * leave out the reserved regions (the MSI window on x86), and a DMA range
 * in a reserved region is refused.
 */
TEST_F(secdma, get_info_and_reserved_regions)
{
	struct vfio_iommu_type1_info *info = calloc(1, 4096);
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *hdr;
	bool msi_left_out = true;
	uint8_t *mem;
	uint32_t i;

	ASSERT_NE(NULL, info);
	info->argsz = 4096;
	ASSERT_EQ(0, ioctl(self->e.container, VFIO_IOMMU_GET_INFO, info));
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_TRUE(info->iova_pgsizes & 4096);
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	hdr = (void *)((char *)info + info->cap_offset);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, hdr->id);
	cap = (void *)hdr;
	ASSERT_LT(1, cap->nr_iovas); /* the MSI window splits the space */
	for (i = 0; i < cap->nr_iovas; i++)
		if (cap->iova_ranges[i].start <= 0xfee00000ULL &&
		    cap->iova_ranges[i].end >= 0xfee00000ULL)
			msi_left_out = false;
	EXPECT_TRUE(msi_left_out);
	EXPECT_EQ(0, cap->iova_ranges[0].start);
	free(info);

	mem = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, 64 * KB,
				     &self->r));
	EXPECT_EQ(0, dma_add(self, 0xfee00000ULL, 64 * KB, self->r.backing_id, 0));
	EXPECT_EQ(-EADDRNOTAVAIL, self->r.err);
	EXPECT_NE(NULL, strstr(self->r.msg, "op 0: dma: IOVA 0xfee00000+0x10000 is reserved"))
		TH_LOG("%s", self->r.msg);
	EXPECT_EQ(0, pinned(self));
	munmap(mem, 64 * KB);
}

/* A userfaultfd over @len bytes at @mem: faults there wait for us. */
static int uffd_open(void *mem, uint64_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)mem, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Wait (up to 20 s) for a fault on @fd; its address, or 0. */
static uint64_t uffd_wait_fault(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, 20000) != 1 || read(fd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return 0;
	return msg.arg.pagefault.address;
}

static void *close_nlc(void *arg)
{
	nlc_close(arg);
	return NULL;
}

static void *close_edu(void *arg)
{
	edu_close(arg);
	return NULL;
}

/* Join @t within @s seconds. */
static bool join_within(pthread_t t, int s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += s;
	return !pthread_timedjoin_np(t, NULL, &ts);
}

/*
 * A VMM stalls its own teardown: its vCPU waits in a userfaultfd fault
 * inside KVM's SRCU read side, so deleting the VM's slots waits too, and
 * the socket is closed. Nothing else may wait with it: the closer returns;
 * another socket that takes the released port id keeps its space (port
 * ids are not identity); closing the stalled space's VFIO container
 * returns; a new space on another VM creates, binds a container and does
 * DMA. Once the fault is served, the stalled space goes.
 */
TEST_F_TIMEOUT(secdma, stalled_teardown_blocks_nobody_else, 120)
{
	struct guest_loop loop = { .base = 4 * MB, .len = 4096 };
	uint32_t port, sa = self->space, sy;
	struct uffdio_zeropage zp;
	pthread_t closer, edu_closer;
	struct nlc y = { 0 };
	struct guest g2;
	uint64_t fault;
	uint8_t *stall, *mem;
	struct nlc_op op;
	int uffd, i, err;

	stall = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stall);
	uffd = uffd_open(stall, 64 * KB);
	if (uffd == -EPERM || uffd == -ENOSYS)
		SKIP(return, "no userfaultfd for kernel faults");
	ASSERT_LE(0, uffd);
	ASSERT_EQ(0, nlc_backing_new(&self->c, sa, stall, 64 * KB, &self->r));
	op = (struct nlc_op)NLC_ADD(4 * MB, 64 * KB, self->r.backing_id, 0, 0);
	ASSERT_EQ(0, nlc_txn(&self->c, sa, &op, 1, &self->r));
	ASSERT_EQ(0, guest_loop_start(&self->g, 0, &loop));
	fault = uffd_wait_fault(uffd);
	ASSERT_EQ((uintptr_t)stall, fault & ~4095ULL); /* the vCPU waits */

	port = nl_socket_get_local_port(self->c.sk);
	ASSERT_EQ(0, pthread_create(&closer, NULL, close_nlc, &self->c));
	EXPECT_TRUE(join_within(closer, 20)); /* the teardown is not ours */
	for (i = 0, err = -EADDRINUSE; i < 500 && err == -EADDRINUSE; i++) {
		err = nlc_open_port(&y, port);
		if (err)
			usleep(10000); /* until the port is released: bounded */
	}
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlc_space_new(&y, "same-port", &self->r));
	sy = self->r.sp[0].id;

	ASSERT_EQ(0, pthread_create(&edu_closer, NULL, close_edu, &self->e));
	EXPECT_TRUE(join_within(edu_closer, 20));
	ASSERT_EQ(0, guest_open(&g2));
	ASSERT_EQ(0, nlc_space_bind(&y, sy, g2.vm, SLOT_BASE, 8, &self->r));
	ASSERT_EQ(0, edu_open(&self->e, MEMSLOT_VFIO_IOMMU));
	ASSERT_EQ(0, edu_bind(&self->e, sy));
	mem = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&y, sy, mem, 64 * KB, &self->r));
	op = (struct nlc_op)NLC_ADD(MB, 64 * KB, self->r.backing_id, 0, DMA);
	ASSERT_EQ(0, nlc_txn(&y, sy, &op, 1, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_TRUE(edu_round_trip(&self->e, mem, MB, 5));
	EXPECT_FALSE(space_exists(sa)); /* unregistered at once */

	zp = (struct uffdio_zeropage){ .range = { (uintptr_t)stall, 4096 } };
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp)); /* the vCPU goes on */
	guest_loop_stop(&self->g);
	ASSERT_EQ(0, nlc_flush());
	EXPECT_EQ(0, nlc_space_get(&y, sy, &self->r)); /* never the old port's */
	edu_close(&self->e);
	nlc_close(&y);
	guest_close(&g2);
	ASSERT_EQ(0, nlc_open(&self->c));
	close(uffd);
	munmap(mem, 64 * KB);
	munmap(stall, 64 * KB);
}

/* dma_entry_limit bounds the DMA ranges of a space, as in type1. */
TEST_F(secdma, dma_entry_limit)
{
	uint32_t b, ids[2];
	uint8_t *mem;
	long old;

	mem = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nlc_backing_new(&self->c, self->space, mem, 64 * KB,
				     &self->r));
	b = self->r.backing_id;
	ASSERT_EQ(0, nlc_param("dma_entry_limit", 2, &old));
	ids[0] = dma_add(self, 1 * MB, 4096, b, 0);
	ids[1] = dma_add(self, 2 * MB, 4096, b, 0);
	EXPECT_EQ(0, dma_add(self, 3 * MB, 4096, b, 0));
	nlc_param("dma_entry_limit", old, NULL);
	EXPECT_NE(0, ids[0]);
	EXPECT_NE(0, ids[1]);
	EXPECT_EQ(-EDQUOT, self->r.err);
	EXPECT_NE(NULL, strstr(self->r.msg, "op 0: dma: 2 DMA ranges (memslot.dma_entry_limit)"))
		TH_LOG("%s", self->r.msg);
	EXPECT_EQ(1, pinned(self)); /* the two share one page */
	munmap(mem, 64 * KB);
}

TEST_HARNESS_MAIN
