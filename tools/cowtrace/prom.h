/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus text exposition of cowstat's counters (cowtrace export).
 * Metric names come from include/cowstat/counter-list.h; this file only
 * says how a counter's name becomes a metric's (Documentation/cowtrace.rst,
 * METRICS).
 */
#ifndef COWTRACE_PROM_H
#define COWTRACE_PROM_H

#include <stdio.h>

#include "parse.h"
#include "report.h"

#define COW_PROM_TOP_DEFAULT 10
#define COW_PROM_TOP_MAX 100

/* What one exposition is made of; NULL members are left out. */
struct cow_prom_input {
	const struct cow_stats *stats;
	const struct cow_probes *probes;	/* NULL: availability unknown */
	const struct cow_proc *procs;		/* from cow_procs_build() */
	size_t nr_procs;
	long top;				/* processes to list, at most */
	const char *modver;
	int format;
	const char *kernel;
};

/*
 * A counter's metric family: "cowstat_<name>_total", or for a counter whose
 * meaning starts with "..." (a part of the counter above it, named
 * <parent>_<kind>) "cowstat_<parent>_by_kind_total" with kind="<kind>".
 * Returns the parent's index for a part (and its kind in *kind), else -1.
 */
int cow_prom_parent(int idx, const char **kind);

/* A label value with \, " and newline escaped, as the format wants. */
void cow_prom_label(FILE *f, const char *value);

/* The whole exposition, cowstat_up 1 first. */
void cow_prom_write(FILE *f, const struct cow_prom_input *in);
/* The exposition of a failed read: cowstat_up 0 alone. */
void cow_prom_write_down(FILE *f);

#endif /* COWTRACE_PROM_H */
