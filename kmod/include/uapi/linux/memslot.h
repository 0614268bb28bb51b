/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memslot.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_MEMSLOT_H
#define _UAPI_LINUX_MEMSLOT_H

#define MEMSLOT_FAMILY_NAME	"memslot"
#define MEMSLOT_FAMILY_VERSION	1

#define MEMSLOT_NAME_MAX_LEN	31
#define MEMSLOT_TXN_MAX_OPS	1024
#define MEMSLOT_TXN_MAX_STAGED	65536

/**
 * enum memslot_range_flags - Properties of a range, as KVM memslot flags.
 * @MEMSLOT_RANGE_FLAGS_DIRTY_LOG: Log guest writes (KVM_MEM_LOG_DIRTY_PAGES).
 * @MEMSLOT_RANGE_FLAGS_READONLY: Guest writes exit to the VMM as MMIO
 *   (KVM_MEM_READONLY).
 * @MEMSLOT_RANGE_FLAGS_DMA: Also map the range for DMA, at IOVA = GPA, in the
 *   IOMMU domain of the VFIO container bound to the space
 *   (linux/memslot_vfio.h), its backing pages pinned (shared with other DMA
 *   ranges on the same pages, charged once to the owner). Read-only ranges are
 *   mapped for device reads only. Set-flags may add or remove dma.
 */
enum memslot_range_flags {
	MEMSLOT_RANGE_FLAGS_DIRTY_LOG = 1,
	MEMSLOT_RANGE_FLAGS_READONLY = 2,
	MEMSLOT_RANGE_FLAGS_DMA = 4,
};

/**
 * enum memslot_dirty_log_protect - KVM's dirty-log mode for the bound VM (the
 *   argument of KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), same bits).
 * @MEMSLOT_DIRTY_LOG_PROTECT_MANUAL_PROTECT: KVM_GET_DIRTY_LOG leaves KVM's
 *   bits and write protection alone; a dirty-get with clear clears
 *   (KVM_CLEAR_DIRTY_LOG) and write-protects only the window it read, rounded
 *   out to 64 pages.
 * @MEMSLOT_DIRTY_LOG_PROTECT_INITIALLY_SET: A slot's log starts with every
 *   page dirty when logging starts (KVM_DIRTY_LOG_INITIALLY_SET): the first
 *   read reports all pages.
 */
enum memslot_dirty_log_protect {
	MEMSLOT_DIRTY_LOG_PROTECT_MANUAL_PROTECT = 1,
	MEMSLOT_DIRTY_LOG_PROTECT_INITIALLY_SET = 2,
};

/**
 * enum memslot_op_type - What one transaction op does.
 * @MEMSLOT_OP_TYPE_ADD: Add a range (gpa, size, backing-id, offset, flags).
 * @MEMSLOT_OP_TYPE_REMOVE: Remove a range (range-id).
 * @MEMSLOT_OP_TYPE_SET_FLAGS: Change a range's flags (range-id, flags).
 */
enum memslot_op_type {
	MEMSLOT_OP_TYPE_ADD = 1,
	MEMSLOT_OP_TYPE_REMOVE,
	MEMSLOT_OP_TYPE_SET_FLAGS,
};

/**
 * enum memslot_dma_hole_mode - What a commit does with an IOVA that stays
 *   mapped but whose page or permissions change (another backing or offset
 *   under the same GPA, a readonly toggle of a DMA range). The IOMMU API has
 *   no atomic replace, and no supported kernel's driver gives one (see
 *   Documentation/design.rst): the page is unmapped and mapped again, and a
 *   device's DMA to it in between faults. IOVAs whose page and permissions
 *   stay are never touched, whatever the mode.
 * @MEMSLOT_DMA_HOLE_MODE_ALLOW: Unmap and map again, and count the pages
 *   (dma-hole-pages).
 * @MEMSLOT_DMA_HOLE_MODE_REFUSE: Refuse the transaction (EINVAL, naming the op
 *   and the first such page) instead: the caller asserts that no device sees a
 *   hole.
 */
enum memslot_dma_hole_mode {
	MEMSLOT_DMA_HOLE_MODE_ALLOW = 1,
	MEMSLOT_DMA_HOLE_MODE_REFUSE,
};

/**
 * enum memslot_hold_mode - When a commit holds the VM's vCPUs out of guest
 *   mode. A hold is needed exactly when the transaction replaces memory in
 *   place: an added range overlaps a removed one, or a range toggles read-only
 *   (KVM deletes and re-creates the slot). Without it a running vCPU could hit
 *   the hole between the two.
 * @MEMSLOT_HOLD_MODE_AUTO: Hold when the transaction replaces memory in place,
 *   or drops a dirty-logged slot (whose log is harvested under the hold; see
 *   dirty-get), for the whole commit. Also hold when it is faster: vCPUs are
 *   in KVM_RUN and the space's measured costs (see the cost- stats) say that a
 *   held commit of this many slot changes takes less time than an unheld one,
 *   whose every change waits for an SRCU grace period the running vCPUs
 *   stretch. Such a hold for speed keeps within the space's hold budget (see
 *   space-set) (default).
 * @MEMSLOT_HOLD_MODE_ALWAYS: Hold for every commit that changes KVM slots, so
 *   that even disjoint adds and removes reach all vCPUs at one instant.
 * @MEMSLOT_HOLD_MODE_NEVER: Do not hold: the caller asserts that no vCPU uses
 *   the ranges it adds or removes. Refused for a transaction that replaces
 *   memory in place.
 */
enum memslot_hold_mode {
	MEMSLOT_HOLD_MODE_AUTO = 1,
	MEMSLOT_HOLD_MODE_ALWAYS,
	MEMSLOT_HOLD_MODE_NEVER,
};

/**
 * enum memslot_hold_reason - Why a commit held the vCPUs, or did not
 *   (txn-commit reply).
 * @MEMSLOT_HOLD_REASON_NO_CHANGE: The commit changed no KVM slot; nothing to
 *   hold.
 * @MEMSLOT_HOLD_REASON_CORRECTNESS: Held for the whole commit: it replaces
 *   memory in place or drops a dirty log.
 * @MEMSLOT_HOLD_REASON_REQUESTED: Held for the whole commit because hold was
 *   always.
 * @MEMSLOT_HOLD_REASON_SPEED: hold auto held because it was faster (see
 *   hold-mode), in as many batches as the budget needed (hold-batches).
 * @MEMSLOT_HOLD_REASON_NOT_FASTER: hold auto did not hold: no vCPU was in
 *   KVM_RUN, or the measured costs say that an unheld commit is as fast.
 * @MEMSLOT_HOLD_REASON_BUDGET: hold auto did not hold although it would have
 *   been faster: the hold would exceed the space's budget and its budget-mode
 *   is unheld (or a single hold costs more than the budget).
 * @MEMSLOT_HOLD_REASON_NEVER: Not held because hold was never.
 */
enum memslot_hold_reason {
	MEMSLOT_HOLD_REASON_NO_CHANGE = 1,
	MEMSLOT_HOLD_REASON_CORRECTNESS,
	MEMSLOT_HOLD_REASON_REQUESTED,
	MEMSLOT_HOLD_REASON_SPEED,
	MEMSLOT_HOLD_REASON_NOT_FASTER,
	MEMSLOT_HOLD_REASON_BUDGET,
	MEMSLOT_HOLD_REASON_NEVER,
};

/**
 * enum memslot_budget_mode - What hold auto does with a commit whose hold for
 *   speed would exceed the budget.
 * @MEMSLOT_BUDGET_MODE_SPLIT: Hold in batches of whole ops that each fit the
 *   budget (default); between two batches the vCPUs run for at least as long
 *   as the batch before held them. Each batch reaches the vCPUs at one
 *   instant; the commit as a whole does not.
 * @MEMSLOT_BUDGET_MODE_UNHELD: Run the commit unheld, as hold never would.
 */
enum memslot_budget_mode {
	MEMSLOT_BUDGET_MODE_SPLIT = 1,
	MEMSLOT_BUDGET_MODE_UNHELD,
};

enum {
	MEMSLOT_A_SPACE_ID = 1,
	MEMSLOT_A_SPACE_NAME,
	MEMSLOT_A_SPACE_OWNER_PID,
	MEMSLOT_A_SPACE_GENERATION,
	MEMSLOT_A_SPACE_PAD,
	MEMSLOT_A_SPACE_VM_FD,
	MEMSLOT_A_SPACE_SLOT_BASE,
	MEMSLOT_A_SPACE_SLOT_COUNT,
	MEMSLOT_A_SPACE_AS_ID,
	MEMSLOT_A_SPACE_MAX_SLOT_SIZE,
	MEMSLOT_A_SPACE_VM_BOUND,
	MEMSLOT_A_SPACE_STATS,
	MEMSLOT_A_SPACE_DMA_BOUND,
	MEMSLOT_A_SPACE_DIRTY_LOG_PROTECT,
	MEMSLOT_A_SPACE_HOLD_BUDGET_US,
	MEMSLOT_A_SPACE_BUDGET_MODE,

	__MEMSLOT_A_SPACE_MAX,
	MEMSLOT_A_SPACE_MAX = (__MEMSLOT_A_SPACE_MAX - 1)
};

enum {
	MEMSLOT_A_STATS_COMMITS = 1,
	MEMSLOT_A_STATS_OPS,
	MEMSLOT_A_STATS_FAILED,
	MEMSLOT_A_STATS_HOLDS,
	MEMSLOT_A_STATS_COMMIT_NS_LAST,
	MEMSLOT_A_STATS_COMMIT_NS_MAX,
	MEMSLOT_A_STATS_COMMIT_NS_TOTAL,
	MEMSLOT_A_STATS_HOLD_NS_LAST,
	MEMSLOT_A_STATS_HOLD_NS_MAX,
	MEMSLOT_A_STATS_HOLD_NS_TOTAL,
	MEMSLOT_A_STATS_PINNED_PAGES,
	MEMSLOT_A_STATS_PINS_TAKEN,
	MEMSLOT_A_STATS_PINS_DROPPED,
	MEMSLOT_A_STATS_LAST_PINS_TAKEN,
	MEMSLOT_A_STATS_LAST_PINS_DROPPED,
	MEMSLOT_A_STATS_PAD,
	MEMSLOT_A_STATS_DMA_MAP_CALLS,
	MEMSLOT_A_STATS_DMA_MAP_PAGES,
	MEMSLOT_A_STATS_DMA_UNMAP_CALLS,
	MEMSLOT_A_STATS_DMA_UNMAP_PAGES,
	MEMSLOT_A_STATS_DMA_KEPT_PAGES,
	MEMSLOT_A_STATS_DMA_HOLE_PAGES,
	MEMSLOT_A_STATS_HOLDS_SPEED,
	MEMSLOT_A_STATS_UNHELD_BUDGET,
	MEMSLOT_A_STATS_HOLD_BATCHES,
	MEMSLOT_A_STATS_COST_UNHELD_SET_NS,
	MEMSLOT_A_STATS_COST_UNHELD_DELETE_NS,
	MEMSLOT_A_STATS_COST_HELD_SET_NS,
	MEMSLOT_A_STATS_COST_HELD_DELETE_NS,
	MEMSLOT_A_STATS_COST_HOLD_NS,

	__MEMSLOT_A_STATS_MAX,
	MEMSLOT_A_STATS_MAX = (__MEMSLOT_A_STATS_MAX - 1)
};

enum {
	MEMSLOT_A_BACKING_SPACE_ID = 1,
	MEMSLOT_A_BACKING_ID,
	MEMSLOT_A_BACKING_ADDR,
	MEMSLOT_A_BACKING_SIZE,
	MEMSLOT_A_BACKING_NAME,
	MEMSLOT_A_BACKING_PAD,
	MEMSLOT_A_BACKING_MIGRATABLE,

	__MEMSLOT_A_BACKING_MAX,
	MEMSLOT_A_BACKING_MAX = (__MEMSLOT_A_BACKING_MAX - 1)
};

enum {
	MEMSLOT_A_RANGE_SPACE_ID = 1,
	MEMSLOT_A_RANGE_ID,
	MEMSLOT_A_RANGE_GPA,
	MEMSLOT_A_RANGE_SIZE,
	MEMSLOT_A_RANGE_BACKING_ID,
	MEMSLOT_A_RANGE_OFFSET,
	MEMSLOT_A_RANGE_FLAGS,
	MEMSLOT_A_RANGE_SLOTS,
	MEMSLOT_A_RANGE_PAD,
	MEMSLOT_A_RANGE_SLOT_ID,

	__MEMSLOT_A_RANGE_MAX,
	MEMSLOT_A_RANGE_MAX = (__MEMSLOT_A_RANGE_MAX - 1)
};

enum {
	MEMSLOT_A_OP_TYPE = 1,
	MEMSLOT_A_OP_RANGE_ID,
	MEMSLOT_A_OP_GPA,
	MEMSLOT_A_OP_SIZE,
	MEMSLOT_A_OP_BACKING_ID,
	MEMSLOT_A_OP_OFFSET,
	MEMSLOT_A_OP_FLAGS,
	MEMSLOT_A_OP_PAD,

	__MEMSLOT_A_OP_MAX,
	MEMSLOT_A_OP_MAX = (__MEMSLOT_A_OP_MAX - 1)
};

enum {
	MEMSLOT_A_TXN_SPACE_ID = 1,
	MEMSLOT_A_TXN_OP,
	MEMSLOT_A_TXN_GENERATION,
	MEMSLOT_A_TXN_ADDED,
	MEMSLOT_A_TXN_REMOVED,
	MEMSLOT_A_TXN_CHANGED,
	MEMSLOT_A_TXN_ADDED_ID,
	MEMSLOT_A_TXN_DIFF_TRUNCATED,
	MEMSLOT_A_TXN_STAGED,
	MEMSLOT_A_TXN_N_OPS,
	MEMSLOT_A_TXN_HOLD,
	MEMSLOT_A_TXN_HELD_VCPUS,
	MEMSLOT_A_TXN_HOLD_NS,
	MEMSLOT_A_TXN_COMMIT_NS,
	MEMSLOT_A_TXN_PAD,
	MEMSLOT_A_TXN_DMA_HOLE,
	MEMSLOT_A_TXN_DMA_MAP_CALLS,
	MEMSLOT_A_TXN_DMA_MAP_PAGES,
	MEMSLOT_A_TXN_DMA_UNMAP_CALLS,
	MEMSLOT_A_TXN_DMA_UNMAP_PAGES,
	MEMSLOT_A_TXN_DMA_KEPT_PAGES,
	MEMSLOT_A_TXN_DMA_HOLE_PAGES,
	MEMSLOT_A_TXN_SLOT_IDS,
	MEMSLOT_A_TXN_HOLD_REASON,
	MEMSLOT_A_TXN_HOLD_BATCHES,
	MEMSLOT_A_TXN_HOLD_NS_MAX,
	MEMSLOT_A_TXN_KVM_NS,

	__MEMSLOT_A_TXN_MAX,
	MEMSLOT_A_TXN_MAX = (__MEMSLOT_A_TXN_MAX - 1)
};

enum {
	MEMSLOT_A_DIRTY_SPACE_ID = 1,
	MEMSLOT_A_DIRTY_BACKING_ID,
	MEMSLOT_A_DIRTY_RANGE_ID,
	MEMSLOT_A_DIRTY_OFFSET,
	MEMSLOT_A_DIRTY_SIZE,
	MEMSLOT_A_DIRTY_BUFFER,
	MEMSLOT_A_DIRTY_BUFFER_SIZE,
	MEMSLOT_A_DIRTY_CLEAR,
	MEMSLOT_A_DIRTY_DIRTY_PAGES,
	MEMSLOT_A_DIRTY_DMA_PAGES,
	MEMSLOT_A_DIRTY_PAD,

	__MEMSLOT_A_DIRTY_MAX,
	MEMSLOT_A_DIRTY_MAX = (__MEMSLOT_A_DIRTY_MAX - 1)
};

enum {
	MEMSLOT_CMD_SPACE_NEW = 1,
	MEMSLOT_CMD_SPACE_DEL,
	MEMSLOT_CMD_SPACE_GET,
	MEMSLOT_CMD_SPACE_BIND,
	MEMSLOT_CMD_BACKING_NEW,
	MEMSLOT_CMD_BACKING_DEL,
	MEMSLOT_CMD_BACKING_GET,
	MEMSLOT_CMD_RANGE_GET,
	MEMSLOT_CMD_TXN_COMMIT,
	MEMSLOT_CMD_TXN_OPEN,
	MEMSLOT_CMD_TXN_APPEND,
	MEMSLOT_CMD_TXN_ABORT,
	MEMSLOT_CMD_SPACE_NEW_NTF,
	MEMSLOT_CMD_SPACE_DEL_NTF,
	MEMSLOT_CMD_COMMIT_NTF,
	MEMSLOT_CMD_DIRTY_GET,
	MEMSLOT_CMD_SPACE_SET,

	__MEMSLOT_CMD_MAX,
	MEMSLOT_CMD_MAX = (__MEMSLOT_CMD_MAX - 1)
};

#define MEMSLOT_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_MEMSLOT_H */
