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
 * Bits are set and cleared under the instance lock, the same lock under
 * which a new record copies its parent's bits, so a slot is never reused
 * while a stale bit for it remains.
 */

#include <linux/limits.h>
#include <linux/string.h>

#include <cowstat/core.h>

static void cowstat_group_clear_bit_locked(struct cowstat *cs, unsigned int i)
{
	unsigned int r;

	for (r = 0; r < cs->pool_size; r++)
		cs->pool[r].groups &= ~BIT(i);
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
	unsigned long flags;
	unsigned int i;
	int ended = 0;

	raw_spin_lock_irqsave(&cs->lock, flags);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];

		if (g->state != COWSTAT_GROUP_ACTIVE || g->owner != owner ||
		    g->leader.tgid != tgid)
			continue;
		WRITE_ONCE(g->state, COWSTAT_GROUP_ENDED);
		cowstat_group_clear_bit_locked(cs, i);
		ended++;
	}
	raw_spin_unlock_irqrestore(&cs->lock, flags);
	return ended;
}

void cowstat_group_release(struct cowstat *cs, const void *owner)
{
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&cs->lock, flags);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];

		if (g->state == COWSTAT_GROUP_FREE || g->owner != owner)
			continue;
		WRITE_ONCE(g->state, COWSTAT_GROUP_FREE);
		g->owner = NULL;
		cowstat_group_clear_bit_locked(cs, i);
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
