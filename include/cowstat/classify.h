/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure classifiers: what the probes saw during one fault or one VMA
 * copy, turned into counter increments.
 *
 * Each write-protect fault has exactly one outcome, decided when its
 * outer handler returns, from the page it found at entry and the nested
 * markers that fired in between (install of a new anonymous page, move of
 * an anonymous page to exclusive, reuse, mkwrite, userfaultfd).
 *
 * No includes, no kernel headers: the module (through core.h), KUnit and
 * cowtrace's BPF programs (tools/cowtrace/cowtrace.bpf.c, on vmlinux.h)
 * compile this same code, so the counters are classified once.  The
 * includer provides bool, u8, u64, s64, __always_inline and enum
 * cowstat_counter (counters.h).  Everything is static inline, so no object
 * file is needed (the write-fault classifiers always inline: only so do
 * the module's handlers keep their struct cowstat_ones in registers); the
 * BPF programs define one function out of line (COWSTAT_INCS_ADD_EXTERN,
 * at cowstat_incs_append()).
 */
#ifndef _COWSTAT_CLASSIFY_H
#define _COWSTAT_CLASSIFY_H

#define COWSTAT_MAX_INCS	12
/* ENOSPC without <linux/errno.h>; classify.c checks that they agree. */
#define COWSTAT_ENOSPC		28
#define COWSTAT_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/**
 * struct cowstat_incs - the counter increments one event produces
 * @nr:  number of valid entries
 * @id:  counter (enum cowstat_counter) of each entry
 * @val: amount added to that counter
 *
 * An event touches a handful of counters (a fork VMA at most ten), so a
 * short list beats a full counter vector on the hot path.
 */
struct cowstat_incs {
	unsigned int nr;
	u8 id[COWSTAT_MAX_INCS];
	u64 val[COWSTAT_MAX_INCS];
};

/**
 * enum cowstat_page_kind - what a write-protected PTE mapped at the fault
 * @COWSTAT_PAGE_ANON: an anonymous page
 * @COWSTAT_PAGE_ZERO: the shared zero page
 * @COWSTAT_PAGE_FILE: a page-cache (file or shmem) page
 * @COWSTAT_PAGE_KSM:  a KSM-merged page
 * @COWSTAT_PAGE_PFN:  a PFN without struct page semantics (special PTE)
 */
enum cowstat_page_kind {
	COWSTAT_PAGE_ANON,
	COWSTAT_PAGE_ZERO,
	COWSTAT_PAGE_FILE,
	COWSTAT_PAGE_KSM,
	COWSTAT_PAGE_PFN,
};

/**
 * enum cowstat_fault_ret - the return value of a fault handler, boiled down
 * @COWSTAT_RET_OK:     success (0, VM_FAULT_WRITE, VM_FAULT_COMPLETED, ...)
 * @COWSTAT_RET_NOPAGE: VM_FAULT_NOPAGE: nothing done, the PTE changed
 * @COWSTAT_RET_RETRY:  VM_FAULT_RETRY: to be redone under mmap_lock
 * @COWSTAT_RET_ERROR:  VM_FAULT_OOM, SIGBUS, SIGSEGV, HWPOISON
 */
enum cowstat_fault_ret {
	COWSTAT_RET_OK,
	COWSTAT_RET_NOPAGE,
	COWSTAT_RET_RETRY,
	COWSTAT_RET_ERROR,
};

/**
 * enum cowstat_outcome - the one outcome of a write-protect fault
 * @COWSTAT_OUT_NONE:    not a write-protect fault (nothing counted)
 * @COWSTAT_OUT_COPY:    a copy was installed
 * @COWSTAT_OUT_REUSE:   the page was reused
 * @COWSTAT_OUT_SHARED:  write to a shared mapping
 * @COWSTAT_OUT_UNSHARE_KEPT: GUP unshare that needed no copy
 * @COWSTAT_OUT_SPLIT:   THP PMD split, the fault goes on at PTE level
 * @COWSTAT_OUT_UFFD:    handed to userfaultfd
 * @COWSTAT_OUT_RACE:    lost a race, nothing installed
 * @COWSTAT_OUT_ERROR:   failed
 * @COWSTAT_OUT_RETRY:   retried under mmap_lock
 */
enum cowstat_outcome {
	COWSTAT_OUT_NONE,
	COWSTAT_OUT_COPY,
	COWSTAT_OUT_REUSE,
	COWSTAT_OUT_SHARED,
	COWSTAT_OUT_UNSHARE_KEPT,
	COWSTAT_OUT_SPLIT,
	COWSTAT_OUT_UFFD,
	COWSTAT_OUT_RACE,
	COWSTAT_OUT_ERROR,
	COWSTAT_OUT_RETRY,
};

/**
 * struct cowstat_wp_fault - one do_wp_page invocation
 * @kind:     the page the PTE mapped at entry
 * @exclusive: an anonymous page that was PageAnonExclusive at entry
 * @unshare:  FAULT_FLAG_UNSHARE (a GUP read pin, not a write)
 * @unshare_noop: this kernel answers an unshare of this (non-anonymous)
 *            page with nothing (6.1); from 6.2 it copies
 * @shared:   the VMA is a shared mapping
 * @has_mkwrite: the shared VMA has a page_mkwrite (pfn_mkwrite for a page
 *            without struct page) handler, so its reuse goes through
 *            finish_mkwrite_fault; without one do_wp_page reuses the page
 *            under the page table lock it entered with, so it cannot fail
 * @installs: new anonymous pages installed into this mm during the call
 * @moves:    anon pages made exclusive (*_move_anon_rmap) during the call
 * @reuses:   wp_page_reuse calls seen during the call.  wp_page_reuse is
 *            declared inline (hence notrace) in 6.1 and 6.12, so the glue
 *            does not probe it and leaves this 0: an exclusive anonymous
 *            page (@exclusive) or a shared VMA without mkwrite is reused
 *            without a marker, decided under the page table lock held
 *            since entry
 * @mkwrite_ok:     finish_mkwrite_fault calls that returned 0 (reuse)
 * @mkwrite_raced:  finish_mkwrite_fault calls that returned NOPAGE
 * @uffd:     handle_userfault calls during the call
 * @ret:      the return value
 */
struct cowstat_wp_fault {
	enum cowstat_page_kind kind;
	bool exclusive;
	bool unshare;
	bool unshare_noop;
	bool shared;
	bool has_mkwrite;
	unsigned int installs;
	unsigned int moves;
	unsigned int reuses;
	unsigned int mkwrite_ok;
	unsigned int mkwrite_raced;
	unsigned int uffd;
	enum cowstat_fault_ret ret;
};

/**
 * struct cowstat_thp_fault - one do_huge_pmd_wp_page invocation
 * @unshare:   FAULT_FLAG_UNSHARE
 * @zero:      the PMD mapped the huge zero page
 * @exclusive: the THP was PageAnonExclusive at entry
 * @moves:     *_move_anon_rmap calls during the call
 * @mkwrites:  pmdp_set_access_flags calls during the call (the reuse path
 *             makes the PMD writable through it)
 * @installs:  new anonymous folios mapped by the PMD during the call: since
 *             6.13 (commit 1ced09e0331f, "mm: allocate THP on hugezeropage
 *             wp-fault") a write to the huge zero page maps a new, zeroed
 *             THP instead of splitting the PMD
 * @pmd_pages: base pages per PMD (HPAGE_PMD_NR): what such a THP holds
 * @fallback:  the return value had VM_FAULT_FALLBACK (the PMD was split)
 * @ret:       the rest of the return value
 */
struct cowstat_thp_fault {
	bool unshare;
	bool zero;
	bool exclusive;
	unsigned int moves;
	unsigned int mkwrites;
	unsigned int installs;
	unsigned int pmd_pages;
	bool fallback;
	enum cowstat_fault_ret ret;
};

/**
 * struct cowstat_hugetlb_fault - one hugetlb_fault invocation
 * @unshare:        FAULT_FLAG_UNSHARE
 * @shared:         the VMA is a shared mapping (VM_MAYSHARE)
 * @wp:             hugetlb_wp ran (else it was not a write-protect fault)
 * @installs_before_wp: new anon huge pages installed before hugetlb_wp ran
 *                  (a first-touch fault; its hugetlb_wp is not a COW)
 * @installs:       new anon huge pages installed after hugetlb_wp began
 * @moves:          *_move_anon_rmap calls after hugetlb_wp began
 * @allocs:         huge page allocations after hugetlb_wp began
 * @uffd:           handle_userfault calls during the fault
 * @ret:            the return value
 */
struct cowstat_hugetlb_fault {
	bool unshare;
	bool shared;
	bool wp;
	unsigned int installs_before_wp;
	unsigned int installs;
	unsigned int moves;
	unsigned int allocs;
	unsigned int uffd;
	enum cowstat_fault_ret ret;
};

/**
 * struct cowstat_fork_vma - one copy_page_range invocation
 * @copied:       vma_needs_copy() was true (else the VMA was skipped)
 * @hugetlb:      the VMA is a hugetlb VMA
 * @d_anon:       child MM_ANONPAGES after minus before
 * @d_file:       child MM_FILEPAGES delta
 * @d_shmem:      child MM_SHMEMPAGES delta
 * @d_swap:       child MM_SWAPENTS delta
 * @d_pt_bytes:   child pgtables_bytes delta
 * @d_hugetlb:    child hugetlb_usage delta, in base pages
 * @huge_pages:   base pages per huge page of a hugetlb VMA (else 0)
 * @eager:        pages copied at once into the child (pinned pages), not
 *                counting huge ones
 * @eager_huge:   hugetlb pages copied at once into the child
 * @thp:          anonymous THP PMDs shared (copy_huge_pmd returned 0 and
 *                the child gained a whole THP)
 * @page_size:    PAGE_SIZE of the kernel
 */
struct cowstat_fork_vma {
	bool copied;
	bool hugetlb;
	s64 d_anon;
	s64 d_file;
	s64 d_shmem;
	s64 d_swap;
	s64 d_pt_bytes;
	s64 d_hugetlb;
	unsigned long huge_pages;
	unsigned int eager;
	unsigned int eager_huge;
	unsigned int thp;
	unsigned long page_size;
};

/* Counters a struct cowstat_ones holds at most. */
#define COWSTAT_ONES_MAX 3

/**
 * struct cowstat_ones - an event that adds 1 to each of a few counters
 * @ids: the counters (enum cowstat_counter), each at most once, one a
 *       byte from the lowest
 * @n:   number of counters, COWSTAT_ONES_MAX at most
 *
 * The common write-fault events (a copy, a reuse, a shared write, a
 * wp_faults) are no more than that: charging them needs no increment list
 * (struct cowstat_incs is 112 bytes to clear, copy and scan).  Two words,
 * not an array: the handlers that build one keep it in registers (an
 * array indexed by a count lives in stack memory, and brings the stack
 * protector's canary into every handler).
 */
struct cowstat_ones {
	unsigned int ids;
	unsigned int n;
};

static __always_inline void cowstat_ones_add(struct cowstat_ones *o,
					     enum cowstat_counter id)
{
	if (o->n < COWSTAT_ONES_MAX)
		o->ids |= (unsigned int)id << (8 * o->n++);
}

/* The @k-th counter of @o (@k below @o->n). */
static inline enum cowstat_counter
cowstat_ones_id(const struct cowstat_ones *o, unsigned int k)
{
	return (enum cowstat_counter)((o->ids >> (8 * k)) & 0xff);
}

/**
 * cowstat_incs_append() - append an increment; zero amounts are dropped
 * @incs: the list
 * @id:   counter
 * @val:  amount
 *
 * Adding to a counter already in the list folds into that entry.  Callers
 * use cowstat_incs_add(), which is this function except where the includer
 * defines it out of line (COWSTAT_INCS_ADD_EXTERN, below).
 * Return: 0, or -COWSTAT_ENOSPC (-ENOSPC) when the list is full (a bug
 * in the caller).
 */
static inline int cowstat_incs_append(struct cowstat_incs *incs,
				      enum cowstat_counter id, u64 val)
{
	unsigned int i;

	if (!val)
		return 0;
	/* nr never exceeds the array; the bound is for the BPF verifier */
	for (i = 0; i < incs->nr && i < COWSTAT_MAX_INCS; i++) {
		if (incs->id[i] == id) {
			incs->val[i] += val;
			return 0;
		}
	}
	if (incs->nr >= COWSTAT_MAX_INCS)
		return -COWSTAT_ENOSPC;
	incs->id[incs->nr] = id;
	incs->val[incs->nr] = val;
	incs->nr++;
	return 0;
}

#ifdef COWSTAT_INCS_ADD_EXTERN
/*
 * cowtrace's BPF programs make it a global function around
 * cowstat_incs_append(): the verifier then checks it once and forgets the
 * list's contents after each call, instead of following every combination
 * of kept and dropped amounts through a classifier's additions (6.1's
 * verifier took seconds on the ten of cowstat_classify_fork_vma()).
 */
int cowstat_incs_add(struct cowstat_incs *incs, enum cowstat_counter id,
		     u64 val);
#else
/* cowstat_incs_add() - cowstat_incs_append() (see there) */
static inline int cowstat_incs_add(struct cowstat_incs *incs,
				   enum cowstat_counter id, u64 val)
{
	return cowstat_incs_append(incs, id, val);
}
#endif

/**
 * cowstat_incs_get() - the amount the list adds to one counter
 * @incs: the list
 * @id:   counter
 * Return: the amount, 0 if @id is not in the list.
 */
static inline u64 cowstat_incs_get(const struct cowstat_incs *incs,
				   enum cowstat_counter id)
{
	unsigned int i;

	for (i = 0; i < incs->nr; i++)
		if (incs->id[i] == id)
			return incs->val[i];
	return 0;
}

/* Errors and retries end a fault whatever else happened. */
static inline enum cowstat_outcome
cowstat_ret_outcome(enum cowstat_fault_ret ret, struct cowstat_incs *out)
{
	switch (ret) {
	case COWSTAT_RET_ERROR:
		cowstat_incs_add(out, COWSTAT_wp_errors, 1);
		return COWSTAT_OUT_ERROR;
	case COWSTAT_RET_RETRY:
		cowstat_incs_add(out, COWSTAT_wp_retries, 1);
		return COWSTAT_OUT_RETRY;
	default:
		return COWSTAT_OUT_NONE;
	}
}

static inline enum cowstat_outcome cowstat_race(struct cowstat_incs *out)
{
	cowstat_incs_add(out, COWSTAT_wp_races, 1);
	return COWSTAT_OUT_RACE;
}

static inline enum cowstat_outcome
cowstat_unshare_kept(struct cowstat_incs *out)
{
	cowstat_incs_add(out, COWSTAT_unshare_kept, 1);
	return COWSTAT_OUT_UNSHARE_KEPT;
}

static inline enum cowstat_outcome
cowstat_classify_wp_outcome(const struct cowstat_wp_fault *f,
			    struct cowstat_incs *out);

/**
 * cowstat_classify_wp() - counters of one do_wp_page invocation
 * @f:   what the probes saw
 * @out: increments to add to (wp_faults, the outcome, remote_events is
 *       left to the caller)
 * Return: the outcome.
 */
static inline enum cowstat_outcome
cowstat_classify_wp(const struct cowstat_wp_fault *f, struct cowstat_incs *out)
{
	cowstat_incs_add(out, COWSTAT_wp_faults, 1);
	return cowstat_classify_wp_outcome(f, out);
}

/**
 * cowstat_wp_decided() - is a do_wp_page's outcome fixed at its entry?
 * @f: the entry state (no marker seen yet)
 *
 * True where do_wp_page acts under the page table lock it is entered with
 * and cannot fail: the reuse of an exclusive anonymous page in a private
 * mapping (or keeping it, for an unshare), an unshare of a page that needs
 * nothing (6.1), and the write to a shared mapping without a mkwrite
 * handler (wp_page_reuse; fault_dirty_shared_page returns no error).  A
 * uffd-wp trap is decided too, but is told apart before (it needs the
 * PTE).  cowstat_classify_wp() with @f->ret %COWSTAT_RET_OK gives the
 * outcome.
 * Return: whether the entry state decides the outcome.
 */
static inline bool cowstat_wp_decided(const struct cowstat_wp_fault *f)
{
	if (f->shared)
		return !f->has_mkwrite;
	if (f->kind == COWSTAT_PAGE_ANON && f->exclusive)
		return true;
	return f->unshare && f->unshare_noop;
}

/**
 * enum cowstat_wp_marker - the marker that tells a pending do_wp_page
 * @COWSTAT_WP_INSTALL:    an anon install returning into do_wp_page or
 *                         wp_page_copy: a copy
 * @COWSTAT_WP_MOVE:       a move returning into do_wp_page or
 *                         wp_can_reuse_anon_folio: a reuse (or, for an
 *                         unshare, the page kept)
 * @COWSTAT_WP_MKWRITE_OK: finish_mkwrite_fault returned 0: a shared write
 */
enum cowstat_wp_marker {
	COWSTAT_WP_INSTALL,
	COWSTAT_WP_MOVE,
	COWSTAT_WP_MKWRITE_OK,
};

/**
 * cowstat_classify_wp_outcome() - the outcome alone, without wp_faults
 * @f:   what the probes saw
 * @out: increments to add to
 *
 * With wp_return=0 the entry hook counts wp_faults and a marker tells the
 * outcome later: @f then holds the entry state, the one marker seen and
 * @f->ret %COWSTAT_RET_OK (a marker proves the call did not fail).
 * Return: the outcome.
 */
static inline enum cowstat_outcome
cowstat_classify_wp_outcome(const struct cowstat_wp_fault *f,
			    struct cowstat_incs *out)
{
	static const enum cowstat_counter cowstat_copy_counter[] = {
		[COWSTAT_PAGE_ANON] = COWSTAT_cow_copies_anon,
		[COWSTAT_PAGE_ZERO] = COWSTAT_cow_copies_zero,
		[COWSTAT_PAGE_FILE] = COWSTAT_cow_copies_file,
		[COWSTAT_PAGE_KSM] = COWSTAT_cow_copies_ksm,
		[COWSTAT_PAGE_PFN] = COWSTAT_cow_copies_pfn,
	};
	enum cowstat_outcome o;

	/* handle_userfault() may return RETRY: it is still a uffd trap. */
	if (f->uffd) {
		cowstat_incs_add(out, COWSTAT_uffd_wp, 1);
		return COWSTAT_OUT_UFFD;
	}
	o = cowstat_ret_outcome(f->ret, out);
	if (o != COWSTAT_OUT_NONE)
		return o;

	if (f->installs) {
		enum cowstat_counter c = COWSTAT_cow_copies_unshare;

		if (!f->unshare && (unsigned int)f->kind <
				   COWSTAT_ARRAY_SIZE(cowstat_copy_counter))
			c = cowstat_copy_counter[f->kind];
		cowstat_incs_add(out, COWSTAT_cow_copies, 1);
		cowstat_incs_add(out, c, 1);
		return COWSTAT_OUT_COPY;
	}

	if (f->shared) {
		if (f->reuses || f->mkwrite_ok ||
		    (!f->has_mkwrite && !f->mkwrite_raced &&
		     f->ret == COWSTAT_RET_OK)) {
			cowstat_incs_add(out, COWSTAT_shared_writes, 1);
			return COWSTAT_OUT_SHARED;
		}
		/* NOPAGE from mkwrite, or the PTE changed under us. */
		return cowstat_race(out);
	}

	if (f->unshare) {
		if (f->moves || f->exclusive || f->unshare_noop)
			return cowstat_unshare_kept(out);
		return cowstat_race(out);
	}

	if (f->moves) {
		cowstat_incs_add(out, COWSTAT_cow_reuses, 1);
		cowstat_incs_add(out, COWSTAT_cow_reuses_moved, 1);
		return COWSTAT_OUT_REUSE;
	}
	/*
	 * do_wp_page reuses a PageAnonExclusive page without dropping the
	 * page table lock it was entered with: seen exclusive at entry means
	 * reused.
	 */
	if (f->reuses || (f->kind == COWSTAT_PAGE_ANON && f->exclusive &&
			  f->ret == COWSTAT_RET_OK)) {
		cowstat_incs_add(out, COWSTAT_cow_reuses, 1);
		cowstat_incs_add(out, COWSTAT_cow_reuses_exclusive, 1);
		return COWSTAT_OUT_REUSE;
	}
	/* A copy was made but the PTE had changed, or copying it failed. */
	return cowstat_race(out);
}

/**
 * cowstat_classify_wp_told() - the outcome a marker proves (wp_return=0)
 * @kind:    the PTE class the entry hook saw
 * @unshare: FAULT_FLAG_UNSHARE
 * @m:       the marker
 * @out:     the counters to add 1 to (no wp_faults: the entry counted it)
 *
 * The entry state a pending do_wp_page keeps is its PTE class and the
 * unshare flag; the marker tells the rest.  For every call that did not
 * fail, wp_faults plus this equals cowstat_classify_wp() of what a return
 * hook would have seen (KUnit checks it case by case).
 * Return: the outcome.
 */
static __always_inline enum cowstat_outcome
cowstat_classify_wp_told(enum cowstat_page_kind kind, bool unshare,
			 enum cowstat_wp_marker m, struct cowstat_ones *out)
{
	static const u8 copy[] = {
		[COWSTAT_PAGE_ANON] = COWSTAT_cow_copies_anon,
		[COWSTAT_PAGE_ZERO] = COWSTAT_cow_copies_zero,
		[COWSTAT_PAGE_FILE] = COWSTAT_cow_copies_file,
		[COWSTAT_PAGE_KSM] = COWSTAT_cow_copies_ksm,
		[COWSTAT_PAGE_PFN] = COWSTAT_cow_copies_pfn,
	};

	switch (m) {
	case COWSTAT_WP_INSTALL:
		cowstat_ones_add(out, COWSTAT_cow_copies);
		cowstat_ones_add(out, unshare || (unsigned int)kind >=
				      COWSTAT_ARRAY_SIZE(copy) ?
				      COWSTAT_cow_copies_unshare : copy[kind]);
		return COWSTAT_OUT_COPY;
	case COWSTAT_WP_MOVE:
		if (unshare) {
			cowstat_ones_add(out, COWSTAT_unshare_kept);
			return COWSTAT_OUT_UNSHARE_KEPT;
		}
		cowstat_ones_add(out, COWSTAT_cow_reuses);
		cowstat_ones_add(out, COWSTAT_cow_reuses_moved);
		return COWSTAT_OUT_REUSE;
	case COWSTAT_WP_MKWRITE_OK:
	default:
		cowstat_ones_add(out, COWSTAT_shared_writes);
		return COWSTAT_OUT_SHARED;
	}
}

/**
 * cowstat_classify_wp_entry() - what a do_wp_page entry charges (wp_return=0)
 * @f:   the entry state (no marker seen yet)
 * @out: the counters to add 1 to: wp_faults, and the outcome where the
 *       entry decides it (cowstat_wp_decided())
 * Return: whether the entry decided the outcome.
 */
static __always_inline bool
cowstat_classify_wp_entry(const struct cowstat_wp_fault *f,
			  struct cowstat_ones *out)
{
	cowstat_ones_add(out, COWSTAT_wp_faults);
	if (f->uffd) {
		cowstat_ones_add(out, COWSTAT_uffd_wp);
		return true;
	}
	if (!cowstat_wp_decided(f))
		return false;
	if (f->shared) {
		cowstat_ones_add(out, COWSTAT_shared_writes);
	} else if (f->unshare) {
		cowstat_ones_add(out, COWSTAT_unshare_kept);
	} else {
		cowstat_ones_add(out, COWSTAT_cow_reuses);
		cowstat_ones_add(out, COWSTAT_cow_reuses_exclusive);
	}
	return true;
}

/**
 * cowstat_classify_thp() - counters of one do_huge_pmd_wp_page invocation
 * @f:   what the probes saw
 * @out: increments to add to
 * Return: the outcome.
 */
static inline enum cowstat_outcome
cowstat_classify_thp(const struct cowstat_thp_fault *f,
		     struct cowstat_incs *out)
{
	enum cowstat_outcome o = cowstat_ret_outcome(f->ret, out);

	if (o != COWSTAT_OUT_NONE)
		return o;
	/*
	 * The huge zero page replaced by a new THP (6.13+): a copy of the
	 * zero page, PMD-sized, counted in base pages as the PTE-level copy
	 * it replaces (do_wp_page is not involved, so no wp_faults).
	 */
	if (f->zero && f->installs) {
		cowstat_incs_add(out, COWSTAT_cow_copies, f->pmd_pages);
		cowstat_incs_add(out, COWSTAT_cow_copies_zero, f->pmd_pages);
		return COWSTAT_OUT_COPY;
	}
	if (f->fallback) {
		cowstat_incs_add(out, COWSTAT_thp_splits, 1);
		return COWSTAT_OUT_SPLIT;
	}
	if (f->mkwrites && !f->unshare) {
		cowstat_incs_add(out, COWSTAT_thp_reuses, 1);
		return COWSTAT_OUT_REUSE;
	}
	if (f->unshare && (f->moves || f->exclusive))
		return cowstat_unshare_kept(out);
	return cowstat_race(out);
}

/**
 * cowstat_classify_hugetlb() - counters of one hugetlb write fault
 * @f:   what the probes saw
 * @out: increments to add to
 * Return: the outcome (COWSTAT_OUT_NONE when hugetlb_wp did not run or
 *         the fault was a first touch).
 */
static inline enum cowstat_outcome
cowstat_classify_hugetlb(const struct cowstat_hugetlb_fault *f,
			 struct cowstat_incs *out)
{
	enum cowstat_outcome o;

	if (f->uffd) {
		cowstat_incs_add(out, COWSTAT_uffd_wp, 1);
		return COWSTAT_OUT_UFFD;
	}
	/*
	 * Not a write-protect fault: either no hugetlb_wp at all, or the
	 * first touch of a private page, which hugetlb_no_page() maps and
	 * then passes to hugetlb_wp() to make writable in the same fault.
	 */
	if (!f->wp || f->installs_before_wp)
		return COWSTAT_OUT_NONE;

	o = cowstat_ret_outcome(f->ret, out);
	if (o != COWSTAT_OUT_NONE)
		return o;
	if (f->installs) {
		cowstat_incs_add(out, COWSTAT_hugetlb_copies, f->installs);
		return COWSTAT_OUT_COPY;
	}
	if (f->shared) {
		cowstat_incs_add(out, COWSTAT_shared_writes, 1);
		return COWSTAT_OUT_SHARED;
	}
	/* A huge page was allocated for a copy that was not installed. */
	if (f->allocs && !f->moves)
		return cowstat_race(out);
	if (f->unshare)
		return cowstat_unshare_kept(out);
	cowstat_incs_add(out, COWSTAT_hugetlb_reuses, 1);
	return COWSTAT_OUT_REUSE;
}

static inline u64 cowstat_pos(s64 v)
{
	return v > 0 ? v : 0;
}

/**
 * cowstat_fork_vma_clamped() - did a child counter go down during the copy?
 * @f: what the probes measured
 *
 * Nothing else changes the child's counters while fork copies into it, so
 * a negative delta (read as 0 by cowstat_classify_fork_vma()) means the
 * counts of this VMA are lower bounds; the glue counts it in the
 * fork_deltas_clamped health line.
 * Return: whether any delta was clamped.
 */
static inline bool cowstat_fork_vma_clamped(const struct cowstat_fork_vma *f)
{
	if (!f->copied)
		return false;
	if (f->d_anon < (s64)f->eager || f->d_file < 0 || f->d_shmem < 0 ||
	    f->d_swap < 0 || f->d_pt_bytes < 0)
		return true;
	return f->hugetlb && f->huge_pages &&
	       (f->d_hugetlb < 0 ||
		cowstat_pos(f->d_hugetlb) / f->huge_pages < f->eager_huge);
}

/**
 * cowstat_classify_fork_vma() - counters of one VMA copied by fork
 * @f:   what the probes measured
 * @out: increments to add to (charged to the child)
 */
static inline void
cowstat_classify_fork_vma(const struct cowstat_fork_vma *f,
			  struct cowstat_incs *out)
{
	u64 anon, file, shmem;

	if (!f->copied) {
		cowstat_incs_add(out, COWSTAT_fork_vmas_skipped, 1);
		return;
	}
	cowstat_incs_add(out, COWSTAT_fork_vmas_copied, 1);

	/* An eager copy is the child's own page, not a shared one. */
	anon = cowstat_pos(f->d_anon - (s64)f->eager);
	file = cowstat_pos(f->d_file);
	shmem = cowstat_pos(f->d_shmem);
	cowstat_incs_add(out, COWSTAT_fork_pages_shared, anon + file + shmem);
	cowstat_incs_add(out, COWSTAT_fork_pages_shared_anon, anon);
	cowstat_incs_add(out, COWSTAT_fork_pages_shared_file, file);
	cowstat_incs_add(out, COWSTAT_fork_pages_shared_shmem, shmem);
	cowstat_incs_add(out, COWSTAT_fork_swap_shared, cowstat_pos(f->d_swap));
	if (f->page_size)
		cowstat_incs_add(out, COWSTAT_fork_pt_pages,
				 cowstat_pos(f->d_pt_bytes) / f->page_size);
	cowstat_incs_add(out, COWSTAT_fork_eager_copies,
			 (u64)f->eager + f->eager_huge);
	cowstat_incs_add(out, COWSTAT_fork_thp_shared, f->thp);
	if (f->hugetlb && f->huge_pages) {
		u64 huge = cowstat_pos(f->d_hugetlb) / f->huge_pages;

		cowstat_incs_add(out, COWSTAT_fork_hugetlb_shared,
				 cowstat_pos((s64)huge - f->eager_huge));
	}
}

#endif /* _COWSTAT_CLASSIFY_H */
