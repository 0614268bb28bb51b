/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version shims for the out-of-tree build: the only place that may
 * care which kernel it is built for. Kbuild force-includes it into every
 * object. Shims test for the feature itself, not for a version number.
 */
#ifndef _MEMSLOT_COMPAT_H
#define _MEMSLOT_COMPAT_H

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/netlink.h>

/* 6.12 hides struct fd's file behind fd_file(); 6.1 has a plain member. */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * iommu_map() takes a gfp_t from 6.3. No macro tells, so this one shim
 * tests the version.
 */
#include <linux/iommu.h>
#include <linux/version.h>
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define memslot_compat_iommu_map(d, iova, pa, size, prot) \
	iommu_map(d, iova, pa, size, prot, GFP_KERNEL_ACCOUNT)
#else
#define memslot_compat_iommu_map(d, iova, pa, size, prot) \
	iommu_map(d, iova, pa, size, prot)
#endif

/*
 * Interrupt isolation of a group: iommu_group_has_isolated_msi() from
 * 6.3; before, VFIO type1's own test (an MSI-remapping irq domain, or a
 * device whose IOMMU remaps interrupts).
 */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define memslot_compat_group_isolated_msi(g) iommu_group_has_isolated_msi(g)
#else
#include <linux/irqdomain.h>
static inline int memslot_compat_intr_remap(struct device *dev, void *data)
{
	return device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
}

#define memslot_compat_group_isolated_msi(g) \
	(irq_domain_check_msi_remap() || \
	 iommu_group_for_each_dev(g, NULL, memslot_compat_intr_remap))
#endif

/*
 * The container's IOMMU domain: a paging domain for the device from 6.11
 * (7.x has no iommu_domain_alloc()), on the device's bus before. NULL on
 * failure either way.
 */
#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
static inline struct iommu_domain *memslot_compat_domain_alloc(struct device *dev)
{
	struct iommu_domain *d = iommu_paging_domain_alloc(dev);

	return IS_ERR(d) ? NULL : d;
}
#else
#define memslot_compat_domain_alloc(dev) iommu_domain_alloc((dev)->bus)
#endif

/*
 * The generator (6.12) emits const range structs for NLA_POLICY_FULL_RANGE,
 * which 6.1's struct nla_policy points to without const: one cast, harmless
 * where the pointer is const.
 */
#include <net/netlink.h>
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {		\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),	\
	.validation_type = NLA_VALIDATE_RANGE_PTR,	\
	.range = (void *)(_range),			\
}

#ifndef NL_SET_ERR_MSG_FMT

/*
 * 6.1 has no per-request buffer for formatted extack messages
 * (netlink_ext_ack::_msg_buf, 6.2). compat.c formats into a buffer of the
 * sending thread instead, never shared with another thread.
 */
#define MEMSLOT_COMPAT_MSG_LEN		80
__printf(2, 3) void memslot_compat_msg_fmt(struct netlink_ext_ack *extack,
					   const char *fmt, ...);
void memslot_compat_exit(void);

#define NL_SET_ERR_MSG_FMT(extack, fmt, args...) \
	memslot_compat_msg_fmt(extack, fmt, ##args)

#define NL_SET_ERR_MSG_ATTR_FMT(extack, attr, fmt, args...) do {	\
	struct netlink_ext_ack *__e = (extack);				\
									\
	if (__e)							\
		__e->bad_attr = (attr);					\
	NL_SET_ERR_MSG_FMT(__e, fmt, ##args);				\
} while (0)
#define MEMSLOT_COMPAT_NEED_MSG_BUF 1
#else
static inline void memslot_compat_exit(void)
{
}
#endif

#endif /* _MEMSLOT_COMPAT_H */
