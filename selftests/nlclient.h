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
};

struct nlc {
	struct nl_sock *sk;
	int family;
};

int nlc_open(struct nlc *c);
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

/* Join the events group; read pending notifications without blocking. */
int nlc_join_events(struct nlc *c);
int nlc_read_events(struct nlc *c, struct nlc_result *res);

/* Drop all privileges of the calling process (uid/gid nobody). */
int nlc_drop_privileges(void);

#endif /* MEMSLOT_NLCLIENT_H */
