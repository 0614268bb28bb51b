/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_OWNER_H
#define _MEMSLOT_OWNER_H

#include <linux/types.h>

struct mm_struct;
struct ms_mm;
struct ms_space;
struct ms_user;
struct net;
struct netlink_ext_ack;
struct pid;
struct sk_buff;
struct sock;

/**
 * struct ms_owner - who owns a space, or who sent a request
 * @sk: the netlink socket; counted (sock_hold()) in a space's owner
 * @net: @sk's network namespace, alive as long as @sk
 * @portid: @sk's port id, only to find the socket's spaces on release
 * @tgid: the thread group; counted in a space's owner
 * @mm: the address space; counted (mmgrab()) in a space's owner, charged
 *	for the space's pins
 * @mm_sub: destroys the space when @mm goes (exit or execve)
 * @user: the creator's quota
 *
 * A request may touch a space only if its socket, thread group and
 * address space are the owner's: see ms_owner_matches(). The port id is
 * never compared (it is free for reuse before a socket's release ends).
 */
struct ms_owner {
	struct sock *sk;
	struct net *net;
	u32 portid;
	struct pid *tgid;
	struct mm_struct *mm;
	struct ms_mm *mm_sub;
	struct ms_user *user;
};

extern unsigned int ms_max_spaces_per_user;

void ms_owner_of(struct ms_owner *who, struct sk_buff *skb);
bool ms_owner_matches(const struct ms_owner *owner,
		      const struct ms_owner *who);
int ms_owner_hold(struct ms_owner *owner, struct netlink_ext_ack *extack);
void ms_owner_release(struct ms_owner *owner);
void ms_owner_link(struct ms_space *space);
void ms_owner_unlink(struct ms_space *space);
void ms_owner_socket_released(struct net *net, u32 portid);
void ms_owner_exit(void);

#endif /* _MEMSLOT_OWNER_H */
