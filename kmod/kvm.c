// SPDX-License-Identifier: GPL-2.0
/*
 * The module's door into KVM, with kvm-hold.c (see kvm.h). Everything
 * here is KVM's public ABI, the same on every kernel: the VM file's own
 * ioctls (KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG, KVM_CHECK_EXTENSION, KVM_ENABLE_CAP), issued in
 * the VMM's context, plus kvm_get_kvm() and kvm_put_kvm(), which KVM
 * exports to every GPL module. KVM checks that an ioctl comes from the
 * VM's own address space and takes its arguments from user memory: the
 * module keeps a scratch buffer in the VMM's address space for them
 * (ms_kvm_ubuf_reserve()). Documentation/design.rst, "One door into KVM",
 * lists each interaction and what a future kernel would have to change
 * to break it.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/magic.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "kvm.h"
#include "range.h"

/*
 * Is @file a VM as KVM_CREATE_VM makes them: an anonymous-inode file
 * named "kvm-vm"? Only kernel code names anonymous inodes, and no other
 * code uses that name, so its private data is KVM's struct kvm.
 */
static bool ms_kvm_file_is_vm(struct file *file)
{
	return file->f_inode->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file_dentry(file)->d_name.name, "kvm-vm") &&
	       file->f_op->unlocked_ioctl;
}

/*
 * The VM behind @fd in the calling process, referenced, and its file in
 * *@filep (KVM's own ioctls are issued on it). A generic netlink doit runs
 * in the sender's context, so @fd is the caller's own, as rtnetlink
 * resolves IFLA_NET_NS_FD. -EBADF: not open; -EINVAL: not a KVM VM;
 * -EPERM: another process's VM.
 */
struct kvm *ms_kvm_get_vm(int fd, struct file **filep)
{
	struct kvm *kvm = ERR_PTR(-EINVAL);
	struct fd f = fdget(fd);

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	if (!ms_kvm_file_is_vm(fd_file(f)))
		goto out_fdput;
	kvm = fd_file(f)->private_data;
	if (kvm->mm != current->mm) {
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
 * Make the space's kept scratch (in the owner's address space) at least
 * @size bytes, before a commit or a dirty-log read needs it.
 */
int ms_kvm_ubuf_reserve(struct ms_space *space, u64 size)
{
	lockdep_assert_held(&space->lock);
	if (space->ubuf.size >= size)
		return 0;
	ms_kvm_ubuf_free(&space->ubuf);
	return ms_kvm_ubuf_alloc(&space->ubuf, size);
}

/*
 * VM ioctl @cmd on @file, its @len-byte request @req copied to the head of
 * @u, in the VM's own address space (KVM refuses any other).
 */
static long ms_kvm_file_ioctl(struct file *file, struct kvm *kvm,
			      unsigned int cmd, const void *req, size_t len,
			      const struct ms_kvm_ubuf *u)
{
	if (current->mm != kvm->mm)
		return -EPERM;
	if (len > u->size)
		return -ENOBUFS;
	if (copy_to_user((void __user *)u->addr, req, len))
		return -EFAULT;
	return file->f_op->unlocked_ioctl(file, cmd, u->addr);
}

static int ms_kvm_vm_ioctl(struct ms_space *space, unsigned int cmd,
			   const void *req, size_t len,
			   const struct ms_kvm_ubuf *u)
{
	return ms_kvm_file_ioctl(space->vm.file, space->vm.kvm, cmd, req, len,
				 u);
}

/* KVM_CHECK_EXTENSION on the VM (its argument is a value, not memory). */
static long ms_kvm_check_extension(const struct ms_binding *vm, long cap)
{
	return vm->file->f_op->unlocked_ioctl(vm->file, KVM_CHECK_EXTENSION,
					      cap);
}

static u32 ms_kvm_slot_id(const struct ms_space *space, u32 idx)
{
	return (space->vm.as_id << 16) | (space->vm.slot_base + idx);
}

/*
 * KVM_GET_DIRTY_LOG of slot @idx through the VM file: KVM copies the
 * slot's log to the user bitmap *@bits in @u, and resets it unless the VM
 * has manual protect (see ms_kvm_clear_dirty_log()). The caller runs in
 * the owner's context.
 */
int ms_kvm_get_dirty_log(struct ms_space *space, u32 idx,
			 const struct ms_kvm_ubuf *u, void __user **bits)
{
	struct kvm_dirty_log log = {
		.slot = ms_kvm_slot_id(space, idx),
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
			   void __user *bits, const struct ms_kvm_ubuf *u)
{
	struct kvm_clear_dirty_log log = {
		.slot = ms_kvm_slot_id(space, idx),
		.num_pages = n,
		.first_page = first,
		.dirty_bitmap = bits,
	};

	return ms_kvm_vm_ioctl(space, KVM_CLEAR_DIRTY_LOG, &log, sizeof(log), u);
}

/*
 * Does the VM's KVM offer the dirty-log mode @vm->dirty_protect? 0, or
 * -EOPNOTSUPP with what it offers in *@offered.
 */
int ms_kvm_check_dirty_protect(const struct ms_binding *vm, u32 *offered)
{
	long caps = ms_kvm_check_extension(vm,
					   KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	if (caps < 0)
		return caps;
	*offered = caps;
	return vm->dirty_protect & ~caps ? -EOPNOTSUPP : 0;
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
	struct ms_kvm_ubuf u;
	int err;

	err = ms_kvm_ubuf_alloc(&u, sizeof(cap));
	if (err)
		return err;
	err = ms_kvm_file_ioctl(vm->file, vm->kvm, KVM_ENABLE_CAP, &cap,
				sizeof(cap), &u);
	ms_kvm_ubuf_free(&u);
	return err;
}

/* Memslot address spaces of the VM (KVM_CAP_MULTI_ADDRESS_SPACE; 1 if none). */
u32 ms_kvm_nr_as_ids(const struct ms_binding *vm)
{
	long n = ms_kvm_check_extension(vm, KVM_CAP_MULTI_ADDRESS_SPACE);

	return n > 0 ? n : 1;
}

/* User memslots a VM of this KVM may have (KVM_CAP_NR_MEMSLOTS). */
u32 ms_kvm_max_user_slots(const struct ms_binding *vm)
{
	long n = ms_kvm_check_extension(vm, KVM_CAP_NR_MEMSLOTS);

	return n > 0 ? n : 0;
}

/*
 * Make slot @idx of the space's block look like @st (size 0: delete it),
 * with KVM_SET_USER_MEMORY_REGION through the VM file, whose request goes
 * in the space's scratch (reserved). KVM moves a slot or changes its
 * dirty-logging flag in one step; anything else on an existing slot is
 * the caller's delete + create. Each call takes KVM's slots_lock itself.
 */
int ms_kvm_set_slot(struct ms_space *space, u32 idx,
		    const struct ms_slot_state *st)
{
	struct kvm_userspace_memory_region mem = {
		.slot = ms_kvm_slot_id(space, idx),
		.flags = st->size ? st->kvm_flags : 0,
		.guest_phys_addr = st->gpa,
		.memory_size = st->size,
		.userspace_addr = st->size ? st->hva : 0,
	};

	lockdep_assert_held(&space->lock);
	return ms_kvm_vm_ioctl(space, KVM_SET_USER_MEMORY_REGION, &mem,
			       sizeof(mem), &space->ubuf);
}

/*
 * From the teardown worker, a kernel thread: enter the VM's address space
 * (kthread_use_mm()), so that KVM takes the VM file's ioctls from it, as
 * vhost does for its workers. NULL if the VMM's address space is gone:
 * then no process can issue an ioctl on the VM any more, and its slots go
 * with it. Else the caller leaves with ms_kvm_leave_mm() and, outside its
 * locks, drops the address space with mmput(): it may be the last user
 * (a thread of the VMM such as KVM's own vhost task outlived the socket),
 * and the VMM's memory then goes in the worker, not in a later work.
 */
struct mm_struct *ms_kvm_enter_mm(struct ms_space *space)
{
	struct mm_struct *mm = space->vm.kvm->mm;

	if (WARN_ON_ONCE(!(current->flags & PF_KTHREAD)) ||
	    !mmget_not_zero(mm))
		return NULL;
	kthread_use_mm(mm);
	return mm;
}

void ms_kvm_leave_mm(struct mm_struct *mm)
{
	kthread_unuse_mm(mm);
}

/*
 * Delete every slot of @mr; used on teardown, in the VM's address space,
 * where nothing can fail. A slot KVM no longer has (the VMM deleted it
 * itself) is gone already; the refusal is counted as a KVM error, not a
 * bug.
 */
void ms_kvm_unmap_range(struct ms_space *space, struct ms_mrange *mr)
{
	struct ms_slot_state none = { 0 };
	u32 i;

	for (i = 0; i < mr->nr_slots; i++)
		if (ms_kvm_set_slot(space, mr->slots[i], &none))
			space->stats.failed++;
}
