// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle: rmmod is refused while a space lives and works once its
 * owner is gone; 50 unload/load cycles leave nothing in the kernel log.
 *
 * Needs MEMSLOT_KO (path of memslot.ko) and root; it unloads the module, so
 * it skips when other users hold it (a host with live VMMs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nlclient.h"

static int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/memslot/refcnt", "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static int unload(void)
{
	return syscall(__NR_delete_module, "memslot", O_NONBLOCK) ? -errno : 0;
}

static int load(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool family_present(void)
{
	struct nlc c;
	bool present = nlc_open(&c) == 0;

	nlc_close(&c);
	return present;
}

/* Position a /dev/kmsg reader at the end of the log. */
static int kmsg_tail(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Count (and log) the records written since kmsg_tail(). */
static int kmsg_new_records(struct __test_metadata *_metadata, int fd)
{
	char rec[8192];
	int n = 0;
	ssize_t len;

	while ((len = read(fd, rec, sizeof(rec) - 1)) > 0) {
		rec[len] = '\0';
		TH_LOG("kernel log: %s", rec);
		n++;
	}
	return n;
}

FIXTURE(mod) {
	const char *ko;
};

FIXTURE_SETUP(mod)
{
	self->ko = getenv("MEMSLOT_KO");
	if (!self->ko)
		SKIP(return, "set MEMSLOT_KO to the module's path");
	if (geteuid())
		SKIP(return, "needs root");
	if (module_refcnt() != 0)
		SKIP(return, "memslot.ko not loaded or in use");
}

FIXTURE_TEARDOWN(mod)
{
	if (self->ko && !family_present())
		load(self->ko);
}

TEST_F(mod, unload_refused_while_a_space_lives)
{
	struct nlc_result r;
	struct nlc c;
	uint32_t id;

	ASSERT_EQ(0, nlc_open(&c));
	ASSERT_EQ(0, nlc_space_new(&c, "pinned", &r));
	id = r.sp[0].id;
	EXPECT_EQ(1, module_refcnt());
	EXPECT_EQ(-EWOULDBLOCK, unload());
	/* refused and unchanged */
	EXPECT_TRUE(family_present());
	EXPECT_EQ(0, nlc_space_get(&c, id, &r));

	nlc_close(&c); /* the owner goes: the space and its reference too */
	ASSERT_EQ(0, nlc_flush());
	EXPECT_EQ(0, module_refcnt());
	ASSERT_EQ(0, unload());
	EXPECT_FALSE(family_present());
	ASSERT_EQ(0, load(self->ko));
	EXPECT_TRUE(family_present());
}

/* 50 reloads: minutes on the debug kernel under TCG (a liveness bound) */
TEST_F_TIMEOUT(mod, fifty_reloads_leave_no_trace, 300)
{
	int kmsg = kmsg_tail(), i;
	struct nlc_result r;
	struct nlc c;

	ASSERT_LE(0, kmsg);
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, unload()) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, load(self->ko)) TH_LOG("cycle %d", i);
		/* exercise it each time: create, then drop with the socket */
		ASSERT_EQ(0, nlc_open(&c));
		ASSERT_EQ(0, nlc_space_new(&c, NULL, &r));
		nlc_close(&c);
		ASSERT_EQ(0, nlc_flush());
	}
	EXPECT_EQ(0, kmsg_new_records(_metadata, kmsg));
	EXPECT_EQ(0, module_refcnt());
	close(kmsg);
}

TEST_HARNESS_MAIN
