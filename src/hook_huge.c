// SPDX-License-Identifier: GPL-2.0
/*
 * Write faults on huge pages.
 *
 * THP: do_huge_pmd_wp_page (kretprobe) never copies a huge page.  It
 *   either reuses it (the PMD made writable through pmdp_set_access_flags,
 *   a marker probe) or splits the PMD and returns VM_FAULT_FALLBACK, after
 *   which the fault goes on at PTE level in do_wp_page.  Since 6.13
 *   (commit 1ced09e0331f, "mm: allocate THP on hugezeropage wp-fault") a
 *   write to the huge zero page maps a new zeroed THP instead of
 *   splitting: the anon install probe sees it (its site is
 *   map_anon_folio_pmd*, or do_huge_pmd_wp_page where that is inlined)
 *   and counts it in the fault context here.
 * hugetlb: hugetlb_fault (kretprobe) is the outer context; hugetlb_wp is
 *   only a presence marker (its arguments changed within 6.12.y); a
 *   hugetlb anon install after it is a whole-huge-page copy, a move a
 *   reuse after sharing ended, an allocation without install a lost race.
 *   An install before hugetlb_wp is a first touch that hugetlb_no_page
 *   hands to hugetlb_wp only to make it writable: not a COW.
 */

#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/hugetlb.h>
#include <linux/kprobes.h>

#include "compat.h"
#include "glue.h"

int cowstat_huge_wp_entry(struct kretprobe_instance *ri,
			  struct pt_regs *regs)
{
	struct vm_fault *vmf = (void *)regs_get_kernel_argument(regs, 0);
	struct cowstat_fault_ctx *ctx = (void *)ri->data;

	if (!cowstat_outer_on())
		return 1;
	cowstat_hit(COWSTAT_P_HUGE_WP);
	memset(ctx, 0, sizeof(*ctx));
	ctx->kind = COWSTAT_FAULT_THP;
	ctx->mm = vmf->vma->vm_mm;
	ctx->address = vmf->address;
	ctx->thp.unshare = vmf->flags & FAULT_FLAG_UNSHARE;
	cowstat_pmd_kind(vmf->orig_pmd, &ctx->thp.zero, &ctx->thp.exclusive);
	/* HPAGE_PMD_NR, which is a BUILD_BUG without THP (PREEMPT_RT) */
	ctx->thp.pmd_pages = PMD_SIZE >> PAGE_SHIFT;
	ctx->t0 = cowstat_fault_t0();
	ctx->in_tct = cowstat_tct_enter(COWSTAT_TCT_FAULT, ctx);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_huge_wp_entry);

int cowstat_huge_wp_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cowstat_fault_ctx *ctx = (void *)ri->data;
	vm_fault_t ret = cowstat_fault_retval(regs);
	struct cowstat_incs incs = { };
	struct cowstat_rec *rec;

	if (!cowstat_on())
		return 0;
	if (!ctx->in_tct) {
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_events_uncorrelated);
		return 0;
	}
	cowstat_tct_leave(COWSTAT_TCT_FAULT);
	ctx->thp.fallback = ret & VM_FAULT_FALLBACK;
	ctx->thp.ret = cowstat_fault_ret(ret);
	cowstat_classify_thp(&ctx->thp, &incs);
	rec = cowstat_charge_fault(ctx->mm, ctx->address, &incs);
	if (ctx->t0)
		cowstat_account_hist(&cowstat_state, rec, ctx->address,
				     COWSTAT_HIST_THP, cowstat_since(ctx->t0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_huge_wp_ret);

/* pmdp_set_access_flags(vma, address, pmdp, entry, dirty) */
int cowstat_pmd_mkwrite_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 0);
	struct cowstat_fault_ctx *f = cowstat_fault_ctx(vma->vm_mm);

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_PMD_MKWRITE);
	if (f && f->kind == COWSTAT_FAULT_THP)
		f->thp.mkwrites++;
	return 0;
}

NOKPROBE_SYMBOL(cowstat_pmd_mkwrite_pre);

/* hugetlb_fault(mm, vma, address, flags) */
int cowstat_hugetlb_fault_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 1);
	unsigned long address = regs_get_kernel_argument(regs, 2);
	unsigned int flags = regs_get_kernel_argument(regs, 3);
	struct cowstat_fault_ctx *ctx = (void *)ri->data;

	if (!cowstat_outer_on())
		return 1;
	cowstat_hit(COWSTAT_P_HUGETLB_FAULT);
	/* Only write and unshare faults can be write-protect faults. */
	if (!(flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)))
		return 1;
	memset(ctx, 0, sizeof(*ctx));
	ctx->kind = COWSTAT_FAULT_HUGETLB;
	ctx->mm = vma->vm_mm;
	ctx->address = address;
	ctx->huge.unshare = flags & FAULT_FLAG_UNSHARE;
	ctx->huge.shared = vma->vm_flags & VM_MAYSHARE;
	ctx->t0 = cowstat_fault_t0();
	ctx->in_tct = cowstat_tct_enter(COWSTAT_TCT_FAULT, ctx);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_hugetlb_fault_entry);

int cowstat_hugetlb_fault_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct cowstat_fault_ctx *ctx = (void *)ri->data;
	struct cowstat_incs incs = { };
	struct cowstat_rec *rec;

	if (!cowstat_on())
		return 0;
	if (!ctx->in_tct) {
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_events_uncorrelated);
		return 0;
	}
	cowstat_tct_leave(COWSTAT_TCT_FAULT);
	ctx->huge.ret = cowstat_fault_ret(cowstat_fault_retval(regs));
	if (cowstat_classify_hugetlb(&ctx->huge, &incs) == COWSTAT_OUT_NONE)
		return 0;
	rec = cowstat_charge_fault(ctx->mm, ctx->address, &incs);
	if (ctx->t0)
		cowstat_account_hist(&cowstat_state, rec, ctx->address,
				     COWSTAT_HIST_HUGETLB,
				     cowstat_since(ctx->t0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_hugetlb_fault_ret);

/* hugetlb_wp: presence only, its arguments differ between 6.12.y. */
int cowstat_hugetlb_wp_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct cowstat_fault_ctx *f = cowstat_tct_find(COWSTAT_TCT_FAULT);

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_HUGETLB_WP);
	if (f && f->kind == COWSTAT_FAULT_HUGETLB)
		f->huge.wp = true;
	else
		cowstat_health_inc(&cowstat_state,
				   COWSTAT_H_events_uncorrelated);
	return 0;
}

NOKPROBE_SYMBOL(cowstat_hugetlb_wp_pre);

/* hugepage_/hugetlb_add_new_anon_rmap(page or folio, vma, address) */
int cowstat_hugetlb_install_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 1);
	struct mm_struct *mm = vma->vm_mm;
	struct cowstat_fault_ctx *f;
	struct cowstat_vma_ctx *v;

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_HUGETLB_INSTALL);
	f = cowstat_fault_ctx(mm);
	if (f && f->kind == COWSTAT_FAULT_HUGETLB) {
		if (f->huge.wp)
			f->huge.installs++;
		else
			f->huge.installs_before_wp++;
		return 0;
	}
	v = cowstat_fork_vma(mm);
	if (v)
		v->f.eager_huge++;
	return 0;
}

NOKPROBE_SYMBOL(cowstat_hugetlb_install_pre);

/* alloc_huge_page / alloc_hugetlb_folio(vma, addr, avoid_reserve) */
int cowstat_hugetlb_alloc_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct cowstat_fault_ctx *f = cowstat_tct_find(COWSTAT_TCT_FAULT);

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_HUGETLB_ALLOC);
	if (f && f->kind == COWSTAT_FAULT_HUGETLB && f->huge.wp)
		f->huge.allocs++;
	return 0;
}

NOKPROBE_SYMBOL(cowstat_hugetlb_alloc_pre);
