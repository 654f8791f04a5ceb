/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by cowstat's KUnit suites: test-managed instances, made-up
 * mm keys, seq_file capture, and expectations phrased in counter names.
 */
#ifndef _COWSTAT_KUNIT_UTIL_H
#define _COWSTAT_KUNIT_UTIL_H

#include <kunit/test.h>
#include <linux/seq_file.h>

#include <cowstat/core.h>

/*
 * The suites' own copy of the counter names, straight from the X-macro:
 * the core's cowstat_counter_name() is checked against it, never used to
 * build an expectation.
 */
/* One entry of an X-macro list: counter-list.h's, or COWSTAT_HEALTH. */
struct cowstat_kunit_name {
	const char *s;
	const char *side;
	const char *meaning;
};

extern const struct cowstat_kunit_name cowstat_kunit_names[COWSTAT_NR_COUNTERS];

static inline const char *cowstat_kunit_name(unsigned int id)
{
	return cowstat_kunit_names[id].s;
}

/* An instance that is destroyed (and freed) when the test case ends. */
struct cowstat *cowstat_kunit_new(struct kunit *test, unsigned int max_records,
				  unsigned int max_exited);

/*
 * A made-up mm: the core only compares keys, so any distinct non-NULL
 * value will do.  Spread them so they do not all hash alike.
 */
static inline const void *cowstat_kunit_key(unsigned int n)
{
	return (const void *)(0x7f0000001000UL + 0x11000UL * n);
}

struct cowstat_ident cowstat_kunit_ident(pid_t tgid, pid_t ppid,
					 const char *comm);

/* Create a live, bound record under rcu_read_lock(); fails the test if not. */
struct cowstat_rec *cowstat_kunit_rec(struct kunit *test, struct cowstat *cs,
				      unsigned int key, pid_t tgid,
				      enum cowstat_birth birth,
				      const struct cowstat_rec *parent);

/* One counter increment an event is expected to produce. */
struct cowstat_kunit_inc {
	enum cowstat_counter id;
	u64 val;
};

#define COWSTAT_KUNIT_MAX_INCS 6

/*
 * Expect @incs to hold exactly @want (no other counter), naming each
 * counter in the failure message.
 */
void cowstat_kunit_expect_incs(struct kunit *test,
			       const struct cowstat_incs *incs,
			       const struct cowstat_kunit_inc *want,
			       const char *what);

/* The parent = sum of children relations of counter-list.h, on an incs list. */
void cowstat_kunit_expect_relations(struct kunit *test,
				    const struct cowstat_incs *incs);

/* The same relations on a counter vector (totals, a record, a group). */
void cowstat_kunit_expect_counter_relations(struct kunit *test,
					    const struct cowstat_counters *c);

/* An event carrying one counter increment, optionally with addresses. */
struct cowstat_event cowstat_kunit_event(enum cowstat_counter id, u64 val,
					 unsigned long start,
					 unsigned long end);

typedef void (*cowstat_kunit_show_t)(struct seq_file *m, struct cowstat *cs);

/*
 * Run a show function the way seq_read() does: into a buffer of @size
 * bytes, and again into one twice as large while the output overflowed.
 * Returns the complete output, NUL terminated; *@overflows (if non-NULL)
 * says how many tries overflowed.
 */
char *cowstat_kunit_show(struct kunit *test, cowstat_kunit_show_t show,
			 struct cowstat *cs, size_t size,
			 unsigned int *overflows);

/* Expect @got to equal @want line by line, naming the first line that differs. */
void cowstat_kunit_expect_text(struct kunit *test, const char *got,
			       const char *want);

/* Number of '\n'-terminated lines in @s. */
unsigned int cowstat_kunit_nr_lines(const char *s);

/*
 * Field @name of a procs/track row, found through the header line as a
 * reader must (interfaces.rst): copied into @buf, NUL terminated.
 * Returns false when the header has no such column or the row is short.
 */
bool cowstat_kunit_field(const char *header, const char *row,
			 const char *name, char *buf, size_t size);

/* The line of @text whose field @name equals @value, copied into @buf. */
bool cowstat_kunit_find_row(const char *text, const char *name,
			    const char *value, char *buf, size_t size);

/* Field @name of the row whose "gen" is @gen, as a number. */
bool cowstat_kunit_row_u64(const char *text, u64 gen, const char *name,
			   u64 *val);

#endif /* _COWSTAT_KUNIT_UTIL_H */
