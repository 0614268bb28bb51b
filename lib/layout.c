// SPDX-License-Identifier: LGPL-2.1-or-later
/* Binding, backings, ranges and transactions of a space. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sys/ioctl.h>
#include <linux/memslot_vfio.h>

#include "internal.h"

/* Ops a message carries; more are staged. */
#define MS_OPS_PER_MSG	256

_Static_assert(MEMSLOT_RANGE_DIRTY_LOG == MEMSLOT_RANGE_FLAGS_DIRTY_LOG &&
	       MEMSLOT_RANGE_READONLY == MEMSLOT_RANGE_FLAGS_READONLY &&
	       MEMSLOT_RANGE_DMA == MEMSLOT_RANGE_FLAGS_DMA,
	       "range flags match the uAPI");
_Static_assert(MEMSLOT_HOLD_AUTO == MEMSLOT_HOLD_MODE_AUTO &&
	       MEMSLOT_HOLD_ALWAYS == MEMSLOT_HOLD_MODE_ALWAYS &&
	       MEMSLOT_HOLD_NEVER == MEMSLOT_HOLD_MODE_NEVER,
	       "hold modes match the uAPI");
_Static_assert(MEMSLOT_BIND_DIRTY_MANUAL == MEMSLOT_DIRTY_LOG_PROTECT_MANUAL_PROTECT &&
	       MEMSLOT_BIND_DIRTY_INITIALLY_SET == MEMSLOT_DIRTY_LOG_PROTECT_INITIALLY_SET,
	       "dirty-log modes match the uAPI");

int memslot_err_op(const struct memslot *ms)
{
	unsigned int op;

	return sscanf(ms->errmsg, "op %u:", &op) == 1 ? (int)op : -1;
}

int memslot_space_bind(struct memslot *ms, uint32_t space, int vm_fd,
		       uint32_t slot_base, uint32_t slot_count, uint32_t as_id,
		       uint64_t max_slot_size)
{
	return memslot_space_bind_flags(ms, space, vm_fd, slot_base, slot_count,
					as_id, max_slot_size, 0);
}

int memslot_space_bind_flags(struct memslot *ms, uint32_t space, int vm_fd,
			     uint32_t slot_base, uint32_t slot_count,
			     uint32_t as_id, uint64_t max_slot_size,
			     unsigned int flags)
{
	struct nlmsghdr *nlh;

	if (flags & ~(MEMSLOT_BIND_DIRTY_MANUAL | MEMSLOT_BIND_DIRTY_INITIALLY_SET))
		return ms_set_err(ms, -EINVAL, "unknown bind flags 0x%x", flags);
	nlh = ms_req_start(ms, MEMSLOT_CMD_SPACE_BIND, 0);
	if (flags)
		mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT, flags);

	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_ID, space);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_VM_FD, vm_fd);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_SLOT_BASE, slot_base);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_SLOT_COUNT, slot_count);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_AS_ID, as_id);
	if (max_slot_size)
		mnl_attr_put_u64(nlh, MEMSLOT_A_SPACE_MAX_SLOT_SIZE,
				 max_slot_size);
	return ms_req_run(ms, NULL, NULL);
}

static int ms_cb_backing_id(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == MEMSLOT_A_BACKING_ID)
			*(uint32_t *)arg = mnl_attr_get_u32(attr);
	return 0;
}

int memslot_backing_new(struct memslot *ms, uint32_t space, void *addr,
			uint64_t size, const char *name, uint32_t *id)
{
	return memslot_backing_new_flags(ms, space, addr, size, name, 0, id);
}

int memslot_backing_new_flags(struct memslot *ms, uint32_t space, void *addr,
			      uint64_t size, const char *name,
			      unsigned int flags, uint32_t *id)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_BACKING_NEW, 0);
	uint32_t got = 0;
	int ret;

	if (flags & ~MEMSLOT_BACKING_NO_MIGRATE)
		return ms_set_err(ms, -EINVAL, "unknown backing flags 0x%x", flags);
	if (name && strlen(name) > MEMSLOT_NAME_MAX_LEN)
		return ms_set_err(ms, -ENAMETOOLONG,
				  "backing name longer than %d bytes",
				  MEMSLOT_NAME_MAX_LEN);
	mnl_attr_put_u32(nlh, MEMSLOT_A_BACKING_SPACE_ID, space);
	mnl_attr_put_u64(nlh, MEMSLOT_A_BACKING_ADDR, (uintptr_t)addr);
	mnl_attr_put_u64(nlh, MEMSLOT_A_BACKING_SIZE, size);
	if (name)
		mnl_attr_put_strz(nlh, MEMSLOT_A_BACKING_NAME, name);
	if (flags & MEMSLOT_BACKING_NO_MIGRATE)
		mnl_attr_put_u8(nlh, MEMSLOT_A_BACKING_MIGRATABLE, 0);
	ret = ms_req_run(ms, ms_cb_backing_id, &got);
	if (!ret && id)
		*id = got;
	return ret;
}

int memslot_backing_del(struct memslot *ms, uint32_t space, uint32_t id)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_BACKING_DEL, 0);

	mnl_attr_put_u32(nlh, MEMSLOT_A_BACKING_SPACE_ID, space);
	mnl_attr_put_u32(nlh, MEMSLOT_A_BACKING_ID, id);
	return ms_req_run(ms, NULL, NULL);
}

struct ms_op {
	uint32_t type, range_id, backing, flags;
	uint64_t gpa, size, offset;
};

struct memslot_txn {
	struct memslot *ms;
	uint32_t space;
	unsigned int n, cap;
	struct ms_op *ops;
	uint64_t generation;
	unsigned int n_added;
	uint32_t *added;		/* ids, n_added of them */
	int done;			/* committed (or tried to) */
	uint32_t hold;			/* MEMSLOT_HOLD_*, 0: the kernel's default */
	uint32_t dma_hole;		/* MEMSLOT_DMA_HOLE_*, 0: the default */
	uint32_t held_vcpus;		/* results of the commit */
	uint64_t hold_ns, commit_ns;
	uint32_t hold_reason, hold_batches;
	uint64_t hold_ns_max, kvm_ns;
	uint64_t dma[MEMSLOT_STAT_DMA_HOLE_PAGES - MEMSLOT_STAT_DMA_MAP_CALLS + 1];
	int want_slot_ids;		/* ask for the added ranges' slot ids */
	int slot_ids_truncated;		/* the reply left them out */
	unsigned int n_aslots;		/* added nests seen */
	struct { uint32_t first, n; } *aslots; /* into slot_ids, per added */
	uint32_t *slot_ids;
	unsigned int n_slot_ids, cap_slot_ids;
};

struct memslot_txn *memslot_txn_begin(struct memslot *ms, uint32_t space)
{
	struct memslot_txn *t = calloc(1, sizeof(*t));

	if (t) {
		t->ms = ms;
		t->space = space;
	}
	return t;
}

static int ms_txn_push(struct memslot_txn *t, const struct ms_op *op)
{
	struct ms_op *ops;

	if (t->done)
		return -EALREADY;
	if (t->n == MEMSLOT_TXN_MAX_STAGED)
		return -E2BIG;
	if (t->n == t->cap) {
		ops = realloc(t->ops, (t->cap ? 2 * t->cap : 16) * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		t->cap = t->cap ? 2 * t->cap : 16;
	}
	t->ops[t->n++] = *op;
	return 0;
}

int memslot_txn_add(struct memslot_txn *t, uint64_t gpa, uint64_t size,
		    uint32_t backing, uint64_t offset, uint32_t flags)
{
	struct ms_op op = {
		.type = MEMSLOT_OP_TYPE_ADD, .gpa = gpa, .size = size,
		.backing = backing, .offset = offset, .flags = flags,
	};

	return ms_txn_push(t, &op);
}

int memslot_txn_remove(struct memslot_txn *t, uint32_t range_id)
{
	struct ms_op op = { .type = MEMSLOT_OP_TYPE_REMOVE, .range_id = range_id };

	return ms_txn_push(t, &op);
}

int memslot_txn_set_flags(struct memslot_txn *t, uint32_t range_id,
			  uint32_t flags)
{
	struct ms_op op = {
		.type = MEMSLOT_OP_TYPE_SET_FLAGS, .range_id = range_id,
		.flags = flags,
	};

	return ms_txn_push(t, &op);
}

static void ms_put_op(struct nlmsghdr *nlh, const struct ms_op *op)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, MEMSLOT_A_TXN_OP);

	mnl_attr_put_u32(nlh, MEMSLOT_A_OP_TYPE, op->type);
	if (op->type == MEMSLOT_OP_TYPE_ADD) {
		mnl_attr_put_u64(nlh, MEMSLOT_A_OP_GPA, op->gpa);
		mnl_attr_put_u64(nlh, MEMSLOT_A_OP_SIZE, op->size);
		mnl_attr_put_u32(nlh, MEMSLOT_A_OP_BACKING_ID, op->backing);
		mnl_attr_put_u64(nlh, MEMSLOT_A_OP_OFFSET, op->offset);
	} else {
		mnl_attr_put_u32(nlh, MEMSLOT_A_OP_RANGE_ID, op->range_id);
	}
	if (op->type != MEMSLOT_OP_TYPE_REMOVE)
		mnl_attr_put_u32(nlh, MEMSLOT_A_OP_FLAGS, op->flags);
	mnl_attr_nest_end(nlh, nest);
}

/* A txn request for @cmd carrying ops [from, from + n). */
static struct nlmsghdr *ms_txn_msg(struct memslot_txn *t, uint8_t cmd,
				   unsigned int from, unsigned int n)
{
	struct nlmsghdr *nlh = ms_req_start(t->ms, cmd, 0);
	unsigned int i;

	mnl_attr_put_u32(nlh, MEMSLOT_A_TXN_SPACE_ID, t->space);
	for (i = from; i < from + n; i++)
		ms_put_op(nlh, &t->ops[i]);
	return nlh;
}

/* One added nest of the reply: the slot ids of the next added range. */
static int ms_parse_added_slots(struct memslot_txn *t,
				const struct nlattr *nest)
{
	const struct nlattr *a;
	uint32_t *grown;

	if (t->n_aslots >= t->n)
		return 0;
	t->aslots[t->n_aslots].first = t->n_slot_ids;
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != MEMSLOT_A_RANGE_SLOT_ID)
			continue;
		if (t->n_slot_ids == t->cap_slot_ids) {
			t->cap_slot_ids = t->cap_slot_ids ? 2 * t->cap_slot_ids : 64;
			grown = realloc(t->slot_ids,
					t->cap_slot_ids * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			t->slot_ids = grown;
		}
		t->slot_ids[t->n_slot_ids++] = mnl_attr_get_u32(a);
	}
	t->aslots[t->n_aslots].n = t->n_slot_ids - t->aslots[t->n_aslots].first;
	t->n_aslots++;
	return 0;
}

static int ms_cb_commit(const struct nlmsghdr *nlh, void *arg)
{
	struct memslot_txn *t = arg;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case MEMSLOT_A_TXN_ADDED:
			if (ms_parse_added_slots(t, attr))
				return MNL_CB_ERROR;
			break;
		case MEMSLOT_A_TXN_DIFF_TRUNCATED:
			t->slot_ids_truncated = 1;
			break;
		case MEMSLOT_A_TXN_GENERATION:
			t->generation = mnl_attr_get_u64(attr);
			break;
		case MEMSLOT_A_TXN_ADDED_ID:
			if (t->n_added < t->n)
				t->added[t->n_added++] = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_TXN_HELD_VCPUS:
			t->held_vcpus = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_TXN_HOLD_NS:
			t->hold_ns = mnl_attr_get_u64(attr);
			break;
		case MEMSLOT_A_TXN_COMMIT_NS:
			t->commit_ns = mnl_attr_get_u64(attr);
			break;
		case MEMSLOT_A_TXN_HOLD_REASON:
			t->hold_reason = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_TXN_HOLD_BATCHES:
			t->hold_batches = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_TXN_HOLD_NS_MAX:
			t->hold_ns_max = mnl_attr_get_u64(attr);
			break;
		case MEMSLOT_A_TXN_KVM_NS:
			t->kvm_ns = mnl_attr_get_u64(attr);
			break;
		case MEMSLOT_A_TXN_DMA_MAP_CALLS ... MEMSLOT_A_TXN_DMA_HOLE_PAGES:
			t->dma[mnl_attr_get_type(attr) -
			       MEMSLOT_A_TXN_DMA_MAP_CALLS] = mnl_attr_get_u64(attr);
			break;
		}
	}
	return 0;
}

/* Stage the ops in messages of MS_OPS_PER_MSG; abort on failure. */
static int ms_txn_stage(struct memslot_txn *t)
{
	unsigned int i, n;
	int ret;

	ms_txn_msg(t, MEMSLOT_CMD_TXN_OPEN, 0, 0);
	ret = ms_req_run(t->ms, NULL, NULL);
	for (i = 0; !ret && i < t->n; i += n) {
		n = t->n - i < MS_OPS_PER_MSG ? t->n - i : MS_OPS_PER_MSG;
		ms_txn_msg(t, MEMSLOT_CMD_TXN_APPEND, i, n);
		ret = ms_req_run(t->ms, NULL, NULL);
	}
	if (ret && i) { /* opened: drop it, keeping the first error */
		char msg[MS_ERRMSG_LEN];

		memcpy(msg, t->ms->errmsg, sizeof(msg));
		ms_txn_msg(t, MEMSLOT_CMD_TXN_ABORT, 0, 0);
		ms_req_run(t->ms, NULL, NULL);
		memcpy(t->ms->errmsg, msg, sizeof(msg));
	}
	return ret;
}

int memslot_txn_commit(struct memslot_txn *t)
{
	struct nlmsghdr *nlh;
	int ret;

	if (t->done)
		return -EALREADY;
	t->done = 1;
	t->added = calloc(t->n ? t->n : 1, sizeof(*t->added));
	t->aslots = calloc(t->n ? t->n : 1, sizeof(*t->aslots));
	if (!t->added || !t->aslots)
		return -ENOMEM;
	if (t->n <= MS_OPS_PER_MSG) {
		nlh = ms_txn_msg(t, MEMSLOT_CMD_TXN_COMMIT, 0, t->n);
	} else {
		ret = ms_txn_stage(t);
		if (ret)
			return ret;
		nlh = ms_txn_msg(t, MEMSLOT_CMD_TXN_COMMIT, 0, 0);
		mnl_attr_put(nlh, MEMSLOT_A_TXN_STAGED, 0, NULL);
	}
	if (t->hold)
		mnl_attr_put_u32(nlh, MEMSLOT_A_TXN_HOLD, t->hold);
	if (t->dma_hole)
		mnl_attr_put_u32(nlh, MEMSLOT_A_TXN_DMA_HOLE, t->dma_hole);
	if (t->want_slot_ids)
		mnl_attr_put(nlh, MEMSLOT_A_TXN_SLOT_IDS, 0, NULL);
	/* the reply says it worked: no ACK after it, one receive less */
	nlh->nlmsg_flags &= ~NLM_F_ACK;
	return ms_req_run(t->ms, ms_cb_commit, t);
}

int memslot_txn_set_hold(struct memslot_txn *t, uint32_t mode)
{
	if (mode < MEMSLOT_HOLD_AUTO || mode > MEMSLOT_HOLD_NEVER)
		return -EINVAL;
	t->hold = mode;
	return 0;
}

uint32_t memslot_txn_held_vcpus(const struct memslot_txn *t)
{
	return t->held_vcpus;
}

uint64_t memslot_txn_hold_ns(const struct memslot_txn *t)
{
	return t->hold_ns;
}

uint64_t memslot_txn_commit_ns(const struct memslot_txn *t)
{
	return t->commit_ns;
}

int memslot_txn_set_dma_hole(struct memslot_txn *t, uint32_t mode)
{
	if (mode < MEMSLOT_DMA_HOLE_ALLOW || mode > MEMSLOT_DMA_HOLE_REFUSE)
		return -EINVAL;
	t->dma_hole = mode;
	return 0;
}

_Static_assert(MEMSLOT_A_TXN_DMA_HOLE_PAGES - MEMSLOT_A_TXN_DMA_MAP_CALLS ==
	       MEMSLOT_STAT_DMA_HOLE_PAGES - MEMSLOT_STAT_DMA_MAP_CALLS,
	       "per-commit DMA counters match the space's");

uint64_t memslot_txn_stat(const struct memslot_txn *t, enum memslot_stat stat)
{
	if (stat < MEMSLOT_STAT_DMA_MAP_CALLS || stat > MEMSLOT_STAT_DMA_HOLE_PAGES)
		return 0;
	return t->dma[stat - MEMSLOT_STAT_DMA_MAP_CALLS];
}

uint32_t memslot_txn_hold_reason(const struct memslot_txn *t)
{
	return t->hold_reason;
}

uint32_t memslot_txn_hold_batches(const struct memslot_txn *t)
{
	return t->hold_batches;
}

uint64_t memslot_txn_hold_ns_max(const struct memslot_txn *t)
{
	return t->hold_ns_max;
}

uint64_t memslot_txn_kvm_ns(const struct memslot_txn *t)
{
	return t->kvm_ns;
}

_Static_assert(MEMSLOT_REASON_NO_CHANGE == MEMSLOT_HOLD_REASON_NO_CHANGE &&
	       MEMSLOT_REASON_SPEED == MEMSLOT_HOLD_REASON_SPEED &&
	       MEMSLOT_REASON_NEVER == MEMSLOT_HOLD_REASON_NEVER &&
	       MEMSLOT_BUDGET_SPLIT == MEMSLOT_BUDGET_MODE_SPLIT &&
	       MEMSLOT_BUDGET_UNHELD == MEMSLOT_BUDGET_MODE_UNHELD,
	       "hold reasons and budget modes match the uAPI");

const char *memslot_hold_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[MEMSLOT_REASON_NO_CHANGE] = "no-change",
		[MEMSLOT_REASON_CORRECTNESS] = "correctness",
		[MEMSLOT_REASON_REQUESTED] = "requested",
		[MEMSLOT_REASON_SPEED] = "speed",
		[MEMSLOT_REASON_NOT_FASTER] = "not-faster",
		[MEMSLOT_REASON_BUDGET] = "budget",
		[MEMSLOT_REASON_NEVER] = "never",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : NULL;
}

uint64_t memslot_txn_generation(const struct memslot_txn *t)
{
	return t->generation;
}

uint32_t memslot_txn_added_id(const struct memslot_txn *t, unsigned int n)
{
	return n < t->n_added ? t->added[n] : 0;
}

int memslot_txn_want_slot_ids(struct memslot_txn *t)
{
	if (t->done)
		return -EALREADY;
	t->want_slot_ids = 1;
	return 0;
}

int memslot_txn_added_slot_id(const struct memslot_txn *t, unsigned int n,
			      unsigned int k, uint32_t *slot)
{
	if (!t->want_slot_ids || n >= t->n_added)
		return -ENOENT;
	if (t->slot_ids_truncated)
		return -E2BIG;
	if (n >= t->n_aslots || k >= t->aslots[n].n)
		return -ENOENT;
	*slot = t->slot_ids[t->aslots[n].first + k];
	return 0;
}

void memslot_txn_free(struct memslot_txn *t)
{
	if (!t)
		return;
	free(t->slot_ids);
	free(t->aslots);
	free(t->added);
	free(t->ops);
	free(t);
}

void memslot_txn_abort(struct memslot_txn *t)
{
	memslot_txn_free(t);
}

struct memslot_backing {
	uint32_t id;
	uint64_t addr, size;
	char name[MEMSLOT_NAME_MAX_LEN + 1];
	int migratable;
};

struct ms_backing_walk {
	memslot_backing_cb cb;
	void *arg;
};

static int ms_cb_backing(const struct nlmsghdr *nlh, void *arg)
{
	struct ms_backing_walk *w = arg;
	struct memslot_backing b = { .migratable = 1 };
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case MEMSLOT_A_BACKING_ID:
			b.id = mnl_attr_get_u32(a);
			break;
		case MEMSLOT_A_BACKING_ADDR:
			b.addr = mnl_attr_get_u64(a);
			break;
		case MEMSLOT_A_BACKING_SIZE:
			b.size = mnl_attr_get_u64(a);
			break;
		case MEMSLOT_A_BACKING_NAME:
			snprintf(b.name, sizeof(b.name), "%s",
				 mnl_attr_get_str(a));
			break;
		case MEMSLOT_A_BACKING_MIGRATABLE:
			b.migratable = mnl_attr_get_u8(a);
			break;
		}
	}
	return w->cb(&b, w->arg);
}

int memslot_backing_foreach(struct memslot *ms, uint32_t space,
			    memslot_backing_cb cb, void *arg)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_BACKING_GET, NLM_F_DUMP);
	struct ms_backing_walk w = { .cb = cb, .arg = arg };

	mnl_attr_put_u32(nlh, MEMSLOT_A_BACKING_SPACE_ID, space);
	return ms_req_run(ms, ms_cb_backing, &w);
}

uint32_t memslot_backing_id(const struct memslot_backing *b) { return b->id; }
uint64_t memslot_backing_addr(const struct memslot_backing *b) { return b->addr; }
uint64_t memslot_backing_size(const struct memslot_backing *b) { return b->size; }
const char *memslot_backing_name(const struct memslot_backing *b) { return b->name; }
int memslot_backing_migratable(const struct memslot_backing *b) { return b->migratable; }

struct memslot_range {
	uint32_t id, backing, flags, slots;
	uint64_t gpa, size, offset;
	const struct nlmsghdr *nlh;	/* for the slot ids, while the cb runs */
};

struct ms_range_walk {
	memslot_range_cb cb;
	void *arg;
};

static int ms_cb_range(const struct nlmsghdr *nlh, void *arg)
{
	struct ms_range_walk *w = arg;
	struct memslot_range r = { .nlh = nlh };
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case MEMSLOT_A_RANGE_ID:
			r.id = mnl_attr_get_u32(a);
			break;
		case MEMSLOT_A_RANGE_GPA:
			r.gpa = mnl_attr_get_u64(a);
			break;
		case MEMSLOT_A_RANGE_SIZE:
			r.size = mnl_attr_get_u64(a);
			break;
		case MEMSLOT_A_RANGE_BACKING_ID:
			r.backing = mnl_attr_get_u32(a);
			break;
		case MEMSLOT_A_RANGE_OFFSET:
			r.offset = mnl_attr_get_u64(a);
			break;
		case MEMSLOT_A_RANGE_FLAGS:
			r.flags = mnl_attr_get_u32(a);
			break;
		case MEMSLOT_A_RANGE_SLOTS:
			r.slots = mnl_attr_get_u32(a);
			break;
		}
	}
	return w->cb(&r, w->arg);
}

int memslot_range_foreach(struct memslot *ms, uint32_t space,
			  memslot_range_cb cb, void *arg)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_RANGE_GET, NLM_F_DUMP);
	struct ms_range_walk w = { .cb = cb, .arg = arg };
	int ret;

	mnl_attr_put_u32(nlh, MEMSLOT_A_RANGE_SPACE_ID, space);
	ret = ms_req_run(ms, ms_cb_range, &w);
	if (!ret && ms->dump_intr)
		return ms_set_err(ms, -EAGAIN,
				  "a commit landed during the dump; walk again");
	return ret;
}

uint32_t memslot_range_id(const struct memslot_range *r) { return r->id; }
uint64_t memslot_range_gpa(const struct memslot_range *r) { return r->gpa; }
uint64_t memslot_range_size(const struct memslot_range *r) { return r->size; }
uint32_t memslot_range_backing(const struct memslot_range *r) { return r->backing; }
uint64_t memslot_range_offset(const struct memslot_range *r) { return r->offset; }
uint32_t memslot_range_flags(const struct memslot_range *r) { return r->flags; }
uint32_t memslot_range_slots(const struct memslot_range *r) { return r->slots; }

int memslot_range_slot_id(const struct memslot_range *r, unsigned int n,
			  uint32_t *slot)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, r->nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == MEMSLOT_A_RANGE_SLOT_ID && !n--) {
			*slot = mnl_attr_get_u32(a);
			return 0;
		}
	return -ENOENT;
}

struct ms_dirty_reply {
	uint64_t pages;
};

static int ms_cb_dirty(const struct nlmsghdr *nlh, void *arg)
{
	struct ms_dirty_reply *d = arg;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == MEMSLOT_A_DIRTY_DIRTY_PAGES)
			d->pages = mnl_attr_get_u64(a);
	return 0;
}

/* A dirty-get of the window the caller put in @nlh. */
static int ms_dirty_run(struct memslot *ms, struct nlmsghdr *nlh,
			uint64_t *bitmap, size_t size, unsigned int flags,
			uint64_t *dirty_pages)
{
	struct ms_dirty_reply d = { 0 };
	int ret;

	if (flags & ~MEMSLOT_DIRTY_CLEAR)
		return ms_set_err(ms, -EINVAL, "unknown dirty-get flags 0x%x", flags);
	mnl_attr_put_u64(nlh, MEMSLOT_A_DIRTY_BUFFER, (uintptr_t)bitmap);
	mnl_attr_put_u64(nlh, MEMSLOT_A_DIRTY_BUFFER_SIZE, size);
	if (flags & MEMSLOT_DIRTY_CLEAR)
		mnl_attr_put(nlh, MEMSLOT_A_DIRTY_CLEAR, 0, NULL);
	ret = ms_req_run(ms, ms_cb_dirty, &d);
	if (!ret && dirty_pages)
		*dirty_pages = d.pages;
	return ret;
}

int memslot_dirty_get(struct memslot *ms, uint32_t space, uint32_t backing,
		      uint64_t offset, uint64_t size, uint64_t *bitmap,
		      size_t bitmap_size, unsigned int flags,
		      uint64_t *dirty_pages)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_DIRTY_GET, 0);

	mnl_attr_put_u32(nlh, MEMSLOT_A_DIRTY_SPACE_ID, space);
	mnl_attr_put_u32(nlh, MEMSLOT_A_DIRTY_BACKING_ID, backing);
	mnl_attr_put_u64(nlh, MEMSLOT_A_DIRTY_OFFSET, offset);
	mnl_attr_put_u64(nlh, MEMSLOT_A_DIRTY_SIZE, size);
	return ms_dirty_run(ms, nlh, bitmap, bitmap_size, flags, dirty_pages);
}

int memslot_range_dirty_get(struct memslot *ms, uint32_t space, uint32_t range,
			    uint64_t *bitmap, size_t bitmap_size,
			    unsigned int flags, uint64_t *dirty_pages)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_DIRTY_GET, 0);

	mnl_attr_put_u32(nlh, MEMSLOT_A_DIRTY_SPACE_ID, space);
	mnl_attr_put_u32(nlh, MEMSLOT_A_DIRTY_RANGE_ID, range);
	return ms_dirty_run(ms, nlh, bitmap, bitmap_size, flags, dirty_pages);
}

int memslot_vfio_bind(struct memslot *ms, uint32_t space, int container_fd)
{
	struct memslot_vfio_bind b = {
		.argsz = sizeof(b), .space_id = space,
	};

	if (ioctl(container_fd, MEMSLOT_VFIO_BIND, &b))
		return ms_set_err(ms, -errno,
				  "VFIO container fd %d: bind to space %u: %s",
				  container_fd, space, strerror(errno));
	return 0;
}
