// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/msg.h>

#include "nlclient.h"

static const struct nla_policy nlc_space_policy[MEMSLOT_A_SPACE_MAX + 1] = {
	[MEMSLOT_A_SPACE_ID] = { .type = NLA_U32 },
	[MEMSLOT_A_SPACE_NAME] = { .type = NLA_STRING },
	[MEMSLOT_A_SPACE_OWNER_PID] = { .type = NLA_U32 },
	[MEMSLOT_A_SPACE_GENERATION] = { .type = NLA_U64 },
	[MEMSLOT_A_SPACE_SLOT_BASE] = { .type = NLA_U32 },
	[MEMSLOT_A_SPACE_SLOT_COUNT] = { .type = NLA_U32 },
	[MEMSLOT_A_SPACE_AS_ID] = { .type = NLA_U32 },
	[MEMSLOT_A_SPACE_MAX_SLOT_SIZE] = { .type = NLA_U64 },
	[MEMSLOT_A_SPACE_VM_BOUND] = { .type = NLA_FLAG },
	[MEMSLOT_A_SPACE_STATS] = { .type = NLA_NESTED },
	[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT] = { .type = NLA_U32 },
	[MEMSLOT_A_SPACE_HOLD_BUDGET_US] = { .type = NLA_U32 },
	[MEMSLOT_A_SPACE_BUDGET_MODE] = { .type = NLA_U32 },
};

int nlc_open(struct nlc *c)
{
	return nlc_open_port(c, 0);
}

int nlc_open_port(struct nlc *c, uint32_t port)
{
	int one = 1;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	if (port)
		nl_socket_set_local_port(c->sk, port);
	if (genl_connect(c->sk)) {
		nl_socket_free(c->sk);
		c->sk = NULL;
		return port ? -EADDRINUSE : -ENOTCONN;
	}
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	nl_socket_disable_auto_ack(c->sk);
	c->family = genl_ctrl_resolve(c->sk, MEMSLOT_FAMILY_NAME);
	return c->family < 0 ? -ENOENT : 0;
}

void nlc_close(struct nlc *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

struct nl_msg *nlc_msg(struct nlc *c, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg)
		genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			    flags | NLM_F_ACK, cmd, MEMSLOT_FAMILY_VERSION);
	return msg;
}

struct nlc_xfer_ctx {
	struct nlc_result *res;
	struct nl_msg *req;
	bool done;
};

/* A range from the attributes at @head (@len bytes). */
static void nlc_parse_range(struct nlattr *head, int len, struct nlc_range *r)
{
	struct nlattr *tb[MEMSLOT_A_RANGE_MAX + 1], *a;
	int rem;

	memset(r, 0, sizeof(*r));
	nla_parse(tb, MEMSLOT_A_RANGE_MAX, head, len, NULL);
	if (tb[MEMSLOT_A_RANGE_ID])
		r->id = nla_get_u32(tb[MEMSLOT_A_RANGE_ID]);
	if (tb[MEMSLOT_A_RANGE_GPA])
		r->gpa = nla_get_u64(tb[MEMSLOT_A_RANGE_GPA]);
	if (tb[MEMSLOT_A_RANGE_SIZE])
		r->size = nla_get_u64(tb[MEMSLOT_A_RANGE_SIZE]);
	if (tb[MEMSLOT_A_RANGE_BACKING_ID])
		r->backing_id = nla_get_u32(tb[MEMSLOT_A_RANGE_BACKING_ID]);
	if (tb[MEMSLOT_A_RANGE_OFFSET])
		r->offset = nla_get_u64(tb[MEMSLOT_A_RANGE_OFFSET]);
	if (tb[MEMSLOT_A_RANGE_FLAGS])
		r->flags = nla_get_u32(tb[MEMSLOT_A_RANGE_FLAGS]);
	if (tb[MEMSLOT_A_RANGE_SLOTS])
		r->slots = nla_get_u32(tb[MEMSLOT_A_RANGE_SLOTS]);
	nla_for_each_attr(a, head, len, rem)
		if (nla_type(a) == MEMSLOT_A_RANGE_SLOT_ID &&
		    r->n_slot_ids < NLC_MAX_SLOT_IDS)
			r->slot_id[r->n_slot_ids++] = nla_get_u32(a);
}

/* An added nest of a commit reply: the next added range's slot ids. */
static void nlc_parse_added_slots(struct nlattr *nest, struct nlc_result *res)
{
	struct nlc_range r, *to;

	nlc_parse_range(nla_data(nest), nla_len(nest), &r);
	if (res->n_added_slots >= NLC_MAX_SPACES) {
		res->n_added_slots++;
		return;
	}
	to = &res->added[res->n_added_slots++];
	to->n_slot_ids = r.n_slot_ids;
	memcpy(to->slot_id, r.slot_id, sizeof(r.slot_id));
	to->slots = r.id == to->id; /* 1: the nest names the same range */
}

/* Replies and events of the layout commands. */
static int nlc_on_layout(struct nlmsghdr *nlh, struct nlc_result *res)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	switch (g->cmd) {
	case MEMSLOT_CMD_BACKING_NEW:
	case MEMSLOT_CMD_BACKING_GET:
		nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
			if (nla_type(a) == MEMSLOT_A_BACKING_ID)
				res->backing_id = nla_get_u32(a);
		return NL_OK;
	case MEMSLOT_CMD_DIRTY_GET:
		nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
			if (nla_type(a) == MEMSLOT_A_DIRTY_DIRTY_PAGES)
				res->dirty_pages = nla_get_u64(a);
			if (nla_type(a) == MEMSLOT_A_DIRTY_DMA_PAGES)
				res->dma_pages = nla_get_u64(a);
		}
		return NL_OK;
	case MEMSLOT_CMD_RANGE_GET:
		if (res->n_ranges < NLC_MAX_SPACES)
			nlc_parse_range(genlmsg_attrdata(g, 0),
					genlmsg_attrlen(g, 0),
					&res->ranges[res->n_ranges]);
		res->n_ranges++; /* counted even when not kept */
		return NL_OK;
	}
	res->cmd[0] = g->cmd;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		switch (nla_type(a)) {
		case MEMSLOT_A_TXN_GENERATION:
			res->generation = nla_get_u64(a);
			break;
		case MEMSLOT_A_TXN_ADDED_ID:
			if (res->n_added < NLC_MAX_SPACES)
				res->added[res->n_added].id = nla_get_u32(a);
			res->n_added++;
			break;
		case MEMSLOT_A_TXN_DIFF_TRUNCATED:
			res->diff_truncated = true;
			break;
		case MEMSLOT_A_TXN_N_OPS:
			res->n_ops = nla_get_u32(a);
			break;
		case MEMSLOT_A_TXN_HELD_VCPUS:
			res->held_vcpus = nla_get_u32(a);
			break;
		case MEMSLOT_A_TXN_HOLD_NS:
			res->hold_ns = nla_get_u64(a);
			break;
		case MEMSLOT_A_TXN_COMMIT_NS:
			res->commit_ns = nla_get_u64(a);
			break;
		case MEMSLOT_A_TXN_HOLD_REASON:
			res->hold_reason = nla_get_u32(a);
			break;
		case MEMSLOT_A_TXN_HOLD_BATCHES:
			res->hold_batches = nla_get_u32(a);
			break;
		case MEMSLOT_A_TXN_HOLD_NS_MAX:
			res->hold_ns_max = nla_get_u64(a);
			break;
		case MEMSLOT_A_TXN_DMA_MAP_CALLS ... MEMSLOT_A_TXN_DMA_HOLE_PAGES:
			res->dma[nla_type(a) - MEMSLOT_A_TXN_DMA_MAP_CALLS] =
				nla_get_u64(a);
			break;
		case MEMSLOT_A_TXN_ADDED:
			if (g->cmd == MEMSLOT_CMD_TXN_COMMIT) { /* reply: slot ids */
				nlc_parse_added_slots(a, res);
				break;
			}
			if (res->n_added < NLC_MAX_SPACES)
				nlc_parse_range(nla_data(a), nla_len(a),
						&res->added[res->n_added]);
			res->n_added++;
			break;
		case MEMSLOT_A_TXN_REMOVED:
			nlc_parse_range(nla_data(a), nla_len(a),
					&res->removed[res->n_removed++]);
			break;
		case MEMSLOT_A_TXN_CHANGED:
			nlc_parse_range(nla_data(a), nla_len(a),
					&res->changed[res->n_changed++]);
			break;
		}
	}
	res->n++;
	return NL_OK;
}

/* Every u64 of a stats nest, indexed by MEMSLOT_A_STATS_*. */
static void nlc_parse_stats(struct nlattr *nest, uint64_t *stats)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) <= MEMSLOT_A_STATS_MAX && nla_len(a) == 8)
			stats[nla_type(a)] = nla_get_u64(a);
}

static int nlc_on_valid(struct nl_msg *msg, void *arg)
{
	struct nlc_xfer_ctx *x = arg;
	struct nlc_result *res = x->res;
	struct nlattr *tb[MEMSLOT_A_SPACE_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlc_space *s;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		res->dump_intr = true;
	if (genlmsg_hdr(nlh)->cmd >= MEMSLOT_CMD_BACKING_NEW &&
	    genlmsg_hdr(nlh)->cmd != MEMSLOT_CMD_SPACE_NEW_NTF &&
	    genlmsg_hdr(nlh)->cmd != MEMSLOT_CMD_SPACE_DEL_NTF)
		return nlc_on_layout(nlh, res);
	if (res->n >= NLC_MAX_SPACES ||
	    genlmsg_parse(nlh, 0, tb, MEMSLOT_A_SPACE_MAX, nlc_space_policy))
		return NL_SKIP;
	s = &res->sp[res->n];
	res->cmd[res->n++] = genlmsg_hdr(nlh)->cmd;
	memset(s, 0, sizeof(*s));
	if (tb[MEMSLOT_A_SPACE_ID])
		s->id = nla_get_u32(tb[MEMSLOT_A_SPACE_ID]);
	if (tb[MEMSLOT_A_SPACE_NAME])
		snprintf(s->name, sizeof(s->name), "%s",
			 nla_get_string(tb[MEMSLOT_A_SPACE_NAME]));
	if (tb[MEMSLOT_A_SPACE_OWNER_PID])
		s->owner_pid = nla_get_u32(tb[MEMSLOT_A_SPACE_OWNER_PID]);
	if (tb[MEMSLOT_A_SPACE_GENERATION])
		s->generation = nla_get_u64(tb[MEMSLOT_A_SPACE_GENERATION]);
	s->vm_bound = tb[MEMSLOT_A_SPACE_VM_BOUND];
	if (tb[MEMSLOT_A_SPACE_SLOT_BASE])
		s->slot_base = nla_get_u32(tb[MEMSLOT_A_SPACE_SLOT_BASE]);
	if (tb[MEMSLOT_A_SPACE_SLOT_COUNT])
		s->slot_count = nla_get_u32(tb[MEMSLOT_A_SPACE_SLOT_COUNT]);
	if (tb[MEMSLOT_A_SPACE_AS_ID])
		s->as_id = nla_get_u32(tb[MEMSLOT_A_SPACE_AS_ID]);
	if (tb[MEMSLOT_A_SPACE_MAX_SLOT_SIZE])
		s->max_slot_size = nla_get_u64(tb[MEMSLOT_A_SPACE_MAX_SLOT_SIZE]);
	if (tb[MEMSLOT_A_SPACE_STATS])
		nlc_parse_stats(tb[MEMSLOT_A_SPACE_STATS], s->stats);
	if (tb[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT])
		s->dirty_protect = nla_get_u32(tb[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT]);
	if (tb[MEMSLOT_A_SPACE_HOLD_BUDGET_US])
		s->hold_budget_us = nla_get_u32(tb[MEMSLOT_A_SPACE_HOLD_BUDGET_US]);
	if (tb[MEMSLOT_A_SPACE_BUDGET_MODE])
		s->budget_mode = nla_get_u32(tb[MEMSLOT_A_SPACE_BUDGET_MODE]);
	return NL_OK;
}

/* The attribute type at byte @off of the request, or 0. */
static int nlc_attr_at(struct nl_msg *req, uint32_t off)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	struct nlattr *a;

	if (off < NLMSG_HDRLEN + GENL_HDRLEN || off + NLA_HDRLEN > nlh->nlmsg_len)
		return 0;
	a = (struct nlattr *)((char *)nlh + off);
	return nla_type(a);
}

static int nlc_on_error(struct sockaddr_nl *nla, struct nlmsgerr *e,
			void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlc_xfer_ctx *x = arg;
	struct nlattr *tlv;
	int off = sizeof(*e), rem;

	(void)nla;
	x->res->err = e->error;
	x->done = true;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	rem = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	nla_for_each_attr(tlv, (struct nlattr *)((char *)e + off), rem, rem) {
		switch (nla_type(tlv)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(x->res->msg, sizeof(x->res->msg), "%s",
				 (char *)nla_data(tlv));
			break;
		case NLMSGERR_ATTR_OFFS:
			x->res->bad_attr = nlc_attr_at(x->req, nla_get_u32(tlv));
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			x->res->miss_type = nla_get_u32(tlv);
			break;
		}
	}
	return NL_STOP;
}

static int nlc_on_finish(struct nl_msg *msg, void *arg)
{
	struct nlc_xfer_ctx *x = arg;

	if (nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP_INTR)
		x->res->dump_intr = true;
	x->done = true;
	return NL_STOP;
}

static int nlc_on_ack(struct nl_msg *msg, void *arg)
{
	struct nlc_xfer_ctx *x = arg;

	(void)msg;
	x->done = true;
	return NL_STOP;
}

/*
 * Receive one datagram whatever its size (the replies of big commits are
 * large): peek at its length, then read it into a buffer that fits.
 */
static int nlc_recv_errno;

static int nlc_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		    unsigned char **buf, struct ucred **creds)
{
	struct iovec iov = { 0 };
	struct msghdr mh = {
		.msg_name = nla, .msg_namelen = sizeof(*nla),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t len;

	(void)creds;
	len = recvmsg(nl_socket_get_fd(sk), &mh, MSG_PEEK | MSG_TRUNC);
	if (len < 0)
		nlc_recv_errno = errno;
	if (len <= 0)
		return len < 0 ? (errno == EAGAIN ? -NLE_AGAIN : -NLE_FAILURE) : 0;
	*buf = malloc(len);
	if (!*buf)
		return -NLE_NOMEM;
	iov.iov_base = *buf;
	iov.iov_len = len;
	len = recvmsg(nl_socket_get_fd(sk), &mh, 0);
	if (len < 0)
		nlc_recv_errno = errno;
	if (len <= 0) {
		free(*buf);
		*buf = NULL;
		return len < 0 ? -NLE_FAILURE : 0;
	}
	return len;
}

int nlc_xfer(struct nlc *c, struct nl_msg *msg, struct nlc_result *res)
{
	struct nlc_xfer_ctx x = { .res = res, .req = msg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	memset(res, 0, sizeof(*res));
	nl_cb_overwrite_recv(cb, nlc_recv);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nlc_on_valid, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, nlc_on_finish, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, nlc_on_ack, &x);
	nl_cb_err(cb, NL_CB_CUSTOM, nlc_on_error, &x);
	ret = nl_send_auto(c->sk, msg);
	while (ret >= 0 && !x.done)
		ret = nl_recvmsgs(c->sk, cb);
	nl_cb_put(cb);
	nlmsg_free(msg);
	if (ret < 0 && !x.done) {
		snprintf(res->msg, sizeof(res->msg), "libnl: %s (%s)",
			 nl_geterror(ret), strerror(nlc_recv_errno));
		return -EIO;
	}
	return res->err;
}

int nlc_space_new(struct nlc *c, const char *name, struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, MEMSLOT_CMD_SPACE_NEW, 0);

	if (name)
		nla_put_string(msg, MEMSLOT_A_SPACE_NAME, name);
	return nlc_xfer(c, msg, res);
}

static int nlc_space_by_id(struct nlc *c, uint8_t cmd, uint32_t id,
			   struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, cmd, 0);

	nla_put_u32(msg, MEMSLOT_A_SPACE_ID, id);
	return nlc_xfer(c, msg, res);
}

int nlc_space_del(struct nlc *c, uint32_t id, struct nlc_result *res)
{
	return nlc_space_by_id(c, MEMSLOT_CMD_SPACE_DEL, id, res);
}

int nlc_space_get(struct nlc *c, uint32_t id, struct nlc_result *res)
{
	return nlc_space_by_id(c, MEMSLOT_CMD_SPACE_GET, id, res);
}

int nlc_space_dump(struct nlc *c, struct nlc_result *res)
{
	return nlc_xfer(c, nlc_msg(c, MEMSLOT_CMD_SPACE_GET, NLM_F_DUMP), res);
}

static int nlc_bind(struct nlc *c, uint32_t id, int vm_fd, uint32_t slot_base,
		    uint32_t slot_count, uint64_t max_slot_size,
		    int64_t protect, struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, MEMSLOT_CMD_SPACE_BIND, 0);

	nla_put_u32(msg, MEMSLOT_A_SPACE_ID, id);
	nla_put_s32(msg, MEMSLOT_A_SPACE_VM_FD, vm_fd);
	nla_put_u32(msg, MEMSLOT_A_SPACE_SLOT_BASE, slot_base);
	nla_put_u32(msg, MEMSLOT_A_SPACE_SLOT_COUNT, slot_count);
	if (max_slot_size)
		nla_put_u64(msg, MEMSLOT_A_SPACE_MAX_SLOT_SIZE, max_slot_size);
	if (protect >= 0)
		nla_put_u32(msg, MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT, protect);
	return nlc_xfer(c, msg, res);
}

int nlc_space_bind_max(struct nlc *c, uint32_t id, int vm_fd,
		       uint32_t slot_base, uint32_t slot_count,
		       uint64_t max_slot_size, struct nlc_result *res)
{
	return nlc_bind(c, id, vm_fd, slot_base, slot_count, max_slot_size, -1,
			res);
}

int nlc_space_bind_protect(struct nlc *c, uint32_t id, int vm_fd,
			   uint32_t slot_base, uint32_t slot_count,
			   uint64_t max_slot_size, uint32_t protect,
			   struct nlc_result *res)
{
	return nlc_bind(c, id, vm_fd, slot_base, slot_count, max_slot_size,
			protect, res);
}

int nlc_backing_new(struct nlc *c, uint32_t space, void *addr, uint64_t size,
		    struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, MEMSLOT_CMD_BACKING_NEW, 0);

	nla_put_u32(msg, MEMSLOT_A_BACKING_SPACE_ID, space);
	nla_put_u64(msg, MEMSLOT_A_BACKING_ADDR, (uintptr_t)addr);
	nla_put_u64(msg, MEMSLOT_A_BACKING_SIZE, size);
	return nlc_xfer(c, msg, res);
}

static int nlc_txn_msg(struct nlc *c, uint8_t cmd, uint32_t space,
		       const struct nlc_op *ops, int n, bool staged,
		       uint32_t hold, uint32_t dma_hole, bool slot_ids,
		       struct nlc_result *res);

int nlc_txn(struct nlc *c, uint32_t space, const struct nlc_op *ops, int n,
	    struct nlc_result *res)
{
	return nlc_txn_cmd(c, MEMSLOT_CMD_TXN_COMMIT, space, ops, n, false, res);
}

int nlc_txn_hold(struct nlc *c, uint32_t space, const struct nlc_op *ops,
		 int n, uint32_t hold, struct nlc_result *res)
{
	return nlc_txn_msg(c, MEMSLOT_CMD_TXN_COMMIT, space, ops, n, false,
			   hold, 0, false, res);
}

int nlc_txn_dma_hole(struct nlc *c, uint32_t space, const struct nlc_op *ops,
		     int n, uint32_t dma_hole, struct nlc_result *res)
{
	return nlc_txn_msg(c, MEMSLOT_CMD_TXN_COMMIT, space, ops, n, false,
			   0, dma_hole, false, res);
}

int nlc_txn_slot_ids(struct nlc *c, uint32_t space, const struct nlc_op *ops,
		     int n, bool staged, struct nlc_result *res)
{
	return nlc_txn_msg(c, MEMSLOT_CMD_TXN_COMMIT, space, ops, n, staged,
			   0, 0, true, res);
}

int nlc_txn_cmd(struct nlc *c, uint8_t cmd, uint32_t space,
		const struct nlc_op *ops, int n, bool staged,
		struct nlc_result *res)
{
	return nlc_txn_msg(c, cmd, space, ops, n, staged, 0, 0, false, res);
}

static int nlc_txn_msg(struct nlc *c, uint8_t cmd, uint32_t space,
		       const struct nlc_op *ops, int n, bool staged,
		       uint32_t hold, uint32_t dma_hole, bool slot_ids,
		       struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, cmd, 0);
	struct nlattr *nest;
	int i;

	nlmsg_expand(msg, 65536 * 4);
	nla_put_u32(msg, MEMSLOT_A_TXN_SPACE_ID, space);
	if (staged)
		nla_put_flag(msg, MEMSLOT_A_TXN_STAGED);
	if (hold)
		nla_put_u32(msg, MEMSLOT_A_TXN_HOLD, hold);
	if (dma_hole)
		nla_put_u32(msg, MEMSLOT_A_TXN_DMA_HOLE, dma_hole);
	if (slot_ids)
		nla_put_flag(msg, MEMSLOT_A_TXN_SLOT_IDS);
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, MEMSLOT_A_TXN_OP);
		nla_put_u32(msg, MEMSLOT_A_OP_TYPE, ops[i].type);
		if (ops[i].range_id)
			nla_put_u32(msg, MEMSLOT_A_OP_RANGE_ID, ops[i].range_id);
		if (ops[i].type == MEMSLOT_OP_TYPE_ADD) {
			nla_put_u64(msg, MEMSLOT_A_OP_GPA, ops[i].gpa);
			nla_put_u64(msg, MEMSLOT_A_OP_SIZE, ops[i].size);
			nla_put_u32(msg, MEMSLOT_A_OP_BACKING_ID, ops[i].backing_id);
			nla_put_u64(msg, MEMSLOT_A_OP_OFFSET, ops[i].offset);
		}
		if (ops[i].flags >= 0)
			nla_put_u32(msg, MEMSLOT_A_OP_FLAGS, ops[i].flags);
		nla_nest_end(msg, nest);
	}
	return nlc_xfer(c, msg, res);
}

int nlc_dirty_get(struct nlc *c, uint32_t space, uint32_t backing,
		  uint64_t off, uint64_t size, void *buf, uint64_t buf_size,
		  bool clear, struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, MEMSLOT_CMD_DIRTY_GET, 0);

	nla_put_u32(msg, MEMSLOT_A_DIRTY_SPACE_ID, space);
	nla_put_u32(msg, MEMSLOT_A_DIRTY_BACKING_ID, backing);
	nla_put_u64(msg, MEMSLOT_A_DIRTY_OFFSET, off);
	nla_put_u64(msg, MEMSLOT_A_DIRTY_SIZE, size);
	nla_put_u64(msg, MEMSLOT_A_DIRTY_BUFFER, (uintptr_t)buf);
	nla_put_u64(msg, MEMSLOT_A_DIRTY_BUFFER_SIZE, buf_size);
	if (clear)
		nla_put_flag(msg, MEMSLOT_A_DIRTY_CLEAR);
	return nlc_xfer(c, msg, res);
}

int nlc_range_dump(struct nlc *c, uint32_t space, struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, MEMSLOT_CMD_RANGE_GET, NLM_F_DUMP);

	nla_put_u32(msg, MEMSLOT_A_RANGE_SPACE_ID, space);
	return nlc_xfer(c, msg, res);
}

int nlc_space_bind(struct nlc *c, uint32_t id, int vm_fd, uint32_t slot_base,
		   uint32_t slot_count, struct nlc_result *res)
{
	return nlc_bind(c, id, vm_fd, slot_base, slot_count, 0, -1, res);
}

int nlc_space_set(struct nlc *c, uint32_t id, int64_t budget_us, int64_t mode,
		  struct nlc_result *res)
{
	struct nl_msg *msg = nlc_msg(c, MEMSLOT_CMD_SPACE_SET, 0);

	nla_put_u32(msg, MEMSLOT_A_SPACE_ID, id);
	if (budget_us >= 0)
		nla_put_u32(msg, MEMSLOT_A_SPACE_HOLD_BUDGET_US, budget_us);
	if (mode >= 0)
		nla_put_u32(msg, MEMSLOT_A_SPACE_BUDGET_MODE, mode);
	return nlc_xfer(c, msg, res);
}

bool nlc_has_space(const struct nlc_result *res, uint32_t id)
{
	int i;

	for (i = 0; i < res->n; i++)
		if (res->sp[i].id == id)
			return true;
	return false;
}

int nlc_join_events(struct nlc *c)
{
	int grp = genl_ctrl_resolve_grp(c->sk, MEMSLOT_FAMILY_NAME,
					MEMSLOT_MCGRP_EVENTS);

	if (grp < 0)
		return grp;
	nl_socket_disable_seq_check(c->sk);
	return nl_socket_add_membership(c->sk, grp) ? -errno : 0;
}

int nlc_read_events(struct nlc *c, struct nlc_result *res)
{
	struct nlc_xfer_ctx x = { .res = res };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	memset(res, 0, sizeof(*res));
	nl_cb_overwrite_recv(cb, nlc_recv);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nlc_on_valid, &x);
	nl_socket_set_nonblocking(c->sk);
	while (nl_recvmsgs(c->sk, cb) >= 0)
		;
	nl_cb_put(cb);
	return res->n;
}

int nlc_drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return -errno;
	return 0;
}

int nlc_flush(void)
{
	int fd = open("/sys/kernel/debug/memslot/flush", O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

int nlc_param(const char *name, long val, long *old)
{
	char path[128], buf[32];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), "/sys/module/memslot/parameters/%s", name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0 && old) {
		buf[n] = 0;
		*old = strtol(buf, NULL, 10);
	}
	n = snprintf(buf, sizeof(buf), "%ld", val);
	if (pwrite(fd, buf, n, 0) != n)
		err = -errno;
	close(fd);
	return err;
}

long nlc_module_refcnt(void)
{
	char buf[32] = "";
	int fd = open("/sys/module/memslot/refcnt", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	close(fd);
	return buf[0] ? atol(buf) : -1;
}
