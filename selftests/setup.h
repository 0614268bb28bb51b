/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The start most fixtures share: the memslot family, a KVM VM (guest.h)
 * and a new space, skipping where the host has no module or no /dev/kvm.
 */
#ifndef MEMSLOT_SETUP_H
#define MEMSLOT_SETUP_H

#include <errno.h>

#include "guest.h"
#include "nlclient.h"

/* 0, -ENOENT (no family), -ENODEV (no /dev/kvm) or another -errno. */
static inline int setup_vm_space(struct nlc *c, struct guest *g,
				 const char *name, struct nlc_result *r,
				 uint32_t *space)
{
	int err = nlc_open(c);

	if (!err)
		err = guest_open(g);
	if (!err)
		err = nlc_space_new(c, name, r);
	if (!err)
		*space = r->sp[0].id;
	return err;
}

/* setup_vm_space() in a FIXTURE_SETUP, skipping or failing the test. */
#define SETUP_VM_SPACE(c, g, name, r, space) do {				\
	int __err = setup_vm_space(c, g, name, r, space);			\
										\
	if (__err == -ENOENT)							\
		SKIP(return, "memslot family not registered (load memslot.ko)");\
	if (__err == -ENODEV)							\
		SKIP(return, "no /dev/kvm");					\
	ASSERT_EQ(0, __err);							\
} while (0)

#endif /* MEMSLOT_SETUP_H */
