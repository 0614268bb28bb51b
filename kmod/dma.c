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
 * container; it nests inside the space's lock. The container's release
 * (under VFIO's locks) never takes a space lock: it unpairs, and the space
 * drops its reference to the container the next time it looks.
 *
 * Attaching a group makes the checks VFIO type1 makes: interrupts must be
 * isolated (MSI remapping) unless allow_unsafe_interrupts, the group's
 * reserved IOVA regions are never mapped, and a container maps at most
 * dma_entry_limit ranges.
 */
#include <linux/iommu.h>
#include <linux/list_sort.h>
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

static bool ms_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, ms_allow_unsafe_interrupts, bool,
		   0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Attach devices whose MSIs the IOMMU does not isolate (unsafe)");

static unsigned int ms_dma_entry_limit = U16_MAX;
module_param_named(dma_entry_limit, ms_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit, "DMA ranges one space may map");

/**
 * struct ms_dma - one container using the backend
 * @ref: the container's, and its space's while the space points to it
 * @lock: see the member
 * @domain: from the first group's device; freed with the last reference
 * @groups: groups attached
 * @resv: reserved IOVA regions of the attached groups (iommu_resv_region)
 * @space: the space paired with the container, under ms_dma_bind_lock
 */
struct ms_dma {
	struct kref ref;
	struct mutex lock;		/* protects domain, groups, resv */
	struct iommu_domain *domain;
	u32 groups;
	struct list_head resv;
	struct ms_space *space;
};

static DEFINE_MUTEX(ms_dma_bind_lock);

static void ms_dma_free(struct kref *ref)
{
	struct ms_dma *dma = container_of(ref, struct ms_dma, ref);

	if (dma->domain)
		iommu_domain_free(dma->domain);
	iommu_put_resv_regions(NULL, &dma->resv);
	mutex_destroy(&dma->lock);
	kfree(dma);
}

static void *ms_dma_open(unsigned long arg)
{
	struct ms_dma *dma;

	if (arg != MEMSLOT_VFIO_IOMMU)
		return ERR_PTR(-EINVAL);
	dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);
	if (!dma)
		return ERR_PTR(-ENOMEM);
	kref_init(&dma->ref);
	mutex_init(&dma->lock);
	INIT_LIST_HEAD(&dma->resv);
	return dma;
}

/* Is @space's container still there (not released)? */
static bool ms_dma_paired(struct ms_space *space)
{
	lockdep_assert_held(&space->lock);
	return space->dma && READ_ONCE(space->dma->space) == space;
}

/* Undo the pairing of @space (locked) and its container. */
static void ms_dma_unpair(struct ms_space *space)
{
	struct ms_dma *dma = space->dma;

	lockdep_assert_held(&space->lock);
	if (!dma)
		return;
	mutex_lock(&ms_dma_bind_lock);
	if (dma->space == space)
		dma->space = NULL;
	space->dma = NULL;
	mutex_unlock(&ms_dma_bind_lock);
	kref_put(&dma->ref, ms_dma_free);
}

/*
 * The container goes (VFIO calls this under its own locks): unpair it from
 * its space without that space's lock; the domain, and the mappings in
 * it, go with the last reference.
 */
static void ms_dma_release(void *data)
{
	struct ms_dma *dma = data;

	mutex_lock(&ms_dma_bind_lock);
	WRITE_ONCE(dma->space, NULL);
	mutex_unlock(&ms_dma_bind_lock);
	kref_put(&dma->ref, ms_dma_free);
}

static int ms_dma_map_all(struct ms_space *space);

/*
 * Pair @space (locked, live) and @dma, then map the space's DMA ranges in
 * the container: those added while no container was bound, or before an
 * earlier container was released.
 */
static long ms_dma_pair(struct ms_space *space, struct ms_dma *dma)
{
	long err = 0;

	if (space->dma && !ms_dma_paired(space))
		ms_dma_unpair(space); /* its container was released */
	mutex_lock(&ms_dma_bind_lock);
	if (space->dma || dma->space) {
		err = -EBUSY;
	} else {
		kref_get(&dma->ref);
		space->dma = dma;
		dma->space = space;
	}
	mutex_unlock(&ms_dma_bind_lock);
	if (!err) {
		err = ms_dma_map_all(space);
		if (err)
			ms_dma_unpair(space);
	}
	return err;
}

/* The space of the caller named by @id, bound to @dma. */
static long ms_dma_bind(struct ms_dma *dma, u32 id)
{
	struct ms_space *space = ms_space_get_by_id(id);
	long err;

	if (!space)
		return -ENOENT;
	if (space->owner.tgid != task_tgid(current) ||
	    space->owner.mm != current->mm) {
		ms_space_put(space);
		return -ENOENT;
	}
	err = ms_space_lock(space, NULL);
	if (!err) {
		err = ms_dma_pair(space, dma);
		mutex_unlock(&space->lock);
	}
	ms_space_put(space);
	return err;
}

/* Reserved IOVA regions and the aperture, as VFIO type1 reports them. */
static int ms_dma_iova_caps(struct ms_dma *dma, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	u64 start = dma->domain->geometry.aperture_start;
	u64 end = dma->domain->geometry.aperture_end;
	struct iommu_resv_region *r;
	u32 n = 0, max = 1;
	size_t size;
	int err;

	list_for_each_entry(r, &dma->resv, list)
		max++;
	size = struct_size(cap, iova_ranges, max);
	cap = kzalloc(size, GFP_KERNEL);
	if (!cap)
		return -ENOMEM;
	list_for_each_entry(r, &dma->resv, list) { /* sorted, may overlap */
		if (r->start + r->length - 1 < start || r->start > end)
			continue;
		if (r->start > start) {
			cap->iova_ranges[n].start = start;
			cap->iova_ranges[n++].end = r->start - 1;
		}
		start = max_t(u64, start, r->start + r->length);
	}
	if (start <= end) {
		cap->iova_ranges[n].start = start;
		cap->iova_ranges[n++].end = end;
	}
	cap->nr_iovas = n;
	cap->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	cap->header.version = 1;
	err = vfio_info_add_capability(caps, &cap->header,
				       struct_size(cap, iova_ranges, n));
	kfree(cap);
	return err;
}

/* VFIO_IOMMU_GET_INFO: page sizes and usable IOVA ranges, as type1. */
static long ms_dma_get_info(struct ms_dma *dma, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_iommu_type1_info info;
	long err = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = min_t(size_t, info.argsz, sizeof(info));
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.cap_offset = 0;
	mutex_lock(&dma->lock);
	info.iova_pgsizes = dma->domain ? dma->domain->pgsize_bitmap : 0;
	if (dma->domain)
		err = ms_dma_iova_caps(dma, &caps);
	mutex_unlock(&dma->lock);
	if (!err && caps.size) {
		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf, caps.size))
				err = -EFAULT;
			info.cap_offset = sizeof(info);
		}
	}
	kfree(caps.buf);
	if (!err && copy_to_user(arg, &info, minsz))
		err = -EFAULT;
	return err;
}

static long ms_dma_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct memslot_vfio_bind bind;

	if (cmd == VFIO_CHECK_EXTENSION)
		return arg == MEMSLOT_VFIO_IOMMU;
	if (data && cmd == VFIO_IOMMU_GET_INFO)
		return ms_dma_get_info(data, (void __user *)arg);
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

static int ms_resv_cmp(void *priv, const struct list_head *a,
		       const struct list_head *b)
{
	const struct iommu_resv_region *ra, *rb;

	ra = container_of(a, struct iommu_resv_region, list);
	rb = container_of(b, struct iommu_resv_region, list);
	return ra->start < rb->start ? -1 : ra->start > rb->start;
}

/* First attach: the container's domain, on the first device's bus. */
static int ms_dma_alloc_domain(struct ms_dma *dma, struct iommu_group *group)
{
	struct device *dev = NULL;

	iommu_group_for_each_dev(group, &dev, ms_dma_first_dev);
	dma->domain = dev ? memslot_compat_domain_alloc(dev) : NULL;
	return dma->domain ? 0 : -ENODEV;
}

/*
 * Attach a group, with type1's checks. A container already bound to a
 * space takes no new group: its mappings were made without the new
 * group's reserved regions in view.
 */
static int ms_dma_attach_group(void *data, struct iommu_group *group,
			       enum vfio_group_type type)
{
	struct ms_dma *dma = data;
	LIST_HEAD(resv);
	int err;

	if (type != VFIO_IOMMU)
		return -EINVAL;
	if (!ms_allow_unsafe_interrupts &&
	    !memslot_compat_group_isolated_msi(group)) {
		pr_warn("memslot: no interrupt remapping: set memslot.allow_unsafe_interrupts to attach this group\n");
		return -EPERM;
	}
	if (READ_ONCE(dma->space))
		return -EBUSY;
	err = iommu_get_group_resv_regions(group, &resv);
	if (err)
		goto out_put_resv;
	mutex_lock(&dma->lock);
	err = dma->domain ? 0 : ms_dma_alloc_domain(dma, group);
	if (!err)
		err = iommu_attach_group(dma->domain, group);
	if (!err) {
		dma->groups++;
		list_splice_init(&resv, &dma->resv);
		list_sort(NULL, &dma->resv, ms_resv_cmp);
	}
	mutex_unlock(&dma->lock);
out_put_resv:
	iommu_put_resv_regions(NULL, &resv);
	return err;
}

static void ms_dma_detach_group(void *data, struct iommu_group *group)
{
	struct ms_dma *dma = data;

	mutex_lock(&dma->lock);
	iommu_detach_group(dma->domain, group);
	dma->groups--;
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

/*
 * The space's domain, or NULL (no container, one released, or no group
 * yet). The domain is set once, before the container can be bound.
 */
static struct iommu_domain *ms_dma_domain(struct ms_space *space)
{
	return ms_dma_paired(space) ? space->dma->domain : NULL;
}

/*
 * Can @space map [iova, iova + size) for DMA? -ENOTCONN without a
 * container, -EDQUOT past dma_entry_limit (@nr_dma ranges mapped or being
 * added), -EADDRNOTAVAIL in a reserved region or outside the aperture
 * (*@resv_start/@resv_size say which).
 */
int ms_dma_check(struct ms_space *space, u64 iova, u64 size, u32 nr_dma,
		 u64 *resv_start, u64 *resv_size)
{
	struct ms_dma *dma = space->dma;
	struct iommu_resv_region *r;
	int err = 0;

	if (!ms_dma_paired(space))
		return -ENOTCONN;
	if (nr_dma >= READ_ONCE(ms_dma_entry_limit))
		return -EDQUOT;
	mutex_lock(&dma->lock);
	if (dma->domain &&
	    (iova < dma->domain->geometry.aperture_start ||
	     iova + size - 1 > dma->domain->geometry.aperture_end)) {
		*resv_start = dma->domain->geometry.aperture_start;
		*resv_size = dma->domain->geometry.aperture_end - *resv_start + 1;
		err = -ERANGE;
	}
	list_for_each_entry(r, &dma->resv, list) {
		if (err || iova + size <= r->start || r->start + r->length <= iova)
			continue;
		*resv_start = r->start;
		*resv_size = r->length;
		err = -EADDRNOTAVAIL;
	}
	mutex_unlock(&dma->lock);
	return err;
}

/*
 * Bytes one iommu_map() call may cover so that it makes PAGE_SIZE IOPTEs
 * only: an IOMMU driver never makes an entry larger than the call, and the
 * smallest large page the domain offers is above this. Every page of a
 * mapping can then be unmapped alone, exactly, which the page-granular
 * diff of a commit relies on (large IOPTEs are not split by an unmap; see
 * Documentation/design.rst, "DMA mappings").
 */
static u64 ms_dma_call_max(const struct iommu_domain *domain)
{
	unsigned long large = domain->pgsize_bitmap & ~(2 * PAGE_SIZE - 1);

	return large ? (1UL << __ffs(large)) - PAGE_SIZE : U64_MAX;
}

/* Map one run of physically contiguous pages, in calls of at most @max. */
static int ms_dma_map_run(struct iommu_domain *domain, u64 iova,
			  phys_addr_t pa, u64 size, int prot, u64 max,
			  struct ms_dma_counts *cnt)
{
	u64 done, len;
	int err = 0;

	for (done = 0; done < size && !err; done += len) {
		len = min(size - done, max);
		err = memslot_compat_iommu_map(domain, iova + done, pa + done,
					       len, prot);
		cnt->map_calls++;
	}
	if (!err) {
		cnt->map_pages += size >> PAGE_SHIFT;
	} else if (done > len) {
		cnt->unmap_pages += iommu_unmap(domain, iova, done - len) >>
				    PAGE_SHIFT;
		cnt->unmap_calls++;
	}
	return err;
}

/* Unmap IOVAs [iova, iova + size), which ms_dma_map_pages() mapped. */
void ms_dma_unmap_pages(struct ms_space *space, u64 iova, u64 size,
			struct ms_dma_counts *cnt)
{
	struct iommu_domain *domain = ms_dma_domain(space);
	size_t done;

	if (!domain)
		return;
	done = iommu_unmap(domain, iova, size);
	cnt->unmap_calls++;
	cnt->unmap_pages += done >> PAGE_SHIFT;
	if (done != size)
		pr_err_ratelimited("memslot: space %u: unmapped 0x%zx of IOVA 0x%llx+0x%llx\n",
				   space->id, done, iova, size);
}

/*
 * Map IOVAs [iova, iova + size) to the pinned pages at @off of @b,
 * read-only if @ro, in runs of physically contiguous pages. All or
 * nothing; nothing to do without a bound container.
 */
int ms_dma_map_pages(struct ms_space *space, u64 iova, struct ms_backing *b,
		     u64 off, u64 size, bool ro, struct ms_dma_counts *cnt)
{
	struct iommu_domain *domain = ms_dma_domain(space);
	u64 first = off >> PAGE_SHIFT, n = size >> PAGE_SHIFT, i, run, max;
	int prot = IOMMU_READ | IOMMU_CACHE | (ro ? 0 : IOMMU_WRITE);
	unsigned long pfn;
	int err = 0;

	if (!domain)
		return 0;
	max = ms_dma_call_max(domain);
	for (i = 0; i < n && !err; i += run) {
		pfn = page_to_pfn(ms_pin_page(b, first + i));
		for (run = 1; i + run < n &&
		     page_to_pfn(ms_pin_page(b, first + i + run)) == pfn + run;
		     run++)
			;
		err = ms_dma_map_run(domain, iova + (i << PAGE_SHIFT),
				     PFN_PHYS(pfn), run << PAGE_SHIFT, prot, max,
				     cnt);
	}
	if (err && i > run)
		ms_dma_unmap_pages(space, iova, (i - run) << PAGE_SHIFT, cnt);
	return err;
}

static int ms_dma_map_range(struct ms_space *space, struct ms_mrange *mr)
{
	return ms_dma_map_pages(space, mr->r.gpa, mr->backing, mr->offset,
				mr->r.size,
				mr->flags & MEMSLOT_RANGE_FLAGS_READONLY,
				&space->stats.dma);
}

static void ms_dma_unmap_range(struct ms_space *space, struct ms_mrange *mr)
{
	ms_dma_unmap_pages(space, mr->r.gpa, mr->r.size, &space->stats.dma);
}

/* Unmap the DMA ranges of @space, up to (not including) @stop. */
static void ms_dma_unmap_all(struct ms_space *space, struct ms_mrange *stop)
{
	struct ms_mrange *mr;
	unsigned long id;

	xa_for_each(&space->ranges, id, mr) {
		if (mr == stop)
			break;
		if (mr->flags & MEMSLOT_RANGE_FLAGS_DMA)
			ms_dma_unmap_range(space, mr);
	}
}

/* Map every DMA range of a newly paired space; all or nothing. */
static int ms_dma_map_all(struct ms_space *space)
{
	struct ms_mrange *mr;
	unsigned long id;
	int err;

	lockdep_assert_held(&space->lock);
	xa_for_each(&space->ranges, id, mr) {
		if (!(mr->flags & MEMSLOT_RANGE_FLAGS_DMA))
			continue;
		err = ms_dma_map_range(space, mr);
		if (err) {
			ms_dma_unmap_all(space, mr);
			return err;
		}
	}
	return 0;
}

/* Unbind the space's container (locked space); mappings go, pins stay. */
void ms_dma_unbind_space(struct ms_space *space)
{
	lockdep_assert_held(&space->lock);
	ms_dma_unmap_all(space, NULL);
	ms_dma_unpair(space);
}

/* Is a container bound to @space (for space-get)? */
bool ms_dma_bound(struct ms_space *space)
{
	return ms_dma_paired(space);
}
