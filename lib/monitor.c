// SPDX-License-Identifier: LGPL-2.1-or-later
/* Events of the "events" multicast group. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

struct memslot_event {
	enum memslot_event_type type;
	uint32_t space;
	uint64_t generation;
	unsigned int removed, added, changed;
	int truncated;
};

int memslot_monitor_join(struct memslot *ms)
{
	int grp = ms->events_grp;

	if (!grp)
		return ms_set_err(ms, -ENOENT, "the family has no events group");
	if (mnl_socket_setsockopt(ms->nl, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return ms_set_err(ms, -errno, "cannot join the events group: %s",
				  strerror(errno));
	return 0;
}

static void ms_event_parse(const struct nlmsghdr *nlh, struct memslot_event *e)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(e, 0, sizeof(*e));
	e->type = g->cmd == MEMSLOT_CMD_SPACE_NEW_NTF ? MEMSLOT_EVENT_SPACE_NEW :
		  g->cmd == MEMSLOT_CMD_SPACE_DEL_NTF ? MEMSLOT_EVENT_SPACE_DEL :
		  MEMSLOT_EVENT_COMMIT;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		/* space-id is attribute 1 of both the space and txn sets */
		if (mnl_attr_get_type(a) == MEMSLOT_A_TXN_SPACE_ID)
			e->space = mnl_attr_get_u32(a);
		if (e->type != MEMSLOT_EVENT_COMMIT)
			continue;
		switch (mnl_attr_get_type(a)) {
		case MEMSLOT_A_TXN_GENERATION:
			e->generation = mnl_attr_get_u64(a);
			break;
		case MEMSLOT_A_TXN_REMOVED:
			e->removed++;
			break;
		case MEMSLOT_A_TXN_ADDED:
			e->added++;
			break;
		case MEMSLOT_A_TXN_CHANGED:
			e->changed++;
			break;
		case MEMSLOT_A_TXN_DIFF_TRUNCATED:
			e->truncated = 1;
			break;
		}
	}
}

int memslot_monitor_read(struct memslot *ms, memslot_event_cb cb, void *arg)
{
	const struct nlmsghdr *nlh;
	struct memslot_event e;
	int len, ret;

	len = recv(mnl_socket_get_fd(ms->nl), ms->rx, MS_RX_LEN, 0);
	if (len < 0)
		return ms_set_err(ms, -errno, "netlink receive: %s",
				  strerror(errno));
	for (nlh = (const void *)ms->rx; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != ms->family)
			continue;
		ms_event_parse(nlh, &e);
		ret = cb(&e, arg);
		if (ret)
			return ret;
	}
	return 0;
}

enum memslot_event_type memslot_event_type(const struct memslot_event *e)
{
	return e->type;
}

uint32_t memslot_event_space(const struct memslot_event *e)
{
	return e->space;
}

uint64_t memslot_event_generation(const struct memslot_event *e)
{
	return e->generation;
}

unsigned int memslot_event_removed(const struct memslot_event *e)
{
	return e->removed;
}

unsigned int memslot_event_added(const struct memslot_event *e)
{
	return e->added;
}

unsigned int memslot_event_changed(const struct memslot_event *e)
{
	return e->changed;
}

int memslot_event_truncated(const struct memslot_event *e)
{
	return e->truncated;
}
