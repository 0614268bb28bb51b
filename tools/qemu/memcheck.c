// SPDX-License-Identifier: GPL-2.0
/*
 * memcheck: the nested guest's memory checker (static, in its initramfs).
 * Each time MemTotal changes (virtio-mem plugged or unplugged memory) it
 * fills most of the free memory with a pattern that names each page,
 * reads it back, frees it and prints one line for the host:
 *
 *   memcheck: memtotal=KB checked=MB errors=N
 *
 * Bounded by MEMCHECK_MAX_MB (argv[1], default 128) so a big plug stays
 * quick. Polls /proc/meminfo once a second: the guest has no other event
 * for a memory block coming online.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long meminfo(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static long check(size_t bytes, uint64_t seed)
{
	uint64_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i, n = bytes / 8;
	long errors = 0;

	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < n; i += 512)	/* the first word of every page */
		p[i] = seed ^ i;
	for (i = 0; i < n; i += 512)
		errors += p[i] != (seed ^ i);
	munmap(p, bytes);
	return errors;
}

int main(int argc, char **argv)
{
	long max_mb = argc > 1 ? atol(argv[1]) : 128, last = -1;
	uint64_t seed = 0x6d656d736c6f74ull;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;; sleep(1)) {
		long total = meminfo("MemTotal:"), mb;

		if (total == last)
			continue;
		last = total;
		mb = meminfo("MemAvailable:") / 1024 - 48;
		if (mb > max_mb)
			mb = max_mb;
		if (mb < 1)
			mb = 1;
		printf("memcheck: memtotal=%ld checked=%ld errors=%ld\n", total,
		       mb, check((size_t)mb << 20, seed++));
	}
}
