// SPDX-License-Identifier: GPL-2.0
/*
 * cowstat's counters in the Prometheus text exposition format (0.0.4), as
 * node_exporter's textfile collector reads it: one HELP and one TYPE line
 * per family, the family's samples together, no timestamps.
 *
 * Counter names and meanings come from the one counter list; a counter
 * this kernel cannot count is left out (never 0), and
 * cowstat_available says which ones are.
 */
#include <stdlib.h>
#include <string.h>

#include "cowtrace.h"
#include "prom.h"

int cow_prom_parent(int idx, const char **kind)
{
	size_t len;
	int p;

	if (strncmp(cow_counter_info[idx].meaning, "...", 3))
		return -1;
	for (p = idx - 1; p >= 0; p--)
		if (strncmp(cow_counter_info[p].meaning, "...", 3))
			break;
	if (p < 0)
		return -1;
	len = strlen(cow_counter_info[p].name);
	/* A part is named <parent>_<kind>; anything else stands alone. */
	if (strncmp(cow_counter_info[idx].name, cow_counter_info[p].name, len) ||
	    cow_counter_info[idx].name[len] != '_')
		return -1;
	if (kind)
		*kind = cow_counter_info[idx].name + len + 1;
	return p;
}

void cow_prom_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Nanoseconds as seconds, exactly: 2130000 -> 0.00213. */
static void seconds(FILE *f, uint64_t ns)
{
	char frac[16];
	int n;

	n = snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % 1000000000ULL));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	fprintf(f, "%llu%s%s", (unsigned long long)(ns / 1000000000ULL), n ? "." : "", frac);
}

static void system_counters(FILE *f, const struct cow_counters *c)
{
	char name[96], help[256];

	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		const char *kind;
		int parent = cow_prom_parent(i, &kind);
		bool first = true;

		if (parent < 0) {
			if (!c->have[i])
				continue;
			snprintf(name, sizeof(name), "cowstat_%s_total", cow_counter_info[i].name);
			snprintf(help, sizeof(help), "%s (%s).", cow_counter_info[i].meaning,
				 cow_counter_info[i].name);
			family(f, name, "counter", help);
			fprintf(f, "%s %llu\n", name, (unsigned long long)c->val[i]);
			continue;
		}
		/* A by-kind family: its header before its first available part. */
		snprintf(name, sizeof(name), "cowstat_%s_by_kind_total",
			 cow_counter_info[parent].name);
		if (!c->have[i])
			continue;
		for (int j = parent + 1; j < i; j++)
			if (c->have[j] && cow_prom_parent(j, NULL) == parent)
				first = false;
		if (first) {
			snprintf(help, sizeof(help), "%s, by kind (%s_<kind>).",
				 cow_counter_info[parent].meaning, cow_counter_info[parent].name);
			family(f, name, "counter", help);
		}
		fprintf(f, "%s{kind=\"%s\"} %llu\n", name, kind, (unsigned long long)c->val[i]);
	}
}

static void availability(FILE *f, const struct cow_counters *c)
{
	family(f, "cowstat_available", "gauge",
	       "1 when this kernel can count the counter, 0 when it cannot (its metric is then absent).");
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		fprintf(f, "cowstat_available{counter=\"%s\"} %d\n",
			cow_counter_info[i].name, c->have[i] ? 1 : 0);
}

/* The module's own lines in `stats` (Documentation/cowstat.rst). */
static const struct {
	const char *line, *metric, *type, *help;
	bool ns;
} health[] = {
	{ "records_live", "cowstat_records_live", "gauge",
	  "Per-process records of live mms.", false },
	{ "records_exited", "cowstat_records_exited", "gauge",
	  "Retired records kept in the exited ring.", false },
	{ "records_pool", "cowstat_records_pool", "gauge",
	  "Records the module allocated at load, its whole pool.", false },
	{ "records_dropped", "cowstat_records_dropped_total", "counter",
	  "New mms that got no record (max_records reached).", false },
	{ "records_stale_replaced", "cowstat_records_stale_replaced_total", "counter",
	  "Stale records replaced by a new mm at the same address.", false },
	{ "events_unrecorded", "cowstat_events_unrecorded_total", "counter",
	  "Events counted in the totals only, their mm having no record.", false },
	{ "events_uncorrelated", "cowstat_events_uncorrelated_total", "counter",
	  "Probe hits whose outcome could not be classified (counts are lower bounds).", false },
	{ "tct_full", "cowstat_tct_full_total", "counter",
	  "Outer invocations that found the task-context table full.", false },
	{ "fork_deltas_clamped", "cowstat_fork_deltas_clamped_total", "counter",
	  "VMAs copied by fork whose child counters went down (counts are lower bounds).",
	  false },
	{ "groups", "cowstat_groups", "gauge", "Track groups that exist.", false },
	{ "fork_ns", "cowstat_fork_copy_seconds_total", "counter",
	  "Seconds all forks spent copying address spaces (page tables and VMAs).", true },
	{ "records_enabled", "cowstat_records_enabled", "gauge",
	  "1 when per-process records are kept.", false },
};

static void health_lines(FILE *f, const struct cow_stats *st)
{
	for (size_t i = 0; i < sizeof(health) / sizeof(health[0]); i++) {
		uint64_t v;

		if (!cow_stats_extra(st, health[i].line, &v))
			continue;
		family(f, health[i].metric, health[i].type, health[i].help);
		fprintf(f, "%s ", health[i].metric);
		if (health[i].ns)
			seconds(f, v);
		else
			fprintf(f, "%llu", (unsigned long long)v);
		fputc('\n', f);
	}
}

static void probe_lines(FILE *f, const struct cow_probes *p)
{
	if (!p->nr)
		return;
	family(f, "cowstat_probe_attached", "gauge",
	       "1 when the probe is attached, with how (method), 0 when off or failed.");
	for (size_t i = 0; i < p->nr; i++) {
		const char *s = p->probe[i].state;
		bool on = strcmp(s, "off") && strncmp(s, "failed", 6);

		fprintf(f, "cowstat_probe_attached{probe=\"");
		cow_prom_label(f, p->probe[i].symbol);
		fprintf(f, "\",method=\"");
		cow_prom_label(f, on ? s : "none");
		fprintf(f, "\"} %d\n", on);
	}
	family(f, "cowstat_probe_hits_total", "counter", "Handler calls of the probe.");
	for (size_t i = 0; i < p->nr; i++) {
		fprintf(f, "cowstat_probe_hits_total{probe=\"");
		cow_prom_label(f, p->probe[i].symbol);
		fprintf(f, "\"} %llu\n", (unsigned long long)p->probe[i].hits);
	}
	family(f, "cowstat_probe_missed_total", "counter",
	       "Probe invocations lost (nmissed + nmissed_reentry): counts are lower bounds.");
	for (size_t i = 0; i < p->nr; i++) {
		fprintf(f, "cowstat_probe_missed_total{probe=\"");
		cow_prom_label(f, p->probe[i].symbol);
		fprintf(f, "\"} %llu\n", (unsigned long long)(p->probe[i].nmissed +
							     p->probe[i].nmissed_reentry));
	}
}

/* The per-process counters: what cowtrace top shows, names from the list. */
static const int proc_counters[] = {
	COWSTAT_forks, COWSTAT_fork_pages_shared, COWSTAT_fork_pt_pages,
	COWSTAT_wp_faults, COWSTAT_cow_copies, COWSTAT_cow_reuses, COWSTAT_shared_writes,
};

#define NR_PROC_COUNTERS (sizeof(proc_counters) / sizeof(proc_counters[0]))

static uint64_t val_or_0(const struct cow_proc *p, int idx)
{
	return p->c.have[idx] ? p->c.val[idx] : 0;
}

static int cmp_top(const void *a, const void *b)
{
	const struct cow_proc *x = *(const struct cow_proc *const *)a;
	const struct cow_proc *y = *(const struct cow_proc *const *)b;
	static const int keys[] = { COWSTAT_cow_copies, COWSTAT_fork_pages_shared,
				    COWSTAT_wp_faults };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		uint64_t vx = val_or_0(x, keys[k]), vy = val_or_0(y, keys[k]);

		if (vx != vy)
			return vx > vy ? -1 : 1;
	}
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/*
 * The top processes: live ones (an exited one's pid may be reused, and its
 * numbers are already in the system-wide counters), each pid once, with
 * some activity, by COW copies, then pages shared at fork, then faults.
 */
static size_t pick_top(const struct cow_proc *procs, size_t nr, long top,
		       const struct cow_proc **out)
{
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		bool active = false, dup = false;

		if (!procs[i].live || procs[i].tgid <= 0)
			continue;
		for (size_t k = 0; k < NR_PROC_COUNTERS; k++)
			active |= val_or_0(&procs[i], proc_counters[k]) != 0;
		for (size_t j = 0; j < n; j++)
			dup |= out[j]->tgid == procs[i].tgid;
		if (active && !dup)
			out[n++] = &procs[i];
	}
	qsort(out, n, sizeof(*out), cmp_top);
	return n < (size_t)top ? n : (size_t)top;
}

static void proc_labels(FILE *f, const char *name, const struct cow_proc *p)
{
	fprintf(f, "%s{pid=\"%lld\",comm=\"", name, (long long)p->tgid);
	cow_prom_label(f, p->comm);
	fputs("\"} ", f);
}

static void process_lines(FILE *f, const struct cow_proc *procs, size_t nr, long top)
{
	const struct cow_proc **sel;
	char name[96], help[256];
	size_t n;
	bool any;

	if (top <= 0 || !nr)
		return;
	sel = calloc(nr, sizeof(*sel));
	if (!sel)
		return;
	n = pick_top(procs, nr, top, sel);
	for (size_t k = 0; k < NR_PROC_COUNTERS; k++) {
		int idx = proc_counters[k];

		any = false;
		for (size_t i = 0; i < n; i++)
			any |= sel[i]->c.have[idx];
		if (!any)
			continue;
		snprintf(name, sizeof(name), "cowstat_process_%s_total", cow_counter_info[idx].name);
		snprintf(help, sizeof(help),
			 "%s (%s), per process: the top %ld live processes by cow_copies.",
			 cow_counter_info[idx].meaning, cow_counter_info[idx].name, top);
		family(f, name, "counter", help);
		for (size_t i = 0; i < n; i++) {
			if (!sel[i]->c.have[idx])
				continue;
			proc_labels(f, name, sel[i]);
			fprintf(f, "%llu\n", (unsigned long long)sel[i]->c.val[idx]);
		}
	}
	any = false;
	for (size_t i = 0; i < n; i++)
		any |= sel[i]->has_fork_ns;
	if (any) {
		family(f, "cowstat_process_fork_copy_seconds_total", "counter",
		       "Seconds the process's forks spent copying page tables, per process (the top processes).");
		for (size_t i = 0; i < n; i++) {
			if (!sel[i]->has_fork_ns)
				continue;
			proc_labels(f, "cowstat_process_fork_copy_seconds_total", sel[i]);
			seconds(f, sel[i]->fork_ns);
			fputc('\n', f);
		}
	}
	free(sel);
}

void cow_prom_write_down(FILE *f)
{
	family(f, "cowstat_up", "gauge",
	       "1 when cowtrace could read the cowstat module's counters, 0 when not.");
	fprintf(f, "cowstat_up 0\n");
}

void cow_prom_write(FILE *f, const struct cow_prom_input *in)
{
	family(f, "cowstat_up", "gauge",
	       "1 when cowtrace could read the cowstat module's counters, 0 when not.");
	fprintf(f, "cowstat_up 1\n");
	family(f, "cowstat_info", "gauge", "The cowstat module's version and debugfs format, the kernel's release (value 1).");
	fprintf(f, "cowstat_info{version=\"");
	cow_prom_label(f, in->modver ? in->modver : "unknown");
	fprintf(f, "\",format=\"%d\",cowtrace_version=\"%s\",kernel=\"", in->format,
		COWTRACE_VERSION);
	cow_prom_label(f, in->kernel ? in->kernel : "unknown");
	fprintf(f, "\"} 1\n");
	system_counters(f, &in->stats->c);
	availability(f, &in->stats->c);
	health_lines(f, in->stats);
	if (in->probes)
		probe_lines(f, in->probes);
	process_lines(f, in->procs, in->nr_procs, in->top);
}
