/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (1234:11e8) behind VFIO, for DMA tests: bound to
 * vfio-pci, its group in a container using the memslot IOMMU backend, bus
 * mastering on, BAR0 mapped. edu copies between its 4 KiB buffer (device
 * address 0x40000) and an IOVA; its DMA mask is 28 bits.
 */
#ifndef MEMSLOT_EDU_H
#define MEMSLOT_EDU_H

#include <stdbool.h>
#include <stdint.h>

#define EDU_BUF		0x40000
#define EDU_BUF_SIZE	4096

struct edu {
	int group, container, device;
	volatile uint8_t *bar0;
	size_t bar0_size;
	char bdf[32];
};

/* 0, -ENODEV without the device, or -errno. */
int edu_open(struct edu *e, unsigned long iommu_type);
void edu_close(struct edu *e);
/* MEMSLOT_VFIO_BIND of the container to @space. */
int edu_bind(struct edu *e, uint32_t space);
/* Copy @len bytes from @iova to the device buffer, or back; wait for it. */
int edu_from_ram(struct edu *e, uint64_t iova, uint32_t len);
int edu_to_ram(struct edu *e, uint64_t iova, uint32_t len);
/*
 * RAM -> edu -> RAM: 256 bytes (from @seed) written at @host, the memory
 * behind @iova, copied to the device and back to @iova + 4096; true if
 * they arrived at @host + 4096.
 */
bool edu_round_trip(struct edu *e, uint8_t *host, uint64_t iova, uint8_t seed);

/*
 * DMAR faults, counted by the IOMMU's fault interrupt (/proc/interrupts):
 * the log lines ("DMAR: [DMA ...") are rate limited to 10 in 5 s.
 * edu_faults_since() waits up to @timeout_s for @want more, and returns
 * how many interrupts came since @mark (several faults may share one).
 */
long edu_faults_mark(void);
long edu_faults_since(long mark, long want, int timeout_s);
/* Announce expected kernel log lines to the VM runner (results.py). */
void edu_log_expect(const char *regex);
void edu_log_expect_end(void);

#endif /* MEMSLOT_EDU_H */
