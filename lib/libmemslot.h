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

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memslot;
struct memslot_space;

int memslot_open(struct memslot **msp);
void memslot_close(struct memslot *ms);
int memslot_fd(const struct memslot *ms);

const char *memslot_errmsg(const struct memslot *ms);
int memslot_err_attr(const struct memslot *ms);
const char *memslot_err_attr_name(const struct memslot *ms);

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

#ifdef __cplusplus
}
#endif

#endif /* LIBMEMSLOT_H */
