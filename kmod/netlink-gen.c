// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memslot.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/memslot.h>

/* Integer value ranges */
static const struct netlink_range_validation memslot_a_space_hold_budget_us_range = {
	.max	= 10000000ULL,
};

/* Common nested types */
const struct nla_policy memslot_op_nl_policy[MEMSLOT_A_OP_PAD + 1] = {
	[MEMSLOT_A_OP_TYPE] = NLA_POLICY_RANGE(NLA_U32, 1, 3),
	[MEMSLOT_A_OP_RANGE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_OP_GPA] = { .type = NLA_U64, },
	[MEMSLOT_A_OP_SIZE] = { .type = NLA_U64, },
	[MEMSLOT_A_OP_BACKING_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_OP_OFFSET] = { .type = NLA_U64, },
	[MEMSLOT_A_OP_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x7),
};

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
const struct nla_policy memslot_space_bind_nl_policy[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT + 1] = {
	[MEMSLOT_A_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_SPACE_VM_FD] = { .type = NLA_S32, },
	[MEMSLOT_A_SPACE_SLOT_BASE] = NLA_POLICY_MAX(NLA_U32, 32766),
	[MEMSLOT_A_SPACE_SLOT_COUNT] = NLA_POLICY_RANGE(NLA_U32, 1, 32767),
	[MEMSLOT_A_SPACE_AS_ID] = NLA_POLICY_MAX(NLA_U32, 15),
	[MEMSLOT_A_SPACE_MAX_SLOT_SIZE] = { .type = NLA_U64, },
	[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT] = NLA_POLICY_MASK(NLA_U32, 0x3),
};

/* MEMSLOT_CMD_BACKING_NEW - do */
const struct nla_policy memslot_backing_new_nl_policy[MEMSLOT_A_BACKING_MIGRATABLE + 1] = {
	[MEMSLOT_A_BACKING_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_BACKING_ADDR] = { .type = NLA_U64, },
	[MEMSLOT_A_BACKING_SIZE] = { .type = NLA_U64, },
	[MEMSLOT_A_BACKING_NAME] = { .type = NLA_NUL_STRING, .len = MEMSLOT_NAME_MAX_LEN, },
	[MEMSLOT_A_BACKING_MIGRATABLE] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* MEMSLOT_CMD_BACKING_DEL - do */
const struct nla_policy memslot_backing_del_nl_policy[MEMSLOT_A_BACKING_ID + 1] = {
	[MEMSLOT_A_BACKING_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_BACKING_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MEMSLOT_CMD_BACKING_GET - do */
const struct nla_policy memslot_backing_get_nl_policy[MEMSLOT_A_BACKING_ID + 1] = {
	[MEMSLOT_A_BACKING_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_BACKING_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MEMSLOT_CMD_RANGE_GET - do */
const struct nla_policy memslot_range_get_nl_policy[MEMSLOT_A_RANGE_ID + 1] = {
	[MEMSLOT_A_RANGE_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_RANGE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MEMSLOT_CMD_TXN_COMMIT - do */
const struct nla_policy memslot_txn_commit_nl_policy[MEMSLOT_A_TXN_SLOT_IDS + 1] = {
	[MEMSLOT_A_TXN_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_TXN_OP] = NLA_POLICY_NESTED(memslot_op_nl_policy),
	[MEMSLOT_A_TXN_STAGED] = { .type = NLA_FLAG, },
	[MEMSLOT_A_TXN_HOLD] = NLA_POLICY_RANGE(NLA_U32, 1, 3),
	[MEMSLOT_A_TXN_DMA_HOLE] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
	[MEMSLOT_A_TXN_SLOT_IDS] = { .type = NLA_FLAG, },
};

/* MEMSLOT_CMD_TXN_OPEN - do */
const struct nla_policy memslot_txn_open_nl_policy[MEMSLOT_A_TXN_SPACE_ID + 1] = {
	[MEMSLOT_A_TXN_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MEMSLOT_CMD_TXN_APPEND - do */
const struct nla_policy memslot_txn_append_nl_policy[MEMSLOT_A_TXN_OP + 1] = {
	[MEMSLOT_A_TXN_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_TXN_OP] = NLA_POLICY_NESTED(memslot_op_nl_policy),
};

/* MEMSLOT_CMD_TXN_ABORT - do */
const struct nla_policy memslot_txn_abort_nl_policy[MEMSLOT_A_TXN_SPACE_ID + 1] = {
	[MEMSLOT_A_TXN_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MEMSLOT_CMD_DIRTY_GET - do */
const struct nla_policy memslot_dirty_get_nl_policy[MEMSLOT_A_DIRTY_CLEAR + 1] = {
	[MEMSLOT_A_DIRTY_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_DIRTY_BACKING_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_DIRTY_RANGE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_DIRTY_OFFSET] = { .type = NLA_U64, },
	[MEMSLOT_A_DIRTY_SIZE] = { .type = NLA_U64, },
	[MEMSLOT_A_DIRTY_BUFFER] = { .type = NLA_U64, },
	[MEMSLOT_A_DIRTY_BUFFER_SIZE] = { .type = NLA_U64, },
	[MEMSLOT_A_DIRTY_CLEAR] = { .type = NLA_FLAG, },
};

/* MEMSLOT_CMD_SPACE_SET - do */
const struct nla_policy memslot_space_set_nl_policy[MEMSLOT_A_SPACE_BUDGET_MODE + 1] = {
	[MEMSLOT_A_SPACE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MEMSLOT_A_SPACE_HOLD_BUDGET_US] = NLA_POLICY_FULL_RANGE(NLA_U32, &memslot_a_space_hold_budget_us_range),
	[MEMSLOT_A_SPACE_BUDGET_MODE] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
};

/* Ops table for memslot */
const struct genl_ops memslot_nl_ops[14] = {
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
		.maxattr	= MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT,
	},
	{
		.cmd		= MEMSLOT_CMD_BACKING_NEW,
		.doit		= memslot_nl_backing_new_doit,
		.policy		= memslot_backing_new_nl_policy,
		.maxattr	= MEMSLOT_A_BACKING_MIGRATABLE,
	},
	{
		.cmd		= MEMSLOT_CMD_BACKING_DEL,
		.doit		= memslot_nl_backing_del_doit,
		.policy		= memslot_backing_del_nl_policy,
		.maxattr	= MEMSLOT_A_BACKING_ID,
	},
	{
		.cmd		= MEMSLOT_CMD_BACKING_GET,
		.doit		= memslot_nl_backing_get_doit,
		.dumpit		= memslot_nl_backing_get_dumpit,
		.policy		= memslot_backing_get_nl_policy,
		.maxattr	= MEMSLOT_A_BACKING_ID,
	},
	{
		.cmd		= MEMSLOT_CMD_RANGE_GET,
		.doit		= memslot_nl_range_get_doit,
		.dumpit		= memslot_nl_range_get_dumpit,
		.policy		= memslot_range_get_nl_policy,
		.maxattr	= MEMSLOT_A_RANGE_ID,
	},
	{
		.cmd		= MEMSLOT_CMD_TXN_COMMIT,
		.doit		= memslot_nl_txn_commit_doit,
		.policy		= memslot_txn_commit_nl_policy,
		.maxattr	= MEMSLOT_A_TXN_SLOT_IDS,
	},
	{
		.cmd		= MEMSLOT_CMD_TXN_OPEN,
		.doit		= memslot_nl_txn_open_doit,
		.policy		= memslot_txn_open_nl_policy,
		.maxattr	= MEMSLOT_A_TXN_SPACE_ID,
	},
	{
		.cmd		= MEMSLOT_CMD_TXN_APPEND,
		.doit		= memslot_nl_txn_append_doit,
		.policy		= memslot_txn_append_nl_policy,
		.maxattr	= MEMSLOT_A_TXN_OP,
	},
	{
		.cmd		= MEMSLOT_CMD_TXN_ABORT,
		.doit		= memslot_nl_txn_abort_doit,
		.policy		= memslot_txn_abort_nl_policy,
		.maxattr	= MEMSLOT_A_TXN_SPACE_ID,
	},
	{
		.cmd		= MEMSLOT_CMD_DIRTY_GET,
		.doit		= memslot_nl_dirty_get_doit,
		.policy		= memslot_dirty_get_nl_policy,
		.maxattr	= MEMSLOT_A_DIRTY_CLEAR,
	},
	{
		.cmd		= MEMSLOT_CMD_SPACE_SET,
		.doit		= memslot_nl_space_set_doit,
		.policy		= memslot_space_set_nl_policy,
		.maxattr	= MEMSLOT_A_SPACE_BUDGET_MODE,
	},
};

static const struct genl_multicast_group memslot_nl_mcgrps[] = {
	[MEMSLOT_NLGRP_EVENTS] = { "events", },
};
