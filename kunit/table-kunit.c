// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cowstat_table: the record table (src/core/table.c): records
 * per mm incarnation, their generations, the exited ring, the pool that
 * only refills after an RCU grace period, and the charging of events.
 */

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "util.h"

static u64 counter(const struct cowstat_counters *c, enum cowstat_counter id)
{
	return atomic64_read(&c->v[id]);
}

static u64 total(const struct cowstat *cs, enum cowstat_counter id)
{
	return (u64)cowstat_total(cs, id);
}

static u64 health(struct cowstat *cs, enum cowstat_health_id h)
{
	return atomic64_read(&cs->health[h]);
}

static struct cowstat_rec *find(struct cowstat *cs, unsigned int key)
{
	struct cowstat_rec *rec;

	rcu_read_lock();
	rec = cowstat_rec_find(cs, cowstat_kunit_key(key));
	rcu_read_unlock();
	return rec;
}

static bool retire(struct cowstat *cs, unsigned int key, u64 exit_ns)
{
	bool ret;

	rcu_read_lock();
	ret = cowstat_rec_retire(cs, cowstat_kunit_key(key), exit_ns);
	rcu_read_unlock();
	return ret;
}

static void account(struct cowstat *cs, struct cowstat_rec *rec,
		    const struct cowstat_event *ev)
{
	rcu_read_lock();
	cowstat_account(cs, rec, ev);
	rcu_read_unlock();
}

static void cowstat_init_bad_limits(struct kunit *test)
{
	static const struct cowstat_limits bad[] = {
		{ .max_records = 0, .max_exited = 8 },
		{ .max_records = (1U << 22) + 1, .max_exited = 8 },
		{ .max_records = 8, .max_exited = (1U << 22) + 1 },
	};
	struct cowstat *cs = kunit_kzalloc(test, sizeof(*cs), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, cs);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, cowstat_init(cs, &bad[i]), -EINVAL,
				    "max_records %u max_exited %u",
				    bad[i].max_records, bad[i].max_exited);
}

static void cowstat_init_empty(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);

	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 0U);
	KUNIT_EXPECT_EQ(test, cowstat_nr_exited(cs), 0U);
	KUNIT_EXPECT_EQ(test, cowstat_nr_groups(cs), 0U);
	KUNIT_EXPECT_NULL(test, find(cs, 1));
	/* The pool holds more than the live limit: exits wait for RCU. */
	KUNIT_EXPECT_GE(test, cs->pool_size, 8U + 4U);
}

static void cowstat_destroy_with_recycles_pending(struct kunit *test)
{
	struct cowstat_limits lim = { .max_records = 4, .max_exited = 0 };
	struct cowstat *cs = kzalloc(sizeof(*cs), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, cs);
	KUNIT_ASSERT_EQ(test, cowstat_init(cs, &lim), 0);
	/* Each retire queues an RCU callback that writes into the pool. */
	for (i = 0; i < 4; i++) {
		cowstat_kunit_rec(test, cs, i, 100 + i, COWSTAT_BIRTH_FORK,
				  NULL);
		KUNIT_EXPECT_TRUE(test, retire(cs, i, 1));
	}
	cowstat_destroy(cs);
	KUNIT_EXPECT_NULL(test, cs->pool);
	KUNIT_EXPECT_NULL(test, cs->hash);
	kfree(cs);
}

static void cowstat_rec_get_creates_once(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_ident id = cowstat_kunit_ident(200, 100, "child");
	struct cowstat_rec *rec, *again;

	rcu_read_lock();
	rec = cowstat_rec_get(cs, cowstat_kunit_key(1), COWSTAT_BIRTH_FORK,
			      &id, NULL);
	again = cowstat_rec_get(cs, cowstat_kunit_key(1), COWSTAT_BIRTH_EXEC,
				NULL, NULL);
	rcu_read_unlock();

	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_EXPECT_PTR_EQ(test, again, rec);
	KUNIT_EXPECT_PTR_EQ(test, find(cs, 1), rec);
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 1U);
	KUNIT_EXPECT_EQ(test, rec->state, (int)COWSTAT_REC_LIVE);
	KUNIT_EXPECT_EQ(test, rec->birth, (int)COWSTAT_BIRTH_FORK);
	KUNIT_EXPECT_TRUE(test, rec->bound);
	KUNIT_EXPECT_GT(test, rec->gen, 0ULL);
	KUNIT_EXPECT_EQ(test, rec->id.tgid, 200);
	KUNIT_EXPECT_EQ(test, rec->id.ppid, 100);
	KUNIT_EXPECT_STREQ(test, rec->id.comm, "child");
	KUNIT_EXPECT_EQ(test, rec->exit_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, rec->groups, 0UL);
}

static void cowstat_rec_get_unbound_then_bind(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_ident id = cowstat_kunit_ident(300, 200, "sh");
	struct cowstat_rec *rec;
	u64 gen;

	rcu_read_lock();
	rec = cowstat_rec_get(cs, cowstat_kunit_key(1), COWSTAT_BIRTH_FORK,
			      NULL, NULL);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_EXPECT_FALSE(test, rec->bound);
	KUNIT_EXPECT_EQ(test, rec->id.tgid, 0);
	gen = rec->gen;

	rcu_read_lock();
	cowstat_rec_bind(cs, rec, COWSTAT_BIRTH_EXEC, &id, 0);
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE(test, rec->bound);
	KUNIT_EXPECT_EQ(test, rec->birth, (int)COWSTAT_BIRTH_EXEC);
	KUNIT_EXPECT_EQ(test, rec->id.tgid, 300);
	KUNIT_EXPECT_STREQ(test, rec->id.comm, "sh");
	/* Binding names the incarnation, it does not make a new one. */
	KUNIT_EXPECT_EQ(test, rec->gen, gen);
}

static void cowstat_rec_bind_retired_is_noop(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_ident id = cowstat_kunit_ident(301, 1, "late");
	struct cowstat_rec *rec;

	rec = cowstat_kunit_rec(test, cs, 1, 300, COWSTAT_BIRTH_FORK, NULL);
	KUNIT_ASSERT_TRUE(test, retire(cs, 1, 5));
	rcu_read_lock();
	cowstat_rec_bind(cs, rec, COWSTAT_BIRTH_EXEC, &id, 0);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, rec->id.tgid, 300);
	KUNIT_EXPECT_EQ(test, rec->birth, (int)COWSTAT_BIRTH_FORK);
}

static void cowstat_rec_get_comm_terminated(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_ident id = cowstat_kunit_ident(5, 1, "");
	struct cowstat_rec *rec;

	/* A comm that fills the array with no NUL of its own. */
	memset(id.comm, 'x', sizeof(id.comm));
	rcu_read_lock();
	rec = cowstat_rec_get(cs, cowstat_kunit_key(1), COWSTAT_BIRTH_SEEN,
			      &id, NULL);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_EXPECT_EQ(test, strnlen(rec->id.comm, sizeof(rec->id.comm)),
			(size_t)COWSTAT_COMM_LEN - 1);
}

static void cowstat_rec_get_inherits_groups(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *parent, *child;

	parent = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	/* Groups 3 and 5 active; 7 ended, its bit not cleared yet: not taken. */
	cs->groups[3].state = COWSTAT_GROUP_ACTIVE;
	cs->groups[5].state = COWSTAT_GROUP_ACTIVE;
	cs->groups[7].state = COWSTAT_GROUP_ENDED;
	parent->groups = BIT(3) | BIT(5) | BIT(7);
	child = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, parent);
	KUNIT_EXPECT_EQ(test, child->groups, BIT(3) | BIT(5));
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, cowstat_rec_groups(cs, cowstat_kunit_key(2)),
			BIT(3) | BIT(5));
	rcu_read_unlock();
}

static void cowstat_rec_groups_unknown_key(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, cowstat_rec_groups(cs, cowstat_kunit_key(9)),
			0UL);
	rcu_read_unlock();
}

/* The live limit: one more mm is counted as dropped, not a crash. */
static void cowstat_rec_get_table_full(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 4, 4);
	struct cowstat_rec *rec;
	unsigned int i;

	for (i = 0; i < 4; i++)
		cowstat_kunit_rec(test, cs, i, 100 + i, COWSTAT_BIRTH_FORK,
				  NULL);
	rcu_read_lock();
	rec = cowstat_rec_get(cs, cowstat_kunit_key(4), COWSTAT_BIRTH_FORK,
			      NULL, NULL);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, rec);
	KUNIT_EXPECT_EQ(test, health(cs, COWSTAT_H_records_dropped), 1ULL);
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 4U);
	KUNIT_EXPECT_NULL(test, find(cs, 4));

	/* An exit makes room at once: the ring keeps the old record. */
	KUNIT_ASSERT_TRUE(test, retire(cs, 0, 1));
	cowstat_kunit_rec(test, cs, 4, 104, COWSTAT_BIRTH_FORK, NULL);
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 4U);
	KUNIT_EXPECT_EQ(test, health(cs, COWSTAT_H_records_dropped), 1ULL);
}

/*
 * records_created == records_live + records_exited + records_recycled,
 * through forks, exits, a full ring, a full table and a reset (which
 * zeroes counters, not these).
 */
static void cowstat_rec_counts_invariant(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 4, 2);
	struct cowstat_rec_counts n;
	unsigned int i;

	for (i = 0; i < 4; i++)
		cowstat_kunit_rec(test, cs, i, 100 + i, COWSTAT_BIRTH_FORK,
				  NULL);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, cowstat_rec_get(cs, cowstat_kunit_key(9),
						COWSTAT_BIRTH_FORK, NULL,
						NULL));
	rcu_read_unlock();
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_TRUE(test, retire(cs, i, i + 1));
	cowstat_reset(cs);
	cowstat_rec_counts(cs, &n);
	KUNIT_EXPECT_EQ(test, n.created, 4ULL);
	KUNIT_EXPECT_EQ(test, n.live, 1U);
	KUNIT_EXPECT_EQ(test, n.exited, 2U);
	KUNIT_EXPECT_EQ(test, n.recycled, 1ULL);
	KUNIT_EXPECT_EQ(test, health(cs, COWSTAT_H_records_dropped), 0ULL);
	rcu_barrier();
	cowstat_kunit_rec(test, cs, 10, 110, COWSTAT_BIRTH_FORK, NULL);
	cowstat_rec_counts(cs, &n);
	KUNIT_EXPECT_EQ(test, n.created, 5ULL);
	KUNIT_EXPECT_EQ(test, n.created,
			(u64)n.live + n.exited + n.recycled);
}

/*
 * A slot that left the ring is free only after a grace period.  While a
 * reader holds rcu_read_lock() none can end, so the pool runs dry after
 * exactly pool_size incarnations, and refills after rcu_barrier().
 */
static void cowstat_rec_get_pool_refills_after_grace_period(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 1, 0);
	struct cowstat_rec *rec = NULL;
	unsigned int i, pool = cs->pool_size;

	rcu_read_lock();
	for (i = 0; i < pool; i++) {
		rec = cowstat_rec_get(cs, cowstat_kunit_key(i),
				      COWSTAT_BIRTH_FORK, NULL, NULL);
		if (!rec)
			break;
		cowstat_rec_retire(cs, cowstat_kunit_key(i), i);
	}
	rec = cowstat_rec_get(cs, cowstat_kunit_key(pool), COWSTAT_BIRTH_FORK,
			      NULL, NULL);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, i, pool);
	KUNIT_EXPECT_NULL(test, rec);
	KUNIT_EXPECT_EQ(test, health(cs, COWSTAT_H_records_dropped), 1ULL);

	rcu_barrier();
	rec = cowstat_kunit_rec(test, cs, pool, 7, COWSTAT_BIRTH_FORK, NULL);
	KUNIT_EXPECT_EQ(test, rec->state, (int)COWSTAT_REC_LIVE);
}

static void cowstat_rec_find_many(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 256, 0);
	struct cowstat_rec **recs;
	unsigned int i;

	recs = kunit_kcalloc(test, 256, sizeof(*recs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, recs);
	for (i = 0; i < 256; i++)
		recs[i] = cowstat_kunit_rec(test, cs, i, 1000 + i,
					    COWSTAT_BIRTH_FORK, NULL);
	for (i = 0; i < 256; i++) {
		struct cowstat_rec *rec = find(cs, i);

		KUNIT_EXPECT_PTR_EQ(test, rec, recs[i]);
		if (rec)
			KUNIT_EXPECT_EQ(test, rec->id.tgid, (pid_t)(1000 + i));
	}
	KUNIT_EXPECT_NULL(test, find(cs, 256));
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 256U);
}

static void cowstat_rec_retire_to_exited(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *rec;

	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	rec->groups = BIT(0);
	KUNIT_EXPECT_TRUE(test, retire(cs, 1, 12345));
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 0U);
	KUNIT_EXPECT_EQ(test, cowstat_nr_exited(cs), 1U);
	KUNIT_EXPECT_EQ(test, rec->state, (int)COWSTAT_REC_EXITED);
	KUNIT_EXPECT_EQ(test, rec->exit_ns, 12345ULL);
	KUNIT_EXPECT_NULL(test, find(cs, 1));
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, cowstat_rec_groups(cs, cowstat_kunit_key(1)),
			0UL);
	rcu_read_unlock();
}

static void cowstat_rec_retire_unknown(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);

	cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	KUNIT_EXPECT_FALSE(test, retire(cs, 2, 1));
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 1U);
	KUNIT_EXPECT_EQ(test, cowstat_nr_exited(cs), 0U);

	/* The second exit of the same mm finds nothing either. */
	KUNIT_EXPECT_TRUE(test, retire(cs, 1, 1));
	KUNIT_EXPECT_FALSE(test, retire(cs, 1, 2));
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 0U);
	KUNIT_EXPECT_EQ(test, cowstat_nr_exited(cs), 1U);
}

/* A full ring drops its oldest record, which returns to the pool. */
static void cowstat_rec_retire_ring_wraps(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 3);
	struct cowstat_rec *recs[7];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(recs); i++)
		recs[i] = cowstat_kunit_rec(test, cs, i, 100 + i,
					    COWSTAT_BIRTH_FORK, NULL);
	for (i = 0; i < ARRAY_SIZE(recs); i++)
		KUNIT_EXPECT_TRUE(test, retire(cs, i, 1000 + i));
	KUNIT_EXPECT_EQ(test, cowstat_nr_exited(cs), 3U);
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 0U);

	rcu_barrier();
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ_MSG(test, recs[i]->state, (int)COWSTAT_REC_FREE,
				    "record %u", i);
	for (i = 4; i < 7; i++) {
		KUNIT_EXPECT_EQ_MSG(test, recs[i]->state,
				    (int)COWSTAT_REC_EXITED, "record %u", i);
		KUNIT_EXPECT_EQ(test, recs[i]->exit_ns, 1000ULL + i);
	}
}

static void cowstat_rec_retire_without_ring(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 0);
	struct cowstat_rec *rec;

	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	KUNIT_EXPECT_TRUE(test, retire(cs, 1, 1));
	KUNIT_EXPECT_EQ(test, cowstat_nr_exited(cs), 0U);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, rec->state, (int)COWSTAT_REC_FREE);
}

/*
 * Generations name incarnations: the same mm address after an exit, and a
 * pool slot after its reuse, always get a gen never seen before.
 */
static void cowstat_rec_get_gen_never_reused(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 2, 1);
	unsigned int i, rounds = 3 * cs->pool_size;
	u64 last = 0;

	for (i = 0; i < rounds; i++) {
		struct cowstat_rec *rec;

		/* Always the same key: a new mm at a recycled address. */
		rec = cowstat_kunit_rec(test, cs, 1, 100 + i,
					COWSTAT_BIRTH_EXEC, NULL);
		KUNIT_EXPECT_GT_MSG(test, rec->gen, last, "round %u", i);
		last = rec->gen;
		KUNIT_ASSERT_TRUE(test, retire(cs, 1, i));
		if (i % 8 == 7)
			rcu_barrier();
	}
}

/* The gen source crossing 2^63: gens stay distinct and increasing. */
static void cowstat_rec_get_gen_wrap(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *a, *b, *c;

	atomic64_set(&cs->next_gen, S64_MAX - 1);
	a = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	b = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, NULL);
	c = cowstat_kunit_rec(test, cs, 3, 102, COWSTAT_BIRTH_FORK, NULL);
	KUNIT_EXPECT_EQ(test, a->gen, (u64)S64_MAX);
	KUNIT_EXPECT_GT(test, b->gen, a->gen);
	KUNIT_EXPECT_GT(test, c->gen, b->gen);
}

static void cowstat_account_charges_totals_and_record(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *a, *b;
	struct cowstat_event ev;

	a = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	b = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, NULL);
	ev = cowstat_kunit_event(COWSTAT_cow_copies, 1, 0, 0);
	cowstat_incs_add(&ev.incs, COWSTAT_cow_copies_anon, 1);
	cowstat_incs_add(&ev.incs, COWSTAT_wp_faults, 1);
	account(cs, a, &ev);
	account(cs, a, &ev);
	account(cs, b, &ev);

	KUNIT_EXPECT_EQ(test, total(cs, COWSTAT_cow_copies), 3ULL);
	KUNIT_EXPECT_EQ(test, total(cs, COWSTAT_wp_faults), 3ULL);
	KUNIT_EXPECT_EQ(test, counter(&a->c, COWSTAT_cow_copies_anon), 2ULL);
	KUNIT_EXPECT_EQ(test, counter(&b->c, COWSTAT_cow_copies_anon), 1ULL);
	KUNIT_EXPECT_EQ(test, counter(&a->c, COWSTAT_cow_reuses), 0ULL);
	KUNIT_EXPECT_EQ(test, health(cs, COWSTAT_H_events_unrecorded), 0ULL);
	{
		struct cowstat_counters snap;
		unsigned int i;

		for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
			atomic64_set(&snap.v[i], cowstat_total(cs, i));
		cowstat_kunit_expect_counter_relations(test, &snap);
	}
}

static void cowstat_account_without_record(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_event ev = cowstat_kunit_event(COWSTAT_forks, 1, 0, 0);

	account(cs, NULL, &ev);
	KUNIT_EXPECT_EQ(test, total(cs, COWSTAT_forks), 1ULL);
	KUNIT_EXPECT_EQ(test, health(cs, COWSTAT_H_events_unrecorded), 1ULL);
}

static void cowstat_account_remote_initiator(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_event ev = cowstat_kunit_event(COWSTAT_wp_faults, 1,
						      0, 0);
	struct cowstat_rec *rec;

	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	account(cs, rec, &ev);
	KUNIT_EXPECT_EQ(test, rec->initiator_remote, 0);

	ev.remote = true;
	ev.initiator = 4242;
	cowstat_incs_add(&ev.incs, COWSTAT_remote_events, 1);
	account(cs, rec, &ev);
	KUNIT_EXPECT_EQ(test, rec->initiator_remote, 4242);
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_remote_events), 1ULL);

	/* A later local event does not forget who last reached in. */
	ev = cowstat_kunit_event(COWSTAT_wp_faults, 1, 0, 0);
	account(cs, rec, &ev);
	KUNIT_EXPECT_EQ(test, rec->initiator_remote, 4242);
}

/*
 * Every classified situation charged to one record: the record and the
 * totals agree and keep the parent = sum of children relations.
 */
static void cowstat_account_classified_workload(struct kunit *test)
{
	static const struct cowstat_wp_fault faults[] = {
		{ .kind = COWSTAT_PAGE_ANON, .installs = 1 },
		{ .kind = COWSTAT_PAGE_ZERO, .installs = 1 },
		{ .kind = COWSTAT_PAGE_FILE, .installs = 1 },
		{ .kind = COWSTAT_PAGE_KSM, .installs = 1 },
		{ .kind = COWSTAT_PAGE_PFN, .installs = 1 },
		{ .kind = COWSTAT_PAGE_ANON, .unshare = true, .installs = 1 },
		{ .kind = COWSTAT_PAGE_ANON, .moves = 1, .reuses = 1 },
		{ .kind = COWSTAT_PAGE_ANON, .exclusive = true, .reuses = 1 },
		{ .kind = COWSTAT_PAGE_FILE, .shared = true, .mkwrite_ok = 1 },
	};
	static const struct cowstat_fork_vma vmas[] = {
		{ .copied = true, .d_anon = 10, .d_file = 3, .d_shmem = 2,
		  .page_size = 4096 },
		{ .copied = false },
	};
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *rec;
	unsigned int i, n;

	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	for (n = 0; n < 3; n++) {
		for (i = 0; i < ARRAY_SIZE(faults); i++) {
			struct cowstat_event ev = { };

			cowstat_classify_wp(&faults[i], &ev.incs);
			account(cs, rec, &ev);
		}
		for (i = 0; i < ARRAY_SIZE(vmas); i++) {
			struct cowstat_event ev = { };

			cowstat_classify_fork_vma(&vmas[i], &ev.incs);
			account(cs, rec, &ev);
		}
	}
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_wp_faults), 27ULL);
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_cow_copies), 18ULL);
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_cow_reuses), 6ULL);
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_shared_writes), 3ULL);
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_fork_pages_shared),
			45ULL);
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_fork_vmas_skipped),
			3ULL);
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		KUNIT_EXPECT_EQ_MSG(test, counter(&rec->c, i),
				    total(cs, i), "counter %s",
				    cowstat_kunit_name(i));
	cowstat_kunit_expect_counter_relations(test, &rec->c);
	/* Only do_wp_page events here: one outcome each. */
	KUNIT_EXPECT_EQ(test, counter(&rec->c, COWSTAT_wp_faults),
			counter(&rec->c, COWSTAT_cow_copies) +
			counter(&rec->c, COWSTAT_cow_reuses) +
			counter(&rec->c, COWSTAT_shared_writes));
}

static void cowstat_account_fork_ns_charges(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_rec *rec;

	rec = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_SEEN, NULL);
	rcu_read_lock();
	cowstat_account_fork_ns(cs, rec, 1500);
	cowstat_account_fork_ns(cs, rec, 3000);
	cowstat_account_fork_ns(cs, NULL, 100);
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&cs->fork_ns), 4600ULL);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&rec->fork_ns), 4500ULL);
	/* 1500 and 3000 ns: buckets 11 and 12; 100 ns: bucket 7. */
	KUNIT_EXPECT_EQ(test,
			(u64)atomic64_read(&cs->hist[COWSTAT_HIST_FORK].bucket[11]),
			1ULL);
	KUNIT_EXPECT_EQ(test,
			(u64)atomic64_read(&cs->hist[COWSTAT_HIST_FORK].bucket[12]),
			1ULL);
	KUNIT_EXPECT_EQ(test,
			(u64)atomic64_read(&cs->hist[COWSTAT_HIST_FORK].bucket[7]),
			1ULL);
}

static void cowstat_health_inc_counts(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	unsigned int i;

	cowstat_health_inc(cs, COWSTAT_H_tct_full);
	cowstat_health_inc(cs, COWSTAT_H_tct_full);
	cowstat_health_inc(cs, COWSTAT_H_events_uncorrelated);
	for (i = 0; i < COWSTAT_NR_HEALTH; i++) {
		u64 want = i == COWSTAT_H_tct_full ? 2 :
			   i == COWSTAT_H_events_uncorrelated ? 1 : 0;

		KUNIT_EXPECT_EQ_MSG(test, health(cs, i), want, "health %u", i);
	}
}

static void cowstat_reset_keeps_records(struct kunit *test)
{
	struct cowstat *cs = cowstat_kunit_new(test, 8, 4);
	struct cowstat_event ev = cowstat_kunit_event(COWSTAT_forks, 2, 0, 0);
	struct cowstat_rec *live, *gone;
	unsigned int i, b;
	u64 gen;

	live = cowstat_kunit_rec(test, cs, 1, 100, COWSTAT_BIRTH_FORK, NULL);
	gone = cowstat_kunit_rec(test, cs, 2, 101, COWSTAT_BIRTH_FORK, NULL);
	gen = live->gen;
	account(cs, live, &ev);
	account(cs, gone, &ev);
	rcu_read_lock();
	cowstat_account_fork_ns(cs, live, 999);
	rcu_read_unlock();
	cowstat_hist_add(&cs->hist[COWSTAT_HIST_WP_COPY], 5);
	cowstat_health_inc(cs, COWSTAT_H_tct_full);
	KUNIT_ASSERT_TRUE(test, retire(cs, 2, 7));

	cowstat_reset(cs);

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		KUNIT_EXPECT_EQ(test, total(cs, i), 0ULL);
		KUNIT_EXPECT_EQ(test, counter(&live->c, i), 0ULL);
		KUNIT_EXPECT_EQ(test, counter(&gone->c, i), 0ULL);
	}
	for (i = 0; i < COWSTAT_NR_HISTS; i++)
		for (b = 0; b < COWSTAT_HIST_BUCKETS; b++)
			KUNIT_EXPECT_EQ(test,
					(u64)atomic64_read(&cs->hist[i].bucket[b]),
					0ULL);
	for (i = 0; i < COWSTAT_NR_HEALTH; i++)
		KUNIT_EXPECT_EQ(test, health(cs, i), 0ULL);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&cs->fork_ns), 0ULL);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&live->fork_ns), 0ULL);

	/* The records themselves stay, with their identity. */
	KUNIT_EXPECT_EQ(test, cowstat_nr_live(cs), 1U);
	KUNIT_EXPECT_EQ(test, cowstat_nr_exited(cs), 1U);
	KUNIT_EXPECT_PTR_EQ(test, find(cs, 1), live);
	KUNIT_EXPECT_EQ(test, live->gen, gen);
	KUNIT_EXPECT_EQ(test, gone->exit_ns, 7ULL);
}

static struct kunit_case cowstat_table_cases[] = {
	KUNIT_CASE(cowstat_init_bad_limits),
	KUNIT_CASE(cowstat_init_empty),
	KUNIT_CASE(cowstat_destroy_with_recycles_pending),
	KUNIT_CASE(cowstat_rec_get_creates_once),
	KUNIT_CASE(cowstat_rec_get_unbound_then_bind),
	KUNIT_CASE(cowstat_rec_bind_retired_is_noop),
	KUNIT_CASE(cowstat_rec_get_comm_terminated),
	KUNIT_CASE(cowstat_rec_get_inherits_groups),
	KUNIT_CASE(cowstat_rec_groups_unknown_key),
	KUNIT_CASE(cowstat_rec_get_table_full),
	KUNIT_CASE(cowstat_rec_get_pool_refills_after_grace_period),
	KUNIT_CASE(cowstat_rec_find_many),
	KUNIT_CASE(cowstat_rec_retire_to_exited),
	KUNIT_CASE(cowstat_rec_retire_unknown),
	KUNIT_CASE(cowstat_rec_retire_ring_wraps),
	KUNIT_CASE(cowstat_rec_retire_without_ring),
	KUNIT_CASE(cowstat_rec_get_gen_never_reused),
	KUNIT_CASE(cowstat_rec_get_gen_wrap),
	KUNIT_CASE(cowstat_account_charges_totals_and_record),
	KUNIT_CASE(cowstat_account_without_record),
	KUNIT_CASE(cowstat_account_remote_initiator),
	KUNIT_CASE(cowstat_account_classified_workload),
	KUNIT_CASE(cowstat_account_fork_ns_charges),
	KUNIT_CASE(cowstat_health_inc_counts),
	KUNIT_CASE(cowstat_reset_keeps_records),
	KUNIT_CASE(cowstat_rec_counts_invariant),
	{}
};

static struct kunit_suite cowstat_table_suite = {
	.name = "cowstat_table",
	.test_cases = cowstat_table_cases,
};

kunit_test_suite(cowstat_table_suite);
