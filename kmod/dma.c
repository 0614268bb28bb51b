// SPDX-License-Identifier: GPL-2.0
/*
 * DMA: a VFIO IOMMU backend ("memslot", type MEMSLOT_VFIO_IOMMU) whose
 * mappings come from the ranges of the space its container is bound to.
 * VFIO calls the ops below with the container's locks held; the IOMMU
 * domain is shared by the container's groups. Ranges flagged DMA are
 * mapped at IOVA = GPA from their backing's pinned pages (pin.c).
 *
 * Binding: MEMSLOT_VFIO_BIND on the container fd names a space of the
 * calling process. ms_dma_bind_lock protects the pairing of space and
 * container; it nests inside the space's lock.
 */
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <uapi/linux/memslot_vfio.h>

#include "vfio_internal.h"	/* drivers/vfio/vfio.h of the kernel source */

#include "dma.h"
#include "pin.h"
#include "space.h"

/* One container using the backend. */
struct ms_dma {
	struct mutex lock;		/* protects domain */
	struct iommu_domain *domain;	/* from the first group's bus */
	struct ms_space *space;		/* under ms_dma_bind_lock */
};

static DEFINE_MUTEX(ms_dma_bind_lock);

static void *ms_dma_open(unsigned long arg)
{
	struct ms_dma *dma;

	if (arg != MEMSLOT_VFIO_IOMMU)
		return ERR_PTR(-EINVAL);
	dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);
	if (!dma)
		return ERR_PTR(-ENOMEM);
	mutex_init(&dma->lock);
	return dma;
}

/* Undo the pairing of @space (locked) and its container. */
static void ms_dma_unpair(struct ms_space *space)
{
	lockdep_assert_held(&space->lock);
	mutex_lock(&ms_dma_bind_lock);
	if (space->dma)
		space->dma->space = NULL;
	space->dma = NULL;
	mutex_unlock(&ms_dma_bind_lock);
}

/*
 * The container goes: unbind its space (whose DMA ranges stay pinned, but
 * mapped nowhere), then free the domain and its mappings.
 */
static void ms_dma_release(void *data)
{
	struct ms_dma *dma = data;
	struct ms_space *space;

	mutex_lock(&ms_dma_bind_lock);
	space = dma->space;
	if (space)
		kref_get(&space->ref); /* paired: alive until it unpairs */
	mutex_unlock(&ms_dma_bind_lock);
	if (space) {
		mutex_lock(&space->lock);
		if (space->dma == dma)
			ms_dma_unbind_space(space);
		mutex_unlock(&space->lock);
		ms_space_put(space);
	}
	if (dma->domain)
		iommu_domain_free(dma->domain);
	mutex_destroy(&dma->lock);
	kfree(dma);
}

/* The space of the caller named by @id, bound to @dma. */
static long ms_dma_bind(struct ms_dma *dma, u32 id)
{
	struct ms_space *space = ms_space_get_by_id(id);
	long err = 0;

	if (!space)
		return -ENOENT;
	if (space->owner.tgid != task_tgid(current)) {
		ms_space_put(space);
		return -ENOENT;
	}
	mutex_lock(&space->lock);
	mutex_lock(&ms_dma_bind_lock);
	if (!ms_space_live(space)) {
		err = -ENOENT; /* being destroyed */
	} else if (space->dma || dma->space) {
		err = -EBUSY;
	} else {
		space->dma = dma;
		dma->space = space;
	}
	mutex_unlock(&ms_dma_bind_lock);
	mutex_unlock(&space->lock);
	ms_space_put(space);
	return err;
}

static long ms_dma_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct memslot_vfio_bind bind;

	if (cmd == VFIO_CHECK_EXTENSION)
		return arg == MEMSLOT_VFIO_IOMMU;
	if (!data || cmd != MEMSLOT_VFIO_BIND)
		return -ENOTTY;
	if (copy_from_user(&bind, (void __user *)arg, sizeof(bind)))
		return -EFAULT;
	if (bind.argsz < sizeof(bind) || bind.flags || bind.pad)
		return -EINVAL;
	return ms_dma_bind(data, bind.space_id);
}

static int ms_dma_first_dev(struct device *dev, void *data)
{
	*(struct device **)data = dev;
	return 1;
}

static int ms_dma_attach_group(void *data, struct iommu_group *group,
			       enum vfio_group_type type)
{
	struct ms_dma *dma = data;
	struct device *dev = NULL;
	int err;

	if (type != VFIO_IOMMU)
		return -EINVAL;
	mutex_lock(&dma->lock);
	if (!dma->domain) {
		iommu_group_for_each_dev(group, &dev, ms_dma_first_dev);
		dma->domain = dev ? iommu_domain_alloc(dev->bus) : NULL;
	}
	err = dma->domain ? iommu_attach_group(dma->domain, group) : -ENODEV;
	mutex_unlock(&dma->lock);
	return err;
}

static void ms_dma_detach_group(void *data, struct iommu_group *group)
{
	struct ms_dma *dma = data;

	mutex_lock(&dma->lock);
	iommu_detach_group(dma->domain, group);
	mutex_unlock(&dma->lock);
}

static const struct vfio_iommu_driver_ops ms_dma_ops = {
	.name		= "memslot",
	.owner		= THIS_MODULE,
	.open		= ms_dma_open,
	.release	= ms_dma_release,
	.ioctl		= ms_dma_ioctl,
	.attach_group	= ms_dma_attach_group,
	.detach_group	= ms_dma_detach_group,
};

int ms_dma_init(void)
{
	return vfio_register_iommu_driver(&ms_dma_ops);
}

void ms_dma_exit(void)
{
	vfio_unregister_iommu_driver(&ms_dma_ops);
}

/* The space's domain, or NULL (no container, or no group yet). */
static struct iommu_domain *ms_dma_domain(struct ms_space *space)
{
	lockdep_assert_held(&space->lock);
	return space->dma ? space->dma->domain : NULL;
}

/*
 * Map @mr at IOVA = GPA from its backing's pinned pages, in runs of
 * physically contiguous pages, with the permissions of range @flags. All
 * or nothing.
 */
int ms_dma_map(struct ms_space *space, struct ms_mrange *mr, u32 flags)
{
	struct iommu_domain *domain = ms_dma_domain(space);
	struct page **pages = mr->backing->pins->pages;
	u64 first = mr->offset >> PAGE_SHIFT, n = mr->r.size >> PAGE_SHIFT;
	int prot = IOMMU_READ | IOMMU_CACHE, err = 0;
	u64 i, run;

	if (!domain)
		return 0;
	if (!(flags & MEMSLOT_RANGE_FLAGS_READONLY))
		prot |= IOMMU_WRITE;
	for (i = 0; i < n && !err; i += run) {
		for (run = 1; i + run < n &&
		     page_to_pfn(pages[first + i + run]) ==
		     page_to_pfn(pages[first + i]) + run; run++)
			;
		err = memslot_compat_iommu_map(domain,
					       mr->r.gpa + (i << PAGE_SHIFT),
					       page_to_phys(pages[first + i]),
					       run << PAGE_SHIFT, prot);
	}
	if (err) {
		if (i > run)
			iommu_unmap(domain, mr->r.gpa, (i - run) << PAGE_SHIFT);
		return err;
	}
	mr->dma_mapped = true;
	return 0;
}

void ms_dma_unmap(struct ms_space *space, struct ms_mrange *mr)
{
	struct iommu_domain *domain = ms_dma_domain(space);

	if (mr->dma_mapped && domain)
		WARN_ON_ONCE(iommu_unmap(domain, mr->r.gpa, mr->r.size) !=
			     mr->r.size);
	mr->dma_mapped = false;
}

/* A DMA range goes for good (teardown, or removed by a commit). */
void ms_dma_release_range(struct ms_space *space, struct ms_mrange *mr)
{
	ms_dma_unmap(space, mr);
	if (mr->pinned)
		ms_unpin(space, mr->backing, mr->offset, mr->r.size);
	mr->pinned = false;
}

/* Unbind the space's container (locked space); mappings go, pins stay. */
void ms_dma_unbind_space(struct ms_space *space)
{
	struct ms_mrange *mr;
	unsigned long id;

	lockdep_assert_held(&space->lock);
	xa_for_each(&space->ranges, id, mr)
		ms_dma_unmap(space, mr);
	ms_dma_unpair(space);
}
