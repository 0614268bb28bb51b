// SPDX-License-Identifier: GPL-2.0
/*
 * Binding a space to a KVM VM by fd: what is accepted, what is refused
 * (with the reason and the attribute), and that the space holds the VM
 * alive until it goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "nlclient.h"

FIXTURE(vm) {
	struct nlc c;
	struct nlc_result r;
	int kvm, vm;
	uint32_t id;
};

FIXTURE_SETUP(vm)
{
	self->kvm = self->vm = -1;
	if (nlc_open(&self->c) == -ENOENT)
		SKIP(return, "memslot family not registered (load memslot.ko)");
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (self->kvm < 0)
		SKIP(return, "no /dev/kvm");
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	ASSERT_EQ(0, nlc_space_new(&self->c, "vm", &self->r));
	self->id = self->r.sp[0].id;
}

FIXTURE_TEARDOWN(vm)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->kvm >= 0)
		close(self->kvm);
	nlc_close(&self->c);
}

/* KVM's debugfs directory of a VM, "<pid>-<fd>", lives as long as the VM. */
static bool vm_alive(pid_t pid, int fd)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d", pid, fd);
	return stat(path, &st) == 0;
}

TEST_F(vm, bind_and_show)
{
	ASSERT_EQ(0, nlc_space_get(&self->c, self->id, &self->r));
	EXPECT_FALSE(self->r.sp[0].vm_bound);
	ASSERT_EQ(0, nlc_space_bind(&self->c, self->id, self->vm, 100, 64,
				    &self->r)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, nlc_space_get(&self->c, self->id, &self->r));
	EXPECT_TRUE(self->r.sp[0].vm_bound);
	EXPECT_EQ(100, self->r.sp[0].slot_base);
	EXPECT_EQ(64, self->r.sp[0].slot_count);
	EXPECT_EQ(0, self->r.sp[0].as_id);

	/* once only */
	EXPECT_EQ(-EBUSY, nlc_space_bind(&self->c, self->id, self->vm, 0, 1,
					 &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "already bound to a VM"));
	ASSERT_EQ(0, nlc_space_get(&self->c, self->id, &self->r));
	EXPECT_EQ(100, self->r.sp[0].slot_base);
}

TEST_F(vm, space_holds_the_vm)
{
	struct stat st;
	int fd = self->vm;

	if (stat("/sys/kernel/debug/kvm", &st))
		SKIP(return, "no KVM debugfs");
	ASSERT_TRUE(vm_alive(getpid(), fd));
	ASSERT_EQ(0, nlc_space_bind(&self->c, self->id, fd, 0, 8, &self->r));
	close(fd);
	self->vm = -1;
	/* the VMM closed its fd: the space's reference keeps the VM */
	EXPECT_TRUE(vm_alive(getpid(), fd));
	ASSERT_EQ(0, nlc_space_del(&self->c, self->id, &self->r));
	/* the space went: so does the VM */
	EXPECT_FALSE(vm_alive(getpid(), fd));
}

TEST_F(vm, refuses_what_is_not_a_vm)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char want[64];

	EXPECT_EQ(-EINVAL, nlc_space_bind(&self->c, self->id, null, 0, 1,
					  &self->r));
	snprintf(want, sizeof(want), "vm-fd %d is not a KVM VM", null);
	EXPECT_STREQ(want, self->r.msg);
	EXPECT_EQ(MEMSLOT_A_SPACE_VM_FD, self->r.bad_attr);

	/* /dev/kvm itself is KVM, but not a VM */
	EXPECT_EQ(-EINVAL, nlc_space_bind(&self->c, self->id, self->kvm, 0, 1,
					  &self->r));
	EXPECT_NE(NULL, strstr(self->r.msg, "is not a KVM VM"));

	close(null); /* now a closed fd */
	EXPECT_EQ(-EBADF, nlc_space_bind(&self->c, self->id, null, 0, 1,
					 &self->r));
	snprintf(want, sizeof(want), "vm-fd %d is not open", null);
	EXPECT_STREQ(want, self->r.msg);
	EXPECT_EQ(-EBADF, nlc_space_bind(&self->c, self->id, -1, 0, 1,
					 &self->r));
	EXPECT_EQ(MEMSLOT_A_SPACE_VM_FD, self->r.bad_attr);

	ASSERT_EQ(0, nlc_space_get(&self->c, self->id, &self->r));
	EXPECT_FALSE(self->r.sp[0].vm_bound);
}

TEST_F(vm, refuses_bad_slots_and_address_space)
{
	struct nl_msg *msg;

	EXPECT_EQ(-ERANGE, nlc_space_bind(&self->c, self->id, self->vm, 32000,
					  1000, &self->r));
	TH_LOG("%s", self->r.msg);
	EXPECT_NE(NULL, strstr(self->r.msg, "user memslots"));
	EXPECT_EQ(MEMSLOT_A_SPACE_SLOT_COUNT, self->r.bad_attr);
	/* slot-count 0: refused by the policy */
	EXPECT_EQ(-ERANGE, nlc_space_bind(&self->c, self->id, self->vm, 0, 0,
					  &self->r));
	EXPECT_EQ(MEMSLOT_A_SPACE_SLOT_COUNT, self->r.bad_attr);

	msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_BIND, 0);
	nla_put_u32(msg, MEMSLOT_A_SPACE_ID, self->id);
	nla_put_s32(msg, MEMSLOT_A_SPACE_VM_FD, self->vm);
	nla_put_u32(msg, MEMSLOT_A_SPACE_SLOT_COUNT, 1);
	nla_put_u32(msg, MEMSLOT_A_SPACE_AS_ID, 7);
	EXPECT_EQ(-ERANGE, nlc_xfer(&self->c, msg, &self->r));
	TH_LOG("%s", self->r.msg);
	EXPECT_NE(NULL, strstr(self->r.msg, "as-id 7"));
	EXPECT_EQ(MEMSLOT_A_SPACE_AS_ID, self->r.bad_attr);

	msg = nlc_msg(&self->c, MEMSLOT_CMD_SPACE_BIND, 0);
	nla_put_u32(msg, MEMSLOT_A_SPACE_ID, self->id);
	nla_put_u32(msg, MEMSLOT_A_SPACE_SLOT_COUNT, 1);
	EXPECT_EQ(-EINVAL, nlc_xfer(&self->c, msg, &self->r));
	EXPECT_STREQ("space-bind needs vm-fd and slot-count", self->r.msg);
	EXPECT_EQ(MEMSLOT_A_SPACE_VM_FD, self->r.miss_type);

	ASSERT_EQ(0, nlc_space_get(&self->c, self->id, &self->r));
	EXPECT_FALSE(self->r.sp[0].vm_bound);
}

TEST_HARNESS_MAIN
