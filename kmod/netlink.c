// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "memslot": request handlers, notifications and
 * the socket-release hook that tears down a closed owner's spaces.
 *
 * Policies and the ops table come from netlink-gen.c, generated from
 * Documentation/netlink/specs/memslot.yaml. Ops run in parallel
 * (parallel_ops); spaces carry their own references and locks.
 */
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "dma.h"
#include "netlink.h"
#include "kvm.h"
#include "netlink-gen.h"
#include "range.h"
#include "space.h"
#include "testpoint.h"

static const struct genl_multicast_group ms_mcgrps[] = {
	[MEMSLOT_NLGRP_EVENTS] = {
		.name = MEMSLOT_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

struct genl_family ms_family __ro_after_init = {
	.name		= MEMSLOT_FAMILY_NAME,
	.version	= MEMSLOT_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= memslot_nl_ops,
	.n_ops		= ARRAY_SIZE(memslot_nl_ops),
	.resv_start_op	= MEMSLOT_CMD_SPACE_NEW, /* all ops strict */
	.mcgrps		= ms_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ms_mcgrps),
};

static int ms_fill_binding(struct sk_buff *skb, const struct ms_binding *vm)
{
	if (!vm->kvm)
		return 0;
	if (nla_put_flag(skb, MEMSLOT_A_SPACE_VM_BOUND) ||
	    nla_put_u32(skb, MEMSLOT_A_SPACE_SLOT_BASE, vm->slot_base) ||
	    nla_put_u32(skb, MEMSLOT_A_SPACE_SLOT_COUNT, vm->slot_count) ||
	    nla_put_u32(skb, MEMSLOT_A_SPACE_AS_ID, vm->as_id) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_SPACE_MAX_SLOT_SIZE,
			      vm->max_slot_size, MEMSLOT_A_SPACE_PAD) ||
	    nla_put_u32(skb, MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT,
			vm->dirty_protect))
		return -EMSGSIZE;
	return 0;
}

/* The cost model of the hold policy, in the stats nest. */
static int ms_fill_cost(struct sk_buff *skb, const struct ms_hold_cost *c)
{
	const struct { int type; u64 v; } f[] = {
		{ MEMSLOT_A_STATS_COST_UNHELD_SET_NS, c->unheld_ns[MS_STEP_SET] },
		{ MEMSLOT_A_STATS_COST_UNHELD_DELETE_NS,
		  c->unheld_ns[MS_STEP_DELETE] },
		{ MEMSLOT_A_STATS_COST_HELD_SET_NS, c->held_ns[MS_STEP_SET] },
		{ MEMSLOT_A_STATS_COST_HELD_DELETE_NS, c->held_ns[MS_STEP_DELETE] },
		{ MEMSLOT_A_STATS_COST_HOLD_NS, c->hold_ns },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f); i++)
		if (nla_put_u64_64bit(skb, f[i].type, f[i].v, MEMSLOT_A_STATS_PAD))
			return -EMSGSIZE;
	return 0;
}

static int ms_fill_stats(struct sk_buff *skb, const struct ms_stats *st,
			 const struct ms_hold_cost *cost)
{
	static const struct { int type; size_t off; } f[] = {
		{ MEMSLOT_A_STATS_COMMITS, offsetof(struct ms_stats, commits) },
		{ MEMSLOT_A_STATS_OPS, offsetof(struct ms_stats, ops) },
		{ MEMSLOT_A_STATS_FAILED, offsetof(struct ms_stats, failed) },
		{ MEMSLOT_A_STATS_HOLDS, offsetof(struct ms_stats, holds) },
		{ MEMSLOT_A_STATS_COMMIT_NS_LAST,
		  offsetof(struct ms_stats, commit_ns_last) },
		{ MEMSLOT_A_STATS_COMMIT_NS_MAX,
		  offsetof(struct ms_stats, commit_ns_max) },
		{ MEMSLOT_A_STATS_COMMIT_NS_TOTAL,
		  offsetof(struct ms_stats, commit_ns_total) },
		{ MEMSLOT_A_STATS_HOLD_NS_LAST,
		  offsetof(struct ms_stats, hold_ns_last) },
		{ MEMSLOT_A_STATS_HOLD_NS_MAX,
		  offsetof(struct ms_stats, hold_ns_max) },
		{ MEMSLOT_A_STATS_HOLD_NS_TOTAL,
		  offsetof(struct ms_stats, hold_ns_total) },
		{ MEMSLOT_A_STATS_PINNED_PAGES,
		  offsetof(struct ms_stats, pinned_pages) },
		{ MEMSLOT_A_STATS_PINS_TAKEN,
		  offsetof(struct ms_stats, pins_taken) },
		{ MEMSLOT_A_STATS_PINS_DROPPED,
		  offsetof(struct ms_stats, pins_dropped) },
		{ MEMSLOT_A_STATS_LAST_PINS_TAKEN,
		  offsetof(struct ms_stats, last_pins_taken) },
		{ MEMSLOT_A_STATS_LAST_PINS_DROPPED,
		  offsetof(struct ms_stats, last_pins_dropped) },
#define MS_DMA_STAT(attr, field) \
		{ attr, offsetof(struct ms_stats, dma.field) }
		MS_DMA_STAT(MEMSLOT_A_STATS_DMA_MAP_CALLS, map_calls),
		MS_DMA_STAT(MEMSLOT_A_STATS_DMA_MAP_PAGES, map_pages),
		MS_DMA_STAT(MEMSLOT_A_STATS_DMA_UNMAP_CALLS, unmap_calls),
		MS_DMA_STAT(MEMSLOT_A_STATS_DMA_UNMAP_PAGES, unmap_pages),
		MS_DMA_STAT(MEMSLOT_A_STATS_DMA_KEPT_PAGES, kept_pages),
		MS_DMA_STAT(MEMSLOT_A_STATS_DMA_HOLE_PAGES, hole_pages),
#undef MS_DMA_STAT
		{ MEMSLOT_A_STATS_HOLDS_SPEED,
		  offsetof(struct ms_stats, holds_speed) },
		{ MEMSLOT_A_STATS_UNHELD_BUDGET,
		  offsetof(struct ms_stats, unheld_budget) },
		{ MEMSLOT_A_STATS_HOLD_BATCHES,
		  offsetof(struct ms_stats, hold_batches) },
	};
	struct nlattr *nest = nla_nest_start(skb, MEMSLOT_A_SPACE_STATS);
	size_t i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(f); i++)
		if (nla_put_u64_64bit(skb, f[i].type,
				      *(const u64 *)((const char *)st + f[i].off),
				      MEMSLOT_A_STATS_PAD))
			return -EMSGSIZE;
	if (ms_fill_cost(skb, cost))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* The hold budget of space-set. */
static int ms_fill_budget(struct sk_buff *skb, const struct ms_hold_policy *p)
{
	if (nla_put_u32(skb, MEMSLOT_A_SPACE_HOLD_BUDGET_US,
			div_u64(p->budget_ns, NSEC_PER_USEC)) ||
	    nla_put_u32(skb, MEMSLOT_A_SPACE_BUDGET_MODE, p->budget_mode))
		return -EMSGSIZE;
	return 0;
}

/* Fill one space message; the caller holds a reference on @space. */
static int ms_fill_space(struct sk_buff *skb, struct ms_space *space,
			 u32 portid, u32 seq, int flags, u8 cmd)
{
	struct ms_hold_policy hold;
	struct ms_binding vm;
	struct ms_stats stats;
	bool dma_bound;
	u64 generation;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ms_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (mutex_lock_killable(&space->lock)) {
		genlmsg_cancel(skb, hdr);
		return -EINTR;
	}
	generation = space->generation;
	vm = space->vm; /* the reference stays the space's: only read below */
	stats = space->stats;
	hold = space->hold;
	dma_bound = ms_dma_bound(space);
	mutex_unlock(&space->lock);
	if (nla_put_u32(skb, MEMSLOT_A_SPACE_ID, space->id) ||
	    (space->name[0] &&
	     nla_put_string(skb, MEMSLOT_A_SPACE_NAME, space->name)) ||
	    nla_put_u32(skb, MEMSLOT_A_SPACE_OWNER_PID,
			pid_vnr(space->owner.tgid)) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_SPACE_GENERATION, generation,
			      MEMSLOT_A_SPACE_PAD) ||
	    ms_fill_binding(skb, &vm) ||
	    ms_fill_stats(skb, &stats, &hold.cost) ||
	    ms_fill_budget(skb, &hold) ||
	    (dma_bound && nla_put_flag(skb, MEMSLOT_A_SPACE_DMA_BOUND))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

bool ms_has_listeners(struct ms_space *space)
{
	return genl_has_listeners(&ms_family, space->owner.net,
				  MEMSLOT_NLGRP_EVENTS);
}

/* Send an event of @space to the events group; consumes @skb. */
void ms_multicast(struct ms_space *space, struct sk_buff *skb)
{
	genlmsg_multicast_netns(&ms_family, space->owner.net, skb, 0,
				MEMSLOT_NLGRP_EVENTS, GFP_KERNEL);
}

static void ms_notify_space(struct ms_space *space, u8 cmd)
{
	struct sk_buff *skb;

	if (!ms_has_listeners(space))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (ms_fill_space(skb, space, 0, 0, 0, cmd)) {
		nlmsg_free(skb);
		return;
	}
	ms_multicast(space, skb);
}

/* From a space's teardown, before it is cleared. */
void ms_notify_space_del(struct ms_space *space)
{
	ms_notify_space(space, MEMSLOT_CMD_SPACE_DEL_NTF);
}

/*
 * The space named by @attr, referenced, if the sender of @skb may see it:
 * its owner, or (@admin_ok) a reader with CAP_SYS_ADMIN. Anything else
 * looks exactly like a space that does not exist. @type is the attribute
 * @attr should have been, for the missing-attribute report.
 */
struct ms_space *ms_find_space(struct sk_buff *skb, struct nlattr *attr,
			       int type, bool admin_ok,
			       struct netlink_ext_ack *extack)
{
	struct ms_space *space;
	struct ms_owner who;
	u32 id;

	if (!attr) {
		NL_SET_ERR_MSG(extack, "missing space id");
		NL_SET_ERR_ATTR_MISS(extack, NULL, type);
		return ERR_PTR(-EINVAL);
	}
	id = nla_get_u32(attr);
	ms_owner_of(&who, skb);
	space = ms_space_get_by_id(id);
	if (space && !ms_owner_matches(&space->owner, &who) &&
	    !(admin_ok && netlink_capable(skb, CAP_SYS_ADMIN))) {
		ms_space_put(space);
		space = NULL;
	}
	if (!space) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr,
					"space %u: no such space for this socket",
					id);
		ms_test_pause(MS_PAUSE_ERROR);
		return ERR_PTR(-ENOENT);
	}
	ms_test_pause(MS_PAUSE_LOOKUP);
	return space;
}

static struct ms_space *ms_lookup_space(struct sk_buff *skb,
					struct genl_info *info, bool admin_ok)
{
	struct ms_space *space;

	space = ms_find_space(skb, info->attrs[MEMSLOT_A_SPACE_ID],
			      MEMSLOT_A_SPACE_ID, admin_ok, info->extack);
	if (PTR_ERR_OR_ZERO(space) == -EINVAL)
		NL_SET_ERR_MSG(info->extack,
			       "missing space id (MEMSLOT_A_SPACE_ID)");
	return space;
}

int memslot_nl_space_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *name_attr = info->attrs[MEMSLOT_A_SPACE_NAME];
	struct ms_space *space;
	struct ms_owner who;
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ms_owner_of(&who, skb);
	space = ms_space_create(&who, name_attr ? nla_data(name_attr) : NULL,
				info->extack);
	if (IS_ERR(space)) {
		if (!info->extack->_msg)
			NL_SET_ERR_MSG(info->extack, "cannot create space");
		err = PTR_ERR(space);
		goto err_free_msg;
	}
	kref_get(&space->ref); /* an exec in another thread may destroy it */
	err = ms_fill_space(msg, space, info->snd_portid, info->snd_seq, 0,
			    MEMSLOT_CMD_SPACE_NEW);
	if (err)
		goto err_destroy_space;
	ms_notify_space(space, MEMSLOT_CMD_SPACE_NEW_NTF);
	ms_space_put(space);
	return genlmsg_reply(msg, info);

err_destroy_space:
	ms_space_destroy(space);
	ms_space_put(space);
err_free_msg:
	nlmsg_free(msg);
	return err;
}

int memslot_nl_space_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ms_space *space;
	int err;

	space = ms_lookup_space(skb, info, false);
	if (IS_ERR(space))
		return PTR_ERR(space);
	ms_space_destroy(space);
	/* the caller waits for its own VM's slots and pins to go */
	err = ms_space_wait_cleared(space);
	ms_space_put(space);
	return err;
}

/* The VM behind the vm-fd attribute @attr, or why not in @extack. */
static struct kvm *ms_get_vm(const struct nlattr *attr, struct file **filep,
			     struct netlink_ext_ack *extack)
{
	int fd = nla_get_s32(attr);
	struct kvm *kvm;

	if (fd < 0) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr, "vm-fd %d is not a file descriptor", fd);
		return ERR_PTR(-EBADF);
	}
	kvm = ms_kvm_get_vm(fd, filep);
	if (kvm == ERR_PTR(-EBADF))
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr, "vm-fd %d is not open", fd);
	else if (kvm == ERR_PTR(-EINVAL))
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr, "vm-fd %d is not a KVM VM", fd);
	else if (kvm == ERR_PTR(-EPERM))
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr,
					"vm-fd %d: the VM belongs to another process", fd);
	return kvm;
}

/* Check the slot block and address space of a binding against KVM's limits. */
static int ms_check_binding(const struct ms_binding *vm, struct genl_info *info)
{
	u32 offered, max_slots = ms_kvm_max_user_slots(vm);
	struct nlattr **tb = info->attrs;
	int err;

	if ((u64)vm->slot_base + vm->slot_count > max_slots) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[MEMSLOT_A_SPACE_SLOT_COUNT],
					"slots %u..%llu exceed KVM's %u user memslots",
					vm->slot_base,
					(u64)vm->slot_base + vm->slot_count - 1,
					max_slots);
		return -ERANGE;
	}
	if (vm->as_id >= ms_kvm_nr_as_ids(vm)) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[MEMSLOT_A_SPACE_AS_ID],
					"as-id %u: this VM has %u address spaces",
					vm->as_id, ms_kvm_nr_as_ids(vm));
		return -ERANGE;
	}
	if (vm->max_slot_size & (MS_PAGE_SIZE - 1)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[MEMSLOT_A_SPACE_MAX_SLOT_SIZE],
				    "max-slot-size is not a page multiple");
		return -EINVAL;
	}
	if (vm->max_slot_size > MS_MAX_SLOT_SIZE) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					tb[MEMSLOT_A_SPACE_MAX_SLOT_SIZE],
					"max-slot-size 0x%llx exceeds 0x%llx",
					vm->max_slot_size, MS_MAX_SLOT_SIZE);
		return -ERANGE;
	}
	if (vm->dirty_protect & MEMSLOT_DIRTY_LOG_PROTECT_INITIALLY_SET &&
	    !(vm->dirty_protect & MEMSLOT_DIRTY_LOG_PROTECT_MANUAL_PROTECT)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT],
				    "dirty-log-protect: initially-set needs manual-protect");
		return -EINVAL;
	}
	if (!vm->dirty_protect)
		return 0;
	err = ms_kvm_check_dirty_protect(vm, &offered);
	if (err == -EOPNOTSUPP)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					tb[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT],
					"dirty-log-protect 0x%x: this VM's KVM offers 0x%x",
					vm->dirty_protect, offered);
	return err;
}

int memslot_nl_space_bind_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct ms_binding vm = { 0 };
	struct ms_space *space;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_SPACE_VM_FD) ||
	    GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_SPACE_SLOT_COUNT)) {
		NL_SET_ERR_MSG(info->extack,
			       "space-bind needs vm-fd and slot-count");
		return -EINVAL;
	}
	space = ms_lookup_space(skb, info, false);
	if (IS_ERR(space))
		return PTR_ERR(space);
	vm.slot_count = nla_get_u32(tb[MEMSLOT_A_SPACE_SLOT_COUNT]);
	if (tb[MEMSLOT_A_SPACE_SLOT_BASE])
		vm.slot_base = nla_get_u32(tb[MEMSLOT_A_SPACE_SLOT_BASE]);
	if (tb[MEMSLOT_A_SPACE_AS_ID])
		vm.as_id = nla_get_u32(tb[MEMSLOT_A_SPACE_AS_ID]);
	if (tb[MEMSLOT_A_SPACE_MAX_SLOT_SIZE])
		vm.max_slot_size = nla_get_u64(tb[MEMSLOT_A_SPACE_MAX_SLOT_SIZE]);
	if (tb[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT])
		vm.dirty_protect = nla_get_u32(tb[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT]);
	vm.kvm = ms_get_vm(tb[MEMSLOT_A_SPACE_VM_FD], &vm.file, info->extack);
	if (IS_ERR(vm.kvm)) {
		err = PTR_ERR(vm.kvm);
		goto out_put_space;
	}
	err = ms_check_binding(&vm, info);
	if (!err)
		err = ms_space_bind(space, &vm, info->extack);
	if (err == -EBUSY)
		info->extack->bad_attr = tb[MEMSLOT_A_SPACE_ID];
	if (err == -EADDRINUSE)
		info->extack->bad_attr = tb[MEMSLOT_A_SPACE_SLOT_BASE] ?:
					 tb[MEMSLOT_A_SPACE_SLOT_COUNT];
	if (err)
		ms_kvm_put_vm(vm.kvm, vm.file);
out_put_space:
	ms_space_put(space);
	return err;
}

int memslot_nl_space_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *budget = info->attrs[MEMSLOT_A_SPACE_HOLD_BUDGET_US];
	struct nlattr *mode = info->attrs[MEMSLOT_A_SPACE_BUDGET_MODE];
	struct ms_space *space;
	int err;

	space = ms_lookup_space(skb, info, false);
	if (IS_ERR(space))
		return PTR_ERR(space);
	err = ms_space_lock(space, info->extack);
	if (err)
		goto out_put_space;
	if (budget)
		space->hold.budget_ns = (u64)nla_get_u32(budget) * NSEC_PER_USEC;
	if (mode)
		space->hold.budget_mode = nla_get_u32(mode);
	mutex_unlock(&space->lock);
out_put_space:
	ms_space_put(space);
	return err;
}

int memslot_nl_space_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ms_space *space;
	struct sk_buff *msg;
	int err;

	space = ms_lookup_space(skb, info, true);
	if (IS_ERR(space))
		return PTR_ERR(space);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto err_put_space;
	}
	err = ms_fill_space(msg, space, info->snd_portid, info->snd_seq, 0,
			    MEMSLOT_CMD_SPACE_GET);
	if (err)
		goto err_free_msg;
	ms_space_put(space);
	return genlmsg_reply(msg, info);

err_free_msg:
	nlmsg_free(msg);
err_put_space:
	ms_space_put(space);
	return err;
}

static bool ms_dump_visible(struct netlink_callback *cb,
			    const struct ms_space *space)
{
	struct ms_owner who;

	ms_owner_of(&who, cb->skb);
	return ms_owner_matches(&space->owner, &who) ||
	       netlink_capable(cb->skb, CAP_SYS_ADMIN);
}

/* cb->args[0]: the next space id to look at. */
int memslot_nl_space_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	unsigned long index = cb->args[0];
	struct ms_space *space;
	int err = 0;

	cb->seq = ms_space_registry_seq();
	while ((space = ms_space_next(&index))) {
		if (ms_dump_visible(cb, space))
			err = ms_fill_space(skb, space,
					    NETLINK_CB(cb->skb).portid,
					    cb->nlh->nlmsg_seq, NLM_F_MULTI,
					    MEMSLOT_CMD_SPACE_GET);
		ms_space_put(space);
		if (err)
			break;
		if (skb->len)
			nl_dump_check_consistent(cb, nlmsg_hdr(skb));
		index++;
	}
	cb->args[0] = index;
	if (err == -EMSGSIZE && skb->len)
		return skb->len; /* continue in the next part */
	return err ?: skb->len;
}

/* Destroy every space owned by a netlink socket that is being released. */
static int ms_netlink_notify(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC)
		ms_owner_socket_released(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block ms_netlink_notifier = {
	.notifier_call = ms_netlink_notify,
};

int __init ms_netlink_init(void)
{
	int err;

	err = netlink_register_notifier(&ms_netlink_notifier);
	if (err)
		return err;
	err = genl_register_family(&ms_family);
	if (err)
		goto err_unregister_notifier;
	return 0;

err_unregister_notifier:
	netlink_unregister_notifier(&ms_netlink_notifier);
	return err;
}

/*
 * Unregistering the family waits for running doit handlers, and
 * unregistering the notifier waits for a running release hook; no space
 * exists by now (each holds a module reference).
 */
void ms_netlink_uninit(void)
{
	genl_unregister_family(&ms_family);
	netlink_unregister_notifier(&ms_netlink_notifier);
}
