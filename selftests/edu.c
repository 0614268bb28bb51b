// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <linux/memslot_vfio.h>

#include "edu.h"

#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	1
#define EDU_CMD_TO_RAM	2

static int read_hex(const char *dir, const char *name, unsigned int *v)
{
	char path[300], buf[32] = "";
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	*v = n > 0 ? strtoul(buf, NULL, 16) : 0;
	return 0;
}

/* The PCI address of the first edu device, in @bdf. */
static int edu_find(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	unsigned int ven, dev;
	char dir[300];
	int err = -ENODEV;

	while (d && (de = readdir(d))) {
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", de->d_name);
		if (!read_hex(dir, "vendor", &ven) && !read_hex(dir, "device", &dev) &&
		    ven == 0x1234 && dev == 0x11e8 && strlen(de->d_name) < len) {
			strcpy(bdf, de->d_name);
			err = 0;
			break;
		}
	}
	if (d)
		closedir(d);
	return err;
}

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0) {
			/* EEXIST: the id is there already, which is fine */
		}
		close(fd);
	}
}

/* Bind to vfio-pci (once per boot) and open its group; -errno. */
static int edu_group(struct edu *e)
{
	char path[300], link[300];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", e->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 || !strstr((link[n] = 0, link), "vfio-pci"))
		write_str("/sys/bus/pci/drivers/vfio-pci/new_id", "1234 11e8");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 e->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -ENODEV;
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	e->group = open(path, O_RDWR | O_CLOEXEC);
	return e->group < 0 ? -errno : 0;
}

static int edu_region(struct edu *e, unsigned int index,
		      struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

/* Bus mastering on, BAR0 mapped. */
static int edu_setup_device(struct edu *e)
{
	struct vfio_region_info ri;
	uint16_t cmd;

	if (edu_region(e, VFIO_PCI_CONFIG_REGION_INDEX, &ri) ||
	    pread(e->device, &cmd, 2, ri.offset + 4) != 2)
		return -EIO;
	cmd |= 4;
	if (pwrite(e->device, &cmd, 2, ri.offset + 4) != 2 ||
	    edu_region(e, VFIO_PCI_BAR0_REGION_INDEX, &ri))
		return -EIO;
	e->bar0 = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       e->device, ri.offset);
	if (e->bar0 == MAP_FAILED) {
		e->bar0 = NULL;
		return -errno;
	}
	e->bar0_size = ri.size;
	return 0;
}

int edu_open(struct edu *e, unsigned long iommu_type)
{
	int err;

	memset(e, 0, sizeof(*e));
	e->group = e->container = e->device = -1;
	err = edu_find(e->bdf, sizeof(e->bdf));
	if (!err)
		err = edu_group(e);
	if (err)
		return err;
	e->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (e->container < 0 ||
	    ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container) ||
	    ioctl(e->container, VFIO_SET_IOMMU, iommu_type))
		return -errno;
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, e->bdf);
	if (e->device < 0)
		return -errno;
	return edu_setup_device(e);
}

void edu_close(struct edu *e)
{
	if (e->bar0)
		munmap((void *)e->bar0, e->bar0_size);
	if (e->device >= 0)
		close(e->device);
	if (e->group >= 0)
		close(e->group);
	if (e->container >= 0)
		close(e->container);
	e->bar0 = NULL;
	e->device = e->group = e->container = -1;
}

int edu_bind(struct edu *e, uint32_t space)
{
	struct memslot_vfio_bind b = {
		.argsz = sizeof(b), .space_id = space,
	};

	return ioctl(e->container, MEMSLOT_VFIO_BIND, &b) ? -errno : 0;
}

static void edu_w64(struct edu *e, unsigned int reg, uint64_t v)
{
	*(volatile uint64_t *)(e->bar0 + reg) = v;
}

/* Start a transfer and wait for the device to finish it (a few us). */
static int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t len,
		   uint64_t cmd)
{
	struct timespec t0, t;

	edu_w64(e, EDU_DMA_SRC, src);
	edu_w64(e, EDU_DMA_DST, dst);
	edu_w64(e, EDU_DMA_CNT, len);
	edu_w64(e, EDU_DMA_CMD, cmd | EDU_CMD_START);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (*(volatile uint64_t *)(e->bar0 + EDU_DMA_CMD) & EDU_CMD_START) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10)
			return -ETIMEDOUT;
		sched_yield(); /* each poll is an MMIO exit: let others run */
	}
	return 0;
}

int edu_from_ram(struct edu *e, uint64_t iova, uint32_t len)
{
	return edu_dma(e, iova, EDU_BUF, len, 0);
}

int edu_to_ram(struct edu *e, uint64_t iova, uint32_t len)
{
	return edu_dma(e, EDU_BUF, iova, len, EDU_CMD_TO_RAM);
}

bool edu_round_trip(struct edu *e, uint8_t *host, uint64_t iova, uint8_t seed)
{
	uint8_t *dst = host + 4096;
	int i;

	for (i = 0; i < 256; i++)
		host[i] = seed + i * 7;
	memset(dst, 0, 256);
	if (edu_from_ram(e, iova, 256) || edu_to_ram(e, iova + 4096, 256))
		return false;
	return !memcmp(host, dst, 256);
}

/* Sum of the DMAR fault interrupts on all CPUs. */
long edu_faults_mark(void)
{
	char line[512], *p, *end;
	long n = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strstr(line, "DMAR"))
			continue;
		p = strchr(line, ':');
		for (p = p ? p + 1 : line; ; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			n += v;
		}
	}
	if (f)
		fclose(f);
	return n;
}

long edu_faults_since(long mark, long want, int timeout_s)
{
	struct timespec t0, t;
	long n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = edu_faults_mark() - mark;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (n >= want || t.tv_sec - t0.tv_sec >= timeout_s)
			return n;
		sched_yield();
	}
}

static void kmsg(const char *s)
{
	write_str("/dev/kmsg", s);
}

void edu_log_expect(const char *regex)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "memslot-selftest: expect %s", regex);
	kmsg(buf);
}

void edu_log_expect_end(void)
{
	kmsg("memslot-selftest: expect-end");
}
