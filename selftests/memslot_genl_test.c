// SPDX-License-Identifier: GPL-2.0
/*
 * ABI tests of the memslot generic netlink family through libnl-genl-3:
 * family shape, space create/get/dump/delete, ownership, teardown on socket
 * close, notifications, and rejection of malformed requests.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/msg.h>

#include "kselftest_harness.h"
#include "nlclient.h"

FIXTURE(genl) {
	struct nlc c;
	struct nlc_result r;
};

FIXTURE_SETUP(genl)
{
	int err = nlc_open(&self->c);

	if (err == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(genl)
{
	nlc_close(&self->c);
}

/* Run @fn in a child process; returns its exit status (0 = pass). */
static int in_child(int (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The ids, generations and count of all spaces, for "nothing changed". */
static void snapshot(struct nlc *c, struct nlc_result *out)
{
	nlc_space_dump(c, out);
}

static bool same_spaces(const struct nlc_result *a, const struct nlc_result *b)
{
	int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->sp[i].id != b->sp[i].id ||
		    a->sp[i].generation != b->sp[i].generation)
			return false;
	return true;
}

struct family_shape {
	int version, maxattr;
	uint32_t op_flags[MEMSLOT_CMD_MAX + 1];
	bool events_group;
};

static int parse_family(struct nl_msg *msg, void *arg)
{
	struct family_shape *f = arg;
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *op, *grp;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL))
		return NL_SKIP;
	f->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	f->maxattr = nla_get_u32(tb[CTRL_ATTR_MAXATTR]);
	nla_for_each_nested(op, tb[CTRL_ATTR_OPS], rem) {
		struct nlattr *ot[CTRL_ATTR_OP_MAX + 1];
		uint32_t id;

		nla_parse_nested(ot, CTRL_ATTR_OP_MAX, op, NULL);
		id = nla_get_u32(ot[CTRL_ATTR_OP_ID]);
		if (id <= MEMSLOT_CMD_MAX)
			f->op_flags[id] = nla_get_u32(ot[CTRL_ATTR_OP_FLAGS]);
	}
	nla_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];

		nla_parse_nested(gt, CTRL_ATTR_MCAST_GRP_MAX, grp, NULL);
		if (gt[CTRL_ATTR_MCAST_GRP_NAME] &&
		    !strcmp(nla_get_string(gt[CTRL_ATTR_MCAST_GRP_NAME]),
			    MEMSLOT_MCGRP_EVENTS))
			f->events_group = true;
	}
	return NL_OK;
}

TEST_F(genl, family_has_expected_ops_and_group)
{
	struct family_shape f = { 0 };
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t doit = GENL_CMD_CAP_DO | GENL_CMD_CAP_HASPOL;

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
		    CTRL_CMD_GETFAMILY, 1);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, MEMSLOT_FAMILY_NAME);
	ASSERT_LE(0, nl_send_auto(self->c.sk, msg));
	nlmsg_free(msg);
	nl_socket_modify_cb(self->c.sk, NL_CB_VALID, NL_CB_CUSTOM,
			    parse_family, &f);
	ASSERT_LE(0, nl_recvmsgs_default(self->c.sk));

	EXPECT_EQ(MEMSLOT_FAMILY_VERSION, f.version);
	/* per-op policies: the family has no global maxattr */
	EXPECT_EQ(0, f.maxattr);
	EXPECT_EQ(doit, f.op_flags[MEMSLOT_CMD_SPACE_NEW] & (doit | GENL_CMD_CAP_DUMP));
	EXPECT_EQ(doit, f.op_flags[MEMSLOT_CMD_SPACE_DEL] & (doit | GENL_CMD_CAP_DUMP));
	EXPECT_EQ(doit | GENL_CMD_CAP_DUMP, f.op_flags[MEMSLOT_CMD_SPACE_GET]);
	EXPECT_EQ(doit, f.op_flags[MEMSLOT_CMD_SPACE_SET] & (doit | GENL_CMD_CAP_DUMP));
	/* notifications are not requests */
	EXPECT_EQ(0, f.op_flags[MEMSLOT_CMD_SPACE_NEW_NTF]);
	/* nothing needs CAP_NET_ADMIN: an unprivileged VMM may own spaces */
	EXPECT_EQ(0, f.op_flags[MEMSLOT_CMD_SPACE_NEW] & GENL_ADMIN_PERM);
	EXPECT_TRUE(f.events_group);
}

TEST_F(genl, create_get_dump_delete)
{
	struct nlc_result *r = &self->r;
	uint32_t id;

	ASSERT_EQ(0, nlc_space_new(&self->c, "vm0", r));
	ASSERT_EQ(1, r->n);
	id = r->sp[0].id;
	EXPECT_NE(0, id);
	EXPECT_STREQ("vm0", r->sp[0].name);
	EXPECT_EQ((uint32_t)getpid(), r->sp[0].owner_pid);
	EXPECT_EQ(1, r->sp[0].generation);

	ASSERT_EQ(0, nlc_space_get(&self->c, id, r));
	ASSERT_EQ(1, r->n);
	EXPECT_EQ(id, r->sp[0].id);
	EXPECT_STREQ("vm0", r->sp[0].name);

	ASSERT_EQ(0, nlc_space_dump(&self->c, r));
	EXPECT_TRUE(nlc_has_space(r, id));

	ASSERT_EQ(0, nlc_space_del(&self->c, id, r));
	EXPECT_EQ(-ENOENT, nlc_space_get(&self->c, id, r));
	EXPECT_NE(NULL, strstr(r->msg, "no such space"));
	EXPECT_EQ(MEMSLOT_A_SPACE_ID, r->bad_attr);
	ASSERT_EQ(0, nlc_space_dump(&self->c, r));
	EXPECT_FALSE(nlc_has_space(r, id));
	/* deleting twice is an error too */
	EXPECT_EQ(-ENOENT, nlc_space_del(&self->c, id, r));
}

TEST_F(genl, dump_spans_many_messages)
{
	struct nlc_result *r = &self->r;
	uint32_t ids[200];
	int i;

	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, nlc_space_new(&self->c, "dump-test-space-name", r));
		ids[i] = r->sp[0].id;
	}
	ASSERT_EQ(0, nlc_space_dump(&self->c, r));
	for (i = 0; i < 200; i++)
		EXPECT_TRUE(nlc_has_space(r, ids[i]));
	EXPECT_FALSE(r->dump_intr);
}

/*
 * A dump that spans several messages, with a space created between two of
 * them, is flagged NLM_F_DUMP_INTR; an undisturbed one is not.
 */
static int dump_with_change(struct nlc *c, struct nlc *other, bool change,
			    bool *intr)
{
	static char buf[1 << 16];
	struct nlc_result r;
	int fd = nl_socket_get_fd(c->sk), chunks = 0;
	struct nl_msg *msg = nlc_msg(c, MEMSLOT_CMD_SPACE_GET, NLM_F_DUMP);
	bool done = false;

	*intr = false;
	if (nl_send_auto(c->sk, msg) < 0)
		return -1;
	nlmsg_free(msg);
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		if (len <= 0)
			return -1;
		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR)
				done = true;
		}
		if (chunks++ == 0 && change && nlc_space_new(other, NULL, &r))
			return -1;
	}
	return chunks;
}

/* 1500 spaces: minutes on the debug kernel under TCG (a liveness bound) */
TEST_F_TIMEOUT(genl, interrupted_dump_is_flagged, 300)
{
	struct nlc other;
	bool intr;
	int i;

	long quota;

	ASSERT_EQ(0, nlc_open(&other));
	ASSERT_EQ(0, nlc_param("max_spaces_per_user", 2000, &quota));
	for (i = 0; i < 1500; i++) /* more than one dump message holds */
		ASSERT_EQ(0, nlc_space_new(&self->c, NULL, &self->r));
	ASSERT_LT(2, dump_with_change(&self->c, &other, false, &intr));
	EXPECT_FALSE(intr);
	ASSERT_LT(2, dump_with_change(&self->c, &other, true, &intr));
	EXPECT_TRUE(intr);
	nlc_param("max_spaces_per_user", quota, NULL);
	nlc_close(&other);
}

static uint32_t foreign_id;

/* Another, unprivileged process must neither see nor touch the space. */
static int stranger(void *arg)
{
	struct nlc_result r;
	struct nlc c;

	(void)arg;
	if (nlc_drop_privileges() || nlc_open(&c))
		return 10;
	if (nlc_space_get(&c, foreign_id, &r) != -ENOENT)
		return 11;
	if (!strstr(r.msg, "no such space"))
		return 12;
	if (nlc_space_del(&c, foreign_id, &r) != -ENOENT)
		return 13;
	if (nlc_space_dump(&c, &r) || nlc_has_space(&r, foreign_id))
		return 14;
	if (nlc_join_events(&c) != -EPERM)
		return 15;
	return 0;
}

TEST_F(genl, other_process_cannot_see_or_touch)
{
	struct nlc_result before, after;

	ASSERT_EQ(0, nlc_space_new(&self->c, "mine", &self->r));
	foreign_id = self->r.sp[0].id;
	snapshot(&self->c, &before);
	EXPECT_EQ(0, in_child(stranger, NULL));
	snapshot(&self->c, &after);
	EXPECT_TRUE(same_spaces(&before, &after));
	EXPECT_EQ(0, nlc_space_get(&self->c, foreign_id, &self->r));
}

/* A process with CAP_SYS_ADMIN lists and reads all, but cannot delete. */
static int admin(void *arg)
{
	struct nlc_result r;
	struct nlc c;

	(void)arg;
	if (nlc_open(&c))
		return 10;
	if (nlc_space_dump(&c, &r) || !nlc_has_space(&r, foreign_id))
		return 11;
	if (nlc_space_get(&c, foreign_id, &r) || r.sp[0].id != foreign_id)
		return 12;
	if (nlc_space_del(&c, foreign_id, &r) != -ENOENT)
		return 13;
	return 0;
}

TEST_F(genl, admin_lists_all_but_cannot_delete)
{
	if (geteuid())
		SKIP(return, "needs root for the admin side");
	ASSERT_EQ(0, nlc_space_new(&self->c, NULL, &self->r));
	foreign_id = self->r.sp[0].id;
	EXPECT_EQ(0, in_child(admin, NULL));
	EXPECT_EQ(0, nlc_space_get(&self->c, foreign_id, &self->r));
}

TEST_F(genl, other_socket_of_same_process_cannot_delete)
{
	struct nlc other;
	uint32_t id;

	ASSERT_EQ(0, nlc_open(&other));
	ASSERT_EQ(0, nlc_space_new(&self->c, NULL, &self->r));
	id = self->r.sp[0].id;
	EXPECT_EQ(-ENOENT, nlc_space_del(&other, id, &self->r));
	EXPECT_EQ(0, nlc_space_get(&self->c, id, &self->r));
	nlc_close(&other);
}

TEST_F(genl, closing_owner_socket_destroys_its_spaces)
{
	struct nlc owner, listener;
	uint32_t ids[3], mine;
	int i;

	ASSERT_EQ(0, nlc_open(&owner));
	ASSERT_EQ(0, nlc_open(&listener));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, nlc_space_new(&owner, NULL, &self->r));
		ids[i] = self->r.sp[0].id;
	}
	ASSERT_EQ(0, nlc_space_new(&self->c, NULL, &self->r));
	mine = self->r.sp[0].id;
	if (!geteuid())
		ASSERT_EQ(0, nlc_join_events(&listener));
	nlc_close(&owner);

	for (i = 0; i < 3; i++)
		EXPECT_EQ(-ENOENT, nlc_space_get(&self->c, ids[i], &self->r));
	ASSERT_EQ(0, nlc_flush()); /* the teardowns, which notify */
	/* the fixture's own space is untouched */
	EXPECT_EQ(0, nlc_space_get(&self->c, mine, &self->r));
	if (!geteuid()) {
		/* one DEL notification per space (teardowns run in parallel) */
		ASSERT_EQ(3, nlc_read_events(&listener, &self->r));
		for (i = 0; i < 3; i++) {
			EXPECT_EQ(MEMSLOT_CMD_SPACE_DEL_NTF, self->r.cmd[i]);
			EXPECT_TRUE(nlc_has_space(&self->r, ids[i]));
		}
	}
	nlc_close(&listener);
}

TEST_F(genl, notifications_for_new_and_del)
{
	struct nlc listener;
	uint32_t id;

	if (geteuid())
		SKIP(return, "joining the events group needs CAP_NET_ADMIN");
	ASSERT_EQ(0, nlc_open(&listener));
	ASSERT_EQ(0, nlc_join_events(&listener));
	ASSERT_EQ(0, nlc_space_new(&self->c, "ntf", &self->r));
	id = self->r.sp[0].id;
	ASSERT_EQ(0, nlc_space_del(&self->c, id, &self->r));
	/* a rejected request sends nothing */
	EXPECT_EQ(-ENOENT, nlc_space_del(&self->c, id, &self->r));

	ASSERT_EQ(2, nlc_read_events(&listener, &self->r));
	EXPECT_EQ(MEMSLOT_CMD_SPACE_NEW_NTF, self->r.cmd[0]);
	EXPECT_EQ(id, self->r.sp[0].id);
	EXPECT_STREQ("ntf", self->r.sp[0].name);
	EXPECT_EQ(MEMSLOT_CMD_SPACE_DEL_NTF, self->r.cmd[1]);
	EXPECT_EQ(id, self->r.sp[1].id);
	nlc_close(&listener);
}

/*
 * Malformed requests: each gets its own errno and an extack message, the
 * offset points at the offending attribute, and nothing changes.
 */
FIXTURE(bad) {
	struct nlc c;
	struct nlc_result r, before, after;
	uint32_t id;
};

FIXTURE_SETUP(bad)
{
	if (nlc_open(&self->c) == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	ASSERT_EQ(0, nlc_space_new(&self->c, "keep", &self->r));
	self->id = self->r.sp[0].id;
	snapshot(&self->c, &self->before);
}

FIXTURE_TEARDOWN(bad)
{
	snapshot(&self->c, &self->after);
	EXPECT_TRUE(same_spaces(&self->before, &self->after));
	nlc_close(&self->c);
}

TEST_F(bad, missing_space_id)
{
	struct nl_msg *msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_DEL, 0);

	EXPECT_EQ(-EINVAL, nlc_xfer(&self->c, msg, &self->r));
	EXPECT_STREQ("missing space id (MEMSLOT_A_SPACE_ID)", self->r.msg);
	EXPECT_EQ(MEMSLOT_A_SPACE_ID, self->r.miss_type);
}

TEST_F(bad, wrong_attribute_type)
{
	struct nl_msg *msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_GET, 0);
	uint8_t one = 1;

	nla_put(msg, MEMSLOT_A_SPACE_ID, sizeof(one), &one); /* u8, not u32 */
	EXPECT_EQ(-EINVAL, nlc_xfer(&self->c, msg, &self->r));
	TH_LOG("extack: %s", self->r.msg);
	EXPECT_NE(0, self->r.msg[0]);
	EXPECT_EQ(MEMSLOT_A_SPACE_ID, self->r.bad_attr);
}

TEST_F(bad, unknown_attribute)
{
	struct nl_msg *msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_NEW, 0);

	/* owner-pid is read-only: not in space-new's policy */
	nla_put_u32(msg, MEMSLOT_A_SPACE_OWNER_PID, 1);
	EXPECT_EQ(-EINVAL, nlc_xfer(&self->c, msg, &self->r));
	TH_LOG("extack: %s", self->r.msg);
	EXPECT_NE(NULL, strcasestr(self->r.msg, "unknown attribute"));
	EXPECT_EQ(MEMSLOT_A_SPACE_OWNER_PID, self->r.bad_attr);

	msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_NEW, 0);
	nla_put_u32(msg, 77, 1); /* beyond every attribute */
	EXPECT_EQ(-EINVAL, nlc_xfer(&self->c, msg, &self->r));
	EXPECT_NE(NULL, strcasestr(self->r.msg, "unknown attribute"));
	EXPECT_EQ(77, self->r.bad_attr);
}

TEST_F(bad, oversized_name)
{
	struct nl_msg *msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_NEW, 0);
	char name[MEMSLOT_NAME_MAX_LEN + 2];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nla_put_string(msg, MEMSLOT_A_SPACE_NAME, name);
	EXPECT_EQ(-EINVAL, nlc_xfer(&self->c, msg, &self->r));
	TH_LOG("extack: %s", self->r.msg);
	EXPECT_NE(0, self->r.msg[0]);
	EXPECT_EQ(MEMSLOT_A_SPACE_NAME, self->r.bad_attr);

	/* the longest allowed name is fine (and is undone by hand) */
	name[MEMSLOT_NAME_MAX_LEN] = '\0';
	ASSERT_EQ(0, nlc_space_new(&self->c, name, &self->r));
	EXPECT_STREQ(name, self->r.sp[0].name);
	ASSERT_EQ(0, nlc_space_del(&self->c, self->r.sp[0].id, &self->r));
}

TEST_F(bad, bogus_space_ids)
{
	EXPECT_EQ(-ERANGE, nlc_space_get(&self->c, 0, &self->r));
	TH_LOG("id 0: %s", self->r.msg);
	EXPECT_NE(0, self->r.msg[0]);
	EXPECT_EQ(MEMSLOT_A_SPACE_ID, self->r.bad_attr);

	EXPECT_EQ(-ENOENT, nlc_space_del(&self->c, 0x7ffffff0, &self->r));
	EXPECT_STREQ("space 2147483632: no such space for this socket",
		     self->r.msg);
	EXPECT_EQ(MEMSLOT_A_SPACE_ID, self->r.bad_attr);
}

TEST_F(bad, unknown_command)
{
	EXPECT_EQ(-EOPNOTSUPP, nlc_xfer(&self->c, nlc_msg(&self->c, 99, 0),
					&self->r));
	/* notifications cannot be sent as requests */
	EXPECT_EQ(-EOPNOTSUPP,
		  nlc_xfer(&self->c,
			   nlc_msg(&self->c, MEMSLOT_CMD_SPACE_NEW_NTF, 0),
			   &self->r));
}

TEST_HARNESS_MAIN
