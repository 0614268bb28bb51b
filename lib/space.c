// SPDX-License-Identifier: LGPL-2.1-or-later
/* Spaces: create, delete, get, walk; and the space snapshot object. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct memslot_space {
	uint32_t id;
	uint32_t owner_pid;
	uint64_t generation;
	char name[MEMSLOT_NAME_MAX_LEN + 1];
	uint64_t stats[MEMSLOT_A_STATS_MAX + 1];	/* by MEMSLOT_STAT_* */
	int dma_bound;
	uint32_t dirty_protect;
	uint32_t budget_us, budget_mode;
};

static const char *const ms_space_attr_names[MEMSLOT_A_SPACE_MAX + 1] = {
	[MEMSLOT_A_SPACE_ID] = "MEMSLOT_A_SPACE_ID",
	[MEMSLOT_A_SPACE_NAME] = "MEMSLOT_A_SPACE_NAME",
	[MEMSLOT_A_SPACE_OWNER_PID] = "MEMSLOT_A_SPACE_OWNER_PID",
	[MEMSLOT_A_SPACE_GENERATION] = "MEMSLOT_A_SPACE_GENERATION",
	[MEMSLOT_A_SPACE_PAD] = "MEMSLOT_A_SPACE_PAD",
	[MEMSLOT_A_SPACE_VM_FD] = "MEMSLOT_A_SPACE_VM_FD",
	[MEMSLOT_A_SPACE_SLOT_BASE] = "MEMSLOT_A_SPACE_SLOT_BASE",
	[MEMSLOT_A_SPACE_SLOT_COUNT] = "MEMSLOT_A_SPACE_SLOT_COUNT",
	[MEMSLOT_A_SPACE_AS_ID] = "MEMSLOT_A_SPACE_AS_ID",
	[MEMSLOT_A_SPACE_MAX_SLOT_SIZE] = "MEMSLOT_A_SPACE_MAX_SLOT_SIZE",
	[MEMSLOT_A_SPACE_VM_BOUND] = "MEMSLOT_A_SPACE_VM_BOUND",
	[MEMSLOT_A_SPACE_STATS] = "MEMSLOT_A_SPACE_STATS",
	[MEMSLOT_A_SPACE_DMA_BOUND] = "MEMSLOT_A_SPACE_DMA_BOUND",
	[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT] = "MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT",
	[MEMSLOT_A_SPACE_HOLD_BUDGET_US] = "MEMSLOT_A_SPACE_HOLD_BUDGET_US",
	[MEMSLOT_A_SPACE_BUDGET_MODE] = "MEMSLOT_A_SPACE_BUDGET_MODE",
};

/* The name of the attribute the kernel pointed at, or NULL. */
const char *memslot_err_attr_name(const struct memslot *ms)
{
	int t = memslot_err_attr(ms);

	if (t <= 0 || t > MEMSLOT_A_SPACE_MAX)
		return NULL;
	return ms_space_attr_names[t]; /* NULL for an unnamed type */
}

_Static_assert((int)MEMSLOT_STAT_COMMITS == (int)MEMSLOT_A_STATS_COMMITS &&
	       (int)MEMSLOT_STAT_HOLD_NS_TOTAL == (int)MEMSLOT_A_STATS_HOLD_NS_TOTAL &&
	       (int)MEMSLOT_STAT_PINNED_PAGES == (int)MEMSLOT_A_STATS_PINNED_PAGES &&
	       (int)MEMSLOT_STAT_LAST_PINS_DROPPED + 1 == MEMSLOT_A_STATS_PAD &&
	       (int)MEMSLOT_STAT_DMA_MAP_CALLS == (int)MEMSLOT_A_STATS_DMA_MAP_CALLS &&
	       (int)MEMSLOT_STAT_DMA_HOLE_PAGES == MEMSLOT_A_STATS_DMA_HOLE_PAGES &&
	       (int)MEMSLOT_STAT_HOLDS_SPEED == MEMSLOT_A_STATS_HOLDS_SPEED &&
	       (int)MEMSLOT_STAT_COST_HOLD_NS == MEMSLOT_A_STATS_MAX,
	       "stats match the uAPI (the pad attribute in between)");

static void ms_stats_parse(const struct nlattr *nest, uint64_t *stats)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) <= MEMSLOT_A_STATS_MAX &&
		    mnl_attr_get_payload_len(a) == sizeof(uint64_t))
			stats[mnl_attr_get_type(a)] = mnl_attr_get_u64(a);
}

static void ms_space_parse(const struct nlmsghdr *nlh, struct memslot_space *s)
{
	const struct nlattr *attr;

	memset(s, 0, sizeof(*s));
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case MEMSLOT_A_SPACE_ID:
			s->id = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_SPACE_NAME:
			strncpy(s->name, mnl_attr_get_str(attr),
				sizeof(s->name) - 1);
			break;
		case MEMSLOT_A_SPACE_OWNER_PID:
			s->owner_pid = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_SPACE_GENERATION:
			s->generation = mnl_attr_get_u64(attr);
			break;
		case MEMSLOT_A_SPACE_STATS:
			ms_stats_parse(attr, s->stats);
			break;
		case MEMSLOT_A_SPACE_DMA_BOUND:
			s->dma_bound = 1;
			break;
		case MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT:
			s->dirty_protect = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_SPACE_HOLD_BUDGET_US:
			s->budget_us = mnl_attr_get_u32(attr);
			break;
		case MEMSLOT_A_SPACE_BUDGET_MODE:
			s->budget_mode = mnl_attr_get_u32(attr);
			break;
		}
	}
}

static int ms_cb_space_one(const struct nlmsghdr *nlh, void *data)
{
	ms_space_parse(nlh, data);
	return 0;
}

int memslot_space_new(struct memslot *ms, const char *name, uint32_t *id)
{
	struct memslot_space s = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = ms_req_start(ms, MEMSLOT_CMD_SPACE_NEW, 0);
	if (name) {
		if (strlen(name) > MEMSLOT_NAME_MAX_LEN)
			return ms_set_err(ms, -ENAMETOOLONG,
					  "space name longer than %d bytes",
					  MEMSLOT_NAME_MAX_LEN);
		mnl_attr_put_strz(nlh, MEMSLOT_A_SPACE_NAME, name);
	}
	ret = ms_req_run(ms, ms_cb_space_one, &s);
	if (ret)
		return ret;
	if (!s.id)
		return ms_set_err(ms, -EPROTO, "reply carries no space id");
	if (id)
		*id = s.id;
	return 0;
}

int memslot_space_del(struct memslot *ms, uint32_t id)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_SPACE_DEL, 0);

	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_ID, id);
	return ms_req_run(ms, NULL, NULL);
}

int memslot_space_get(struct memslot *ms, uint32_t id,
		      struct memslot_space **sp)
{
	struct nlmsghdr *nlh = ms_req_start(ms, MEMSLOT_CMD_SPACE_GET, 0);
	struct memslot_space s = { 0 };
	int ret;

	*sp = NULL;
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_ID, id);
	ret = ms_req_run(ms, ms_cb_space_one, &s);
	if (ret)
		return ret;
	*sp = memslot_space_dup(&s);
	return *sp ? 0 : -ENOMEM;
}

struct ms_walk {
	memslot_space_cb cb;
	void *arg;
};

static int ms_cb_space_walk(const struct nlmsghdr *nlh, void *data)
{
	struct ms_walk *w = data;
	struct memslot_space s;

	ms_space_parse(nlh, &s);
	return w->cb(&s, w->arg);
}

int memslot_space_foreach(struct memslot *ms, memslot_space_cb cb, void *arg)
{
	struct ms_walk w = { .cb = cb, .arg = arg };
	int ret;

	ms_req_start(ms, MEMSLOT_CMD_SPACE_GET, NLM_F_DUMP);
	ret = ms_req_run(ms, ms_cb_space_walk, &w);
	if (!ret && ms->dump_intr)
		return ms_set_err(ms, -EAGAIN,
				  "spaces changed during the dump; walk again");
	return ret;
}

struct memslot_space *memslot_space_dup(const struct memslot_space *s)
{
	struct memslot_space *copy = malloc(sizeof(*copy));

	if (copy)
		*copy = *s;
	return copy;
}

void memslot_space_free(struct memslot_space *s)
{
	free(s);
}

uint32_t memslot_space_id(const struct memslot_space *s)
{
	return s->id;
}

const char *memslot_space_name(const struct memslot_space *s)
{
	return s->name;
}

uint32_t memslot_space_owner_pid(const struct memslot_space *s)
{
	return s->owner_pid;
}

uint64_t memslot_space_generation(const struct memslot_space *s)
{
	return s->generation;
}

uint64_t memslot_space_stat(const struct memslot_space *s,
			    enum memslot_stat stat)
{
	if ((int)stat < MEMSLOT_STAT_COMMITS || stat > MEMSLOT_STAT_COST_HOLD_NS)
		return 0;
	return s->stats[stat];
}

int memslot_space_dma_bound(const struct memslot_space *s)
{
	return s->dma_bound;
}

unsigned int memslot_space_dirty_protect(const struct memslot_space *s)
{
	return s->dirty_protect;
}

int memslot_space_set_hold_budget(struct memslot *ms, uint32_t space,
				  uint32_t budget_us, uint32_t mode)
{
	struct nlmsghdr *nlh;

	if (mode > MEMSLOT_BUDGET_UNHELD)
		return ms_set_err(ms, -EINVAL, "unknown budget mode %u", mode);
	nlh = ms_req_start(ms, MEMSLOT_CMD_SPACE_SET, 0);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_ID, space);
	mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_HOLD_BUDGET_US, budget_us);
	if (mode)
		mnl_attr_put_u32(nlh, MEMSLOT_A_SPACE_BUDGET_MODE, mode);
	return ms_req_run(ms, NULL, NULL);
}

uint32_t memslot_space_hold_budget_us(const struct memslot_space *s)
{
	return s->budget_us;
}

uint32_t memslot_space_budget_mode(const struct memslot_space *s)
{
	return s->budget_mode;
}
