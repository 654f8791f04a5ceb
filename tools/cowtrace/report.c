// SPDX-License-Identifier: GPL-2.0
/*
 * Building and printing the report.  The total comes from the track
 * group's own row, which the module keeps exactly; the per-process rows
 * come from `procs`.  Both are shown as the module gives them, so the
 * report can be checked against debugfs number for number.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "hist.h"
#include "json.h"
#include "report.h"

/* ---- formatters ---- */

void cow_fmt_bytes(char *buf, size_t len, uint64_t bytes, bool compact)
{
	static const char *const units[] = { "K", "M", "G", "T", "P", "E" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, compact ? "%llu" : "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, compact ? "%.1f%s" : "%.1f %siB", v, units[u]);
}

void cow_fmt_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

void cow_fmt_count(char *buf, size_t len, const struct cow_counters *c, int idx)
{
	if (!c->have[idx])
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu", (unsigned long long)c->val[idx]);
}

/* ---- aligned tables ---- */

void tab_init(struct cow_tab *t, int ncol)
{
	memset(t, 0, sizeof(*t));
	t->ncol = ncol > TAB_MAX_COLS ? TAB_MAX_COLS : ncol;
}

void tab_left(struct cow_tab *t, int col)
{
	if (col >= 0 && col < TAB_MAX_COLS)
		t->left[col] = true;
}

char (*tab_row(struct cow_tab *t))[TAB_CELL]
{
	if (t->nrow == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		void *cells = realloc(t->cells, cap * sizeof(*t->cells));

		if (!cells) {
			/* Out of memory: overwrite the last row rather than crash. */
			return t->nrow ? t->cells[t->nrow - 1] : NULL;
		}
		t->cells = cells;
		t->cap = cap;
	}
	memset(t->cells[t->nrow], 0, sizeof(*t->cells));
	return t->cells[t->nrow++];
}

void tab_print(FILE *f, const struct cow_tab *t, const char *indent)
{
	int width[TAB_MAX_COLS] = { 0 };

	for (size_t r = 0; r < t->nrow; r++)
		for (int c = 0; c < t->ncol; c++) {
			int w = (int)strlen(t->cells[r][c]);

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->nrow; r++) {
		char line[TAB_MAX_COLS * (TAB_CELL + 2) + 64];
		size_t len = 0;

		len += snprintf(line + len, sizeof(line) - len, "%s", indent ? indent : "");
		for (int c = 0; c < t->ncol; c++) {
			const char *sep = c ? "  " : "";

			if (t->left[c])
				len += snprintf(line + len, sizeof(line) - len, "%s%-*s", sep,
						width[c], t->cells[r][c]);
			else
				len += snprintf(line + len, sizeof(line) - len, "%s%*s", sep,
						width[c], t->cells[r][c]);
			if (len >= sizeof(line))
				len = sizeof(line) - 1;
		}
		while (len && line[len - 1] == ' ')
			line[--len] = '\0';
		fprintf(f, "%s\n", line);
	}
}

void tab_free(struct cow_tab *t)
{
	free(t->cells);
	t->cells = NULL;
	t->nrow = t->cap = 0;
}

/* ---- collecting ---- */

void cow_counters_add(struct cow_counters *sum, const struct cow_counters *c)
{
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (!c->have[i])
			continue;
		sum->val[i] += c->val[i];
		sum->have[i] = true;
	}
}

void cow_counters_sub(struct cow_counters *a, const struct cow_counters *b)
{
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (a->have[i] && b->have[i])
			a->val[i] = a->val[i] > b->val[i] ? a->val[i] - b->val[i] : 0;
}

static bool is_live(const struct cow_row *row)
{
	return !strcmp(row->state, "live") || !strcmp(row->state, "active");
}

/* Is there a member process tgid that could have forked row? */
static bool parent_is_member(const struct cow_table *procs, const bool *member,
			     const struct cow_row *row)
{
	for (size_t i = 0; i < procs->nr; i++) {
		const struct cow_row *p = &procs->rows[i];

		if (!member[i] || p->tgid != row->ppid || p->start_ns > row->start_ns)
			continue;
		/* A parent whose pid was reused later cannot fork after dying. */
		if (!is_live(p) && p->has_exit_ns && p->exit_ns && row->start_ns > p->exit_ns)
			continue;
		return true;
	}
	return false;
}

void cow_select_members(const struct cow_table *procs, const pid_t *leaders, int nr_leaders,
			uint64_t created_ns, uint64_t since_ns, bool *member)
{
	bool changed = true;

	memset(member, 0, procs->nr * sizeof(*member));
	for (int l = 0; l < nr_leaders; l++) {
		uint64_t start = 0;
		bool found = false;

		/* The leader's newest incarnation before the group: older
		 * records with the same pid belong to a previous process. */
		for (size_t i = 0; i < procs->nr; i++) {
			const struct cow_row *r = &procs->rows[i];

			if (r->tgid == leaders[l] && r->start_ns <= created_ns &&
			    (!found || r->start_ns > start)) {
				start = r->start_ns;
				found = true;
			}
		}
		for (size_t i = 0; found && i < procs->nr; i++)
			if (procs->rows[i].tgid == leaders[l] && procs->rows[i].start_ns == start)
				member[i] = true;
	}
	while (changed) {
		changed = false;
		for (size_t i = 0; i < procs->nr; i++) {
			const struct cow_row *r = &procs->rows[i];

			if (member[i] || r->start_ns < since_ns ||
			    !parent_is_member(procs, member, r))
				continue;
			member[i] = true;
			changed = true;
		}
	}
}

static int cmp_proc(const void *a, const void *b)
{
	const struct cow_proc *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

struct cow_proc *cow_procs_build(const struct cow_table *procs, const bool *member,
				 const struct cow_table *baseline, size_t *nr)
{
	struct cow_proc *out = calloc(procs->nr ? procs->nr : 1, sizeof(*out));
	size_t n = 0;

	*nr = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < procs->nr; i++) {
		const struct cow_row *r = &procs->rows[i];
		struct cow_counters c = r->c;
		struct cow_proc *p = NULL;

		if (member && !member[i])
			continue;
		for (size_t j = 0; baseline && j < baseline->nr; j++)
			if (baseline->rows[j].gen == r->gen)
				cow_counters_sub(&c, &baseline->rows[j].c);
		for (size_t k = 0; k < n; k++)
			if (out[k].tgid == r->tgid && out[k].start_ns == r->start_ns)
				p = &out[k];
		if (!p) {
			p = &out[n++];
			p->tgid = r->tgid;
			p->ppid = r->ppid;
			p->start_ns = r->start_ns;
			p->has_exit_ns = r->has_exit_ns;
			p->has_fork_ns = r->has_fork_ns;
		}
		/* The newest incarnation names the process (after exec). */
		if (!p->nr_records || r->gen >= p->newest_gen) {
			p->newest_gen = r->gen;
			snprintf(p->comm, sizeof(p->comm), "%s", r->comm);
		}
		if (p->nr_records < COW_MAX_GENS)
			p->gens[p->nr_records] = r->gen;
		p->nr_records++;
		p->live |= is_live(r);
		if (r->has_exit_ns && r->exit_ns > p->exit_ns)
			p->exit_ns = r->exit_ns;
		p->has_exit_ns &= r->has_exit_ns;
		if (r->has_fork_ns) {
			uint64_t f = r->fork_ns;

			for (size_t j = 0; baseline && j < baseline->nr; j++)
				if (baseline->rows[j].gen == r->gen && baseline->rows[j].has_fork_ns)
					f = f > baseline->rows[j].fork_ns ? f - baseline->rows[j].fork_ns : 0;
			p->fork_ns += f;
		}
		p->has_fork_ns &= r->has_fork_ns;
		cow_counters_add(&p->c, &c);
	}
	qsort(out, n, sizeof(*out), cmp_proc);
	*nr = n;
	return out;
}

static bool any_fork_ns(const struct cow_report *r, uint64_t *sum)
{
	bool any = false;

	*sum = 0;
	for (size_t i = 0; i < r->nr_procs; i++) {
		if (r->procs[i].has_fork_ns) {
			any = true;
			*sum += r->procs[i].fork_ns;
		}
	}
	return any;
}

void cow_report_note(struct cow_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nr_notes == COW_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nr_notes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

int cow_report_collect(struct cow_source *s, struct cow_report *r,
		       const struct cow_table *baseline, uint64_t created_ns, uint64_t since_ns)
{
	struct cow_table procs;
	struct cow_row *mine;
	bool *member;
	size_t kept;
	int err;

	err = s->ops->read_groups(s, &r->groups);
	if (err) {
		cow_err("cannot read %s/track: %s: reload the module", s->dir,
			r->groups.err[0] ? r->groups.err : "error");
		return -1;
	}
	err = s->ops->read_procs(s, &procs);
	if (err) {
		cow_err("cannot read %s/procs: %s: reload the module", s->dir, procs.err);
		cow_table_free(&r->groups);
		return -1;
	}
	if (procs.skipped)
		cow_report_note(r, "%zu lines of procs did not parse and were skipped",
				procs.skipped);

	memset(&r->total, 0, sizeof(r->total));
	r->total_from_groups = true;
	kept = 0;
	mine = calloc(r->nr_leaders ? r->nr_leaders : 1, sizeof(*mine));
	for (int l = 0; l < r->nr_leaders; l++) {
		const struct cow_row *g = NULL;

		uint64_t gen = r->group_gens ? r->group_gens[l] : 0;

		/* Our group by its id when we know it; other tracers may
		 * have groups for the same PID. */
		for (size_t i = 0; i < r->groups.nr; i++) {
			const struct cow_row *row = &r->groups.rows[i];

			if (gen ? row->gen == gen :
			    row->tgid == r->leaders[l] && (!g || row->gen > g->gen))
				g = row;
		}
		if (g) {
			cow_counters_add(&r->total, &g->c);
			r->total_fork_ns += g->fork_ns;
			r->has_total_fork_ns |= g->has_fork_ns;
			if (mine)
				mine[kept++] = *g;
		} else {
			r->total_from_groups = false;
		}
	}
	/* Keep only our groups, in leader order. */
	free(r->groups.rows);
	r->groups.rows = mine;
	r->groups.nr = r->groups.cap = mine ? kept : 0;

	member = calloc(procs.nr ? procs.nr : 1, sizeof(*member));
	if (!member) {
		cow_table_free(&procs);
		cow_table_free(&r->groups);
		cow_err("out of memory");
		return -1;
	}
	cow_select_members(&procs, r->leaders, r->nr_leaders, created_ns, since_ns, member);
	r->procs = cow_procs_build(&procs, member, baseline, &r->nr_procs);
	free(member);
	cow_table_free(&procs);

	if (!r->total_from_groups) {
		memset(&r->total, 0, sizeof(r->total));
		for (size_t i = 0; i < r->nr_procs; i++)
			cow_counters_add(&r->total, &r->procs[i].c);
		r->has_total_fork_ns = any_fork_ns(r, &r->total_fork_ns);
		cow_report_note(r, "the module shows no track group row; the total is the sum of the processes");
	}
	/* Unavailable is never 0, even from a format 1 module. */
	if (r->probes) {
		cow_counters_mask(&r->total, r->probes);
		for (size_t i = 0; i < r->groups.nr; i++)
			cow_counters_mask(&r->groups.rows[i].c, r->probes);
		for (size_t i = 0; i < r->nr_procs; i++)
			cow_counters_mask(&r->procs[i].c, r->probes);
	}
	r->end_ns = cow_boottime_ns();
	return 0;
}

bool cow_report_any_live(const struct cow_report *r)
{
	for (size_t i = 0; i < r->nr_procs; i++)
		if (r->procs[i].live)
			return true;
	return false;
}

void cow_report_free(struct cow_report *r)
{
	free(r->procs);
	r->procs = NULL;
	r->nr_procs = 0;
	cow_table_free(&r->groups);
}

/* ---- text ---- */

static uint64_t val(const struct cow_counters *c, enum cowstat_counter idx)
{
	return c->have[idx] ? c->val[idx] : 0;
}

static void cell_count(char *cell, const struct cow_counters *c, enum cowstat_counter idx)
{
	cow_fmt_count(cell, TAB_CELL, c, idx);
}

static void cell_bytes(char *cell, const struct cow_counters *c, enum cowstat_counter idx)
{
	if (!c->have[idx])
		snprintf(cell, TAB_CELL, "-");
	else
		cow_fmt_bytes(cell, TAB_CELL, cow_counter_bytes(idx, c->val[idx]), true);
}

/* Sum of several counters, "-" when the module printed none of them. */
static void cell_sum(char *cell, const struct cow_counters *c, const enum cowstat_counter *idx,
		     int n)
{
	uint64_t sum = 0;
	bool any = false;

	for (int i = 0; i < n; i++) {
		any |= c->have[idx[i]];
		sum += val(c, idx[i]);
	}
	if (any)
		snprintf(cell, TAB_CELL, "%llu", (unsigned long long)sum);
	else
		snprintf(cell, TAB_CELL, "-");
}

static void lifetime(char *cell, const struct cow_report *r, const struct cow_proc *p)
{
	uint64_t end;

	if (p->live)
		end = r->end_ns;
	else if (p->has_exit_ns && p->exit_ns)
		end = p->exit_ns;
	else {
		snprintf(cell, TAB_CELL, "-");
		return;
	}
	cow_fmt_duration(cell, TAB_CELL, end > p->start_ns ? end - p->start_ns : 0);
}

static void comm_cell(char *cell, const struct cow_proc *p)
{
	snprintf(cell, TAB_CELL, "%.16s", p->comm);
}

static void fork_row(char (*row)[TAB_CELL], const struct cow_counters *c, bool has_fork_ns,
		     uint64_t fork_ns)
{
	cell_count(row[4], c, COWSTAT_forks);
	cell_count(row[5], c, COWSTAT_fork_pages_shared);
	cell_bytes(row[6], c, COWSTAT_fork_pages_shared);
	cell_count(row[7], c, COWSTAT_fork_pt_pages);
	cell_bytes(row[8], c, COWSTAT_fork_pt_pages);
	cell_count(row[9], c, COWSTAT_fork_eager_copies);
	cell_count(row[10], c, COWSTAT_fork_thp_shared);
	cell_count(row[11], c, COWSTAT_fork_hugetlb_shared);
	if (has_fork_ns)
		cow_fmt_duration(row[12], TAB_CELL, fork_ns);
	else
		snprintf(row[12], TAB_CELL, "-");
}

static void fault_row(char (*row)[TAB_CELL], const struct cow_counters *c)
{
	static const enum cowstat_counter other[] = {
		COWSTAT_cow_copies_ksm, COWSTAT_cow_copies_pfn, COWSTAT_cow_copies_unshare,
	};
	static const enum cowstat_counter thp[] = { COWSTAT_thp_reuses, COWSTAT_thp_splits };
	static const enum cowstat_counter huge[] = {
		COWSTAT_hugetlb_copies, COWSTAT_hugetlb_reuses,
	};

	cell_count(row[2], c, COWSTAT_wp_faults);
	cell_count(row[3], c, COWSTAT_cow_copies);
	cell_bytes(row[4], c, COWSTAT_cow_copies);
	cell_count(row[5], c, COWSTAT_cow_copies_anon);
	cell_count(row[6], c, COWSTAT_cow_copies_zero);
	cell_count(row[7], c, COWSTAT_cow_copies_file);
	cell_sum(row[8], c, other, 3);
	cell_count(row[9], c, COWSTAT_cow_at_fault);
	cell_count(row[10], c, COWSTAT_cow_reuses);
	cell_bytes(row[11], c, COWSTAT_cow_reuses);
	cell_count(row[12], c, COWSTAT_shared_writes);
	cell_sum(row[13], c, thp, 2);
	cell_sum(row[14], c, huge, 2);
}


static void print_tables(FILE *f, const struct cow_report *r)
{
	static const char *const fork_hdr[] = {
		"PID", "PPID", "COMM", "LIFETIME", "FORKS", "PAGES-SHARED", "BYTES",
		"PT-PAGES", "BYTES", "EAGER", "THP", "HUGETLB", "COPY-TIME",
	};
	static const char *const fault_hdr[] = {
		"PID", "COMM", "WP-FAULTS", "COPIES", "BYTES", "ANON", "ZERO", "FILE",
		"OTHER", "FILE-1ST", "REUSES", "BYTES", "SHARED-WR", "THP", "HUGETLB",
	};
	struct cow_tab t;
	uint64_t fork_ns = r->total_fork_ns;
	bool has_fork_ns = r->has_total_fork_ns;
	char (*row)[TAB_CELL];

	tab_init(&t, 13);
	tab_left(&t, 2);
	row = tab_row(&t);
	for (int c = 0; c < 13; c++)
		snprintf(row[c], TAB_CELL, "%s", fork_hdr[c]);
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct cow_proc *p = &r->procs[i];

		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "%lld", (long long)p->tgid);
		snprintf(row[1], TAB_CELL, "%lld", (long long)p->ppid);
		comm_cell(row[2], p);
		lifetime(row[3], r, p);
		fork_row(row, &p->c, p->has_fork_ns, p->fork_ns);
	}
	row = tab_row(&t);
	snprintf(row[0], TAB_CELL, "total");
	fork_row(row, &r->total, has_fork_ns, fork_ns);
	fprintf(f, "\nFork sharing (pages shared with the children, page tables copied):\n");
	tab_print(f, &t, "");
	tab_free(&t);

	tab_init(&t, 15);
	tab_left(&t, 1);
	row = tab_row(&t);
	for (int c = 0; c < 15; c++)
		snprintf(row[c], TAB_CELL, "%s", fault_hdr[c]);
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct cow_proc *p = &r->procs[i];

		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "%lld", (long long)p->tgid);
		comm_cell(row[1], p);
		fault_row(row, &p->c);
	}
	row = tab_row(&t);
	snprintf(row[0], TAB_CELL, "total");
	fault_row(row, &r->total);
	fprintf(f, "\nWrite faults (COW copies by kind, reuses, shared writes):\n");
	tab_print(f, &t, "");
	tab_free(&t);
}

static void print_totals(FILE *f, const struct cow_report *r, bool all)
{
	struct cow_tab t;
	char (*row)[TAB_CELL];
	int zero = 0;

	tab_init(&t, 4);
	tab_left(&t, 0);
	tab_left(&t, 3);
	row = tab_row(&t);
	snprintf(row[0], TAB_CELL, "COUNTER");
	snprintf(row[1], TAB_CELL, "COUNT");
	snprintf(row[2], TAB_CELL, "BYTES");
	snprintf(row[3], TAB_CELL, "MEANING");
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		const struct cow_counters *c = &r->total;
		enum cow_cap cap = r->probes ? r->probes->cap[i] : CAP_UNKNOWN;

		if (!all && c->have[i] && !c->val[i] && cap != CAP_UNAVAILABLE) {
			zero++;
			continue;
		}
		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "%s", cow_counter_info[i].name);
		cow_fmt_count(row[1], TAB_CELL, c, i);
		if (cow_counter_unit(i) == UNIT_EVENT || !c->have[i])
			snprintf(row[2], TAB_CELL, "%s", "");
		else
			cow_fmt_bytes(row[2], TAB_CELL, cow_counter_bytes(i, c->val[i]), false);
		if (cap == CAP_UNAVAILABLE)
			snprintf(row[3], TAB_CELL, "unavailable: %.63s", r->probes->reason[i]);
		else
			snprintf(row[3], TAB_CELL, "%.66s%s", cow_counter_info[i].meaning,
				 cap == CAP_DERIVED ? " (derived)" : "");
	}
	if (r->has_total_fork_ns) {
		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "fork_ns");
		cow_fmt_duration(row[1], TAB_CELL, r->total_fork_ns);
		snprintf(row[3], TAB_CELL, "time fork spent copying page tables");
	}
	if (r->nr_leaders == 1 && r->groups.nr && r->total_from_groups)
		fprintf(f, "\nTotal of track group (leader %d), counts and bytes:\n",
			(int)r->leaders[0]);
	else
		fprintf(f, "\nTotal, counts and bytes:\n");
	tab_print(f, &t, "  ");
	if (zero)
		fprintf(f, "  (%d counters are zero; --all lists them)\n", zero);
	tab_free(&t);
}

static void print_header(FILE *f, const struct cow_report *r)
{
	char dur[32];

	cow_fmt_duration(dur, sizeof(dur), r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0);
	if (r->argv) {
		fprintf(f, "cowtrace:");
		for (char *const *a = r->argv; *a; a++)
			fprintf(f, " %s", *a);
		if (r->has_wait_status && WIFSIGNALED(r->wait_status))
			fprintf(f, ": killed by signal %d (%s) after %s\n", WTERMSIG(r->wait_status),
				strsignal(WTERMSIG(r->wait_status)), dur);
		else
			fprintf(f, ": exited with status %d after %s\n", r->exit_code, dur);
	} else {
		fprintf(f, "cowtrace: attached to");
		if (r->cgroup)
			fprintf(f, " cgroup %s%s", r->cgroup, r->nr_leaders ? " (" : "");
		for (int l = 0; l < r->nr_leaders; l++)
			fprintf(f, "%s%d", l ? "," : " PID ", (int)r->leaders[l]);
		fprintf(f, "%s for %s\n", r->cgroup && r->nr_leaders ? ")" : "", dur);
	}
	fprintf(f, "%zu process%s in the track group%s; module cowstat %s, kernel %s\n",
		r->nr_procs, r->nr_procs == 1 ? "" : "es", r->nr_leaders > 1 ? "s" : "",
		r->modver ? r->modver : "?", r->kernel);
}

void cow_report_print_text(FILE *f, const struct cow_report *r, bool all)
{
	print_header(f, r);
	print_tables(f, r);
	print_totals(f, r, all);
	if (r->maps)
		cow_maps_print_text(f, r->maps);
	if (r->latency && r->latency->scope_group) {
		fprintf(f, "\nLatency of the track group%s (leader%s", r->nr_leaders > 1 ? "s" : "",
			r->nr_leaders > 1 ? "s" : "");
		for (int l = 0; l < r->nr_leaders; l++)
			fprintf(f, "%s%d", l ? "," : " ", (int)r->leaders[l]);
		fprintf(f, " and %s descendants), %s:\n", r->nr_leaders > 1 ? "their" : "its",
			r->argv ? "during the run" : "while attached");
		cow_latency_print(f, r->latency);
	} else if (r->latency) {
		fprintf(f, "\nLatency, system-wide (every process on the system, not only the track group), %s:\n",
			r->argv ? "during the run" : "while attached");
		cow_latency_print(f, r->latency);
	}
	if (r->waited_ns) {
		char dur[32];

		cow_fmt_duration(dur, sizeof(dur), r->waited_ns);
		fprintf(f, "note: waited %s after COMMAND exited for the processes it left running (--leader-only does not wait)\n",
			dur);
	}
	for (int i = 0; i < r->nr_notes; i++)
		fprintf(f, "note: %s\n", r->notes[i]);
	fflush(f);
}

/* ---- JSON ---- */

static void json_counters(struct json *j, const char *key, const struct cow_counters *c)
{
	json_object_begin(j, key);
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (c->have[i])
			json_u64(j, cow_counter_info[i].name, c->val[i]);
		else
			json_null(j, cow_counter_info[i].name);
	}
	json_object_end(j);
}

static void json_bytes(struct json *j, const char *key, const struct cow_counters *c)
{
	json_object_begin(j, key);
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (cow_counter_unit(i) == UNIT_EVENT)
			continue;
		if (c->have[i])
			json_u64(j, cow_counter_info[i].name, cow_counter_bytes(i, c->val[i]));
		else
			json_null(j, cow_counter_info[i].name);
	}
	json_object_end(j);
}

void cow_json_latency(struct json *j, const struct cow_latency *l)
{
	json_object_begin(j, "histograms");
	for (size_t i = 0; i < l->nr; i++) {
		/* unavailable is null, never an empty histogram */
		if (l->h[i].unavailable[0]) {
			json_null(j, l->h[i].name);
			continue;
		}
		json_array_begin(j, l->h[i].name);
		for (size_t k = 0; k < l->h[i].nr; k++) {
			json_object_begin(j, NULL);
			json_u64(j, "lo_ns", l->h[i].b[k].lo);
			json_u64(j, "hi_ns", l->h[i].b[k].hi);
			json_u64(j, "count", l->h[i].b[k].count);
			json_object_end(j);
		}
		json_array_end(j);
	}
	json_object_end(j);
}

/* "cgroup": what -c followed, null without -c. */
static void json_cgroup(struct json *j, const struct cow_report *r)
{
	if (r->cgroup)
		json_str(j, "cgroup", r->cgroup);
	else
		json_null(j, "cgroup");
}

void cow_report_print_json(FILE *f, const struct cow_report *r, bool compact)
{
	struct json j;

	if (compact)
		json_init_compact(&j, f);
	else
		json_init(&j, f);
	json_object_begin(&j, NULL);
	json_u64(&j, "cowtrace_json_format", COWTRACE_JSON_FORMAT);
	json_str(&j, "type", "report");
	json_str(&j, "cowtrace_version", COWTRACE_VERSION);
	json_str(&j, "module_version", r->modver ? r->modver : "");
	json_str(&j, "kernel", r->kernel);
	json_str(&j, "mode", r->mode);
	json_cgroup(&j, r);
	if (r->argv) {
		json_array_begin(&j, "command");
		for (char *const *a = r->argv; *a; a++)
			json_str(&j, NULL, *a);
		json_array_end(&j);
		json_i64(&j, "exit_status", r->exit_code);
		if (r->has_wait_status && WIFSIGNALED(r->wait_status))
			json_i64(&j, "signal", WTERMSIG(r->wait_status));
		else
			json_null(&j, "signal");
	}
	json_array_begin(&j, "leaders");
	for (int l = 0; l < r->nr_leaders; l++)
		json_i64(&j, NULL, r->leaders[l]);
	json_array_end(&j);
	json_u64(&j, "start_ns", r->start_ns);
	json_u64(&j, "end_ns", r->end_ns);
	json_u64(&j, "duration_ns", r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0);
	if (r->argv)
		json_u64(&j, "waited_ns", r->waited_ns);

	json_array_begin(&j, "groups");
	for (size_t i = 0; i < r->groups.nr; i++) {
		const struct cow_row *g = &r->groups.rows[i];

		json_object_begin(&j, NULL);
		json_u64(&j, "id", g->gen);
		json_i64(&j, "leader", g->tgid);
		json_str(&j, "state", g->state);
		json_counters(&j, "counters", &g->c);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_object_begin(&j, "total");
	json_bool(&j, "from_track_group", r->total_from_groups);
	json_counters(&j, "counters", &r->total);
	json_bytes(&j, "bytes", &r->total);
	if (r->has_total_fork_ns)
		json_u64(&j, "fork_ns", r->total_fork_ns);
	else
		json_null(&j, "fork_ns");
	json_object_end(&j);

	json_array_begin(&j, "processes");
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct cow_proc *p = &r->procs[i];
		uint64_t end = p->live ? r->end_ns : p->exit_ns;

		json_object_begin(&j, NULL);
		json_i64(&j, "pid", p->tgid);
		json_i64(&j, "ppid", p->ppid);
		json_str(&j, "comm", p->comm);
		json_str(&j, "state", p->live ? "live" : "exited");
		json_u64(&j, "start_ns", p->start_ns);
		if (!p->live && p->has_exit_ns && p->exit_ns)
			json_u64(&j, "exit_ns", p->exit_ns);
		else
			json_null(&j, "exit_ns");
		if (p->live || (p->has_exit_ns && p->exit_ns))
			json_u64(&j, "lifetime_ns", end > p->start_ns ? end - p->start_ns : 0);
		else
			json_null(&j, "lifetime_ns");
		json_array_begin(&j, "records");
		for (size_t k = 0; k < p->nr_records && k < COW_MAX_GENS; k++)
			json_u64(&j, NULL, p->gens[k]);
		json_array_end(&j);
		if (p->has_fork_ns)
			json_u64(&j, "fork_ns", p->fork_ns);
		else
			json_null(&j, "fork_ns");
		json_counters(&j, "counters", &p->c);
		json_bytes(&j, "bytes", &p->c);
		json_object_end(&j);
	}
	json_array_end(&j);

	if (r->maps)
		cow_maps_json(&j, r->maps);
	if (r->has_events)
		json_u64(&j, "events_lost", r->events_lost);
	if (r->probes) {
		json_object_begin(&j, "capabilities");
		for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
			json_str(&j, cow_counter_info[i].name, cow_cap_name(r->probes->cap[i]));
		json_object_end(&j);
	}
	if (r->latency) {
		/*
		 * "group": the track groups' own histograms (a module of
		 * debugfs format 3); "system": every process on the system.
		 */
		json_str(&j, "histograms_scope", r->latency->scope_group ? "group" : "system");
		cow_json_latency(&j, r->latency);
	}
	json_array_begin(&j, "notes");
	for (int i = 0; i < r->nr_notes; i++)
		json_str(&j, NULL, r->notes[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

/* ---- separated values (-x SEP) ---- */

static bool sv_header_done;

static void sv_header(FILE *f, const char *sep)
{
	if (sv_header_done)
		return;
	sv_header_done = true;
	fprintf(f, "type%sinterval%spid%sppid%scomm", sep, sep, sep, sep);
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		fprintf(f, "%s%s", sep, cow_counter_info[i].name);
	fprintf(f, "%sfork_ns\n", sep);
}

/* comm may hold the separator or any byte: those become '?'. */
static void sv_comm(FILE *f, const char *comm, const char *sep)
{
	for (const char *c = comm; *c; c++)
		fputc(strchr(sep, *c) || *c == '\n' || *c == '\r' || *c == '"' ? '?' : *c, f);
}

static void sv_row(FILE *f, const char *sep, const char *type, unsigned int interval,
		   const struct cow_proc *p, const struct cow_counters *c, bool has_fork_ns,
		   uint64_t fork_ns)
{
	fputs(type, f);
	fputs(sep, f);
	if (interval)
		fprintf(f, "%u", interval);
	fputs(sep, f);
	if (p) {
		fprintf(f, "%lld%s%lld%s", (long long)p->tgid, sep, (long long)p->ppid, sep);
		sv_comm(f, p->comm, sep);
	} else {
		fprintf(f, "%s%s", sep, sep);
	}
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (c->have[i])
			fprintf(f, "%s%llu", sep, (unsigned long long)c->val[i]);
		else
			fprintf(f, "%s-", sep);
	}
	if (has_fork_ns)
		fprintf(f, "%s%llu\n", sep, (unsigned long long)fork_ns);
	else
		fprintf(f, "%s-\n", sep);
}

static void report_sv(FILE *f, const struct cow_report *r, const char *sep)
{
	sv_header(f, sep);
	for (size_t i = 0; i < r->nr_procs; i++)
		sv_row(f, sep, "process", 0, &r->procs[i], &r->procs[i].c,
		       r->procs[i].has_fork_ns, r->procs[i].fork_ns);
	sv_row(f, sep, "total", 0, NULL, &r->total, r->has_total_fork_ns, r->total_fork_ns);
	if (r->maps)
		cow_maps_print_sv(f, r->maps, sep);
	fflush(f);
}

void cow_report_print(FILE *f, const struct cow_report *r, const struct cow_output *o)
{
	if (o->sep)
		report_sv(f, r, o->sep);
	else if (o->json)
		cow_report_print_json(f, r, o->interval > 0 || o->events);
	else
		cow_report_print_text(f, r, o->all);
}

/* ---- intervals ---- */

void cow_intervals_init(struct cow_intervals *iv, uint64_t start_ns)
{
	memset(iv, 0, sizeof(*iv));
	iv->start_ns = start_ns;
	iv->last_ns = start_ns;
}

void cow_intervals_free(struct cow_intervals *iv)
{
	cow_report_free(&iv->prev);
	iv->have_prev = false;
}

static const struct cow_proc *find_proc(const struct cow_report *r, const struct cow_proc *p)
{
	for (size_t i = 0; r && i < r->nr_procs; i++)
		if (r->procs[i].tgid == p->tgid && r->procs[i].start_ns == p->start_ns)
			return &r->procs[i];
	return NULL;
}

/* What process i of cur added since prev; false when it added nothing. */
static bool proc_delta(const struct cow_report *cur, const struct cow_report *prev, size_t i,
		       struct cow_counters *c)
{
	const struct cow_proc *old = find_proc(prev, &cur->procs[i]);
	bool active = false;

	*c = cur->procs[i].c;
	if (old)
		cow_counters_sub(c, &old->c);
	for (int k = 0; k < COWSTAT_NR_COUNTERS; k++)
		active |= c->have[k] && c->val[k];
	return active;
}

static void copied_cell(char *cell, const struct cow_counters *c)
{
	if (!c->have[COWSTAT_cow_copies])
		snprintf(cell, TAB_CELL, "-");
	else
		cow_fmt_bytes(cell, TAB_CELL,
			      cow_counter_bytes(COWSTAT_cow_copies, c->val[COWSTAT_cow_copies]),
			      true);
}

static void interval_text(FILE *f, const struct cow_intervals *iv, const struct cow_report *cur,
			  const struct cow_report *prev, const struct cow_counters *delta,
			  bool timestamp)
{
	static const enum cowstat_counter cols[] = {
		COWSTAT_cow_copies, COWSTAT_cow_reuses, COWSTAT_shared_writes,
		COWSTAT_forks, COWSTAT_fork_pages_shared,
	};
	static const char *const hdr[] = {
		"PID", "COMM", "COPIES", "REUSES", "SHARED-WR", "FORKS", "PAGES-SHARED", "COPIED",
	};
	struct cow_tab t;
	char (*row)[TAB_CELL];

	tab_init(&t, 8);
	tab_left(&t, 1);
	row = tab_row(&t);
	for (int c = 0; c < 8; c++)
		snprintf(row[c], TAB_CELL, "%s", hdr[c]);
	for (size_t i = 0; i < cur->nr_procs; i++) {
		struct cow_counters c;

		if (!proc_delta(cur, prev, i, &c))
			continue;
		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "%lld", (long long)cur->procs[i].tgid);
		snprintf(row[1], TAB_CELL, "%.16s", cur->procs[i].comm);
		for (int k = 0; k < 5; k++)
			cow_fmt_count(row[2 + k], TAB_CELL, &c, cols[k]);
		copied_cell(row[7], &c);
	}
	row = tab_row(&t);
	snprintf(row[0], TAB_CELL, "total");
	for (int k = 0; k < 5; k++)
		cow_fmt_count(row[2 + k], TAB_CELL, delta, cols[k]);
	copied_cell(row[7], delta);
	if (timestamp) {
		char stamp[16];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(f, "%s ", stamp);
	}
	fprintf(f, "interval %u: %.2fs to %.2fs\n", iv->seq,
		(iv->last_ns - iv->start_ns) / 1e9,
		(cur->end_ns > iv->start_ns ? cur->end_ns - iv->start_ns : 0) / 1e9);
	tab_print(f, &t, "");
	fputc('\n', f);
	fflush(f);
	tab_free(&t);
}

static void interval_json(FILE *f, const struct cow_intervals *iv, const struct cow_report *cur,
			  const struct cow_report *prev, const struct cow_counters *delta)
{
	struct timespec now;
	struct json j;

	clock_gettime(CLOCK_REALTIME, &now);
	json_init_compact(&j, f);
	json_object_begin(&j, NULL);
	json_u64(&j, "cowtrace_json_format", COWTRACE_JSON_FORMAT);
	json_str(&j, "type", "interval");
	json_str(&j, "mode", cur->mode);
	json_cgroup(&j, cur);
	json_u64(&j, "interval", iv->seq);
	json_u64(&j, "start_ns", iv->last_ns);
	json_u64(&j, "end_ns", cur->end_ns);
	json_u64(&j, "unix_time_ns", (uint64_t)now.tv_sec * 1000000000ULL + now.tv_nsec);
	json_array_begin(&j, "leaders");
	for (int l = 0; l < cur->nr_leaders; l++)
		json_i64(&j, NULL, cur->leaders[l]);
	json_array_end(&j);
	json_counters(&j, "counters", delta);
	json_array_begin(&j, "processes");
	for (size_t i = 0; i < cur->nr_procs; i++) {
		struct cow_counters c;

		if (!proc_delta(cur, prev, i, &c))
			continue;
		json_object_begin(&j, NULL);
		json_i64(&j, "pid", cur->procs[i].tgid);
		json_i64(&j, "ppid", cur->procs[i].ppid);
		json_str(&j, "comm", cur->procs[i].comm);
		json_counters(&j, "counters", &c);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

int cow_intervals_emit(struct cow_intervals *iv, struct cow_source *s, struct cow_report *cur,
		       const struct cow_table *baseline, uint64_t created_ns, uint64_t since_ns,
		       FILE *f, const struct cow_output *o)
{
	struct cow_counters delta;
	const struct cow_report *prev = iv->have_prev ? &iv->prev : NULL;

	if (cow_report_collect(s, cur, baseline, created_ns, since_ns))
		return -1;
	delta = cur->total;
	if (prev)
		cow_counters_sub(&delta, &prev->total);
	iv->seq++;
	if (o->sep) {
		sv_header(f, o->sep);
		for (size_t i = 0; i < cur->nr_procs; i++) {
			struct cow_counters c;

			if (proc_delta(cur, prev, i, &c))
				sv_row(f, o->sep, "interval", iv->seq, &cur->procs[i], &c, false, 0);
		}
		sv_row(f, o->sep, "interval_total", iv->seq, NULL, &delta, false, 0);
		fflush(f);
	} else if (o->json)
		interval_json(f, iv, cur, prev, &delta);
	else
		interval_text(f, iv, cur, prev, &delta, o->timestamp);
	cow_report_free(&iv->prev);
	iv->prev = *cur;
	iv->have_prev = true;
	iv->last_ns = cur->end_ns;
	memset(cur, 0, sizeof(*cur));
	return 0;
}
