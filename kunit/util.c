// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by cowstat's KUnit suites.
 */

#include <kunit/resource.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "util.h"

/* In list order, as enum cowstat_counter is. */
const struct cowstat_kunit_name cowstat_kunit_names[COWSTAT_NR_COUNTERS] = {
#define COWSTAT_COUNTER(id, family, text) \
	{ .s = #id, .side = #family, .meaning = text },
#include <cowstat/counter-list.h>
#undef COWSTAT_COUNTER
};

static int cowstat_kunit_instance_init(struct kunit_resource *res,
				       void *context)
{
	const struct cowstat_limits *lim = context;
	struct cowstat *cs;
	int err;

	cs = kzalloc(sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	err = cowstat_init(cs, lim);
	if (err) {
		kfree(cs);
		return err;
	}
	res->data = cs;
	return 0;
}

static void cowstat_kunit_instance_free(struct kunit_resource *res)
{
	cowstat_destroy(res->data);
	kfree(res->data);
}

struct cowstat *cowstat_kunit_new(struct kunit *test, unsigned int max_records,
				  unsigned int max_exited)
{
	struct cowstat_limits lim = {
		.max_records = max_records,
		.max_exited = max_exited,
	};
	struct cowstat *cs;

	cs = kunit_alloc_resource(test, cowstat_kunit_instance_init,
				  cowstat_kunit_instance_free, GFP_KERNEL,
				  &lim);
	KUNIT_ASSERT_NOT_NULL(test, cs);
	return cs;
}

struct cowstat_ident cowstat_kunit_ident(pid_t tgid, pid_t ppid,
					 const char *comm)
{
	struct cowstat_ident id = {
		.tgid = tgid,
		.pid = tgid,
		.ppid = ppid,
		.start_ns = 1000000ULL * tgid,
	};

	strscpy(id.comm, comm, sizeof(id.comm));
	return id;
}

struct cowstat_rec *cowstat_kunit_rec(struct kunit *test, struct cowstat *cs,
				      unsigned int key, pid_t tgid,
				      enum cowstat_birth birth,
				      const struct cowstat_rec *parent)
{
	struct cowstat_ident id = cowstat_kunit_ident(tgid, 1, "worker");
	struct cowstat_rec *rec;

	rcu_read_lock();
	rec = cowstat_rec_get(cs, cowstat_kunit_key(key), birth, &id, parent);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, rec);
	return rec;
}

void cowstat_kunit_expect_incs(struct kunit *test,
			       const struct cowstat_incs *incs,
			       const struct cowstat_kunit_inc *want,
			       const char *what)
{
	u64 expected[COWSTAT_NR_COUNTERS] = { };
	unsigned int i;

	for (i = 0; i < COWSTAT_KUNIT_MAX_INCS && want[i].val; i++)
		expected[want[i].id] += want[i].val;
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		KUNIT_EXPECT_EQ_MSG(test, cowstat_incs_get(incs, i),
				    expected[i], "%s: counter %s", what,
				    cowstat_kunit_name(i));
	/* No entry for a counter twice, no zero entries. */
	for (i = 0; i < incs->nr; i++)
		KUNIT_EXPECT_NE_MSG(test, incs->val[i], 0ULL,
				    "%s: zero entry for %s", what,
				    cowstat_kunit_name(incs->id[i]));
}

typedef u64 (*cowstat_kunit_get_t)(const void *src, enum cowstat_counter id);

static void cowstat_kunit_relations(struct kunit *test, const void *src,
				    cowstat_kunit_get_t get)
{
#define G(name) get(src, COWSTAT_##name)
	KUNIT_EXPECT_EQ_MSG(test, G(fork_pages_shared),
			    G(fork_pages_shared_anon) +
			    G(fork_pages_shared_file) +
			    G(fork_pages_shared_shmem),
			    "fork_pages_shared = _anon + _file + _shmem");
	KUNIT_EXPECT_EQ_MSG(test, G(cow_copies),
			    G(cow_copies_anon) + G(cow_copies_zero) +
			    G(cow_copies_file) + G(cow_copies_ksm) +
			    G(cow_copies_pfn) + G(cow_copies_unshare),
			    "cow_copies = _anon + _zero + _file + _ksm + _pfn + _unshare");
	KUNIT_EXPECT_EQ_MSG(test, G(cow_reuses),
			    G(cow_reuses_moved) + G(cow_reuses_exclusive),
			    "cow_reuses = _moved + _exclusive");
#undef G
}

static u64 cowstat_kunit_incs_get(const void *src, enum cowstat_counter id)
{
	return cowstat_incs_get(src, id);
}

static u64 cowstat_kunit_counters_get(const void *src,
				      enum cowstat_counter id)
{
	const struct cowstat_counters *c = src;

	return atomic64_read(&c->v[id]);
}

void cowstat_kunit_expect_relations(struct kunit *test,
				    const struct cowstat_incs *incs)
{
	cowstat_kunit_relations(test, incs, cowstat_kunit_incs_get);
}

void cowstat_kunit_expect_counter_relations(struct kunit *test,
					    const struct cowstat_counters *c)
{
	cowstat_kunit_relations(test, c, cowstat_kunit_counters_get);
}

struct cowstat_event cowstat_kunit_event(enum cowstat_counter id, u64 val,
					 unsigned long start,
					 unsigned long end)
{
	struct cowstat_event ev = {
		.has_addr = start < end,
		.start = start,
		.end = end,
	};

	cowstat_incs_add(&ev.incs, id, val);
	return ev;
}

char *cowstat_kunit_show(struct kunit *test, cowstat_kunit_show_t show,
			 struct cowstat *cs, size_t size,
			 unsigned int *overflows)
{
	struct seq_file m;
	unsigned int tries;

	for (tries = 0; tries < 16; tries++, size *= 2) {
		memset(&m, 0, sizeof(m));
		/* One byte more than the seq_file may use, for the NUL. */
		m.buf = kunit_kzalloc(test, size + 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, m.buf);
		m.size = size;
		show(&m, cs);
		if (!seq_has_overflowed(&m)) {
			KUNIT_ASSERT_LE(test, m.count, size);
			m.buf[m.count] = '\0';
			if (overflows)
				*overflows = tries;
			return m.buf;
		}
	}
	KUNIT_FAIL(test, "output still overflows %zu bytes", size);
	return NULL;
}

void cowstat_kunit_expect_text(struct kunit *test, const char *got,
			       const char *want)
{
	unsigned int line = 1;

	while (*got && *want) {
		size_t gl = strchrnul(got, '\n') - got;
		size_t wl = strchrnul(want, '\n') - want;

		if (gl != wl || memcmp(got, want, gl)) {
			KUNIT_FAIL(test, "line %u: got '%.*s', want '%.*s'",
				   line, (int)gl, got, (int)wl, want);
			return;
		}
		got += gl + (got[gl] == '\n');
		want += wl + (want[wl] == '\n');
		line++;
	}
	if (*got)
		KUNIT_FAIL(test, "line %u: extra output '%.*s'", line,
			   (int)(strchrnul(got, '\n') - got), got);
	if (*want)
		KUNIT_FAIL(test, "line %u: missing '%.*s'", line,
			   (int)(strchrnul(want, '\n') - want), want);
}

unsigned int cowstat_kunit_nr_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Start of field @idx of @line (space separated), or NULL. */
static const char *cowstat_kunit_nth(const char *line, unsigned int idx)
{
	while (idx--) {
		line = strpbrk(line, "\n ");
		if (!line || *line == '\n')
			return NULL;
		line++;
	}
	return line;
}

bool cowstat_kunit_field(const char *header, const char *row,
			 const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name);
	const char *h = header, *f;
	unsigned int idx = 0;
	bool last;
	size_t len;

	for (;;) {
		size_t hl = strcspn(h, "\n ");

		if (hl == nl && !memcmp(h, name, nl))
			break;
		if (h[hl] != ' ')
			return false;
		h += hl + 1;
		idx++;
	}
	last = h[nl] != ' ';
	f = cowstat_kunit_nth(row, idx);
	if (!f)
		return false;
	/* The last column (comm) runs to the end of the line. */
	len = last ? strcspn(f, "\n") : strcspn(f, "\n ");
	if (len >= size)
		return false;
	memcpy(buf, f, len);
	buf[len] = '\0';
	return true;
}

bool cowstat_kunit_find_row(const char *text, const char *name,
			    const char *value, char *buf, size_t size)
{
	const char *row = strchr(text, '\n');
	char field[64];

	while (row && row[1]) {
		size_t len;

		row++;
		len = strcspn(row, "\n");
		if (cowstat_kunit_field(text, row, name, field,
					sizeof(field)) &&
		    !strcmp(field, value)) {
			if (len >= size)
				return false;
			memcpy(buf, row, len);
			buf[len] = '\0';
			return true;
		}
		row = strchr(row, '\n');
	}
	return false;
}

bool cowstat_kunit_row_u64(const char *text, u64 gen, const char *name,
			   u64 *val)
{
	char want[24], row[1024], field[32];

	snprintf(want, sizeof(want), "%llu", gen);
	if (!cowstat_kunit_find_row(text, "gen", want, row, sizeof(row)) ||
	    !cowstat_kunit_field(text, row, name, field, sizeof(field)))
		return false;
	return !kstrtou64(field, 10, val);
}

MODULE_LICENSE("GPL");
