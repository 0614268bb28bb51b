// SPDX-License-Identifier: GPL-2.0
/*
 * memslot-fuzz: a structure-aware fuzzer of the memslot netlink family.
 *
 * The tables (fuzz-spec.h) come from the YAML spec: each message is a valid
 * request of one op (its attributes, values near their checks, ids the
 * kernel handed out earlier, the worker's own VM fd and memory), then
 * mutated: attributes left out, repeated, of the wrong length or of an
 * unknown type, nests emptied or filled with random ops, values at and past
 * their limits. Several processes (one unprivileged), each with several
 * threads and sockets, interleave their requests, close and reopen their
 * sockets (teardown under load) and fork children that exit mid-stream.
 *
 * The kernel log is read before and after (/dev/kmsg): any WARNING, BUG,
 * KASAN, lockdep, kmemleak or hung-task report fails the run. Prints TAP.
 *
 * usage: memslot-fuzz [-n MESSAGES] [-p PROCESSES] [-t THREADS] [-s SEED]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kvm.h>
#include <linux/memslot.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum fz_kind { FZ_U8, FZ_U32, FZ_U64, FZ_S32, FZ_STRING, FZ_FLAG, FZ_NEST };

struct fz_attr {
	const char *name;
	uint16_t type;
	enum fz_kind kind;
	int64_t min, max;	/* -1: none */
	int nest;		/* index in fz_sets, or -1 */
	int multi;
};

struct fz_set {
	const char *name;
	const struct fz_attr *attrs;
	size_t n;
};

struct fz_op {
	const char *name;
	uint8_t cmd;
	int set;
	const char *const *req;
	int dump;
};

#include "fuzz-spec.h"

#define MEM_SIZE	(8 << 20)
#define IDS		16
#define SOCKS		3

/* What one thread knows: ids the kernel gave out, its sockets. */
struct worker {
	unsigned int seed;
	int family;
	struct mnl_socket *sk[SOCKS];
	uint32_t ids[3][IDS];	/* spaces, backings, ranges */
	uint32_t last[3];	/* the newest of each */
	int vm_fd;
	uint8_t *mem;
	unsigned long sent, acked, errors, replies;
};

static long messages = 100000;
static int procs = 2, threads = 2;

static uint32_t rnd(struct worker *w)
{
	return rand_r(&w->seed);
}

static bool chance(struct worker *w, int percent)
{
	return rnd(w) % 100 < (uint32_t)percent;
}

static int resolve_family(struct mnl_socket *sk)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nlattr *a;
	int n, id = -1;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MEMSLOT_FAMILY_NAME);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
	nlh = (struct nlmsghdr *)buf;
	if (n <= 0 || !mnl_nlmsg_ok(nlh, n) || nlh->nlmsg_type == NLMSG_ERROR)
		return -1;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			id = mnl_attr_get_u16(a);
	return id;
}

static struct mnl_socket *open_sock(void)
{
	struct mnl_socket *sk = mnl_socket_open(NETLINK_GENERIC);
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;

	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0)
		return NULL;
	mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	return sk;
}

/* Which id pool an attribute draws from: 0 spaces, 1 backings, 2 ranges. */
static int id_pool(const struct fz_set *set, const struct fz_attr *a)
{
	if (!strcmp(a->name, "space-id") ||
	    (!strcmp(a->name, "id") && !strcmp(set->name, "space")))
		return 0;
	if (!strcmp(a->name, "backing-id") ||
	    (!strcmp(a->name, "id") && !strcmp(set->name, "backing")))
		return 1;
	if (!strcmp(a->name, "range-id") || !strcmp(a->name, "id"))
		return 2;
	return -1;
}

static uint64_t pick_u64(struct worker *w, const struct fz_attr *a)
{
	static const uint64_t odd[] = {
		0, 1, 4095, 4096, 1ULL << 20, 1ULL << 42, (1ULL << 42) + 4096,
		~0ULL, ~0ULL - 4095, 1ULL << 63, 0xFFFFFFFFFFFFF000ULL,
	};
	uint64_t pages = MEM_SIZE / 4096;

	if (!strcmp(a->name, "addr") && chance(w, 80))
		return (uintptr_t)w->mem + (rnd(w) % pages) * 4096;
	/* a dirty bitmap lands in the worker's own backing memory, or faults */
	if (!strcmp(a->name, "buffer") && chance(w, 70))
		return (uintptr_t)w->mem;
	if (!strcmp(a->name, "buffer-size") && chance(w, 70))
		return rnd(w) % 2 ? MEM_SIZE : rnd(w) % 64;
	if ((!strcmp(a->name, "size") || !strcmp(a->name, "offset") ||
	     !strcmp(a->name, "gpa")) && chance(w, 70))
		return (uint64_t)(rnd(w) % pages) * 4096 +
		       (!strcmp(a->name, "size") ? 4096 : 0);
	if (!strcmp(a->name, "max-slot-size") && chance(w, 50))
		return (uint64_t)(1 + rnd(w) % 64) * 4096;
	if (chance(w, 60))
		return odd[rnd(w) % ARRAY_SIZE(odd)];
	return ((uint64_t)rnd(w) << 32) | rnd(w);
}

static uint32_t pick_u32(struct worker *w, const struct fz_set *set,
			 const struct fz_attr *a)
{
	int pool = id_pool(set, a);

	if (pool >= 0 && chance(w, 85))
		return w->ids[pool][rnd(w) % IDS];
	if (!strcmp(a->name, "type") || !strcmp(a->name, "hold"))
		return rnd(w) % 5;
	if (!strcmp(a->name, "flags"))
		return chance(w, 90) ? rnd(w) % 8 : rnd(w);
	if (a->max >= 0 && chance(w, 60))
		return rnd(w) % (a->max + 2);
	if (chance(w, 30))
		return (uint32_t[]){ 0, 1, 2, 0x7fffffff, 0xffffffff }[rnd(w) % 5];
	return rnd(w);
}

static void put_attrs(struct worker *w, struct nlmsghdr *nlh, int set_idx,
		      const char *const *only, int depth);

/* One attribute of @set, valid or nearly so. */
static void put_attr(struct worker *w, struct nlmsghdr *nlh,
		     const struct fz_set *set, const struct fz_attr *a,
		     int depth)
{
	char name[48];
	struct nlattr *nest;
	int i, n;

	if (chance(w, 3)) { /* the wrong length */
		mnl_attr_put_u8(nlh, a->type, rnd(w));
		return;
	}
	switch (a->kind) {
	case FZ_U8:
		mnl_attr_put_u8(nlh, a->type, rnd(w) % 3);
		break;
	case FZ_U32:
		mnl_attr_put_u32(nlh, a->type, pick_u32(w, set, a));
		break;
	case FZ_S32:
		mnl_attr_put_u32(nlh, a->type, chance(w, 80) ? w->vm_fd :
				 (int)(rnd(w) % 40) - 2);
		break;
	case FZ_U64:
		mnl_attr_put_u64(nlh, a->type, pick_u64(w, a));
		break;
	case FZ_STRING:
		n = rnd(w) % (a->max > 0 ? a->max + 4 : 40);
		for (i = 0; i < n; i++)
			name[i] = 'a' + rnd(w) % 26;
		name[n] = 0;
		if (chance(w, 5))
			mnl_attr_put(nlh, a->type, n, name); /* unterminated */
		else
			mnl_attr_put_strz(nlh, a->type, name);
		break;
	case FZ_FLAG:
		mnl_attr_put(nlh, a->type, 0, NULL);
		break;
	case FZ_NEST:
		n = a->multi ? rnd(w) % 6 : 1;
		for (i = 0; i < n && depth < 3; i++) {
			nest = mnl_attr_nest_start(nlh, a->type);
			if (!chance(w, 5))
				put_attrs(w, nlh, a->nest, NULL, depth + 1);
			mnl_attr_nest_end(nlh, nest);
		}
		break;
	}
}

static const struct fz_attr *find_attr(const struct fz_set *set,
				       const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->attrs[i].name, name))
			return &set->attrs[i];
	return NULL;
}

/*
 * The attributes of a request (@only) or of a nest (all of @set's), in
 * the spec's order or, now and then, shuffled.
 */
static void put_attrs(struct worker *w, struct nlmsghdr *nlh, int set_idx,
		      const char *const *only, int depth)
{
	const struct fz_set *set = &fz_sets[set_idx];
	const struct fz_attr *a, *list[32];
	size_t i, j, n = 0;

	for (i = 0; only ? only[i] != NULL : i < set->n; i++)
		if (n < ARRAY_SIZE(list))
			list[n++] = only ? find_attr(set, only[i]) : &set->attrs[i];
	for (i = n; chance(w, 30) && i > 1; i--) {
		j = rnd(w) % i;
		a = list[i - 1];
		list[i - 1] = list[j];
		list[j] = a;
	}
	for (i = 0; i < n; i++) {
		a = list[i];
		if (!a || !chance(w, only ? 85 : 60))
			continue;
		put_attr(w, nlh, set, a, depth);
		if (chance(w, 3)) /* repeated */
			put_attr(w, nlh, set, a, depth);
	}
	if (chance(w, 3)) /* unknown type */
		mnl_attr_put_u32(nlh, 1 + rnd(w) % 40, rnd(w));
}

/* Remember the ids a reply hands out. */
static void harvest(struct worker *w, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;
	int pool = -1, type = 0;

	switch (g->cmd) {
	case MEMSLOT_CMD_SPACE_NEW: pool = 0; type = MEMSLOT_A_SPACE_ID; break;
	case MEMSLOT_CMD_BACKING_NEW: pool = 1; type = MEMSLOT_A_BACKING_ID; break;
	case MEMSLOT_CMD_TXN_COMMIT: pool = 2; type = MEMSLOT_A_TXN_ADDED_ID; break;
	case MEMSLOT_CMD_RANGE_GET: pool = 2; type = MEMSLOT_A_RANGE_ID; break;
	}
	if (pool < 0)
		return;
	mnl_attr_for_each(a, nlh, sizeof(*g))
		if (mnl_attr_get_type(a) == type &&
		    mnl_attr_get_payload_len(a) == 4) {
			w->last[pool] = mnl_attr_get_u32(a);
			w->ids[pool][rnd(w) % IDS] = w->last[pool];
		}
}

/* Read until the ACK (or error, or DONE) of @seq, or a timeout. */
static void drain(struct worker *w, struct mnl_socket *sk, uint32_t seq)
{
	static __thread char buf[1 << 17];
	const struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	int n;

	for (;;) {
		n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
		if (n <= 0)
			return; /* ENOBUFS (lost replies) or timeout */
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, n);
		     nlh = mnl_nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				e = mnl_nlmsg_get_payload(nlh);
				if (e->error)
					w->errors++;
				else
					w->acked++;
				if (nlh->nlmsg_seq == seq)
					return;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_seq == seq)
					return;
			} else {
				w->replies++;
				harvest(w, nlh);
			}
		}
	}
}

static void send_one(struct worker *w, uint32_t seq)
{
	static __thread char buf[1 << 16];
	const struct fz_op *op = &fz_ops[rnd(w) % ARRAY_SIZE(fz_ops)];
	struct mnl_socket *sk = w->sk[rnd(w) % SOCKS];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = w->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (op->dump && chance(w, 30))
		nlh->nlmsg_flags |= NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = chance(w, 2) ? rnd(w) % 20 : op->cmd;
	g->version = 1;
	put_attrs(w, nlh, op->set, op->req, 0);
	w->sent++;
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) >= 0)
		drain(w, sk, seq);
}

static int worker_init(struct worker *w, unsigned int seed, int vm_fd,
		       uint8_t *mem);

/*
 * A child that sends a few requests on sockets of its own and exits with
 * them open: its spaces end with its address space and its sockets.
 */
static void fork_and_exit(struct worker *w)
{
	struct worker child;
	int i;

	if (fork())
		return;
	if (worker_init(&child, rnd(w), w->vm_fd, w->mem))
		_exit(0);
	memcpy(child.ids, w->ids, sizeof(child.ids));
	for (i = 1; i <= 50; i++)
		send_one(&child, i);
	_exit(0);
}

/* A request of @cmd with the header only; attributes follow. */
static struct nlmsghdr *start_msg(struct worker *w, char *buf, uint8_t cmd,
				  uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = w->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void send_msg(struct worker *w, struct mnl_socket *sk,
		     struct nlmsghdr *nlh)
{
	w->sent++;
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) >= 0)
		drain(w, sk, nlh->nlmsg_seq);
}

/*
 * A valid start, so that the mutated requests reach deep: a space bound
 * to the worker's VM, a backing of its memory, a commit of a few adds.
 */
static void valid_setup(struct worker *w, uint32_t seq)
{
	static __thread char buf[8192];
	struct mnl_socket *sk = w->sk[rnd(w) % SOCKS];
	uint32_t pages = MEM_SIZE / 4096, first = rnd(w) % (pages / 2), i, n;
	struct nlmsghdr *nlh;
	struct nlattr *op;

	send_msg(w, sk, start_msg(w, buf, MEMSLOT_CMD_SPACE_NEW, seq));
	nlh = start_msg(w, buf, MEMSLOT_CMD_SPACE_BIND, seq);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_ID, w->last[0]);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_VM_FD, w->vm_fd);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_SLOT_BASE, rnd(w) % 1000);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_SLOT_COUNT, 1 + rnd(w) % 64);
	send_msg(w, sk, nlh);
	nlh = start_msg(w, buf, MEMSLOT_CMD_BACKING_NEW, seq);
	mnl_attr_put_u32(nlh, MEMSLOT_A_BACKING_SPACE_ID, w->last[0]);
	mnl_attr_put_u64(nlh, MEMSLOT_A_BACKING_ADDR,
			 (uintptr_t)w->mem + (uint64_t)first * 4096);
	mnl_attr_put_u64(nlh, MEMSLOT_A_BACKING_SIZE,
			 (uint64_t)(pages - first) * 4096);
	send_msg(w, sk, nlh);
	nlh = start_msg(w, buf, MEMSLOT_CMD_TXN_COMMIT, seq);
	mnl_attr_put_u32(nlh, MEMSLOT_A_TXN_SPACE_ID, w->last[0]);
	for (i = 0, n = 1 + rnd(w) % 4; i < n; i++) {
		op = mnl_attr_nest_start(nlh, MEMSLOT_A_TXN_OP);
		mnl_attr_put_u32(nlh, MEMSLOT_A_OP_TYPE, MEMSLOT_OP_TYPE_ADD);
		mnl_attr_put_u64(nlh, MEMSLOT_A_OP_GPA, (uint64_t)(16 * i + 1) << 20);
		mnl_attr_put_u64(nlh, MEMSLOT_A_OP_SIZE, 4096 * (1 + rnd(w) % 16));
		mnl_attr_put_u32(nlh, MEMSLOT_A_OP_BACKING_ID, w->last[1]);
		mnl_attr_put_u32(nlh, MEMSLOT_A_OP_FLAGS, rnd(w) % 4);
		mnl_attr_nest_end(nlh, op);
	}
	send_msg(w, sk, nlh);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	long per = messages / (procs * threads);
	uint32_t seq;
	int s;

	for (seq = 1; seq <= per; seq++) {
		if (rnd(w) % 1000 < 2)
			fork_and_exit(w);
		if (chance(w, 4))
			valid_setup(w, seq);
		if (chance(w, 1)) { /* a socket goes, with its spaces */
			s = rnd(w) % SOCKS;
			mnl_socket_close(w->sk[s]);
			w->sk[s] = open_sock();
			if (!w->sk[s])
				break;
		}
		send_one(w, seq);
	}
	return NULL;
}

/* A KVM VM for space-bind, or -1 without /dev/kvm. */
static int open_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	return kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
}

static int worker_init(struct worker *w, unsigned int seed, int vm_fd,
		       uint8_t *mem)
{
	int s;

	memset(w, 0, sizeof(*w));
	w->seed = seed;
	w->vm_fd = vm_fd;
	w->mem = mem;
	for (s = 0; s < SOCKS; s++) {
		w->sk[s] = open_sock();
		if (!w->sk[s])
			return -1;
	}
	w->family = resolve_family(w->sk[0]);
	return w->family < 0 ? -1 : 0;
}

/* One process: @threads workers sharing a VM and memory. */
static int run_process(unsigned int seed, int idx, int out)
{
	struct worker *w = calloc(threads, sizeof(*w));
	unsigned long tot[4] = { 0 };
	pthread_t *t = calloc(threads, sizeof(*t));
	int vm_fd = open_vm(), i;
	uint8_t *mem;

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!w || !t || mem == MAP_FAILED)
		return 1;
	signal(SIGCHLD, SIG_IGN); /* children of fork_and_exit() reap themselves */
	memset(mem, 0x5a, MEM_SIZE);
	if (idx == procs - 1 && procs > 1) { /* one unprivileged process */
		if (setgid(65534) || setuid(65534))
			return 1;
	}
	for (i = 0; i < threads; i++)
		if (worker_init(&w[i], seed + i * 7919, vm_fd, mem) ||
		    pthread_create(&t[i], NULL, worker_run, &w[i]))
			return 1;
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		tot[0] += w[i].sent;
		tot[1] += w[i].acked;
		tot[2] += w[i].errors;
		tot[3] += w[i].replies;
	}
	return write(out, tot, sizeof(tot)) == sizeof(tot) ? 0 : 1;
}

static const char *const bad[] = {
	"WARNING:", "BUG:", "KASAN", "possible circular locking",
	"possible recursive locking", "unreferenced object", "hung task",
	"Oops", "general protection", "UBSAN",
};

/* Kernel log records since @fd was opened that report a kernel problem. */
static int kernel_complaints(int fd)
{
	char rec[8192];
	int n, found = 0;
	size_t i;

	if (fd < 0)
		return 0;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (n <= 0)
			continue; /* overwritten records: go on */
		rec[n] = 0;
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(rec, bad[i])) {
				printf("# kernel: %s", strchr(rec, ';') ?: rec);
				found++;
				break;
			}
	}
	return found;
}

int main(int argc, char **argv)
{
	unsigned int seed = time(NULL);
	unsigned long tot[4] = { 0 }, got[4];
	int opt, i, p[2], failed = 0, kmsg;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:p:t:s:")) != -1) {
		switch (opt) {
		case 'n': messages = atol(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-n MESSAGES] [-p PROCESSES] [-t THREADS] [-s SEED]\n",
				argv[0]);
			return 2;
		}
	}
	printf("TAP version 13\n1..1\n# seed %u, %ld messages, %d processes x %d threads\n",
	       seed, messages, procs, threads);
	fflush(stdout);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	if (pipe(p))
		return 1;
	for (i = 0; i < procs; i++) {
		pid = fork();
		if (!pid)
			_exit(run_process(seed + i * 104729, i, p[1]));
	}
	close(p[1]);
	while (read(p[0], got, sizeof(got)) == sizeof(got))
		for (i = 0; i < 4; i++)
			tot[i] += got[i];
	while ((pid = wait(&opt)) > 0)
		failed |= !WIFEXITED(opt) || WEXITSTATUS(opt);
	printf("# sent %lu: %lu acked, %lu refused, %lu replies\n",
	       tot[0], tot[1], tot[2], tot[3]);
	if (failed)
		printf("# a worker process failed to start or to finish\n");
	/* the sockets are closed: wait for their teardowns */
	opt = open("/sys/kernel/debug/memslot/flush", O_WRONLY);
	if (opt >= 0 && write(opt, "1", 1) != 1)
		printf("# flush: %s\n", strerror(errno));
	if (opt >= 0)
		close(opt);
	failed |= kernel_complaints(kmsg) > 0;
	failed |= tot[0] < (unsigned long)messages / 2;
	printf("%s 1 fuzz.requests_leave_the_kernel_log_clean\n",
	       failed ? "not ok" : "ok");
	return failed;
}
