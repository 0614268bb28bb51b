// SPDX-License-Identifier: GPL-2.0
/* The module's only door into KVM. See kvm.h. */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <net/netlink.h>

#include "kvm.h"
#include "range.h"

/*
 * The VM behind @fd in the calling process, referenced, and its file in
 * *@filep (KVM's own ioctls are issued on it). A generic netlink doit runs
 * in the sender's context, so @fd is the caller's own, as rtnetlink
 * resolves IFLA_NET_NS_FD.
 */
struct kvm *ms_kvm_get_vm(int fd, struct file **filep,
			  const struct nlattr *attr,
			  struct netlink_ext_ack *extack)
{
	struct kvm *kvm = ERR_PTR(-EINVAL);
	struct fd f;

	if (fd < 0) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr, "vm-fd %d is not a file descriptor", fd);
		return ERR_PTR(-EBADF);
	}
	f = fdget(fd);
	if (!fd_file(f)) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr, "vm-fd %d is not open", fd);
		return ERR_PTR(-EBADF);
	}
	if (!file_is_kvm(fd_file(f))) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr, "vm-fd %d is not a KVM VM", fd);
		goto out_fdput;
	}
	kvm = fd_file(f)->private_data;
	if (kvm->mm != current->mm) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr,
					"vm-fd %d: the VM belongs to another process", fd);
		kvm = ERR_PTR(-EPERM);
		goto out_fdput;
	}
	kvm_get_kvm(kvm);
	*filep = get_file(fd_file(f));
out_fdput:
	fdput(f);
	return kvm;
}

void ms_kvm_put_vm(struct kvm *kvm, struct file *file)
{
	fput(file);
	kvm_put_kvm(kvm);
}

/*
 * The same from the teardown worker (a kernel thread), where fput() would
 * defer the file's release, and the VM's with it, to a later work: the VM
 * goes now if the space held the last reference, as before the space had
 * its file.
 */
void ms_kvm_put_vm_sync(struct kvm *kvm, struct file *file)
{
	WARN_ON_ONCE(!(current->flags & PF_KTHREAD));
	__fput_sync(file);
	kvm_put_kvm(kvm);
}

/*
 * A scratch buffer in the caller's own address space, for KVM's ioctls,
 * which take user addresses. The caller is the VMM (the space's owner,
 * whose mm is the VM's): its other threads could write the buffer, which
 * changes only what KVM tells that VMM about its own VM.
 */
int ms_kvm_ubuf_alloc(struct ms_kvm_ubuf *u, u64 size)
{
	unsigned long addr;

	addr = vm_mmap(NULL, 0, PAGE_ALIGN(size), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	u->addr = addr;
	u->size = PAGE_ALIGN(size);
	return 0;
}

void ms_kvm_ubuf_free(struct ms_kvm_ubuf *u)
{
	if (u->size)
		vm_munmap(u->addr, u->size);
	u->size = 0;
}

/*
 * VM ioctl @cmd through the VM file, its @len-byte request @req copied to
 * the head of @u, in the owner's context (KVM refuses any other mm).
 */
static int ms_kvm_vm_ioctl(struct ms_space *space, unsigned int cmd,
			   const void *req, size_t len, struct ms_kvm_ubuf *u)
{
	struct file *file = space->vm.file;

	if (current->mm != space->vm.kvm->mm)
		return -EPERM;
	if (copy_to_user((void __user *)u->addr, req, len))
		return -EFAULT;
	return file->f_op->unlocked_ioctl(file, cmd, u->addr);
}

/*
 * KVM_GET_DIRTY_LOG of slot @idx through the VM file: KVM copies the
 * slot's log to the user bitmap *@bits in @u, and resets it unless the VM
 * has manual protect (see ms_kvm_clear_dirty_log()). The caller
 * runs in the owner's context and does not hold slots_lock.
 */
int ms_kvm_get_dirty_log(struct ms_space *space, u32 idx,
			 struct ms_kvm_ubuf *u, void __user **bits)
{
	struct kvm_dirty_log log = {
		.slot = (space->vm.as_id << 16) | (space->vm.slot_base + idx),
		.dirty_bitmap = (void __user *)(u->addr + MS_KVM_UBUF_HDR),
	};

	*bits = log.dirty_bitmap;
	return ms_kvm_vm_ioctl(space, KVM_GET_DIRTY_LOG, &log, sizeof(log), u);
}

/*
 * KVM_CLEAR_DIRTY_LOG of pages [first, first + n) of slot @idx through the
 * VM file (manual protect): KVM clears the bits set in the user bitmap
 * @bits (bit 0: page @first) and write-protects those pages again; @first
 * is a multiple of 64, and so is @n unless the range ends the slot.
 */
int ms_kvm_clear_dirty_log(struct ms_space *space, u32 idx, u64 first, u64 n,
			   void __user *bits, struct ms_kvm_ubuf *u)
{
	struct kvm_clear_dirty_log log = {
		.slot = (space->vm.as_id << 16) | (space->vm.slot_base + idx),
		.num_pages = n,
		.first_page = first,
		.dirty_bitmap = bits,
	};

	return ms_kvm_vm_ioctl(space, KVM_CLEAR_DIRTY_LOG, &log, sizeof(log), u);
}

/* Does the VM's KVM offer the dirty-log mode @vm->dirty_protect? */
int ms_kvm_check_dirty_protect(const struct ms_binding *vm,
			       const struct nlattr *attr,
			       struct netlink_ext_ack *extack)
{
	struct file *file = vm->file;
	long offered;

	offered = file->f_op->unlocked_ioctl(file, KVM_CHECK_EXTENSION,
					     KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (offered < 0)
		return offered;
	if (vm->dirty_protect & ~offered) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, attr,
					"dirty-log-protect 0x%x: this VM's KVM offers 0x%lx",
					vm->dirty_protect, offered);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Set the VM's dirty-log mode to @vm->dirty_protect (checked above) with
 * KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2). In the owner's
 * context, once the binding's slot block is claimed.
 */
int ms_kvm_set_dirty_protect(const struct ms_binding *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args[0] = vm->dirty_protect,
	};
	struct file *file = vm->file;
	struct ms_kvm_ubuf u;
	int err;

	err = ms_kvm_ubuf_alloc(&u, sizeof(cap));
	if (err)
		return err;
	if (copy_to_user((void __user *)u.addr, &cap, sizeof(cap)))
		err = -EFAULT;
	else
		err = file->f_op->unlocked_ioctl(file, KVM_ENABLE_CAP, u.addr);
	ms_kvm_ubuf_free(&u);
	return err;
}

u32 ms_kvm_nr_as_ids(struct kvm *kvm)
{
	return memslot_compat_nr_as_ids(kvm);
}

u32 ms_kvm_max_user_slots(void)
{
	return KVM_USER_MEM_SLOTS;
}

/* The VM's slots_lock, held across a commit (one hold for all its steps). */
void ms_kvm_lock(struct ms_space *space)
{
	lockdep_assert_held(&space->lock);
	mutex_lock(&space->vm.kvm->slots_lock);
}

void ms_kvm_unlock(struct ms_space *space)
{
	mutex_unlock(&space->vm.kvm->slots_lock);
}

/*
 * Make slot @idx of the space's block look like @st (size 0: delete it).
 * KVM moves a slot or changes its dirty-logging flag in one step; anything
 * else on an existing slot is the caller's delete + create.
 */
int ms_kvm_set_slot(struct ms_space *space, u32 idx,
		    const struct ms_slot_state *st)
{
	struct memslot_compat_region mem = {
		.slot = (space->vm.as_id << 16) | (space->vm.slot_base + idx),
		.flags = st->size ? st->kvm_flags : 0,
		.guest_phys_addr = st->gpa,
		.memory_size = st->size,
		.userspace_addr = st->size ? st->hva : 0,
	};

	lockdep_assert_held(&space->vm.kvm->slots_lock);
	return __kvm_set_memory_region(space->vm.kvm, &mem);
}

/*
 * Delete every slot of @mr; used on teardown, where nothing can fail. A
 * slot KVM no longer has (the VMM deleted it itself) is gone already; the
 * refusal is counted as a KVM error, not a bug. The caller holds
 * ms_kvm_lock().
 */
void ms_kvm_unmap_range(struct ms_space *space, struct ms_mrange *mr)
{
	struct ms_slot_state none = { 0 };
	u32 i;

	for (i = 0; i < mr->nr_slots; i++)
		if (ms_kvm_set_slot(space, mr->slots[i], &none))
			space->stats.failed++;
	ms_range_give_slots(space, mr);
}
