// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cowstat_hist: log2 nanosecond histograms (src/core/hist.c).
 */

#include <kunit/test.h>
#include <linux/kernel.h>

#include "util.h"

struct bucket_case {
	u64 ns;
	unsigned int bucket;
};

static const struct bucket_case bucket_cases[] = {
	{ 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 2 }, { 4, 3 }, { 7, 3 },
	{ 1023, 10 }, { 1024, 11 }, { 1000000, 20 },
	{ (1ULL << 62) - 1, 62 }, { 1ULL << 62, 63 },
	/* fls64() reaches 64 from 2^63: folded into the last bucket. */
	{ 1ULL << 63, 63 }, { U64_MAX, 63 },
};

static void cowstat_hist_bucket_edges(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bucket_cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, cowstat_hist_bucket(bucket_cases[i].ns),
				    bucket_cases[i].bucket, "ns %llu",
				    bucket_cases[i].ns);
}

static void cowstat_hist_bounds_edges(struct kunit *test)
{
	u64 lo, hi;

	cowstat_hist_bounds(0, &lo, &hi);
	KUNIT_EXPECT_EQ(test, lo, 0ULL);
	KUNIT_EXPECT_EQ(test, hi, 1ULL);
	cowstat_hist_bounds(1, &lo, &hi);
	KUNIT_EXPECT_EQ(test, lo, 1ULL);
	KUNIT_EXPECT_EQ(test, hi, 2ULL);
	cowstat_hist_bounds(11, &lo, &hi);
	KUNIT_EXPECT_EQ(test, lo, 1024ULL);
	KUNIT_EXPECT_EQ(test, hi, 2048ULL);
	cowstat_hist_bounds(COWSTAT_HIST_BUCKETS - 1, &lo, &hi);
	KUNIT_EXPECT_EQ(test, lo, 1ULL << 62);
	KUNIT_EXPECT_EQ(test, hi, U64_MAX);
}

/*
 * The buckets tile [0, U64_MAX): each starts where the previous ended, and
 * every value around each power of two lies in its own bucket's bounds.
 */
static void cowstat_hist_bucket_within_bounds(struct kunit *test)
{
	u64 prev_hi = 0;
	unsigned int b, k;

	for (b = 0; b < COWSTAT_HIST_BUCKETS; b++) {
		u64 lo, hi;

		cowstat_hist_bounds(b, &lo, &hi);
		KUNIT_EXPECT_EQ_MSG(test, lo, prev_hi, "bucket %u", b);
		KUNIT_EXPECT_LT_MSG(test, lo, hi, "bucket %u", b);
		prev_hi = hi;
	}
	for (k = 0; k < 64; k++) {
		u64 around[] = { (1ULL << k) - 1, 1ULL << k, (1ULL << k) + 1 };
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(around); i++) {
			u64 ns = around[i], lo, hi;

			b = cowstat_hist_bucket(ns);
			KUNIT_ASSERT_LT(test, b, (unsigned int)COWSTAT_HIST_BUCKETS);
			cowstat_hist_bounds(b, &lo, &hi);
			KUNIT_EXPECT_LE_MSG(test, lo, ns, "ns %llu bucket %u",
					    ns, b);
			KUNIT_EXPECT_LT_MSG(test, ns, hi, "ns %llu bucket %u",
					    ns, b);
		}
	}
}

static void cowstat_hist_add_counts(struct kunit *test)
{
	struct cowstat_hist *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	unsigned int b;

	KUNIT_ASSERT_NOT_NULL(test, h);
	cowstat_hist_add(h, 0);
	cowstat_hist_add(h, 1500);
	cowstat_hist_add(h, 2047);
	cowstat_hist_add(h, 2048);
	cowstat_hist_add(h, U64_MAX);
	for (b = 0; b < COWSTAT_HIST_BUCKETS; b++) {
		u64 want = b == 0 ? 1 : b == 11 ? 2 : b == 12 ? 1 :
			   b == COWSTAT_HIST_BUCKETS - 1 ? 1 : 0;

		KUNIT_EXPECT_EQ_MSG(test, (u64)atomic64_read(&h->bucket[b]),
				    want, "bucket %u", b);
	}
}

static void cowstat_hist_name_each(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < COWSTAT_NR_HISTS; i++) {
		const char *name = cowstat_hist_name(i);

		KUNIT_ASSERT_NOT_NULL_MSG(test, name, "histogram %u", i);
		/* One word: the latency file puts it after "hist ". */
		KUNIT_EXPECT_GT(test, strlen(name), (size_t)0);
		KUNIT_EXPECT_NULL(test, strpbrk(name, " \t\n"));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, name, cowstat_hist_name(j));
	}
	KUNIT_EXPECT_STREQ(test, cowstat_hist_name(COWSTAT_HIST_FORK),
			   "fork_copy");
	KUNIT_EXPECT_NULL(test, cowstat_hist_name(COWSTAT_NR_HISTS));
}

static struct kunit_case cowstat_hist_cases[] = {
	KUNIT_CASE(cowstat_hist_bucket_edges),
	KUNIT_CASE(cowstat_hist_bounds_edges),
	KUNIT_CASE(cowstat_hist_bucket_within_bounds),
	KUNIT_CASE(cowstat_hist_add_counts),
	KUNIT_CASE(cowstat_hist_name_each),
	{}
};

static struct kunit_suite cowstat_hist_suite = {
	.name = "cowstat_hist",
	.test_cases = cowstat_hist_cases,
};

kunit_test_suite(cowstat_hist_suite);
