/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_SPACE_H
#define _MEMSLOT_SPACE_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <uapi/linux/memslot.h>

#include "layout.h"

struct kvm;
struct net;
struct pid;

/* What a space is bound to in KVM; see ms_space_bind(). */
struct ms_binding {
	struct kvm *kvm;	/* counted reference, NULL while unbound */
	u32 slot_base;		/* first memslot id the module may use */
	u32 slot_count;
	u32 as_id;		/* KVM memslot address space */
	u64 max_slot_size;	/* bytes; 0: no limit */
};

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
	struct ms_binding vm;
	struct ms_layout layout;
};

struct ms_space *ms_space_create(const struct ms_owner *owner,
				 const char *name);
void ms_space_destroy(struct ms_space *space);
int ms_space_bind(struct ms_space *space, const struct ms_binding *vm);
void ms_space_put(struct ms_space *space);
struct ms_space *ms_space_get_by_id(u32 id);
struct ms_space *ms_space_next(unsigned long *index);
unsigned int ms_space_registry_seq(void);
bool ms_owner_matches(const struct ms_space *space,
		      const struct ms_owner *who);

#endif /* _MEMSLOT_SPACE_H */
