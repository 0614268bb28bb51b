// SPDX-License-Identifier: GPL-2.0
/*
 * Spaces: creation, lookup, ownership and teardown.
 *
 * The registry is an xarray (its own lock protects insert/erase); lookups
 * run under RCU and take a reference with kref_get_unless_zero(). A space
 * leaves the registry exactly once, in ms_space_destroy(), which drops the
 * registry's reference; the memory goes after the last user and an RCU
 * grace period.
 *
 * Each live space holds a reference on this module, so the module cannot be
 * unloaded while any owner still has one: rmmod fails with EBUSY (like kvm
 * with live VMs) rather than tearing down a running guest's memory.
 */
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include "dma.h"
#include "kvm.h"
#include "pin.h"
#include "range.h"
#include "space.h"
#include "txn.h"

static DEFINE_XARRAY_ALLOC1(ms_spaces);
static u32 ms_spaces_next_id;	/* cyclic allocation; under the xarray's lock */

/* Bumped on every insert and erase, so dumps can detect a change under them. */
static atomic_t ms_spaces_seq = ATOMIC_INIT(1);

unsigned int ms_space_registry_seq(void)
{
	return atomic_read(&ms_spaces_seq);
}

bool ms_owner_matches(const struct ms_space *space,
		      const struct ms_owner *who)
{
	return net_eq(space->owner.net, who->net) &&
	       space->owner.portid == who->portid &&
	       space->owner.tgid == who->tgid;
}

struct ms_space *ms_space_create(const struct ms_owner *owner,
				 const char *name)
{
	struct ms_space *space;
	u32 id;
	int err;

	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	space = kzalloc(sizeof(*space), GFP_KERNEL_ACCOUNT);
	if (!space) {
		err = -ENOMEM;
		goto err_put_module;
	}
	if (name)
		strscpy(space->name, name, sizeof(space->name));
	space->owner = *owner;
	get_pid(space->owner.tgid);
	kref_init(&space->ref);
	mutex_init(&space->lock);
	space->generation = 1;
	ms_layout_init(&space->layout);
	xa_init_flags(&space->ranges, XA_FLAGS_ALLOC1);
	xa_init_flags(&space->backings, XA_FLAGS_ALLOC1);

	/* ids are not reused soon, so a stale id does not name a new space */
	err = xa_alloc_cyclic(&ms_spaces, &id, space, xa_limit_31b,
			      &ms_spaces_next_id, GFP_KERNEL_ACCOUNT);
	if (err < 0)
		goto err_free_space;
	space->id = id;
	atomic_inc(&ms_spaces_seq);
	return space;

err_free_space:
	put_pid(space->owner.tgid);
	mutex_destroy(&space->lock);
	kfree(space);
err_put_module:
	module_put(THIS_MODULE);
	return ERR_PTR(err);
}

static void ms_space_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct ms_space, rcu));
}

static void ms_space_release(struct kref *ref)
{
	struct ms_space *space = container_of(ref, struct ms_space, ref);

	WARN_ON(space->layout.nr_ranges);
	WARN_ON(!xa_empty(&space->ranges) || !xa_empty(&space->backings));
	xa_destroy(&space->ranges);
	xa_destroy(&space->backings);
	bitmap_free(space->vm.slots_used);
	if (space->vm.kvm)
		ms_kvm_put_vm(space->vm.kvm);
	put_pid(space->owner.tgid);
	mutex_destroy(&space->lock);
	call_rcu(&space->rcu, ms_space_free_rcu);
	/* The module's exit waits for this callback with rcu_barrier(). */
	module_put(THIS_MODULE);
}

void ms_space_put(struct ms_space *space)
{
	kref_put(&space->ref, ms_space_release);
}

/* Remove every range from KVM and free ranges and backings. */
static void ms_space_clear(struct ms_space *space)
{
	struct ms_backing *backing;
	struct ms_mrange *mr;
	unsigned long id;

	mutex_lock(&space->lock);
	ms_staged_free(space->staged);
	space->staged = NULL;
	if (space->vm.kvm)
		ms_kvm_lock(space); /* one hold for all the ranges */
	xa_for_each(&space->ranges, id, mr) {
		ms_dma_release_range(space, mr);
		ms_kvm_unmap_range(space, mr);
		ms_layout_remove(&space->layout, &mr->r);
		xa_erase(&space->ranges, id);
		ms_range_free(space, mr);
	}
	if (space->vm.kvm)
		ms_kvm_unlock(space);
	ms_dma_unbind_space(space);
	xa_for_each(&space->backings, id, backing) {
		xa_erase(&space->backings, id);
		ms_pins_free(backing);
		kfree(backing);
	}
	ms_pin_release_mm(space);
	mutex_unlock(&space->lock);
}

/*
 * Remove @space from the registry, take its ranges out of the VM and drop
 * the registry's reference. Returns with @space still valid if the caller
 * holds its own reference.
 */
void ms_space_destroy(struct ms_space *space)
{
	if (xa_erase(&ms_spaces, space->id) != space)
		return; /* lost a race with another destroyer */
	atomic_inc(&ms_spaces_seq);
	ms_space_clear(space);
	ms_space_put(space);
}

struct ms_mrange *ms_space_range(struct ms_space *space, u32 id)
{
	lockdep_assert_held(&space->lock);
	return xa_load(&space->ranges, id);
}

struct ms_backing *ms_space_backing(struct ms_space *space, u32 id)
{
	lockdep_assert_held(&space->lock);
	return xa_load(&space->backings, id);
}

/*
 * Bind @space to a VM, taking over the reference in @vm->kvm on success.
 * A space is bound once: its slots may already be in use.
 */
int ms_space_bind(struct ms_space *space, const struct ms_binding *vm)
{
	int err = 0;

	unsigned long *slots = bitmap_zalloc(vm->slot_count, GFP_KERNEL_ACCOUNT);

	if (!slots)
		return -ENOMEM;
	mutex_lock(&space->lock);
	if (space->vm.kvm) {
		err = -EBUSY;
	} else {
		space->vm = *vm;
		space->vm.slots_used = slots;
		slots = NULL;
	}
	mutex_unlock(&space->lock);
	bitmap_free(slots);
	return err;
}

struct ms_space *ms_space_get_by_id(u32 id)
{
	struct ms_space *space;

	rcu_read_lock();
	space = xa_load(&ms_spaces, id);
	if (space && !kref_get_unless_zero(&space->ref))
		space = NULL;
	rcu_read_unlock();
	return space;
}

/*
 * Is @space still registered? Under its lock, a registered space has not
 * been cleared (ms_space_destroy() unregisters, then clears under it).
 */
bool ms_space_live(struct ms_space *space)
{
	lockdep_assert_held(&space->lock);
	return xa_load(&ms_spaces, space->id) == space;
}

/* The next live space at or after *@index, referenced; NULL at the end. */
struct ms_space *ms_space_next(unsigned long *index)
{
	struct ms_space *space;

	rcu_read_lock();
	xa_for_each_start(&ms_spaces, *index, space, *index) {
		if (kref_get_unless_zero(&space->ref))
			break;
	}
	rcu_read_unlock();
	return space;
}
