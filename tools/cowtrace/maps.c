// SPDX-License-Identifier: GPL-2.0
/*
 * --maps: the per-mapping section of the report (maps.h).
 *
 * The BPF programs count each event of a tracked record a second time
 * under the key (record, vm_start, kind) of the VMA it hit; here the
 * entries of the report's own records are named by their process, sorted
 * by the bytes they copied, and cut to the top N with the rest summed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "cowtrace.h"
#include "cowtrace_bpf.h"
#include "bpf_source.h"
#include "json.h"
#include "maps.h"
#include "report.h"

static const char *const kind_names[CT_NR_MAP_KINDS] = {
	[CT_MAP_ANON] = "anon",
	[CT_MAP_HEAP] = "heap",
	[CT_MAP_STACK] = "stack",
	[CT_MAP_FILE] = "file",
	[CT_MAP_SHARED] = "shared",
	[CT_MAP_HUGETLB] = "hugetlb",
	[CT_MAP_SPECIAL] = "special",
};

const char *cow_map_kind_name(unsigned int k)
{
	return k < CT_NR_MAP_KINDS ? kind_names[k] : "?";
}

static uint64_t v(const struct cow_counters *c, enum cowstat_counter i)
{
	return c->have[i] ? c->val[i] : 0;
}

/* The row's copies and bytes copied, from its counters. */
static void row_cost(struct cow_map_row *row)
{
	uint64_t small = v(&row->c, COWSTAT_cow_copies) + v(&row->c, COWSTAT_cow_at_fault);
	uint64_t huge = v(&row->c, COWSTAT_hugetlb_copies);

	row->copies = small + huge;
	row->bytes_copied = small * PAGE_BYTES + huge * row->page_size;
}

static uint64_t row_events(const struct cow_map_row *row)
{
	uint64_t sum = 0;

	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (i != COWSTAT_remote_events)
			sum += v(&row->c, i);
	return sum;
}

static int cmp_row(const void *pa, const void *pb)
{
	const struct cow_map_row *a = pa, *b = pb;
	uint64_t ea, eb;

	if (a->bytes_copied != b->bytes_copied)
		return a->bytes_copied > b->bytes_copied ? -1 : 1;
	ea = row_events(a);
	eb = row_events(b);
	if (ea != eb)
		return ea > eb ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return 0;
}

static const struct cow_proc *proc_of_gen(const struct cow_report *r, uint64_t gen)
{
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct cow_proc *p = &r->procs[i];

		for (size_t k = 0; k < p->nr_records && k < COW_MAX_GENS; k++)
			if (p->gens[k] == gen)
				return p;
	}
	return NULL;
}

int cow_maps_build(const struct cow_map_raw *raw, size_t nr_raw, const struct cow_report *r,
		   size_t top, uint64_t lost, struct cow_maps *m)
{
	memset(m, 0, sizeof(*m));
	m->lost = lost;
	m->rows = calloc(nr_raw ? nr_raw : 1, sizeof(*m->rows));
	if (!m->rows)
		return -ENOMEM;
	for (size_t i = 0; i < nr_raw; i++) {
		const struct cow_proc *p = proc_of_gen(r, raw[i].gen);
		struct cow_map_row *row = &m->rows[m->nr];
		bool any = false;

		if (!p)
			continue;
		memset(row, 0, sizeof(*row));
		row->pid = p->tgid;
		snprintf(row->comm, sizeof(row->comm), "%s", p->comm);
		row->kind = cow_map_kind_name(raw[i].kind);
		row->start = raw[i].start;
		row->end = raw[i].end;
		row->page_size = raw[i].page_size ? raw[i].page_size : PAGE_BYTES;
		row->has_name = raw[i].name[0] != '\0';
		row->name_truncated = raw[i].name_truncated;
		snprintf(row->name, sizeof(row->name), "%.*s", COW_MAP_NAME_LEN - 1, raw[i].name);
		for (int k = 0; k < COWSTAT_NR_COUNTERS; k++) {
			row->c.have[k] = !r->probes || r->probes->cap[k] != CAP_UNAVAILABLE;
			row->c.val[k] = row->c.have[k] ? raw[i].val[k] : 0;
			any |= row->c.val[k] != 0;
		}
		/* made at an event that counted nothing in the end */
		if (!any)
			continue;
		row_cost(row);
		m->nr++;
	}
	qsort(m->rows, m->nr, sizeof(*m->rows), cmp_row);
	m->top = top < m->nr ? top : m->nr;
	m->rest.kind = "rest";
	for (int k = 0; k < COWSTAT_NR_COUNTERS; k++)
		m->rest.c.have[k] = !r->probes || r->probes->cap[k] != CAP_UNAVAILABLE;
	for (size_t i = m->top; i < m->nr; i++) {
		cow_counters_add(&m->rest.c, &m->rows[i].c);
		m->rest.copies += m->rows[i].copies;
		m->rest.bytes_copied += m->rows[i].bytes_copied;
	}
	return 0;
}

int cow_maps_collect(struct cow_source *s, const struct cow_report *r, size_t top,
		     struct cow_maps *m)
{
	struct cow_map_raw *raw = NULL;
	uint64_t lost = 0;
	size_t nr = 0;
	int err;

	err = cow_bpf_read_maps(s, &raw, &nr, &lost);
	if (err) {
		memset(m, 0, sizeof(*m));
		return err;
	}
	err = cow_maps_build(raw, nr, r, top, lost, m);
	free(raw);
	return err;
}

void cow_maps_free(struct cow_maps *m)
{
	free(m->rows);
	memset(m, 0, sizeof(*m));
}

/* ---- text ---- */

static void name_cell(char *cell, const struct cow_map_row *row)
{
	if (row->has_name)
		snprintf(cell, TAB_CELL, "%.70s%s", row->name, row->name_truncated ? "..." : "");
	else if (!strcmp(row->kind, "file") || !strcmp(row->kind, "shared") ||
		 !strcmp(row->kind, "hugetlb") || !strcmp(row->kind, "special"))
		snprintf(cell, TAB_CELL, "?");	/* has one we could not read */
	else
		snprintf(cell, TAB_CELL, "-");
}

static void count_cell(char *cell, const struct cow_counters *c, enum cowstat_counter i)
{
	if (c->have[i])
		snprintf(cell, TAB_CELL, "%llu", (unsigned long long)c->val[i]);
	else
		snprintf(cell, TAB_CELL, "-");
}

static void sum_cell(char *cell, const struct cow_counters *c, const enum cowstat_counter *idx,
		     int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++) {
		if (!c->have[idx[i]]) {
			snprintf(cell, TAB_CELL, "-");
			return;
		}
		sum += c->val[idx[i]];
	}
	snprintf(cell, TAB_CELL, "%llu", (unsigned long long)sum);
}

/* Columns from COPIES on, the same for a mapping and for the rest. */
static void cost_cells(char (*row)[TAB_CELL], const struct cow_map_row *m)
{
	static const enum cowstat_counter other[] = {
		COWSTAT_cow_copies_ksm, COWSTAT_cow_copies_pfn, COWSTAT_cow_copies_unshare,
	};
	static const enum cowstat_counter reuses[] = {
		COWSTAT_cow_reuses, COWSTAT_thp_reuses, COWSTAT_hugetlb_reuses,
	};

	snprintf(row[5], TAB_CELL, "%llu", (unsigned long long)m->copies);
	cow_fmt_bytes(row[6], TAB_CELL, m->bytes_copied, true);
	count_cell(row[7], &m->c, COWSTAT_cow_copies_anon);
	count_cell(row[8], &m->c, COWSTAT_cow_copies_zero);
	count_cell(row[9], &m->c, COWSTAT_cow_copies_file);
	sum_cell(row[10], &m->c, other, 3);
	count_cell(row[11], &m->c, COWSTAT_cow_at_fault);
	count_cell(row[12], &m->c, COWSTAT_hugetlb_copies);
	sum_cell(row[13], &m->c, reuses, 3);
	count_cell(row[14], &m->c, COWSTAT_shared_writes);
	count_cell(row[15], &m->c, COWSTAT_fork_pages_shared);
}

void cow_maps_print_text(FILE *f, const struct cow_maps *m)
{
	static const char *const hdr[] = {
		"PID", "COMM", "KIND", "RANGE", "SIZE", "COPIES", "BYTES", "ANON", "ZERO",
		"FILE", "OTHER", "FILE-1ST", "HUGETLB", "REUSES", "SHARED-WR", "FORK-SHARED",
		"NAME",
	};
	const int ncol = (int)(sizeof(hdr) / sizeof(hdr[0]));
	struct cow_tab t;
	char (*row)[TAB_CELL];

	fprintf(f, "\nMappings (per process and mapping, by bytes copied; %zu of %zu shown):\n",
		m->top, m->nr);
	if (!m->nr) {
		fprintf(f, "  (no event on any mapping of the track group)\n");
	} else {
		tab_init(&t, ncol);
		tab_left(&t, 1);
		tab_left(&t, 2);
		tab_left(&t, 3);
		tab_left(&t, ncol - 1);
		row = tab_row(&t);
		for (int c = 0; c < ncol; c++)
			snprintf(row[c], TAB_CELL, "%s", hdr[c]);
		for (size_t i = 0; i < m->top; i++) {
			const struct cow_map_row *mr = &m->rows[i];

			row = tab_row(&t);
			snprintf(row[0], TAB_CELL, "%lld", (long long)mr->pid);
			snprintf(row[1], TAB_CELL, "%.15s", mr->comm[0] ? mr->comm : "-");
			snprintf(row[2], TAB_CELL, "%s", mr->kind);
			snprintf(row[3], TAB_CELL, "%llx-%llx", (unsigned long long)mr->start,
				 (unsigned long long)mr->end);
			cow_fmt_bytes(row[4], TAB_CELL, mr->end - mr->start, true);
			cost_cells(row, mr);
			name_cell(row[ncol - 1], mr);
		}
		if (m->nr > m->top) {
			row = tab_row(&t);
			snprintf(row[0], TAB_CELL, "rest");
			snprintf(row[1], TAB_CELL, "(%zu more)", m->nr - m->top);
			cost_cells(row, &m->rest);
		}
		tab_print(f, &t, "");
		tab_free(&t);
	}
	if (m->lost)
		fprintf(f, "note: %llu events not attributed to a mapping: map full (the per-process counts above are exact)\n",
			(unsigned long long)m->lost);
}

/* ---- separated values (-x SEP) ---- */

/* Text cells: the separator, quotes and line breaks become '?'. */
static void sv_text(FILE *f, const char *s, const char *sep)
{
	for (const char *c = s; *c; c++)
		fputc(strchr(sep, *c) || *c == '\n' || *c == '\r' || *c == '"' ? '?' : *c, f);
}

static void sv_counters(FILE *f, const struct cow_map_row *mr, const char *sep)
{
	fprintf(f, "%s%llu%s%llu", sep, (unsigned long long)mr->copies, sep,
		(unsigned long long)mr->bytes_copied);
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (mr->c.have[i])
			fprintf(f, "%s%llu", sep, (unsigned long long)mr->c.val[i]);
		else
			fprintf(f, "%s-", sep);
	}
}

void cow_maps_print_sv(FILE *f, const struct cow_maps *m, const char *sep)
{
	fprintf(f, "type%spid%scomm%skind%sstart%send%sname%scopies%sbytes_copied", sep, sep,
		sep, sep, sep, sep, sep, sep);
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		fprintf(f, "%s%s", sep, cow_counter_info[i].name);
	fprintf(f, "%sunattributed\n", sep);
	for (size_t i = 0; i < m->top; i++) {
		const struct cow_map_row *mr = &m->rows[i];

		fprintf(f, "map%s%lld%s", sep, (long long)mr->pid, sep);
		sv_text(f, mr->comm, sep);
		fprintf(f, "%s%s%s%#llx%s%#llx%s", sep, mr->kind, sep, (unsigned long long)mr->start,
			sep, (unsigned long long)mr->end, sep);
		if (mr->has_name)
			sv_text(f, mr->name, sep);
		sv_counters(f, mr, sep);
		fprintf(f, "%s\n", sep);
	}
	fprintf(f, "map_rest%s%s%s%s%s%s", sep, sep, sep, sep, sep, sep);
	sv_counters(f, &m->rest, sep);
	fprintf(f, "%s%llu\n", sep, (unsigned long long)m->lost);
}

/* ---- JSON ---- */

static void json_row_counters(struct json *j, const struct cow_map_row *mr)
{
	json_u64(j, "copies", mr->copies);
	json_u64(j, "bytes_copied", mr->bytes_copied);
	json_object_begin(j, "counters");
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (mr->c.have[i])
			json_u64(j, cow_counter_info[i].name, mr->c.val[i]);
		else
			json_null(j, cow_counter_info[i].name);
	}
	json_object_end(j);
}

void cow_maps_json(struct json *j, const struct cow_maps *m)
{
	json_array_begin(j, "maps");
	for (size_t i = 0; i < m->top; i++) {
		const struct cow_map_row *mr = &m->rows[i];

		json_object_begin(j, NULL);
		json_i64(j, "pid", mr->pid);
		json_str(j, "comm", mr->comm);
		json_str(j, "kind", mr->kind);
		json_u64(j, "start", mr->start);
		json_u64(j, "end", mr->end);
		json_u64(j, "page_size", mr->page_size);
		if (mr->has_name)
			json_str(j, "name", mr->name);
		else
			json_null(j, "name");
		json_bool(j, "name_truncated", mr->name_truncated);
		json_row_counters(j, mr);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_begin(j, "maps_rest");
	json_u64(j, "mappings", m->nr - m->top);
	json_row_counters(j, &m->rest);
	json_object_end(j);
	json_u64(j, "maps_unattributed", m->lost);
}
