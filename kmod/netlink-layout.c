// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink handlers of a space's layout: backings, ranges, transactions,
 * and the commit event. Each handler holds the space's lock for the whole
 * request, so a reply, a dump message and an event are of one generation.
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
	    (b->name[0] && nla_put_string(skb, MEMSLOT_A_BACKING_NAME, b->name))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* A range's attributes (range and diff-range sets share the numbering). */
static int ms_put_range(struct sk_buff *skb, struct ms_mrange *mr, u32 flags)
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
	return 0;
}

static int ms_fill_range(struct sk_buff *skb, struct ms_space *space,
			 struct ms_mrange *mr, u32 portid, u32 seq, int flags)
{
	void *hdr = genlmsg_put(skb, portid, seq, &ms_family, flags,
				MEMSLOT_CMD_RANGE_GET);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MEMSLOT_A_RANGE_SPACE_ID, space->id) ||
	    ms_put_range(skb, mr, mr->flags)) {
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

/* Nest the ranges of @t's ops in @state under @type; with their new flags. */
static int ms_put_diff(struct sk_buff *skb, struct ms_txn *t,
		       enum ms_range_state state, int type)
{
	struct nlattr *nest;
	u32 i;

	for (i = 0; i < t->n_ops; i++) {
		struct ms_mrange *mr = t->ops[i].mr;

		if (mr->state != state)
			continue;
		nest = nla_nest_start(skb, type);
		if (!nest || ms_put_range(skb, mr, state == MS_RANGE_CHANGING ?
					  mr->new_flags : mr->flags))
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

/* Room in a commit's reply for what only the commit knows. */
struct ms_txn_times {
	struct nlattr *held_vcpus, *hold_ns, *commit_ns;
};

static int ms_reserve_times(struct sk_buff *skb, struct ms_txn_times *tt)
{
	tt->held_vcpus = nla_reserve(skb, MEMSLOT_A_TXN_HELD_VCPUS, sizeof(u32));
	tt->hold_ns = nla_reserve_64bit(skb, MEMSLOT_A_TXN_HOLD_NS, sizeof(u64),
					MEMSLOT_A_TXN_PAD);
	tt->commit_ns = nla_reserve_64bit(skb, MEMSLOT_A_TXN_COMMIT_NS,
					  sizeof(u64), MEMSLOT_A_TXN_PAD);
	return tt->held_vcpus && tt->hold_ns && tt->commit_ns ? 0 : -EMSGSIZE;
}

static void ms_fill_times(struct ms_txn_times *tt, struct ms_txn *t)
{
	memcpy(nla_data(tt->held_vcpus), &t->held_vcpus, sizeof(u32));
	memcpy(nla_data(tt->hold_ns), &t->hold_ns, sizeof(u64));
	memcpy(nla_data(tt->commit_ns), &t->commit_ns, sizeof(u64));
}

/*
 * The reply of a commit: its generation, the ids of added ranges, and room
 * for the hold and commit times, filled in after the commit.
 */
static struct sk_buff *ms_txn_reply(struct ms_txn *t, struct genl_info *info,
				    struct ms_txn_times *tt)
{
	struct sk_buff *skb;
	void *hdr;
	u32 i;

	skb = genlmsg_new(GENLMSG_DEFAULT_SIZE + t->n_ops * nla_total_size(4),
			  GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = ms_txn_hdr(skb, t, info, MEMSLOT_CMD_TXN_COMMIT);
	for (i = 0; hdr && i < t->n_ops; i++)
		if (t->ops[i].mr->state == MS_RANGE_ADDING &&
		    nla_put_u32(skb, MEMSLOT_A_TXN_ADDED_ID, t->ops[i].mr->id))
			hdr = NULL;
	if (!hdr || ms_reserve_times(skb, tt)) {
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
	if (ms_put_diff(skb, t, MS_RANGE_REMOVING, MEMSLOT_A_TXN_REMOVED) ||
	    ms_put_diff(skb, t, MS_RANGE_ADDING, MEMSLOT_A_TXN_ADDED) ||
	    ms_put_diff(skb, t, MS_RANGE_CHANGING, MEMSLOT_A_TXN_CHANGED)) {
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

/* Prepare, build reply and event, commit: all or nothing. */
static int ms_txn_apply(struct ms_txn *t, struct sk_buff *skb,
			struct genl_info *info,
			struct sk_buff **reply, struct sk_buff **event)
{
	bool listeners = ms_has_listeners(t->space);
	struct ms_txn_times tt;
	int err;

	err = ms_txn_prepare(t);
	if (err)
		return err;
	*reply = ms_txn_reply(t, info, &tt);
	if (listeners)
		*event = ms_txn_event(t);
	if (!*reply || (listeners && !*event)) {
		err = -ENOMEM;
		goto err_abort;
	}
	err = ms_reply_room(t, skb);
	if (err)
		goto err_abort;
	err = ms_txn_commit(t);
	if (err)
		goto err_free; /* the commit undid itself */
	ms_fill_times(&tt, t);
	ms_txn_finish(t);
	return 0;

err_abort:
	ms_txn_abort(t);
err_free:
	nlmsg_free(*reply);
	nlmsg_free(*event);
	*reply = *event = NULL;
	return err;
}

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
	staged = t->space->staged;
	t->space->staged = NULL; /* the commit ends it, whatever happens */
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
	struct sk_buff *reply = NULL, *event = NULL;
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
	err = ms_space_lock(t.space, info->extack);
	if (err)
		goto out;
	err = ms_txn_apply(&t, skb, info, &reply, &event);
	mutex_unlock(&t.space->lock);
	/* the reply first: the event may go to the same socket */
	if (!err && genlmsg_reply(reply, info))
		ms_reply_lost(skb);
	if (event)
		ms_multicast(t.space, event);
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
	if (!space->staged) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "space %u has no staged transaction open",
				   space->id);
		return -ENOENT;
	}
	ms_staged_free(space->staged);
	space->staged = NULL;
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
	err = -ENOENT;
	if (!space->staged)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "space %u has no staged transaction open",
				   space->id);
	else
		err = ms_staged_append(space, info);
	if (err == -E2BIG)
		NL_SET_ERR_MSG_FMT(info->extack, "a staged transaction has at most %u ops",
				   MEMSLOT_TXN_MAX_STAGED);
	if (!err)
		n = space->staged->n;
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
