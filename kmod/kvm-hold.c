// SPDX-License-Identifier: GPL-2.0
/*
 * Holding a VM's vCPUs out of guest mode for a commit; part of the
 * module's door into KVM (kvm.h). It uses no symbol KVM exports: only the
 * request bits and vCPU mode of struct kvm_vcpu, as <linux/kvm_host.h>'s
 * inline helpers read and write them, the vCPU mutex, KVM's SRCU, and
 * core exports (task_work_add(), kick_process(), wake_up_process(),
 * synchronize_srcu_expedited()). Documentation/design.rst, "Holding the
 * vCPUs", says why this is safe on 6.1, 6.12 and 7.x.
 *
 * The gate: a vCPU runs guest code only after vcpu_enter_guest() has set
 * IN_GUEST_MODE and then found no request pending (kvm_vcpu_exit_request()
 * checks vcpu->requests after a full barrier); a pending request makes
 * it cancel the entry and go round KVM's run loop again. MS_REQ_HOLD is a
 * request bit no KVM code consumes, so while it is set on a vCPU, that
 * vCPU cannot enter the guest, whichever thread runs it. A vCPU already
 * in guest mode is kicked out as KVM's own kick does it: its mode moved
 * from IN_GUEST_MODE to EXITING_GUEST_MODE, then an IPI to its CPU
 * (kick_process()); the hold waits until it is OUTSIDE_GUEST_MODE.
 *
 * Where the vCPUs wait while gated: a vCPU whose thread is in userspace is
 * held by its mutex (KVM_RUN sleeps on it). The thread of a vCPU in
 * KVM_RUN gets a task work that sleeps until the hold ends; KVM runs it in
 * xfer_to_guest_mode_handle_work(), outside its SRCU read side, before it
 * would enter the guest (a halted vCPU is woken for it with KVM_REQ_UNBLOCK
 * and goes back to sleep afterwards). Gated vCPUs that spin instead would
 * sit in kvm->srcu read sections and stretch every SRCU grace period of
 * the commit's own memslot updates.
 */
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/wait.h>

#include "kvm.h"
#include "space.h"
#include "trace.h"

#define MS_REQ_HOLD	(KVM_REQUEST_ARCH_BASE + 55)

/* A vCPU of a hold, and how it is held. */
struct ms_hold_vcpu {
	struct callback_head work;	/* queued on its thread, if parked */
	struct ms_hold *hold;
	bool in_user;			/* held by its mutex */
};

/*
 * One hold. The commit owns a reference, and so does every queued task
 * work until it has run: a work may run after the commit is over. A
 * queued work also holds its space (ms_space::park_pending counts such
 * works, so that a thread that never passes a guest entry again strands
 * at most one work per vCPU of the space).
 */
struct ms_hold {
	struct kref ref;
	struct ms_space *space;		/* counted by each queued work */
	wait_queue_head_t wq;		/* parked vCPU threads */
	bool active;			/* the gate is closed */
	u32 nr_vcpus;
	struct ms_hold_vcpu vcpu[];	/* nr_vcpus */
};

static void ms_hold_free(struct kref *ref)
{
	kfree(container_of(ref, struct ms_hold, ref));
}

/*
 * The task work: sleep until the hold ends (or a fatal signal: the gate
 * still keeps the vCPU out). Each queued work holds a module reference;
 * memslot_exit() waits with synchronize_rcu_tasks() for a thread that
 * dropped the last one to leave this function.
 */
static void ms_hold_park(struct callback_head *work)
{
	struct ms_hold *h = container_of(work, struct ms_hold_vcpu, work)->hold;
	struct ms_space *space = h->space;

	wait_event_killable(h->wq, !READ_ONCE(h->active));
	kref_put(&h->ref, ms_hold_free);
	atomic_dec(&space->park_pending);
	ms_space_put(space);
	module_put(THIS_MODULE);
}

/*
 * The thread that last ran KVM_RUN on @vcpu (vcpu->pid), referenced, or
 * NULL. With @owner_only, only a thread of the space's owner in the
 * owner's address space (it may have exec'd or left since).
 */
static struct task_struct *ms_hold_vcpu_task(struct ms_space *space,
					     struct kvm_vcpu *vcpu,
					     bool owner_only)
{
	struct task_struct *task = NULL;
	struct pid *pid;

	rcu_read_lock();
	pid = rcu_dereference(vcpu->pid);
	if (pid)
		task = pid_task(pid, PIDTYPE_PID);
	if (task && owner_only &&
	    (task_tgid(task) != space->owner.tgid ||
	     READ_ONCE(task->mm) != space->owner.mm))
		task = NULL;
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

/*
 * The thread running @vcpu if it may be parked: an owner's thread, and
 * fewer works pending for the space than it has vCPUs.
 */
static struct task_struct *ms_hold_parkable(struct ms_hold *h,
					    struct kvm_vcpu *vcpu)
{
	if (atomic_read(&h->space->park_pending) >= h->nr_vcpus)
		return NULL;
	return ms_hold_vcpu_task(h->space, vcpu, true);
}

/* Queue the park work on the thread running @vcpu (it is in KVM_RUN). */
static bool ms_hold_park_vcpu(struct ms_hold *h, struct ms_hold_vcpu *hv,
			      struct kvm_vcpu *vcpu)
{
	struct task_struct *task = ms_hold_parkable(h, vcpu);
	bool queued;

	if (!task)
		return false; /* the gate alone holds the vCPU */
	hv->hold = h;
	init_task_work(&hv->work, ms_hold_park);
	kref_get(&h->ref);
	kref_get(&h->space->ref);
	atomic_inc(&h->space->park_pending);
	__module_get(THIS_MODULE);
	queued = !task_work_add(task, &hv->work, TWA_RESUME);
	if (queued) { /* a halted vCPU wakes, parks, and halts again */
		kvm_make_request(KVM_REQ_UNBLOCK, vcpu);
		wake_up_process(task);
	} else { /* the thread is exiting: the gate alone holds the vCPU */
		module_put(THIS_MODULE);
		atomic_dec(&h->space->park_pending);
		ms_space_put(h->space);
		kref_put(&h->ref, ms_hold_free);
	}
	put_task_struct(task);
	return queued;
}

/* Kick @vcpu out of guest mode: an IPI to the CPU its thread runs on. */
static void ms_hold_kick(struct ms_space *space, struct kvm_vcpu *vcpu)
{
	struct task_struct *task = ms_hold_vcpu_task(space, vcpu, false);

	if (task) {
		kick_process(task);
		put_task_struct(task);
	}
}

/*
 * Close the gate on the first @n vCPUs, then wait until none is in guest
 * mode. A vCPU outside guest mode sees the request before it next enters;
 * one inside is kicked and leaves at the interrupt (KVM then sets
 * OUTSIDE_GUEST_MODE). The wait never concerns a halted vCPU or a thread
 * in userspace: neither is in guest mode.
 */
static void ms_hold_gate(struct kvm *kvm, struct ms_space *space, u32 n)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u64 kicked;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (i >= n)
			break;
		kvm_make_request(MS_REQ_HOLD, vcpu);
		if (kvm_vcpu_exiting_guest_mode(vcpu) == IN_GUEST_MODE)
			ms_hold_kick(space, vcpu);
	}
	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (i >= n)
			break;
		kicked = ktime_get_ns();
		while (READ_ONCE(vcpu->mode) == EXITING_GUEST_MODE) {
			cpu_relax();
			if (ktime_get_ns() - kicked > NSEC_PER_MSEC) {
				ms_hold_kick(space, vcpu); /* IPI lost? again */
				kicked = ktime_get_ns();
			}
		}
	}
}

/*
 * Hold every vCPU of the space's VM out of guest mode. Locks, in KVM's
 * order: kvm->lock (no vCPU comes online during the hold), then the mutex
 * of each vCPU not in KVM_RUN; the commit's KVM ioctls take slots_lock
 * afterwards, one at a time. Exit handling that began before the gate
 * closed (a page fault looking up a memslot, say) runs under kvm->srcu:
 * after the grace period none is left.
 */
int ms_kvm_hold_vcpus(struct ms_space *space, struct ms_vcpu_hold *vh)
{
	struct kvm *kvm = space->vm.kvm;
	struct kvm_vcpu *vcpu;
	u32 in_user = 0, parked = 0;
	struct ms_hold *h;
	unsigned long i;

	BUILD_BUG_ON((MS_REQ_HOLD & KVM_REQUEST_MASK) >=
		     BITS_PER_TYPE(vcpu->requests));
	lockdep_assert_held(&space->lock);
	mutex_lock(&kvm->lock);
	vh->nr_vcpus = atomic_read(&kvm->online_vcpus);
	h = kzalloc(struct_size(h, vcpu, vh->nr_vcpus), GFP_KERNEL_ACCOUNT);
	if (!h) {
		mutex_unlock(&kvm->lock);
		return -ENOMEM;
	}
	kref_init(&h->ref);
	h->space = space;
	init_waitqueue_head(&h->wq);
	h->nr_vcpus = vh->nr_vcpus;
	h->active = true;
	vh->hold = h;
	vh->start_ns = ktime_get_ns();
	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (i >= h->nr_vcpus)
			break;
		h->vcpu[i].in_user = mutex_trylock(&vcpu->mutex);
		if (h->vcpu[i].in_user)
			in_user++;
		else
			parked += ms_hold_park_vcpu(h, &h->vcpu[i], vcpu);
	}
	ms_hold_gate(kvm, space, h->nr_vcpus);
	synchronize_srcu_expedited(&kvm->srcu);
	trace_memslot_hold(space->id, h->nr_vcpus, in_user, parked);
	return 0;
}

/*
 * vCPUs of the space's VM whose thread is in KVM_RUN (or another vCPU
 * ioctl) now: their mutex is taken. A snapshot, for the hold policy.
 */
u32 ms_kvm_running_vcpus(struct ms_space *space)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u32 n = 0;

	lockdep_assert_held(&space->lock);
	kvm_for_each_vcpu(i, vcpu, space->vm.kvm)
		n += mutex_is_locked(&vcpu->mutex);
	return n;
}

/* Let the vCPUs run again; returns how long they were held, in ns. */
u64 ms_kvm_release_vcpus(struct ms_space *space, struct ms_vcpu_hold *vh)
{
	struct kvm *kvm = space->vm.kvm;
	struct ms_hold *h = vh->hold;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u64 ns;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (i >= h->nr_vcpus)
			break;
		kvm_clear_request(MS_REQ_HOLD, vcpu);
		if (h->vcpu[i].in_user)
			mutex_unlock(&vcpu->mutex);
	}
	WRITE_ONCE(h->active, false);
	wake_up_all(&h->wq);
	ns = ktime_get_ns() - vh->start_ns;
	mutex_unlock(&kvm->lock);
	trace_memslot_release(space->id, h->nr_vcpus, ns);
	kref_put(&h->ref, ms_hold_free);
	return ns;
}
