/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memslot.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_MEMSLOT_GEN_H
#define _LINUX_MEMSLOT_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/memslot.h>

/* Common nested types */
extern const struct nla_policy memslot_op_nl_policy[MEMSLOT_A_OP_PAD + 1];

extern const struct nla_policy memslot_space_new_nl_policy[MEMSLOT_A_SPACE_NAME + 1];

extern const struct nla_policy memslot_space_del_nl_policy[MEMSLOT_A_SPACE_ID + 1];

extern const struct nla_policy memslot_space_get_nl_policy[MEMSLOT_A_SPACE_ID + 1];

extern const struct nla_policy memslot_space_bind_nl_policy[MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT + 1];

extern const struct nla_policy memslot_backing_new_nl_policy[MEMSLOT_A_BACKING_MIGRATABLE + 1];

extern const struct nla_policy memslot_backing_del_nl_policy[MEMSLOT_A_BACKING_ID + 1];

extern const struct nla_policy memslot_backing_get_nl_policy[MEMSLOT_A_BACKING_ID + 1];

extern const struct nla_policy memslot_range_get_nl_policy[MEMSLOT_A_RANGE_ID + 1];

extern const struct nla_policy memslot_txn_commit_nl_policy[MEMSLOT_A_TXN_SLOT_IDS + 1];

extern const struct nla_policy memslot_txn_open_nl_policy[MEMSLOT_A_TXN_SPACE_ID + 1];

extern const struct nla_policy memslot_txn_append_nl_policy[MEMSLOT_A_TXN_OP + 1];

extern const struct nla_policy memslot_txn_abort_nl_policy[MEMSLOT_A_TXN_SPACE_ID + 1];

extern const struct nla_policy memslot_dirty_get_nl_policy[MEMSLOT_A_DIRTY_CLEAR + 1];

extern const struct nla_policy memslot_space_set_nl_policy[MEMSLOT_A_SPACE_BUDGET_MODE + 1];

/* Ops table for memslot */
extern const struct genl_ops memslot_nl_ops[14];

int memslot_nl_space_new_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_space_del_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_space_get_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_space_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int memslot_nl_space_bind_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_backing_new_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_backing_del_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_backing_get_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_backing_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int memslot_nl_range_get_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_range_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int memslot_nl_txn_commit_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_txn_open_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_txn_append_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_txn_abort_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_dirty_get_doit(struct sk_buff *skb, struct genl_info *info);
int memslot_nl_space_set_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	MEMSLOT_NLGRP_EVENTS,
};

#endif /* _LINUX_MEMSLOT_GEN_H */
