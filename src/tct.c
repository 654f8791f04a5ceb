// SPDX-License-Identifier: GPL-2.0
/*
 * Task-context table: which outer invocation (copy_process,
 * copy_page_range, a write-protect fault) a task is inside right now, so
 * that a nested marker probe (an anon install, a move, a reuse) can be
 * charged to it; and, with wp_return=0, the do_wp_page of the task whose
 * outcome a marker is still to tell (struct cowstat_wp_pending).
 * Per-CPU state would be wrong: the task may sleep and
 * migrate between the outer entry and the nested hit.
 *
 * A fixed array of slots, found by hashing the task pointer and probing a
 * short window.  The array has COWSTAT_TCT_WINDOW - 1 slots more than
 * hash values, so a window never wraps and is walked with a pointer.
 *
 * A slot's key is NULL (free), the task (active: it holds a context or a
 * pending write fault) or the task with bit 0 set (parked: its task held
 * it and holds nothing now).  A task has at most one slot.  It claims a
 * free slot with cmpxchg the first time it needs one, and when it leaves
 * its last context it parks the slot instead of freeing it, so that its
 * next write fault finds it at once, without a walk of the whole window
 * and a locked claim.  Any task may take a parked slot that is not its own
 * (cmpxchg from the parked key) when its window has no free one, and
 * cowstat_tct_forget() frees a task's slot when the task is freed.  Only
 * the owning task reads or writes its slot's contexts, so they need no
 * lock; other tasks only ever compare and swap the key.  No allocation,
 * no lock, bounded work.
 */

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "glue.h"

struct cowstat_tct_slot *cowstat_tct __read_mostly;
unsigned int cowstat_tct_bits __read_mostly;

int cowstat_tct_init(unsigned int slots)
{
	cowstat_tct_bits = ilog2(roundup_pow_of_two(max(slots, 64U)));
	cowstat_tct = vzalloc(array_size((1UL << cowstat_tct_bits) +
					 COWSTAT_TCT_WINDOW - 1,
					 sizeof(*cowstat_tct)));
	return cowstat_tct ? 0 : -ENOMEM;
}

void cowstat_tct_exit(void)
{
	vfree(cowstat_tct);
	cowstat_tct = NULL;
}

static bool cowstat_tct_is_parked(const void *k)
{
	return (unsigned long)k & 1;
}

/*
 * @key's slot, active: the one it has (parked: taken back), else a free
 * one, else one another task parked.  NULL when every slot of the window
 * is active (counted in tct_full).
 */
struct cowstat_tct_slot *cowstat_tct_claim(const void *key)
{
	const void *parked = cowstat_tct_parked(key);
	struct cowstat_tct_slot *w = cowstat_tct_window(key);
	struct cowstat_tct_slot *end = w + COWSTAT_TCT_WINDOW;
	struct cowstat_tct_slot *s, *free = NULL, *other = NULL;
	unsigned int tries;

	for (s = w; s < end; s++) {
		const void *k = READ_ONCE(s->key);

		if (k == key)
			return s;
		if (k == parked) {
			/* Taken back, unless another task took it first. */
			if (cmpxchg(&s->key, parked, key) == parked)
				return s;
			continue;
		}
		if (!k && !free)
			free = s;
		else if (cowstat_tct_is_parked(k) && !other)
			other = s;
	}
	if (free && !cmpxchg(&free->key, NULL, key))
		return free;
	if (other) {
		const void *k = READ_ONCE(other->key);

		if (cowstat_tct_is_parked(k) && cmpxchg(&other->key, k, key) == k)
			return other;
	}
	/* Lost those to other tasks: take whatever is free or parked now. */
	for (tries = 0; tries < 2; tries++) {
		for (s = w; s < end; s++) {
			const void *k = READ_ONCE(s->key);

			if ((!k || (k != parked && cowstat_tct_is_parked(k))) &&
			    cmpxchg(&s->key, k, key) == k)
				return s;
		}
	}
	atomic64_inc(&cowstat_state.health[COWSTAT_H_tct_full]);
	return NULL;
}

bool cowstat_tct_enter_key(const void *key, enum cowstat_tct_kind kind,
			   void *ctx)
{
	struct cowstat_tct_slot *s = cowstat_tct_claim(key);

	if (!s)
		return false;
	s->ctx[kind] = ctx;
	return true;
}

void *cowstat_tct_find_key(const void *key, enum cowstat_tct_kind kind)
{
	struct cowstat_tct_slot *s = cowstat_tct_own(key);

	return s ? s->ctx[kind] : NULL;
}

void cowstat_tct_leave_key(const void *key, enum cowstat_tct_kind kind)
{
	struct cowstat_tct_slot *s = cowstat_tct_own(key);

	if (!s)
		return;
	s->ctx[kind] = NULL;
	cowstat_tct_put(s, key);
}

/*
 * @key's task is being freed: whatever its slot still holds (a write fault
 * that lost a race or failed, a context whose return hook never ran) can
 * never be told, and its address may come back as another task.
 */
void cowstat_tct_forget(const void *key)
{
	const void *parked = cowstat_tct_parked(key);
	struct cowstat_tct_slot *s = cowstat_tct_window(key);
	struct cowstat_tct_slot *end = s + COWSTAT_TCT_WINDOW;
	unsigned int k;

	for (; s < end; s++) {
		const void *v = READ_ONCE(s->key);

		if (v == parked) {
			/* Holds nothing; another task may be taking it. */
			cmpxchg(&s->key, parked, NULL);
			return;
		}
		if (v != key)
			continue;
		for (k = 0; k < COWSTAT_TCT_KINDS; k++)
			s->ctx[k] = NULL;
		s->wp.mm = NULL;
		/* The slot is empty before another task may claim it. */
		smp_store_release(&s->key, NULL);
		return;
	}
}
