// SPDX-License-Identifier: GPL-2.0
/*
 * Fork side.
 *
 * copy_process (kretprobe): the outer context of one fork; at its return
 *   the child task has its final pid/tgid (during copy_page_range they are
 *   still the parent's), so the child's record is bound there.
 * copy_page_range (entry only): one VMA; what fork shared is the delta of
 *   the child mm's counters from this entry to the end of the VMA's copy,
 *   since nothing else touches the child mm during its own fork.  That
 *   end needs no return hook: it is the next copy_page_range's entry, or
 *   copy_namespaces (entry only), which copy_process calls right after
 *   the mm copy, or exit_mmap of the child's mm when the copy failed.
 *   A kretprobe here cost about 800 instructions a VMA.
 * copy_huge_pmd (kretprobe): a THP PMD shared when it returns 0 and the
 *   child gained a whole THP of anonymous pages.
 * Pinned pages copied eagerly show up as anon installs into the child
 * while a VMA's copy is open (hook_fault.c, hook_huge.c).
 */

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/hugetlb.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "compat.h"
#include "glue.h"

/*
 * The child's counters now.  From 6.2 each rss counter is a percpu sum
 * that walks the online CPUs under a lock: a VMA's copy reads them once,
 * at its end (cowstat_vma_close()), and the next VMA's copy, which begins
 * in the same handler, starts from that reading.
 */
static void cowstat_mm_read(struct mm_struct *mm, struct cowstat_mm_counts *c)
{
	c->anon = cowstat_mm_rss(mm, MM_ANONPAGES);
	c->file = cowstat_mm_rss(mm, MM_FILEPAGES);
	c->shmem = cowstat_mm_rss(mm, MM_SHMEMPAGES);
	c->swap = cowstat_mm_rss(mm, MM_SWAPENTS);
	c->pt_bytes = mm_pgtables_bytes(mm);
	c->hugetlb = cowstat_mm_hugetlb(mm);
}

/*
 * The record of the child @fork is copying into @mm, as found at its first
 * VMA, or NULL.  It cannot retire before the copy ends (at exit_mmap of
 * @mm, which ends the copy first); its key and state are still checked,
 * as the per-CPU hint's are (cowstat_rec_of_mm()), so that a record that
 * is no longer @mm's can never be charged.
 */
static struct cowstat_rec *cowstat_fork_child_rec(struct cowstat_fork_ctx *fork,
						  struct mm_struct *mm)
{
	struct cowstat_rec *rec = fork->child_rec;

	if (!rec || fork->child_mm != mm)
		return NULL;
	/* Key, then state: both pair with cowstat_rec_get()'s release. */
	if (smp_load_acquire(&rec->key) == mm &&
	    /* Live: made so last. */
	    smp_load_acquire(&rec->state) == COWSTAT_REC_LIVE)
		return rec;
	return NULL;
}

static void cowstat_charge_fork(struct cowstat_rec *rec,
				const struct cowstat_vma_ctx *ctx,
				const struct cowstat_fork_vma *f)
{
	struct cowstat_event ev = {
		.has_addr = true,
		.start = ctx->start,
		.end = ctx->end,
	};

	cowstat_classify_fork_vma(f, &ev.incs);
	if (unlikely(cowstat_fork_vma_clamped(f)))
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_fork_deltas_clamped);
	cowstat_account(&cowstat_state, rec, &ev);
}

/* How far @v is from *@from, which becomes @v. */
static inline s64 cowstat_advance(s64 *from, s64 v)
{
	s64 d = v - *from;

	*from = v;
	return d;
}

/*
 * The VMA @fork was copying is copied: charge what it shared.  Returns
 * whether it was open; then its @c0 holds the counters as they are now,
 * where the copy of a next VMA that begins at once starts from.
 */
static bool cowstat_vma_close(struct cowstat_fork_ctx *fork)
{
	struct cowstat_vma_ctx *ctx = &fork->vma;
	struct mm_struct *mm = ctx->dst_mm;
	struct cowstat_mm_counts *c0 = &ctx->c0;
	struct cowstat_fork_vma *f = &ctx->f;

	if (!fork->vma_open)
		return false;
	fork->vma_open = false;
	f->d_anon = cowstat_advance(&c0->anon, cowstat_mm_rss(mm, MM_ANONPAGES));
	f->d_file = cowstat_advance(&c0->file, cowstat_mm_rss(mm, MM_FILEPAGES));
	f->d_shmem = cowstat_advance(&c0->shmem,
				     cowstat_mm_rss(mm, MM_SHMEMPAGES));
	f->d_swap = cowstat_advance(&c0->swap, cowstat_mm_rss(mm, MM_SWAPENTS));
	f->d_pt_bytes = cowstat_advance(&c0->pt_bytes, mm_pgtables_bytes(mm));
	f->d_hugetlb = cowstat_advance(&c0->hugetlb, cowstat_mm_hugetlb(mm));
	cowstat_charge_fork(cowstat_fork_child_rec(fork, mm) ?:
			    cowstat_rec_find(&cowstat_state, mm), ctx, f);
	return true;
}

/* dup_mmap of @fork is over (or its mm is going): the copy ends now. */
static void cowstat_copy_end(struct cowstat_fork_ctx *fork)
{
	cowstat_vma_close(fork);
	fork->child_mm = NULL;
	fork->child_rec = NULL;
	fork->copy_ns += cowstat_since(fork->t_copy);
}

int cowstat_copy_process_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct kernel_clone_args *args =
		(void *)regs_get_kernel_argument(regs, 3);
	struct cowstat_fork_ctx *ctx = (void *)ri->data;

	if (!cowstat_outer_on())
		return 1;
	cowstat_hit(COWSTAT_P_COPY_PROCESS);
	/* Threads, vfork and kernel threads do not copy an mm. */
	if ((args->flags & CLONE_VM) || !current->mm ||
	    (current->flags & PF_KTHREAD))
		return 1;
	ctx->gen0 = cowstat_gen_now();
	ctx->copy_ns = 0;
	ctx->child_mm = NULL;
	ctx->child_rec = NULL;
	ctx->vma_open = false;
	ctx->in_tct = cowstat_tct_enter(COWSTAT_TCT_FORK, ctx);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_copy_process_entry);

int cowstat_copy_process_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct task_struct *p = (void *)regs_return_value(regs);
	struct cowstat_fork_ctx *ctx = (void *)ri->data;
	struct cowstat_event ev = { };
	struct cowstat_rec *parent, *child;
	struct cowstat_ident id;

	if (!cowstat_on())
		return 0;
	if (ctx->in_tct)
		cowstat_tct_leave(COWSTAT_TCT_FORK);
	/*
	 * Still copying: copy_namespaces was not seen (not hooked).  The
	 * child's mm is alive when the fork succeeded; after a failure it
	 * may be gone, and its exit_mmap ended the copy already.
	 */
	if (ctx->child_mm && !IS_ERR_OR_NULL(p) && p->mm == ctx->child_mm)
		cowstat_copy_end(ctx);
	if (IS_ERR_OR_NULL(p) || !p->mm)
		return 0;

	/* The child cannot run before wake_up_new_task(): p is stable. */
	parent = cowstat_rec_of_mm(current->mm);
	cowstat_ident_of(p, &id);
	child = cowstat_rec_fresh(p->mm, COWSTAT_BIRTH_FORK, &id, parent,
				  ctx->gen0);
	if (child)
		cowstat_rec_bind(&cowstat_state, child, COWSTAT_BIRTH_FORK,
				 &id, parent ? READ_ONCE(parent->groups) : 0);

	cowstat_incs_add(&ev.incs, COWSTAT_forks, 1);
	cowstat_account(&cowstat_state, parent, &ev);
	cowstat_account_fork_ns(&cowstat_state, parent, ctx->copy_ns);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_copy_process_ret);

/* copy_page_range(dst_vma, src_vma) */
static void cowstat_copy_page_range(struct vm_area_struct *dst_vma,
				    struct vm_area_struct *src_vma)
{
	struct cowstat_fork_ctx *fork = cowstat_tct_find(COWSTAT_TCT_FORK);
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	struct cowstat_vma_ctx *ctx;
	struct cowstat_rec *rec = fork ? cowstat_fork_child_rec(fork, dst_mm) :
				  NULL;
	bool have_c0;

	/* The child's record exists from its first VMA on. */
	if (!rec)
		rec = cowstat_rec_fresh(dst_mm, COWSTAT_BIRTH_FORK, NULL,
					cowstat_rec_find(&cowstat_state,
							 src_vma->vm_mm),
					fork ? fork->gen0 : 0);
	/*
	 * No fork context: the fork began before cowstat was live (it is
	 * not counted half), or the task-context table was full (tct_full).
	 */
	if (!fork)
		return;
	/* The VMA before this one is copied. */
	have_c0 = cowstat_vma_close(fork) && fork->vma.dst_mm == dst_mm;
	if (!fork->child_mm) {
		fork->child_mm = dst_mm;
		fork->t_copy = cowstat_now();
	}
	if (fork->child_mm == dst_mm)
		fork->child_rec = rec;
	ctx = &fork->vma;
	/* All but c0, which may hold where this copy starts from. */
	memset(&ctx->f, 0, sizeof(ctx->f));
	ctx->dst_mm = dst_mm;
	ctx->start = src_vma->vm_start;
	ctx->end = src_vma->vm_end;
	if (!cowstat_vma_needs_copy(dst_vma, src_vma)) {
		/* Nothing will be copied: charge the skip now. */
		cowstat_charge_fork(rec, ctx, &ctx->f);
		return;
	}
	ctx->f.copied = true;
	ctx->f.page_size = PAGE_SIZE;
	ctx->f.hugetlb = is_vm_hugetlb_page(src_vma);
#ifdef CONFIG_HUGETLB_PAGE
	if (ctx->f.hugetlb)
		ctx->f.huge_pages = pages_per_huge_page(hstate_vma(src_vma));
#endif
	if (!have_c0)
		cowstat_mm_read(dst_mm, &ctx->c0);
	fork->vma_open = true;
}

int cowstat_copy_page_range_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (!cowstat_outer_on())
		return 0;
	cowstat_hit(COWSTAT_P_COPY_PAGE_RANGE);
	cowstat_copy_page_range((void *)regs_get_kernel_argument(regs, 0),
				(void *)regs_get_kernel_argument(regs, 1));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_copy_page_range_pre);

#if COWSTAT_HAVE_FENTRY
notrace COWSTAT_FENTRY_DECL(cowstat_copy_page_range)
{
	preempt_disable_notrace();
	cowstat_copy_page_range_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}
#endif

/*
 * copy_namespaces(clone_flags, p): copy_process calls it right after
 * copy_mm, for every fork and thread: a fork's mm copy is over.
 */
int cowstat_copy_namespaces_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct cowstat_fork_ctx *fork;

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_COPY_NAMESPACES);
	fork = cowstat_tct_find(COWSTAT_TCT_FORK);
	if (fork && fork->child_mm)
		cowstat_copy_end(fork);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_copy_namespaces_pre);

#if COWSTAT_HAVE_FENTRY
notrace COWSTAT_FENTRY_DECL(cowstat_copy_namespaces)
{
	preempt_disable_notrace();
	cowstat_copy_namespaces_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}
#endif

/*
 * exit_mmap(@mm), before its record retires: when @mm is the child a
 * failed fork of current's was copying into, the copy ends here, while
 * the mm's counters can still be read.
 */
void cowstat_fork_mm_exit(struct mm_struct *mm)
{
	struct cowstat_fork_ctx *fork = cowstat_tct_find(COWSTAT_TCT_FORK);

	if (fork && fork->child_mm == mm)
		cowstat_copy_end(fork);
}

/* copy_huge_pmd(dst_mm, src_mm, dst_pmd, src_pmd, addr, dst_vma, src_vma) */
int cowstat_copy_huge_pmd_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct cowstat_thp_copy *c = (void *)ri->data;

	if (!cowstat_outer_on())
		return 1;
	cowstat_hit(COWSTAT_P_COPY_HUGE_PMD);
	c->dst_mm = (void *)regs_get_kernel_argument(regs, 0);
	c->anon0 = cowstat_mm_rss(c->dst_mm, MM_ANONPAGES);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_copy_huge_pmd_entry);

int cowstat_copy_huge_pmd_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct cowstat_thp_copy *c = (void *)ri->data;
	struct cowstat_vma_ctx *vma;

	if (!cowstat_on())
		return 0;
	if (regs_return_value(regs))
		return 0;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	/*
	 * 0 also covers the huge zero PMD (no rss) and file THPs (nothing
	 * copied): only a whole THP of anon pages is a shared THP.
	 */
	if (cowstat_mm_rss(c->dst_mm, MM_ANONPAGES) - c->anon0 != HPAGE_PMD_NR)
		return 0;
#endif
	/* No fork context: a fork begun before load, not counted half. */
	vma = cowstat_fork_vma(c->dst_mm);
	if (vma)
		vma->f.thp++;
	else if (cowstat_tct_find(COWSTAT_TCT_FORK))
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_events_uncorrelated);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_copy_huge_pmd_ret);
