// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The netlink socket of a handle: family lookup, requests, and error
 * reporting with the kernel's extended ACK (message and attribute offset).
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Requests: 256 transaction ops fit. */
#define MS_BUF_LEN	(MNL_SOCKET_BUFFER_SIZE < 32768 ? 32768 : \
			 MNL_SOCKET_BUFFER_SIZE)

int ms_set_err(struct memslot *ms, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ms->errmsg, sizeof(ms->errmsg), fmt, ap);
	va_end(ap);
	ms->err_attr = 0;
	return err;
}

static void ms_clear_err(struct memslot *ms)
{
	ms->errmsg[0] = '\0';
	ms->err_attr = 0;
}

struct nlmsghdr *ms_req_start(struct memslot *ms, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ms->req);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = ms->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++ms->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = MEMSLOT_FAMILY_VERSION;
	return nlh;
}

/* The attribute type at byte @off of the request we sent, or 0. */
static int ms_attr_at(const struct memslot *ms, uint32_t off)
{
	const struct nlmsghdr *nlh = (const void *)ms->req;
	const struct nlattr *attr;

	if (off < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)) ||
	    off + sizeof(*attr) > nlh->nlmsg_len)
		return 0;
	attr = (const void *)(ms->req + off);
	return mnl_attr_get_type(attr);
}

struct ms_run {
	struct memslot *ms;
	ms_msg_cb cb;		/* the caller's data callback, may be NULL */
	void *arg;
	int cb_ret;		/* first non-zero return of @cb */
};

/* NLMSG_ERROR: keep errno, the extack message and the attribute offset. */
static int ms_cb_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct memslot *ms = ((struct ms_run *)data)->ms;
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP; /* the ACK */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				snprintf(ms->errmsg, sizeof(ms->errmsg), "%s",
					 mnl_attr_get_str(attr));
			else if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS)
				ms->err_attr = ms_attr_at(ms,
						mnl_attr_get_u32(attr));
		}
	}
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int ms_cb_done(const struct nlmsghdr *nlh, void *data)
{
	struct ms_run *run = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		run->ms->dump_intr = 1;
	return MNL_CB_STOP;
}

/*
 * Data messages: after the caller's callback asked to stop, the rest of a
 * dump is still read (and dropped) so the socket stays in step.
 */
static int ms_cb_data(const struct nlmsghdr *nlh, void *data)
{
	struct ms_run *run = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		run->ms->dump_intr = 1;
	if (run->cb && !run->cb_ret)
		run->cb_ret = run->cb(nlh, run->arg);
	/* a do request without NLM_F_ACK ends with its one reply */
	if (!(((struct nlmsghdr *)run->ms->req)->nlmsg_flags &
	      (NLM_F_ACK | NLM_F_DUMP)))
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

int ms_req_run(struct memslot *ms, ms_msg_cb cb, void *arg)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = ms_cb_error,
		[NLMSG_DONE] = ms_cb_done,
	};
	struct ms_run run = { .ms = ms, .cb = cb, .arg = arg };
	struct nlmsghdr *nlh = (void *)ms->req;
	ssize_t len;
	int ret;

	ms_clear_err(ms);
	ms->dump_intr = 0;
	if (mnl_socket_sendto(ms->nl, nlh, nlh->nlmsg_len) < 0)
		return ms_set_err(ms, -errno, "netlink send: %s",
				  strerror(errno));
	do {
		len = mnl_socket_recvfrom(ms->nl, ms->rx, MS_RX_LEN);
		if (len < 0)
			return ms_set_err(ms, -errno, "netlink receive: %s",
					  strerror(errno));
		errno = 0;
		ret = mnl_cb_run2(ms->rx, len, nlh->nlmsg_seq, ms->portid,
				  ms_cb_data, &run, ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	if (ret < 0) {
		ret = errno ? -errno : -EIO;
		if (!ms->errmsg[0])
			snprintf(ms->errmsg, sizeof(ms->errmsg), "%s",
				 strerror(-ret));
		return ret;
	}
	return run.cb_ret;
}

/* The id of the "events" group in a CTRL_ATTR_MCAST_GROUPS nest. */
static uint32_t ms_events_group(const struct nlattr *groups)
{
	const struct nlattr *grp, *a;
	uint32_t id, found = 0;
	const char *name;

	mnl_attr_for_each_nested(grp, groups) {
		id = 0;
		name = NULL;
		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = mnl_attr_get_u32(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
				name = mnl_attr_get_str(a);
		}
		if (name && !strcmp(name, MEMSLOT_MCGRP_EVENTS))
			found = id;
	}
	return found;
}

/* CTRL_CMD_GETFAMILY reply: the family id, version and events group. */
static int ms_cb_family(const struct nlmsghdr *nlh, void *data)
{
	struct memslot *ms = data;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
			ms->events_grp = ms_events_group(attr);
		else if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			ms->family = mnl_attr_get_u16(attr);
		else if (mnl_attr_get_type(attr) == CTRL_ATTR_VERSION &&
			 mnl_attr_get_u32(attr) < MEMSLOT_FAMILY_VERSION)
			ms->family = 0;
	}
	return 0;
}

static int ms_resolve_family(struct memslot *ms)
{
	struct nlmsghdr *nlh;
	int ret;

	ms->family = GENL_ID_CTRL;
	nlh = ms_req_start(ms, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MEMSLOT_FAMILY_NAME);
	ms->family = 0;
	ret = ms_req_run(ms, ms_cb_family, ms);
	if (ret == -ENOENT)
		return ms_set_err(ms, -ENOENT,
				  "generic netlink family \"%s\" not found (is memslot.ko loaded?)",
				  MEMSLOT_FAMILY_NAME);
	if (ret)
		return ret;
	if (!ms->family)
		return ms_set_err(ms, -EPROTONOSUPPORT,
				  "kernel family \"%s\" is older than version %d",
				  MEMSLOT_FAMILY_NAME, MEMSLOT_FAMILY_VERSION);
	return 0;
}

static int ms_socket_setup(struct memslot *ms)
{
	int one = 1;

	ms->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!ms->nl)
		return -errno;
	if (mnl_socket_bind(ms->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	ms->portid = mnl_socket_get_portid(ms->nl);
	if (mnl_socket_setsockopt(ms->nl, NETLINK_EXT_ACK, &one,
				  sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(ms->nl, NETLINK_CAP_ACK, &one,
				  sizeof(one)) < 0)
		return -errno;
	return 0;
}

int memslot_open(struct memslot **msp)
{
	struct memslot *ms;
	int ret;

	*msp = NULL;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	ms->req = calloc(1, MS_BUF_LEN);
	ms->rx = malloc(MS_RX_LEN);
	ret = -ENOMEM;
	if (!ms->req || !ms->rx)
		goto err_close;
	ret = ms_socket_setup(ms);
	if (ret)
		goto err_close;
	ret = ms_resolve_family(ms);
	if (ret)
		goto err_close;
	*msp = ms;
	return 0;

err_close:
	memslot_close(ms);
	return ret;
}

void memslot_close(struct memslot *ms)
{
	if (!ms)
		return;
	if (ms->nl)
		mnl_socket_close(ms->nl);
	free(ms->rx);
	free(ms->req);
	free(ms);
}

int memslot_fd(const struct memslot *ms)
{
	return mnl_socket_get_fd(ms->nl);
}

const char *memslot_errmsg(const struct memslot *ms)
{
	return ms->errmsg;
}

int memslot_err_attr(const struct memslot *ms)
{
	return ms->err_attr;
}
