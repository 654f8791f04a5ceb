// SPDX-License-Identifier: GPL-2.0
/*
 * log2 nanosecond histograms: one atomic counter per power of two, so a
 * probe handler records a sample with one fls64() and one atomic add.
 */

#include <linux/bitops.h>

#include <cowstat/core.h>

static const char *const cowstat_hist_names[COWSTAT_NR_HISTS] = {
	[COWSTAT_HIST_FORK] = "fork_copy",
	[COWSTAT_HIST_WP_COPY] = "wp_copy",
	[COWSTAT_HIST_WP_REUSE] = "wp_reuse",
	[COWSTAT_HIST_WP_SHARED] = "wp_shared",
	[COWSTAT_HIST_WP_OTHER] = "wp_other",
	[COWSTAT_HIST_THP] = "thp_wp",
	[COWSTAT_HIST_HUGETLB] = "hugetlb_wp",
};

const char *cowstat_hist_name(enum cowstat_hist_id id)
{
	if ((unsigned int)id >= COWSTAT_NR_HISTS)
		return NULL;
	return cowstat_hist_names[id];
}

unsigned int cowstat_hist_bucket(u64 ns)
{
	unsigned int b = fls64(ns);

	/* fls64() of a u64 is at most 64; fold the top into the last bucket. */
	return b < COWSTAT_HIST_BUCKETS ? b : COWSTAT_HIST_BUCKETS - 1;
}

void cowstat_hist_bounds(unsigned int b, u64 *lo, u64 *hi)
{
	if (b == 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	*lo = 1ULL << (b - 1);
	*hi = b < COWSTAT_HIST_BUCKETS - 1 ? 1ULL << b : U64_MAX;
}

void cowstat_hist_add(struct cowstat_hist *h, u64 ns)
{
	atomic64_inc(&h->bucket[cowstat_hist_bucket(ns)]);
}
