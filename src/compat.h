/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, in one place.
 *
 * The COWSTAT_HAVE_* macros come from Kbuild, which looks for each feature
 * in the headers the module is built against instead of trusting version
 * numbers.  Verified against Debian 6.1.192 and 6.12.95 (see
 * Documentation/design.rst).  A symbol that does not exist on the running
 * kernel fails to register, which makes its counters unavailable: a wrong
 * guess here is visible, never a silently wrong count.
 */
#ifndef _COWSTAT_COMPAT_H
#define _COWSTAT_COMPAT_H

#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/page-flags.h>
#include <linux/pgtable.h>
#include <linux/userfaultfd_k.h>

#include <cowstat/core.h>

/* Anonymous page installed into a page table: folio API since 6.3. */
#ifdef COWSTAT_HAVE_FOLIO_INSTALL
#define COWSTAT_SYM_INSTALL		"folio_add_new_anon_rmap"
#else
#define COWSTAT_SYM_INSTALL		"page_add_new_anon_rmap"
#endif

/* Anonymous page made exclusive to a VMA: folio API since 6.7. */
#ifdef COWSTAT_HAVE_FOLIO_MOVE
#define COWSTAT_SYM_MOVE		"folio_move_anon_rmap"
#else
#define COWSTAT_SYM_MOVE		"page_move_anon_rmap"
#endif

/* Anonymous hugetlb page installed: renamed in 6.8. */
#ifdef COWSTAT_HAVE_HUGETLB_FOLIO_INSTALL
#define COWSTAT_SYM_HUGETLB_INSTALL	"hugetlb_add_new_anon_rmap"
#else
#define COWSTAT_SYM_HUGETLB_INSTALL	"hugepage_add_new_anon_rmap"
#endif

/* hugetlb page allocation for a fault: folio API since 6.4. */
#ifdef COWSTAT_HAVE_HUGETLB_FOLIO_ALLOC
#define COWSTAT_SYM_HUGETLB_ALLOC	"alloc_hugetlb_folio"
#else
#define COWSTAT_SYM_HUGETLB_ALLOC	"alloc_huge_page"
#endif

/*
 * Exact rss of an mm.  6.1 keeps atomics (the fork child has no task
 * whose SPLIT_RSS cache could hold pages back); from 6.2 rss is a percpu
 * counter whose cheap read is approximate, so sum it.  __percpu_counter_sum
 * takes a raw spinlock: fine in a handler, also on PREEMPT_RT.
 */
static inline s64 cowstat_mm_rss(struct mm_struct *mm, int member)
{
#ifdef COWSTAT_HAVE_PERCPU_RSS
	return percpu_counter_sum(&mm->rss_stat[member]);
#else
	return atomic_long_read(&mm->rss_stat.count[member]);
#endif
}

static inline s64 cowstat_mm_hugetlb(struct mm_struct *mm)
{
#ifdef CONFIG_HUGETLB_PAGE
	return atomic_long_read(&mm->hugetlb_usage);
#else
	return 0;
#endif
}

/* Replica of mm/memory.c vma_needs_copy() (same in 6.1 and 6.12). */
static inline bool cowstat_vma_needs_copy(struct vm_area_struct *dst_vma,
					  struct vm_area_struct *src_vma)
{
	if (userfaultfd_wp(dst_vma))
		return true;
	if (src_vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP))
		return true;
	return src_vma->anon_vma;
}

/*
 * Does do_wp_page treat the VMA as a shared mapping?  6.1 tests
 * VM_WRITE|VM_SHARED (after anonymous pages); 6.2 tests VM_SHARED or
 * VM_MAYSHARE first.
 */
static inline bool cowstat_wp_shared(const struct vm_area_struct *vma)
{
#ifdef COWSTAT_HAVE_VM_FAULT_WRITE
	return (vma->vm_flags & (VM_WRITE | VM_SHARED)) ==
	       (VM_WRITE | VM_SHARED);
#else
	return vma->vm_flags & (VM_SHARED | VM_MAYSHARE);
#endif
}

/*
 * Does a write to a shared VMA go through page_mkwrite (a page) or
 * pfn_mkwrite (no struct page) and then finish_mkwrite_fault?  Same in 6.1
 * and 6.12.
 */
static inline bool cowstat_has_mkwrite(const struct vm_area_struct *vma,
				       enum cowstat_page_kind kind)
{
	const struct vm_operations_struct *ops = vma->vm_ops;

	if (!ops)
		return false;
	if (kind == COWSTAT_PAGE_ZERO || kind == COWSTAT_PAGE_PFN)
		return ops->pfn_mkwrite;
	return ops->page_mkwrite;
}

/* 6.1 answers FAULT_FLAG_UNSHARE on a non-anonymous page with nothing. */
static inline bool cowstat_unshare_noop(enum cowstat_page_kind kind)
{
#ifdef COWSTAT_HAVE_VM_FAULT_WRITE
	return kind == COWSTAT_PAGE_ZERO || kind == COWSTAT_PAGE_FILE ||
	       kind == COWSTAT_PAGE_PFN;
#else
	return false;
#endif
}

/*
 * pfn_valid() for the PFN of a present, not special PTE, with each CPU
 * remembering the last memory section it found valid whole: an early
 * section (memory present at boot) has a struct page for every PFN in
 * it, where a section added later is valid by subsection.  Write faults
 * come in runs over one region, so most calls end at the compare (6.12's
 * pfn_valid() is out of line, about 34 instructions).  A section going
 * offline clears every CPU's (hook_fault.c): no PTE maps a page of it
 * once it is offline.  Without SPARSEMEM (not x86-64), pfn_valid().
 */
#ifdef CONFIG_SPARSEMEM
DECLARE_PER_CPU(unsigned long, cowstat_early_section);
bool cowstat_pfn_valid_slow(unsigned long pfn);

static __always_inline bool cowstat_pfn_valid(unsigned long pfn)
{
	if (likely(this_cpu_read(cowstat_early_section) ==
		   pfn_to_section_nr(pfn)))
		return true;
	return cowstat_pfn_valid_slow(pfn);
}
#else
static __always_inline bool cowstat_pfn_valid(unsigned long pfn)
{
	return pfn_valid(pfn);
}
#endif

/*
 * What a write-protected PTE maps, decided like vm_normal_page() does on
 * x86 (which has pte_special): special PTEs are the zero page or raw PFNs.
 * Called with the page table lock held (do_wp_page entry), so the page
 * cannot go away.
 */
static __always_inline enum cowstat_page_kind
cowstat_pte_kind(pte_t pte, bool *exclusive)
{
	unsigned long pfn = pte_pfn(pte);
	struct folio *folio;
	struct page *page;

	*exclusive = false;
	if (is_zero_pfn(pfn))
		return COWSTAT_PAGE_ZERO;
	if (pte_special(pte) || !cowstat_pfn_valid(pfn))
		return COWSTAT_PAGE_PFN;
	page = pfn_to_page(pfn);
	/* Its head read once (PageAnon() and PageKsm() read it each). */
	folio = page_folio(page);
	if (!folio_test_anon(folio))
		return COWSTAT_PAGE_FILE;
	if (folio_test_ksm(folio))
		return COWSTAT_PAGE_KSM;
	*exclusive = PageAnonExclusive(page);
	return COWSTAT_PAGE_ANON;
}

/* The same for a huge PMD in an anonymous VMA (do_huge_pmd_wp_page). */
static inline void cowstat_pmd_kind(pmd_t pmd, bool *zero, bool *exclusive)
{
	struct page *page;

	*zero = false;
	*exclusive = false;
	if (!pmd_present(pmd))
		return;
	page = pmd_page(pmd);
	/*
	 * huge_zero_pfn is not exported; in an anonymous VMA a huge PMD
	 * that maps a non-anonymous page is the huge zero page.
	 */
	if (!PageAnon(page)) {
		*zero = true;
		return;
	}
	*exclusive = PageAnonExclusive(page);
}

/* The return value of a fault handler, boiled down. */
static inline enum cowstat_fault_ret cowstat_fault_ret(vm_fault_t ret)
{
	if (ret & (VM_FAULT_ERROR & ~VM_FAULT_FALLBACK))
		return COWSTAT_RET_ERROR;
	if (ret & VM_FAULT_RETRY)
		return COWSTAT_RET_RETRY;
	if (ret & VM_FAULT_NOPAGE)
		return COWSTAT_RET_NOPAGE;
	return COWSTAT_RET_OK;
}

#endif /* _COWSTAT_COMPAT_H */
