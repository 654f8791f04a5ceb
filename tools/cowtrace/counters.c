// SPDX-License-Identifier: GPL-2.0
/*
 * The counter list as cowtrace sees it: names and meanings come from
 * include/cowstat/counter-list.h; only the unit (what a count is worth in
 * bytes) is cowtrace's own knowledge, kept next to the list so that a new
 * counter without a unit fails the unit tests instead of printing wrong
 * byte totals.
 */
#include <string.h>

#include "cowtrace.h"

const struct cow_counter_info cow_counter_info[COWSTAT_NR_COUNTERS] = {
#define COWSTAT_COUNTER(name, side, meaning) { #name, #side, meaning },
#include <cowstat/counter-list.h>
#undef COWSTAT_COUNTER
};

static const struct {
	const char *name;
	enum cow_unit unit;
} units[] = {
	{ "forks", UNIT_EVENT },
	{ "fork_vmas_copied", UNIT_EVENT },
	{ "fork_vmas_skipped", UNIT_EVENT },
	{ "fork_pages_shared", UNIT_PAGE },
	{ "fork_pages_shared_anon", UNIT_PAGE },
	{ "fork_pages_shared_file", UNIT_PAGE },
	{ "fork_pages_shared_shmem", UNIT_PAGE },
	{ "fork_swap_shared", UNIT_PAGE },
	{ "fork_pt_pages", UNIT_PAGE },
	{ "fork_eager_copies", UNIT_PAGE },
	{ "fork_thp_shared", UNIT_HUGE },
	{ "fork_hugetlb_shared", UNIT_HUGE },
	{ "wp_faults", UNIT_EVENT },
	{ "cow_copies", UNIT_PAGE },
	{ "cow_copies_anon", UNIT_PAGE },
	{ "cow_copies_zero", UNIT_PAGE },
	{ "cow_copies_file", UNIT_PAGE },
	{ "cow_copies_ksm", UNIT_PAGE },
	{ "cow_copies_pfn", UNIT_PAGE },
	{ "cow_copies_unshare", UNIT_PAGE },
	{ "cow_at_fault", UNIT_PAGE },
	{ "cow_reuses", UNIT_PAGE },
	{ "cow_reuses_moved", UNIT_PAGE },
	{ "cow_reuses_exclusive", UNIT_PAGE },
	{ "unshare_kept", UNIT_PAGE },
	{ "shared_writes", UNIT_PAGE },
	{ "thp_reuses", UNIT_HUGE },
	{ "thp_splits", UNIT_EVENT },
	{ "hugetlb_copies", UNIT_HUGE },
	{ "hugetlb_reuses", UNIT_HUGE },
	{ "uffd_wp", UNIT_EVENT },
	{ "wp_races", UNIT_EVENT },
	{ "wp_errors", UNIT_EVENT },
	{ "wp_retries", UNIT_EVENT },
	{ "remote_events", UNIT_EVENT },
};

int cow_counter_index(const char *name)
{
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (!strcmp(cow_counter_info[i].name, name))
			return i;
	return -1;
}

int cow_counter_unit(int idx)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(units[i].name, cow_counter_info[idx].name))
			return units[i].unit;
	return -1;
}

uint64_t cow_counter_bytes(int idx, uint64_t value)
{
	switch (cow_counter_unit(idx)) {
	case UNIT_PAGE:
		return value * PAGE_BYTES;
	case UNIT_HUGE:
		return value * HUGE_BYTES;
	default:
		return 0;
	}
}
