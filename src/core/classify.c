// SPDX-License-Identifier: GPL-2.0
/*
 * Classification: the counter names and the caller classes.  The pure
 * classifiers of faults and fork VMAs are static inline in
 * <cowstat/classify.h>, shared with KUnit and cowtrace's BPF programs.
 */

#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/stringify.h>

#include <cowstat/core.h>

static const char *const cowstat_counter_names[] = {
#define COWSTAT_COUNTER(name, side, meaning) __stringify(name),
#include <cowstat/counter-list.h>
#undef COWSTAT_COUNTER
};

static_assert(COWSTAT_ENOSPC == ENOSPC);

const char *cowstat_counter_name(enum cowstat_counter id)
{
	if ((unsigned int)id >= COWSTAT_NR_COUNTERS)
		return NULL;
	return cowstat_counter_names[id];
}

/* The callers through which an anon install is a private-file COW. */
static const char *const cowstat_cow_at_fault_callers[] = {
	"do_set_pte",		/* 6.1 .. 6.4 */
	"set_pte_range",	/* 6.5 and later */
	"finish_fault",		/* when the above are inlined */
	"do_cow_fault",
	"do_fault",
};

enum cowstat_caller cowstat_classify_caller(const char *sym)
{
	size_t len = strcspn(sym, ".+ ");
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cowstat_cow_at_fault_callers); i++) {
		const char *c = cowstat_cow_at_fault_callers[i];

		if (strlen(c) == len && !strncmp(sym, c, len))
			return COWSTAT_CALLER_COW_AT_FAULT;
	}
	return COWSTAT_CALLER_OTHER;
}

/* Install sites inside a write-protect fault and inside a fork. */
static const char *const cowstat_wp_sites[] = {
	"wp_page_copy",		/* a function of its own on 6.1 */
	"do_wp_page",		/* 6.12 inlines wp_page_copy */
	"wp_can_reuse_anon_folio", /* 6.8+: its move marks a reuse */
	"wp_page_reuse",	/* inline; were it not, its PTE update (6.15+) */
	/*
	 * 6.13+: the huge zero page's write fault maps a new THP (told from
	 * a do_wp_page copy by its size).
	 */
	"do_huge_pmd_wp_page",
	"map_anon_folio_pmd",	/* 6.13 to 6.18, static */
	"map_anon_folio_pmd_nopf", /* 6.19+ */
};

static const char *const cowstat_fork_sites[] = {
	"copy_present_page",	/* each of these is inlined into the next */
	"copy_present_pte",	/* on 6.1 and 6.12 */
	"copy_present_ptes",
	"copy_pte_range",
	"copy_pmd_range",
	"copy_pud_range",
	"copy_p4d_range",
	"copy_page_range",
};

static bool cowstat_name_in(const char *sym, size_t len,
			    const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(sym, names[i], len))
			return true;
	return false;
}

enum cowstat_site cowstat_classify_site(const char *sym)
{
	size_t len = strcspn(sym, ".+ ");

	if (cowstat_name_in(sym, len, cowstat_wp_sites,
			    ARRAY_SIZE(cowstat_wp_sites)))
		return COWSTAT_SITE_WP;
	if (cowstat_name_in(sym, len, cowstat_fork_sites,
			    ARRAY_SIZE(cowstat_fork_sites)))
		return COWSTAT_SITE_FORK;
	if (cowstat_classify_caller(sym) == COWSTAT_CALLER_COW_AT_FAULT)
		return COWSTAT_SITE_COW_AT_FAULT;
	return COWSTAT_SITE_NONE;
}
