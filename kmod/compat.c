// SPDX-License-Identifier: GPL-2.0
/* Storage for the shims in compat.h, where a kernel needs any. */
#ifdef MEMSLOT_COMPAT_NEED_MSG_RING
char memslot_compat_msgs[MEMSLOT_COMPAT_MSG_SLOTS][MEMSLOT_COMPAT_MSG_LEN];
atomic_t memslot_compat_msg_next = ATOMIC_INIT(0);
#endif
