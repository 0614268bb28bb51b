// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of layout.c, the module's pure range map, built against
 * the kernel's tools/include and tools/lib/rbtree.c, under ASan and UBSan.
 */
#include <stdlib.h>

#include "../layout.h"
#include "kselftest_harness.h"

#define PG MS_PAGE_SIZE

static struct ms_range *mk(u64 gpa, u64 size)
{
	struct ms_range *r = calloc(1, sizeof(*r));

	r->gpa = gpa;
	r->size = size;
	return r;
}

TEST(range_check)
{
	EXPECT_EQ(MS_RANGE_OK, ms_range_check(0, PG));
	EXPECT_EQ(MS_RANGE_ZERO_SIZE, ms_range_check(0, 0));
	EXPECT_EQ(MS_RANGE_UNALIGNED_GPA, ms_range_check(1, PG));
	EXPECT_EQ(MS_RANGE_UNALIGNED_SIZE, ms_range_check(0, PG + 1));
	EXPECT_EQ(MS_RANGE_OVERFLOW, ms_range_check(~0ULL - PG + 1, 2 * PG));
	/* the last page of the space: its end (2^64) is not representable */
	EXPECT_EQ(MS_RANGE_OVERFLOW, ms_range_check(~0ULL - PG + 1, PG));
	EXPECT_EQ(MS_RANGE_OK, ms_range_check(~0ULL - 2 * PG + 1, PG));
	EXPECT_STREQ("gpa + size overflows", ms_range_err_str(MS_RANGE_OVERFLOW));
}

TEST(insert_rejects_overlap_and_keeps_map)
{
	struct ms_layout l;
	struct ms_range *a = mk(4 * PG, 4 * PG), *b = mk(12 * PG, 2 * PG);
	struct ms_range *c = mk(7 * PG, 2 * PG), *d = mk(8 * PG, 4 * PG);

	ms_layout_init(&l);
	ASSERT_EQ(NULL, ms_layout_insert(&l, a));
	ASSERT_EQ(NULL, ms_layout_insert(&l, b));
	/* c reaches into a from the right */
	EXPECT_EQ(a, ms_layout_insert(&l, c));
	EXPECT_EQ(2, l.nr_ranges);
	/* d sits exactly between a and b: touching is not overlapping */
	EXPECT_EQ(NULL, ms_layout_insert(&l, d));
	EXPECT_EQ(3, l.nr_ranges);
	/* sorted walk */
	EXPECT_EQ(a, ms_layout_first(&l));
	EXPECT_EQ(d, ms_layout_next(a));
	EXPECT_EQ(b, ms_layout_next(d));
	EXPECT_EQ(NULL, ms_layout_next(b));
	ms_layout_remove(&l, d);
	EXPECT_EQ(2, l.nr_ranges);
	EXPECT_EQ(b, ms_layout_next(a));
	free(a), free(b), free(c), free(d);
}

TEST(first_overlap_finds_lowest)
{
	struct ms_layout l;
	struct ms_range *r[8];
	int i;

	ms_layout_init(&l);
	for (i = 0; i < 8; i++) {
		r[i] = mk(i * 2 * PG, PG); /* a page, a hole, a page... */
		ASSERT_EQ(NULL, ms_layout_insert(&l, r[i]));
	}
	EXPECT_EQ(r[2], ms_layout_first_overlap(&l, 3 * PG, 10 * PG));
	EXPECT_EQ(r[3], ms_layout_first_overlap(&l, 5 * PG, 2 * PG));
	EXPECT_EQ(NULL, ms_layout_first_overlap(&l, 5 * PG, PG)); /* a hole */
	EXPECT_EQ(r[0], ms_layout_first_overlap(&l, 0, ~0ULL & ~(PG - 1)));
	EXPECT_EQ(NULL, ms_layout_first_overlap(&l, 16 * PG, PG));
	/* resuming a walk (dumps): first range at or above an address */
	EXPECT_EQ(r[0], ms_layout_first_from(&l, 0));
	EXPECT_EQ(r[3], ms_layout_first_from(&l, 5 * PG));
	EXPECT_EQ(r[3], ms_layout_first_from(&l, 6 * PG));
	EXPECT_EQ(NULL, ms_layout_first_from(&l, 14 * PG + 1));
	for (i = 0; i < 8; i++) {
		ms_layout_remove(&l, r[i]);
		free(r[i]);
	}
	EXPECT_EQ(0, l.nr_ranges);
	EXPECT_EQ(NULL, ms_layout_first(&l));
}

/* Random inserts against a bitmap model of the address space. */
TEST(random_against_model)
{
	enum { PAGES = 512, OPS = 20000 };
	struct ms_range *owner[PAGES] = { 0 };
	struct ms_layout l;
	unsigned int seed = 1;
	int i, p, n = 0;

	ms_layout_init(&l);
	for (i = 0; i < OPS; i++) {
		u64 start = rand_r(&seed) % PAGES;
		u64 len = 1 + rand_r(&seed) % 16;
		struct ms_range *r, *clash, *expect = NULL;

		if (start + len > PAGES)
			len = PAGES - start;
		for (p = start; p < (int)(start + len) && !expect; p++)
			expect = owner[p];
		if (expect && rand_r(&seed) % 2) { /* remove the clash instead */
			for (p = 0; p < PAGES; p++)
				if (owner[p] == expect)
					owner[p] = NULL;
			ms_layout_remove(&l, expect);
			free(expect);
			n--;
			continue;
		}
		r = mk(start * PG, len * PG);
		clash = ms_layout_insert(&l, r);
		if (expect) {
			/* the lowest overlapping range, as the model says */
			ASSERT_EQ(expect, clash);
			free(r);
			continue;
		}
		ASSERT_EQ(NULL, clash);
		for (p = start; p < (int)(start + len); p++)
			owner[p] = r;
		n++;
	}
	ASSERT_EQ((unsigned int)n, l.nr_ranges);
	while (ms_layout_first(&l)) {
		struct ms_range *r = ms_layout_first(&l);

		ms_layout_remove(&l, r);
		free(r);
	}
}

TEST_HARNESS_MAIN
