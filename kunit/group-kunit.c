// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cowstat_group: track groups (src/core/group.c): a leader and
 * every descendant born after the group started, optionally limited to an
 * address range; ended by "-PID", freed when the owning file closes.
 */

#include <kunit/test.h>
#include <linux/kernel.h>

#include "util.h"

/* Two open files of the track file: only their addresses matter. */
static const int file_a, file_b;

static s64 start(struct cowstat *cs, const void *owner, pid_t pid,
		 unsigned int key, unsigned long lo, unsigned long hi)
{
	struct cowstat_track_cmd cmd = {
		.pid = pid,
		.has_range = lo < hi,
		.start = lo,
		.last = hi,
	};
	struct cowstat_ident leader = cowstat_kunit_ident(pid, 1, "leader");

	return cowstat_group_start(cs, owner, &cmd, &leader,
				   cowstat_kunit_key(key));
}

static struct cowstat_group *group_of(struct kunit *test,
				      struct cowstat *cs, s64 gen)
{
	unsigned int i;

	KUNIT_ASSERT_GT(test, gen, 0LL);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++)
		if (cs->groups[i].state != COWSTAT_GROUP_FREE &&
		    cs->groups[i].gen == (u64)gen)
			return &cs->groups[i];
	KUNIT_FAIL(test, "no group has gen %lld", gen);
	return NULL;
}

static u64 gcount(const struct cowstat_group *g, enum cowstat_counter id)
{
	return atomic64_read(&g->c.v[id]);
}

static void charge(struct cowstat *cs, struct cowstat_rec *rec,
		   enum cowstat_counter id, unsigned long lo, unsigned long hi)
{
	struct cowstat_event ev = cowstat_kunit_event(id, 1, lo, hi);

	rcu_read_lock();
	cowstat_account(cs, rec, &ev);
	rcu_read_unlock();
}

static struct cowstat_rec *find(struct cowstat *cs, unsigned int key)
{
	struct cowstat_rec *rec;

	rcu_read_lock();
	rec = cowstat_rec_find(cs, cowstat_kunit_key(key));
	rcu_read_unlock();
	return rec;
}

static void cowstat_group_start_leader_joins(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *leader;
	struct cowstat_group *g;
	s64 gen;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	gen = start(cs, &file_a, 100, 1, 0, 0);
	g = group_of(test, cs, gen);
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_EXPECT_EQ(test, g->state, (int)COWSTAT_GROUP_ACTIVE);
	KUNIT_EXPECT_PTR_EQ(test, g->owner, (const void *)&file_a);
	KUNIT_EXPECT_EQ(test, g->leader.tgid, 100);
	KUNIT_EXPECT_FALSE(test, g->has_range);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 1U);
	KUNIT_EXPECT_EQ(test, hweight_long(leader->groups), 1);
	/* Group and record gens come from one source: never equal. */
	KUNIT_EXPECT_NE(test, (u64)gen, leader->gen);

	charge(cs, leader, COWSTAT_cow_copies, 0, 0);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 1ULL);
}

/* A leader that predates the module gets a record bound to it. */
static void cowstat_group_start_unseen_leader(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *rec;
	s64 gen;

	gen = start(cs, &file_a, 555, 7, 0, 0);
	KUNIT_EXPECT_GT(test, gen, 0LL);
	rec = find(cs, 7);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_EXPECT_EQ(test, rec->birth, (int)COWSTAT_BIRTH_SEEN);
	KUNIT_EXPECT_TRUE(test, rec->bound);
	KUNIT_EXPECT_EQ(test, rec->id.tgid, 555);
	KUNIT_EXPECT_NE(test, rec->groups, 0UL);
}

static void cowstat_group_start_end_command(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_track_cmd cmd = { .end = true, .pid = 100 };
	struct cowstat_ident leader = cowstat_kunit_ident(100, 1, "x");

	KUNIT_EXPECT_EQ(test, cowstat_group_start(cs, &file_a, &cmd, &leader,
						  cowstat_kunit_key(1)),
			(s64)-EINVAL);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 0U);
}

/* A leader without an mm (zombie, kthread): a group with no member. */
static void cowstat_group_start_without_mm(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_track_cmd cmd = { .pid = 2 };
	struct cowstat_ident kthread = cowstat_kunit_ident(2, 0, "kthreadd");
	struct cowstat_rec *other;
	struct cowstat_group *g;
	s64 gen;

	other = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	gen = cowstat_group_start(cs, &file_a, &cmd, &kthread, NULL);
	g = group_of(test, cs, gen);
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_EXPECT_EQ(test, g->state, (int)COWSTAT_GROUP_ACTIVE);
	KUNIT_EXPECT_EQ(test, g->leader.tgid, 2);
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 1U);
	KUNIT_EXPECT_EQ(test, other->groups, 0UL);

	charge(cs, other, COWSTAT_cow_copies, 0, 0);
	charge(cs, NULL, COWSTAT_cow_copies, 0, 0);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 0ULL);
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 2), 1);
}

/* interfaces.rst: -ENOSPC when no group slot is left. */
static void cowstat_group_start_no_slot(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 64, 4);
	unsigned int i;

	for (i = 0; i < COWSTAT_MAX_GROUPS; i++)
		KUNIT_EXPECT_GT(test, start(cs, &file_a, 100 + i, i, 0, 0),
				0LL);
	KUNIT_EXPECT_EQ(test, start(cs, &file_b, 999, 50, 0, 0),
			(s64)-ENOSPC);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs),
			(unsigned int)COWSTAT_MAX_GROUPS);

	/* An ended group still holds its slot until its file closes. */
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 1);
	KUNIT_EXPECT_EQ(test, start(cs, &file_b, 999, 50, 0, 0),
			(s64)-ENOSPC);
	cowstat_group_release(cs, &file_a);
	KUNIT_EXPECT_GT(test, start(cs, &file_b, 999, 50, 0, 0), 0LL);
}

static void cowstat_group_start_table_full(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 1, 4);

	cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	KUNIT_EXPECT_EQ(test, start(cs, &file_a, 200, 2, 0, 0),
			(s64)-ENOMEM);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 0U);
}

/*
 * The gen source past 2^63, landing on each side of it: a group's gen is
 * still a positive id, never mistaken for an error code, never 0.
 */
static void cowstat_group_start_gen_wrap(struct kunit *test)
{
	unsigned int off;

	for (off = 0; off < 4; off++) {
		struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
		s64 a, b;

		/* Each start takes a gen for the record, then the group. */
		atomic64_set(&cs->next_gen, S64_MAX - off);
		a = start(cs, &file_a, 100, 1, 0, 0);
		b = start(cs, &file_a, 101, 2, 0, 0);
		KUNIT_EXPECT_GT_MSG(test, a, 0LL, "offset %u", off);
		KUNIT_EXPECT_GT_MSG(test, b, 0LL, "offset %u", off);
		KUNIT_EXPECT_NE_MSG(test, a, b, "offset %u", off);
	}
}

/* Descendants born after the start join; processes born before do not. */
static void cowstat_group_children_inherit(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *leader, *older, *child, *grandchild;
	struct cowstat_group *g;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	older = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, leader);
	g = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, g);
	child = cowstat_kunit_rec(test, cs, 3, 102, COWSTAT_BIRTH_FORK, leader);
	grandchild = cowstat_kunit_rec(test, cs, 4, 103, COWSTAT_BIRTH_FORK,
				       child);

	charge(cs, leader, COWSTAT_cow_copies, 0, 0);
	charge(cs, child, COWSTAT_cow_copies, 0, 0);
	charge(cs, grandchild, COWSTAT_cow_copies, 0, 0);
	charge(cs, older, COWSTAT_cow_copies, 0, 0);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 3ULL);
	KUNIT_EXPECT_EQ(test, older->groups, 0UL);
	KUNIT_EXPECT_EQ(test, grandchild->groups, leader->groups);
}

/* The leader exits before its children: the group goes on counting them. */
static void cowstat_group_leader_exits_first(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *leader, *child;
	struct cowstat_group *g;
	char *track, row[1024], field[16];
	s64 gen;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	gen = start(cs, &file_a, 100, 1, 0, 0);
	g = group_of(test, cs, gen);
	KUNIT_ASSERT_NOT_NULL(test, g);
	child = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, leader);
	charge(cs, leader, COWSTAT_cow_copies, 0, 0);

	rcu_read_lock();
	KUNIT_ASSERT_TRUE(test, cowstat_rec_retire(cs, cowstat_kunit_key(1),
						   10));
	rcu_read_unlock();
	charge(cs, child, COWSTAT_cow_copies, 0, 0);
	charge(cs, child, COWSTAT_cow_reuses, 0, 0);

	/* A grandchild forked after the leader died still joins. */
	charge(cs, cowstat_kunit_rec(test, cs, 3, 102, COWSTAT_BIRTH_FORK,
				     child), COWSTAT_cow_copies, 0, 0);

	KUNIT_EXPECT_EQ(test, g->state, (int)COWSTAT_GROUP_ACTIVE);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 3ULL);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_reuses), 1ULL);

	/* Its row still names the leader, and "-PID" still ends it. */
	track = cowstat_kunit_show(test, cowstat_show_track, cs, 4096, NULL);
	KUNIT_ASSERT_TRUE(test, cowstat_kunit_find_row(track, "tgid", "100",
						       row, sizeof(row)));
	KUNIT_ASSERT_TRUE(test, cowstat_kunit_field(track, row, "state",
						    field, sizeof(field)));
	KUNIT_EXPECT_STREQ(test, field, "active");
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 1);
}

struct range_case {
	const char *desc;
	unsigned long lo, hi;	/* event addresses; lo == hi: none */
	bool counts;
};

static const struct range_case range_cases[] = {
	{ "page at the start", 0x10000, 0x11000, true },
	{ "page at the end", 0x1f000, 0x20000, true },
	{ "whole range", 0x10000, 0x20000, true },
	{ "page below", 0xf000, 0x10000, false },
	{ "page at END (exclusive)", 0x20000, 0x21000, false },
	{ "VMA straddling START", 0x8000, 0x18000, false },
	{ "VMA straddling END", 0x18000, 0x28000, false },
	{ "VMA around the range", 0x0, 0x100000, false },
	{ "event without addresses", 0, 0, true },
};

static void range_case_desc(const struct range_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(range, range_cases, range_case_desc);

/* "PID START END": only events inside [START, END) count in the group. */
static void cowstat_account_group_range(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *rec;
	struct cowstat_group *ranged, *whole;

	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	ranged = group_of(test, cs, start(cs, &file_a, 100, 1, 0x10000, 0x20000));
	whole = group_of(test, cs, start(cs, &file_b, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, ranged);
	KUNIT_ASSERT_NOT_NULL(test, whole);
	KUNIT_EXPECT_TRUE(test, ranged->has_range);
	KUNIT_EXPECT_EQ(test, ranged->start, 0x10000UL);
	KUNIT_EXPECT_EQ(test, ranged->end, 0x20000UL);

	charge(cs, rec, COWSTAT_cow_copies, c->lo, c->hi);
	KUNIT_EXPECT_EQ(test, gcount(ranged, COWSTAT_cow_copies),
			c->counts ? 1ULL : 0ULL);
	/* The record, the totals and an unranged group count everything. */
	KUNIT_EXPECT_EQ(test, gcount(whole, COWSTAT_cow_copies), 1ULL);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&rec->c.v[COWSTAT_cow_copies]),
			1ULL);
	KUNIT_EXPECT_EQ(test,
			(u64)cowstat_total(cs, COWSTAT_cow_copies),
			1ULL);
}

/*
 * cowstat_account_ones(), the write-fault fast path, charges what
 * cowstat_account() charges for the same one-address local event: the
 * totals, the record and each active group whose range holds the address.
 */
static void cowstat_account_ones_matches(struct kunit *test)
{
	static const unsigned long addrs[] = {
		0x0fff0, 0x10000, 0x1ffff, 0x20000, 0x500000,
	};
	struct cowstat *ones_cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat *incs_cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_ones o = { };
	struct cowstat *both[] = { ones_cs, incs_cs };
	struct cowstat_rec *rec[2];
	s64 ranged[2];
	unsigned int i, k, c;

	cowstat_ones_add(&o, COWSTAT_wp_faults);
	cowstat_ones_add(&o, COWSTAT_cow_copies);
	cowstat_ones_add(&o, COWSTAT_cow_copies_anon);
	for (i = 0; i < 2; i++) {
		rec[i] = cowstat_kunit_rec(test, both[i], 1, 100,
					   COWSTAT_BIRTH_SEEN, NULL);
		ranged[i] = start(both[i], &file_a, 100, 1, 0x10000, 0x20000);
		KUNIT_ASSERT_GT(test, ranged[i], 0LL);
		KUNIT_ASSERT_GT(test, start(both[i], &file_b, 100, 1, 0, 0),
				0LL);
	}
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct cowstat_event ev = {
			.has_addr = true,
			.start = addrs[i],
			.end = addrs[i] + 1,
		};

		for (k = 0; k < o.n; k++)
			cowstat_incs_add(&ev.incs, cowstat_ones_id(&o, k), 1);
		rcu_read_lock();
		cowstat_account_ones(ones_cs, rec[0], addrs[i], &o);
		cowstat_account(incs_cs, rec[1], &ev);
		cowstat_account_ones(ones_cs, NULL, addrs[i], &o);
		cowstat_account(incs_cs, NULL, &ev);
		rcu_read_unlock();
	}
	for (c = 0; c < COWSTAT_NR_COUNTERS; c++) {
		KUNIT_EXPECT_EQ(test, cowstat_total(ones_cs, c),
				cowstat_total(incs_cs, c));
		KUNIT_EXPECT_EQ(test, atomic64_read(&rec[0]->c.v[c]),
				atomic64_read(&rec[1]->c.v[c]));
		for (i = 0; i < COWSTAT_MAX_GROUPS; i++)
			KUNIT_EXPECT_EQ(test,
					atomic64_read(&ones_cs->groups[i].c.v[c]),
					atomic64_read(&incs_cs->groups[i].c.v[c]));
	}
	/* Two of the five addresses are in the ranged group's range. */
	KUNIT_EXPECT_EQ(test, gcount(group_of(test, ones_cs, ranged[0]),
				     COWSTAT_cow_copies), 2ULL);
	KUNIT_EXPECT_EQ(test,
			atomic64_read(&ones_cs->health[COWSTAT_H_events_unrecorded]),
			atomic64_read(&incs_cs->health[COWSTAT_H_events_unrecorded]));
}

/* "-PID": the group stops counting, keeps its numbers and its slot. */
static void cowstat_group_end_freezes(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *leader, *child;
	struct cowstat_group *g;
	u64 ns = 0;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	g = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, g);
	child = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, leader);
	charge(cs, child, COWSTAT_cow_copies, 0, 0);

	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 1);
	KUNIT_EXPECT_EQ(test, g->state, (int)COWSTAT_GROUP_ENDED);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 1U);
	KUNIT_EXPECT_EQ(test, leader->groups, 0UL);
	KUNIT_EXPECT_EQ(test, child->groups, 0UL);

	charge(cs, child, COWSTAT_cow_copies, 0, 0);
	charge(cs, cowstat_kunit_rec(test, cs, 3, 102, COWSTAT_BIRTH_FORK,
				     child), COWSTAT_cow_copies, 0, 0);
	rcu_read_lock();
	cowstat_account_fork_ns(cs, leader, 1000);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 1ULL);
	ns = atomic64_read(&g->fork_ns);
	KUNIT_EXPECT_EQ(test, ns, 0ULL);
	/* Ending twice ends nothing more. */
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 0);
}

/* Only the owner's groups, and only those of that leader, end. */
static void cowstat_group_end_owner_and_leader(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_group *a1, *a1_again, *a2, *b1;

	a1 = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	a1_again = group_of(test, cs, start(cs, &file_a, 100, 1, 0x1000, 0x2000));
	a2 = group_of(test, cs, start(cs, &file_a, 200, 2, 0, 0));
	b1 = group_of(test, cs, start(cs, &file_b, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, a1);
	KUNIT_ASSERT_NOT_NULL(test, a1_again);
	KUNIT_ASSERT_NOT_NULL(test, a2);
	KUNIT_ASSERT_NOT_NULL(test, b1);

	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_b, 200), 0);
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 300), 0);
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 2);
	KUNIT_EXPECT_EQ(test, a1->state, (int)COWSTAT_GROUP_ENDED);
	KUNIT_EXPECT_EQ(test, a1_again->state, (int)COWSTAT_GROUP_ENDED);
	KUNIT_EXPECT_EQ(test, a2->state, (int)COWSTAT_GROUP_ACTIVE);
	KUNIT_EXPECT_EQ(test, b1->state, (int)COWSTAT_GROUP_ACTIVE);

	/* b1 shares the leader's record and still counts. */
	charge(cs, find(cs, 1), COWSTAT_cow_reuses, 0, 0);
	KUNIT_EXPECT_EQ(test, gcount(b1, COWSTAT_cow_reuses), 1ULL);
	KUNIT_EXPECT_EQ(test, gcount(a1, COWSTAT_cow_reuses), 0ULL);
}

/*
 * Closing the file frees its groups; a new group in a freed slot starts
 * from nothing, with none of the old group's members.
 */
static void cowstat_group_release_frees_slots(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *old_member;
	struct cowstat_group *g, *kept;
	unsigned int slot;
	s64 gen;

	old_member = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN,
				       NULL);
	g = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	kept = group_of(test, cs, start(cs, &file_b, 200, 2, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_ASSERT_NOT_NULL(test, kept);
	slot = g - cs->groups;
	charge(cs, old_member, COWSTAT_cow_copies, 0, 0);

	cowstat_group_release(cs, &file_a);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 1U);
	KUNIT_EXPECT_EQ(test, g->state, (int)COWSTAT_GROUP_FREE);
	KUNIT_EXPECT_EQ(test, old_member->groups, 0UL);
	KUNIT_EXPECT_EQ(test, kept->state, (int)COWSTAT_GROUP_ACTIVE);

	gen = start(cs, &file_b, 300, 3, 0, 0);
	g = group_of(test, cs, gen);
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_EXPECT_EQ(test, (unsigned int)(g - cs->groups), slot);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 0ULL);
	charge(cs, old_member, COWSTAT_cow_copies, 0, 0);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 0ULL);

	/* Releasing a file with no groups changes nothing. */
	cowstat_group_release(cs, &file_a);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 2U);
}

/*
 * Ending a group clears its bit in every record, also past the first
 * batch of the pool (the bits are cleared a batch at a time, interrupts on
 * between batches); the other group keeps its bits.
 */
static void cowstat_group_end_clears_every_batch(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 1000, 4);
	struct cowstat_rec *leader, *rec = NULL, *parent;
	struct cowstat_group *g, *other;
	unsigned int k, past = 0;

	KUNIT_ASSERT_GT(test, cs->pool_size, 2 * 256U);
	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	g = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	other = group_of(test, cs, start(cs, &file_b, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_ASSERT_NOT_NULL(test, other);
	/* 900 descendants, a chain: each inherits its parent's bits. */
	parent = leader;
	for (k = 2; k < 902; k++) {
		rec = cowstat_kunit_rec(test, cs, k, 100 + k, COWSTAT_BIRTH_FORK,
					parent);
		KUNIT_ASSERT_EQ(test, hweight_long(rec->groups), 2);
		past += rec - cs->pool >= 512;
		parent = rec;
	}
	KUNIT_EXPECT_GT(test, past, 0U);

	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 1);
	for (k = 0; k < cs->pool_size; k++)
		KUNIT_EXPECT_FALSE(test, cs->pool[k].groups & BIT(g - cs->groups));
	KUNIT_EXPECT_EQ(test, leader->groups, BIT(other - cs->groups));
	KUNIT_EXPECT_EQ(test, rec->groups, BIT(other - cs->groups));
	charge(cs, rec, COWSTAT_cow_copies, 0, 0);
	KUNIT_EXPECT_EQ(test, gcount(g, COWSTAT_cow_copies), 0ULL);
	KUNIT_EXPECT_EQ(test, gcount(other, COWSTAT_cow_copies), 1ULL);
}

/*
 * A record created while an ended group's bits are still being cleared
 * (the group no longer active, its parent's bit not cleared yet) does not
 * take the stale bit: a slot is never reused with a member it cannot see.
 */
static void cowstat_group_child_skips_ending_group(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *leader, *child;
	struct cowstat_group *g, *other;
	unsigned long flags;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	g = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	other = group_of(test, cs, start(cs, &file_b, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_ASSERT_NOT_NULL(test, other);
	/* The state cowstat_group_end() leaves before its clearing walk. */
	raw_spin_lock_irqsave(&cs->lock, flags);
	WRITE_ONCE(g->state, COWSTAT_GROUP_ENDED);
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	KUNIT_EXPECT_EQ(test, hweight_long(leader->groups), 2);

	child = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, leader);
	KUNIT_EXPECT_EQ(test, child->groups, BIT(other - cs->groups));
}

/* An exec image keeps the active groups of the image it replaced. */
static void cowstat_rec_bind_exec_keeps_groups(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_ident id = cowstat_kunit_ident(101, 100, "newprog");
	struct cowstat_rec *old, *exec;
	struct cowstat_group *active, *ended;
	unsigned long old_groups;

	old = cowstat_kunit_rec(test, cs, 1, 101, COWSTAT_BIRTH_FORK, NULL);
	active = group_of(test, cs, start(cs, &file_a, 101, 1, 0, 0));
	ended = group_of(test, cs, start(cs, &file_b, 101, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, active);
	KUNIT_ASSERT_NOT_NULL(test, ended);
	old_groups = old->groups;
	KUNIT_EXPECT_EQ(test, hweight_long(old_groups), 2);
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_b, 101), 1);

	/* The glue read the old bits before the end: bind must drop it. */
	rcu_read_lock();
	exec = cowstat_rec_get(cs, cowstat_kunit_key(2), COWSTAT_BIRTH_EXEC,
			       NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, exec);
	cowstat_rec_bind(cs, exec, COWSTAT_BIRTH_EXEC, &id, old_groups);
	cowstat_rec_retire(cs, cowstat_kunit_key(1), 5);
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, exec->groups, BIT(active - cs->groups));
	charge(cs, exec, COWSTAT_shared_writes, 0, 0);
	KUNIT_EXPECT_EQ(test, gcount(active, COWSTAT_shared_writes), 1ULL);
	KUNIT_EXPECT_EQ(test, gcount(ended, COWSTAT_shared_writes), 0ULL);
}

/* Samples in histogram @h of group @g, all buckets. */
static u64 ghist_sum(const struct cowstat_group *g, enum cowstat_hist_id h)
{
	u64 n = 0;
	unsigned int b;

	for (b = 0; b < COWSTAT_HIST_BUCKETS; b++)
		n += atomic64_read(&g->hist[h].bucket[b]);
	return n;
}

static u64 ghist_bucket(const struct cowstat_group *g, enum cowstat_hist_id h,
			u64 ns)
{
	return atomic64_read(&g->hist[h].bucket[cowstat_hist_bucket(ns)]);
}

static void hist(struct cowstat *cs, struct cowstat_rec *rec,
		 unsigned long addr, enum cowstat_hist_id h, u64 ns)
{
	rcu_read_lock();
	cowstat_account_hist(cs, rec, addr, h, ns);
	rcu_read_unlock();
}

static void cowstat_account_fork_ns_groups(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *leader, *other;
	struct cowstat_group *g;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	other = cowstat_kunit_rec(test, cs, 2, 200, COWSTAT_BIRTH_SEEN, NULL);
	g = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, g);
	rcu_read_lock();
	cowstat_account_fork_ns(cs, leader, 700);
	cowstat_account_fork_ns(cs, other, 50);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&g->fork_ns), 700ULL);
	/* One fork of a member in the group's fork_copy histogram. */
	KUNIT_EXPECT_EQ(test, ghist_sum(g, COWSTAT_HIST_FORK), 1ULL);
	KUNIT_EXPECT_EQ(test, ghist_bucket(g, COWSTAT_HIST_FORK, 700), 1ULL);
}

/*
 * A group's histograms get exactly its members' timed events: not those
 * of another group, of a process born before it, or of no record; the
 * system-wide ones get every event.
 */
static void cowstat_group_hist_members(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *a, *a_child, *b, *older;
	struct cowstat_group *ga, *gb;
	enum cowstat_hist_id h;
	atomic64_t *b1500;
	u64 sys = 0;
	unsigned int k;

	a = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	older = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, a);
	b = cowstat_kunit_rec(test, cs, 3, 200, COWSTAT_BIRTH_SEEN, NULL);
	ga = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	gb = group_of(test, cs, start(cs, &file_b, 200, 3, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, ga);
	KUNIT_ASSERT_NOT_NULL(test, gb);
	a_child = cowstat_kunit_rec(test, cs, 4, 102, COWSTAT_BIRTH_FORK, a);

	/* a: 3 copies at 1500 ns; its child: 2 reuses at 100 ns. */
	for (k = 0; k < 3; k++)
		hist(cs, a, 0x1000, COWSTAT_HIST_WP_COPY, 1500);
	for (k = 0; k < 2; k++)
		hist(cs, a_child, 0x1000, COWSTAT_HIST_WP_REUSE, 100);
	/* b: 5 copies at 70 us and a THP fault. */
	for (k = 0; k < 5; k++)
		hist(cs, b, 0x1000, COWSTAT_HIST_WP_COPY, 70000);
	hist(cs, b, 0x200000, COWSTAT_HIST_THP, 9000);
	/* Neither group: born before a's group, and no record at all. */
	hist(cs, older, 0x1000, COWSTAT_HIST_WP_COPY, 1500);
	hist(cs, NULL, 0x1000, COWSTAT_HIST_WP_COPY, 1500);

	KUNIT_EXPECT_EQ(test, ghist_sum(ga, COWSTAT_HIST_WP_COPY), 3ULL);
	KUNIT_EXPECT_EQ(test, ghist_bucket(ga, COWSTAT_HIST_WP_COPY, 1500),
			3ULL);
	KUNIT_EXPECT_EQ(test, ghist_sum(ga, COWSTAT_HIST_WP_REUSE), 2ULL);
	KUNIT_EXPECT_EQ(test, ghist_bucket(ga, COWSTAT_HIST_WP_REUSE, 100),
			2ULL);
	KUNIT_EXPECT_EQ(test, ghist_sum(ga, COWSTAT_HIST_THP), 0ULL);
	KUNIT_EXPECT_EQ(test, ghist_sum(gb, COWSTAT_HIST_WP_COPY), 5ULL);
	KUNIT_EXPECT_EQ(test, ghist_bucket(gb, COWSTAT_HIST_WP_COPY, 70000),
			5ULL);
	KUNIT_EXPECT_EQ(test, ghist_sum(gb, COWSTAT_HIST_WP_REUSE), 0ULL);
	KUNIT_EXPECT_EQ(test, ghist_sum(gb, COWSTAT_HIST_THP), 1ULL);
	for (h = 0; h < COWSTAT_NR_HISTS; h++) {
		unsigned int bk;

		for (bk = 0; bk < COWSTAT_HIST_BUCKETS; bk++)
			sys += atomic64_read(&cs->hist[h].bucket[bk]);
	}
	KUNIT_EXPECT_EQ(test, sys, 3ULL + 2 + 5 + 1 + 2);
	b1500 = &cs->hist[COWSTAT_HIST_WP_COPY].bucket[cowstat_hist_bucket(1500)];
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(b1500), 5ULL);
}

/* A range group times only the faults inside its range, as it counts. */
static void cowstat_group_hist_range(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_group *all, *ranged;
	struct cowstat_rec *leader;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	all = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	ranged = group_of(test, cs, start(cs, &file_b, 100, 1, 0x10000,
					  0x20000));
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_ASSERT_NOT_NULL(test, ranged);
	hist(cs, leader, 0x10000, COWSTAT_HIST_WP_COPY, 10);
	hist(cs, leader, 0x1ffff, COWSTAT_HIST_WP_COPY, 10);
	hist(cs, leader, 0x20000, COWSTAT_HIST_WP_COPY, 10);
	hist(cs, leader, 0xffff, COWSTAT_HIST_WP_COPY, 10);
	/* A fork has no address: it is in every group of its parent. */
	rcu_read_lock();
	cowstat_account_fork_ns(cs, leader, 5000);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ghist_sum(all, COWSTAT_HIST_WP_COPY), 4ULL);
	KUNIT_EXPECT_EQ(test, ghist_sum(ranged, COWSTAT_HIST_WP_COPY), 2ULL);
	KUNIT_EXPECT_EQ(test, ghist_bucket(all, COWSTAT_HIST_FORK, 5000), 1ULL);
	KUNIT_EXPECT_EQ(test, ghist_bucket(ranged, COWSTAT_HIST_FORK, 5000),
			1ULL);
}

/*
 * An ended group's histograms are frozen; a slot taken again starts at
 * zero; reset zeroes them.
 */
static void cowstat_group_hist_life(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *leader;
	struct cowstat_group *g;

	leader = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	g = group_of(test, cs, start(cs, &file_a, 100, 1, 0, 0));
	KUNIT_ASSERT_NOT_NULL(test, g);
	hist(cs, leader, 0x1000, COWSTAT_HIST_HUGETLB, 300);
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 1);
	hist(cs, leader, 0x1000, COWSTAT_HIST_HUGETLB, 300);
	rcu_read_lock();
	cowstat_account_fork_ns(cs, leader, 5000);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ghist_sum(g, COWSTAT_HIST_HUGETLB), 1ULL);
	KUNIT_EXPECT_EQ(test, ghist_sum(g, COWSTAT_HIST_FORK), 0ULL);

	cowstat_group_release(cs, &file_a);
	KUNIT_EXPECT_PTR_EQ(test, group_of(test, cs,
					   start(cs, &file_a, 100, 1, 0, 0)),
			    g);
	KUNIT_EXPECT_EQ(test, ghist_sum(g, COWSTAT_HIST_HUGETLB), 0ULL);
	hist(cs, leader, 0x1000, COWSTAT_HIST_HUGETLB, 300);
	KUNIT_EXPECT_EQ(test, ghist_sum(g, COWSTAT_HIST_HUGETLB), 1ULL);
	cowstat_reset(cs);
	KUNIT_EXPECT_EQ(test, ghist_sum(g, COWSTAT_HIST_HUGETLB), 0ULL);
}

static void cowstat_nr_groups_counts_active_and_ended(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);

	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 0U);
	KUNIT_EXPECT_GT(test, start(cs, &file_a, 100, 1, 0, 0), 0LL);
	KUNIT_EXPECT_GT(test, start(cs, &file_a, 200, 2, 0, 0), 0LL);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 2U);
	KUNIT_EXPECT_EQ(test, cowstat_group_end(cs, &file_a, 100), 1);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 2U);
	cowstat_group_release(cs, &file_a);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 0U);
}

static struct kunit_case cowstat_group_cases[] = {
	KUNIT_CASE(cowstat_group_start_leader_joins),
	KUNIT_CASE(cowstat_group_start_unseen_leader),
	KUNIT_CASE(cowstat_group_start_end_command),
	KUNIT_CASE(cowstat_group_start_without_mm),
	KUNIT_CASE(cowstat_group_start_no_slot),
	KUNIT_CASE(cowstat_group_start_table_full),
	KUNIT_CASE(cowstat_group_start_gen_wrap),
	KUNIT_CASE(cowstat_group_children_inherit),
	KUNIT_CASE(cowstat_group_leader_exits_first),
	KUNIT_CASE_PARAM(cowstat_account_group_range, range_gen_params),
	KUNIT_CASE(cowstat_account_ones_matches),
	KUNIT_CASE(cowstat_group_end_freezes),
	KUNIT_CASE(cowstat_group_end_owner_and_leader),
	KUNIT_CASE(cowstat_group_release_frees_slots),
	KUNIT_CASE(cowstat_group_end_clears_every_batch),
	KUNIT_CASE(cowstat_group_child_skips_ending_group),
	KUNIT_CASE(cowstat_rec_bind_exec_keeps_groups),
	KUNIT_CASE(cowstat_account_fork_ns_groups),
	KUNIT_CASE(cowstat_group_hist_members),
	KUNIT_CASE(cowstat_group_hist_range),
	KUNIT_CASE(cowstat_group_hist_life),
	KUNIT_CASE(cowstat_nr_groups_counts_active_and_ended),
	{}
};

static struct kunit_suite cowstat_group_suite = {
	.name = "cowstat_group",
	.test_cases = cowstat_group_cases,
};

kunit_test_suite(cowstat_group_suite);
