// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of the cowstat debugfs files.  Each takes the whole text of one
 * file and fills a plain structure; none of them allocates except the table
 * rows, so a caller can parse a fixture as easily as a live file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowtrace.h"
#include "parse.h"

#define MAX_TOKENS 256

bool cow_parse_u64(const char *s, uint64_t *val)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return false;
		d = *s - '0';
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*val = v;
	return true;
}

static bool parse_id(const char *s, int64_t *val)
{
	uint64_t v;

	if (!cow_parse_u64(s, &v) || v > INT_MAX)
		return false;
	*val = (int64_t)v;
	return true;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

/*
 * Split a line in place on runs of blanks.  With keep_rest, the last token
 * takes the remainder of the line as it is, inner blanks included (comm).
 * Returns the number of tokens, or -1 when there are more than max.
 */
static int split(char *line, char **tok, int max, bool keep_rest)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == max)
			return -1;
		if (keep_rest && n == max - 1) {
			char *end = p + strlen(p);

			while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			*end = '\0';
			tok[n++] = p;
			break;
		}
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Calls fn for every line; the line is a private copy the callee may cut up. */
static int for_each_line(const char *text, int (*fn)(char *line, void *arg), void *arg)
{
	char *copy = strdup(text ? text : "");
	char *line, *next;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		err = fn(line, arg);
	}
	free(copy);
	return err;
}

static bool blank(const char *line)
{
	return line[strspn(line, " \t")] == '\0';
}

/* ---- procs / track tables ---- */

enum col_role {
	COL_UNKNOWN = -1, COL_STATE = -2, COL_GEN = -3, COL_TGID = -4,
	COL_PID = -5, COL_PPID = -6, COL_START = -7, COL_EXIT = -8,
	COL_FORK_NS = -9, COL_BIRTH = -10, COL_REMOTE = -11, COL_COMM = -12,
	/* >= 0: index of a counter */
};

static const struct {
	const char *name;
	enum col_role role;
} fixed_cols[] = {
	{ "state", COL_STATE }, { "gen", COL_GEN }, { "tgid", COL_TGID },
	{ "pid", COL_PID }, { "ppid", COL_PPID }, { "start_ns", COL_START },
	{ "exit_ns", COL_EXIT }, { "fork_ns", COL_FORK_NS },
	{ "birth", COL_BIRTH }, { "initiator_remote", COL_REMOTE },
	{ "comm", COL_COMM },
};

static const enum col_role required[] = {
	COL_STATE, COL_GEN, COL_TGID, COL_PPID, COL_START, COL_COMM,
};

struct table_ctx {
	struct cow_table *t;
	int role[MAX_TOKENS];
	int ncol;
	bool comm_last;
	bool header_seen;
};

static int role_of(const char *name)
{
	for (size_t i = 0; i < sizeof(fixed_cols) / sizeof(fixed_cols[0]); i++)
		if (!strcmp(fixed_cols[i].name, name))
			return fixed_cols[i].role;
	return cow_counter_index(name) >= 0 ? cow_counter_index(name) : COL_UNKNOWN;
}

static const char *role_name(int role)
{
	for (size_t i = 0; i < sizeof(fixed_cols) / sizeof(fixed_cols[0]); i++)
		if (fixed_cols[i].role == role)
			return fixed_cols[i].name;
	return "?";
}

static int parse_header(struct table_ctx *ctx, char *line)
{
	struct cow_table *t = ctx->t;
	char *tok[MAX_TOKENS];
	uint64_t dummy;
	int n = split(line, tok, MAX_TOKENS, false);

	if (n <= 0) {
		snprintf(t->err, sizeof(t->err), "header has too many columns");
		return -EINVAL;
	}
	if (cow_parse_u64(tok[0], &dummy)) {
		snprintf(t->err, sizeof(t->err), "no header line (first line starts with a number)");
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		ctx->role[i] = role_of(tok[i]);
		for (int j = 0; j < i; j++) {
			if (!strcmp(tok[i], tok[j])) {
				snprintf(t->err, sizeof(t->err), "column '%.40s' named twice", tok[i]);
				return -EINVAL;
			}
		}
		if (ctx->role[i] >= 0)
			t->have[ctx->role[i]] = true;
		if (ctx->role[i] == COL_EXIT)
			t->has_exit_ns = true;
		if (ctx->role[i] == COL_FORK_NS)
			t->has_fork_ns = true;
	}
	for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++) {
		bool found = false;

		for (int i = 0; i < n; i++)
			found |= ctx->role[i] == (int)required[r];
		if (!found) {
			snprintf(t->err, sizeof(t->err), "header lacks the '%s' column",
				 role_name(required[r]));
			return -EINVAL;
		}
	}
	ctx->ncol = n;
	ctx->comm_last = ctx->role[n - 1] == COL_COMM;
	ctx->header_seen = true;
	return 0;
}

static bool parse_row(struct table_ctx *ctx, char *line, struct cow_row *row)
{
	char *tok[MAX_TOKENS];
	bool has_pid = false;
	int n = split(line, tok, ctx->comm_last ? ctx->ncol : MAX_TOKENS, ctx->comm_last);

	if (n != ctx->ncol)
		return false;
	memset(row, 0, sizeof(*row));
	for (int i = 0; i < n; i++) {
		int role = ctx->role[i];
		const char *v = tok[i];
		bool ok = true;

		if (role >= 0 && strcmp(v, "-")) {
			ok = cow_parse_u64(v, &row->c.val[role]);
			row->c.have[role] = true;
		}
		/* "-" (format 2): the counter is unavailable; have stays false. */
		switch (role) {
		case COL_STATE:
			copy_str(row->state, sizeof(row->state), v);
			break;
		case COL_BIRTH:
			copy_str(row->birth, sizeof(row->birth), v);
			break;
		case COL_COMM:
			copy_str(row->comm, sizeof(row->comm), v);
			break;
		case COL_GEN:
			ok = cow_parse_u64(v, &row->gen);
			break;
		case COL_TGID:
			ok = parse_id(v, &row->tgid);
			break;
		case COL_PID:
			ok = parse_id(v, &row->pid);
			has_pid = true;
			break;
		case COL_PPID:
			ok = parse_id(v, &row->ppid);
			break;
		case COL_START:
			ok = cow_parse_u64(v, &row->start_ns);
			break;
		case COL_EXIT:
			ok = cow_parse_u64(v, &row->exit_ns);
			row->has_exit_ns = true;
			break;
		case COL_FORK_NS:
			ok = cow_parse_u64(v, &row->fork_ns);
			row->has_fork_ns = true;
			break;
		case COL_REMOTE:
			ok = cow_parse_u64(v, &row->initiator_remote);
			break;
		default:
			break;
		}
		if (!ok)
			return false;
	}
	if (!has_pid)
		row->pid = row->tgid;
	return true;
}

static int table_line(char *line, void *arg)
{
	struct table_ctx *ctx = arg;
	struct cow_table *t = ctx->t;
	struct cow_row row;

	if (blank(line))
		return 0;
	if (!ctx->header_seen)
		return parse_header(ctx, line);
	if (!parse_row(ctx, line, &row)) {
		t->skipped++;
		return 0;
	}
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct cow_row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		t->cap = cap;
	}
	t->rows[t->nr++] = row;
	return 0;
}

int cow_table_parse(const char *text, struct cow_table *t)
{
	struct table_ctx ctx = { .t = t };
	int err;

	memset(t, 0, sizeof(*t));
	err = for_each_line(text, table_line, &ctx);
	if (!err && !ctx.header_seen) {
		snprintf(t->err, sizeof(t->err), "empty table (no header line)");
		err = -EINVAL;
	}
	if (err == -ENOMEM)
		snprintf(t->err, sizeof(t->err), "out of memory");
	return err;
}

void cow_table_free(struct cow_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->nr = t->cap = 0;
}

/* ---- stats ---- */

static int stats_line(char *line, void *arg)
{
	struct cow_stats *s = arg;
	char *tok[3];
	uint64_t v;
	int idx, n;

	if (blank(line))
		return 0;
	n = split(line, tok, 3, false);
	idx = n == 2 ? cow_counter_index(tok[0]) : -1;
	if (idx >= 0 && !strcmp(tok[1], "-"))
		return 0;	/* unavailable (format 2): have stays false */
	if (n != 2 || !cow_parse_u64(tok[1], &v)) {
		s->skipped++;
		return 0;
	}
	if (idx >= 0) {
		s->c.val[idx] = v;
		s->c.have[idx] = true;
	} else if (s->nr_extra < COW_MAX_EXTRA) {
		copy_str(s->extra[s->nr_extra].name, sizeof(s->extra[0].name), tok[0]);
		s->extra[s->nr_extra++].val = v;
	}
	return 0;
}

int cow_stats_parse(const char *text, struct cow_stats *s)
{
	memset(s, 0, sizeof(*s));
	return for_each_line(text, stats_line, s);
}

bool cow_stats_extra(const struct cow_stats *s, const char *name, uint64_t *val)
{
	for (size_t i = 0; i < s->nr_extra; i++) {
		if (!strcmp(s->extra[i].name, name)) {
			*val = s->extra[i].val;
			return true;
		}
	}
	return false;
}

/* ---- probes ---- */

const char *cow_cap_name(enum cow_cap cap)
{
	switch (cap) {
	case CAP_EXACT:
		return "exact";
	case CAP_DERIVED:
		return "derived";
	case CAP_UNAVAILABLE:
		return "unavailable";
	default:
		return "unknown";
	}
}

static bool parse_cap(struct cow_probes *p, char *line)
{
	char *tok[3];
	char *open, *close;
	int idx, n = split(line, tok, 3, true);

	if (n != 3)
		return false;
	idx = cow_counter_index(tok[1]);
	if (idx < 0)
		return true;	/* a counter this cowtrace does not know: not an error */
	if (!strcmp(tok[2], "exact")) {
		p->cap[idx] = CAP_EXACT;
		return true;
	}
	if (!strcmp(tok[2], "derived")) {
		p->cap[idx] = CAP_DERIVED;
		return true;
	}
	if (strncmp(tok[2], "unavailable", 11))
		return false;
	p->cap[idx] = CAP_UNAVAILABLE;
	open = strchr(tok[2], '(');
	close = strrchr(tok[2], ')');
	if (open && close && close > open) {
		*close = '\0';
		copy_str(p->reason[idx], sizeof(p->reason[idx]), open + 1);
	}
	return true;
}

static int probes_line(char *line, void *arg)
{
	struct cow_probes *p = arg;
	char *tok[MAX_TOKENS];
	struct cow_probe pr;
	int n;

	if (blank(line))
		return 0;
	if (!strncmp(line + strspn(line, " \t"), "counter ", 8)) {
		if (!parse_cap(p, line))
			p->skipped++;
		return 0;
	}
	n = split(line, tok, MAX_TOKENS, false);
	if (n >= 3 && !strcmp(tok[0], "symbol") && !strcmp(tok[2], "hits"))
		return 0;	/* an optional header line */
	memset(&pr, 0, sizeof(pr));
	if (n < 5 || !cow_parse_u64(tok[2], &pr.hits) ||
	    !cow_parse_u64(tok[3], &pr.nmissed) ||
	    !cow_parse_u64(tok[4], &pr.nmissed_reentry) || p->nr == COW_MAX_PROBES) {
		p->skipped++;
		return 0;
	}
	copy_str(pr.symbol, sizeof(pr.symbol), tok[0]);
	copy_str(pr.state, sizeof(pr.state), tok[1]);
	p->probe[p->nr++] = pr;
	return 0;
}

void cow_counters_mask(struct cow_counters *c, const struct cow_probes *p)
{
	for (int i = 0; p && i < COWSTAT_NR_COUNTERS; i++)
		if (p->cap[i] == CAP_UNAVAILABLE) {
			c->have[i] = false;
			c->val[i] = 0;
		}
}

int cow_probes_parse(const char *text, struct cow_probes *p)
{
	memset(p, 0, sizeof(*p));
	return for_each_line(text, probes_line, p);
}

/* ---- latency ---- */

struct latency_ctx {
	struct cow_latency *sys;	/* the system-wide blocks */
	struct cow_latency *grp;	/* the blocks of the groups asked for, summed */
	struct cow_hist *cur;		/* the block bucket lines go to; NULL: skip them */
	bool in_block;			/* after a hist line, even a skipped one */
	const uint64_t *gens;
	size_t nr_gens;
};

static bool wanted_gen(const struct latency_ctx *c, uint64_t gen)
{
	for (size_t i = 0; i < c->nr_gens; i++)
		if (c->gens[i] == gen)
			return true;
	return false;
}

/* A group's block: the one of that name in grp, made on first sight. */
static struct cow_hist *group_hist(struct cow_latency *l, const char *name)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->h[i].name, name))
			return &l->h[i];
	if (l->nr == COW_MAX_HISTS)
		return NULL;
	memset(&l->h[l->nr], 0, sizeof(l->h[0]));
	copy_str(l->h[l->nr].name, sizeof(l->h[0].name), name);
	return &l->h[l->nr++];
}

static bool unavailable_tok(const char *t)
{
	return !strncmp(t, "unavailable(", 12) && t[strlen(t) - 1] == ')';
}

static int latency_line(char *line, void *arg)
{
	struct latency_ctx *c = arg;
	struct cow_latency *l = c->sys;
	struct cow_hist *h;
	struct cow_bucket b;
	char *tok[5], *why = NULL;
	uint64_t gen = 0;
	int n;

	if (blank(line))
		return 0;
	n = split(line, tok, 5, false);
	/*
	 * "hist NAME", then its buckets; or "hist NAME unavailable(REASON)":
	 * not timed with the module's parameters, no buckets follow.  Format
	 * 3 adds the groups' blocks, "hist NAME group=GEN [unavailable(...)]".
	 */
	if (n >= 2 && !strcmp(tok[0], "hist")) {
		int k = 2;

		if (n > k && !strncmp(tok[k], "group=", 6)) {
			if (!cow_parse_u64(tok[k] + 6, &gen) || !gen)
				goto bad_hist;
			k++;
		}
		if (n > k && unavailable_tok(tok[k]))
			why = tok[k++];
		if (n != k)
			goto bad_hist;
		c->in_block = true;
		if (gen) {
			/* Another tracer's group, or one not asked for. */
			if (!wanted_gen(c, gen)) {
				c->cur = NULL;
				return 0;
			}
			h = c->cur = group_hist(c->grp, tok[1]);
			if (!h) {
				l->skipped++;
				return 0;
			}
		} else {
			if (l->nr == COW_MAX_HISTS) {
				c->cur = NULL;
				l->skipped++;
				return 0;
			}
			h = &l->h[l->nr++];
			memset(h, 0, sizeof(*h));
			copy_str(h->name, sizeof(h->name), tok[1]);
			c->cur = h;
		}
		if (why) {
			why[strlen(why) - 1] = '\0';
			copy_str(h->unavailable, sizeof(h->unavailable),
				 why[12] ? why + 12 : "?");
		}
		return 0;
	}
	if (n != 3 || !c->in_block || !cow_parse_u64(tok[0], &b.lo) ||
	    !cow_parse_u64(tok[1], &b.hi) || !cow_parse_u64(tok[2], &b.count) ||
	    b.hi < b.lo)
		goto bad;
	h = c->cur;
	if (!h)
		return 0;	/* a bucket of a block not kept */
	/* Several groups' blocks of one name are summed, bucket by bucket. */
	for (size_t i = 0; i < h->nr; i++) {
		if (h->b[i].lo == b.lo && h->b[i].hi == b.hi) {
			h->b[i].count += b.count;
			return 0;
		}
	}
	if (h->nr == COW_MAX_BUCKETS)
		goto bad;
	h->b[h->nr++] = b;
	return 0;
bad_hist:
	c->cur = NULL;
	c->in_block = false;
bad:
	l->skipped++;
	return 0;
}

int cow_latency_parse(const char *text, struct cow_latency *l, const uint64_t *gens,
		      size_t nr_gens)
{
	struct latency_ctx c = { .sys = l, .gens = gens, .nr_gens = nr_gens };
	int err;

	memset(l, 0, sizeof(*l));
	if (nr_gens) {
		c.grp = calloc(1, sizeof(*c.grp));
		if (!c.grp)
			return -ENOMEM;
		c.grp->scope_group = true;
	}
	err = for_each_line(text, latency_line, &c);
	/* The groups' own histograms where the module has them (format 3). */
	if (!err && c.grp && c.grp->nr) {
		c.grp->skipped = l->skipped;
		*l = *c.grp;
	}
	free(c.grp);
	return err;
}

void cow_latency_delta(struct cow_latency *after, const struct cow_latency *before)
{
	/* A group's histograms start at zero with the group: nothing to subtract. */
	if (after->scope_group)
		return;
	for (size_t i = 0; i < after->nr; i++) {
		struct cow_hist *h = &after->h[i];
		size_t kept = 0;

		for (size_t j = 0; j < before->nr; j++) {
			const struct cow_hist *old = &before->h[j];

			if (strcmp(old->name, h->name))
				continue;
			for (size_t k = 0; k < h->nr; k++)
				for (size_t m = 0; m < old->nr; m++)
					if (old->b[m].lo == h->b[k].lo)
						h->b[k].count = h->b[k].count > old->b[m].count ?
							h->b[k].count - old->b[m].count : 0;
		}
		for (size_t k = 0; k < h->nr; k++)
			if (h->b[k].count)
				h->b[kept++] = h->b[k];
		h->nr = kept;
	}
}

/* ---- version ---- */

int cow_version_parse(const char *text, char *modver, size_t len, int *format)
{
	char buf[256];
	char *tok[5];
	uint64_t f;
	int n;

	copy_str(buf, sizeof(buf), text ? text : "");
	buf[strcspn(buf, "\n")] = '\0';
	n = split(buf, tok, 5, false);
	if (n != 4 || strcmp(tok[0], "cowstat") || strcmp(tok[2], "format") ||
	    !cow_parse_u64(tok[3], &f) || f > INT_MAX)
		return -EINVAL;
	copy_str(modver, len, tok[1]);
	*format = (int)f;
	return 0;
}
