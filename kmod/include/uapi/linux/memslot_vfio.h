/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * The memslot VFIO IOMMU backend. A VMM selects it on its VFIO container
 * with VFIO_SET_IOMMU(MEMSLOT_VFIO_IOMMU) (after VFIO_GROUP_SET_CONTAINER,
 * as for type1), then binds the container to one of its spaces with
 * MEMSLOT_VFIO_BIND on the container fd. From then on the container's DMA
 * mappings (IOVA = GPA) come only from the space's ranges flagged
 * MEMSLOT_RANGE_FLAGS_DMA, changed by its transactions.
 */
#ifndef _UAPI_LINUX_MEMSLOT_VFIO_H
#define _UAPI_LINUX_MEMSLOT_VFIO_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

/* The IOMMU type: VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU argument. */
#define MEMSLOT_VFIO_IOMMU	0x6d73

/*
 * Bind the container to space @space_id, owned by the calling process.
 * Once per container and per space. -ENOENT: no such space of the caller;
 * -EBUSY: either is bound already.
 */
struct memslot_vfio_bind {
	__u32 argsz;		/* sizeof(struct memslot_vfio_bind) */
	__u32 flags;		/* 0 */
	__u32 space_id;
	__u32 pad;		/* 0 */
};

#define MEMSLOT_VFIO_BIND	_IO(VFIO_TYPE, VFIO_BASE + 64)

#endif /* _UAPI_LINUX_MEMSLOT_VFIO_H */
