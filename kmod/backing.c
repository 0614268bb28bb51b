// SPDX-License-Identifier: GPL-2.0
/*
 * Backings: host virtual memory of the owner that ranges map. A backing is
 * checked once, when registered: page aligned and mapped in the caller's
 * address space. KVM itself resolves the addresses when the guest faults.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "backing.h"
#include "dirty.h"
#include "layout.h"
#include "pin.h"

static unsigned int ms_max_backings = 1024;
module_param_named(max_backings_per_space, ms_max_backings, uint, 0644);
MODULE_PARM_DESC(max_backings_per_space, "Backings one space may register");

/* The first address of [addr, end) not covered by a VMA, or @end. */
static u64 ms_first_unmapped(struct mm_struct *mm, u64 addr, u64 end)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma)
			break;
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return min(addr, end);
}

static int ms_backing_check(u64 addr, u64 size, struct nlattr **tb,
			    struct netlink_ext_ack *extack)
{
	enum ms_range_err err = ms_range_check(addr, size);
	u64 hole;

	if (err) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, tb[MEMSLOT_A_BACKING_ADDR],
					"backing 0x%llx+0x%llx: %s", addr, size,
					ms_range_err_str(err));
		return -EINVAL;
	}
	if (addr + size > TASK_SIZE) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, tb[MEMSLOT_A_BACKING_ADDR],
					"backing 0x%llx+0x%llx is beyond user space",
					addr, size);
		return -EFAULT;
	}
	hole = ms_first_unmapped(current->mm, addr, addr + size);
	if (hole < addr + size) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, tb[MEMSLOT_A_BACKING_ADDR],
					"backing: nothing mapped at 0x%llx", hole);
		return -EFAULT;
	}
	return 0;
}

struct ms_backing *ms_backing_new(struct ms_space *space, u64 addr, u64 size,
				  const char *name, struct nlattr **tb,
				  struct netlink_ext_ack *extack)
{
	struct ms_backing *b;
	int err;

	lockdep_assert_held(&space->lock);
	if (space->nr_backings >= READ_ONCE(ms_max_backings)) {
		NL_SET_ERR_MSG_FMT(extack,
				   "space %u has %u backings already (memslot.max_backings_per_space)",
				   space->id, space->nr_backings);
		return ERR_PTR(-EDQUOT);
	}
	err = ms_backing_check(addr, size, tb, extack);
	if (err)
		return ERR_PTR(err);
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->addr = addr;
	b->size = size;
	b->migratable = !tb[MEMSLOT_A_BACKING_MIGRATABLE] ||
			nla_get_u8(tb[MEMSLOT_A_BACKING_MIGRATABLE]);
	ms_pins_init(b);
	ms_dirty_init(b);
	if (name)
		strscpy(b->name, name, sizeof(b->name));
	err = xa_alloc(&space->backings, &b->id, b, xa_limit_31b,
		       GFP_KERNEL_ACCOUNT);
	if (err) {
		kfree(b);
		return ERR_PTR(err);
	}
	space->nr_backings++;
	return b;
}

int ms_backing_del(struct ms_space *space, u32 id, struct nlattr **tb,
		   struct netlink_ext_ack *extack)
{
	struct ms_backing *b = ms_space_backing(space, id);

	if (!b) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, tb[MEMSLOT_A_BACKING_ID],
					"no backing %u in space %u", id, space->id);
		return -ENOENT;
	}
	if (b->users) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, tb[MEMSLOT_A_BACKING_ID],
					"backing %u is mapped by %u range(s)",
					id, b->users);
		return -EBUSY;
	}
	xa_erase(&space->backings, id);
	space->nr_backings--;
	ms_pins_free(b);
	ms_dirty_free(b);
	kfree(b);
	return 0;
}
