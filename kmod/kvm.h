/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every call into KVM goes through kvm.c and kvm-hold.c, so that a kernel
 * without an exported __kvm_set_memory_region (6.14+) only needs another
 * kvm.c.
 */
#ifndef _MEMSLOT_KVM_H
#define _MEMSLOT_KVM_H

#include <linux/types.h>

struct file;
struct kvm;
struct netlink_ext_ack;
struct nlattr;
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

struct kvm *ms_kvm_get_vm(int fd, struct file **filep,
			  const struct nlattr *attr,
			  struct netlink_ext_ack *extack);
void ms_kvm_put_vm(struct kvm *kvm, struct file *file);
void ms_kvm_put_vm_sync(struct kvm *kvm, struct file *file);
int ms_kvm_ubuf_alloc(struct ms_kvm_ubuf *u, u64 size);
void ms_kvm_ubuf_free(struct ms_kvm_ubuf *u);
int ms_kvm_get_dirty_log(struct ms_space *space, u32 idx,
			 struct ms_kvm_ubuf *u, void __user **bits);
int ms_kvm_clear_dirty_log(struct ms_space *space, u32 idx, u64 first, u64 n,
			   void __user *bits, struct ms_kvm_ubuf *u);
int ms_kvm_check_dirty_protect(const struct ms_binding *vm,
			       const struct nlattr *attr,
			       struct netlink_ext_ack *extack);
int ms_kvm_set_dirty_protect(const struct ms_binding *vm);
u32 ms_kvm_nr_as_ids(struct kvm *kvm);
u32 ms_kvm_max_user_slots(void);
void ms_kvm_lock(struct ms_space *space);
void ms_kvm_unlock(struct ms_space *space);
int ms_kvm_set_slot(struct ms_space *space, u32 idx,
		    const struct ms_slot_state *st);
void ms_kvm_unmap_range(struct ms_space *space, struct ms_mrange *mr);
int ms_kvm_hold_vcpus(struct ms_space *space, struct ms_vcpu_hold *h);
u64 ms_kvm_release_vcpus(struct ms_space *space, struct ms_vcpu_hold *h);

#endif /* _MEMSLOT_KVM_H */
