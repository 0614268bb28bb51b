/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBMEMSLOT_INTERNAL_H
#define LIBMEMSLOT_INTERNAL_H

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/memslot.h>
#include <stdint.h>

#include "libmemslot.h"

#define MS_ERRMSG_LEN	256
#define MS_RX_LEN	(256 * 1024)	/* receive buffer: ~30000 added ids */

struct memslot {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;		/* generic netlink id of "memslot" */
	uint32_t events_grp;		/* multicast group id of "events" */
	uint8_t *req;			/* last request sent (for extack offsets) */
	uint8_t *rx;			/* receive buffer */
	char errmsg[MS_ERRMSG_LEN];
	int err_attr;
	int dump_intr;			/* NLM_F_DUMP_INTR seen in this dump */
};

/* Start a request for @cmd in ms->req; @flags beyond NLM_F_REQUEST|ACK. */
struct nlmsghdr *ms_req_start(struct memslot *ms, uint8_t cmd, uint16_t flags);
/*
 * A reply callback: returns 0 to go on, anything else to stop calling it
 * (the rest of the reply is still read) and have ms_req_run() return that.
 */
typedef int (*ms_msg_cb)(const struct nlmsghdr *nlh, void *arg);
/* Send ms->req and process replies with @cb until the ACK or DONE. */
int ms_req_run(struct memslot *ms, ms_msg_cb cb, void *arg);
int ms_set_err(struct memslot *ms, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* LIBMEMSLOT_INTERNAL_H */
