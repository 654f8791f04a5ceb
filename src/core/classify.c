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
