/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --maps: the counts of the track group per (process, mapping), from the
 * BPF backend's per-mapping map (cowtrace.bpf.c), sorted by the bytes
 * copied, top N with the rest summed.  The module backend has no such
 * table (Documentation/bpf-backend.rst, "Per-mapping counts").
 */
#ifndef COWTRACE_MAPS_H
#define COWTRACE_MAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"

struct cow_report;
struct cow_source;
struct json;

#define COW_MAP_NAME_LEN 64
#define COW_MAPS_TOP_DEFAULT 10

/* One entry of the BPF map, as the loader reads it. */
struct cow_map_raw {
	uint64_t gen;		/* the record (mm incarnation) */
	uint64_t start, end;	/* the VMA at the entry's first event */
	uint64_t page_size;	/* bytes of one page (hugetlb: the huge page) */
	unsigned int kind;	/* enum ct_map_kind */
	bool name_truncated;
	char name[COW_MAP_NAME_LEN];	/* the file's dentry name, "" if none */
	uint64_t val[COWSTAT_NR_COUNTERS];
};

/* One row of the report: a mapping of a process of the track group. */
struct cow_map_row {
	int64_t pid;
	char comm[COW_COMM_LEN];
	const char *kind;	/* "anon", "heap", "stack", "file", ... */
	uint64_t start, end;
	uint64_t page_size;
	bool has_name, name_truncated;
	char name[COW_MAP_NAME_LEN];
	uint64_t copies;	/* cow_copies + cow_at_fault + hugetlb_copies */
	uint64_t bytes_copied;
	struct cow_counters c;
};

struct cow_maps {
	struct cow_map_row *rows;	/* sorted, the top ones first */
	size_t nr;			/* every mapping with an event */
	size_t top;			/* how many to show one by one */
	struct cow_map_row rest;	/* the sum of rows[top..nr) */
	uint64_t lost;			/* events not attributed: the map was full */
};

/* The name of enum ct_map_kind k. */
const char *cow_map_kind_name(unsigned int k);

/*
 * The rows of raw that belong to r's processes (by record), with their
 * pid and comm, sorted by bytes copied (then events, pid, start); the
 * counters r->probes calls unavailable are not had.  Returns 0 or -ENOMEM.
 */
int cow_maps_build(const struct cow_map_raw *raw, size_t nr_raw, const struct cow_report *r,
		   size_t top, uint64_t lost, struct cow_maps *m);
/* Reads the source's map (BPF backend only) and builds m from it. */
int cow_maps_collect(struct cow_source *s, const struct cow_report *r, size_t top,
		     struct cow_maps *m);
void cow_maps_free(struct cow_maps *m);

void cow_maps_print_text(FILE *f, const struct cow_maps *m);
/*
 * -x SEP: a header line of its own (type, pid, comm, kind, start, end,
 * name, copies, bytes_copied, the counters, unattributed), one "map" row
 * per mapping shown and one "map_rest" row (the rest, and the events not
 * attributed in its last column).
 */
void cow_maps_print_sv(FILE *f, const struct cow_maps *m, const char *sep);
/* The "maps", "maps_rest" and "maps_unattributed" members. */
void cow_maps_json(struct json *j, const struct cow_maps *m);

#endif /* COWTRACE_MAPS_H */
