// SPDX-License-Identifier: GPL-2.0
/*
 * Track groups: a leader process and every descendant born after the
 * group started, optionally limited to an address range.
 *
 * Membership is a bit per group in each record.  A fork child's record
 * inherits its parent's bits when it is created, an exec image inherits the
 * bits of the image it replaces, so the group follows the process tree
 * without walking it.  Events are added to the group counters as they
 * happen, so a group keeps its numbers after its members exit.
 *
 * Bits are set and cleared under the instance lock.  A new record copies
 * only its parent's bits of active groups, so once a group has ended no
 * record gains its bit; the bits left in the pool are then cleared in
 * batches of COWSTAT_CLEAR_BATCH records, the lock (and with it interrupts)
 * released between batches: the longest section with interrupts off does
 * not grow with max_records.  A slot is freed only after its bits are gone
 * and an RCU grace period has passed, so an accounting call that read a
 * stale bit (handlers run with preemption disabled) has finished before a
 * new group can take the slot.
 */

#include <linux/limits.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>

#include <cowstat/core.h>

/* Records whose group bits are cleared under one hold of the lock. */
#define COWSTAT_CLEAR_BATCH 256

/* Clears @mask in every record; the groups in @mask are no longer active. */
static void cowstat_group_clear_bits(struct cowstat *cs, unsigned long mask)
{
	unsigned long flags;
	unsigned int r = 0, n;

	while (r < cs->pool_size) {
		raw_spin_lock_irqsave(&cs->lock, flags);
		for (n = 0; n < COWSTAT_CLEAR_BATCH && r < cs->pool_size; n++, r++)
			cs->pool[r].groups &= ~mask;
		raw_spin_unlock_irqrestore(&cs->lock, flags);
		cond_resched();
	}
}

unsigned long cowstat_groups_active_locked(const struct cowstat *cs)
{
	unsigned long mask = 0;
	unsigned int i;

	for (i = 0; i < COWSTAT_MAX_GROUPS; i++)
		if (cs->groups[i].state == COWSTAT_GROUP_ACTIVE)
			mask |= BIT(i);
	return mask;
}

s64 cowstat_group_start(struct cowstat *cs, const void *owner,
			const struct cowstat_track_cmd *cmd,
			const struct cowstat_ident *leader, const void *key)
{
	struct cowstat_group *g = NULL;
	struct cowstat_rec *rec;
	unsigned long flags;
	unsigned int i;
	s64 gen;

	if (cmd->end)
		return -EINVAL;

	/* The leader's record may not exist yet: the process predates us. */
	rcu_read_lock();
	rec = key ? cowstat_rec_get(cs, key, COWSTAT_BIRTH_SEEN, leader, NULL) :
		    NULL;
	if (rec && !rec->bound)
		cowstat_rec_bind(cs, rec, rec->birth, leader, 0);

	raw_spin_lock_irqsave(&cs->lock, flags);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		if (cs->groups[i].state == COWSTAT_GROUP_FREE) {
			g = &cs->groups[i];
			break;
		}
	}
	if (!g) {
		gen = -ENOSPC;
		goto out;
	}
	/* The record may have been retired between the lookups. */
	if (key && (!rec || rec->state != COWSTAT_REC_LIVE || rec->key != key)) {
		gen = -ENOMEM;
		goto out;
	}

	memset(&g->c, 0, sizeof(g->c));
	memset(g->hist, 0, sizeof(g->hist));
	atomic64_set(&g->fork_ns, 0);
	/* Returned as a positive s64 (errors are negative): 63 bits. */
	do {
		g->gen = atomic64_inc_return(&cs->next_gen) & S64_MAX;
	} while (!g->gen);
	g->owner = owner;
	g->leader = *leader;
	g->leader.comm[COWSTAT_COMM_LEN - 1] = '\0';
	g->has_range = cmd->has_range;
	g->start = cmd->has_range ? cmd->start : 0;
	g->end = cmd->has_range ? cmd->last : 0;
	g->initiator_remote = 0;
	WRITE_ONCE(g->state, COWSTAT_GROUP_ACTIVE);
	if (rec)
		rec->groups |= BIT(i);
	gen = g->gen;
out:
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	rcu_read_unlock();
	return gen;
}

int cowstat_group_end(struct cowstat *cs, const void *owner, pid_t tgid)
{
	unsigned long flags, mask = 0;
	unsigned int i;
	int ended = 0;

	raw_spin_lock_irqsave(&cs->lock, flags);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];

		if (g->state != COWSTAT_GROUP_ACTIVE || g->owner != owner ||
		    g->leader.tgid != tgid)
			continue;
		WRITE_ONCE(g->state, COWSTAT_GROUP_ENDED);
		mask |= BIT(i);
		ended++;
	}
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	/* The slot stays ENDED (not reusable) until its file closes. */
	if (mask)
		cowstat_group_clear_bits(cs, mask);
	return ended;
}

void cowstat_group_release(struct cowstat *cs, const void *owner)
{
	unsigned long flags, mask = 0, mine = 0;
	unsigned int i;

	raw_spin_lock_irqsave(&cs->lock, flags);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];

		if (g->state == COWSTAT_GROUP_FREE || g->owner != owner)
			continue;
		/* An ended group's bits were cleared when it ended. */
		if (g->state == COWSTAT_GROUP_ACTIVE)
			mask |= BIT(i);
		WRITE_ONCE(g->state, COWSTAT_GROUP_ENDED);
		mine |= BIT(i);
	}
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	if (!mine)
		return;
	if (mask)
		cowstat_group_clear_bits(cs, mask);
	/* Accounting calls that read a bit of ours before it was cleared. */
	synchronize_rcu();

	raw_spin_lock_irqsave(&cs->lock, flags);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		if (mine & BIT(i)) {
			cs->groups[i].owner = NULL;
			WRITE_ONCE(cs->groups[i].state, COWSTAT_GROUP_FREE);
		}
	}
	raw_spin_unlock_irqrestore(&cs->lock, flags);
}

unsigned int cowstat_nr_groups(struct cowstat *cs)
{
	unsigned int i, n = 0;

	for (i = 0; i < COWSTAT_MAX_GROUPS; i++)
		if (READ_ONCE(cs->groups[i].state) != COWSTAT_GROUP_FREE)
			n++;
	return n;
}
