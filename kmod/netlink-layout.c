// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink handlers of a space's layout: backings, ranges, transactions,
 * and the commit event. Each handler builds what it answers under the
 * space's lock, so a reply, a dump message and an event are of one
 * generation; replies and events are sent after the lock is dropped.
 */
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "backing.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "txn.h"

static int ms_fill_backing(struct sk_buff *skb, struct ms_space *space,
			   struct ms_backing *b, u32 portid, u32 seq,
			   int flags, u8 cmd)
{
	void *hdr = genlmsg_put(skb, portid, seq, &ms_family, flags, cmd);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MEMSLOT_A_BACKING_SPACE_ID, space->id) ||
	    nla_put_u32(skb, MEMSLOT_A_BACKING_ID, b->id) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_BACKING_ADDR, b->addr,
			      MEMSLOT_A_BACKING_PAD) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_BACKING_SIZE, b->size,
			      MEMSLOT_A_BACKING_PAD) ||
	    (b->name[0] && nla_put_string(skb, MEMSLOT_A_BACKING_NAME, b->name)) ||
	    nla_put_u8(skb, MEMSLOT_A_BACKING_MIGRATABLE, b->migratable)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The KVM slot of each chunk of @mr, as KVM_SET_USER_MEMORY_REGION's. */
static int ms_put_slot_ids(struct sk_buff *skb, const struct ms_space *space,
			   const struct ms_mrange *mr)
{
	u32 i;

	for (i = 0; i < mr->nr_slots; i++)
		if (nla_put_u32(skb, MEMSLOT_A_RANGE_SLOT_ID,
				(space->vm.as_id << 16) |
				(space->vm.slot_base + mr->slots[i])))
			return -EMSGSIZE;
	return 0;
}

/* A range's attributes (range and diff-range sets share the numbering). */
static int ms_put_range(struct sk_buff *skb, const struct ms_space *space,
			struct ms_mrange *mr, u32 flags)
{
	if (nla_put_u32(skb, MEMSLOT_A_RANGE_ID, mr->id) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_RANGE_GPA, mr->r.gpa,
			      MEMSLOT_A_RANGE_PAD) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_RANGE_SIZE, mr->r.size,
			      MEMSLOT_A_RANGE_PAD) ||
	    nla_put_u32(skb, MEMSLOT_A_RANGE_BACKING_ID, mr->backing->id) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_RANGE_OFFSET, mr->offset,
			      MEMSLOT_A_RANGE_PAD) ||
	    nla_put_u32(skb, MEMSLOT_A_RANGE_FLAGS, flags) ||
	    nla_put_u32(skb, MEMSLOT_A_RANGE_SLOTS, mr->nr_slots))
		return -EMSGSIZE;
	return ms_put_slot_ids(skb, space, mr);
}

static int ms_fill_range(struct sk_buff *skb, struct ms_space *space,
			 struct ms_mrange *mr, u32 portid, u32 seq, int flags)
{
	void *hdr = genlmsg_put(skb, portid, seq, &ms_family, flags,
				MEMSLOT_CMD_RANGE_GET);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MEMSLOT_A_RANGE_SPACE_ID, space->id) ||
	    ms_put_range(skb, space, mr, mr->flags)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int memslot_nl_backing_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct ms_backing *b;
	struct ms_space *space;
	struct sk_buff *msg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_BACKING_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_BACKING_SIZE)) {
		NL_SET_ERR_MSG(info->extack, "backing-new needs addr and size");
		return -EINVAL;
	}
	space = ms_find_space(skb, tb[MEMSLOT_A_BACKING_SPACE_ID],
			      MEMSLOT_A_BACKING_SPACE_ID, false, info->extack);
	if (IS_ERR(space))
		return PTR_ERR(space);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	err = -ENOMEM;
	if (!msg)
		goto out_put;
	err = ms_space_lock(space, info->extack);
	if (err)
		goto out_free;
	b = ms_backing_new(space, nla_get_u64(tb[MEMSLOT_A_BACKING_ADDR]),
			   nla_get_u64(tb[MEMSLOT_A_BACKING_SIZE]),
			   tb[MEMSLOT_A_BACKING_NAME] ?
			   nla_data(tb[MEMSLOT_A_BACKING_NAME]) : NULL,
			   tb, info->extack);
	err = PTR_ERR_OR_ZERO(b);
	if (!err)
		err = ms_fill_backing(msg, space, b, info->snd_portid,
				      info->snd_seq, 0, MEMSLOT_CMD_BACKING_NEW);
	if (err && !IS_ERR(b))
		ms_backing_del(space, b->id, tb, NULL);
	mutex_unlock(&space->lock);
	if (!err) {
		ms_space_put(space);
		return genlmsg_reply(msg, info);
	}
out_free:
	nlmsg_free(msg);
out_put:
	ms_space_put(space);
	return err;
}

int memslot_nl_backing_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ms_space *space;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_BACKING_ID)) {
		NL_SET_ERR_MSG(info->extack, "missing backing id (MEMSLOT_A_BACKING_ID)");
		return -EINVAL;
	}
	space = ms_find_space(skb, info->attrs[MEMSLOT_A_BACKING_SPACE_ID],
			      MEMSLOT_A_BACKING_SPACE_ID, false, info->extack);
	if (IS_ERR(space))
		return PTR_ERR(space);
	err = ms_space_lock(space, info->extack);
	if (!err) {
		err = ms_backing_del(space,
				     nla_get_u32(info->attrs[MEMSLOT_A_BACKING_ID]),
				     info->attrs, info->extack);
		mutex_unlock(&space->lock);
	}
	ms_space_put(space);
	return err;
}

/*
 * Reply with one object of a space: @fill finds object @id (setting the
 * extack and returning -ENOENT if there is none) and writes its message.
 */
typedef int (*ms_fill_one_t)(struct sk_buff *msg, struct ms_space *space,
			     struct nlattr *id, struct genl_info *info);

static int ms_get_one(struct sk_buff *skb, struct genl_info *info,
		      int space_type, int id_type, ms_fill_one_t fill)
{
	struct ms_space *space;
	struct sk_buff *msg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, id_type)) {
		NL_SET_ERR_MSG(info->extack, "missing object id");
		return -EINVAL;
	}
	space = ms_find_space(skb, info->attrs[space_type], space_type, true,
			      info->extack);
	if (IS_ERR(space))
		return PTR_ERR(space);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	err = -ENOMEM;
	if (msg)
		err = ms_space_lock(space, info->extack);
	if (!err) {
		err = fill(msg, space, info->attrs[id_type], info);
		mutex_unlock(&space->lock);
	}
	ms_space_put(space);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int ms_fill_one_backing(struct sk_buff *msg, struct ms_space *space,
			       struct nlattr *id, struct genl_info *info)
{
	struct ms_backing *b = ms_space_backing(space, nla_get_u32(id));

	if (!b) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, id, "no backing %u in space %u",
					nla_get_u32(id), space->id);
		return -ENOENT;
	}
	return ms_fill_backing(msg, space, b, info->snd_portid, info->snd_seq,
			       0, MEMSLOT_CMD_BACKING_GET);
}

static int ms_fill_one_range(struct sk_buff *msg, struct ms_space *space,
			     struct nlattr *id, struct genl_info *info)
{
	struct ms_mrange *mr = ms_space_range(space, nla_get_u32(id));

	if (!mr) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, id, "no range %u in space %u",
					nla_get_u32(id), space->id);
		return -ENOENT;
	}
	return ms_fill_range(msg, space, mr, info->snd_portid, info->snd_seq, 0);
}

int memslot_nl_backing_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return ms_get_one(skb, info, MEMSLOT_A_BACKING_SPACE_ID,
			  MEMSLOT_A_BACKING_ID, ms_fill_one_backing);
}

int memslot_nl_range_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return ms_get_one(skb, info, MEMSLOT_A_RANGE_SPACE_ID,
			  MEMSLOT_A_RANGE_ID, ms_fill_one_range);
}

/*
 * The space a layout dump is about, from its request's @type attribute:
 * referenced and locked.
 */
static struct ms_space *ms_dump_space(struct netlink_callback *cb,
				      const struct nla_policy *policy,
				      int maxattr, int type)
{
	struct nlattr *tb[MEMSLOT_A_RANGE_MAX + 1];
	struct ms_space *space;
	int err;

	err = nlmsg_parse(cb->nlh, GENL_HDRLEN, tb, maxattr, policy,
			  cb->extack);
	if (err)
		return ERR_PTR(err);
	space = ms_find_space(cb->skb, tb[type], type, true, cb->extack);
	if (IS_ERR(space))
		return space;
	err = ms_space_lock(space, cb->extack);
	if (err) {
		ms_space_put(space);
		return ERR_PTR(err);
	}
	return space;
}

static int ms_dump_end(struct sk_buff *skb, int err)
{
	if (err == -EMSGSIZE && skb->len)
		return skb->len; /* continue in the next part */
	return err ?: skb->len;
}

/* cb->args[0]: next gpa; a commit between parts sets NLM_F_DUMP_INTR. */
int memslot_nl_range_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ms_space *space;
	struct ms_range *r;
	int err = 0;

	space = ms_dump_space(cb, memslot_range_get_nl_policy,
			      MEMSLOT_A_RANGE_ID, MEMSLOT_A_RANGE_SPACE_ID);
	if (IS_ERR(space))
		return PTR_ERR(space);
	cb->seq = space->generation;
	for (r = ms_layout_first_from(&space->layout, cb->args[0]); r;
	     r = ms_layout_next(r)) {
		err = ms_fill_range(skb, space, container_of(r, struct ms_mrange, r),
				    NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (err)
			break;
		nl_dump_check_consistent(cb, nlmsg_hdr(skb));
		cb->args[0] = r->gpa + r->size;
		if (!cb->args[0]) /* the range ended at 2^64 */
			break;
	}
	mutex_unlock(&space->lock);
	ms_space_put(space);
	return ms_dump_end(skb, err);
}

/* cb->args[0]: next backing id. */
int memslot_nl_backing_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct ms_space *space;
	struct ms_backing *b;
	int err = 0;

	space = ms_dump_space(cb, memslot_backing_get_nl_policy,
			      MEMSLOT_A_BACKING_ID, MEMSLOT_A_BACKING_SPACE_ID);
	if (IS_ERR(space))
		return PTR_ERR(space);
	cb->seq = space->generation;
	xa_for_each_start(&space->backings, id, b, id) {
		err = ms_fill_backing(skb, space, b, NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI,
				      MEMSLOT_CMD_BACKING_GET);
		if (err)
			break;
		nl_dump_check_consistent(cb, nlmsg_hdr(skb));
		cb->args[0] = id + 1;
	}
	mutex_unlock(&space->lock);
	ms_space_put(space);
	return ms_dump_end(skb, err);
}

/* Nest the ranges of @t's ops of @type under @attr, with their new flags. */
static int ms_put_diff(struct sk_buff *skb, struct ms_txn *t, u32 type,
		       int attr)
{
	struct nlattr *nest;
	u32 i;

	for (i = 0; i < t->n_ops; i++) {
		struct ms_txn_op *op = &t->ops[i];

		if (op->type != type)
			continue;
		nest = nla_nest_start(skb, attr);
		if (!nest ||
		    ms_put_range(skb, t->space, op->mr,
				 type == MEMSLOT_OP_TYPE_REMOVE ?
				 op->mr->flags : op->new_flags))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/* Largest commit event; a bigger diff is left out (diff-truncated). */
#define MS_EVENT_MAX	32768

static void *ms_txn_hdr(struct sk_buff *skb, struct ms_txn *t,
			struct genl_info *info, u8 cmd)
{
	bool event = cmd == MEMSLOT_CMD_COMMIT_NTF;
	void *hdr;

	hdr = genlmsg_put(skb, event ? 0 : info->snd_portid,
			  event ? 0 : info->snd_seq, &ms_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(skb, MEMSLOT_A_TXN_SPACE_ID, t->space->id) ||
	    nla_put_u64_64bit(skb, MEMSLOT_A_TXN_GENERATION,
			      t->space->generation + 1, MEMSLOT_A_TXN_PAD))
		return NULL;
	return hdr;
}

/* What only the commit knows, reserved in its reply beforehand. */
static const struct {
	int type;
	size_t off;	/* in struct ms_txn */
	size_t len;
} ms_results[] = {
	{ MEMSLOT_A_TXN_HELD_VCPUS, offsetof(struct ms_txn, held_vcpus), 4 },
	{ MEMSLOT_A_TXN_HOLD_NS, offsetof(struct ms_txn, hold_ns), 8 },
	{ MEMSLOT_A_TXN_COMMIT_NS, offsetof(struct ms_txn, commit_ns), 8 },
	{ MEMSLOT_A_TXN_HOLD_REASON, offsetof(struct ms_txn, hold.reason), 4 },
	{ MEMSLOT_A_TXN_HOLD_BATCHES, offsetof(struct ms_txn, hold.batches), 4 },
	{ MEMSLOT_A_TXN_HOLD_NS_MAX, offsetof(struct ms_txn, hold.ns_max), 8 },
	{ MEMSLOT_A_TXN_KVM_NS, offsetof(struct ms_txn, hold.kvm_ns), 8 },
#define MS_DMA_RESULT(attr, field) \
	{ attr, offsetof(struct ms_txn, dma.cnt.field), 8 }
	MS_DMA_RESULT(MEMSLOT_A_TXN_DMA_MAP_CALLS, map_calls),
	MS_DMA_RESULT(MEMSLOT_A_TXN_DMA_MAP_PAGES, map_pages),
	MS_DMA_RESULT(MEMSLOT_A_TXN_DMA_UNMAP_CALLS, unmap_calls),
	MS_DMA_RESULT(MEMSLOT_A_TXN_DMA_UNMAP_PAGES, unmap_pages),
	MS_DMA_RESULT(MEMSLOT_A_TXN_DMA_KEPT_PAGES, kept_pages),
	MS_DMA_RESULT(MEMSLOT_A_TXN_DMA_HOLE_PAGES, hole_pages),
#undef MS_DMA_RESULT
};

/* A commit's reply and event, built before the commit point. */
struct ms_txn_msgs {
	struct sk_buff *skb;		/* the request */
	struct genl_info *info;
	struct sk_buff *reply, *event;
	struct nlattr *results[ARRAY_SIZE(ms_results)];
	bool slot_ids;			/* the request asked for them */
};

static int ms_reserve_results(struct sk_buff *skb, struct ms_txn_msgs *m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ms_results); i++) {
		m->results[i] = ms_results[i].len == 8 ?
			nla_reserve_64bit(skb, ms_results[i].type, 8,
					  MEMSLOT_A_TXN_PAD) :
			nla_reserve(skb, ms_results[i].type, ms_results[i].len);
		if (!m->results[i])
			return -EMSGSIZE;
	}
	return 0;
}

/* Bytes of an added nest per added range, with its id and slot ids. */
static size_t ms_added_slots_size(const struct ms_txn *t)
{
	size_t len = 0;
	u32 i;

	for (i = 0; i < t->n_ops; i++)
		if (t->ops[i].type == MEMSLOT_OP_TYPE_ADD)
			len += nla_total_size(0) +
			       (1 + t->ops[i].mr->nr_slots) * nla_total_size(4);
	return len;
}

/* Those nests, or diff-truncated if they would not fit MS_EVENT_MAX. */
static int ms_put_added_slots(struct sk_buff *skb, struct ms_txn *t,
			      size_t len)
{
	struct nlattr *nest;
	u32 i;

	if (len > MS_EVENT_MAX)
		return nla_put_flag(skb, MEMSLOT_A_TXN_DIFF_TRUNCATED);
	for (i = 0; i < t->n_ops; i++) {
		if (t->ops[i].type != MEMSLOT_OP_TYPE_ADD)
			continue;
		nest = nla_nest_start(skb, MEMSLOT_A_TXN_ADDED);
		if (!nest ||
		    nla_put_u32(skb, MEMSLOT_A_RANGE_ID, t->ops[i].mr->id) ||
		    ms_put_slot_ids(skb, t->space, t->ops[i].mr))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/*
 * The reply of a commit: its generation, the ids of added ranges (and
 * their slot ids if asked), and room for the hold and commit times and the
 * IOMMU work, filled in after the commit.
 */
static struct sk_buff *ms_txn_reply(struct ms_txn *t, struct ms_txn_msgs *m)
{
	size_t slots = m->slot_ids ? ms_added_slots_size(t) : 0;
	struct sk_buff *skb;
	void *hdr;
	u32 i;

	skb = genlmsg_new(GENLMSG_DEFAULT_SIZE + t->n_ops * nla_total_size(4) +
			  (slots > MS_EVENT_MAX ? 0 : slots), GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = ms_txn_hdr(skb, t, m->info, MEMSLOT_CMD_TXN_COMMIT);
	for (i = 0; hdr && i < t->n_ops; i++)
		if (t->ops[i].type == MEMSLOT_OP_TYPE_ADD &&
		    nla_put_u32(skb, MEMSLOT_A_TXN_ADDED_ID, t->ops[i].mr->id))
			hdr = NULL;
	if (hdr && m->slot_ids && ms_put_added_slots(skb, t, slots))
		hdr = NULL;
	if (!hdr || ms_reserve_results(skb, m)) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

/* The event of a commit: the whole diff, or diff-truncated. */
static struct sk_buff *ms_txn_event(struct ms_txn *t)
{
	struct sk_buff *skb = genlmsg_new(MS_EVENT_MAX, GFP_KERNEL);
	void *hdr;

	if (!skb)
		return NULL;
	hdr = ms_txn_hdr(skb, t, NULL, MEMSLOT_CMD_COMMIT_NTF);
	if (!hdr)
		goto err_free;
	if (ms_put_diff(skb, t, MEMSLOT_OP_TYPE_REMOVE, MEMSLOT_A_TXN_REMOVED) ||
	    ms_put_diff(skb, t, MEMSLOT_OP_TYPE_ADD, MEMSLOT_A_TXN_ADDED) ||
	    ms_put_diff(skb, t, MEMSLOT_OP_TYPE_SET_FLAGS, MEMSLOT_A_TXN_CHANGED)) {
		genlmsg_cancel(skb, hdr);
		hdr = ms_txn_hdr(skb, t, NULL, MEMSLOT_CMD_COMMIT_NTF);
		if (!hdr || nla_put_flag(skb, MEMSLOT_A_TXN_DIFF_TRUNCATED))
			goto err_free;
	}
	genlmsg_end(skb, hdr);
	return skb;

err_free:
	nlmsg_free(skb);
	return NULL;
}

/*
 * Could the reply of a commit reach the sender? Netlink queues nothing on
 * a socket over its receive buffer (or with an overrun not yet reported),
 * and a commit whose reply is lost looks failed. Checked before the
 * commit point, so a commit that cannot answer changes nothing.
 */
static int ms_reply_room(struct ms_txn *t, struct sk_buff *skb)
{
	struct sock *sk = NETLINK_CB(skb).sk;

	if (atomic_read(&sk->sk_rmem_alloc) <= READ_ONCE(sk->sk_rcvbuf) &&
	    !READ_ONCE(sk->sk_err))
		return 0;
	NL_SET_ERR_MSG(t->extack,
		       "the receive buffer is full: read pending messages, then commit");
	return -ENOBUFS;
}

/*
 * The reply of a committed transaction could not be queued after all (an
 * event filled the buffer meanwhile): the commit stands, and the sender's
 * next receive fails with ENOBUFS, as for any lost netlink message, so
 * that it reads the space's generation instead of waiting for a reply.
 */
static void ms_reply_lost(struct sk_buff *skb)
{
	struct sock *sk = NETLINK_CB(skb).sk;

	WRITE_ONCE(sk->sk_err, ENOBUFS);
	sk_error_report(sk);
}

/* After the prepare: the reply and event, and room for the reply. */
static int ms_txn_prepared(struct ms_txn *t, void *arg)
{
	bool listeners = ms_has_listeners(t->space);
	struct ms_txn_msgs *m = arg;

	m->reply = ms_txn_reply(t, m);
	if (listeners)
		m->event = ms_txn_event(t);
	if (!m->reply || (listeners && !m->event))
		return -ENOMEM;
	return ms_reply_room(t, m->skb);
}

/* The commit stands: its results go in the reply. */
static void ms_txn_committed(struct ms_txn *t, void *arg)
{
	struct ms_txn_msgs *m = arg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ms_results); i++)
		memcpy(nla_data(m->results[i]),
		       (const char *)t + ms_results[i].off, ms_results[i].len);
}

static const struct ms_txn_hooks ms_txn_nl_hooks = {
	.prepared = ms_txn_prepared,
	.committed = ms_txn_committed,
};

/* Parse the message's ops, or take the space's staged transaction. */
static int ms_txn_load(struct ms_txn *t, struct genl_info *info)
{
	struct ms_staged *staged;
	int err;

	if (!info->attrs[MEMSLOT_A_TXN_STAGED])
		return ms_txn_parse_msg(t, info);
	if (info->attrs[MEMSLOT_A_TXN_OP]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMSLOT_A_TXN_OP],
				    "a staged commit carries no ops");
		return -EINVAL;
	}
	err = ms_space_lock(t->space, info->extack);
	if (err)
		return err;
	staged = ms_staged_take(t->space); /* the commit ends it, whatever happens */
	mutex_unlock(&t->space->lock);
	if (!staged) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "space %u has no staged transaction open",
				   t->space->id);
		return -ENOENT;
	}
	err = ms_txn_parse_staged(t, staged);
	if (err) {
		ms_staged_free(staged);
		return err;
	}
	t->staged_ops = staged;
	return 0;
}

int memslot_nl_txn_commit_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ms_txn_msgs m = {
		.skb = skb, .info = info,
		.slot_ids = nla_get_flag(info->attrs[MEMSLOT_A_TXN_SLOT_IDS]),
	};
	struct ms_txn t = { .extack = info->extack };
	int err;

	t.space = ms_find_space(skb, info->attrs[MEMSLOT_A_TXN_SPACE_ID],
				MEMSLOT_A_TXN_SPACE_ID, false, info->extack);
	if (IS_ERR(t.space))
		return PTR_ERR(t.space);
	err = ms_txn_load(&t, info);
	if (err)
		goto out;
	t.hold_attr = info->attrs[MEMSLOT_A_TXN_HOLD];
	t.hold_mode = t.hold_attr ? nla_get_u32(t.hold_attr) :
				    MEMSLOT_HOLD_MODE_AUTO;
	t.dma_hole_attr = info->attrs[MEMSLOT_A_TXN_DMA_HOLE];
	t.dma_hole = t.dma_hole_attr ? nla_get_u32(t.dma_hole_attr) :
				       MEMSLOT_DMA_HOLE_MODE_ALLOW;
	err = ms_space_lock(t.space, info->extack);
	if (err)
		goto out;
	err = ms_txn_execute(&t, &ms_txn_nl_hooks, &m);
	mutex_unlock(&t.space->lock);
	if (err) {
		nlmsg_free(m.reply);
		nlmsg_free(m.event);
		goto out;
	}
	/* the reply first: the event may go to the same socket */
	if (genlmsg_reply(m.reply, info))
		ms_reply_lost(skb);
	if (m.event)
		ms_multicast(t.space, m.event);
out:
	ms_txn_free(&t);
	ms_space_put(t.space);
	return err;
}

/* Run @fn on the caller's space named by MEMSLOT_A_TXN_SPACE_ID, locked. */
static int ms_with_space(struct sk_buff *skb, struct genl_info *info,
			 int (*fn)(struct ms_space *space,
				   struct genl_info *info))
{
	struct ms_space *space;
	int err;

	space = ms_find_space(skb, info->attrs[MEMSLOT_A_TXN_SPACE_ID],
			      MEMSLOT_A_TXN_SPACE_ID, false, info->extack);
	if (IS_ERR(space))
		return PTR_ERR(space);
	err = ms_space_lock(space, info->extack);
	if (!err) {
		err = fn(space, info);
		mutex_unlock(&space->lock);
	}
	ms_space_put(space);
	return err;
}

static int ms_open(struct ms_space *space, struct genl_info *info)
{
	int err = ms_staged_open(space);

	if (err == -EBUSY)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "space %u already has a staged transaction",
				   space->id);
	return err;
}

static int ms_abort(struct ms_space *space, struct genl_info *info)
{
	struct ms_staged *staged = ms_staged_take(space);

	if (!staged) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "space %u has no staged transaction open",
				   space->id);
		return -ENOENT;
	}
	ms_staged_free(staged);
	return 0;
}

int memslot_nl_txn_open_doit(struct sk_buff *skb, struct genl_info *info)
{
	return ms_with_space(skb, info, ms_open);
}

int memslot_nl_txn_abort_doit(struct sk_buff *skb, struct genl_info *info)
{
	return ms_with_space(skb, info, ms_abort);
}

int memslot_nl_txn_append_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ms_space *space;
	struct sk_buff *msg;
	void *hdr;
	u32 n = 0;
	int err;

	space = ms_find_space(skb, info->attrs[MEMSLOT_A_TXN_SPACE_ID],
			      MEMSLOT_A_TXN_SPACE_ID, false, info->extack);
	if (IS_ERR(space))
		return PTR_ERR(space);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	err = -ENOMEM;
	if (!msg)
		goto out_put;
	err = ms_space_lock(space, info->extack);
	if (err)
		goto out_free;
	err = ms_staged_append(space, info, &n);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "space %u has no staged transaction open",
				   space->id);
	else if (err == -E2BIG)
		NL_SET_ERR_MSG_FMT(info->extack, "a staged transaction has at most %u ops",
				   MEMSLOT_TXN_MAX_STAGED);
	mutex_unlock(&space->lock);
	if (err)
		goto out_free;
	hdr = genlmsg_put_reply(msg, info, &ms_family, 0, MEMSLOT_CMD_TXN_APPEND);
	if (!hdr || nla_put_u32(msg, MEMSLOT_A_TXN_SPACE_ID, space->id) ||
	    nla_put_u32(msg, MEMSLOT_A_TXN_N_OPS, n)) {
		err = -EMSGSIZE;
		goto out_free;
	}
	genlmsg_end(msg, hdr);
	ms_space_put(space);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
out_put:
	ms_space_put(space);
	return err;
}
