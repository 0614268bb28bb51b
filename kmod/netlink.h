/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_NETLINK_H
#define _MEMSLOT_NETLINK_H

#include <linux/types.h>

struct genl_family;
struct netlink_ext_ack;
struct nlattr;
struct sk_buff;
struct ms_space;

extern struct genl_family ms_family;

int ms_netlink_init(void);
struct ms_space *ms_find_space(struct sk_buff *skb, struct nlattr *attr,
			       int type, bool admin_ok,
			       struct netlink_ext_ack *extack);
bool ms_has_listeners(struct ms_space *space);
void ms_notify_space_del(struct ms_space *space);
void ms_multicast(struct ms_space *space, struct sk_buff *skb);
void ms_netlink_uninit(void);

#endif /* _MEMSLOT_NETLINK_H */
