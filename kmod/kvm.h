/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every call into KVM goes through kvm.c, so that a kernel without an
 * exported __kvm_set_memory_region (6.14+) only needs another kvm.c.
 */
#ifndef _MEMSLOT_KVM_H
#define _MEMSLOT_KVM_H

#include <linux/types.h>

struct kvm;
struct netlink_ext_ack;
struct nlattr;

struct kvm *ms_kvm_get_vm(int fd, const struct nlattr *attr,
			  struct netlink_ext_ack *extack);
void ms_kvm_put_vm(struct kvm *kvm);
u32 ms_kvm_nr_as_ids(struct kvm *kvm);
u32 ms_kvm_max_user_slots(void);

#endif /* _MEMSLOT_KVM_H */
