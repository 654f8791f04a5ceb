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
 * hash values, so a window never wraps and is walked with a pointer.  A
 * task claims one slot with cmpxchg the first time it enters an outer
 * context and frees it when it leaves the last one.  Only
 * the owning task reads or writes its slot's contexts, so they need no
 * lock; other tasks only ever compare the task pointer.  No allocation,
 * no lock, bounded work.
 */

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "glue.h"

#define COWSTAT_TCT_WINDOW 8

static struct cowstat_tct_slot *cowstat_tct;
static unsigned int cowstat_tct_bits;

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

/* The first slot of @key's window. */
static struct cowstat_tct_slot *cowstat_tct_window(const void *key)
{
	return &cowstat_tct[hash_ptr((void *)key, cowstat_tct_bits)];
}

static struct cowstat_tct_slot *cowstat_tct_own(const void *key)
{
	struct cowstat_tct_slot *s = cowstat_tct_window(key);
	struct cowstat_tct_slot *end = s + COWSTAT_TCT_WINDOW;

	for (; s < end; s++)
		if (READ_ONCE(s->key) == key)
			return s;
	return NULL;
}

bool cowstat_tct_enter_key(const void *key, enum cowstat_tct_kind kind,
			   void *ctx)
{
	struct cowstat_tct_slot *s = cowstat_tct_own(key);
	struct cowstat_tct_slot *end;

	if (s) {
		s->ctx[kind] = ctx;
		return true;
	}
	s = cowstat_tct_window(key);
	for (end = s + COWSTAT_TCT_WINDOW; s < end; s++) {
		if (!READ_ONCE(s->key) && !cmpxchg(&s->key, NULL, key)) {
			s->ctx[kind] = ctx;
			return true;
		}
	}
	atomic64_inc(&cowstat_state.health[COWSTAT_H_tct_full]);
	return false;
}

void *cowstat_tct_find_key(const void *key, enum cowstat_tct_kind kind)
{
	struct cowstat_tct_slot *s = cowstat_tct_own(key);

	return s ? s->ctx[kind] : NULL;
}

/* Frees @s (its owner's) when it holds nothing any more. */
static void cowstat_tct_put(struct cowstat_tct_slot *s)
{
	unsigned int k;

	for (k = 0; k < COWSTAT_TCT_KINDS; k++)
		if (s->ctx[k])
			return;
	if (s->wp.mm)
		return;
	/* The slot is empty before another task may claim it. */
	smp_store_release(&s->key, NULL);
}

void cowstat_tct_leave_key(const void *key, enum cowstat_tct_kind kind)
{
	struct cowstat_tct_slot *s = cowstat_tct_own(key);

	if (!s)
		return;
	s->ctx[kind] = NULL;
	cowstat_tct_put(s);
}

/* current's slot, or NULL when it has none. */
struct cowstat_tct_slot *cowstat_tct_mine(void)
{
	return cowstat_tct_own(current);
}

/*
 * current's pending write fault, in its slot (claimed now if it has none):
 * one pass over the window finds the task's own slot or the first free one.
 * NULL when the window is full (counted in tct_full).
 */
struct cowstat_wp_pending *cowstat_tct_wp_open(void)
{
	const void *key = current;
	struct cowstat_tct_slot *w = cowstat_tct_window(key);
	struct cowstat_tct_slot *end = w + COWSTAT_TCT_WINDOW;
	struct cowstat_tct_slot *s, *free = NULL;

	for (s = w; s < end; s++) {
		const void *k = READ_ONCE(s->key);

		if (k == key)
			return &s->wp;
		if (!k && !free)
			free = s;
	}
	if (free && !cmpxchg(&free->key, NULL, key))
		return &free->wp;
	/* Lost the free slot to another task: look at the window again. */
	for (s = w; s < end; s++)
		if (!READ_ONCE(s->key) && !cmpxchg(&s->key, NULL, key))
			return &s->wp;
	atomic64_inc(&cowstat_state.health[COWSTAT_H_tct_full]);
	return NULL;
}

/* The pending write fault in @s (current's) is told: free the slot if empty. */
void cowstat_tct_wp_close(struct cowstat_tct_slot *s)
{
	s->wp.mm = NULL;
	cowstat_tct_put(s);
}

/*
 * @key's task is being freed: whatever its slot still holds (a write fault
 * that lost a race or failed, a context whose return hook never ran) can
 * never be told, and its address may come back as another task.
 */
void cowstat_tct_forget(const void *key)
{
	struct cowstat_tct_slot *s = cowstat_tct_own(key);
	unsigned int k;

	if (!s)
		return;
	for (k = 0; k < COWSTAT_TCT_KINDS; k++)
		s->ctx[k] = NULL;
	s->wp.mm = NULL;
	/* The slot is empty before another task may claim it. */
	smp_store_release(&s->key, NULL);
}
