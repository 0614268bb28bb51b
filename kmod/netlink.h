/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MEMSLOT_NETLINK_H
#define _MEMSLOT_NETLINK_H

int ms_netlink_init(void);
void ms_netlink_uninit(void);

#endif /* _MEMSLOT_NETLINK_H */
