/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every call into KVM goes through kvm.c and kvm-hold.c, the only files
 * that know KVM. They rest on KVM's public ABI (the VM file's ioctls) and
 * on symbols exported to every GPL module, the same on every kernel; they
 * take and return plain values (netlink.c turns errors into extack).
 */
#ifndef _MEMSLOT_KVM_H
#define _MEMSLOT_KVM_H

#include <linux/types.h>

struct file;
struct kvm;
struct ms_binding;
struct ms_space;
struct ms_mrange;
struct ms_slot_state;

struct ms_hold;

/* vCPUs held out of guest mode for a commit; see ms_kvm_hold_vcpus(). */
struct ms_vcpu_hold {
	struct ms_hold *hold;
	u32 nr_vcpus;		/* online when the hold began */
	u64 start_ns;
};

/* A scratch buffer in the caller's address space; see ms_kvm_ubuf_alloc(). */
struct ms_kvm_ubuf {
	unsigned long addr;
	u64 size;
};

/* A dirty log's bitmap goes this far into the buffer, after the request. */
#define MS_KVM_UBUF_HDR		64

struct kvm *ms_kvm_get_vm(int fd, struct file **filep);
void ms_kvm_put_vm(struct kvm *kvm, struct file *file);
void ms_kvm_put_vm_sync(struct kvm *kvm, struct file *file);
int ms_kvm_ubuf_alloc(struct ms_kvm_ubuf *u, u64 size);
void ms_kvm_ubuf_free(struct ms_kvm_ubuf *u);
int ms_kvm_ubuf_reserve(struct ms_space *space, u64 size);
int ms_kvm_get_dirty_log(struct ms_space *space, u32 idx,
			 const struct ms_kvm_ubuf *u, void __user **bits);
int ms_kvm_clear_dirty_log(struct ms_space *space, u32 idx, u64 first, u64 n,
			   void __user *bits, const struct ms_kvm_ubuf *u);
int ms_kvm_check_dirty_protect(const struct ms_binding *vm, u32 *offered);
int ms_kvm_set_dirty_protect(const struct ms_binding *vm);
u32 ms_kvm_nr_as_ids(const struct ms_binding *vm);
u32 ms_kvm_max_user_slots(const struct ms_binding *vm);
int ms_kvm_set_slot(struct ms_space *space, u32 idx,
		    const struct ms_slot_state *st);
struct mm_struct *ms_kvm_enter_mm(struct ms_space *space);
void ms_kvm_leave_mm(struct mm_struct *mm);
void ms_kvm_unmap_range(struct ms_space *space, struct ms_mrange *mr);
int ms_kvm_hold_vcpus(struct ms_space *space, struct ms_vcpu_hold *h);
u64 ms_kvm_release_vcpus(struct ms_space *space, struct ms_vcpu_hold *h);
u32 ms_kvm_running_vcpus(struct ms_space *space);

#endif /* _MEMSLOT_KVM_H */
