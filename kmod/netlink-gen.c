// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memslot.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/memslot.h>

/* MEMSLOT_CMD_SPACE_NEW - do */
const struct nla_policy memslot_space_new_nl_policy[MEMSLOT_A_SPACE_NAME + 1] = {
	[MEMSLOT_A_SPACE_NAME] = { .type = NLA_NUL_STRING, .len = MEMSLOT_NAME_MAX_LEN, },
};

/* MEMSLOT_CMD_SPACE_DEL - do */
const struct nla_policy memslot_space_del_nl_policy[MEMSLOT_A_SPACE_ID + 1] = {
	[MEMSLOT_A_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MEMSLOT_CMD_SPACE_GET - do */
const struct nla_policy memslot_space_get_nl_policy[MEMSLOT_A_SPACE_ID + 1] = {
	[MEMSLOT_A_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MEMSLOT_CMD_SPACE_BIND - do */
const struct nla_policy memslot_space_bind_nl_policy[MEMSLOT_A_SPACE_MAX_SLOT_SIZE + 1] = {
	[MEMSLOT_A_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_SPACE_VM_FD] = { .type = NLA_S32, },
	[MEMSLOT_A_SPACE_SLOT_BASE] = NLA_POLICY_MAX(NLA_U32, 32766),
	[MEMSLOT_A_SPACE_SLOT_COUNT] = NLA_POLICY_RANGE(NLA_U32, 1, 32767),
	[MEMSLOT_A_SPACE_AS_ID] = NLA_POLICY_MAX(NLA_U32, 15),
	[MEMSLOT_A_SPACE_MAX_SLOT_SIZE] = { .type = NLA_U64, },
};

/* Ops table for memslot */
const struct genl_ops memslot_nl_ops[4] = {
	{
		.cmd		= MEMSLOT_CMD_SPACE_NEW,
		.doit		= memslot_nl_space_new_doit,
		.policy		= memslot_space_new_nl_policy,
		.maxattr	= MEMSLOT_A_SPACE_NAME,
	},
	{
		.cmd		= MEMSLOT_CMD_SPACE_DEL,
		.doit		= memslot_nl_space_del_doit,
		.policy		= memslot_space_del_nl_policy,
		.maxattr	= MEMSLOT_A_SPACE_ID,
	},
	{
		.cmd		= MEMSLOT_CMD_SPACE_GET,
		.doit		= memslot_nl_space_get_doit,
		.dumpit		= memslot_nl_space_get_dumpit,
		.policy		= memslot_space_get_nl_policy,
		.maxattr	= MEMSLOT_A_SPACE_ID,
	},
	{
		.cmd		= MEMSLOT_CMD_SPACE_BIND,
		.doit		= memslot_nl_space_bind_doit,
		.policy		= memslot_space_bind_nl_policy,
		.maxattr	= MEMSLOT_A_SPACE_MAX_SLOT_SIZE,
	},
};

static const struct genl_multicast_group memslot_nl_mcgrps[] = {
	[MEMSLOT_NLGRP_EVENTS] = { "events", },
};
