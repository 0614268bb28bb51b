// SPDX-License-Identifier: GPL-2.0
/*
 * Owners of spaces: identity, quota and the two events that end a space
 * without a request, the release of its socket and the end of its owner's
 * address space.
 *
 * A space is found from its socket's port id through a hash (the release
 * notifier has nothing else: netlink_release() unhashes the port id and
 * orphans the socket, then notifies), but only a space whose own socket is
 * dead is destroyed there: the port id may already belong to another
 * socket. Each owner's address space carries one MMU notifier subscription
 * (mmu_notifier_get(), shared by its spaces) whose release destroys the
 * spaces when the last thread exits or execs, as VFIO type1 drops its pins
 * when the last group goes: pins never outlive the mm they are charged to.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "owner.h"
#include "space.h"

unsigned int ms_max_spaces_per_user = 1024;
module_param_named(max_spaces_per_user, ms_max_spaces_per_user, uint, 0644);
MODULE_PARM_DESC(max_spaces_per_user, "Spaces one user (uid) may own at once");

/* The spaces of one owner address space; see ms_mm_release(). */
struct ms_mm {
	struct mmu_notifier mn;
	struct list_head spaces;	/* ms_space::mm_node */
};

/* What one uid owns. */
struct ms_user {
	kuid_t uid;
	unsigned int nr_spaces;
	struct hlist_node node;		/* in ms_users */
};

/*
 * Protects ms_by_port, ms_users, and every ms_mm's space list. Innermost
 * but for the xarray locks; never held across a wait.
 */
static DEFINE_MUTEX(ms_owners_lock);
static DEFINE_HASHTABLE(ms_by_port, 8);	/* ms_space::port_node by portid */
static DEFINE_HASHTABLE(ms_users, 6);	/* ms_user by uid */

void ms_owner_of(struct ms_owner *who, struct sk_buff *skb)
{
	memset(who, 0, sizeof(*who));
	who->sk = NETLINK_CB(skb).sk;
	who->net = sock_net(who->sk);
	who->portid = NETLINK_CB(skb).portid;
	who->tgid = task_tgid(current);
	who->mm = current->mm;
}

bool ms_owner_matches(const struct ms_owner *owner,
		      const struct ms_owner *who)
{
	return owner->sk == who->sk && owner->tgid == who->tgid &&
	       owner->mm == who->mm;
}

static struct ms_user *ms_user_find(kuid_t uid)
{
	struct ms_user *u;

	lockdep_assert_held(&ms_owners_lock);
	hash_for_each_possible(ms_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* Count one more space for the caller's uid, within the quota. */
static int ms_user_charge(struct ms_owner *owner, struct netlink_ext_ack *extack)
{
	kuid_t uid = current_uid();
	struct ms_user *u, *fresh;
	int err = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;
	mutex_lock(&ms_owners_lock);
	u = ms_user_find(uid);
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(ms_users, &u->node, __kuid_val(uid));
	}
	if (u->nr_spaces >= READ_ONCE(ms_max_spaces_per_user)) {
		NL_SET_ERR_MSG_FMT(extack,
				   "user %u owns %u spaces already (memslot.max_spaces_per_user)",
				   from_kuid(&init_user_ns, uid), u->nr_spaces);
		err = -EDQUOT;
	} else {
		u->nr_spaces++;
		owner->user = u;
	}
	if (!u->nr_spaces) {
		hash_del(&u->node);
		kfree(u);
	}
	mutex_unlock(&ms_owners_lock);
	kfree(fresh);
	return err;
}

static void ms_user_uncharge(struct ms_user *u)
{
	mutex_lock(&ms_owners_lock);
	if (!--u->nr_spaces) {
		hash_del(&u->node);
		kfree(u);
	}
	mutex_unlock(&ms_owners_lock);
}

/*
 * Destroy spaces while @next (called under ms_owners_lock) finds one: the
 * lock is not held across ms_space_destroy(), which unlinks the space.
 */
static void ms_destroy_while(struct ms_space *(*next)(void *arg), void *arg)
{
	struct ms_space *space;

	for (;;) {
		mutex_lock(&ms_owners_lock);
		space = next(arg);
		if (space)
			kref_get(&space->ref); /* linked: the registry has one */
		mutex_unlock(&ms_owners_lock);
		if (!space)
			return;
		ms_space_destroy(space);
		ms_space_put(space);
	}
}

static struct ms_space *ms_first_of_mm(void *arg)
{
	struct ms_mm *m = arg;

	return list_first_entry_or_null(&m->spaces, struct ms_space, mm_node);
}

/* The owner's address space goes: so do its spaces, and their pins. */
static void ms_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ms_mm *m = container_of(mn, struct ms_mm, mn);

	ms_destroy_while(ms_first_of_mm, m);
}

static struct mmu_notifier *ms_mm_alloc(struct mm_struct *mm)
{
	struct ms_mm *m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);

	if (!m)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&m->spaces);
	return &m->mn;
}

static void ms_mm_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct ms_mm, mn));
}

static const struct mmu_notifier_ops ms_mm_ops = {
	.release	= ms_mm_release,
	.alloc_notifier	= ms_mm_alloc,
	.free_notifier	= ms_mm_free,
};

/*
 * Make @owner (filled by ms_owner_of()) a space's owner: charge the
 * quota, subscribe to the end of the address space, take references.
 */
int ms_owner_hold(struct ms_owner *owner, struct netlink_ext_ack *extack)
{
	struct mmu_notifier *mn;
	int err;

	if (!owner->mm)
		return -EINVAL;
	err = ms_user_charge(owner, extack);
	if (err)
		return err;
	mn = mmu_notifier_get(&ms_mm_ops, owner->mm);
	if (IS_ERR(mn)) {
		ms_user_uncharge(owner->user);
		return PTR_ERR(mn);
	}
	owner->mm_sub = container_of(mn, struct ms_mm, mn);
	sock_hold(owner->sk);
	get_pid(owner->tgid);
	mmgrab(owner->mm);
	return 0;
}

void ms_owner_release(struct ms_owner *owner)
{
	mmu_notifier_put(&owner->mm_sub->mn);
	mmdrop(owner->mm);
	put_pid(owner->tgid);
	sock_put(owner->sk);
	ms_user_uncharge(owner->user);
}

/* Index a registered space by its socket's port and its address space. */
void ms_owner_link(struct ms_space *space)
{
	mutex_lock(&ms_owners_lock);
	hash_add(ms_by_port, &space->port_node, space->owner.portid);
	list_add(&space->mm_node, &space->owner.mm_sub->spaces);
	mutex_unlock(&ms_owners_lock);
}

void ms_owner_unlink(struct ms_space *space)
{
	mutex_lock(&ms_owners_lock);
	hash_del(&space->port_node);
	list_del_init(&space->mm_node);
	mutex_unlock(&ms_owners_lock);
}

struct ms_port {
	struct net *net;
	u32 portid;
};

/* A space of a released socket at @arg's port: its own socket is dead. */
static struct ms_space *ms_first_of_dead_socket(void *arg)
{
	struct ms_port *p = arg;
	struct ms_space *space;

	hash_for_each_possible(ms_by_port, space, port_node, p->portid)
		if (space->owner.portid == p->portid &&
		    net_eq(space->owner.net, p->net) &&
		    sock_flag(space->owner.sk, SOCK_DEAD))
			return space;
	return NULL;
}

/* A netlink socket at @portid was released: destroy the spaces it owned. */
void ms_owner_socket_released(struct net *net, u32 portid)
{
	struct ms_port p = { .net = net, .portid = portid };

	ms_destroy_while(ms_first_of_dead_socket, &p);
}

/* Module exit: wait for the subscriptions' deferred frees. */
void ms_owner_exit(void)
{
	mmu_notifier_synchronize();
}
