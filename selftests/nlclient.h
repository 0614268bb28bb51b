/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal client of the memslot family on libnl-genl-3, independent of
 * libmemslot, for the ABI tests: send one request, collect the replies,
 * the error code, the extended-ACK message and the offending attribute.
 */
#ifndef MEMSLOT_NLCLIENT_H
#define MEMSLOT_NLCLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/genl/genl.h>
#include <linux/memslot.h>

#define NLC_MAX_SPACES	256

struct nlc_space {
	uint32_t id;
	uint32_t owner_pid;
	uint64_t generation;
	char name[64];
	bool vm_bound;
	uint32_t slot_base, slot_count, as_id;
	uint64_t max_slot_size;
	uint32_t dirty_protect;
	uint32_t hold_budget_us, budget_mode;
	uint64_t stats[MEMSLOT_A_STATS_MAX + 1];	/* by MEMSLOT_A_STATS_* */
};

#define NLC_MAX_SLOT_IDS	16

struct nlc_range {
	uint32_t id, backing_id, flags, slots;
	uint64_t gpa, size, offset;
	int n_slot_ids;				/* at most NLC_MAX_SLOT_IDS kept */
	uint32_t slot_id[NLC_MAX_SLOT_IDS];	/* KVM slot of each chunk */
};

struct nlc_result {
	int err;		/* 0 or negative errno from the ACK */
	char msg[256];		/* extack message, "" if none */
	int bad_attr;		/* attribute type at the extack offset, or 0 */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or 0 */
	bool dump_intr;
	int n;			/* spaces in replies / notifications */
	uint8_t cmd[NLC_MAX_SPACES];
	struct nlc_space sp[NLC_MAX_SPACES];
	/* backing-new, txn-commit replies and commit-ntf events */
	uint32_t backing_id;
	uint64_t generation;
	int n_added, n_removed, n_changed;	/* counted; at most 256 kept */
	int n_added_slots;	/* txn-commit reply with slot-ids: added nests */
	uint32_t n_ops;				/* txn-append reply */
	bool diff_truncated;			/* commit-ntf */
	uint32_t held_vcpus;			/* txn-commit reply */
	uint64_t hold_ns, commit_ns;
	uint32_t hold_reason, hold_batches;	/* MEMSLOT_HOLD_REASON_* */
	uint64_t hold_ns_max;
	/* txn-commit reply: MEMSLOT_A_TXN_DMA_MAP_CALLS.. _HOLE_PAGES */
	uint64_t dma[MEMSLOT_A_TXN_DMA_HOLE_PAGES - MEMSLOT_A_TXN_DMA_MAP_CALLS + 1];
	struct nlc_range added[NLC_MAX_SPACES], removed[NLC_MAX_SPACES];
	struct nlc_range changed[NLC_MAX_SPACES];
	uint64_t dirty_pages, dma_pages;	/* dirty-get reply */
	/* range-get replies and dumps */
	int n_ranges;
	struct nlc_range ranges[NLC_MAX_SPACES];
};

/* One transaction op for nlc_txn(); zero fields are left out. */
struct nlc_op {
	uint32_t type;		/* MEMSLOT_OP_TYPE_* */
	uint32_t range_id, backing_id;
	uint64_t gpa, size, offset;
	int64_t flags;		/* -1: leave out */
};

#define NLC_ADD(g, s, b, o, f) \
	{ .type = MEMSLOT_OP_TYPE_ADD, .gpa = (g), .size = (s), \
	  .backing_id = (b), .offset = (o), .flags = (f) }
#define NLC_REMOVE(id) \
	{ .type = MEMSLOT_OP_TYPE_REMOVE, .range_id = (id), .flags = -1 }
#define NLC_SET_FLAGS(id, f) \
	{ .type = MEMSLOT_OP_TYPE_SET_FLAGS, .range_id = (id), .flags = (f) }

struct nlc {
	struct nl_sock *sk;
	int family;
};

int nlc_open(struct nlc *c);
/* A socket bound to port id @port (-EADDRINUSE while another has it). */
int nlc_open_port(struct nlc *c, uint32_t port);
void nlc_close(struct nlc *c);
struct nl_msg *nlc_msg(struct nlc *c, uint8_t cmd, int flags);
int nlc_xfer(struct nlc *c, struct nl_msg *msg, struct nlc_result *res);

/* Conveniences on top of nlc_xfer(). */
int nlc_space_new(struct nlc *c, const char *name, struct nlc_result *res);
int nlc_space_del(struct nlc *c, uint32_t id, struct nlc_result *res);
int nlc_space_get(struct nlc *c, uint32_t id, struct nlc_result *res);
int nlc_space_dump(struct nlc *c, struct nlc_result *res);
int nlc_space_bind(struct nlc *c, uint32_t id, int vm_fd, uint32_t slot_base,
		   uint32_t slot_count, struct nlc_result *res);
bool nlc_has_space(const struct nlc_result *res, uint32_t id);
/* space-set: hold-budget-us and budget-mode, each left out when < 0. */
int nlc_space_set(struct nlc *c, uint32_t id, int64_t budget_us, int64_t mode,
		  struct nlc_result *res);
int nlc_space_bind_max(struct nlc *c, uint32_t id, int vm_fd,
		       uint32_t slot_base, uint32_t slot_count,
		       uint64_t max_slot_size, struct nlc_result *res);
/* The same with dirty-log-protect @protect (sent even when 0). */
int nlc_space_bind_protect(struct nlc *c, uint32_t id, int vm_fd,
			   uint32_t slot_base, uint32_t slot_count,
			   uint64_t max_slot_size, uint32_t protect,
			   struct nlc_result *res);
int nlc_backing_new(struct nlc *c, uint32_t space, void *addr, uint64_t size,
		    struct nlc_result *res);
int nlc_txn(struct nlc *c, uint32_t space, const struct nlc_op *ops, int n,
	    struct nlc_result *res);
/* A commit with MEMSLOT_A_TXN_HOLD (0: left out). */
int nlc_txn_hold(struct nlc *c, uint32_t space, const struct nlc_op *ops,
		 int n, uint32_t hold, struct nlc_result *res);
/* A commit with MEMSLOT_A_TXN_DMA_HOLE (0: left out). */
/*
 * A commit asking for slot-ids: added[i].slot_id gets the i-th added
 * nest's slot ids (added[i].slots 1 if the nest names added[i].id).
 */
int nlc_txn_slot_ids(struct nlc *c, uint32_t space, const struct nlc_op *ops,
		     int n, bool staged, struct nlc_result *res);
int nlc_txn_dma_hole(struct nlc *c, uint32_t space, const struct nlc_op *ops,
		     int n, uint32_t dma_hole, struct nlc_result *res);
/* This commit's IOMMU work in @res, by MEMSLOT_A_TXN_DMA_* type. */
#define NLC_DMA(res, what) \
	((res)->dma[MEMSLOT_A_TXN_DMA_##what - MEMSLOT_A_TXN_DMA_MAP_CALLS])
/* Any txn command (open, append, abort, commit) with optional ops. */
int nlc_txn_cmd(struct nlc *c, uint8_t cmd, uint32_t space,
		const struct nlc_op *ops, int n, bool staged,
		struct nlc_result *res);
int nlc_range_dump(struct nlc *c, uint32_t space, struct nlc_result *res);
/* dirty-get of a backing window into @buf (0 offset/size: left out). */
int nlc_dirty_get(struct nlc *c, uint32_t space, uint32_t backing,
		  uint64_t off, uint64_t size, void *buf, uint64_t buf_size,
		  bool clear, struct nlc_result *res);

/* Join the events group; read pending notifications without blocking. */
int nlc_join_events(struct nlc *c);
int nlc_read_events(struct nlc *c, struct nlc_result *res);

/*
 * Wait until every space destroyed so far is torn down (slots, pins and
 * references gone): debugfs memslot/flush. 0 or -errno.
 */
int nlc_flush(void);
/* memslot.ko's reference count (each space holds one), or -1. */
long nlc_module_refcnt(void);
/* Set memslot's module parameter @name to @val; its old value in *@old. */
int nlc_param(const char *name, long val, long *old);

/* Drop all privileges of the calling process (uid/gid nobody). */
int nlc_drop_privileges(void);

#endif /* MEMSLOT_NLCLIENT_H */
