// SPDX-License-Identifier: GPL-2.0
/* The module's only door into KVM. See kvm.h. */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/sched.h>
#include <net/netlink.h>

#include "kvm.h"

/*
 * The VM behind @fd in the calling process, referenced. A generic netlink
 * doit runs in the sender's context, so @fd is the caller's own, as
 * rtnetlink resolves IFLA_NET_NS_FD.
 */
struct kvm *ms_kvm_get_vm(int fd, const struct nlattr *attr,
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
out_fdput:
	fdput(f);
	return kvm;
}

void ms_kvm_put_vm(struct kvm *kvm)
{
	kvm_put_kvm(kvm);
}

u32 ms_kvm_nr_as_ids(struct kvm *kvm)
{
	return memslot_compat_nr_as_ids(kvm);
}

u32 ms_kvm_max_user_slots(void)
{
	return KVM_USER_MEM_SLOTS;
}
