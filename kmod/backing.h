/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_BACKING_H
#define _MEMSLOT_BACKING_H

#include "space.h"

struct netlink_ext_ack;
struct nlattr;

struct ms_backing *ms_backing_new(struct ms_space *space, u64 addr, u64 size,
				  const char *name, struct nlattr **tb,
				  struct netlink_ext_ack *extack);
int ms_backing_del(struct ms_space *space, u32 id, struct nlattr **tb,
		   struct netlink_ext_ack *extack);

#endif /* _MEMSLOT_BACKING_H */
