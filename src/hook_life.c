// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime of records: one per mm incarnation.
 *
 * exit_mmap (kprobe, entry only): every mm that had an event passes here
 *   before it can be freed, and no event can reach it afterwards, so the
 *   record retires here and an mm pointer is never reused under a live
 *   record.
 * begin_new_exec (kretprobe): on success current->mm is the new image;
 *   its record is bound to the task and keeps the track groups of the
 *   image it replaced (read at entry: the old mm is gone by the return).
 * Fork children are bound at copy_process return (hook_fork.c).
 * __put_task_struct (entry only): a task is freed; its task-context slot
 *   goes (a write fault that lost a race leaves a pending entry behind,
 *   see struct cowstat_wp_pending), before its address can name another
 *   task.
 */

#include <linux/binfmts.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mm_types.h>
#include <linux/sched.h>

#include "glue.h"

int cowstat_exit_mmap_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct mm_struct *mm = (void *)regs_get_kernel_argument(regs, 0);

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_EXIT_MMAP);
	/* A failed fork's child: what it copied is charged before it goes. */
	cowstat_fork_mm_exit(mm);
	cowstat_rec_retire(&cowstat_state, mm, ktime_get_boot_fast_ns());
	return 0;
}

NOKPROBE_SYMBOL(cowstat_exit_mmap_pre);

int cowstat_task_free_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_TASK_FREE);
	cowstat_tct_forget((void *)regs_get_kernel_argument(regs, 0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_task_free_pre);

int cowstat_exec_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cowstat_exec_ctx *ctx = (void *)ri->data;

	if (!cowstat_outer_on())
		return 1;
	cowstat_hit(COWSTAT_P_EXEC);
	ctx->groups = current->mm ?
		      cowstat_rec_groups(&cowstat_state, current->mm) : 0;
	ctx->gen0 = cowstat_gen_now();
	return 0;
}

NOKPROBE_SYMBOL(cowstat_exec_entry);

int cowstat_exec_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cowstat_exec_ctx *ctx = (void *)ri->data;
	struct cowstat_ident id;
	struct cowstat_rec *rec;

	if (!cowstat_on())
		return 0;
	if (regs_return_value(regs) || !current->mm)
		return 0;
	cowstat_ident_of(current, &id);
	rec = cowstat_rec_fresh(current->mm, COWSTAT_BIRTH_EXEC, &id, NULL,
				ctx->gen0);
	if (rec)
		cowstat_rec_bind(&cowstat_state, rec, COWSTAT_BIRTH_EXEC, &id,
				 ctx->groups);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_exec_ret);
