/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemslot: the VMM's side of the memslot generic netlink family.
 *
 * Conventions
 *  - Every function that can fail returns 0 (or a count) on success and a
 *    negative errno on failure. The library never exits and never prints.
 *  - After a failure, memslot_errmsg() gives the kernel's extended-ACK text
 *    (or the library's own reason) and memslot_err_attr() the attribute the
 *    kernel pointed at, until the next call on the same handle.
 *
 * Ownership: a space belongs to the handle (netlink socket) that created it
 * and to the creating process; it is destroyed when the handle is closed or
 * the process exits. Another handle, even in the same process, cannot see
 * or change it.
 *
 * Thread safety: a handle is not thread-safe; use one per thread or
 * serialise calls on it. Distinct handles are independent. Objects such as
 * struct memslot_space are immutable snapshots and may be shared once
 * obtained.
 */
#ifndef LIBMEMSLOT_H
#define LIBMEMSLOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memslot;
struct memslot_space;
struct memslot_range;
struct memslot_txn;

int memslot_open(struct memslot **msp);
void memslot_close(struct memslot *ms);
int memslot_fd(const struct memslot *ms);

const char *memslot_errmsg(const struct memslot *ms);
int memslot_err_attr(const struct memslot *ms);
const char *memslot_err_attr_name(const struct memslot *ms);
/* Index of the transaction op the kernel named, or -1. */
int memslot_err_op(const struct memslot *ms);

int memslot_space_new(struct memslot *ms, const char *name, uint32_t *id);
int memslot_space_del(struct memslot *ms, uint32_t id);
int memslot_space_get(struct memslot *ms, uint32_t id,
		      struct memslot_space **sp);

/*
 * Call @cb for every space visible to the handle (its own; all of them for
 * a CAP_SYS_ADMIN caller). A non-zero return from @cb stops the walk and is
 * returned. Returns -EAGAIN if the set of spaces changed during the walk
 * (the callbacks then saw a mix of two states: walk again).
 */
typedef int (*memslot_space_cb)(const struct memslot_space *s, void *arg);
int memslot_space_foreach(struct memslot *ms, memslot_space_cb cb, void *arg);

struct memslot_space *memslot_space_dup(const struct memslot_space *s);
void memslot_space_free(struct memslot_space *s);
uint32_t memslot_space_id(const struct memslot_space *s);
const char *memslot_space_name(const struct memslot_space *s);
uint32_t memslot_space_owner_pid(const struct memslot_space *s);
uint64_t memslot_space_generation(const struct memslot_space *s);

/*
 * Counters of a space since it was created (libmemslot 2): commits and
 * their ops, commits that failed in KVM and were rolled back, commits that
 * held the vCPUs out of guest mode, and how long commits and holds took,
 * in nanoseconds. 0 for an unknown @stat.
 */
enum memslot_stat {
	MEMSLOT_STAT_COMMITS = 1,
	MEMSLOT_STAT_OPS,
	MEMSLOT_STAT_FAILED,
	MEMSLOT_STAT_HOLDS,
	MEMSLOT_STAT_COMMIT_NS_LAST,
	MEMSLOT_STAT_COMMIT_NS_MAX,
	MEMSLOT_STAT_COMMIT_NS_TOTAL,
	MEMSLOT_STAT_HOLD_NS_LAST,
	MEMSLOT_STAT_HOLD_NS_MAX,
	MEMSLOT_STAT_HOLD_NS_TOTAL,
	/* DMA: pages pinned now; pinned and unpinned in all, and last commit */
	MEMSLOT_STAT_PINNED_PAGES,
	MEMSLOT_STAT_PINS_TAKEN,
	MEMSLOT_STAT_PINS_DROPPED,
	MEMSLOT_STAT_LAST_PINS_TAKEN,
	MEMSLOT_STAT_LAST_PINS_DROPPED,
	/*
	 * IOMMU work (libmemslot 3): iommu_map()/iommu_unmap() calls and
	 * pages; pages of changed DMA ranges whose translation was kept (no
	 * IOMMU call, pins kept); pages that went through a hole (unmapped,
	 * then mapped to another page or with other rights). Also per commit:
	 * memslot_txn_stat().
	 */
	MEMSLOT_STAT_DMA_MAP_CALLS = MEMSLOT_STAT_LAST_PINS_DROPPED + 2,
	MEMSLOT_STAT_DMA_MAP_PAGES,
	MEMSLOT_STAT_DMA_UNMAP_CALLS,
	MEMSLOT_STAT_DMA_UNMAP_PAGES,
	MEMSLOT_STAT_DMA_KEPT_PAGES,
	MEMSLOT_STAT_DMA_HOLE_PAGES,
	/*
	 * The hold policy (libmemslot 5): commits held for speed, commits
	 * left unheld because of the budget, holds in all (a commit split
	 * into batches counts each), and the policy's cost model: one KVM
	 * slot set (created or changed) and one deleted, unheld while vCPUs
	 * run and under a hold, and the fixed cost of a hold (ns, 0 until
	 * measured).
	 */
	MEMSLOT_STAT_HOLDS_SPEED,
	MEMSLOT_STAT_UNHELD_BUDGET,
	MEMSLOT_STAT_HOLD_BATCHES,
	MEMSLOT_STAT_COST_UNHELD_SET_NS,
	MEMSLOT_STAT_COST_UNHELD_DELETE_NS,
	MEMSLOT_STAT_COST_HELD_SET_NS,
	MEMSLOT_STAT_COST_HELD_DELETE_NS,
	MEMSLOT_STAT_COST_HOLD_NS,
};
uint64_t memslot_space_stat(const struct memslot_space *s,
			    enum memslot_stat stat);
/* 1 if a VFIO container is bound to the space (libmemslot 2). */
int memslot_space_dma_bound(const struct memslot_space *s);

/*
 * The hold budget of a space (libmemslot 5): the longest hold for speed
 * of MEMSLOT_HOLD_AUTO, in microseconds (0: none, the default; at most
 * 10 s), and what a commit whose hold would exceed it does: SPLIT (the
 * default) holds in batches of whole ops that each fit, letting the vCPUs
 * run between two batches as long as the batch before held them; UNHELD
 * runs it unheld. Holds for correctness and MEMSLOT_HOLD_ALWAYS are
 * whole, whatever the budget. @mode 0 leaves the mode as it is.
 */
#define MEMSLOT_BUDGET_SPLIT	1u
#define MEMSLOT_BUDGET_UNHELD	2u
int memslot_space_set_hold_budget(struct memslot *ms, uint32_t space,
				  uint32_t budget_us, uint32_t mode);
uint32_t memslot_space_hold_budget_us(const struct memslot_space *s);
uint32_t memslot_space_budget_mode(const struct memslot_space *s);

/*
 * Bind a space to the caller's KVM VM (@vm_fd from KVM_CREATE_VM): the
 * module may use memslots [slot_base, slot_base + slot_count) of address
 * space @as_id, each at most @max_slot_size bytes (0: no limit).
 */
int memslot_space_bind(struct memslot *ms, uint32_t space, int vm_fd,
		       uint32_t slot_base, uint32_t slot_count, uint32_t as_id,
		       uint64_t max_slot_size);
/*
 * The same with @flags (libmemslot 4), KVM's dirty-log mode the module
 * sets on the VM (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, same bits):
 * MEMSLOT_BIND_DIRTY_MANUAL makes a dirty-get with clear clear and
 * write-protect only its window in KVM (KVM_CLEAR_DIRTY_LOG), so reading a
 * small window of a big slot is cheap; MEMSLOT_BIND_DIRTY_INITIALLY_SET
 * (with it) starts each slot's log all dirty. A VMM that enabled manual
 * protect itself must pass it here. -EOPNOTSUPP where KVM lacks the bits,
 * -EINVAL where another space binds the same VM with other bits. 0 leaves
 * the VM's mode as it is.
 */
#define MEMSLOT_BIND_DIRTY_MANUAL		1u
#define MEMSLOT_BIND_DIRTY_INITIALLY_SET	2u
int memslot_space_bind_flags(struct memslot *ms, uint32_t space, int vm_fd,
			     uint32_t slot_base, uint32_t slot_count,
			     uint32_t as_id, uint64_t max_slot_size,
			     unsigned int flags);
/* The bound space's MEMSLOT_BIND_DIRTY_* flags (libmemslot 4). */
unsigned int memslot_space_dirty_protect(const struct memslot_space *s);

/* Register host memory of the caller as a backing of @space. */
int memslot_backing_new(struct memslot *ms, uint32_t space, void *addr,
			uint64_t size, const char *name, uint32_t *id);
int memslot_backing_del(struct memslot *ms, uint32_t space, uint32_t id);
/*
 * The same with @flags (libmemslot 3): MEMSLOT_BACKING_NO_MIGRATE marks
 * memory a migration must not carry (the destination has its own); a
 * layout export leaves it, and the ranges over it, out.
 */
#define MEMSLOT_BACKING_NO_MIGRATE	1u
int memslot_backing_new_flags(struct memslot *ms, uint32_t space, void *addr,
			      uint64_t size, const char *name,
			      unsigned int flags, uint32_t *id);

/* Range flags, as MEMSLOT_RANGE_FLAGS_* of <linux/memslot.h>. */
#define MEMSLOT_RANGE_DIRTY_LOG	1u
#define MEMSLOT_RANGE_READONLY	2u
/* Also map for DMA at IOVA = GPA (a VFIO container must be bound). */
#define MEMSLOT_RANGE_DMA	4u

/*
 * Bind @container_fd, a VFIO container set to the memslot IOMMU backend
 * (VFIO_SET_IOMMU with MEMSLOT_VFIO_IOMMU of <linux/memslot_vfio.h>), to
 * @space of the calling process (libmemslot 2). From then on its DMA
 * mappings are the space's ranges flagged MEMSLOT_RANGE_DMA.
 */
int memslot_vfio_bind(struct memslot *ms, uint32_t space, int container_fd);

/*
 * Transactions. Build with begin/add/remove/set_flags, then commit: the
 * whole list is applied all or nothing. Up to 256 ops go in one message;
 * a longer list is staged (txn-open, appends, staged commit) transparently.
 * After a commit (successful or not) the builder can only be read and
 * freed. On failure memslot_err_op() names the failing op. -ENOBUFS: the
 * handle's receive buffer was full. The module refuses such a commit
 * before changing anything; only if an event filled the buffer after the
 * commit point was the reply lost with the commit applied, which the
 * space's generation (memslot_space_get()) tells.
 */
struct memslot_txn *memslot_txn_begin(struct memslot *ms, uint32_t space);
int memslot_txn_add(struct memslot_txn *t, uint64_t gpa, uint64_t size,
		    uint32_t backing, uint64_t offset, uint32_t flags);
int memslot_txn_remove(struct memslot_txn *t, uint32_t range_id);
int memslot_txn_set_flags(struct memslot_txn *t, uint32_t range_id,
			  uint32_t flags);
int memslot_txn_commit(struct memslot_txn *t);
/* After a successful commit: the new generation; id of the n-th add. */
uint64_t memslot_txn_generation(const struct memslot_txn *t);
uint32_t memslot_txn_added_id(const struct memslot_txn *t, unsigned int n);
void memslot_txn_free(struct memslot_txn *t);
/* Drop a builder without committing it (nothing was sent). */
void memslot_txn_abort(struct memslot_txn *t);

/*
 * When the commit holds the VM's vCPUs out of guest mode (libmemslot 2).
 * AUTO (the kernel's default): when the transaction replaces memory in
 * place (an added range overlaps a removed one, or read-only toggles), or
 * deletes a dirty-logged KVM slot (its log is moved to the backing under
 * the hold; see memslot_dirty_get()); and, since the kernel's hold policy
 * (libmemslot 5), when vCPUs run and the space's measured costs say a
 * held commit is faster, within the space's hold budget.
 * ALWAYS: for any change. NEVER: not at all; the kernel refuses it for a
 * transaction that replaces memory in place. -EINVAL for another value.
 */
#define MEMSLOT_HOLD_AUTO	1u
#define MEMSLOT_HOLD_ALWAYS	2u
#define MEMSLOT_HOLD_NEVER	3u
int memslot_txn_set_hold(struct memslot_txn *t, uint32_t mode);
/* After a successful commit: vCPUs held (0: no hold), hold and commit ns. */
uint32_t memslot_txn_held_vcpus(const struct memslot_txn *t);
uint64_t memslot_txn_hold_ns(const struct memslot_txn *t);
uint64_t memslot_txn_commit_ns(const struct memslot_txn *t);
/*
 * After a successful commit (libmemslot 5): why it held or did not, the
 * holds it took (more than 1: split by the budget), the longest of them.
 */
#define MEMSLOT_REASON_NO_CHANGE	1u	/* no KVM slot changed */
#define MEMSLOT_REASON_CORRECTNESS	2u	/* replaced in place, log dropped */
#define MEMSLOT_REASON_REQUESTED	3u	/* MEMSLOT_HOLD_ALWAYS */
#define MEMSLOT_REASON_SPEED	4u	/* AUTO: faster held */
#define MEMSLOT_REASON_NOT_FASTER	5u	/* AUTO: no vCPU ran, or no gain */
#define MEMSLOT_REASON_BUDGET	6u	/* AUTO: faster, but over budget */
#define MEMSLOT_REASON_NEVER	7u	/* MEMSLOT_HOLD_NEVER */
uint32_t memslot_txn_hold_reason(const struct memslot_txn *t);
uint32_t memslot_txn_hold_batches(const struct memslot_txn *t);
uint64_t memslot_txn_hold_ns_max(const struct memslot_txn *t);
/* Of memslot_txn_commit_ns(), the time in KVM's slot ioctls (libmemslot 5). */
uint64_t memslot_txn_kvm_ns(const struct memslot_txn *t);
/* The reason's name ("speed", "budget"...), or NULL for an unknown one. */
const char *memslot_hold_reason_name(uint32_t reason);

/*
 * What a commit does with an IOVA that stays mapped while its page or
 * permissions change (libmemslot 3). IOVAs whose translation stays are
 * never touched; a changing one goes through a brief unmap, as no kernel
 * offers an atomic IOMMU replace. ALLOW (the kernel's default): do it and
 * count it (MEMSLOT_STAT_DMA_HOLE_PAGES). REFUSE: refuse the commit
 * (-EINVAL, naming the op and the page). -EINVAL for another value.
 */
#define MEMSLOT_DMA_HOLE_ALLOW	1u
#define MEMSLOT_DMA_HOLE_REFUSE	2u
int memslot_txn_set_dma_hole(struct memslot_txn *t, uint32_t mode);
/*
 * After a successful commit: its share of a MEMSLOT_STAT_DMA_* counter
 * (libmemslot 3); 0 for other stats.
 */
uint64_t memslot_txn_stat(const struct memslot_txn *t, enum memslot_stat stat);

/*
 * KVM slot ids of the added ranges in the commit's reply (libmemslot 4),
 * informational as memslot_range_slot_id(): ask before the commit; after
 * it, the k-th slot of the n-th add. -ENOENT past the last (or not
 * asked); -E2BIG when the reply would have exceeded about 32 KiB and left
 * them out: read them with memslot_range_foreach().
 */
int memslot_txn_want_slot_ids(struct memslot_txn *t);
int memslot_txn_added_slot_id(const struct memslot_txn *t, unsigned int n,
			      unsigned int k, uint32_t *slot);

/* Call @cb for every backing of @space, by id. */
struct memslot_backing;
typedef int (*memslot_backing_cb)(const struct memslot_backing *b, void *arg);
int memslot_backing_foreach(struct memslot *ms, uint32_t space,
			    memslot_backing_cb cb, void *arg);
uint32_t memslot_backing_id(const struct memslot_backing *b);
uint64_t memslot_backing_addr(const struct memslot_backing *b);
uint64_t memslot_backing_size(const struct memslot_backing *b);
const char *memslot_backing_name(const struct memslot_backing *b);
/* 1 unless created with MEMSLOT_BACKING_NO_MIGRATE (libmemslot 3). */
int memslot_backing_migratable(const struct memslot_backing *b);

/*
 * Layout export and import, for migration (libmemslot 3). Export writes
 * the migratable backings (name, size) and the ranges over them (gpa,
 * size, backing name, offset, flags) of @space as one versioned text
 * ("memslot-layout 1", then a line per object) into *@text, to be freed
 * with free(); every migratable backing needs a name without white space.
 * Import rebuilds that layout in @space, which has no ranges yet, in one
 * transaction: each backing must be there by name, with the same size,
 * migratable; else nothing changes and memslot_errmsg() names the first
 * mismatch (-ENOENT missing, -EINVAL otherwise, -EEXIST if @space has
 * ranges).
 */
int memslot_layout_export(struct memslot *ms, uint32_t space, char **text);
int memslot_layout_import(struct memslot *ms, uint32_t space,
			  const char *text);

/* Call @cb for every range of @space, in gpa order (see foreach above). */
typedef int (*memslot_range_cb)(const struct memslot_range *r, void *arg);
int memslot_range_foreach(struct memslot *ms, uint32_t space,
			  memslot_range_cb cb, void *arg);
uint32_t memslot_range_id(const struct memslot_range *r);
uint64_t memslot_range_gpa(const struct memslot_range *r);
uint64_t memslot_range_size(const struct memslot_range *r);
uint32_t memslot_range_backing(const struct memslot_range *r);
uint64_t memslot_range_offset(const struct memslot_range *r);
uint32_t memslot_range_flags(const struct memslot_range *r);
uint32_t memslot_range_slots(const struct memslot_range *r);
/*
 * The KVM slot of the range's @n-th chunk (KVM_SET_USER_MEMORY_REGION's
 * slot field, address space in the upper 16 bits), or -ENOENT past the
 * last (libmemslot 3). Informational: a commit that touches the range may
 * change them. Valid while the callback runs, like @r.
 */
int memslot_range_slot_id(const struct memslot_range *r, unsigned int n,
			  uint32_t *slot);

/*
 * Dirty logs (libmemslot 3). The dirty bitmap of @backing's bytes
 * [offset, offset + size) (page aligned) into @bitmap: bit i of the 64-bit
 * words, as KVM_GET_DIRTY_LOG's, is page i of the window; @bitmap_size is
 * at least 8 * ceil(pages / 64) bytes. Dirty are the pages the guest wrote
 * through any dirty-logged range since the last clear, whatever the KVM
 * slots behind them and however often commits replaced them, and the
 * pages mapped for DMA (a device may write them, untracked). With
 * MEMSLOT_DIRTY_CLEAR they are reported once. *@dirty_pages (may be NULL):
 * how many are set. The VM must not use KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.
 * memslot_range_dirty_get(): the window a range maps.
 */
#define MEMSLOT_DIRTY_CLEAR	1u
int memslot_dirty_get(struct memslot *ms, uint32_t space, uint32_t backing,
		      uint64_t offset, uint64_t size, uint64_t *bitmap,
		      size_t bitmap_size, unsigned int flags,
		      uint64_t *dirty_pages);
int memslot_range_dirty_get(struct memslot *ms, uint32_t space, uint32_t range,
			    uint64_t *bitmap, size_t bitmap_size,
			    unsigned int flags, uint64_t *dirty_pages);

/*
 * Events. memslot_monitor_join() subscribes the handle to the events group
 * (needs CAP_NET_ADMIN); memslot_monitor_read() then blocks until events
 * arrive and calls @cb for each. Use a handle of its own for monitoring:
 * events and replies share the socket.
 */
enum memslot_event_type {
	MEMSLOT_EVENT_SPACE_NEW = 1,
	MEMSLOT_EVENT_SPACE_DEL,
	MEMSLOT_EVENT_COMMIT,
};

struct memslot_event;
typedef int (*memslot_event_cb)(const struct memslot_event *e, void *arg);
int memslot_monitor_join(struct memslot *ms);
int memslot_monitor_read(struct memslot *ms, memslot_event_cb cb, void *arg);
enum memslot_event_type memslot_event_type(const struct memslot_event *e);
uint32_t memslot_event_space(const struct memslot_event *e);
/* COMMIT: the new generation; ranges removed, added and changed. */
uint64_t memslot_event_generation(const struct memslot_event *e);
unsigned int memslot_event_removed(const struct memslot_event *e);
unsigned int memslot_event_added(const struct memslot_event *e);
unsigned int memslot_event_changed(const struct memslot_event *e);
/* COMMIT: the diff was too large to send; dump the ranges instead. */
int memslot_event_truncated(const struct memslot_event *e);

#ifdef __cplusplus
}
#endif

#endif /* LIBMEMSLOT_H */
