// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of cowtrace's parsers and formatters: fixture text in,
 * parsed values and printed text checked exactly.  Prints one
 * "PASS cowtrace/<name>" or "FAIL cowtrace/<name>: <why>" line per test
 * and ends with "N passed, N failed"; exits non-zero on any failure.
 *
 * With an argument DIR it also writes DIR/escape.json, a document full of
 * awkward strings, for run-tests.sh to validate with python3 -m json.tool.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cowtrace.h"
#include "../events.h"
#include "../hist.h"
#include "../json.h"
#include "../ksyms.h"
#include "../maps.h"
#include "../parse.h"
#include "../report.h"
#include "../timeline.h"

/* The report and source code print errors through these (cowtrace.c). */
void cow_err(const char *fmt, ...)
{
	va_list ap;

	fputs("cowtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t cow_boottime_ns(void)
{
	return 5000000000ULL;
}

void cow_kernel_release(char *buf, size_t len)
{
	snprintf(buf, len, "test");
}

static int passed, failed;
static char why[4096];
static bool ok;

#define CHECK(cond, ...)						\
	do {								\
		if (ok && !(cond)) {					\
			ok = false;					\
			snprintf(why, sizeof(why), __VA_ARGS__);	\
		}							\
	} while (0)

static void run(const char *name, void (*fn)(void))
{
	ok = true;
	why[0] = '\0';
	fn();
	if (ok) {
		passed++;
		printf("PASS cowtrace/%s\n", name);
	} else {
		failed++;
		printf("FAIL cowtrace/%s: %s\n", name, why);
	}
}

/* Captures what a formatter prints. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

static const char *cap_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

/* A header with every counter, the way the module prints it. */
static char *procs_header(const char *before, const char *after)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s", before);
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		strcat(buf, " ");
		strcat(buf, cow_counter_info[i].name);
	}
	strcat(buf, after);
	return buf;
}

/* A row: fixed part, counter i = base + i, then the tail (comm). */
static char *procs_row(const char *fixed, uint64_t base, const char *tail)
{
	static char buf[4096];
	char num[32];

	snprintf(buf, sizeof(buf), "%s", fixed);
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		snprintf(num, sizeof(num), " %llu", (unsigned long long)(base + i));
		strcat(buf, num);
	}
	strcat(buf, tail);
	return buf;
}

static char *join(const char *a, const char *b, const char *c)
{
	size_t len = strlen(a) + strlen(b) + strlen(c) + 3;
	char *s = malloc(len);

	snprintf(s, len, "%s\n%s\n%s", a, b, c);
	return s;
}

/* ---- tests ---- */

static void test_units(void)
{
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		CHECK(cow_counter_unit(i) >= 0,
		      "counter %s has no unit in counters.c: say what one count is worth in bytes",
		      cow_counter_info[i].name);
	CHECK(cow_counter_bytes(COWSTAT_cow_copies, 3) == 3 * 4096, "cow_copies bytes");
	CHECK(cow_counter_bytes(COWSTAT_hugetlb_copies, 2) == 2 * (2 << 20), "hugetlb bytes");
	CHECK(cow_counter_bytes(COWSTAT_forks, 5) == 0, "forks has no bytes");
	CHECK(cow_counter_index("cow_copies") == COWSTAT_cow_copies, "index of cow_copies");
	CHECK(cow_counter_index("no_such") == -1, "index of an unknown name");
}

static void test_parse_u64(void)
{
	uint64_t v;

	CHECK(cow_parse_u64("0", &v) && v == 0, "0");
	CHECK(cow_parse_u64("18446744073709551615", &v) && v == UINT64_MAX, "UINT64_MAX");
	CHECK(!cow_parse_u64("18446744073709551616", &v), "UINT64_MAX+1 accepted");
	CHECK(!cow_parse_u64("99999999999999999999999", &v), "huge accepted");
	CHECK(!cow_parse_u64("-1", &v), "negative accepted");
	CHECK(!cow_parse_u64("", &v), "empty accepted");
	CHECK(!cow_parse_u64("12a", &v), "trailing garbage accepted");
	CHECK(!cow_parse_u64("+5", &v), "sign accepted");
}

static void test_table_module_order(void)
{
	struct cow_table t;
	char *text;
	const char *hdr = procs_header("state gen tgid pid ppid start_ns birth initiator_remote exit_ns fork_ns",
				       " comm");
	char row[4096];

	snprintf(row, sizeof(row), "%s",
		 procs_row("live 7 100 101 1 5000 fork 0 0 1234", 10, " bash"));
	text = join(hdr, row, "");
	CHECK(!cow_table_parse(text, &t), "parse failed: %s", t.err);
	CHECK(t.nr == 1, "%zu rows, want 1", t.nr);
	if (t.nr == 1) {
		const struct cow_row *r = &t.rows[0];

		CHECK(!strcmp(r->state, "live"), "state '%s'", r->state);
		CHECK(r->gen == 7 && r->tgid == 100 && r->pid == 101 && r->ppid == 1,
		      "ids %llu %lld %lld %lld", (unsigned long long)r->gen, (long long)r->tgid,
		      (long long)r->pid, (long long)r->ppid);
		CHECK(r->start_ns == 5000 && !strcmp(r->birth, "fork"), "start/birth");
		CHECK(r->has_fork_ns && r->fork_ns == 1234, "fork_ns");
		CHECK(r->has_exit_ns && r->exit_ns == 0, "exit_ns");
		for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
			CHECK(r->c.have[i] && r->c.val[i] == 10 + (uint64_t)i, "counter %s = %llu",
			      cow_counter_info[i].name, (unsigned long long)r->c.val[i]);
		CHECK(!strcmp(r->comm, "bash"), "comm '%s'", r->comm);
	}
	CHECK(t.skipped == 0, "%zu skipped", t.skipped);
	cow_table_free(&t);
	free(text);
}

static void test_table_by_name(void)
{
	/* Reordered columns, an unknown one, most counters missing. */
	const char *text =
		"comm_len_hint cow_copies tgid future state ppid gen start_ns cow_reuses comm\n"
		"9 42 300 xyz exited 299 8 777 5 my  worker thread  \n"
		"\n"
		"1 43 301 abc live 300 9 778 6 x\n";
	struct cow_table t;

	CHECK(!cow_table_parse(text, &t), "parse failed: %s", t.err);
	CHECK(t.nr == 2, "%zu rows, want 2", t.nr);
	CHECK(t.have[COWSTAT_cow_copies] && t.have[COWSTAT_cow_reuses] && !t.have[COWSTAT_forks],
	      "header counters");
	CHECK(!t.has_exit_ns && !t.has_fork_ns, "optional columns absent");
	if (t.nr == 2) {
		const struct cow_row *r = &t.rows[0];

		CHECK(r->tgid == 300 && r->pid == 300 && r->ppid == 299 && r->gen == 8, "ids");
		CHECK(r->c.val[COWSTAT_cow_copies] == 42 && r->c.val[COWSTAT_cow_reuses] == 5,
		      "counters");
		CHECK(!r->c.have[COWSTAT_forks], "forks should be missing");
		CHECK(!strcmp(r->comm, "my  worker thread"), "comm with spaces '%s'", r->comm);
		CHECK(!strcmp(t.rows[1].comm, "x"), "second comm '%s'", t.rows[1].comm);
	}
	cow_table_free(&t);
}

static void test_table_garbage(void)
{
	const char *text =
		"state gen tgid ppid start_ns cow_copies comm\r\n"
		"live 1 10 1 100 18446744073709551615 ok\r\n"
		"live 2 11 1 100 18446744073709551616 overflow\r\n"
		"this is not a row at all but has enough words\r\n"
		"live 3 12\r\n"
		"live 4 -5 1 100 1 negative\r\n"
		"live 5 2147483648 1 100 1 pid-too-big\r\n"
		"exited 6 13 1 100 7 last\r\n";
	struct cow_table t;

	CHECK(!cow_table_parse(text, &t), "parse failed: %s", t.err);
	CHECK(t.nr == 2, "%zu rows, want 2", t.nr);
	CHECK(t.skipped == 5, "%zu skipped, want 5", t.skipped);
	if (t.nr == 2) {
		CHECK(t.rows[0].c.val[COWSTAT_cow_copies] == UINT64_MAX, "UINT64_MAX value");
		CHECK(!strcmp(t.rows[0].comm, "ok"), "CR left in comm '%s'", t.rows[0].comm);
		CHECK(t.rows[1].gen == 6 && !strcmp(t.rows[1].comm, "last"), "last row");
	}
	cow_table_free(&t);
}

static void test_table_errors(void)
{
	struct cow_table t;

	CHECK(cow_table_parse("", &t) && strstr(t.err, "empty"), "empty: '%s'", t.err);
	cow_table_free(&t);
	CHECK(cow_table_parse("\n\n", &t) && strstr(t.err, "empty"), "blank: '%s'", t.err);
	cow_table_free(&t);
	CHECK(cow_table_parse("state gen pid ppid start_ns comm\nlive 1 2 1 5 x\n", &t) &&
	      strstr(t.err, "tgid"), "missing tgid: '%s'", t.err);
	cow_table_free(&t);
	CHECK(cow_table_parse("1 2 3\n", &t) && strstr(t.err, "header"), "no header: '%s'", t.err);
	cow_table_free(&t);
	CHECK(cow_table_parse("state gen tgid tgid ppid start_ns comm\n", &t) &&
	      strstr(t.err, "twice"), "duplicate: '%s'", t.err);
	cow_table_free(&t);
	CHECK(!cow_table_parse("state gen tgid ppid start_ns comm\n", &t) && t.nr == 0,
	      "header only should parse to 0 rows");
	cow_table_free(&t);
	/* comm not last: it is one token, and longer rows are rejected. */
	CHECK(!cow_table_parse("state comm gen tgid ppid start_ns\nlive a 1 2 1 5\nlive a b 1 2 1 5\n",
			       &t) && t.nr == 1 && t.skipped == 1 && !strcmp(t.rows[0].comm, "a"),
	      "comm in the middle");
	cow_table_free(&t);
}

static void test_stats(void)
{
	struct cow_stats s;
	uint64_t v = 0;

	CHECK(!cow_stats_parse("forks 3\ncow_copies 18446744073709551615\nrecords_live 4\n"
			       "garbage\nbad value\n\nrecords_dropped 0\nfork_ns 99\n", &s),
	      "parse");
	CHECK(s.c.have[COWSTAT_forks] && s.c.val[COWSTAT_forks] == 3, "forks");
	CHECK(s.c.val[COWSTAT_cow_copies] == UINT64_MAX, "cow_copies");
	CHECK(!s.c.have[COWSTAT_cow_reuses], "cow_reuses should be missing");
	CHECK(cow_stats_extra(&s, "records_live", &v) && v == 4, "records_live");
	CHECK(cow_stats_extra(&s, "fork_ns", &v) && v == 99, "fork_ns");
	CHECK(!cow_stats_extra(&s, "nope", &v), "unknown extra");
	CHECK(s.skipped == 2, "%zu skipped, want 2", s.skipped);

	/* Format 2: "-" is an unavailable counter, not a bad line, not 0. */
	CHECK(!cow_stats_parse("forks 3\ncow_copies -\nrecords_live -\n", &s), "parse -");
	CHECK(!s.c.have[COWSTAT_cow_copies], "cow_copies - read as known");
	CHECK(s.skipped == 1, "%zu skipped, want 1 (records_live -)", s.skipped);
}

/* Format 2: "-" in a counter column is unavailable; elsewhere a bad row. */
static void test_table_unavailable(void)
{
	const char *text =
		"state gen tgid ppid start_ns cow_copies forks comm\n"
		"live 1 100 1 5 - 2 a\n"
		"live 2 - 1 5 3 2 b\n";
	struct cow_probes p = { 0 };
	struct cow_table t;

	CHECK(!cow_table_parse(text, &t), "parse failed: %s", t.err);
	CHECK(t.nr == 1 && t.skipped == 1, "%zu rows, %zu skipped", t.nr, t.skipped);
	if (t.nr == 1) {
		CHECK(!t.rows[0].c.have[COWSTAT_cow_copies], "cow_copies - read as known");
		CHECK(t.rows[0].c.have[COWSTAT_forks] && t.rows[0].c.val[COWSTAT_forks] == 2,
		      "forks");
		/* A format 1 module printed 0; probes says unavailable. */
		t.rows[0].c.have[COWSTAT_cow_copies] = true;
		p.cap[COWSTAT_cow_copies] = CAP_UNAVAILABLE;
		cow_counters_mask(&t.rows[0].c, &p);
		CHECK(!t.rows[0].c.have[COWSTAT_cow_copies], "mask kept an unavailable counter");
		CHECK(t.rows[0].c.have[COWSTAT_forks], "mask dropped an available counter");
	}
	cow_table_free(&t);
}

static void test_probes(void)
{
	struct cow_probes p;
	const char *text =
		"symbol state hits nmissed nmissed_reentry\n"
		"copy_page_range ftrace 10 0 0\n"
		"wp_page_copy failed(-2) 0 1 2\n"
		"broken line\n"
		"counter forks exact\n"
		"counter cow_copies derived\n"
		"counter cow_copies_pfn unavailable(not on this kernel, sorry)\n"
		"counter future_counter exact\n"
		"counter forks maybe\n";

	CHECK(!cow_probes_parse(text, &p), "parse");
	CHECK(p.nr == 2, "%zu probes", p.nr);
	CHECK(!strcmp(p.probe[1].symbol, "wp_page_copy") && !strcmp(p.probe[1].state, "failed(-2)") &&
	      p.probe[1].nmissed == 1 && p.probe[1].nmissed_reentry == 2, "second probe");
	CHECK(p.cap[COWSTAT_forks] == CAP_EXACT, "forks exact");
	CHECK(p.cap[COWSTAT_cow_copies] == CAP_DERIVED, "cow_copies derived");
	CHECK(p.cap[COWSTAT_cow_copies_pfn] == CAP_UNAVAILABLE &&
	      !strcmp(p.reason[COWSTAT_cow_copies_pfn], "not on this kernel, sorry"),
	      "reason '%s'", p.reason[COWSTAT_cow_copies_pfn]);
	CHECK(p.cap[COWSTAT_wp_faults] == CAP_UNKNOWN, "unlisted counter");
	CHECK(p.skipped == 2, "%zu skipped, want 2", p.skipped);
}

static void test_latency(void)
{
	struct cow_latency l, before;

	CHECK(!cow_latency_parse("1 2 3\nhist fork_copy\n1024 2047 3\n8192 16383 1\n"
				 "hist wp_copy\n512 1023 10\nbad\n1024 2047 x\n9 1 1\n", &l, NULL, 0),
	      "parse");
	CHECK(l.nr == 2, "%zu hists", l.nr);
	CHECK(l.skipped == 4, "%zu skipped, want 4", l.skipped);
	CHECK(l.h[0].nr == 2 && l.h[0].b[1].lo == 8192 && l.h[0].b[1].count == 1, "fork_copy");
	CHECK(!strcmp(l.h[1].name, "wp_copy") && l.h[1].nr == 1, "wp_copy");
	cow_latency_parse("hist fork_copy\n1024 2047 1\n8192 16383 1\n", &before, NULL, 0);
	cow_latency_delta(&l, &before);
	CHECK(l.h[0].nr == 1 && l.h[0].b[0].lo == 1024 && l.h[0].b[0].count == 2,
	      "delta keeps only buckets that grew");
	CHECK(l.h[1].nr == 1 && l.h[1].b[0].count == 10, "delta of a hist absent before");
	/* wp_return=0: the wp_* histograms say why they are not timed */
	CHECK(!cow_latency_parse("hist fork_copy\n1024 2047 1\n"
				 "hist wp_copy unavailable(do_wp_page:wp_return=0)\n"
				 "hist wp_reuse unavailable()\nhist thp_wp\n", &l, NULL, 0), "parse");
	CHECK(l.nr == 4 && l.skipped == 0, "%zu hists, %zu skipped", l.nr, l.skipped);
	CHECK(!l.h[0].unavailable[0] && l.h[0].nr == 1, "fork_copy available");
	CHECK(!strcmp(l.h[1].name, "wp_copy") && l.h[1].nr == 0 &&
	      !strcmp(l.h[1].unavailable, "do_wp_page:wp_return=0"), "wp_copy unavailable");
	CHECK(!strcmp(l.h[2].unavailable, "?"), "empty reason");
	CHECK(!l.h[3].unavailable[0] && l.h[3].nr == 0, "thp_wp available, empty");
}

/*
 * Format 3: each group's blocks after the system's.  Asked for groups 7
 * and 9, cowtrace gets their blocks summed by name, bucket by bucket, and
 * nothing of group 8 (another tracer's) or of the system; without ids, or
 * from a module that has no group blocks, the system's.
 */
static void test_latency_groups(void)
{
	static const char text[] =
		"hist fork_copy\n1024 2047 100\n"
		"hist wp_copy unavailable(do_wp_page:wp_return=0)\n"
		"hist thp_wp\n4 7 50\n"
		"hist fork_copy group=7\n1024 2047 2\n2048 4095 1\n"
		"hist wp_copy group=7 unavailable(do_wp_page:wp_return=0)\n"
		"hist thp_wp group=7\n"
		"hist fork_copy group=8\n1024 2047 40\n16 31 9\n"
		"hist wp_copy group=8 unavailable(do_wp_page:wp_return=0)\n"
		"hist thp_wp group=8\n4 7 30\n"
		"hist fork_copy group=9\n1024 2047 3\n8192 16383 1\n"
		"hist wp_copy group=9 unavailable(do_wp_page:wp_return=0)\n"
		"hist thp_wp group=9\n4 7 5\n"
		"hist fork_copy group=x\n1 2 3\nhist thp_wp group=9 extra\n";
	static const uint64_t gens[] = { 7, 9 }, other[] = { 5 };
	struct cow_latency l, before;

	CHECK(!cow_latency_parse(text, &l, gens, 2), "parse");
	CHECK(l.scope_group, "group scope");
	CHECK(l.nr == 3, "%zu hists", l.nr);
	/* the malformed tags: two hist lines and the bucket after the first */
	CHECK(l.skipped == 3, "%zu skipped, want 3", l.skipped);
	CHECK(!strcmp(l.h[0].name, "fork_copy") && l.h[0].nr == 3 &&
	      l.h[0].b[0].lo == 1024 && l.h[0].b[0].count == 5 &&
	      l.h[0].b[1].lo == 2048 && l.h[0].b[1].count == 1 &&
	      l.h[0].b[2].lo == 8192 && l.h[0].b[2].count == 1, "fork_copy of groups 7 and 9");
	CHECK(!strcmp(l.h[1].name, "wp_copy") && l.h[1].nr == 0 &&
	      !strcmp(l.h[1].unavailable, "do_wp_page:wp_return=0"), "wp_copy unavailable");
	CHECK(!strcmp(l.h[2].name, "thp_wp") && l.h[2].nr == 1 && l.h[2].b[0].count == 5,
	      "thp_wp of group 9 alone");
	/* group histograms start with the group: no delta */
	cow_latency_parse("hist fork_copy\n1024 2047 100\n", &before, NULL, 0);
	cow_latency_delta(&l, &before);
	CHECK(l.h[0].b[0].count == 5, "no delta for a group's histogram");

	CHECK(!cow_latency_parse(text, &l, NULL, 0) && !l.scope_group && l.nr == 3 &&
	      l.h[0].nr == 1 && l.h[0].b[0].count == 100 && l.h[2].b[0].count == 50,
	      "without ids: the system's");
	CHECK(!cow_latency_parse(text, &l, other, 1) && !l.scope_group && l.nr == 3,
	      "no block of the group asked for: the system's");
	CHECK(!cow_latency_parse("hist fork_copy\n1024 2047 1\n", &l, gens, 2) &&
	      !l.scope_group && l.nr == 1, "format 2: the system's");
}

static void test_version(void)
{
	char v[64];
	int f = 0;

	CHECK(!cow_version_parse("cowstat 0.3-rc1 format 1\n", v, sizeof(v), &f) &&
	      !strcmp(v, "0.3-rc1") && f == 1, "good version");
	CHECK(cow_version_parse("cowstat 0.3 fmt 1\n", v, sizeof(v), &f), "bad keyword");
	CHECK(cow_version_parse("", v, sizeof(v), &f), "empty");
	CHECK(cow_version_parse("cowstat 1 format x", v, sizeof(v), &f), "bad number");
}

static void test_hist_render(void)
{
	struct cow_hist h = { .name = "wp_copy", .nr = 3 };
	struct capture c;
	const char *out;
	const char *want =
		"wp_copy\n"
		"    nsecs      : count      distribution\n"
		"  512 -> 1023  : 10         |**                                      |\n"
		" 1024 -> 2047  : 160        |****************************************|\n"
		" 2048 -> 4095  : 0          |                                        |\n"
		" 4096 -> 8191  : 1          |*                                       |\n";

	h.b[0] = (struct cow_bucket){ 1024, 2047, 160 };
	h.b[1] = (struct cow_bucket){ 512, 1023, 10 };
	h.b[2] = (struct cow_bucket){ 4096, 8191, 1 };
	cow_hist_print(cap_open(&c), &h);
	out = cap_close(&c);
	CHECK(!strcmp(out, want), "got:\n%s", out);
	free(c.buf);

	h.nr = 0;
	cow_hist_print(cap_open(&c), &h);
	out = cap_close(&c);
	CHECK(strstr(out, "(no events)"), "empty hist: %s", out);
	free(c.buf);

	/* unavailable is said, never an empty histogram */
	snprintf(h.unavailable, sizeof(h.unavailable), "do_wp_page:wp_return=0");
	cow_hist_print(cap_open(&c), &h);
	out = cap_close(&c);
	CHECK(!strcmp(out, "wp_copy\n  (unavailable: do_wp_page:wp_return=0)\n"),
	      "unavailable hist: %s", out);
	free(c.buf);
}

static void test_json_escape(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
		{ "nl\ntab\tcr\r", "\"nl\\ntab\\tcr\\r\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "bad\xff\xc3", "\"bad\\u00ff\\u00c3\"" },
		{ "over\xc0\xaf", "\"over\\u00c0\\u00af\"" },
		{ "", "\"\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct capture c;
		const char *out;

		json_write_string(cap_open(&c), cases[i].in);
		out = cap_close(&c);
		CHECK(!strcmp(out, cases[i].out), "case %zu: got %s want %s", i, out, cases[i].out);
		free(c.buf);
	}
}

static void test_json_document(void)
{
	struct capture c;
	struct json j;
	const char *out;
	const char *want =
		"{\n"
		"  \"a\": 1,\n"
		"  \"empty\": {},\n"
		"  \"list\": [\n"
		"    \"x\",\n"
		"    null,\n"
		"    true\n"
		"  ],\n"
		"  \"neg\": -3\n"
		"}\n";

	json_init(&j, cap_open(&c));
	json_object_begin(&j, NULL);
	json_u64(&j, "a", 1);
	json_object_begin(&j, "empty");
	json_object_end(&j);
	json_array_begin(&j, "list");
	json_str(&j, NULL, "x");
	json_null(&j, NULL);
	json_bool(&j, NULL, true);
	json_array_end(&j);
	json_i64(&j, "neg", -3);
	json_object_end(&j);
	json_finish(&j);
	out = cap_close(&c);
	CHECK(!strcmp(out, want), "got:\n%s", out);
	free(c.buf);
}

static void test_formatters(void)
{
	char b[32];

	cow_fmt_bytes(b, sizeof(b), 0, true);
	CHECK(!strcmp(b, "0"), "0 -> %s", b);
	cow_fmt_bytes(b, sizeof(b), 4096, true);
	CHECK(!strcmp(b, "4.0K"), "4096 -> %s", b);
	cow_fmt_bytes(b, sizeof(b), 64ULL << 20, false);
	CHECK(!strcmp(b, "64.0 MiB"), "64M -> %s", b);
	cow_fmt_bytes(b, sizeof(b), UINT64_MAX, false);
	CHECK(!strcmp(b, "16.0 EiB"), "max -> %s", b);
	cow_fmt_duration(b, sizeof(b), 999);
	CHECK(!strcmp(b, "999ns"), "999 -> %s", b);
	cow_fmt_duration(b, sizeof(b), 2100000);
	CHECK(!strcmp(b, "2.1ms"), "2.1ms -> %s", b);
	cow_fmt_duration(b, sizeof(b), 2000000000);
	CHECK(!strcmp(b, "2.00s"), "2s -> %s", b);
}

static void test_tab(void)
{
	struct cow_tab t;
	struct capture c;
	char (*row)[TAB_CELL];
	const char *out;
	const char *want =
		"  PID  COMM         COPIES\n"
		"    1  init              5\n"
		"12345  a long name  123456\n";

	tab_init(&t, 3);
	tab_left(&t, 1);
	row = tab_row(&t);
	strcpy(row[0], "PID");
	strcpy(row[1], "COMM");
	strcpy(row[2], "COPIES");
	row = tab_row(&t);
	strcpy(row[0], "1");
	strcpy(row[1], "init");
	strcpy(row[2], "5");
	row = tab_row(&t);
	strcpy(row[0], "12345");
	strcpy(row[1], "a long name");
	strcpy(row[2], "123456");
	tab_print(cap_open(&c), &t, "");
	out = cap_close(&c);
	CHECK(!strcmp(out, want), "got:\n%s", out);
	free(c.buf);
	tab_free(&t);
}

/* A process tree: leader 100 (two records: before and after exec), its
 * child 200, grandchild 300, a pid-reused 100 from long ago, an unrelated
 * 400, and a child 500 of the leader born before the attach. */
static const char *tree =
	"state gen tgid ppid start_ns exit_ns cow_copies cow_reuses comm\n"
	"exited 1 100 1 10 20 99 0 old-100\n"
	"exited 10 100 50 1000 0 3 0 cowtrace\n"
	"live 11 100 50 1000 0 16 4 python3\n"
	"exited 12 200 100 2000 3000 16384 0 python3\n"
	"exited 13 300 200 2500 2600 1 0 worker\n"
	"live 14 400 1 2100 0 7 7 unrelated\n"
	"live 15 500 100 1500 0 2 2 early\n"
	"live 16 600 300 2700 0 1 1 orphan-late\n";

static void test_members(void)
{
	struct cow_table t;
	bool member[16];
	pid_t leader = 100;

	CHECK(!cow_table_parse(tree, &t), "parse: %s", t.err);
	cow_select_members(&t, &leader, 1, 1200, 0, member);
	CHECK(!member[0], "the old process with a reused pid is not a member");
	CHECK(member[1] && member[2], "both records of the leader");
	CHECK(member[3] && member[4], "child and grandchild");
	CHECK(!member[5], "unrelated process");
	CHECK(member[6], "child 500 (since 0)");
	CHECK(!member[7], "a child forked after its parent 300 exited (pid reuse)");
	/* Attach: only descendants born after the group started. */
	cow_select_members(&t, &leader, 1, 1800, 1800, member);
	CHECK(member[1] && member[2] && member[3] && member[4], "attach members");
	CHECK(!member[6], "child born before the attach");
	cow_table_free(&t);
}

static void test_procs_build(void)
{
	struct cow_table t, base;
	struct cow_proc *p;
	bool member[16];
	pid_t leader = 100;
	size_t n;

	cow_table_parse(tree, &t);
	cow_table_parse("state gen tgid ppid start_ns cow_copies cow_reuses comm\n"
			"live 10 100 50 1000 3 0 cowtrace\n", &base);
	cow_select_members(&t, &leader, 1, 1200, 0, member);
	p = cow_procs_build(&t, member, &base, &n);
	CHECK(n == 4, "%zu processes, want 4", n);
	if (n == 4) {
		CHECK(p[0].tgid == 100 && p[0].nr_records == 2, "leader first with 2 records");
		CHECK(!strcmp(p[0].comm, "python3"), "leader named after exec: %s", p[0].comm);
		CHECK(p[0].c.val[COWSTAT_cow_copies] == 16, "baseline subtracted: %llu",
		      (unsigned long long)p[0].c.val[COWSTAT_cow_copies]);
		CHECK(p[0].live, "leader live");
		CHECK(p[1].tgid == 500 && p[2].tgid == 200 && p[3].tgid == 300, "start order");
		CHECK(p[2].c.val[COWSTAT_cow_copies] == 16384 && !p[2].live, "child");
		CHECK(p[2].has_exit_ns && p[2].exit_ns == 3000, "child exit_ns");
		CHECK(!p[2].has_fork_ns, "no fork_ns column");
	}
	free(p);
	cow_table_free(&t);
	cow_table_free(&base);
}

static struct cow_report sample_report(struct cow_table *groups_text_out)
{
	static pid_t leader = 100;
	static char *argv[] = { "python3", "cow64.py", NULL };
	struct cow_report r = { .mode = "run", .argv = argv, .exit_code = 0 };
	struct cow_table t;
	bool member[16];

	(void)groups_text_out;
	cow_table_parse(tree, &t);
	cow_select_members(&t, &leader, 1, 1200, 0, member);
	r.procs = cow_procs_build(&t, member, NULL, &r.nr_procs);
	cow_table_free(&t);
	cow_table_parse("state gen tgid ppid start_ns fork_ns cow_copies cow_copies_zero cow_reuses comm\n"
			"active 3 100 50 1000 2100000 16404 0 6 python3\n", &r.groups);
	r.total = r.groups.rows[0].c;
	r.total_fork_ns = 2100000;
	r.has_total_fork_ns = true;
	r.total_from_groups = true;
	r.leaders = &leader;
	r.nr_leaders = 1;
	r.start_ns = 1000;
	r.end_ns = 5000000000ULL;
	r.modver = "0.1";
	snprintf(r.kernel, sizeof(r.kernel), "test");
	return r;
}

static void test_report_text(void)
{
	struct cow_report r = sample_report(NULL);
	struct capture c;
	const char *out;

	cow_report_print_text(cap_open(&c), &r, false);
	out = cap_close(&c);
	CHECK(strstr(out, "cowtrace: python3 cow64.py: exited with status 0 after 5.00s\n"),
	      "header line:\n%s", out);
	CHECK(strstr(out, "4 processes in the track group"), "process count");
	/* Columns are right-aligned: the child's copies end where the header does. */
	const char *hdr = strstr(out, "  PID  COMM");
	const char *child = strstr(out, "\n  200  python3");
	CHECK(hdr && child, "write-fault table rows missing:\n%s", out);
	if (hdr && child) {
		const char *h_end = strstr(hdr, "COPIES") + strlen("COPIES");
		const char *v_end = strstr(child, "16384") + strlen("16384");

		CHECK(h_end - hdr == v_end - (child + 1), "COPIES column misaligned:\n%s", out);
	}
	CHECK(strstr(out, "\n  cow_copies" "               " "16404  64.1 MiB  COW copies installed"),
	      "total cow_copies line:\n%s", out);
	CHECK(strstr(out, "\n  fork_ns" "                  " "2.1ms"), "fork_ns line");
	CHECK(strstr(out, "(1 counters are zero; --all lists them)"), "zero note");
	CHECK(!strstr(out, "cow_copies_zero "), "zero counters hidden without --all");
	free(c.buf);
	cow_report_print_text(cap_open(&c), &r, true);
	out = cap_close(&c);
	CHECK(strstr(out, "\n  cow_copies_zero" "              " "0") &&
	      strstr(out, "\n  forks" "                        " "-"),
	      "--all lists zeros, '-' for counters the module did not print:\n%s", out);
	free(c.buf);
	cow_report_free(&r);
}

static const char *json_dir;

static void test_report_json(void)
{
	struct cow_report r = sample_report(NULL);
	struct capture c;
	const char *out;
	char path[4096];
	FILE *f;

	/* comm as awkward as a process can make it */
	snprintf(r.procs[3].comm, sizeof(r.procs[3].comm), "we\"ird\\ \x01\xff\t");
	cow_report_print_json(cap_open(&c), &r, false);
	out = cap_close(&c);
	CHECK(strstr(out, "\"cow_copies\": 16404"), "total cow_copies");
	CHECK(strstr(out, "\"forks\": null"), "missing counter as null");
	CHECK(strstr(out, "\"comm\": \"we\\\"ird\\\\ \\u0001\\u00ff\\t\""), "escaped comm");
	CHECK(strstr(out, "\"exit_status\": 0") && strstr(out, "\"signal\": null"), "exit");
	CHECK(out[strlen(out) - 1] == '\n' && out[0] == '{', "one document");
	if (json_dir) {
		snprintf(path, sizeof(path), "%s/report.json", json_dir);
		f = fopen(path, "w");
		if (f) {
			fputs(out, f);
			fclose(f);
		}
	}
	free(c.buf);
	cow_report_free(&r);
}

/* --maps: rows of the report's records only, sorted by bytes, top N + rest. */
static void test_maps(void)
{
	struct cow_proc procs[2] = {
		{ .tgid = 100, .comm = "parent", .nr_records = 1, .gens = { 7 } },
		{ .tgid = 101, .comm = "child", .nr_records = 2, .gens = { 8, 9 } },
	};
	struct cow_report r = { .procs = procs, .nr_procs = 2 };
	struct cow_map_raw raw[6];
	struct cow_maps m;
	struct capture c;
	const char *out;

	memset(raw, 0, sizeof(raw));
	/* child heap: 3 anon copies */
	raw[0] = (struct cow_map_raw){ .gen = 8, .start = 0x1000, .end = 0x4000, .kind = 1,
				       .page_size = 4096 };
	raw[0].val[COWSTAT_cow_copies] = raw[0].val[COWSTAT_cow_copies_anon] = 3;
	/* child private file, second record: 2 copies, 4 first-write copies */
	raw[1] = (struct cow_map_raw){ .gen = 9, .start = 0x9000, .end = 0xb000, .kind = 3,
				       .page_size = 4096, .name = "data.bin" };
	raw[1].val[COWSTAT_cow_copies] = raw[1].val[COWSTAT_cow_copies_file] = 2;
	raw[1].val[COWSTAT_cow_at_fault] = 4;
	/* parent hugetlb: 1 huge copy of 2 MiB */
	raw[2] = (struct cow_map_raw){ .gen = 7, .start = 0x200000, .end = 0x400000, .kind = 5,
				       .page_size = 2 << 20 };
	raw[2].val[COWSTAT_hugetlb_copies] = 1;
	/* a record of another tracer: not ours */
	raw[3] = (struct cow_map_raw){ .gen = 42, .start = 0x1000, .end = 0x2000, .kind = 0 };
	raw[3].val[COWSTAT_cow_copies] = 99;
	/* made at an event that counted nothing */
	raw[4] = (struct cow_map_raw){ .gen = 7, .start = 0x5000, .end = 0x6000, .kind = 0 };
	/* parent shared: 2 shared writes, no copy */
	raw[5] = (struct cow_map_raw){ .gen = 7, .start = 0x7000, .end = 0x8000, .kind = 4,
				       .page_size = 4096 };
	raw[5].val[COWSTAT_shared_writes] = 2;

	CHECK(!cow_maps_build(raw, 6, &r, 2, 5, &m), "build");
	CHECK(m.nr == 4 && m.top == 2, "rows %zu top %zu, want 4 and 2", m.nr, m.top);
	CHECK(m.nr == 4 && !strcmp(m.rows[0].kind, "hugetlb") && m.rows[0].pid == 100 &&
	      m.rows[0].bytes_copied == 2 << 20 && m.rows[0].copies == 1,
	      "first: the 2 MiB hugetlb copy");
	CHECK(m.nr == 4 && !strcmp(m.rows[1].kind, "file") && m.rows[1].pid == 101 &&
	      m.rows[1].copies == 6 && m.rows[1].bytes_copied == 6 * 4096 &&
	      !strcmp(m.rows[1].name, "data.bin"), "second: the file, 2 + 4 copies");
	CHECK(m.nr == 4 && !strcmp(m.rows[2].kind, "heap") && !strcmp(m.rows[3].kind, "shared"),
	      "then heap (copies), then shared (writes only)");
	CHECK(m.rest.copies == 3 && m.rest.c.val[COWSTAT_shared_writes] == 2 &&
	      m.rest.c.val[COWSTAT_cow_copies_anon] == 3, "rest sums heap and shared");
	cow_maps_print_text(cap_open(&c), &m);
	out = cap_close(&c);
	CHECK(strstr(out, "by bytes copied; 2 of 4 shown"), "title:\n%s", out);
	CHECK(strstr(out, " 100  parent    hugetlb  200000-400000  2.0M       1   2.0M"), "hugetlb row:\n%s", out);
	CHECK(strstr(out, "data.bin\n"), "file name:\n%s", out);
	CHECK(strstr(out, "rest  (2 more)"), "rest row:\n%s", out);
	CHECK(strstr(out, "note: 5 events not attributed to a mapping: map full"),
	      "lost note:\n%s", out);
	free(c.buf);
	{
		struct json j;

		json_init_compact(&j, cap_open(&c));
		json_object_begin(&j, NULL);
		cow_maps_json(&j, &m);
		json_object_end(&j);
		json_finish(&j);
		out = cap_close(&c);
		CHECK(strstr(out, "\"kind\":\"hugetlb\"") || strstr(out, "\"kind\": \"hugetlb\""),
		      "json kind:\n%s", out);
		CHECK(strstr(out, "\"bytes_copied\": 2097152") || strstr(out, "\"bytes_copied\":2097152"),
		      "json bytes:\n%s", out);
		CHECK(strstr(out, "\"mappings\": 2") || strstr(out, "\"mappings\":2"),
		      "json rest:\n%s", out);
		CHECK(strstr(out, "\"maps_unattributed\": 5") ||
		      strstr(out, "\"maps_unattributed\":5"), "json lost:\n%s", out);
		free(c.buf);
	}
	/* -x ,: a header of its own, two map rows, the rest with the lost */
	cow_maps_print_sv(cap_open(&c), &m, ",");
	out = cap_close(&c);
	CHECK(!strncmp(out, "type,pid,comm,kind,start,end,name,copies,bytes_copied,forks,",
		       strlen("type,pid,comm,kind,start,end,name,copies,bytes_copied,forks,")) &&
	      strstr(out, ",remote_events,unattributed\n"), "sv header:\n%s", out);
	CHECK(strstr(out, "\nmap,100,parent,hugetlb,0x200000,0x400000,,1,2097152,"),
	      "sv hugetlb row:\n%s", out);
	CHECK(strstr(out, "\nmap,101,child,file,0x9000,0xb000,data.bin,6,24576,"),
	      "sv file row:\n%s", out);
	CHECK(strstr(out, "\nmap_rest,,,,,,,3,12288,") && strstr(out, ",5\n") &&
	      out[strlen(out) - 1] == '\n', "sv rest row:\n%s", out);
	{
		int lines = 0, seps = -1, bad = 0;

		for (const char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
			int n = 0;

			for (const char *q = p; q < nl; q++)
				n += *q == ',';
			if (seps < 0)
				seps = n;
			bad += n != seps;
		}
		CHECK(lines == 4 && !bad, "sv: %d lines, %d with another column count:\n%s",
		      lines, bad, out);
	}
	free(c.buf);
	cow_maps_free(&m);
}


/* --events: kinds named from the counters, the options, the two forms. */
static struct ct_event mk_event(int n, const enum cowstat_counter *c)
{
	struct ct_event e = { .ts = 7001234567ULL, .addr = 0x7f0000001000ULL, .pid = 42,
			      .tid = 43, .map_kind = CT_MAP_HEAP, .comm = "wr\"iter" };

	for (int i = 0; i < n; i++)
		e.counters |= 1ULL << c[i];
	return e;
}

static void test_events(void)
{
	static const enum cowstat_counter copy_zero[] = {
		COWSTAT_wp_faults, COWSTAT_cow_copies, COWSTAT_cow_copies_zero,
	};
	static const enum cowstat_counter reuse_moved[] = {
		COWSTAT_wp_faults, COWSTAT_cow_reuses, COWSTAT_cow_reuses_moved,
	};
	static const enum cowstat_counter at_fault[] = { COWSTAT_cow_at_fault };
	static const enum cowstat_counter shared[] = { COWSTAT_wp_faults, COWSTAT_shared_writes };
	static const enum cowstat_counter race[] = { COWSTAT_wp_faults, COWSTAT_wp_races };
	struct ct_event e;
	struct capture c;
	unsigned int mask = 0, kib = 0;
	char detail[32], bad[64];
	const char *out;

	e = mk_event(3, copy_zero);
	CHECK(cow_event_classify(&e, detail, sizeof(detail)) == COW_EV_COPY &&
	      !strcmp(detail, "zero"), "copy zero: %s", detail);
	e = mk_event(3, reuse_moved);
	CHECK(cow_event_classify(&e, detail, sizeof(detail)) == COW_EV_REUSE &&
	      !strcmp(detail, "moved"), "reuse moved: %s", detail);
	e = mk_event(1, at_fault);
	CHECK(cow_event_classify(&e, detail, sizeof(detail)) == COW_EV_COPY &&
	      !strcmp(detail, "at-fault"), "at fault: %s", detail);
	e = mk_event(2, shared);
	CHECK(cow_event_classify(&e, detail, sizeof(detail)) == COW_EV_SHARED_WRITE &&
	      !strcmp(detail, "-"), "shared write: %s", detail);
	e = mk_event(2, race);
	CHECK(cow_event_classify(&e, detail, sizeof(detail)) == COW_EV_RACE, "race");
	e = mk_event(0, NULL);
	e.type = CT_EV_FORK;
	e.arg = 77;
	CHECK(cow_event_classify(&e, detail, sizeof(detail)) == COW_EV_FORK &&
	      !strcmp(detail, "child=77"), "fork: %s", detail);

	CHECK(!cow_event_kinds_parse("copy,reuse,fork", &mask, bad, sizeof(bad)) &&
	      mask == (1U << COW_EV_COPY | 1U << COW_EV_REUSE | 1U << COW_EV_FORK), "kinds %#x", mask);
	CHECK(cow_event_kinds_parse("copy,cpy", &mask, bad, sizeof(bad)) && !strcmp(bad, "cpy"),
	      "unknown kind named: %s", bad);
	CHECK(cow_event_kinds_parse("copy,", &mask, bad, sizeof(bad)) && !strcmp(bad, ""),
	      "empty kind");
	CHECK(!cow_events_kib_parse("4", &kib) && kib == 4, "4 KiB");
	CHECK(!cow_events_kib_parse("1048576", &kib) && kib == 1048576, "1 GiB");
	CHECK(cow_events_kib_parse("2", &kib) && cow_events_kib_parse("12", &kib) &&
	      cow_events_kib_parse("2097152", &kib) && cow_events_kib_parse("-4", &kib) &&
	      cow_events_kib_parse("4k", &kib) && cow_events_kib_parse("", &kib), "bad sizes");

	e = mk_event(3, copy_zero);
	cow_event_print(cap_open(&c), &e, 5000000000ULL, false);
	out = cap_close(&c);
	CHECK(!strcmp(out, "       2.001234      42      43 wr\"iter          copy         zero           0x7f0000001000 heap     -\n"),
	      "text line:\n%s", out);
	cow_event_print(cap_open(&c), &e, 5000000000ULL, true);
	out = cap_close(&c);
	CHECK(!strcmp(out, "{\"type\":\"event\",\"time_ns\":2001234567,\"pid\":42,\"tid\":43,\"comm\":\"wr\\\"iter\",\"event\":\"copy\",\"detail\":\"zero\",\"address\":139637976731648,\"mapping\":\"heap\",\"latency_ns\":null,\"counters\":[\"wp_faults\",\"cow_copies\",\"cow_copies_zero\"]}\n"),
	      "json line:\n%s", out);
	/* a timed fault: its latency in ns */
	e.latency_ns = 12345;
	cow_event_print(cap_open(&c), &e, 5000000000ULL, false);
	out = cap_close(&c);
	CHECK(!strcmp(out, "       2.001234      42      43 wr\"iter          copy         zero           0x7f0000001000 heap     12345ns\n"),
	      "text line, timed:\n%s", out);
	cow_event_print(cap_open(&c), &e, 5000000000ULL, true);
	out = cap_close(&c);
	CHECK(strstr(out, ",\"mapping\":\"heap\",\"latency_ns\":12345,\"counters\":"),
	      "json line, timed:\n%s", out);
	{
		uint64_t ns = 0;

		CHECK(!cow_duration_ns_parse("10us", &ns) && ns == 10000, "10us: %llu",
		      (unsigned long long)ns);
		CHECK(!cow_duration_ns_parse("2.5ms", &ns) && ns == 2500000, "2.5ms");
		CHECK(!cow_duration_ns_parse("1s", &ns) && ns == 1000000000ULL, "1s");
		CHECK(!cow_duration_ns_parse("500ns", &ns) && ns == 500, "500ns");
		CHECK(cow_duration_ns_parse("10", &ns) && cow_duration_ns_parse("10 us", &ns) &&
		      cow_duration_ns_parse("-1us", &ns) && cow_duration_ns_parse("0us", &ns) &&
		      cow_duration_ns_parse("us", &ns) && cow_duration_ns_parse("0.1ns", &ns) &&
		      cow_duration_ns_parse("10min", &ns) && cow_duration_ns_parse("", &ns),
		      "bad durations");
	}
	cow_events_print_lost(cap_open(&c), 12);
	out = cap_close(&c);
	CHECK(!strcmp(out, "events lost: 12 (ring buffer full; raise --events-buffer)\n"), "lost: %s", out);
}

/* ---- --timeline ---- */

static const enum cowstat_counter tl_copy[] = {
	COWSTAT_wp_faults, COWSTAT_cow_copies, COWSTAT_cow_copies_anon,
};
static const enum cowstat_counter tl_reuse[] = {
	COWSTAT_wp_faults, COWSTAT_cow_reuses, COWSTAT_cow_reuses_exclusive,
};

static void tl_event(struct cow_timeline *tl, uint32_t pid, uint64_t ts, bool copy,
		     unsigned int kind)
{
	struct ct_event e = copy ? mk_event(3, tl_copy) : mk_event(3, tl_reuse);

	e.pid = pid;
	e.tid = pid;
	e.ts = ts;
	e.map_kind = (__u8)kind;
	cow_timeline_add(tl, &e);
}

static void test_timeline_buckets(void)
{
	const uint64_t t0 = 1000000000ULL, ms = 1000000ULL;
	struct cow_timeline tl;
	struct tl_slot *s;

	cow_timeline_init(&tl, t0);
	tl_event(&tl, 7, t0 + 5 * ms, true, CT_MAP_HEAP);
	tl_event(&tl, 7, t0 + 2550 * ms, true, CT_MAP_HEAP);	/* bucket 255 of 10 ms */
	s = &tl.slots[0];
	CHECK(tl.nr_slots == 1 && tl.width_ns == 10 * ms && tl.merges == 0 &&
	      s->b[0][CT_MAP_HEAP] == 1 && s->b[255][CT_MAP_HEAP] == 1,
	      "no merge yet: width %llu merges %u", (unsigned long long)tl.width_ns, tl.merges);
	tl_event(&tl, 7, t0 + 2560 * ms, false, 0);		/* bucket 256: merge */
	CHECK(tl.width_ns == 20 * ms && tl.merges == 1 && s->b[0][CT_MAP_HEAP] == 1 &&
	      s->b[127][CT_MAP_HEAP] == 1 && s->b[128][TL_REUSE] == 1 &&
	      s->b[255][CT_MAP_HEAP] == 0, "one merge: width %llu b127 %u b128 %u",
	      (unsigned long long)tl.width_ns, s->b[127][CT_MAP_HEAP], s->b[128][TL_REUSE]);
	/* ten minutes: still TL_NB buckets, 2.56 s each */
	tl_event(&tl, 7, t0 + 600000 * ms, true, CT_MAP_STACK);
	CHECK(tl.width_ns == 2560 * ms && tl.merges == 8 && s->b[0][CT_MAP_HEAP] == 2 &&
	      s->b[1][TL_REUSE] == 1 && s->b[234][CT_MAP_STACK] == 1 &&
	      s->sum[CT_MAP_HEAP] == 2 && s->sum[TL_REUSE] == 1 && s->sum[CT_MAP_STACK] == 1 &&
	      tl.events == 4, "ten minutes: width %llu merges %u b0 %u b1 %u b234 %u",
	      (unsigned long long)tl.width_ns, tl.merges, s->b[0][CT_MAP_HEAP],
	      s->b[1][TL_REUSE], s->b[234][CT_MAP_STACK]);
	CHECK(cow_timeline_buckets(&tl, t0 + 600000 * ms) == 235 &&
	      cow_timeline_buckets(&tl, t0 + 700000 * ms) == TL_NB, "buckets in use");
	/* a shared write and a fork are not drawn */
	{
		static const enum cowstat_counter sw[] = { COWSTAT_wp_faults, COWSTAT_shared_writes };
		struct ct_event e = mk_event(2, sw);

		e.ts = t0;
		cow_timeline_add(&tl, &e);
		e = mk_event(0, NULL);
		e.type = CT_EV_FORK;
		cow_timeline_add(&tl, &e);
		CHECK(tl.events == 4 && tl.nr_slots == 1, "others counted: %llu",
		      (unsigned long long)tl.events);
	}
	/* past TL_MAX_SLOTS processes: summed into "other" */
	for (uint32_t pid = 1000; pid < 1000 + TL_MAX_SLOTS + 2; pid++)
		tl_event(&tl, pid, t0, true, CT_MAP_ANON);
	CHECK(tl.nr_slots == TL_MAX_SLOTS && tl.other.sum[CT_MAP_ANON] == 3 &&
	      tl.other.pid == 0, "slots %zu other %llu", tl.nr_slots,
	      (unsigned long long)tl.other.sum[CT_MAP_ANON]);
	cow_timeline_free(&tl);
}

static void test_xml_escape(void)
{
	struct capture c;
	const char *out;

	cow_xml_escape(cap_open(&c), "a<b>&\"c'\x01\x7f</svg>");
	out = cap_close(&c);
	CHECK(!strcmp(out, "a&lt;b&gt;&amp;&quot;c&apos;??&lt;/svg&gt;"), "escaped: %s", out);
}

/* Writes an SVG to DIR/name for run-tests.sh (xmllint, timeline-check.py). */
static void tl_write(const char *name, const struct cow_timeline *tl,
		     const struct cow_timeline_info *in, char **text)
{
	struct capture c;

	CHECK(!cow_timeline_svg(cap_open(&c), tl, in), "%s: write error", name);
	*text = strdup(cap_close(&c));
	if (json_dir) {
		char path[8192];
		FILE *f;

		snprintf(path, sizeof(path), "%.4000s/%s", json_dir, name);
		f = fopen(path, "w");
		CHECK(f && fputs(*text, f) >= 0 && !fclose(f), "cannot write %s in the test dir", name);
	}
}

static void test_timeline_svg(void)
{
	const uint64_t t0 = 1000000000ULL, ms = 1000000ULL;
	struct cow_proc procs[3] = {
		{ .tgid = 100, .ppid = 1, .start_ns = t0 - 500 * ms, .live = true, .comm = "parent" },
		{ .tgid = 101, .ppid = 100, .start_ns = t0 + 100 * ms, .exit_ns = t0 + 600 * ms,
		  .has_exit_ns = true, .comm = "chi<ld>&" },
		{ .tgid = 102, .ppid = 100, .start_ns = t0 + 200 * ms, .live = true,
		  .comm = "worker" },
	};
	struct cow_report r = { .mode = "run", .start_ns = t0, .end_ns = t0 + 1000 * ms,
				.procs = procs, .nr_procs = 3 };
	struct cow_timeline_info in = { .command = "./prog --x='<a&b>'", .r = &r };
	struct cow_timeline tl;
	char *svg = NULL;

	snprintf(r.kernel, sizeof(r.kernel), "6.1.0-test");
	r.total.val[COWSTAT_cow_copies] = 13;
	r.total.val[COWSTAT_cow_reuses] = 2;
	r.total.val[COWSTAT_forks] = 2;
	r.total.have[COWSTAT_cow_copies] = true;
	r.total.have[COWSTAT_cow_reuses] = true;
	cow_timeline_init(&tl, t0);
	for (int i = 0; i < 5; i++)
		tl_event(&tl, 101, t0 + 150 * ms, true, CT_MAP_HEAP);
	for (int i = 0; i < 3; i++)
		tl_event(&tl, 101, t0 + 155 * ms, true, CT_MAP_STACK);
	tl_event(&tl, 101, t0 + 300 * ms, false, 0);
	tl_event(&tl, 101, t0 + 301 * ms, false, 0);
	for (int i = 0; i < 4; i++)
		tl_event(&tl, 100, t0 + 50 * ms, true, CT_MAP_ANON);
	tl_event(&tl, 100, t0 + 900 * ms, true, CT_NR_MAP_KINDS);
	tl_write("timeline.svg", &tl, &in, &svg);
	CHECK(svg && strstr(svg, "<title>cowtrace timeline: ./prog --x=&apos;&lt;a&amp;b&gt;&apos;</title>"),
	      "title escaped");
	CHECK(svg && strstr(svg, ">101 chi&lt;ld&gt;&amp;</text>"), "comm escaped");
	CHECK(svg && strstr(svg, "<g class=\"lane\" data-pid=\"101\" data-comm=\"chi&lt;ld&gt;&amp;\" data-copies=\"8\" data-reuses=\"2\" data-start-ns=\"100000000\" data-end-ns=\"600000000\">"),
	      "lane 101");
	CHECK(svg && strstr(svg, "<g class=\"bucket\" data-t-ns=\"150000000\" data-copies=\"8\" data-reuses=\"0\">"),
	      "bucket at 150 ms");
	CHECK(svg && strstr(svg, "heap=5 stack=3"), "stacked by kind");
	CHECK(svg && !strstr(svg, "EVENTS LOST") && !strstr(svg, "<script") &&
	      !strstr(svg, "foreignObject") && !strstr(svg, "href"), "self-contained, nothing lost");
	free(svg);
	in.lost = 7;
	tl_write("timeline-lost.svg", &tl, &in, &svg);
	CHECK(svg && strstr(svg, "7 EVENTS LOST (ring buffer full)"), "lost said");
	free(svg);
	/* PREEMPT_RT: the fault counters unavailable, the legend from events */
	in.lost = 0;
	r.total.have[COWSTAT_cow_copies] = false;
	r.total.have[COWSTAT_cow_reuses] = false;
	r.total.val[COWSTAT_cow_reuses] = 0;
	tl_write("timeline-rt.svg", &tl, &in, &svg);
	CHECK(svg && strstr(svg, "COW copies not counted on this kernel (the bars are a lower bound), 2 reuses (from events)") &&
	      strstr(svg, "data-exact=\"0\"") &&
	      strstr(svg, "<g class=\"legend\" data-kind=\"reuse\" data-pages=\"2\">") &&
	      strstr(svg, "(counted from events)"), "not counted said");
	free(svg);
	cow_timeline_free(&tl);
}

static void test_timeline_lanes(void)
{
	const uint64_t t0 = 1000000000ULL, ms = 1000000ULL;
	struct cow_proc procs[30];
	struct cow_report r = { .mode = "run", .start_ns = t0, .end_ns = t0 + 20000 * ms,
				.procs = procs, .nr_procs = 30 };
	struct cow_timeline_info in = { .command = "lanes", .r = &r };
	struct cow_timeline tl;
	char *svg = NULL;

	memset(procs, 0, sizeof(procs));
	cow_timeline_init(&tl, t0);
	for (int i = 0; i < 30; i++) {
		procs[i].tgid = 1000 + i;
		procs[i].ppid = 999;
		procs[i].start_ns = t0 + (uint64_t)i * 100 * ms;
		procs[i].exit_ns = t0 + (uint64_t)i * 100 * ms + 50 * ms;
		procs[i].has_exit_ns = true;
		snprintf(procs[i].comm, sizeof(procs[i].comm), "p%d", i);
		for (int k = 0; k < i; k++)
			tl_event(&tl, 1000 + i, procs[i].start_ns + 10 * ms, true, CT_MAP_HEAP);
		r.total.val[COWSTAT_cow_copies] += i;
	}
	/* the last event at 2.91 s: one merge, 20 ms */
	tl_write("timeline-lanes.svg", &tl, &in, &svg);
	CHECK(tl.width_ns == 20 * ms, "width %llu", (unsigned long long)tl.width_ns);
	/* 23 busiest lanes (p7..p29), the other 7 (0+1+...+6 = 21) summed */
	CHECK(svg && strstr(svg, "<g class=\"lane\" data-pid=\"0\" data-comm=\"\" data-copies=\"21\" data-reuses=\"0\""),
	      "other lane");
	CHECK(svg && strstr(svg, ">other processes (7)</text>"), "other named");
	CHECK(svg && strstr(svg, "data-pid=\"1007\"") && !strstr(svg, "data-pid=\"1006\""),
	      "p7 drawn, p6 summed");
	free(svg);
	cow_timeline_free(&tl);
}

/*
 * kallsyms read once: a name there twice (a static function in two
 * files), a module's symbol ("\t[mod]"), text and data types, a name
 * absent, a prefix of a name, and addresses hidden as zeros.
 */
static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool done = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (fd >= 0)
		close(fd);
	return done;
}

static void test_ksyms(void)
{
	char path[] = "/tmp/cowtrace-ksyms.XXXXXX";
	unsigned long long a = 0;
	struct ksyms k;
	int fd = mkstemp(path);

	if (fd >= 0)
		close(fd);
	CHECK(fd >= 0 && write_file(path,
		"ffffffff81000000 T _text\n"
		"ffffffff81001000 t do_wp_page\n"
		"ffffffff81002000 d zero_pfn\n"
		"ffffffff81003000 t clear_page\n"
		"ffffffff81004000 t clear_page\n"
		"ffffffff82000000 D vmemmap_base\n"
		"ffffffffc0001000 t cowstat_hit\t[cowstat]\n"
		"ffffffffc0002000 d cowstat_data\t[cowstat]\n"), "fixture not written");
	CHECK(ksyms_load(&k, path) == 0, "load failed");
	CHECK(ksyms_find(&k, "do_wp_page", true, &a) && a == 0xffffffff81001000ULL,
	      "do_wp_page: %llx", a);
	CHECK(ksyms_find(&k, "clear_page", true, NULL), "a name there twice");
	CHECK(!ksyms_find(&k, "zero_pfn", true, NULL), "data symbol found as text");
	CHECK(ksyms_find(&k, "zero_pfn", false, &a) && a == 0xffffffff81002000ULL,
	      "zero_pfn: %llx", a);
	CHECK(ksyms_find(&k, "vmemmap_base", false, &a) && a == 0xffffffff82000000ULL,
	      "vmemmap_base: %llx", a);
	CHECK(ksyms_find(&k, "cowstat_hit", true, &a) && a == 0xffffffffc0001000ULL,
	      "a module's symbol: %llx", a);
	CHECK(!ksyms_find(&k, "cowstat_hit\t[cowstat]", false, NULL), "module name kept");
	CHECK(!ksyms_find(&k, "do_wp", false, NULL), "a prefix found");
	CHECK(!ksyms_find(&k, "wp_page_copy", false, NULL), "an absent name found");
	ksyms_free(&k);

	/* Without CAP_SYSLOG every address reads 0: found, at 0. */
	CHECK(write_file(path, "0000000000000000 T _text\n0000000000000000 D zero_pfn\n"),
	      "second fixture not written");
	a = 1;
	CHECK(ksyms_load(&k, path) == 0 && ksyms_find(&k, "zero_pfn", false, &a) && a == 0,
	      "hidden address: %llx", a);
	ksyms_free(&k);

	/* Not kallsyms: refused, nothing found; a missing file: -ENOENT. */
	CHECK(write_file(path, "hello world\n"), "third fixture not written");
	CHECK(ksyms_load(&k, path) == -EINVAL && !ksyms_find(&k, "hello", false, NULL),
	      "garbage accepted");
	unlink(path);
	CHECK(ksyms_load(&k, path) == -ENOENT, "a missing file not -ENOENT");
}

int main(int argc, char **argv)
{
	json_dir = argc > 1 ? argv[1] : NULL;
	run("counter_units", test_units);
	run("parse_u64", test_parse_u64);
	run("table_module_order", test_table_module_order);
	run("table_by_name", test_table_by_name);
	run("table_garbage", test_table_garbage);
	run("table_errors", test_table_errors);
	run("table_unavailable", test_table_unavailable);
	run("stats", test_stats);
	run("probes", test_probes);
	run("latency", test_latency);
	run("latency_groups", test_latency_groups);
	run("version", test_version);
	run("hist_render", test_hist_render);
	run("json_escape", test_json_escape);
	run("json_document", test_json_document);
	run("formatters", test_formatters);
	run("tab_align", test_tab);
	run("members", test_members);
	run("procs_build", test_procs_build);
	run("report_text", test_report_text);
	run("report_json", test_report_json);
	run("maps", test_maps);
	run("events", test_events);
	run("timeline_buckets", test_timeline_buckets);
	run("xml_escape", test_xml_escape);
	run("timeline_svg", test_timeline_svg);
	run("timeline_lanes", test_timeline_lanes);
	run("ksyms", test_ksyms);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
