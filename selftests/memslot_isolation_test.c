// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt isolation, as VFIO type1 demands it: without interrupt
 * remapping (the VM runner boots a second VM with intremap=off for this
 * program) a device could write the MSI window by DMA, so the memslot
 * IOMMU backend refuses to attach its group unless the administrator set
 * memslot.allow_unsafe_interrupts. Skips where interrupts are remapped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/memslot_vfio.h>

#include "kselftest_harness.h"
#include "edu.h"
#include "nlclient.h"

/* Are MSIs remapped? Unless the kernel was booted with intremap=off. */
static bool interrupts_remapped(void)
{
	char cmdline[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
	}
	return !strstr(cmdline, "intremap=off");
}

TEST(unisolated_group_refused_unless_allowed)
{
	struct edu e;
	long old;
	int err;

	if (interrupts_remapped())
		SKIP(return, "interrupts are remapped here (boot with intremap=off)");
	err = edu_open(&e, MEMSLOT_VFIO_IOMMU);
	if (err == -ENODEV)
		SKIP(return, "no edu device behind an IOMMU");
	EXPECT_EQ(-EPERM, err);
	edu_close(&e);

	ASSERT_EQ(0, nlc_param("allow_unsafe_interrupts", 1, &old));
	err = edu_open(&e, MEMSLOT_VFIO_IOMMU);
	nlc_param("allow_unsafe_interrupts", 0, NULL);
	EXPECT_EQ(0, err);
	edu_close(&e);
	EXPECT_EQ(0, old);
}

TEST_HARNESS_MAIN
