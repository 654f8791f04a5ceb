// SPDX-License-Identifier: GPL-2.0
/*
 * --timeline FILE.svg: per process a lane from its start to its exit, and
 * in it the COW copies (stacked by mapping kind) and reuses per time
 * bucket, counted from the --events ring buffer (timeline.h).
 *
 * The buckets are counted from events, which a full ring can lose: the
 * picture then says so and its bars are a lower bound.  The lanes, their
 * start and exit marks and the totals of the title come from the report
 * (the counting maps) and the per-kind split of the legend from the
 * per-mapping map: those stay exact.
 *
 * The SVG is self-contained: no script, no external reference, no
 * foreignObject; every text from outside (command line, comm, kernel) is
 * escaped.  Each bucket and lane carries its counts as data- attributes
 * and a <title>, so that tests (and people) can read the numbers back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowtrace.h"
#include "events.h"
#include "maps.h"
#include "report.h"
#include "timeline.h"

/* ---- counting ---------------------------------------------------------- */

void cow_timeline_init(struct cow_timeline *tl, uint64_t t0)
{
	memset(tl, 0, sizeof(*tl));
	tl->t0 = t0;
	tl->width_ns = TL_BUCKET0_NS;
}

void cow_timeline_free(struct cow_timeline *tl)
{
	for (size_t i = 0; i < tl->nr_slots; i++)
		free(tl->slots[i].b);
	free(tl->other.b);
	tl->nr_slots = 0;
	tl->other.b = NULL;
}

static void merge_slot(struct tl_slot *s)
{
	if (!s->b)
		return;
	for (unsigned int i = 0; i < TL_NB / 2; i++)
		for (int c = 0; c < TL_NCAT; c++)
			s->b[i][c] = s->b[2 * i][c] + s->b[2 * i + 1][c];
	memset(s->b[TL_NB / 2], 0, sizeof(s->b[0]) * (TL_NB / 2));
}

/* Doubles the bucket width: each pair of buckets becomes one. */
static void merge_pairs(struct cow_timeline *tl)
{
	for (size_t i = 0; i < tl->nr_slots; i++)
		merge_slot(&tl->slots[i]);
	merge_slot(&tl->other);
	tl->width_ns *= 2;
	tl->merges++;
}

static struct tl_slot *slot_of(struct cow_timeline *tl, const struct ct_event *e)
{
	struct tl_slot *s = NULL;

	for (size_t i = 0; i < tl->nr_slots; i++)
		if (tl->slots[i].pid == e->pid)
			return &tl->slots[i];
	if (tl->nr_slots < TL_MAX_SLOTS) {
		s = &tl->slots[tl->nr_slots];
		memset(s, 0, sizeof(*s));
		s->pid = e->pid;
		memcpy(s->comm, e->comm, CT_COMM_LEN);
		s->comm[CT_COMM_LEN] = '\0';
		tl->nr_slots++;
	} else {
		s = &tl->other;
	}
	if (!s->b)
		s->b = calloc(TL_NB, sizeof(*s->b));
	return s->b ? s : NULL;
}

void cow_timeline_add(struct cow_timeline *tl, const struct ct_event *e)
{
	char detail[32];
	enum cow_event_kind k = cow_event_classify(e, detail, sizeof(detail));
	uint64_t t = e->ts > tl->t0 ? e->ts - tl->t0 : 0;
	struct tl_slot *s;
	unsigned int cat;
	uint64_t idx;

	if (k == COW_EV_COPY)
		cat = e->map_kind < CT_NR_MAP_KINDS ? e->map_kind : TL_UNKNOWN;
	else if (k == COW_EV_REUSE)
		cat = TL_REUSE;
	else
		return;
	s = slot_of(tl, e);
	if (!s) {
		tl->dropped++;
		return;
	}
	while ((idx = t / tl->width_ns) >= TL_NB)
		merge_pairs(tl);
	s->b[idx][cat]++;
	s->sum[cat]++;
	tl->events++;
}

unsigned int cow_timeline_buckets(const struct cow_timeline *tl, uint64_t end_ns)
{
	uint64_t span = end_ns > tl->t0 ? end_ns - tl->t0 : 0;
	uint64_t n = span / tl->width_ns + 1;

	return n > TL_NB ? TL_NB : (unsigned int)n;
}

/* ---- lanes ------------------------------------------------------------- */

struct tl_lane {
	int64_t pid, ppid;		/* pid 0: "other processes" */
	const char *comm;
	uint64_t start, end;		/* boottime ns */
	bool started, exited;		/* marks: started (forked) and exited in the run */
	uint64_t sum[TL_NCAT];
	uint32_t (*b)[TL_NCAT];		/* NULL: no events */
	bool own_b;
	size_t nr_procs;		/* "other": the processes summed */
};

static uint64_t lane_weight(const struct tl_lane *l)
{
	uint64_t w = 0;

	for (int c = 0; c < TL_NCAT; c++)
		w += l->sum[c];
	return w;
}

static int by_weight(const void *a, const void *b)
{
	const struct tl_lane *x = a, *y = b;
	uint64_t wx = lane_weight(x), wy = lane_weight(y);

	if (wx != wy)
		return wx > wy ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int by_start(const void *a, const void *b)
{
	const struct tl_lane *x = a, *y = b;

	if (!x->pid || !y->pid)		/* "other" goes last */
		return !x->pid - !y->pid;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void lane_add_slot(struct tl_lane *l, const struct tl_slot *s)
{
	if (!s->b)
		return;
	for (int c = 0; c < TL_NCAT; c++)
		l->sum[c] += s->sum[c];
	if (!l->b) {
		l->b = s->b;
		return;
	}
	if (!l->own_b) {
		uint32_t (*nb)[TL_NCAT] = malloc(TL_NB * sizeof(*nb));

		if (!nb)
			return;
		memcpy(nb, l->b, TL_NB * sizeof(*nb));
		l->b = nb;
		l->own_b = true;
	}
	for (unsigned int i = 0; i < TL_NB; i++)
		for (int c = 0; c < TL_NCAT; c++)
			l->b[i][c] += s->b[i][c];
}

/*
 * The lanes: the report's processes (one per PID, incarnations merged),
 * then any process that sent events without a row; past TL_MAX_LANES the
 * least busy are summed into one "other processes" lane.
 */
static struct tl_lane *build_lanes(const struct cow_timeline *tl, const struct cow_report *r,
				   size_t *nr)
{
	size_t cap = r->nr_procs + tl->nr_slots + 1, n = 0, keep;
	struct tl_lane *l = calloc(cap, sizeof(*l)), other = { 0 };
	bool *used = calloc(tl->nr_slots + 1, sizeof(*used));

	*nr = 0;
	if (!l || !used) {
		free(l);
		free(used);
		return NULL;
	}
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct cow_proc *p = &r->procs[i];
		bool live = p->live || !p->has_exit_ns;
		size_t j;

		for (j = 0; j < n; j++)
			if (l[j].pid == p->tgid)
				break;
		if (j == n) {
			l[n].pid = p->tgid;
			l[n].ppid = p->ppid;
			l[n].comm = p->comm;
			l[n].start = p->start_ns;
			l[n].end = live ? UINT64_MAX : p->exit_ns;
			n++;
			continue;
		}
		/* Another incarnation (exec): the newest names it. */
		if (p->start_ns < l[j].start)
			l[j].start = p->start_ns;
		else
			l[j].comm = p->comm;
		if (live || l[j].end == UINT64_MAX)
			l[j].end = UINT64_MAX;
		else if (p->exit_ns > l[j].end)
			l[j].end = p->exit_ns;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < tl->nr_slots; s++)
			if (!used[s] && tl->slots[s].pid == (uint32_t)l[i].pid) {
				lane_add_slot(&l[i], &tl->slots[s]);
				used[s] = true;
			}
	for (size_t s = 0; s < tl->nr_slots; s++) {
		if (used[s])
			continue;
		l[n].pid = tl->slots[s].pid;
		l[n].ppid = -1;
		l[n].comm = tl->slots[s].comm;
		l[n].start = 0;
		l[n].end = UINT64_MAX;
		lane_add_slot(&l[n], &tl->slots[s]);
		n++;
	}
	free(used);

	/* Marks and edges: a process alive at an edge runs to it. */
	for (size_t i = 0; i < n; i++) {
		l[i].started = l[i].start > tl->t0 && l[i].start < r->end_ns;
		if (!l[i].started)
			l[i].start = tl->t0;
		l[i].exited = l[i].end != UINT64_MAX && l[i].end <= r->end_ns;
		if (!l[i].exited)
			l[i].end = r->end_ns;
		if (l[i].end < l[i].start)
			l[i].end = l[i].start;
	}

	keep = n;
	if (n > TL_MAX_LANES || tl->other.b)
		keep = n < TL_MAX_LANES - 1 ? n : TL_MAX_LANES - 1;
	if (keep < n || tl->other.b) {
		qsort(l, n, sizeof(*l), by_weight);
		other.comm = "other processes";
		other.ppid = -1;
		other.start = tl->t0;
		other.end = r->end_ns;
		other.b = calloc(TL_NB, sizeof(*other.b));
		other.own_b = !!other.b;
		for (size_t i = keep; i < n; i++) {
			struct tl_slot s = { .b = l[i].b };

			for (int c = 0; c < TL_NCAT; c++)
				other.sum[c] += l[i].sum[c];
			/* s.sum is zero: the buckets only, the sums are added */
			if (other.b)
				lane_add_slot(&other, &s);
			if (l[i].own_b)
				free(l[i].b);
			other.nr_procs++;
		}
		if (tl->other.b && other.b)
			lane_add_slot(&other, &tl->other);
		n = keep;
		l[n++] = other;
	}
	qsort(l, n, sizeof(*l), by_start);
	*nr = n;
	return l;
}

static void free_lanes(struct tl_lane *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		if (l[i].own_b)
			free(l[i].b);
	free(l);
}

/* ---- drawing ----------------------------------------------------------- */

void cow_xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* XML 1.0 allows no control characters but tab and newlines */
			fputc(c < ' ' || c == 0x7f ? '?' : c, f);
		}
	}
}

static const char *const kind_colour[TL_NCAT] = {
	[CT_MAP_ANON] = "#1f77b4",
	[CT_MAP_HEAP] = "#d62728",
	[CT_MAP_STACK] = "#9467bd",
	[CT_MAP_FILE] = "#8c564b",
	[CT_MAP_SHARED] = "#e377c2",
	[CT_MAP_HUGETLB] = "#ff7f0e",
	[CT_MAP_SPECIAL] = "#17becf",
	[TL_UNKNOWN] = "#7f7f7f",
	[TL_REUSE] = "#2ca02c",
};

static const char *cat_name(unsigned int c)
{
	if (c < CT_NR_MAP_KINDS)
		return cow_map_kind_name(c);
	return c == TL_UNKNOWN ? "unknown" : "reuse";
}

/* A duration for an axis label: 0, 250ms, 1.5s, 2m30s, 40us. */
static void fmt_tick(char *buf, size_t len, uint64_t ns, uint64_t step)
{
	if (!ns)
		snprintf(buf, len, "0");
	else if (step >= 60000000000ULL && ns % 60000000000ULL == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(ns / 60000000000ULL));
	else if (step >= 1000000000ULL && ns >= 60000000000ULL)
		snprintf(buf, len, "%llum%llus", (unsigned long long)(ns / 60000000000ULL),
			 (unsigned long long)(ns % 60000000000ULL / 1000000000ULL));
	else if (step >= 1000000000ULL)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ULL));
	else if (step >= 100000000ULL)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else if (step >= 1000000ULL)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ULL));
	else
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ULL));
}

/* A 1, 2, 5 x 10^k step giving at most 10 ticks over span. */
static uint64_t tick_step(uint64_t span)
{
	static const uint64_t m[] = { 1, 2, 5 };
	uint64_t p = 1000;	/* 1 us */

	for (;;) {
		for (int i = 0; i < 3; i++)
			if (span / (m[i] * p) <= 10)
				return m[i] * p;
		if (p > UINT64_MAX / 10)
			return span ? span : 1;
		p *= 10;
	}
}

static uint64_t copies_of(const struct cow_counters *c)
{
	return c->val[COWSTAT_cow_copies] + c->val[COWSTAT_cow_at_fault] +
	       c->val[COWSTAT_hugetlb_copies];
}

static uint64_t reuses_of(const struct cow_counters *c)
{
	return c->val[COWSTAT_cow_reuses] + c->val[COWSTAT_thp_reuses] +
	       c->val[COWSTAT_hugetlb_reuses];
}

#define W_LEFT		240	/* lane labels */
#define W_PLOT		900
#define W_RIGHT		20
#define W_TOTAL		(W_LEFT + W_PLOT + W_RIGHT)
#define LANE_H		56
#define COPY_H		30	/* the tallest copy bar, above the line */
#define REUSE_H		14	/* the tallest reuse bar, below it */

static double xpos(uint64_t t, uint64_t t0, uint64_t span)
{
	if (t < t0)
		t = t0;
	if (t - t0 > span)
		return W_LEFT + W_PLOT;
	return W_LEFT + (double)(t - t0) * W_PLOT / (double)span;
}

static void lane_label(FILE *f, const struct tl_lane *l)
{
	if (l->pid) {
		fprintf(f, "%lld ", (long long)l->pid);
		cow_xml_escape(f, l->comm);
	} else {
		fputs("other processes", f);
		if (l->nr_procs)
			fprintf(f, " (%zu)", l->nr_procs);
	}
}

static void draw_lane(FILE *f, const struct tl_lane *l, size_t idx, double y,
		      const struct cow_timeline *tl, uint64_t span, unsigned int nb,
		      uint32_t max_copy, uint32_t max_reuse)
{
	double base = y + 6 + COPY_H, x0 = xpos(l->start, tl->t0, span);
	double x1 = xpos(l->end, tl->t0, span);
	uint64_t copies = 0;

	for (int c = 0; c < TL_REUSE; c++)
		copies += l->sum[c];
	fprintf(f, "<g class=\"lane\" data-pid=\"%lld\" data-comm=\"", (long long)l->pid);
	if (l->pid)
		cow_xml_escape(f, l->comm);
	fprintf(f, "\" data-copies=\"%llu\" data-reuses=\"%llu\" data-start-ns=\"%llu\" data-end-ns=\"%llu\">\n",
		(unsigned long long)copies, (unsigned long long)l->sum[TL_REUSE],
		(unsigned long long)(l->start - tl->t0), (unsigned long long)(l->end - tl->t0));
	fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", y,
		W_TOTAL, LANE_H, idx % 2 ? "#f4f4f4" : "#ffffff");
	fprintf(f, "<text x=\"8\" y=\"%.1f\">", base + 4);
	lane_label(f, l);
	fputs("</text>\n", f);
	fprintf(f, "<text x=\"8\" y=\"%.1f\" font-size=\"10\" fill=\"#555555\">%llu copies, %llu reuses</text>\n",
		base + 17, (unsigned long long)copies, (unsigned long long)l->sum[TL_REUSE]);
	/* its life: a line from start to exit */
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\" stroke-width=\"1\"/>\n",
		x0, base, x1, base);
	if (l->started)
		fprintf(f, "<path class=\"fork\" data-t-ns=\"%llu\" d=\"M%.1f %.1fm0 -6l8 6l-8 6z\" fill=\"#000000\"><title>started (fork) at %.6f s</title></path>\n",
			(unsigned long long)(l->start - tl->t0), x0, base,
			(l->start - tl->t0) / 1e9);
	if (l->exited)
		fprintf(f, "<path class=\"exit\" data-t-ns=\"%llu\" d=\"M%.1f %.1fm-4 -4l8 8m0 -8l-8 8\" stroke=\"#b00000\" stroke-width=\"2\"><title>exited at %.6f s</title></path>\n",
			(unsigned long long)(l->end - tl->t0), x1, base,
			(l->end - tl->t0) / 1e9);
	for (unsigned int i = 0; l->b && i < nb; i++) {
		const uint32_t *v = l->b[i];
		uint64_t bt = (uint64_t)i * tl->width_ns;
		double bx = xpos(tl->t0 + bt, tl->t0, span);
		double bw = xpos(tl->t0 + bt + tl->width_ns, tl->t0, span) - bx;
		uint64_t nc = 0;
		double top = base;

		for (int c = 0; c < TL_REUSE; c++)
			nc += v[c];
		if (!nc && !v[TL_REUSE])
			continue;
		if (bw > 2)
			bw -= 0.5;
		if (bw < 1)
			bw = 1;
		fprintf(f, "<g class=\"bucket\" data-t-ns=\"%llu\" data-copies=\"%llu\" data-reuses=\"%u\"><title>",
			(unsigned long long)bt, (unsigned long long)nc, v[TL_REUSE]);
		lane_label(f, l);
		fprintf(f, ", %.3f-%.3f s: %llu copies", bt / 1e9, (bt + tl->width_ns) / 1e9,
			(unsigned long long)nc);
		for (int c = 0; c < TL_REUSE; c++)
			if (v[c])
				fprintf(f, " %s=%u", cat_name(c), v[c]);
		fprintf(f, ", %u reuses</title>\n", v[TL_REUSE]);
		for (int c = 0; c < TL_REUSE; c++) {
			double h;

			if (!v[c])
				continue;
			h = (double)v[c] * COPY_H / max_copy;
			if (h < 1)
				h = 1;
			top -= h;
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
				bx, top, bw, h, kind_colour[c]);
		}
		if (v[TL_REUSE]) {
			double h = (double)v[TL_REUSE] * REUSE_H / max_reuse;

			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
				bx, base + 1, bw, h < 1 ? 1 : h, kind_colour[TL_REUSE]);
		}
		fputs("</g>\n", f);
	}
	fputs("</g>\n", f);
}

int cow_timeline_svg(FILE *f, const struct cow_timeline *tl, const struct cow_timeline_info *in)
{
	const struct cow_report *r = in->r;
	uint64_t span = r->end_ns > tl->t0 ? r->end_ns - tl->t0 : 1, step;
	unsigned int nb = cow_timeline_buckets(tl, r->end_ns);
	uint64_t kind_pages[TL_NCAT] = { 0 }, kind_bytes[TL_NCAT] = { 0 };
	uint32_t max_copy = 1, max_reuse = 1;
	size_t nl = 0;
	struct tl_lane *l = build_lanes(tl, r, &nl);
	/* PREEMPT_RT: the fault counters are unavailable (bpf-backend.rst) */
	int exact = r->total.have[COWSTAT_cow_copies];
	/* not counted (PREEMPT_RT): the per-mapping counts are not either */
	const struct cow_maps *maps = exact ? in->maps : NULL;
	uint64_t reuses = 0;
	double y, axis_y, lanes_y, legend_y;
	int height;
	char a[32], b[32];

	if (!l)
		return -1;
	for (size_t i = 0; i < nl; i++)
		for (unsigned int k = 0; l[i].b && k < nb; k++) {
			uint32_t nc = 0;

			for (int c = 0; c < TL_REUSE; c++)
				nc += l[i].b[k][c];
			if (nc > max_copy)
				max_copy = nc;
			if (l[i].b[k][TL_REUSE] > max_reuse)
				max_reuse = l[i].b[k][TL_REUSE];
		}
	for (size_t i = 0; i < nl; i++)
		reuses += l[i].sum[TL_REUSE];
	if (r->total.have[COWSTAT_cow_reuses])
		reuses = reuses_of(&r->total);
	if (maps) {
		const struct cow_maps *m = maps;

		for (size_t i = 0; i < m->nr; i++) {
			for (unsigned int c = 0; c < CT_NR_MAP_KINDS; c++)
				if (!strcmp(m->rows[i].kind, cow_map_kind_name(c))) {
					kind_pages[c] += m->rows[i].copies;
					kind_bytes[c] += m->rows[i].bytes_copied;
				}
		}
	} else {
		for (size_t i = 0; i < nl; i++)
			for (int c = 0; c < TL_REUSE; c++)
				kind_pages[c] += l[i].sum[c];
	}

	axis_y = 84;
	lanes_y = axis_y + 22;
	legend_y = lanes_y + nl * LANE_H + 16;
	height = (int)legend_y + 5 * 18 + 20;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\"",
		W_TOTAL, height, W_TOTAL, height);
	fprintf(f, " data-span-ns=\"%llu\" data-bucket-ns=\"%llu\" data-buckets=\"%u\" data-lost=\"%llu\" data-exact=\"%d\" data-copies=\"%llu\" data-reuses=\"%llu\">\n",
		(unsigned long long)span, (unsigned long long)tl->width_ns, nb,
		(unsigned long long)in->lost, exact, (unsigned long long)copies_of(&r->total),
		(unsigned long long)reuses_of(&r->total));
	fputs("<title>cowtrace timeline: ", f);
	cow_xml_escape(f, in->command ? in->command : "");
	fputs("</title>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		W_TOTAL, height);

	/* the title: command, kernel, duration, totals, events lost */
	fputs("<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">cowtrace: ", f);
	cow_xml_escape(f, in->command ? in->command : "");
	fputs("</text>\n", f);
	cow_fmt_duration(a, sizeof(a), span);
	fputs("<text x=\"10\" y=\"42\">kernel ", f);
	cow_xml_escape(f, r->kernel[0] ? r->kernel : "?");
	fprintf(f, ", %s, %zu processes: ", a, r->nr_procs);
	if (exact)
		fprintf(f, "%llu COW copies", (unsigned long long)copies_of(&r->total));
	else
		fputs("COW copies not counted on this kernel (the bars are a lower bound)", f);
	if (maps) {
		uint64_t bytes = 0;

		for (int c = 0; c < CT_NR_MAP_KINDS; c++)
			bytes += kind_bytes[c];
		cow_fmt_bytes(b, sizeof(b), bytes, false);
		fprintf(f, " (%s)", b);
	}
	fprintf(f, ", %llu reuses%s, %llu fork%s (exact); events lost: %llu</text>\n",
		(unsigned long long)reuses, exact ? "" : " (from events)",
		(unsigned long long)r->total.val[COWSTAT_forks],
		r->total.val[COWSTAT_forks] == 1 ? "" : "s", (unsigned long long)in->lost);
	if (in->lost || tl->dropped) {
		fprintf(f, "<rect class=\"lost\" x=\"6\" y=\"50\" width=\"%d\" height=\"20\" fill=\"#ffd8d8\" stroke=\"#b00000\"/>\n",
			W_TOTAL - 12);
		fprintf(f, "<text x=\"12\" y=\"64\" font-weight=\"bold\" fill=\"#b00000\">%llu EVENTS LOST (ring buffer full): the bars are a lower bound; the totals above are exact. Raise --events-buffer.</text>\n",
			(unsigned long long)(in->lost + tl->dropped));
	} else {
		cow_fmt_duration(b, sizeof(b), tl->width_ns);
		fprintf(f, "<text x=\"10\" y=\"64\" fill=\"#555555\">one bar per %s bucket: copies above each line (stacked by mapping kind, tallest = %u), reuses below (tallest = %u)</text>\n",
			b, max_copy, max_reuse);
	}

	/* the time axis */
	step = tick_step(span);
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000000\"/>\n",
		W_LEFT, axis_y + 6, W_LEFT + W_PLOT, axis_y + 6);
	for (uint64_t t = 0; t <= span; t += step) {
		double x = xpos(tl->t0 + t, tl->t0, span);

		fmt_tick(a, sizeof(a), t, step);
		fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\"/>\n",
			x, axis_y + 2, x, axis_y + 10);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n",
			x, lanes_y, x, lanes_y + nl * LANE_H);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
			axis_y - 2, a);
		if (t > UINT64_MAX - step)
			break;
	}

	for (size_t i = 0; i < nl; i++)
		draw_lane(f, &l[i], i, lanes_y + i * LANE_H, tl, span, nb, max_copy, max_reuse);

	/* the legend: per mapping kind the copies, then the reuses */
	y = legend_y;
	fprintf(f, "<text x=\"10\" y=\"%.1f\" font-weight=\"bold\">COW copies by mapping kind%s</text>\n",
		y + 12, maps ? " (exact, from the per-mapping counts)" :
		" (counted from events)");
	y += 18;
	for (unsigned int c = 0, col = 0; c < TL_NCAT; c++) {
		double x;

		if (c == TL_UNKNOWN && !kind_pages[c])
			continue;
		x = 10 + (col % 4) * 285;
		if (col && col % 4 == 0)
			y += 18;
		col++;
		fprintf(f, "<g class=\"legend\" data-kind=\"%s\" data-pages=\"%llu\"", cat_name(c),
			(unsigned long long)(c == TL_REUSE ? reuses : kind_pages[c]));
		if (maps && c < CT_NR_MAP_KINDS)
			fprintf(f, " data-bytes=\"%llu\"", (unsigned long long)kind_bytes[c]);
		fprintf(f, "><rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>",
			x, y + 2, kind_colour[c]);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 18, y + 12);
		if (c == TL_REUSE) {
			fprintf(f, "reuses: %llu", (unsigned long long)reuses);
		} else {
			fprintf(f, "%s: %llu pages", cat_name(c), (unsigned long long)kind_pages[c]);
			if (maps) {
				cow_fmt_bytes(b, sizeof(b), kind_bytes[c], false);
				fprintf(f, ", %s", b);
			}
		}
		fputs("</text></g>\n", f);
	}
	y += 22;
	fprintf(f, "<text x=\"10\" y=\"%.1f\" fill=\"#555555\">&#9654; started (fork) in the run, &#10005; exited; a lane without a mark was alive at that edge. %zu lanes (at most %d: past that the least busy are summed into \"other processes\").</text>\n",
		y + 8, nl, TL_MAX_LANES);
	fputs("</svg>\n", f);
	free_lanes(l, nl);
	return ferror(f) ? -1 : 0;
}

/* ---- the file ---------------------------------------------------------- */

static char *tl_path, *tl_tmp;
static FILE *tl_file;

int cow_timeline_open(const char *path)
{
	if (asprintf(&tl_tmp, "%s.tmp", path) < 0) {
		tl_tmp = NULL;
		cow_err("--timeline: out of memory");
		return -1;
	}
	tl_file = fopen(tl_tmp, "we");
	if (!tl_file) {
		cow_err("--timeline: cannot write %s: %s: give a writable path", tl_tmp,
			strerror(errno));
		free(tl_tmp);
		tl_tmp = NULL;
		return -1;
	}
	tl_path = strdup(path);
	return 0;
}

void cow_timeline_abort(void)
{
	if (!tl_file)
		return;
	fclose(tl_file);
	unlink(tl_tmp);
	tl_file = NULL;
}

int cow_timeline_commit(const struct cow_timeline *tl, const struct cow_timeline_info *in)
{
	int err;

	if (!tl_file)
		return 0;
	err = cow_timeline_svg(tl_file, tl, in);
	if (fclose(tl_file))
		err = -1;
	tl_file = NULL;
	if (err) {
		cow_err("--timeline: cannot write %s", tl_tmp);
		unlink(tl_tmp);
		return -1;
	}
	if (rename(tl_tmp, tl_path)) {
		cow_err("--timeline: cannot rename %s to %s: %s", tl_tmp, tl_path, strerror(errno));
		unlink(tl_tmp);
		return -1;
	}
	return 0;
}

int cow_timeline_write(struct cow_source *src, const struct cow_report *r,
		       const struct cow_timeline *tl)
{
	struct cow_timeline_info in = { .r = r, .maps = r->maps, .lost = r->events_lost };
	struct cow_maps m = { 0 };
	char *cmd = NULL;
	size_t len = 0;
	FILE *c = open_memstream(&cmd, &len);
	int ret;

	if (!c) {
		cow_timeline_abort();
		cow_err("--timeline: out of memory");
		return -1;
	}
	if (r->argv) {
		for (char *const *a = r->argv; *a; a++)
			fprintf(c, "%s%s", a == r->argv ? "" : " ", *a);
	} else {
		fputs("attach", c);
		if (r->cgroup)
			fprintf(c, " -c %s", r->cgroup);
		for (int i = 0; i < r->nr_leaders; i++)
			fprintf(c, " -p %d", (int)r->leaders[i]);
	}
	fclose(c);
	in.command = cmd;
	if (!in.maps && !cow_maps_collect(src, r, COW_MAPS_TOP_DEFAULT, &m))
		in.maps = &m;
	ret = cow_timeline_commit(tl, &in);
	cow_maps_free(&m);
	free(cmd);
	return ret;
}
