// SPDX-License-Identifier: GPL-2.0
/*
 * The record table: one record per mm incarnation.
 *
 * Records live in a pool allocated once at init, so probe handlers never
 * allocate (PREEMPT_RT forbids even GFP_ATOMIC with preemption off).  A
 * live record is in a hash keyed by its mm; exit_mmap retires it into a
 * bounded ring so that short-lived processes stay readable; the oldest
 * retired record leaves the ring when it is full and returns to the pool
 * after an RCU grace period, because a handler may still be reading it.
 */

#include <linux/hash.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <cowstat/core.h>

#define COWSTAT_NO_SLOT UINT_MAX

static struct hlist_head *cowstat_bucket(struct cowstat *cs, const void *key)
{
	return &cs->hash[hash_ptr((void *)key, cs->hash_bits)];
}

static void cowstat_counters_zero(struct cowstat_counters *c)
{
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		atomic64_set(&c->v[i], 0);
}

static void cowstat_hists_zero(struct cowstat_hist *h)
{
	unsigned int i, b;

	for (i = 0; i < COWSTAT_NR_HISTS; i++)
		for (b = 0; b < COWSTAT_HIST_BUCKETS; b++)
			atomic64_set(&h[i].bucket[b], 0);
}

int cowstat_init(struct cowstat *cs, const struct cowstat_limits *lim)
{
	unsigned int i, buckets;

	if (!lim->max_records || lim->max_records > (1U << 22) ||
	    lim->max_exited > (1U << 22))
		return -EINVAL;

	memset(cs, 0, sizeof(*cs));
	raw_spin_lock_init(&cs->lock);
	atomic64_set(&cs->next_gen, 1);

	cs->max_live = lim->max_records;
	cs->ring_size = lim->max_exited;
	/*
	 * Records leaving the ring wait one grace period before they are
	 * free again; the slack keeps a burst of exits from starving forks.
	 */
	cs->pool_size = lim->max_records + lim->max_exited +
			lim->max_records / 8 + 16;
	cs->hash_bits = ilog2(roundup_pow_of_two(lim->max_records));
	if (cs->hash_bits < 4)
		cs->hash_bits = 4;
	buckets = 1U << cs->hash_bits;

	cs->hash = kvcalloc(buckets, sizeof(*cs->hash), GFP_KERNEL);
	cs->pool = vzalloc(array_size(cs->pool_size, sizeof(*cs->pool)));
	cs->totals = alloc_percpu(struct cowstat_totals);
	if (cs->ring_size)
		cs->ring = kvcalloc(cs->ring_size, sizeof(*cs->ring),
				    GFP_KERNEL);
	if (!cs->hash || !cs->pool || !cs->totals ||
	    (cs->ring_size && !cs->ring)) {
		kvfree(cs->hash);
		vfree(cs->pool);
		free_percpu(cs->totals);
		kvfree(cs->ring);
		cs->hash = NULL;
		cs->pool = NULL;
		cs->totals = NULL;
		cs->ring = NULL;
		return -ENOMEM;
	}

	for (i = 0; i < buckets; i++)
		INIT_HLIST_HEAD(&cs->hash[i]);
	for (i = 0; i < cs->pool_size; i++) {
		cs->pool[i].state = COWSTAT_REC_FREE;
		cs->pool[i].home = cs;
		cs->pool[i].next_free = i + 1;
	}
	cs->free_head = 0;
	return 0;
}

void cowstat_destroy(struct cowstat *cs)
{
	/* Records on their way back to the pool still have callbacks queued. */
	rcu_barrier();
	kvfree(cs->hash);
	vfree(cs->pool);
	free_percpu(cs->totals);
	kvfree(cs->ring);
	cs->hash = NULL;
	cs->pool = NULL;
	cs->totals = NULL;
	cs->ring = NULL;
}

s64 cowstat_total(const struct cowstat *cs, enum cowstat_counter id)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(cs->totals, cpu)->v[id]);
	return (s64)sum;
}

void cowstat_reset(struct cowstat *cs)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct cowstat_totals *t = per_cpu_ptr(cs->totals, cpu);

		for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
			WRITE_ONCE(t->v[i], 0);
	}
	for (i = 0; i < cs->pool_size; i++) {
		cowstat_counters_zero(&cs->pool[i].c);
		atomic64_set(&cs->pool[i].fork_ns, 0);
	}
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		cowstat_counters_zero(&cs->groups[i].c);
		atomic64_set(&cs->groups[i].fork_ns, 0);
		cowstat_hists_zero(cs->groups[i].hist);
	}
	cowstat_hists_zero(cs->hist);
	for (i = 0; i < COWSTAT_NR_HEALTH; i++)
		atomic64_set(&cs->health[i], 0);
	atomic64_set(&cs->fork_ns, 0);
}

struct cowstat_rec *cowstat_rec_find(struct cowstat *cs, const void *key)
{
	struct cowstat_rec *rec;

	hlist_for_each_entry_rcu(rec, cowstat_bucket(cs, key), node,
				 lockdep_is_held(&cs->lock)) {
		if (READ_ONCE(rec->key) == key)
			return rec;
	}
	return NULL;
}

/* Caller holds cs->lock. */
static void cowstat_free_locked(struct cowstat *cs, struct cowstat_rec *rec)
{
	rec->state = COWSTAT_REC_FREE;
	rec->key = NULL;
	rec->next_free = cs->free_head;
	cs->free_head = rec - cs->pool;
}

static void cowstat_rec_free_rcu(struct rcu_head *head)
{
	struct cowstat_rec *rec = container_of(head, struct cowstat_rec, rcu);
	struct cowstat *cs = rec->home;
	unsigned long flags;

	raw_spin_lock_irqsave(&cs->lock, flags);
	cowstat_free_locked(cs, rec);
	raw_spin_unlock_irqrestore(&cs->lock, flags);
}

/* Caller holds cs->lock; @rec is unhashed. */
static void cowstat_recycle(struct cowstat *cs, struct cowstat_rec *rec)
{
	cs->nr_recycled++;
	rec->state = COWSTAT_REC_RECYCLE;
	call_rcu(&rec->rcu, cowstat_rec_free_rcu);
}

/* Caller holds cs->lock; @rec is live and hashed. */
static void cowstat_retire_locked(struct cowstat *cs, struct cowstat_rec *rec,
				  u64 exit_ns)
{
	hlist_del_rcu(&rec->node);
	cs->nr_live--;
	rec->exit_ns = exit_ns;
	if (!cs->ring_size) {
		cowstat_recycle(cs, rec);
		return;
	}
	rec->state = COWSTAT_REC_EXITED;
	if (cs->ring_len == cs->ring_size) {
		cowstat_recycle(cs, cs->ring[cs->ring_head]);
		cs->ring[cs->ring_head] = rec;
		cs->ring_head = (cs->ring_head + 1) % cs->ring_size;
		return;
	}
	cs->ring[(cs->ring_head + cs->ring_len) % cs->ring_size] = rec;
	cs->ring_len++;
}

static void cowstat_set_ident(struct cowstat_rec *rec,
			      const struct cowstat_ident *id)
{
	rec->id = *id;
	rec->id.comm[COWSTAT_COMM_LEN - 1] = '\0';
	rec->bound = true;
}

struct cowstat_rec *cowstat_rec_get(struct cowstat *cs, const void *key,
				    enum cowstat_birth birth,
				    const struct cowstat_ident *id,
				    const struct cowstat_rec *inherit)
{
	struct cowstat_rec *rec;
	unsigned long flags, groups;

	rec = cowstat_rec_find(cs, key);
	if (rec)
		return rec;

	raw_spin_lock_irqsave(&cs->lock, flags);
	/* Another CPU may have created it meanwhile. */
	rec = cowstat_rec_find(cs, key);
	if (rec)
		goto out;
	if (cs->nr_live >= cs->max_live || cs->free_head >= cs->pool_size) {
		atomic64_inc(&cs->health[COWSTAT_H_records_dropped]);
		goto out;
	}
	rec = &cs->pool[cs->free_head];
	cs->free_head = rec->next_free;

	rec->key = key;
	rec->gen = atomic64_inc_return(&cs->next_gen);
	rec->birth = birth;
	rec->bound = false;
	memset(&rec->id, 0, sizeof(rec->id));
	if (id)
		cowstat_set_ident(rec, id);
	/*
	 * Only active groups: an ended group's bits are being cleared.  Most
	 * processes are in none, which takes no scan of the slots.
	 */
	groups = inherit ? READ_ONCE(inherit->groups) : 0;
	if (groups)
		groups &= cowstat_groups_active_locked(cs);
	rec->groups = groups;
	rec->initiator_remote = 0;
	rec->exit_ns = 0;
	atomic64_set(&rec->fork_ns, 0);
	cowstat_counters_zero(&rec->c);
	/* Last: cowstat_rec_of_mm()'s per-CPU hint trusts a live record. */
	smp_store_release(&rec->state, COWSTAT_REC_LIVE);
	cs->nr_live++;
	cs->nr_created++;
	hlist_add_head_rcu(&rec->node, cowstat_bucket(cs, key));
out:
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	return rec;
}

void cowstat_rec_bind(struct cowstat *cs, struct cowstat_rec *rec,
		      enum cowstat_birth birth, const struct cowstat_ident *id,
		      unsigned long groups)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&cs->lock, flags);
	if (rec->state == COWSTAT_REC_LIVE) {
		cowstat_set_ident(rec, id);
		rec->birth = birth;
		/* @groups was read unlocked: keep only groups still active. */
		if (groups)
			rec->groups |= groups & cowstat_groups_active_locked(cs);
	}
	raw_spin_unlock_irqrestore(&cs->lock, flags);
}

bool cowstat_rec_retire(struct cowstat *cs, const void *key, u64 exit_ns)
{
	struct cowstat_rec *rec;
	unsigned long flags;

	raw_spin_lock_irqsave(&cs->lock, flags);
	rec = cowstat_rec_find(cs, key);
	if (rec)
		cowstat_retire_locked(cs, rec, exit_ns);
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	return rec;
}

unsigned long cowstat_rec_groups(struct cowstat *cs, const void *key)
{
	struct cowstat_rec *rec = cowstat_rec_find(cs, key);

	return rec ? READ_ONCE(rec->groups) : 0;
}

unsigned int cowstat_nr_live(struct cowstat *cs)
{
	return READ_ONCE(cs->nr_live);
}

void cowstat_rec_counts(struct cowstat *cs, struct cowstat_rec_counts *n)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&cs->lock, flags);
	n->live = cs->nr_live;
	n->exited = cs->ring_len;
	n->created = cs->nr_created;
	n->recycled = cs->nr_recycled;
	raw_spin_unlock_irqrestore(&cs->lock, flags);
}

unsigned int cowstat_nr_exited(struct cowstat *cs)
{
	return READ_ONCE(cs->ring_len);
}

void cowstat_health_inc(struct cowstat *cs, enum cowstat_health_id h)
{
	atomic64_inc(&cs->health[h]);
}

static void cowstat_counters_add(struct cowstat_counters *c,
				 const struct cowstat_incs *incs)
{
	unsigned int i;

	for (i = 0; i < incs->nr; i++)
		atomic64_add(incs->val[i], &c->v[incs->id[i]]);
}

static bool cowstat_group_wants(const struct cowstat_group *g,
				const struct cowstat_event *ev)
{
	if (!g->has_range || !ev->has_addr)
		return true;
	return ev->start >= g->start && ev->end <= g->end;
}

void cowstat_account(struct cowstat *cs, struct cowstat_rec *rec,
		     const struct cowstat_event *ev)
{
	unsigned long groups;
	unsigned int i;

	for (i = 0; i < ev->incs.nr; i++)
		this_cpu_add(cs->totals->v[ev->incs.id[i]], ev->incs.val[i]);
	if (!rec) {
		atomic64_inc(&cs->health[COWSTAT_H_events_unrecorded]);
		return;
	}
	cowstat_counters_add(&rec->c, &ev->incs);
	if (ev->remote)
		WRITE_ONCE(rec->initiator_remote, ev->initiator);

	groups = READ_ONCE(rec->groups);
	for (i = 0; groups && i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];

		if (!(groups & BIT(i)))
			continue;
		groups &= ~BIT(i);
		if (READ_ONCE(g->state) != COWSTAT_GROUP_ACTIVE ||
		    !cowstat_group_wants(g, ev))
			continue;
		cowstat_counters_add(&g->c, &ev->incs);
		if (ev->remote)
			WRITE_ONCE(g->initiator_remote, ev->initiator);
	}
}

/*
 * Group slot @i of a record's group bits, if it counts an event at @addr:
 * active, and @addr inside its range when it has one.  NULL otherwise.
 */
static __always_inline struct cowstat_group *
cowstat_group_at(struct cowstat *cs, unsigned int i, unsigned long addr)
{
	struct cowstat_group *g;

	if (i >= COWSTAT_MAX_GROUPS)
		return NULL;
	g = &cs->groups[i];
	if (READ_ONCE(g->state) != COWSTAT_GROUP_ACTIVE ||
	    (g->has_range && (addr < g->start || addr >= g->end)))
		return NULL;
	return g;
}

/* A struct cowstat_ones holds a counter in a byte. */
static_assert(COWSTAT_NR_COUNTERS <= 256);

/* cowstat_account_ones() for a record in at least one group. */
void cowstat_account_ones_groups(struct cowstat *cs, struct cowstat_rec *rec,
				 unsigned long addr, struct cowstat_ones o)
{
	unsigned long groups;
	unsigned int k;

	for (groups = READ_ONCE(rec->groups); groups; groups &= groups - 1) {
		struct cowstat_group *g = cowstat_group_at(cs, __ffs(groups), addr);

		if (g)
			for (k = 0; k < o.n; k++)
				atomic64_inc(&g->c.v[cowstat_ones_id(&o, k)]);
	}
}

void cowstat_account_fork_ns(struct cowstat *cs, struct cowstat_rec *rec,
			     u64 ns)
{
	unsigned int i, b = cowstat_hist_bucket(ns);
	unsigned long groups;

	atomic64_inc(&cs->hist[COWSTAT_HIST_FORK].bucket[b]);
	atomic64_add(ns, &cs->fork_ns);
	if (!rec)
		return;
	atomic64_add(ns, &rec->fork_ns);
	groups = READ_ONCE(rec->groups);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];

		if ((groups & BIT(i)) &&
		    READ_ONCE(g->state) == COWSTAT_GROUP_ACTIVE) {
			atomic64_add(ns, &g->fork_ns);
			atomic64_inc(&g->hist[COWSTAT_HIST_FORK].bucket[b]);
		}
	}
}

/*
 * Called only for a timed fault (timing on): the untimed path pays
 * nothing for the groups' histograms.
 */
void cowstat_account_hist(struct cowstat *cs, struct cowstat_rec *rec,
			  unsigned long addr, enum cowstat_hist_id h, u64 ns)
{
	unsigned int b = cowstat_hist_bucket(ns);
	unsigned long groups;

	atomic64_inc(&cs->hist[h].bucket[b]);
	if (!rec)
		return;
	/* The groups cowstat_account_ones() charged. */
	for (groups = READ_ONCE(rec->groups); groups; groups &= groups - 1) {
		struct cowstat_group *g = cowstat_group_at(cs, __ffs(groups), addr);

		if (g)
			atomic64_inc(&g->hist[h].bucket[b]);
	}
}
