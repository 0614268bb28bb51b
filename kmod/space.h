/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_SPACE_H
#define _MEMSLOT_SPACE_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <uapi/linux/memslot.h>

#include "layout.h"

struct net;
struct pid;

/*
 * Who owns a space: one netlink socket (netns + portid) used by one thread
 * group. Every request must match all three; see ms_owner_matches().
 */
struct ms_owner {
	struct net *net;	/* not counted: the socket pins it until release */
	u32 portid;
	struct pid *tgid;	/* counted reference */
};

struct ms_space {
	u32 id;				/* constant; key in the registry */
	char name[MEMSLOT_NAME_MAX_LEN + 1];	/* constant after create */
	struct ms_owner owner;		/* constant after create */
	struct kref ref;		/* registry + in-flight users */
	struct rcu_head rcu;

	struct mutex lock;		/* protects everything below */
	u64 generation;
	struct ms_layout layout;
};

struct ms_space *ms_space_create(const struct ms_owner *owner,
				 const char *name);
void ms_space_destroy(struct ms_space *space);
void ms_space_put(struct ms_space *space);
struct ms_space *ms_space_get_by_id(u32 id);
struct ms_space *ms_space_next(unsigned long *index);
unsigned int ms_space_registry_seq(void);
bool ms_owner_matches(const struct ms_space *space,
		      const struct ms_owner *who);

#endif /* _MEMSLOT_SPACE_H */
