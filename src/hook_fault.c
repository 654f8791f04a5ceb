// SPDX-License-Identifier: GPL-2.0
/*
 * Write faults at PTE level.
 *
 * do_wp_page (kretprobe) is the outer context: its entry records what the
 * PTE mapped and the fault flags, its return commits the one outcome.  In
 * between, nested markers correlated through the task-context table say
 * what happened, which works whether or not wp_page_copy is a function of
 * its own (it is inlined into do_wp_page on 6.12):
 *   anon install (page_/folio_add_new_anon_rmap)  a copy was installed
 *   move (page_/folio_move_anon_rmap)              reuse after sharing ended
 *   finish_mkwrite_fault (kretprobe) returning 0   shared write through
 *                                                  page_mkwrite (it holds
 *                                                  an inlined wp_page_reuse)
 *   handle_userfault                               userfaultfd-wp trap
 *
 * wp_page_reuse itself is declared inline, hence notrace, so it could
 * only get an int3 probe; it is not needed: the reuse of an exclusive
 * page, and of a shared page without mkwrite, is decided under the page
 * table lock do_wp_page is entered with, so the entry state tells.
 *
 * The anon install probe also serves fork (an install into the child while
 * copy_page_range runs is an eager copy of a pinned page) and do_cow_fault
 * (no do_wp_page at all; recognised by the caller of the install).
 */

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/mm.h>

#include "compat.h"
#include "glue.h"

int cowstat_do_wp_page_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct vm_fault *vmf = (void *)regs_get_kernel_argument(regs, 0);
	struct cowstat_fault_ctx *ctx = (void *)ri->data;
	struct vm_area_struct *vma = vmf->vma;

	cowstat_hit(COWSTAT_P_DO_WP_PAGE);
	memset(ctx, 0, sizeof(*ctx));
	ctx->kind = COWSTAT_FAULT_WP;
	ctx->mm = vma->vm_mm;
	ctx->address = vmf->address;
	/* Entered with the page table lock held: the page is stable. */
	ctx->wp.kind = cowstat_pte_kind(vmf->orig_pte, &ctx->wp.exclusive);
	ctx->wp.unshare = vmf->flags & FAULT_FLAG_UNSHARE;
	ctx->wp.unshare_noop = ctx->wp.unshare &&
			       cowstat_unshare_noop(ctx->wp.kind);
	ctx->wp.shared = cowstat_wp_shared(vma);
	ctx->wp.has_mkwrite = cowstat_has_mkwrite(vma, ctx->wp.kind);
	ctx->t0 = cowstat_now();
	ctx->in_tct = cowstat_tct_enter(COWSTAT_TCT_FAULT, ctx);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_do_wp_page_entry);

static const enum cowstat_hist_id cowstat_wp_hist[] = {
	[COWSTAT_OUT_COPY] = COWSTAT_HIST_WP_COPY,
	[COWSTAT_OUT_REUSE] = COWSTAT_HIST_WP_REUSE,
	[COWSTAT_OUT_SHARED] = COWSTAT_HIST_WP_SHARED,
};

int cowstat_do_wp_page_ret(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct cowstat_fault_ctx *ctx = (void *)ri->data;
	struct cowstat_incs incs = { };
	enum cowstat_outcome o;
	enum cowstat_hist_id h = COWSTAT_HIST_WP_OTHER;
	u64 dt = cowstat_now() - ctx->t0;

	if (!ctx->in_tct) {
		/* Nested markers had nowhere to go: count the fault only. */
		cowstat_incs_add(&incs, COWSTAT_wp_faults, 1);
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_events_uncorrelated);
		cowstat_charge_fault(ctx->mm, ctx->address, &incs);
		return 0;
	}
	cowstat_tct_leave(COWSTAT_TCT_FAULT);
	ctx->wp.ret = cowstat_fault_ret(cowstat_fault_retval(regs));
	o = cowstat_classify_wp(&ctx->wp, &incs);
	cowstat_charge_fault(ctx->mm, ctx->address, &incs);
	if (o < ARRAY_SIZE(cowstat_wp_hist) && cowstat_wp_hist[o])
		h = cowstat_wp_hist[o];
	cowstat_hist_add(&cowstat_state.hist[h], dt);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_do_wp_page_ret);

/*
 * Caller classes of the install function, by return address.  About
 * twenty call sites exist; each is looked up in kallsyms once and then
 * remembered in the array of its class (one word per entry, so a lock-free
 * cmpxchg publishes it whole).
 */
#define COWSTAT_CALLERS 32

static unsigned long cowstat_callers[2][COWSTAT_CALLERS];

static bool cowstat_caller_known(const unsigned long *arr, unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < COWSTAT_CALLERS; i++) {
		unsigned long a = READ_ONCE(arr[i]);

		if (a == addr)
			return true;
		if (!a)
			return false;
	}
	return false;
}

static void cowstat_caller_remember(unsigned long *arr, unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < COWSTAT_CALLERS; i++) {
		unsigned long a = READ_ONCE(arr[i]);

		if (a == addr)
			return;
		if (!a && !cmpxchg(&arr[i], 0, addr))
			return;
	}
}

static enum cowstat_caller cowstat_caller_of(unsigned long addr)
{
	char sym[KSYM_SYMBOL_LEN];
	enum cowstat_caller class;

	if (cowstat_caller_known(cowstat_callers[COWSTAT_CALLER_OTHER], addr))
		return COWSTAT_CALLER_OTHER;
	if (cowstat_caller_known(cowstat_callers[COWSTAT_CALLER_COW_AT_FAULT],
				 addr))
		return COWSTAT_CALLER_COW_AT_FAULT;
	sprint_symbol_no_offset(sym, addr);
	class = cowstat_classify_caller(sym);
	cowstat_caller_remember(cowstat_callers[class], addr);
	return class;
}

/* page_add_new_anon_rmap(page, vma, addr) / folio_add_new_anon_rmap(...) */
int cowstat_install_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 1);
	unsigned long addr = regs_get_kernel_argument(regs, 2);
	struct mm_struct *mm = vma->vm_mm;
	struct cowstat_fault_ctx *f;
	struct cowstat_vma_ctx *v;
	struct cowstat_incs incs = { };

	cowstat_hit(COWSTAT_P_INSTALL);
	f = cowstat_fault_ctx(mm);
	if (f) {
		if (f->kind == COWSTAT_FAULT_WP)
			f->wp.installs++;
		return 0;
	}
	v = cowstat_tct_find(COWSTAT_TCT_VMA);
	if (v && v->dst_mm == mm) {
		v->f.eager++;
		return 0;
	}
	/* At a kprobe on function entry the stack top is the return address. */
	if (cowstat_caller_of(regs_get_kernel_stack_nth(regs, 0)) !=
	    COWSTAT_CALLER_COW_AT_FAULT)
		return 0;
	cowstat_incs_add(&incs, COWSTAT_cow_at_fault, 1);
	cowstat_charge_fault(mm, addr, &incs);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_install_pre);

/* page_move_anon_rmap(page, vma) / folio_move_anon_rmap(folio, vma) */
int cowstat_move_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 1);
	struct cowstat_fault_ctx *f = cowstat_fault_ctx(vma->vm_mm);

	cowstat_hit(COWSTAT_P_MOVE);
	if (!f) {
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_events_uncorrelated);
		return 0;
	}
	switch (f->kind) {
	case COWSTAT_FAULT_WP:
		f->wp.moves++;
		break;
	case COWSTAT_FAULT_THP:
		f->thp.moves++;
		break;
	case COWSTAT_FAULT_HUGETLB:
		if (f->huge.wp)
			f->huge.moves++;
		break;
	}
	return 0;
}

NOKPROBE_SYMBOL(cowstat_move_pre);

/* finish_mkwrite_fault(vmf[, folio]): 0 is a reuse, NOPAGE a lost race. */
int cowstat_mkwrite_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cowstat_fault_ctx *f = cowstat_tct_find(COWSTAT_TCT_FAULT);
	vm_fault_t ret = cowstat_fault_retval(regs);

	cowstat_hit(COWSTAT_P_MKWRITE);
	if (!f || f->kind != COWSTAT_FAULT_WP) {
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_events_uncorrelated);
		return 0;
	}
	if (!ret)
		f->wp.mkwrite_ok++;
	else
		f->wp.mkwrite_raced++;
	return 0;
}

NOKPROBE_SYMBOL(cowstat_mkwrite_ret);

/*
 * handle_userfault(vmf, reason).  Inside a write fault it marks the
 * outcome; a uffd-wp trap of a huge PMD (wp_huge_pmd calls it before
 * do_huge_pmd_wp_page) has no outer context and is charged here.
 */
int cowstat_uffd_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct cowstat_fault_ctx *f = cowstat_tct_find(COWSTAT_TCT_FAULT);
	struct vm_fault *vmf = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long reason = regs_get_kernel_argument(regs, 1);
	struct cowstat_incs incs = { };

	cowstat_hit(COWSTAT_P_UFFD);
	if (f && f->kind == COWSTAT_FAULT_WP) {
		f->wp.uffd++;
		return 0;
	}
	if (f && f->kind == COWSTAT_FAULT_HUGETLB) {
		f->huge.uffd++;
		return 0;
	}
	if (!(reason & VM_UFFD_WP))
		return 0;
	cowstat_incs_add(&incs, COWSTAT_uffd_wp, 1);
	cowstat_charge_fault(vmf->vma->vm_mm, vmf->address, &incs);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_uffd_pre);
