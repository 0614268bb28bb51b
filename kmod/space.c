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
 *
 * Teardown (KVM slot deletions, which wait for SRCU grace periods a VMM's
 * vCPUs can stretch; unpinning) runs in a work item, never in the context
 * that destroys the space: that may be the netlink release notifier under
 * the global netlink_chain lock, or the exit of the owner's mm.
 */
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include "dirty.h"
#include "dma.h"
#include "kvm.h"
#include "netlink.h"
#include "pin.h"
#include "range.h"
#include "space.h"
#include "txn.h"

static DEFINE_XARRAY_ALLOC1(ms_spaces);
static struct workqueue_struct *ms_wq;	/* teardowns */
static u32 ms_spaces_next_id;	/* cyclic allocation; under the xarray's lock */

/* Bumped on every insert and erase, so dumps can detect a change under them. */
static atomic_t ms_spaces_seq = ATOMIC_INIT(1);

unsigned int ms_space_registry_seq(void)
{
	return atomic_read(&ms_spaces_seq);
}

int __init ms_space_init(void)
{
	ms_wq = alloc_workqueue("memslot", WQ_UNBOUND, 0);
	return ms_wq ? 0 : -ENOMEM;
}

void ms_space_exit(void)
{
	destroy_workqueue(ms_wq);
}

static void ms_space_teardown(struct work_struct *work);

struct ms_space *ms_space_create(const struct ms_owner *owner,
				 const char *name,
				 struct netlink_ext_ack *extack)
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
	err = ms_owner_hold(&space->owner, extack);
	if (err)
		goto err_free_space;
	kref_init(&space->ref);
	INIT_WORK(&space->teardown, ms_space_teardown);
	init_completion(&space->cleared);
	INIT_LIST_HEAD(&space->mm_node);
	mutex_init(&space->lock);
	space->generation = 1;
	ms_hold_policy_init(&space->hold);
	ms_layout_init(&space->layout);
	xa_init_flags(&space->ranges, XA_FLAGS_ALLOC1);
	xa_init_flags(&space->backings, XA_FLAGS_ALLOC1);

	/* ids are not reused soon, so a stale id does not name a new space */
	err = xa_alloc_cyclic(&ms_spaces, &id, space, xa_limit_31b,
			      &ms_spaces_next_id, GFP_KERNEL_ACCOUNT);
	if (err < 0)
		goto err_release_owner;
	space->id = id;
	ms_owner_link(space);
	atomic_inc(&ms_spaces_seq);
	return space;

err_release_owner:
	mutex_destroy(&space->lock);
	ms_owner_release(&space->owner);
err_free_space:
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
		ms_kvm_put_vm(space->vm.kvm, space->vm.file);
	ms_owner_release(&space->owner);
	mutex_destroy(&space->lock);
	call_rcu(&space->rcu, ms_space_free_rcu);
	/* The module's exit waits for this callback with rcu_barrier(). */
	module_put(THIS_MODULE);
}

void ms_space_put(struct ms_space *space)
{
	kref_put(&space->ref, ms_space_release);
}

/*
 * Bindings of all spaces, to keep the slot blocks of spaces bound to one
 * VM apart: each space's ms_binding::node while it may use slots.
 */
static LIST_HEAD(ms_bindings);
static DEFINE_MUTEX(ms_bindings_lock);	/* protects ms_bindings */

/* Take @vm's slot block of its VM, unless another space uses part of it. */
static int ms_binding_claim(struct ms_space *space, struct ms_binding *vm,
			    struct netlink_ext_ack *extack)
{
	struct ms_space *other;
	int err = 0;

	mutex_lock(&ms_bindings_lock);
	list_for_each_entry(other, &ms_bindings, vm.node) {
		if (other->vm.kvm != vm->kvm)
			continue;
		if (other->vm.dirty_protect != vm->dirty_protect) {
			NL_SET_ERR_MSG_FMT(extack,
					   "dirty-log-protect 0x%x: space %u binds this VM with 0x%x",
					   vm->dirty_protect, other->id,
					   other->vm.dirty_protect);
			err = -EINVAL;
			break;
		}
		if (other->vm.slot_base >= vm->slot_base + vm->slot_count ||
		    vm->slot_base >= other->vm.slot_base + other->vm.slot_count)
			continue;
		NL_SET_ERR_MSG_FMT(extack,
				   "slots %u..%u of this VM overlap space %u's %u..%u",
				   vm->slot_base, vm->slot_base + vm->slot_count - 1,
				   other->id, other->vm.slot_base,
				   other->vm.slot_base + other->vm.slot_count - 1);
		err = -EADDRINUSE;
		break;
	}
	if (!err)
		list_add(&space->vm.node, &ms_bindings);
	mutex_unlock(&ms_bindings_lock);
	return err;
}

static void ms_binding_unclaim(struct ms_space *space)
{
	mutex_lock(&ms_bindings_lock);
	list_del_init(&space->vm.node);
	mutex_unlock(&ms_bindings_lock);
}

/* Remove every range from KVM and free ranges and backings. */
static void ms_space_clear(struct ms_space *space)
{
	struct mm_struct *mm = NULL;
	struct ms_backing *backing;
	struct ms_mrange *mr;
	unsigned long id;

	mutex_lock(&space->lock);
	ms_staged_free(ms_staged_take(space));
	/* KVM takes the VM's ioctls only from the VMM's address space */
	if (space->vm.kvm)
		mm = ms_kvm_enter_mm(space);
	ms_dma_unbind_space(space); /* no DMA before the pins go */
	xa_for_each(&space->ranges, id, mr) {
		if (mm && !ms_kvm_ubuf_reserve(space, MS_KVM_UBUF_HDR))
			ms_kvm_unmap_range(space, mr);
		ms_layout_remove(&space->layout, &mr->r);
		ms_range_give_slots(space, mr);
		ms_range_destroy(space, mr);
	}
	if (mm) {
		ms_kvm_ubuf_free(&space->ubuf);
		ms_kvm_leave_mm(mm);
	}
	space->ubuf.size = 0; /* else it went with the owner's address space */
	if (space->vm.kvm) {
		ms_binding_unclaim(space);
		/* the VM may go with the space */
		ms_kvm_put_vm_sync(space->vm.kvm, space->vm.file);
		space->vm.kvm = NULL;
		space->vm.file = NULL;
	}
	xa_for_each(&space->backings, id, backing) {
		xa_erase(&space->backings, id);
		ms_pins_free(backing);
		ms_dirty_free(backing);
		kfree(backing);
	}
	space->nr_backings = 0;
	mutex_unlock(&space->lock);
	if (mm)
		mmput(mm);
}

/* The work of ms_space_destroy(): it owns the registry's reference. */
static void ms_space_teardown(struct work_struct *work)
{
	struct ms_space *space = container_of(work, struct ms_space, teardown);

	ms_notify_space_del(space);
	ms_space_clear(space);
	complete_all(&space->cleared);
	ms_space_put(space);
}

/*
 * Remove @space from the registry and the owner's indexes, so that no
 * request finds it and every request holding it finds it dead under its
 * lock (ms_space_lock()); then have the teardown work take its ranges out
 * of the VM and drop the registry's reference. Any context that may
 * sleep; it waits for nothing. The caller's own reference stays valid.
 */
void ms_space_destroy(struct ms_space *space)
{
	if (xa_erase(&ms_spaces, space->id) != space)
		return; /* lost a race with another destroyer */
	atomic_inc(&ms_spaces_seq);
	ms_owner_unlink(space);
	queue_work(ms_wq, &space->teardown);
}

/* Wait (killable) until a destroyed space is cleared; the caller holds it. */
int ms_space_wait_cleared(struct ms_space *space)
{
	return wait_for_completion_killable(&space->cleared);
}

/*
 * Wait for every teardown queued so far (tests, module exit), and for the
 * files they released: a kernel thread's fput() defers the release (of
 * the VM file, of the vCPU files the VMM's last mmput() unmapped), and the
 * VM goes only with the last of them.
 */
void ms_space_flush(void)
{
	flush_workqueue(ms_wq);
	flush_delayed_fput();
}

/*
 * Lock a space for a request that found it earlier: killable, and
 * -ENOENT if it was destroyed since (its teardown clears it under this
 * lock, after it left the registry).
 */
int ms_space_lock(struct ms_space *space, struct netlink_ext_ack *extack)
{
	if (mutex_lock_killable(&space->lock))
		return -EINTR;
	if (ms_space_live(space))
		return 0;
	mutex_unlock(&space->lock);
	NL_SET_ERR_MSG_FMT(extack, "space %u: no such space for this socket",
			   space->id);
	return -ENOENT;
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
int ms_space_bind(struct ms_space *space, const struct ms_binding *vm,
		  struct netlink_ext_ack *extack)
{
	unsigned long *slots = bitmap_zalloc(vm->slot_count, GFP_KERNEL_ACCOUNT);
	int err;

	if (!slots)
		return -ENOMEM;
	err = ms_space_lock(space, extack);
	if (err)
		goto out_free;
	if (space->vm.kvm) {
		NL_SET_ERR_MSG_FMT(extack, "space %u is already bound to a VM",
				   space->id);
		err = -EBUSY;
		goto out_unlock;
	}
	space->vm = *vm;
	err = ms_binding_claim(space, &space->vm, extack);
	if (err)
		goto err_clear_vm;
	if (vm->dirty_protect) {
		err = ms_kvm_set_dirty_protect(vm);
		if (err)
			goto err_unclaim;
	}
	space->vm.slots_used = slots;
	slots = NULL;
out_unlock:
	mutex_unlock(&space->lock);
out_free:
	bitmap_free(slots);
	return err;

err_unclaim:
	ms_binding_unclaim(space);
err_clear_vm:
	memset(&space->vm, 0, sizeof(space->vm));
	goto out_unlock;
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
