// SPDX-License-Identifier: GPL-2.0
/*
 * Write faults at PTE level.
 *
 * do_wp_page is the outer context.  Its entry records what the PTE mapped
 * and the fault flags; nested markers correlated through the task-context
 * table say what happened, which works whether or not wp_page_copy is a
 * function of its own (it is inlined into do_wp_page on 6.12).  By default
 * (wp_return=0) do_wp_page has an entry hook only: the entry charges
 * wp_faults, and the outcome where the entry state decides it; otherwise
 * the marker that proves the outcome charges it, and a call that lost a
 * race, failed or is to be retried charges nothing more (so wp_races,
 * wp_errors and wp_retries are unavailable).  With wp_return=1 do_wp_page
 * is a kretprobe whose return commits the one outcome, failures included.
 * The markers:
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

#include <linux/hash.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/userfaultfd_k.h>

#include "compat.h"
#include "glue.h"

#ifdef CONFIG_SPARSEMEM
/* The section each CPU found valid whole last (compat.h); none at first. */
DEFINE_PER_CPU(unsigned long, cowstat_early_section) = ULONG_MAX;

/* Called by a handler, preemption disabled. */
bool cowstat_pfn_valid_slow(unsigned long pfn)
{
	if (!pfn_valid(pfn))
		return false;
	if (early_section(__pfn_to_section(pfn)))
		this_cpu_write(cowstat_early_section, pfn_to_section_nr(pfn));
	return true;
}

NOKPROBE_SYMBOL(cowstat_pfn_valid_slow);

static void cowstat_sections_forget(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		WRITE_ONCE(per_cpu(cowstat_early_section, cpu), ULONG_MAX);
}

static int cowstat_memory_event(struct notifier_block *nb,
				unsigned long action, void *arg)
{
	if (action == MEM_GOING_OFFLINE || action == MEM_OFFLINE)
		cowstat_sections_forget();
	return NOTIFY_OK;
}

static struct notifier_block cowstat_memory_nb = {
	.notifier_call = cowstat_memory_event,
};

int cowstat_sections_init(void)
{
	return register_memory_notifier(&cowstat_memory_nb);
}

void cowstat_sections_exit(void)
{
	unregister_memory_notifier(&cowstat_memory_nb);
}
#else
int cowstat_sections_init(void)
{
	return 0;
}

void cowstat_sections_exit(void)
{
}
#endif

/* A uffd-wp trap: handle_userfault() follows at once (6.7+: unless async). */
static __always_inline bool cowstat_uffd_trap(struct vm_area_struct *vma,
					      pte_t pte)
{
	if (!userfaultfd_pte_wp(vma, pte))
		return false;
#ifdef COWSTAT_HAVE_UFFD_WP_ASYNC
	/*
	 * Async mode clears the bit and goes on as if it was not set (as
	 * userfaultfd_wp_async(), which is not exported, tells).
	 */
	if (vma->vm_userfaultfd_ctx.ctx &&
	    (vma->vm_userfaultfd_ctx.ctx->features & UFFD_FEATURE_WP_ASYNC))
		return false;
#endif
	return true;
}

/* do_wp_page(vmf) on an entry hook alone (wp_return=0). */
static __always_inline void cowstat_wp_enter(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct cowstat_wp_fault wp = { };
	struct cowstat_ones ones = { };
	struct cowstat_wp_pending *p;
	struct cowstat_rec *rec;

	/* Entered with the page table lock held: the page is stable. */
	wp.unshare = vmf->flags & FAULT_FLAG_UNSHARE;
	wp.kind = cowstat_pte_kind(vmf->orig_pte, &wp.exclusive);
	if (!wp.unshare && cowstat_uffd_trap(vma, vmf->orig_pte)) {
		wp.uffd = 1;
	} else {
		wp.unshare_noop = wp.unshare && cowstat_unshare_noop(wp.kind);
		wp.shared = cowstat_wp_shared(vma);
		wp.has_mkwrite = cowstat_has_mkwrite(vma, wp.kind);
	}
	/*
	 * wp_faults, and the outcome where the entry decides it; a uffd-wp
	 * trap is counted here too, and handle_userfault() told apart.  An
	 * undecided entry charges wp_faults alone: spelt out, so that the
	 * common path charges one known counter.
	 */
	if (cowstat_classify_wp_entry(&wp, &ones)) {
		rec = cowstat_charge_fault_ones(vma->vm_mm, vmf->address,
						&ones);
		if (!wp.uffd)
			return;
	} else {
		ones = (struct cowstat_ones){ .ids = COWSTAT_wp_faults, .n = 1 };
		rec = cowstat_charge_fault_ones(vma->vm_mm, vmf->address,
						&ones);
	}
	p = cowstat_tct_wp_open();
	if (!p)
		return;
	p->rec = rec;
	p->address = vmf->address & PAGE_MASK;
	p->kind = wp.kind;
	p->unshare = wp.unshare;
	p->uffd = wp.uffd;
	p->mm = vma->vm_mm;
}

int cowstat_do_wp_page_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (!cowstat_outer_on())
		return 0;
	cowstat_hit(COWSTAT_P_DO_WP_PAGE);
	cowstat_wp_enter((void *)regs_get_kernel_argument(regs, 0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_do_wp_page_pre);

#if COWSTAT_HAVE_FENTRY
notrace COWSTAT_FENTRY_DECL(cowstat_do_wp_page)
{
	struct pt_regs *regs = cowstat_fregs(fregs);

	preempt_disable_notrace();
	if (cowstat_outer_on()) {
		cowstat_hit(COWSTAT_P_DO_WP_PAGE);
		cowstat_wp_enter((void *)regs_get_kernel_argument(regs, 0));
	}
	preempt_enable_notrace();
}
#endif

/* @m proves the outcome of current's pending do_wp_page in @s: charge it. */
static __always_inline void cowstat_wp_tell(struct cowstat_tct_slot *s,
					    enum cowstat_wp_marker m)
{
	/* Each branch with a constant flag: its counters fold to constants. */
	if (unlikely(s->wp.unshare)) {
		struct cowstat_ones ones = { };

		cowstat_classify_wp_told(s->wp.kind, true, m, &ones);
		cowstat_charge_outcome(&s->wp, &ones);
	} else {
		struct cowstat_ones ones = { };

		cowstat_classify_wp_told(s->wp.kind, false, m, &ones);
		cowstat_charge_outcome(&s->wp, &ones);
	}
	cowstat_tct_wp_close(s);
}

int cowstat_do_wp_page_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct vm_fault *vmf = (void *)regs_get_kernel_argument(regs, 0);
	struct cowstat_fault_ctx *ctx = (void *)ri->data;
	struct vm_area_struct *vma = vmf->vma;

	if (!cowstat_outer_on())
		return 1;
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
	ctx->t0 = cowstat_fault_t0();
	/*
	 * An exclusive anonymous page in a private mapping, not armed for
	 * uffd-wp, is reused (or kept, for an unshare) under the page table
	 * lock held since entry: no marker, no failure, and 0 is returned.
	 * Count it now and skip the return hook, unless latency is timed.
	 */
	if (ctx->wp.kind == COWSTAT_PAGE_ANON && ctx->wp.exclusive &&
	    !ctx->wp.shared && !ctx->t0 &&
	    !userfaultfd_pte_wp(vma, vmf->orig_pte)) {
		struct cowstat_incs incs = { };

		ctx->wp.ret = COWSTAT_RET_OK;
		cowstat_classify_wp(&ctx->wp, &incs);
		cowstat_charge_fault(ctx->mm, ctx->address, &incs);
		return 1;
	}
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
	struct cowstat_rec *rec;

	if (!cowstat_on())
		return 0;
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
	rec = cowstat_charge_fault(ctx->mm, ctx->address, &incs);
	if (!ctx->t0)
		return 0;
	if (o < ARRAY_SIZE(cowstat_wp_hist) && cowstat_wp_hist[o])
		h = cowstat_wp_hist[o];
	/* The system's histogram and those of the groups charged above. */
	cowstat_account_hist(&cowstat_state, rec, ctx->address, h,
			     cowstat_since(ctx->t0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_do_wp_page_ret);

/*
 * What an install means, by the address it returns to (enum cowstat_site).
 * A cache of 128 sets of two words: each word the return address shifted
 * left by two with the class in the two bits freed (kernel and module text
 * have their two top address bits set, so the shift loses nothing), so one
 * load and one compare answer, and a plain store publishes an entry whole.
 * A miss looks the address up in kallsyms (some 15 000 instructions) and
 * puts it first in its set, the entry that was first going second: two
 * addresses that share a set no longer evict each other (with one word a
 * set, two install sites of a fork+exec did, and every cycle paid a
 * lookup).  A module's text may be reused by another module after an
 * unload; every module address is COWSTAT_SITE_NONE, so a stale entry is
 * still right.
 */
#define COWSTAT_SITE_BITS	7
#define COWSTAT_TEXT_TOP	(3UL << (BITS_PER_LONG - 2))

static unsigned long cowstat_sites[1UL << COWSTAT_SITE_BITS][2];

static noinline enum cowstat_site
cowstat_site_lookup(unsigned long ra, unsigned long *set)
{
	char sym[KSYM_SYMBOL_LEN];
	enum cowstat_site site;

	sprint_symbol_no_offset(sym, ra);
	site = cowstat_classify_site(sym);
	if ((ra & COWSTAT_TEXT_TOP) == COWSTAT_TEXT_TOP) {
		WRITE_ONCE(set[1], READ_ONCE(set[0]));
		WRITE_ONCE(set[0], (ra << 2) | site);
	}
	return site;
}

static __always_inline enum cowstat_site cowstat_site_of(unsigned long ra)
{
	unsigned long *set = cowstat_sites[hash_long(ra, COWSTAT_SITE_BITS)];
	unsigned long v = READ_ONCE(set[0]);

	if (likely((v ^ (ra << 2)) < 4))
		return v & 3;
	v = READ_ONCE(set[1]);
	if (likely((v ^ (ra << 2)) < 4))
		return v & 3;
	return cowstat_site_lookup(ra, set);
}

/*
 * An install returning to a COW site (@site, not COWSTAT_SITE_NONE), its
 * arguments in @regs: (page, vma, address).
 */
static noinline void cowstat_install_at(enum cowstat_site site,
					struct pt_regs *regs)
{
	struct page *page = (void *)regs_get_kernel_argument(regs, 0);
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 1);
	unsigned long addr = regs_get_kernel_argument(regs, 2);
	struct cowstat_ones ones = { };
	struct cowstat_fault_ctx *f;
	struct cowstat_vma_ctx *v;

	/* The COW break first: by far the most frequent of the three. */
	if (likely(site == COWSTAT_SITE_WP)) {
		/*
		 * A large folio (a page or the head of a folio) is a THP the
		 * huge zero page's write fault maps (6.13+), or a first touch
		 * through the same site: never a do_wp_page copy.
		 */
		if (PageCompound(page)) {
			f = cowstat_fault_ctx(vma->vm_mm);
			if (f && f->kind == COWSTAT_FAULT_THP)
				f->thp.installs++;
			return;
		}
		if (!cowstat_wp_return) {
			struct cowstat_tct_slot *s = cowstat_tct_mine();

			if (s && s->wp.mm == vma->vm_mm &&
			    s->wp.address == (addr & PAGE_MASK) && !s->wp.uffd)
				cowstat_wp_tell(s, COWSTAT_WP_INSTALL);
			return;
		}
		f = cowstat_fault_ctx(vma->vm_mm);
		if (f && f->kind == COWSTAT_FAULT_WP)
			f->wp.installs++;
		return;
	}
	if (site == COWSTAT_SITE_FORK) {
		v = cowstat_fork_vma(vma->vm_mm);
		if (v)
			v->f.eager++;
		return;
	}
	if (site == COWSTAT_SITE_COW_AT_FAULT) {
		cowstat_ones_add(&ones, COWSTAT_cow_at_fault);
		cowstat_charge_fault_ones(vma->vm_mm, addr, &ones);
	}
}

NOKPROBE_SYMBOL(cowstat_install_at);

/*
 * page_add_new_anon_rmap(page, vma, addr) / folio_add_new_anon_rmap(...),
 * returning to @ra.  Every first touch of anonymous memory on the machine
 * comes here: anything that is not a COW site leaves after one compare,
 * before any of the work a COW site needs (out of line, @regs read there).
 */
static __always_inline void cowstat_install(struct pt_regs *regs,
					    unsigned long ra)
{
	enum cowstat_site site = cowstat_site_of(ra);

	if (likely(site == COWSTAT_SITE_NONE))
		return;
	cowstat_install_at(site, regs);
}

#if COWSTAT_HAVE_FENTRY
notrace COWSTAT_FENTRY_DECL(cowstat_install)
{
	struct pt_regs *regs = cowstat_fregs(fregs);

	preempt_disable_notrace();
	if (cowstat_on()) {
		cowstat_hit(COWSTAT_P_INSTALL);
		cowstat_install(regs, parent_ip);
	}
	preempt_enable_notrace();
}
#endif

int cowstat_install_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_INSTALL);
	/* At a kprobe on function entry the stack top is the return address. */
	cowstat_install(regs, regs_get_kernel_stack_nth(regs, 0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_install_pre);

/*
 * page_move_anon_rmap(page, vma) / folio_move_anon_rmap(folio, vma),
 * returning to @ra.
 */
static __always_inline void cowstat_move(struct vm_area_struct *vma,
					 unsigned long ra)
{
	struct cowstat_tct_slot *s = cowstat_tct_mine();
	struct cowstat_fault_ctx *f;

	/*
	 * No write fault of ours around it: UFFDIO_MOVE (6.8+) moves pages
	 * this way, and a fault whose outer hook ran before cowstat was live
	 * or found the task-context table full (counted in tct_full) ends
	 * here too.  None of them is a COW event.
	 */
	if (!s)
		return;
	f = s->ctx[COWSTAT_TCT_FAULT];
	if (!f || f->mm != vma->vm_mm) {
		/*
		 * A pending do_wp_page is told by a move from do_wp_page
		 * itself (or wp_can_reuse_anon_folio), never by a
		 * UFFDIO_MOVE the same task makes after a lost race.
		 */
		if (!cowstat_wp_return && s->wp.mm == vma->vm_mm &&
		    !s->wp.uffd && cowstat_site_of(ra) == COWSTAT_SITE_WP)
			cowstat_wp_tell(s, COWSTAT_WP_MOVE);
		return;
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
}

#if COWSTAT_HAVE_FENTRY
notrace COWSTAT_FENTRY_DECL(cowstat_move)
{
	struct pt_regs *regs = cowstat_fregs(fregs);

	preempt_disable_notrace();
	if (cowstat_on()) {
		cowstat_hit(COWSTAT_P_MOVE);
		cowstat_move((void *)regs_get_kernel_argument(regs, 1),
			     parent_ip);
	}
	preempt_enable_notrace();
}
#endif

int cowstat_move_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_MOVE);
	cowstat_move((void *)regs_get_kernel_argument(regs, 1),
		     regs_get_kernel_stack_nth(regs, 0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_move_pre);

/*
 * ptep_set_access_flags(vma, address, ptep, entry, dirty), returning to
 * @ra; armed from 6.15 only (COWSTAT_HAVE_LARGE_REUSE).  There do_wp_page
 * reuses a page of a PTE-mapped large folio that no other mm maps in
 * place: no folio_move_anon_rmap, only wp_page_reuse() (inline, hence
 * @ra in do_wp_page) making the PTE writable with @dirty set.  For a
 * pending anonymous write fault that was not exclusive at entry and that
 * nothing has told yet, that update is its reuse, after sharing ended: a
 * moved reuse.  A small folio's reuse was told by its move just before,
 * and every other caller (access-flag faults, shared mappings, a copy's
 * young bit) is not a pending anonymous do_wp_page or has @dirty clear.
 */
static __always_inline void cowstat_pte_reuse(struct vm_area_struct *vma,
					      unsigned long addr, int dirty,
					      unsigned long ra)
{
	struct cowstat_tct_slot *s;
	struct cowstat_fault_ctx *f;

	if (!dirty)
		return;
	s = cowstat_tct_mine();
	if (!s)
		return;
	f = s->ctx[COWSTAT_TCT_FAULT];
	if (!f) {
		if (!cowstat_wp_return && s->wp.mm == vma->vm_mm &&
		    s->wp.address == (addr & PAGE_MASK) &&
		    s->wp.kind == COWSTAT_PAGE_ANON && !s->wp.unshare &&
		    !s->wp.uffd && cowstat_site_of(ra) == COWSTAT_SITE_WP)
			cowstat_wp_tell(s, COWSTAT_WP_MOVE);
		return;
	}
	if (f->kind == COWSTAT_FAULT_WP && f->mm == vma->vm_mm &&
	    (f->address & PAGE_MASK) == (addr & PAGE_MASK) &&
	    f->wp.kind == COWSTAT_PAGE_ANON && !f->wp.exclusive &&
	    !f->wp.unshare && !f->wp.moves && !f->wp.installs &&
	    cowstat_site_of(ra) == COWSTAT_SITE_WP)
		f->wp.moves++;
}

#if COWSTAT_HAVE_FENTRY
notrace COWSTAT_FENTRY_DECL(cowstat_pte_reuse)
{
	struct pt_regs *regs = cowstat_fregs(fregs);

	preempt_disable_notrace();
	if (cowstat_on()) {
		cowstat_hit(COWSTAT_P_PTE_REUSE);
		cowstat_pte_reuse((void *)regs_get_kernel_argument(regs, 0),
				  regs_get_kernel_argument(regs, 1),
				  (int)regs_get_kernel_argument(regs, 4),
				  parent_ip);
	}
	preempt_enable_notrace();
}
#endif

int cowstat_pte_reuse_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_PTE_REUSE);
	cowstat_pte_reuse((void *)regs_get_kernel_argument(regs, 0),
			  regs_get_kernel_argument(regs, 1),
			  (int)regs_get_kernel_argument(regs, 4),
			  regs_get_kernel_stack_nth(regs, 0));
	return 0;
}

NOKPROBE_SYMBOL(cowstat_pte_reuse_pre);

/* finish_mkwrite_fault(vmf[, folio]): 0 is a reuse, NOPAGE a lost race. */
int cowstat_mkwrite_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cowstat_fault_ctx *f = cowstat_tct_find(COWSTAT_TCT_FAULT);
	vm_fault_t ret = cowstat_fault_retval(regs);

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_MKWRITE);
	if (!cowstat_wp_return) {
		struct cowstat_tct_slot *s = cowstat_tct_mine();

		if (!s || !s->wp.mm || s->wp.uffd) {
			cowstat_health_inc(&cowstat_state,
					   COWSTAT_H_events_uncorrelated);
			return 0;
		}
		/* NOPAGE: a lost race, left untold like every failure. */
		if (ret)
			cowstat_tct_wp_close(s);
		else
			cowstat_wp_tell(s, COWSTAT_WP_MKWRITE_OK);
		return 0;
	}
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

	if (!cowstat_on())
		return 0;
	cowstat_hit(COWSTAT_P_UFFD);
	if (!cowstat_wp_return && !f) {
		struct cowstat_tct_slot *s = cowstat_tct_mine();

		/* The trap do_wp_page's entry counted already. */
		if (s && s->wp.uffd && s->wp.mm == vmf->vma->vm_mm &&
		    s->wp.address == (vmf->address & PAGE_MASK)) {
			cowstat_tct_wp_close(s);
			return 0;
		}
	}
	if (f && f->kind == COWSTAT_FAULT_WP) {
		f->wp.uffd++;
		return 0;
	}
	if (f && f->kind == COWSTAT_FAULT_HUGETLB) {
		/*
		 * hugetlb_fault also reaches here for MISSING and MINOR
		 * userfaults of a page that is not there yet: no uffd-wp.
		 */
		if (reason & VM_UFFD_WP)
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
