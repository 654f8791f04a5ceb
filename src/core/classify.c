// SPDX-License-Identifier: GPL-2.0
/*
 * Classification: what the probes saw during one fault or one VMA copy,
 * turned into counter increments.
 *
 * Each write-protect fault has exactly one outcome, decided when its
 * outer handler returns, from the page it found at entry and the nested
 * markers that fired in between (install of a new anonymous page, move of
 * an anonymous page to exclusive, reuse, mkwrite, userfaultfd).
 */

#include <linux/errno.h>
#include <linux/string.h>
#include <linux/stringify.h>

#include <cowstat/core.h>

static const char *const cowstat_counter_names[] = {
#define COWSTAT_COUNTER(name, side, meaning) __stringify(name),
#include <cowstat/counter-list.h>
#undef COWSTAT_COUNTER
};

const char *cowstat_counter_name(enum cowstat_counter id)
{
	if ((unsigned int)id >= COWSTAT_NR_COUNTERS)
		return NULL;
	return cowstat_counter_names[id];
}

int cowstat_incs_add(struct cowstat_incs *incs, enum cowstat_counter id,
		     u64 val)
{
	unsigned int i;

	if (!val)
		return 0;
	for (i = 0; i < incs->nr; i++) {
		if (incs->id[i] == id) {
			incs->val[i] += val;
			return 0;
		}
	}
	if (incs->nr >= COWSTAT_MAX_INCS)
		return -ENOSPC;
	incs->id[incs->nr] = id;
	incs->val[incs->nr] = val;
	incs->nr++;
	return 0;
}

u64 cowstat_incs_get(const struct cowstat_incs *incs, enum cowstat_counter id)
{
	unsigned int i;

	for (i = 0; i < incs->nr; i++)
		if (incs->id[i] == id)
			return incs->val[i];
	return 0;
}

static const enum cowstat_counter cowstat_copy_counter[] = {
	[COWSTAT_PAGE_ANON] = COWSTAT_cow_copies_anon,
	[COWSTAT_PAGE_ZERO] = COWSTAT_cow_copies_zero,
	[COWSTAT_PAGE_FILE] = COWSTAT_cow_copies_file,
	[COWSTAT_PAGE_KSM] = COWSTAT_cow_copies_ksm,
	[COWSTAT_PAGE_PFN] = COWSTAT_cow_copies_pfn,
};

/* Errors and retries end a fault whatever else happened. */
static enum cowstat_outcome cowstat_ret_outcome(enum cowstat_fault_ret ret,
						struct cowstat_incs *out)
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

static enum cowstat_outcome cowstat_race(struct cowstat_incs *out)
{
	cowstat_incs_add(out, COWSTAT_wp_races, 1);
	return COWSTAT_OUT_RACE;
}

static enum cowstat_outcome cowstat_unshare_kept(struct cowstat_incs *out)
{
	cowstat_incs_add(out, COWSTAT_unshare_kept, 1);
	return COWSTAT_OUT_UNSHARE_KEPT;
}

enum cowstat_outcome cowstat_classify_wp(const struct cowstat_wp_fault *f,
					 struct cowstat_incs *out)
{
	enum cowstat_outcome o;

	cowstat_incs_add(out, COWSTAT_wp_faults, 1);

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
				   ARRAY_SIZE(cowstat_copy_counter))
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

enum cowstat_outcome cowstat_classify_thp(const struct cowstat_thp_fault *f,
					  struct cowstat_incs *out)
{
	enum cowstat_outcome o = cowstat_ret_outcome(f->ret, out);

	if (o != COWSTAT_OUT_NONE)
		return o;
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

enum cowstat_outcome
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

static u64 cowstat_pos(s64 v)
{
	return v > 0 ? v : 0;
}

void cowstat_classify_fork_vma(const struct cowstat_fork_vma *f,
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

/* The callers through which an anon install is a private-file COW. */
static const char *const cowstat_cow_at_fault_callers[] = {
	"do_set_pte",		/* 6.1 .. 6.4 */
	"set_pte_range",	/* 6.5 and later */
	"finish_fault",		/* when the above are inlined */
	"do_cow_fault",
	"do_fault",
};

enum cowstat_caller cowstat_classify_caller(const char *sym)
{
	size_t len = strcspn(sym, ".+ ");
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cowstat_cow_at_fault_callers); i++) {
		const char *c = cowstat_cow_at_fault_callers[i];

		if (strlen(c) == len && !strncmp(sym, c, len))
			return COWSTAT_CALLER_COW_AT_FAULT;
	}
	return COWSTAT_CALLER_OTHER;
}

/* Install sites inside a write-protect fault and inside a fork. */
static const char *const cowstat_wp_sites[] = {
	"wp_page_copy",		/* a function of its own on 6.1 */
	"do_wp_page",		/* 6.12 inlines wp_page_copy */
};

static const char *const cowstat_fork_sites[] = {
	"copy_present_page",	/* each of these is inlined into the next */
	"copy_present_pte",	/* on 6.1 and 6.12 */
	"copy_present_ptes",
	"copy_pte_range",
	"copy_pmd_range",
	"copy_pud_range",
	"copy_p4d_range",
	"copy_page_range",
};

static bool cowstat_name_in(const char *sym, size_t len,
			    const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(sym, names[i], len))
			return true;
	return false;
}

enum cowstat_site cowstat_classify_site(const char *sym)
{
	size_t len = strcspn(sym, ".+ ");

	if (cowstat_name_in(sym, len, cowstat_wp_sites,
			    ARRAY_SIZE(cowstat_wp_sites)))
		return COWSTAT_SITE_WP;
	if (cowstat_name_in(sym, len, cowstat_fork_sites,
			    ARRAY_SIZE(cowstat_fork_sites)))
		return COWSTAT_SITE_FORK;
	if (cowstat_classify_caller(sym) == COWSTAT_CALLER_COW_AT_FAULT)
		return COWSTAT_SITE_COW_AT_FAULT;
	return COWSTAT_SITE_NONE;
}
