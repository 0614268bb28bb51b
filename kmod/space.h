/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_SPACE_H
#define _MEMSLOT_SPACE_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/memslot.h>

#include "hold.h"
#include "kvm.h"
#include "layout.h"
#include "owner.h"

struct kvm;
struct ms_dma;
struct ms_staged;
struct netlink_ext_ack;

/* What a space is bound to in KVM; see ms_space_bind(). */
struct ms_binding {
	struct kvm *kvm;	/* counted reference, NULL while unbound */
	struct file *file;	/* the VM's file, counted: KVM's ioctls */
	u32 slot_base;		/* first memslot id the module may use */
	u32 slot_count;
	u32 as_id;		/* KVM memslot address space */
	u64 max_slot_size;	/* bytes; 0: no limit */
	u32 dirty_protect;	/* MEMSLOT_DIRTY_LOG_PROTECT_*, set at bind */
	unsigned long *slots_used; /* bitmap of slot_count bits */
	u32 nr_used;		/* bits set in slots_used */
	struct list_head node;	/* in ms_bindings (space.c) while bound */
};

/* Host memory of the owner, registered once and mapped by ranges. */
struct ms_backing {
	u32 id;
	u64 addr;		/* owner's virtual address, page aligned */
	u64 size;
	unsigned int users;	/* ranges mapping it, committed or prepared */
	bool migratable;	/* part of what a migration carries */
	char name[MEMSLOT_NAME_MAX_LEN + 1];
	struct xarray pins;	/* struct ms_pin_chunk by chunk; pin.c */
	struct xarray dirty;	/* dirty bits harvested from KVM; dirty.c */
};

struct ms_txn_op;

/*
 * A guest-physical range: one or more KVM slots of the space's block.
 * Invariant outside a commit: a range flagged MEMSLOT_RANGE_FLAGS_DMA holds
 * one pin reference on each of its backing pages (pin.c) and, while a VFIO
 * container is bound to the space, is mapped at IOVA = GPA (dma.c).
 */
struct ms_mrange {
	struct ms_range r;	/* gpa, size; node in ms_space::layout */
	u32 id;
	struct ms_backing *backing;
	u64 offset;		/* into the backing */
	u32 flags;		/* MEMSLOT_RANGE_FLAGS_*, as committed */
	u32 nr_slots;
	u32 *slots;		/* indexes into the slot block, nr_slots */
	struct ms_txn_op *txn_op; /* op of the transaction being prepared
				   * that names it, or NULL (txn.c)
				   */
};

/* IOMMU work of a commit, or of all commits (dma.c counts it). */
struct ms_dma_counts {
	u64 map_calls, map_pages, unmap_calls, unmap_pages;
	u64 kept_pages;		/* in a changed range, translation kept */
	u64 hole_pages;		/* unmapped, then mapped to something else */
};

/* What a space's commits cost; the stats attribute set of the spec. */
struct ms_stats {
	u64 commits, ops, failed, holds;
	u64 commit_ns_last, commit_ns_max, commit_ns_total;
	u64 hold_ns_last, hold_ns_max, hold_ns_total;
	u64 holds_speed, unheld_budget, hold_batches;
	u64 pinned_pages, pins_taken, pins_dropped;
	u64 last_pins_taken, last_pins_dropped;
	struct ms_dma_counts dma;
};

struct ms_space {
	u32 id;				/* constant; key in the registry */
	char name[MEMSLOT_NAME_MAX_LEN + 1];	/* constant after create */
	struct ms_owner owner;		/* constant after create */
	struct kref ref;		/* registry + in-flight users */
	struct rcu_head rcu;
	struct hlist_node port_node;	/* under ms_owners_lock (owner.c) */
	struct list_head mm_node;	/* under ms_owners_lock (owner.c) */
	struct work_struct teardown;	/* ms_space_destroy() queues it */
	struct completion cleared;	/* the teardown has cleared it */
	atomic_t park_pending;		/* vCPU park works queued (kvm-hold.c) */

	/*
	 * Protects everything below, and the space's ranges and backings.
	 * Taken before the bound VM's kvm->lock, vcpu->mutex and slots_lock
	 * (kvm-hold.c, kvm.c) and before ms_dma_bind_lock and ms_dma::lock
	 * (dma.c); never nested inside another space's lock.
	 */
	struct mutex lock;
	u64 generation;
	struct ms_binding vm;
	struct ms_layout layout;	/* ms_mrange by gpa */
	struct xarray ranges;		/* ms_mrange by id */
	u32 next_range_id;		/* cyclic allocation of range ids */
	struct xarray backings;		/* ms_backing by id */
	u32 nr_backings;
	struct ms_staged *staged;	/* open staged transaction, or NULL */
	struct ms_stats stats;
	struct ms_hold_policy hold;	/* budget and cost model (hold.c) */
	struct ms_dma *dma;		/* bound VFIO container, or NULL */
	u32 nr_dma;			/* ranges pinned for DMA */
	/* scratch in the owner's address space for KVM's ioctls; kvm.c */
	struct ms_kvm_ubuf ubuf;
};

int ms_space_init(void);
void ms_space_exit(void);
struct ms_space *ms_space_create(const struct ms_owner *owner,
				 const char *name,
				 struct netlink_ext_ack *extack);
void ms_space_destroy(struct ms_space *space);
int ms_space_wait_cleared(struct ms_space *space);
void ms_space_flush(void);
int ms_space_lock(struct ms_space *space, struct netlink_ext_ack *extack);
int ms_space_bind(struct ms_space *space, const struct ms_binding *vm,
		  struct netlink_ext_ack *extack);
void ms_space_put(struct ms_space *space);
struct ms_mrange *ms_space_range(struct ms_space *space, u32 id);
struct ms_backing *ms_space_backing(struct ms_space *space, u32 id);
struct ms_space *ms_space_get_by_id(u32 id);
bool ms_space_live(struct ms_space *space);
struct ms_space *ms_space_next(unsigned long *index);
unsigned int ms_space_registry_seq(void);

#endif /* _MEMSLOT_SPACE_H */
