// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cowstat_format: the text of the debugfs files
 * (src/core/format.c) against Documentation/interfaces.rst: parsing what
 * users write to track and reset, printing stats, procs, track, latency
 * and probes, including output too large for the first seq_file buffer.
 */

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "util.h"

/* ------------------------------------------------------------------ */
/* track writes                                                        */
/* ------------------------------------------------------------------ */

struct track_case {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	int ret;
	struct cowstat_track_cmd cmd;
};

static const struct track_case track_cases[] = {
	{ "123", 0, 0, { .pid = 123 } },
	{ "123\n", 0, 0, { .pid = 123 } },
	{ "2147483647", 0, 0, { .pid = 2147483647 } },
	{ "-123", 0, 0, { .end = true, .pid = 123 } },
	{ "-123\n", 0, 0, { .end = true, .pid = 123 } },
	{ "42 0x1000 0x2000", 0, 0,
	  { .pid = 42, .has_range = true, .start = 0x1000, .last = 0x2000 } },
	{ "42 0X7f0000000000 0x7F0000001000\n", 0, 0,
	  { .pid = 42, .has_range = true, .start = 0x7f0000000000UL,
	    .last = 0x7f0000001000UL } },
	{ "42 4096 8192\n", 0, 0,
	  { .pid = 42, .has_range = true, .start = 4096, .last = 8192 } },
	/* Decimal means decimal: no octal from a leading zero. */
	{ "42 010 020", 0, 0,
	  { .pid = 42, .has_range = true, .start = 10, .last = 20 } },
	{ "42 0 0xffffffffffffffff", 0, 0,
	  { .pid = 42, .has_range = true, .start = 0, .last = ULONG_MAX } },
	/* Only @len bytes count: the rest of the buffer is not read. */
	{ "12345", 2, 0, { .pid = 12 } },

	{ "", 0, -EINVAL },
	{ "\n", 0, -EINVAL },
	{ " ", 0, -EINVAL },
	{ "abc", 0, -EINVAL },
	{ "12a", 0, -EINVAL },
	{ "0", 0, -EINVAL },
	{ "-0", 0, -EINVAL },
	{ "-", 0, -EINVAL },
	{ "--5", 0, -EINVAL },
	{ "+5", 0, -EINVAL },
	{ "0x10", 0, -EINVAL },
	{ "2147483648", 0, -EINVAL },
	{ "99999999999999999999", 0, -EINVAL },
	{ "-5 0x1000 0x2000", 0, -EINVAL },
	{ "5 0x1000", 0, -EINVAL },
	{ "5 0x1000 0x2000 0x3000", 0, -EINVAL },
	{ "5 0x2000 0x1000", 0, -EINVAL },
	{ "5 0x1000 0x1000", 0, -EINVAL },
	{ "5 0x 0x10", 0, -EINVAL },
	{ "5 0xg 0x10", 0, -EINVAL },
	{ "5 -1 10", 0, -EINVAL },
	{ "5 +1 10", 0, -EINVAL },
	{ "5 1e3 2e3", 0, -EINVAL },
	{ "5 0x10000000000000000 0x1", 0, -EINVAL },
	{ "5 1 18446744073709551616", 0, -EINVAL },
	{ "1\0", 2, -EINVAL },
	{ "1\0 0x1000 0x2000", 16, -EINVAL },
};

static void track_case_desc(const struct track_case *c, char *desc)
{
	size_t len = c->len ? c->len : strlen(c->in);
	char *p = desc, *end = desc + KUNIT_PARAM_DESC_SIZE - 8;
	size_t i;

	/* Make the input readable: escape newlines and NULs. */
	*p++ = '\'';
	for (i = 0; i < len && p < end; i++) {
		if (c->in[i] == '\n')
			p += sprintf(p, "\\n");
		else if (!c->in[i])
			p += sprintf(p, "\\0");
		else
			*p++ = c->in[i];
	}
	snprintf(p, desc + KUNIT_PARAM_DESC_SIZE - p, "' -> %d", c->ret);
}

KUNIT_ARRAY_PARAM(track, track_cases, track_case_desc);

static void cowstat_parse_track_input(struct kunit *test)
{
	const struct track_case *c = test->param_value;
	size_t len = c->len ? c->len : strlen(c->in);
	struct cowstat_track_cmd cmd;
	int ret;

	memset(&cmd, 0xa5, sizeof(cmd));
	ret = cowstat_parse_track(c->in, len, &cmd);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (ret || c->ret)
		return;
	KUNIT_EXPECT_EQ(test, cmd.end, c->cmd.end);
	KUNIT_EXPECT_EQ(test, cmd.pid, c->cmd.pid);
	KUNIT_EXPECT_EQ(test, cmd.has_range, c->cmd.has_range);
	if (c->cmd.has_range) {
		KUNIT_EXPECT_EQ(test, cmd.start, c->cmd.start);
		KUNIT_EXPECT_EQ(test, cmd.last, c->cmd.last);
	}
}

/* Oversized writes, in bytes no parser should wade through. */
static void cowstat_parse_track_oversized(struct kunit *test)
{
	struct cowstat_track_cmd cmd;
	char *buf = kunit_kmalloc(test, 2 * PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);

	memset(buf, '7', 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, cowstat_parse_track(buf, 2 * PAGE_SIZE, &cmd),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, cowstat_parse_track(buf, 200, &cmd), -EINVAL);

	/* A valid command drowned in padding is not valid any more. */
	memset(buf, ' ', PAGE_SIZE);
	memcpy(buf, "42 0x1000 0x2000", 16);
	buf[PAGE_SIZE - 1] = '\n';
	KUNIT_EXPECT_EQ(test, cowstat_parse_track(buf, PAGE_SIZE, &cmd),
			-EINVAL);

	/* Binary garbage. */
	memset(buf, 0xff, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, cowstat_parse_track(buf, 64, &cmd), -EINVAL);
}

/* A write is not NUL terminated: parse exactly the bytes given. */
static void cowstat_parse_track_unterminated(struct kunit *test)
{
	struct cowstat_track_cmd cmd;
	char *buf = kunit_kmalloc(test, 2, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	buf[0] = '4';
	buf[1] = '2';
	KUNIT_EXPECT_EQ(test, cowstat_parse_track(buf, 2, &cmd), 0);
	KUNIT_EXPECT_EQ(test, cmd.pid, 42);
	KUNIT_EXPECT_FALSE(test, cmd.end);
	KUNIT_EXPECT_FALSE(test, cmd.has_range);
}

/* timing takes "0" or "1" and nothing that merely starts like them. */
static void cowstat_parse_switch_input(struct kunit *test)
{
	static const char *const bad[] = { "", "\n", "2", "10", "yes", "y",
					   "on", "1 ", " 1", "1\n\n", "0x1" };
	bool on = true;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, cowstat_parse_switch("0\n", 2, &on), 0);
	KUNIT_EXPECT_FALSE(test, on);
	KUNIT_EXPECT_EQ(test, cowstat_parse_switch("1", 1, &on), 0);
	KUNIT_EXPECT_TRUE(test, on);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = cowstat_parse_switch(bad[i], strlen(bad[i]), &on);

		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL, "input '%s'", bad[i]);
		KUNIT_EXPECT_TRUE(test, on);
	}
}

/* ------------------------------------------------------------------ */
/* reset writes                                                        */
/* ------------------------------------------------------------------ */

struct reset_case {
	const char *in;
	size_t len;
	int ret;
};

static const struct reset_case reset_cases[] = {
	{ "1", 0, 0 },
	{ "1\n", 0, 0 },
	{ "10", 1, 0 },
	{ "", 0, -EINVAL },
	{ "\n", 0, -EINVAL },
	{ "0", 0, -EINVAL },
	{ "2", 0, -EINVAL },
	{ "11", 0, -EINVAL },
	{ "01", 0, -EINVAL },
	{ "1 ", 0, -EINVAL },
	{ " 1", 0, -EINVAL },
	{ "1\n\n", 0, -EINVAL },
	{ "yes", 0, -EINVAL },
	{ "-1", 0, -EINVAL },
	{ "1\0", 2, -EINVAL },
};

static void reset_case_desc(const struct reset_case *c, char *desc)
{
	struct track_case t = { .in = c->in, .len = c->len, .ret = c->ret };

	track_case_desc(&t, desc);
}

KUNIT_ARRAY_PARAM(reset, reset_cases, reset_case_desc);

static void cowstat_parse_reset_input(struct kunit *test)
{
	const struct reset_case *c = test->param_value;
	size_t len = c->len ? c->len : strlen(c->in);

	KUNIT_EXPECT_EQ(test, cowstat_parse_reset(c->in, len), c->ret);
}

static void cowstat_parse_reset_oversized(struct kunit *test)
{
	char *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, '1', PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, cowstat_parse_reset(buf, PAGE_SIZE), -EINVAL);
	memset(buf, '\n', PAGE_SIZE);
	buf[0] = '1';
	KUNIT_EXPECT_EQ(test, cowstat_parse_reset(buf, PAGE_SIZE), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* version and stats                                                   */
/* ------------------------------------------------------------------ */

static void show_version(struct seq_file *m, struct cowstat *cs)
{
	cowstat_show_version(m);
}

static void cowstat_show_version_line(struct kunit *test)
{
	char *out = cowstat_kunit_show(test, show_version, NULL, 4096, NULL);

	KUNIT_EXPECT_STREQ(test, out, "cowstat " COWSTAT_VERSION " format 3\n");
}

/* The stats keys of the health counters, as interfaces.rst names them. */
static const char *const health_names[COWSTAT_NR_HEALTH] = {
	[COWSTAT_H_records_dropped] = "records_dropped",
	[COWSTAT_H_records_stale_replaced] = "records_stale_replaced",
	[COWSTAT_H_events_unrecorded] = "events_unrecorded",
	[COWSTAT_H_events_uncorrelated] = "events_uncorrelated",
	[COWSTAT_H_tct_full] = "tct_full",
	[COWSTAT_H_fork_deltas_clamped] = "fork_deltas_clamped",
};

static void cowstat_health_name_each(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_HEALTH; i++) {
		KUNIT_ASSERT_NOT_NULL_MSG(test, health_names[i],
					  "health %u has no expected name", i);
		KUNIT_EXPECT_STREQ(test, cowstat_health_name(i),
				   health_names[i]);
	}
	KUNIT_EXPECT_NULL(test, cowstat_health_name(COWSTAT_NR_HEALTH));
	KUNIT_EXPECT_NULL(test, cowstat_health_name(-1));
}

/* What stats must print for @cs, built from the lists, not from the core. */
static char *expected_stats(struct kunit *test, struct cowstat *cs)
{
	size_t size = 8192, len = 0;
	char *buf = kunit_kzalloc(test, size, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		len += scnprintf(buf + len, size - len, "%s %lld\n",
				 cowstat_kunit_name(i),
				 (long long)cowstat_total(cs, i));
	len += scnprintf(buf + len, size - len, "records_live %u\n",
			 cs->nr_live);
	len += scnprintf(buf + len, size - len, "records_exited %u\n",
			 cs->ring_len);
	len += scnprintf(buf + len, size - len, "records_created %llu\n",
			 cs->nr_created);
	len += scnprintf(buf + len, size - len, "records_recycled %llu\n",
			 cs->nr_recycled);
	len += scnprintf(buf + len, size - len, "records_pool %u\n",
			 cs->pool_size);
	for (i = 0; i < COWSTAT_NR_HEALTH; i++)
		len += scnprintf(buf + len, size - len, "%s %lld\n",
				 health_names[i],
				 (long long)atomic64_read(&cs->health[i]));
	len += scnprintf(buf + len, size - len, "groups %u\n",
			 cowstat_nr_groups(cs));
	len += scnprintf(buf + len, size - len, "fork_ns %lld\n",
			 (long long)atomic64_read(&cs->fork_ns));
	KUNIT_ASSERT_LT(test, len, size - 1);
	return buf;
}

static void cowstat_show_stats_text(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_event ev = cowstat_kunit_event(COWSTAT_cow_copies, 5,
						      0, 0);
	struct cowstat_rec *rec;
	char *out;

	cowstat_incs_add(&ev.incs, COWSTAT_cow_copies_zero, 5);
	cowstat_incs_add(&ev.incs, COWSTAT_remote_events, 1);
	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, NULL);
	rcu_read_lock();
	cowstat_account(cs, rec, &ev);
	cowstat_account(cs, NULL, &ev);
	cowstat_account_fork_ns(cs, rec, 1234);
	cowstat_rec_retire(cs, cowstat_kunit_key(2), 9);
	rcu_read_unlock();

	out = cowstat_kunit_show(test, cowstat_show_stats, cs, 4096, NULL);
	cowstat_kunit_expect_text(test, out, expected_stats(test, cs));
	/* Spot checks that do not depend on the expectation builder. */
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\ncow_copies 10\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\ncow_copies_zero 10\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\nrecords_live 1\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\nrecords_exited 1\n"));
	/* max_records 8 + max_exited 4 + 8 / 8 + 16 */
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\nrecords_pool 29\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\nevents_unrecorded 1\n"));
	KUNIT_EXPECT_EQ(test, strncmp(out, "forks 0\n", 8), 0);
}

/* A buffer far too small: the retry gives the same complete text. */
static void cowstat_show_stats_overflow_retry(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	unsigned int overflows;
	char *small, *big;

	cowstat_hist_add(&cs->hist[COWSTAT_HIST_FORK], 1);
	small = cowstat_kunit_show(test, cowstat_show_stats, cs, 16,
				   &overflows);
	big = cowstat_kunit_show(test, cowstat_show_stats, cs, 65536, NULL);
	KUNIT_EXPECT_GE(test, overflows, 1U);
	KUNIT_EXPECT_STREQ(test, small, big);
	/* records_live/exited/created/recycled/pool, health, groups, fork_ns */
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(big),
			COWSTAT_NR_COUNTERS + 5 + COWSTAT_NR_HEALTH + 2);
}

/* ------------------------------------------------------------------ */
/* procs                                                               */
/* ------------------------------------------------------------------ */

/* The header has every documented column, counters in list order, comm last. */
static void cowstat_show_procs_header(struct kunit *test)
{
	static const char *const fixed[] = {
		"state", "gen", "tgid", "pid", "ppid", "start_ns", "birth",
		"initiator_remote",
	};
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	char *out = cowstat_kunit_show(test, cowstat_show_procs, cs, 4096, NULL);
	const char *prev = out, *nl = strchr(out, '\n');
	unsigned int i;
	char word[40];

	KUNIT_ASSERT_NOT_NULL(test, nl);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out), 1U);
	/* The header read as a row of itself names each column. */
	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		KUNIT_EXPECT_TRUE_MSG(test,
				      cowstat_kunit_field(out, out, fixed[i],
							  word, sizeof(word)),
				      "column %s", fixed[i]);
	}
	/* Counters appear in counters.h order. */
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		const char *at;

		snprintf(word, sizeof(word), " %s ", cowstat_kunit_name(i));
		at = strnstr(prev, word, nl - prev);
		KUNIT_EXPECT_NOT_NULL_MSG(test, at, "counter column %s",
					  cowstat_kunit_name(i));
		if (at)
			prev = at + 1;
	}
	KUNIT_EXPECT_EQ(test, strncmp(nl - 5, " comm", 5), 0);
}

/* The column @name of @row (a row of @out) reads @want. */
static void expect_field(struct kunit *test, const char *out, const char *row,
			 const char *name, const char *want)
{
	char field[32] = "";

	KUNIT_EXPECT_TRUE_MSG(test, cowstat_kunit_field(out, row, name, field,
							sizeof(field)),
			      "column %s", name);
	KUNIT_EXPECT_STREQ_MSG(test, field, want, "column %s", name);
}

static void set_comm(struct cowstat_rec *rec, const char *comm)
{
	memset(rec->id.comm, 0, sizeof(rec->id.comm));
	memcpy(rec->id.comm, comm, min(strlen(comm), sizeof(rec->id.comm) - 1));
}

/* Rows read through the header, as readers must. */
static void cowstat_show_procs_rows(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *parent, *child, *gone;
	struct cowstat_event ev = cowstat_kunit_event(COWSTAT_cow_copies, 3,
						      0, 0);
	char row[1024];
	char *out;
	u64 v;

	cowstat_incs_add(&ev.incs, COWSTAT_cow_copies_anon, 3);
	parent = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	child = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, parent);
	gone = cowstat_kunit_rec(test, cs, 3, 102, COWSTAT_BIRTH_EXEC, NULL);
	set_comm(parent, "Web Content");
	set_comm(child, "tab\tbell\a");
	set_comm(gone, "");
	ev.remote = true;
	ev.initiator = 77;
	rcu_read_lock();
	cowstat_account(cs, child, &ev);
	cowstat_account_fork_ns(cs, parent, 900);
	cowstat_rec_retire(cs, cowstat_kunit_key(3), 31337);
	rcu_read_unlock();

	out = cowstat_kunit_show(test, cowstat_show_procs, cs, 4096, NULL);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out), 4U);

	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "tgid", "100",
						       row, sizeof(row)));
	expect_field(test, out, row, "state", "live");
	expect_field(test, out, row, "birth", "seen");
	expect_field(test, out, row, "comm", "Web Content");
	KUNIT_EXPECT_TRUE(test, cowstat_kunit_row_u64(out, parent->gen,
						      "fork_ns", &v));
	KUNIT_EXPECT_EQ(test, v, 900ULL);

	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "tgid", "101",
						       row, sizeof(row)));
	expect_field(test, out, row, "birth", "fork");
	expect_field(test, out, row, "initiator_remote", "77");
	/* A comm cannot break the row: control characters are replaced. */
	expect_field(test, out, row, "comm", "tab?bell?");
	KUNIT_EXPECT_TRUE(test, cowstat_kunit_row_u64(out, child->gen,
						      "cow_copies_anon", &v));
	KUNIT_EXPECT_EQ(test, v, 3ULL);
	KUNIT_EXPECT_TRUE(test, cowstat_kunit_row_u64(out, child->gen,
						      "cow_copies", &v));
	KUNIT_EXPECT_EQ(test, v, 3ULL);
	KUNIT_EXPECT_TRUE(test, cowstat_kunit_row_u64(out, child->gen,
						      "cow_reuses", &v));
	KUNIT_EXPECT_EQ(test, v, 0ULL);

	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "tgid", "102",
						       row, sizeof(row)));
	expect_field(test, out, row, "state", "exited");
	expect_field(test, out, row, "birth", "exec");
	expect_field(test, out, row, "comm", "-");
	KUNIT_EXPECT_TRUE(test, cowstat_kunit_row_u64(out, gone->gen,
						      "exit_ns", &v));
	KUNIT_EXPECT_EQ(test, v, 31337ULL);
}

/*
 * The row writer against snprintf(): every digit-count boundary, the
 * largest values a field can hold, a negative pid, a full comm; and the
 * longest row fits in COWSTAT_ROW_MAX.
 */
static void cowstat_show_procs_numbers(struct kunit *test)
{
	static const u64 vals[] = {
		0, 9, 10, 99, 100, 101, 999, 1000, 65535, 4294967295ULL,
		4294967296ULL, 9999999999999999999ULL, 10000000000000000000ULL,
		(u64)S64_MAX, (u64)S64_MAX + 1, U64_MAX,
	};
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *rec;
	char row[1024], want[32];
	unsigned int i;
	char *out;

	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_EXEC, NULL);
	set_comm(rec, "0123456789abcdef");
	rec->id.ppid = -2147483647 - 1;
	rec->id.start_ns = U64_MAX;
	rec->initiator_remote = -1;
	atomic64_set(&rec->fork_ns, S64_MAX);
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		atomic64_set(&rec->c.v[i], vals[i % ARRAY_SIZE(vals)]);
	/* The longest value in every counter: the longest row. */
	atomic64_set(&rec->c.v[COWSTAT_NR_COUNTERS - 1], -1);

	out = cowstat_kunit_show(test, cowstat_show_procs, cs, 4096, NULL);
	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "tgid", "100",
						       row, sizeof(row)));
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		u64 v = i == COWSTAT_NR_COUNTERS - 1 ?
			U64_MAX : vals[i % ARRAY_SIZE(vals)];

		snprintf(want, sizeof(want), "%llu", v);
		expect_field(test, out, row, cowstat_kunit_name(i), want);
	}
	expect_field(test, out, row, "ppid", "-2147483648");
	expect_field(test, out, row, "initiator_remote", "-1");
	expect_field(test, out, row, "start_ns", "18446744073709551615");
	expect_field(test, out, row, "fork_ns", "9223372036854775807");
	/* comm holds 15 characters; the 16th was never stored. */
	expect_field(test, out, row, "comm", "0123456789abcde");

	/* Every counter at its longest: still within COWSTAT_ROW_MAX. */
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		atomic64_set(&rec->c.v[i], -1);
	rec->id.tgid = -2147483647 - 1;
	rec->id.pid = -2147483647 - 1;
	rec->initiator_remote = -2147483647 - 1;
	rec->gen = U64_MAX;
	rec->exit_ns = U64_MAX;
	atomic64_set(&rec->fork_ns, -1);
	out = cowstat_kunit_show(test, cowstat_show_procs, cs, 4096, NULL);
	KUNIT_EXPECT_LE(test, strlen(strchr(out, '\n') + 1),
			(size_t)COWSTAT_ROW_MAX);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out), 2U);
}

/*
 * More rows than one seq_file buffer holds: the overflowing tries are
 * thrown away and the retry prints every record exactly once.
 */
static void cowstat_show_procs_overflow_retry(struct kunit *test)
{
	const unsigned int nr = 100;
	struct cowstat *cs = cowstat_kunit_new(test, nr, 4);
	unsigned int i, overflows, fields;
	char *out, *small, *line;
	u64 *gens;

	gens = kunit_kcalloc(test, nr, sizeof(*gens), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, gens);
	for (i = 0; i < nr; i++) {
		struct cowstat_rec *rec;
		struct cowstat_event ev = cowstat_kunit_event(COWSTAT_wp_faults,
							      i + 1, 0, 0);

		rec = cowstat_kunit_rec(test, cs, i, 1000 + i,
					COWSTAT_BIRTH_FORK, NULL);
		gens[i] = rec->gen;
		rcu_read_lock();
		cowstat_account(cs, rec, &ev);
		rcu_read_unlock();
	}

	out = cowstat_kunit_show(test, cowstat_show_procs, cs, PAGE_SIZE,
				 &overflows);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_EXPECT_GE(test, overflows, 1U);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out), nr + 1);
	KUNIT_EXPECT_EQ(test, out[strlen(out) - 1], '\n');

	/* Every row has as many fields as the header. */
	fields = 0;
	for (line = out; *line != '\n'; line++)
		fields += *line == ' ';
	for (line = strchr(out, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
		unsigned int n = 0;
		char *p;

		for (p = line; *p != '\n'; p++)
			n += *p == ' ';
		KUNIT_EXPECT_EQ(test, n, fields);
	}
	for (i = 0; i < nr; i++) {
		u64 v = 0;

		KUNIT_EXPECT_TRUE_MSG(test,
				      cowstat_kunit_row_u64(out, gens[i],
							    "wp_faults", &v),
				      "row of record %u", i);
		KUNIT_EXPECT_EQ(test, v, (u64)i + 1);
	}

	/* A tiny first buffer ends in the same text. */
	small = cowstat_kunit_show(test, cowstat_show_procs, cs, 64, NULL);
	KUNIT_EXPECT_STREQ(test, small, out);
}

/* ------------------------------------------------------------------ */
/* track                                                               */
/* ------------------------------------------------------------------ */

static void cowstat_show_track_rows(struct kunit *test)
{
	static const int file;
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_track_cmd cmd = { .pid = 100 };
	struct cowstat_ident a = cowstat_kunit_ident(100, 1, "leader a");
	struct cowstat_ident b = cowstat_kunit_ident(200, 1, "leader b");
	struct cowstat_event ev = cowstat_kunit_event(COWSTAT_cow_reuses, 2,
						      0, 0);
	char row[1024], field[32];
	s64 ga, gb;
	char *out;
	u64 v;

	cowstat_incs_add(&ev.incs, COWSTAT_cow_reuses_moved, 2);
	ga = cowstat_group_start(cs, &file, &cmd, &a, cowstat_kunit_key(1));
	cmd.pid = 200;
	gb = cowstat_group_start(cs, &file, &cmd, &b, cowstat_kunit_key(2));
	KUNIT_ASSERT_GT(test, ga, 0LL);
	KUNIT_ASSERT_GT(test, gb, 0LL);
	rcu_read_lock();
	cowstat_account(cs, cowstat_rec_find(cs, cowstat_kunit_key(1)), &ev);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file, 200), 1);

	out = cowstat_kunit_show(test, cowstat_show_track, cs, 4096, NULL);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out), 3U);
	/* The header is the procs header. */
	KUNIT_EXPECT_EQ(test, strncmp(out, "state gen tgid ", 15), 0);

	snprintf(field, sizeof(field), "%lld", ga);
	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "gen", field, row,
						       sizeof(row)));
	expect_field(test, out, row, "state", "active");
	expect_field(test, out, row, "tgid", "100");
	expect_field(test, out, row, "comm", "leader a");
	KUNIT_EXPECT_TRUE(test, cowstat_kunit_row_u64(out, ga,
						      "cow_reuses_moved", &v));
	KUNIT_EXPECT_EQ(test, v, 2ULL);

	snprintf(field, sizeof(field), "%lld", gb);
	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "gen", field, row,
						       sizeof(row)));
	expect_field(test, out, row, "state", "ended");

	/* After the file closes, nothing is left to read. */
	cowstat_group_release(cs, &file);
	out = cowstat_kunit_show(test, cowstat_show_track, cs, 4096, NULL);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out), 1U);
}

static void cowstat_show_track_overflow_retry(struct kunit *test)
{
	static const int file;
	struct cowstat *cs = cowstat_kunit_new(test, 64, 4);
	unsigned int i, overflows;
	char *out, *big;

	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_track_cmd cmd = { .pid = 100 + i };
		struct cowstat_ident id = cowstat_kunit_ident(100 + i, 1, "g");

		KUNIT_ASSERT_GT(test, cowstat_group_start(cs, &file, &cmd, &id,
							  cowstat_kunit_key(i)),
				0LL);
	}
	out = cowstat_kunit_show(test, cowstat_show_track, cs, 128,
				 &overflows);
	big = cowstat_kunit_show(test, cowstat_show_track, cs, 65536, NULL);
	KUNIT_EXPECT_GE(test, overflows, 1U);
	KUNIT_EXPECT_STREQ(test, out, big);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out),
			COWSTAT_MAX_GROUPS + 1U);
	cowstat_group_release(cs, &file);
}

/* ------------------------------------------------------------------ */
/* latency and probes                                                  */
/* ------------------------------------------------------------------ */

/*
 * A counter no probe can feed prints "-" in stats, procs and track, never
 * a 0 that reads as "it did not happen"; the others keep their numbers.
 */
static void cowstat_show_unavailable(struct kunit *test)
{
	static const int file;
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_track_cmd cmd = { .pid = 100 };
	struct cowstat_ident a = cowstat_kunit_ident(100, 1, "leader");
	struct cowstat_event ev = cowstat_kunit_event(COWSTAT_cow_reuses, 2,
						      0, 0);
	char row[1024], field[32];
	struct cowstat_rec *rec;
	unsigned int dashes = 0;
	const char *p;
	char *out;
	s64 gen;

	set_bit(COWSTAT_cow_copies, cs->unavailable);
	set_bit(COWSTAT_wp_faults, cs->unavailable);
	gen = cowstat_group_start(cs, &file, &cmd, &a, cowstat_kunit_key(1));
	KUNIT_ASSERT_GT(test, gen, 0LL);
	rcu_read_lock();
	rec = cowstat_rec_find(cs, cowstat_kunit_key(1));
	if (rec)
		cowstat_account(cs, rec, &ev);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, rec);

	out = cowstat_kunit_show(test, cowstat_show_stats, cs, 4096, NULL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\ncow_copies -\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\nwp_faults -\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "\ncow_reuses 2\n"));
	KUNIT_EXPECT_EQ(test, strncmp(out, "forks 0\n", 8), 0);
	for (p = out; (p = strstr(p, " -\n")); p++)
		dashes++;
	KUNIT_EXPECT_EQ(test, dashes, 2U);

	out = cowstat_kunit_show(test, cowstat_show_procs, cs, 4096, NULL);
	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "tgid", "100",
						       row, sizeof(row)));
	expect_field(test, out, row, "cow_copies", "-");
	expect_field(test, out, row, "wp_faults", "-");
	expect_field(test, out, row, "cow_reuses", "2");
	expect_field(test, out, row, "comm", "leader");

	out = cowstat_kunit_show(test, cowstat_show_track, cs, 4096, NULL);
	snprintf(field, sizeof(field), "%lld", gen);
	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(out, "gen", field, row,
						       sizeof(row)));
	expect_field(test, out, row, "cow_copies", "-");
	expect_field(test, out, row, "cow_reuses", "2");
	cowstat_group_release(cs, &file);
}

static void cowstat_show_latency_text(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	char *want, *out;
	size_t len = 0;
	unsigned int h;

	cowstat_hist_add(&cs->hist[COWSTAT_HIST_FORK], 1500);
	cowstat_hist_add(&cs->hist[COWSTAT_HIST_FORK], 2000);
	cowstat_hist_add(&cs->hist[COWSTAT_HIST_FORK], 0);
	cowstat_hist_add(&cs->hist[COWSTAT_HIST_WP_COPY], 5000);

	want = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	for (h = 0; h < COWSTAT_NR_HISTS; h++) {
		len += scnprintf(want + len, 4096 - len, "hist %s\n",
				 cowstat_hist_name(h));
		if (h == COWSTAT_HIST_FORK)
			len += scnprintf(want + len, 4096 - len,
					 "0 1 1\n1024 2048 2\n");
		if (h == COWSTAT_HIST_WP_COPY)
			len += scnprintf(want + len, 4096 - len,
					 "4096 8192 1\n");
	}
	out = cowstat_kunit_show(test, cowstat_show_latency, cs, 4096, NULL);
	cowstat_kunit_expect_text(test, out, want);
}

/*
 * Format 3: after the system-wide blocks, every group's, tagged with its
 * gen; an unavailable histogram says so in each scope.  Only the group's
 * members' events are in its blocks; a freed group has none.
 */
static void cowstat_show_latency_groups(struct kunit *test)
{
	static const int file_a, file_b;
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_ident a = cowstat_kunit_ident(100, 1, "a");
	struct cowstat_ident b = cowstat_kunit_ident(200, 1, "b");
	struct cowstat_track_cmd cmd_a = { .pid = 100 };
	struct cowstat_track_cmd cmd_b = { .pid = 200 };
	struct cowstat_rec *ra, *rb;
	s64 gen_a, gen_b;
	char *want, *out;
	size_t len = 0;
	unsigned int h, g;

	cs->hist_unavailable[COWSTAT_HIST_WP_REUSE] = "do_wp_page:wp_return=0";
	gen_a = cowstat_group_start(cs, &file_a, &cmd_a, &a,
				    cowstat_kunit_key(1));
	gen_b = cowstat_group_start(cs, &file_b, &cmd_b, &b,
				    cowstat_kunit_key(2));
	KUNIT_ASSERT_GT(test, gen_a, 0LL);
	KUNIT_ASSERT_GT(test, gen_b, 0LL);
	rcu_read_lock();
	ra = cowstat_rec_find(cs, cowstat_kunit_key(1));
	rb = cowstat_rec_find(cs, cowstat_kunit_key(2));
	cowstat_account_hist(cs, ra, 0x1000, COWSTAT_HIST_WP_COPY, 5000);
	cowstat_account_hist(cs, ra, 0x1000, COWSTAT_HIST_WP_COPY, 6000);
	cowstat_account_hist(cs, rb, 0x1000, COWSTAT_HIST_THP, 3);
	cowstat_account_fork_ns(cs, rb, 1500);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, ra);
	KUNIT_ASSERT_NOT_NULL(test, rb);

	want = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	for (g = 0; g < 3; g++) {
		for (h = 0; h < COWSTAT_NR_HISTS; h++) {
			len += scnprintf(want + len, 4096 - len, "hist %s",
					 cowstat_hist_name(h));
			if (g)
				len += scnprintf(want + len, 4096 - len,
						 " group=%lld",
						 g == 1 ? gen_a : gen_b);
			if (h == COWSTAT_HIST_WP_REUSE) {
				len += scnprintf(want + len, 4096 - len,
						 " unavailable(do_wp_page:wp_return=0)\n");
				continue;
			}
			len += scnprintf(want + len, 4096 - len, "\n");
			if (h == COWSTAT_HIST_FORK && g != 1)
				len += scnprintf(want + len, 4096 - len,
						 "1024 2048 1\n");
			if (h == COWSTAT_HIST_WP_COPY && g != 2)
				len += scnprintf(want + len, 4096 - len,
						 "4096 8192 2\n");
			if (h == COWSTAT_HIST_THP && g != 1)
				len += scnprintf(want + len, 4096 - len,
						 "2 4 1\n");
		}
	}
	/* A small first buffer: the show is re-run whole, as seq_file does. */
	out = cowstat_kunit_show(test, cowstat_show_latency, cs, 256, NULL);
	cowstat_kunit_expect_text(test, out, want);

	/* b's file closed: only the system's and a's blocks remain. */
	cowstat_group_release(cs, &file_b);
	out = cowstat_kunit_show(test, cowstat_show_latency, cs, 4096, NULL);
	KUNIT_EXPECT_EQ(test, cowstat_kunit_nr_lines(out),
			cowstat_kunit_nr_lines(want) -
			(COWSTAT_NR_HISTS + 2));
	KUNIT_EXPECT_NULL(test, strstr(out, " group=0"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(out, "hist thp_wp\n2 4 1\n"));
	cowstat_group_release(cs, &file_a);
}

static void show_probes(struct seq_file *m, struct cowstat *cs)
{
	cowstat_show_probe(m, "do_wp_page", "ftrace", 12, 0, 1);
	cowstat_show_probe(m, "copy_page_range", "failed(-2)", 0, 0, 0);
	cowstat_show_counter_cap(m, COWSTAT_cow_copies, COWSTAT_CAP_EXACT,
				 NULL);
	cowstat_show_counter_cap(m, COWSTAT_cow_reuses_exclusive,
				 COWSTAT_CAP_DERIVED, NULL);
	cowstat_show_counter_cap(m, COWSTAT_fork_pages_shared,
				 COWSTAT_CAP_UNAVAILABLE,
				 "copy_page_range:-ENOENT");
	cowstat_show_counter_cap(m, COWSTAT_thp_splits,
				 COWSTAT_CAP_UNAVAILABLE, NULL);
}

static void cowstat_show_probe_lines(struct kunit *test)
{
	char *out = cowstat_kunit_show(test, show_probes, NULL, 4096, NULL);

	static const char want[] =
		"do_wp_page ftrace 12 0 1\n"
		"copy_page_range failed(-2) 0 0 0\n"
		"counter cow_copies exact\n"
		"counter cow_reuses_exclusive derived\n"
		"counter fork_pages_shared unavailable(copy_page_range:-ENOENT)\n"
		"counter thp_splits unavailable(?)\n";

	cowstat_kunit_expect_text(test, out, want);
}

static struct kunit_case cowstat_format_cases[] = {
	KUNIT_CASE_PARAM(cowstat_parse_track_input, track_gen_params),
	KUNIT_CASE(cowstat_parse_track_oversized),
	KUNIT_CASE(cowstat_parse_track_unterminated),
	KUNIT_CASE(cowstat_parse_switch_input),
	KUNIT_CASE_PARAM(cowstat_parse_reset_input, reset_gen_params),
	KUNIT_CASE(cowstat_parse_reset_oversized),
	KUNIT_CASE(cowstat_show_version_line),
	KUNIT_CASE(cowstat_health_name_each),
	KUNIT_CASE(cowstat_show_stats_text),
	KUNIT_CASE(cowstat_show_stats_overflow_retry),
	KUNIT_CASE(cowstat_show_procs_header),
	KUNIT_CASE(cowstat_show_procs_rows),
	KUNIT_CASE(cowstat_show_procs_numbers),
	KUNIT_CASE(cowstat_show_procs_overflow_retry),
	KUNIT_CASE(cowstat_show_track_rows),
	KUNIT_CASE(cowstat_show_track_overflow_retry),
	KUNIT_CASE(cowstat_show_unavailable),
	KUNIT_CASE(cowstat_show_latency_text),
	KUNIT_CASE(cowstat_show_latency_groups),
	KUNIT_CASE(cowstat_show_probe_lines),
	{}
};

static struct kunit_suite cowstat_format_suite = {
	.name = "cowstat_format",
	.test_cases = cowstat_format_cases,
};

kunit_test_suite(cowstat_format_suite);
