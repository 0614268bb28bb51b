/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_TESTPOINT_H
#define _MEMSLOT_TESTPOINT_H

#include <linux/types.h>

struct dentry;

/* Where debugfs memslot/pause can stop a thread; see testpoint.c. */
enum ms_pause_point {
	MS_PAUSE_LOOKUP = 1,	/* a request found its space, not locked yet */
	MS_PAUSE_ERROR = 2,	/* a lookup failed, its message is set */
};

void ms_test_pause(enum ms_pause_point point);
void ms_testpoint_init(struct dentry *dir);
void ms_testpoint_exit(void);

#endif /* _MEMSLOT_TESTPOINT_H */
