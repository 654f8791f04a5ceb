// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cowstat_classify: what the probes saw during one fault or one
 * VMA copy, turned into counter increments (src/core/classify.c).
 *
 * Each table row is one situation the glue can report; it lists every
 * counter the event must add to and by how much.  Any other counter moving
 * is a failure too, and every row must keep the parent = sum of children
 * relations of counter-list.h.
 */

#include <kunit/test.h>
#include <linux/kernel.h>

#include "util.h"

#define INC(name, v) { COWSTAT_##name, v }

/* ------------------------------------------------------------------ */
/* do_wp_page                                                          */
/* ------------------------------------------------------------------ */

struct wp_case {
	const char *desc;
	struct cowstat_wp_fault f;
	enum cowstat_outcome outcome;
	struct cowstat_kunit_inc incs[COWSTAT_KUNIT_MAX_INCS];
};

static const struct wp_case wp_cases[] = {
	{ "copy of a shared anon page",
	  { .kind = COWSTAT_PAGE_ANON, .installs = 1 }, COWSTAT_OUT_COPY,
	  { INC(wp_faults, 1), INC(cow_copies, 1), INC(cow_copies_anon, 1) } },
	{ "copy of the zero page",
	  { .kind = COWSTAT_PAGE_ZERO, .installs = 1 }, COWSTAT_OUT_COPY,
	  { INC(wp_faults, 1), INC(cow_copies, 1), INC(cow_copies_zero, 1) } },
	{ "copy of a private file page",
	  { .kind = COWSTAT_PAGE_FILE, .installs = 1 }, COWSTAT_OUT_COPY,
	  { INC(wp_faults, 1), INC(cow_copies, 1), INC(cow_copies_file, 1) } },
	{ "copy of a KSM page",
	  { .kind = COWSTAT_PAGE_KSM, .installs = 1 }, COWSTAT_OUT_COPY,
	  { INC(wp_faults, 1), INC(cow_copies, 1), INC(cow_copies_ksm, 1) } },
	{ "copy of a PFN mapping",
	  { .kind = COWSTAT_PAGE_PFN, .installs = 1 }, COWSTAT_OUT_COPY,
	  { INC(wp_faults, 1), INC(cow_copies, 1), INC(cow_copies_pfn, 1) } },
	{ "copy for a GUP unshare of an anon page",
	  { .kind = COWSTAT_PAGE_ANON, .unshare = true, .installs = 1 },
	  COWSTAT_OUT_COPY,
	  { INC(wp_faults, 1), INC(cow_copies, 1),
	    INC(cow_copies_unshare, 1) } },
	{ "copy for a GUP unshare of the zero page",
	  { .kind = COWSTAT_PAGE_ZERO, .unshare = true, .installs = 1 },
	  COWSTAT_OUT_COPY,
	  { INC(wp_faults, 1), INC(cow_copies, 1),
	    INC(cow_copies_unshare, 1) } },
	{ "reuse after the sharing ended",
	  { .kind = COWSTAT_PAGE_ANON, .moves = 1, .reuses = 1 },
	  COWSTAT_OUT_REUSE,
	  { INC(wp_faults, 1), INC(cow_reuses, 1),
	    INC(cow_reuses_moved, 1) } },
	{ "reuse of an exclusive page",
	  { .kind = COWSTAT_PAGE_ANON, .exclusive = true, .reuses = 1 },
	  COWSTAT_OUT_REUSE,
	  { INC(wp_faults, 1), INC(cow_reuses, 1),
	    INC(cow_reuses_exclusive, 1) } },
	{ "write to a shared mapping made writable",
	  { .kind = COWSTAT_PAGE_FILE, .shared = true, .reuses = 1 },
	  COWSTAT_OUT_SHARED,
	  { INC(wp_faults, 1), INC(shared_writes, 1) } },
	{ "write to a shared mapping through page_mkwrite",
	  { .kind = COWSTAT_PAGE_FILE, .shared = true, .mkwrite_ok = 1 },
	  COWSTAT_OUT_SHARED,
	  { INC(wp_faults, 1), INC(shared_writes, 1) } },
	{ "page_mkwrite that lost a race",
	  { .kind = COWSTAT_PAGE_FILE, .shared = true, .mkwrite_raced = 1,
	    .ret = COWSTAT_RET_NOPAGE },
	  COWSTAT_OUT_RACE, { INC(wp_faults, 1), INC(wp_races, 1) } },
	{ "unshare of an exclusive page",
	  { .kind = COWSTAT_PAGE_ANON, .unshare = true, .exclusive = true },
	  COWSTAT_OUT_UNSHARE_KEPT,
	  { INC(wp_faults, 1), INC(unshare_kept, 1) } },
	{ "unshare that made the page exclusive",
	  { .kind = COWSTAT_PAGE_ANON, .unshare = true, .moves = 1 },
	  COWSTAT_OUT_UNSHARE_KEPT,
	  { INC(wp_faults, 1), INC(unshare_kept, 1) } },
	{ "unshare of a file page the kernel leaves alone",
	  { .kind = COWSTAT_PAGE_FILE, .unshare = true, .unshare_noop = true },
	  COWSTAT_OUT_UNSHARE_KEPT,
	  { INC(wp_faults, 1), INC(unshare_kept, 1) } },
	{ "unshare that lost a race",
	  { .kind = COWSTAT_PAGE_ANON, .unshare = true,
	    .ret = COWSTAT_RET_NOPAGE },
	  COWSTAT_OUT_RACE, { INC(wp_faults, 1), INC(wp_races, 1) } },
	{ "userfaultfd-wp trap",
	  { .kind = COWSTAT_PAGE_ANON, .uffd = 1 }, COWSTAT_OUT_UFFD,
	  { INC(wp_faults, 1), INC(uffd_wp, 1) } },
	{ "userfaultfd-wp trap returning RETRY",
	  { .kind = COWSTAT_PAGE_ANON, .uffd = 1, .ret = COWSTAT_RET_RETRY },
	  COWSTAT_OUT_UFFD, { INC(wp_faults, 1), INC(uffd_wp, 1) } },
	{ "OOM while copying",
	  { .kind = COWSTAT_PAGE_ANON, .ret = COWSTAT_RET_ERROR },
	  COWSTAT_OUT_ERROR, { INC(wp_faults, 1), INC(wp_errors, 1) } },
	{ "error after an install still counts as an error",
	  { .kind = COWSTAT_PAGE_ANON, .installs = 1,
	    .ret = COWSTAT_RET_ERROR },
	  COWSTAT_OUT_ERROR, { INC(wp_faults, 1), INC(wp_errors, 1) } },
	{ "retry under mmap_lock",
	  { .kind = COWSTAT_PAGE_FILE, .ret = COWSTAT_RET_RETRY },
	  COWSTAT_OUT_RETRY, { INC(wp_faults, 1), INC(wp_retries, 1) } },
	{ "PTE changed before anything happened",
	  { .kind = COWSTAT_PAGE_ANON, .ret = COWSTAT_RET_NOPAGE },
	  COWSTAT_OUT_RACE, { INC(wp_faults, 1), INC(wp_races, 1) } },
	{ "copy made but not installed",
	  { .kind = COWSTAT_PAGE_ANON }, COWSTAT_OUT_RACE,
	  { INC(wp_faults, 1), INC(wp_races, 1) } },
};

static void wp_case_desc(const struct wp_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(wp, wp_cases, wp_case_desc);

/*
 * counter-list.h: every do_wp_page ends in exactly one outcome, so
 * wp_faults = cow_copies + cow_reuses + uffd_wp + unshare_kept +
 *             shared_writes + wp_races + wp_errors + wp_retries.
 */
static void expect_one_outcome(struct kunit *test,
			       const struct cowstat_incs *incs)
{
#define G(name) cowstat_incs_get(incs, COWSTAT_##name)
	KUNIT_EXPECT_EQ_MSG(test, G(wp_faults),
			    G(cow_copies) + G(cow_reuses) + G(uffd_wp) +
			    G(unshare_kept) + G(shared_writes) + G(wp_races) +
			    G(wp_errors) + G(wp_retries),
			    "wp_faults = sum of the do_wp_page outcomes");
#undef G
}

static void cowstat_classify_wp_outcomes(struct kunit *test)
{
	const struct wp_case *c = test->param_value;
	struct cowstat_incs incs = { };

	KUNIT_EXPECT_EQ(test, cowstat_classify_wp(&c->f, &incs), c->outcome);
	cowstat_kunit_expect_incs(test, &incs, c->incs, c->desc);
	cowstat_kunit_expect_relations(test, &incs);
	expect_one_outcome(test, &incs);
}

/*
 * wp_return=0: what the entry decides, or wp_faults plus what the marker
 * tells, equals what the return hook classifies, for every call that did
 * not fail (a failure is left untold: wp_races/errors/retries unavailable).
 */
static void cowstat_classify_wp_without_return(struct kunit *test)
{
	const struct wp_case *c = test->param_value;
	struct cowstat_wp_fault entry = {
		.kind = c->f.kind,
		.exclusive = c->f.exclusive,
		.unshare = c->f.unshare,
		.unshare_noop = c->f.unshare_noop,
		.shared = c->f.shared,
		.has_mkwrite = c->f.has_mkwrite || c->f.mkwrite_ok ||
			       c->f.mkwrite_raced,
		.ret = COWSTAT_RET_OK,
	};
	struct cowstat_incs want = { }, got = { };
	struct cowstat_ones ones = { };
	enum cowstat_outcome o;
	unsigned int i;
	bool decided;

	o = cowstat_classify_wp(&c->f, &want);
	entry.uffd = c->f.uffd;
	decided = cowstat_classify_wp_entry(&entry, &ones);
	/* The module's entry spells an undecided charge out: wp_faults alone. */
	if (!decided) {
		KUNIT_EXPECT_EQ(test, ones.n, 1U);
		KUNIT_EXPECT_EQ(test, ones.ids, (unsigned int)COWSTAT_wp_faults);
	}
	if (!c->f.uffd && (o == COWSTAT_OUT_RACE || o == COWSTAT_OUT_ERROR ||
			   o == COWSTAT_OUT_RETRY)) {
		/* left untold: only wp_faults, and a failure is never decided */
		KUNIT_EXPECT_TRUE(test, !decided || c->f.ret != COWSTAT_RET_OK);
		return;
	}
	if (!decided) {
		enum cowstat_wp_marker m = c->f.installs ? COWSTAT_WP_INSTALL :
					   c->f.moves ? COWSTAT_WP_MOVE :
					   COWSTAT_WP_MKWRITE_OK;

		KUNIT_EXPECT_TRUE(test, c->f.installs || c->f.moves ||
				  c->f.mkwrite_ok);
		KUNIT_EXPECT_EQ(test, cowstat_classify_wp_told(c->f.kind,
							       c->f.unshare,
							       m, &ones), o);
	}
	for (i = 0; i < ones.n; i++)
		cowstat_incs_add(&got, cowstat_ones_id(&ones, i), 1);
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		KUNIT_EXPECT_EQ_MSG(test, cowstat_incs_get(&got, i),
				    cowstat_incs_get(&want, i), "%s: %s",
				    c->desc, cowstat_kunit_name(i));
}

/* Every page kind copies into its own child counter, and only into it. */
static void cowstat_classify_wp_copy_per_kind(struct kunit *test)
{
	static const enum cowstat_counter child[] = {
		[COWSTAT_PAGE_ANON] = COWSTAT_cow_copies_anon,
		[COWSTAT_PAGE_ZERO] = COWSTAT_cow_copies_zero,
		[COWSTAT_PAGE_FILE] = COWSTAT_cow_copies_file,
		[COWSTAT_PAGE_KSM] = COWSTAT_cow_copies_ksm,
		[COWSTAT_PAGE_PFN] = COWSTAT_cow_copies_pfn,
	};
	unsigned int kind;

	for (kind = 0; kind < ARRAY_SIZE(child); kind++) {
		struct cowstat_wp_fault f = { .kind = kind, .installs = 1 };
		struct cowstat_kunit_inc want[COWSTAT_KUNIT_MAX_INCS] = {
			INC(wp_faults, 1), INC(cow_copies, 1), { child[kind], 1 },
		};
		struct cowstat_incs incs = { };

		KUNIT_EXPECT_EQ(test, cowstat_classify_wp(&f, &incs),
				COWSTAT_OUT_COPY);
		cowstat_kunit_expect_incs(test, &incs, want,
					  cowstat_kunit_name(child[kind]));
	}
}

/* The classifier adds to what the list already holds, it does not reset it. */
static void cowstat_classify_wp_appends(struct kunit *test)
{
	struct cowstat_wp_fault copy = { .kind = COWSTAT_PAGE_ANON,
					 .installs = 1 };
	struct cowstat_wp_fault reuse = { .kind = COWSTAT_PAGE_ANON,
					  .exclusive = true, .reuses = 1 };
	struct cowstat_incs incs = { };

	cowstat_incs_add(&incs, COWSTAT_remote_events, 1);
	cowstat_classify_wp(&copy, &incs);
	cowstat_classify_wp(&reuse, &incs);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_remote_events), 1ULL);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_wp_faults), 2ULL);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_cow_copies), 1ULL);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_cow_reuses), 1ULL);
	cowstat_kunit_expect_relations(test, &incs);
	expect_one_outcome(test, &incs);
}

/* ------------------------------------------------------------------ */
/* do_huge_pmd_wp_page                                                 */
/* ------------------------------------------------------------------ */

struct thp_case {
	const char *desc;
	struct cowstat_thp_fault f;
	enum cowstat_outcome outcome;
	struct cowstat_kunit_inc incs[COWSTAT_KUNIT_MAX_INCS];
};

static const struct thp_case thp_cases[] = {
	{ "reuse of an exclusive THP",
	  { .exclusive = true, .mkwrites = 1 }, COWSTAT_OUT_REUSE,
	  { INC(thp_reuses, 1) } },
	{ "reuse after the sharing ended",
	  { .moves = 1, .mkwrites = 1 }, COWSTAT_OUT_REUSE,
	  { INC(thp_reuses, 1) } },
	{ "shared THP split for a PTE-level copy",
	  { .fallback = true }, COWSTAT_OUT_SPLIT, { INC(thp_splits, 1) } },
	{ "huge zero page split",
	  { .zero = true, .fallback = true }, COWSTAT_OUT_SPLIT,
	  { INC(thp_splits, 1) } },
	{ "huge zero page replaced by a new THP (6.13+)",
	  { .zero = true, .installs = 1, .pmd_pages = 512 }, COWSTAT_OUT_COPY,
	  { INC(cow_copies, 512), INC(cow_copies_zero, 512) } },
	{ "huge zero page write that lost a race",
	  { .zero = true, .pmd_pages = 512 }, COWSTAT_OUT_RACE,
	  { INC(wp_races, 1) } },
	{ "unshare of an exclusive THP",
	  { .unshare = true, .exclusive = true }, COWSTAT_OUT_UNSHARE_KEPT,
	  { INC(unshare_kept, 1) } },
	{ "unshare of an exclusive THP is not a write reuse",
	  { .unshare = true, .exclusive = true, .mkwrites = 1 },
	  COWSTAT_OUT_UNSHARE_KEPT, { INC(unshare_kept, 1) } },
	{ "unshare that made the THP exclusive",
	  { .unshare = true, .moves = 1 }, COWSTAT_OUT_UNSHARE_KEPT,
	  { INC(unshare_kept, 1) } },
	{ "PMD changed under the fault",
	  { .ret = COWSTAT_RET_NOPAGE }, COWSTAT_OUT_RACE,
	  { INC(wp_races, 1) } },
	{ "error", { .ret = COWSTAT_RET_ERROR }, COWSTAT_OUT_ERROR,
	  { INC(wp_errors, 1) } },
	{ "retry", { .ret = COWSTAT_RET_RETRY }, COWSTAT_OUT_RETRY,
	  { INC(wp_retries, 1) } },
};

static void thp_case_desc(const struct thp_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(thp, thp_cases, thp_case_desc);

static void cowstat_classify_thp_outcomes(struct kunit *test)
{
	const struct thp_case *c = test->param_value;
	struct cowstat_incs incs = { };

	KUNIT_EXPECT_EQ(test, cowstat_classify_thp(&c->f, &incs), c->outcome);
	cowstat_kunit_expect_incs(test, &incs, c->incs, c->desc);
	cowstat_kunit_expect_relations(test, &incs);
}

/* ------------------------------------------------------------------ */
/* hugetlb_fault                                                       */
/* ------------------------------------------------------------------ */

struct hugetlb_case {
	const char *desc;
	struct cowstat_hugetlb_fault f;
	enum cowstat_outcome outcome;
	struct cowstat_kunit_inc incs[COWSTAT_KUNIT_MAX_INCS];
};

static const struct hugetlb_case hugetlb_cases[] = {
	{ "copy of a shared huge page",
	  { .wp = true, .allocs = 1, .installs = 1 }, COWSTAT_OUT_COPY,
	  { INC(hugetlb_copies, 1) } },
	{ "reuse of an exclusive huge page",
	  { .wp = true }, COWSTAT_OUT_REUSE, { INC(hugetlb_reuses, 1) } },
	{ "reuse after the sharing ended",
	  { .wp = true, .moves = 1 }, COWSTAT_OUT_REUSE,
	  { INC(hugetlb_reuses, 1) } },
	{ "write to a shared hugetlb mapping",
	  { .wp = true, .shared = true }, COWSTAT_OUT_SHARED,
	  { INC(shared_writes, 1) } },
	{ "first touch of a private huge page",
	  { .wp = true, .installs_before_wp = 1 }, COWSTAT_OUT_NONE, { } },
	{ "not a write-protect fault",
	  { .allocs = 1, .installs = 1 }, COWSTAT_OUT_NONE, { } },
	{ "userfaultfd-wp trap",
	  { .wp = true, .uffd = 1, .ret = COWSTAT_RET_RETRY },
	  COWSTAT_OUT_UFFD, { INC(uffd_wp, 1) } },
	{ "copy allocated but not installed",
	  { .wp = true, .allocs = 1 }, COWSTAT_OUT_RACE,
	  { INC(wp_races, 1) } },
	{ "unshare of an exclusive huge page",
	  { .wp = true, .unshare = true }, COWSTAT_OUT_UNSHARE_KEPT,
	  { INC(unshare_kept, 1) } },
	{ "no huge page left",
	  { .wp = true, .ret = COWSTAT_RET_ERROR }, COWSTAT_OUT_ERROR,
	  { INC(wp_errors, 1) } },
	{ "retry",
	  { .wp = true, .ret = COWSTAT_RET_RETRY }, COWSTAT_OUT_RETRY,
	  { INC(wp_retries, 1) } },
};

static void hugetlb_case_desc(const struct hugetlb_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hugetlb, hugetlb_cases, hugetlb_case_desc);

static void cowstat_classify_hugetlb_outcomes(struct kunit *test)
{
	const struct hugetlb_case *c = test->param_value;
	struct cowstat_incs incs = { };

	KUNIT_EXPECT_EQ(test, cowstat_classify_hugetlb(&c->f, &incs),
			c->outcome);
	cowstat_kunit_expect_incs(test, &incs, c->incs, c->desc);
	cowstat_kunit_expect_relations(test, &incs);
}

/* ------------------------------------------------------------------ */
/* copy_page_range                                                     */
/* ------------------------------------------------------------------ */

struct fork_case {
	const char *desc;
	struct cowstat_fork_vma f;
	struct cowstat_kunit_inc incs[COWSTAT_KUNIT_MAX_INCS];
};

static const struct fork_case fork_cases[] = {
	{ "VMA left to faults",
	  { .copied = false, .d_anon = 5, .page_size = 4096 },
	  { INC(fork_vmas_skipped, 1) } },
	{ "anonymous VMA",
	  { .copied = true, .d_anon = 10, .d_pt_bytes = 2 * 4096,
	    .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_pages_shared, 10),
	    INC(fork_pages_shared_anon, 10), INC(fork_pt_pages, 2) } },
	{ "private file VMA",
	  { .copied = true, .d_file = 7, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_pages_shared, 7),
	    INC(fork_pages_shared_file, 7) } },
	{ "shmem VMA",
	  { .copied = true, .d_shmem = 3, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_pages_shared, 3),
	    INC(fork_pages_shared_shmem, 3) } },
	{ "anon, file and shmem pages in one VMA",
	  { .copied = true, .d_anon = 4, .d_file = 2, .d_shmem = 1,
	    .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_pages_shared, 7),
	    INC(fork_pages_shared_anon, 4), INC(fork_pages_shared_file, 2),
	    INC(fork_pages_shared_shmem, 1) } },
	{ "swap entries",
	  { .copied = true, .d_anon = 1, .d_swap = 6, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_pages_shared, 1),
	    INC(fork_pages_shared_anon, 1), INC(fork_swap_shared, 6) } },
	{ "pinned pages copied at once are not shared",
	  { .copied = true, .d_anon = 10, .eager = 3, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_pages_shared, 7),
	    INC(fork_pages_shared_anon, 7), INC(fork_eager_copies, 3) } },
	{ "anonymous THP shared whole",
	  { .copied = true, .d_anon = 512, .thp = 1, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_pages_shared, 512),
	    INC(fork_pages_shared_anon, 512), INC(fork_thp_shared, 1) } },
	{ "hugetlb VMA",
	  { .copied = true, .hugetlb = true, .d_hugetlb = 1024,
	    .huge_pages = 512, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_hugetlb_shared, 2) } },
	{ "pinned hugetlb page copied at once",
	  { .copied = true, .hugetlb = true, .d_hugetlb = 1024,
	    .huge_pages = 512, .eager_huge = 1, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1), INC(fork_hugetlb_shared, 1),
	    INC(fork_eager_copies, 1) } },
	{ "negative deltas from a racing unmap count nothing",
	  { .copied = true, .d_anon = -3, .d_file = -1, .d_swap = -2,
	    .d_pt_bytes = -4096, .page_size = 4096 },
	  { INC(fork_vmas_copied, 1) } },
	{ "page-table bytes without a page size",
	  { .copied = true, .d_pt_bytes = 8192 },
	  { INC(fork_vmas_copied, 1) } },
};

static void fork_case_desc(const struct fork_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fork, fork_cases, fork_case_desc);

static void cowstat_classify_fork_vma_counts(struct kunit *test)
{
	const struct fork_case *c = test->param_value;
	struct cowstat_incs incs = { };

	cowstat_classify_fork_vma(&c->f, &incs);
	cowstat_kunit_expect_incs(test, &incs, c->incs, c->desc);
	cowstat_kunit_expect_relations(test, &incs);
}

/* ------------------------------------------------------------------ */
/* Callers of the anon-install functions                               */
/* ------------------------------------------------------------------ */

struct caller_case {
	const char *sym;
	enum cowstat_caller want;
};

static const struct caller_case caller_cases[] = {
	{ "do_set_pte", COWSTAT_CALLER_COW_AT_FAULT },
	{ "set_pte_range", COWSTAT_CALLER_COW_AT_FAULT },
	{ "set_pte_range+0x5d/0x1a0", COWSTAT_CALLER_COW_AT_FAULT },
	{ "finish_fault.isra.0", COWSTAT_CALLER_COW_AT_FAULT },
	{ "do_cow_fault.constprop.0+0x10/0x200", COWSTAT_CALLER_COW_AT_FAULT },
	{ "do_fault.cold", COWSTAT_CALLER_COW_AT_FAULT },
	{ "do_cow_fault.part.0", COWSTAT_CALLER_COW_AT_FAULT },
	{ "wp_page_copy", COWSTAT_CALLER_OTHER },
	{ "do_anonymous_page+0x80/0x400", COWSTAT_CALLER_OTHER },
	{ "do_set_pte_range", COWSTAT_CALLER_OTHER },
	{ "do_set", COWSTAT_CALLER_OTHER },
	{ "xdo_fault", COWSTAT_CALLER_OTHER },
	{ "", COWSTAT_CALLER_OTHER },
	{ "+0x10/0x20", COWSTAT_CALLER_OTHER },
};

static void caller_case_desc(const struct caller_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "'%s'", c->sym);
}

KUNIT_ARRAY_PARAM(caller, caller_cases, caller_case_desc);

static void cowstat_classify_caller_names(struct kunit *test)
{
	const struct caller_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, cowstat_classify_caller(c->sym), c->want);
}

struct site_case {
	const char *sym;
	enum cowstat_site want;
};

static const struct site_case site_cases[] = {
	{ "wp_page_copy", COWSTAT_SITE_WP },
	{ "do_wp_page+0x2f1/0x8a0", COWSTAT_SITE_WP },
	{ "wp_page_copy.isra.0", COWSTAT_SITE_WP },
	{ "wp_can_reuse_anon_folio+0x8b/0x150", COWSTAT_SITE_WP },
	{ "wp_page_reuse+0x5c/0xa0", COWSTAT_SITE_WP },
	{ "wp_page_shared+0x40/0x1a0", COWSTAT_SITE_NONE },
	{ "handle_pte_fault+0x1f2/0x2a0", COWSTAT_SITE_NONE },
	{ "map_anon_folio_pmd_nopf+0x6e/0x1e0", COWSTAT_SITE_WP },
	{ "do_huge_pmd_wp_page+0x3c1/0x900", COWSTAT_SITE_WP },
	{ "map_anon_folio_pmd_pf", COWSTAT_SITE_NONE },
	{ "copy_page_range+0x6d2/0x1500", COWSTAT_SITE_FORK },
	{ "copy_present_page", COWSTAT_SITE_FORK },
	{ "copy_present_ptes.constprop.0", COWSTAT_SITE_FORK },
	{ "copy_pte_range", COWSTAT_SITE_FORK },
	{ "set_pte_range+0x5d/0x1a0", COWSTAT_SITE_COW_AT_FAULT },
	{ "do_set_pte", COWSTAT_SITE_COW_AT_FAULT },
	{ "do_fault.cold", COWSTAT_SITE_COW_AT_FAULT },
	{ "do_anonymous_page+0x80/0x400", COWSTAT_SITE_NONE },
	{ "__handle_mm_fault+0x5a1/0xc00", COWSTAT_SITE_NONE },
	{ "do_swap_page", COWSTAT_SITE_NONE },
	{ "move_pages_pte", COWSTAT_SITE_NONE },
	{ "do_wp_page_x", COWSTAT_SITE_NONE },
	{ "wp_page", COWSTAT_SITE_NONE },
	{ "copy_page", COWSTAT_SITE_NONE },
	{ "", COWSTAT_SITE_NONE },
};

static void site_case_desc(const struct site_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "'%s'", c->sym);
}

KUNIT_ARRAY_PARAM(site, site_cases, site_case_desc);

static void cowstat_classify_site_names(struct kunit *test)
{
	const struct site_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, cowstat_classify_site(c->sym), c->want);
}

/* ------------------------------------------------------------------ */
/* Increment lists and counter names                                   */
/* ------------------------------------------------------------------ */

static void cowstat_incs_add_folds_and_drops_zero(struct kunit *test)
{
	struct cowstat_incs incs = { };

	KUNIT_EXPECT_EQ(test, cowstat_incs_add(&incs, COWSTAT_forks, 1), 0);
	KUNIT_EXPECT_EQ(test, cowstat_incs_add(&incs, COWSTAT_forks, 2), 0);
	KUNIT_EXPECT_EQ(test, cowstat_incs_add(&incs, COWSTAT_wp_faults, 0), 0);
	KUNIT_EXPECT_EQ(test, incs.nr, 1U);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_forks), 3ULL);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_wp_faults), 0ULL);
}

static void cowstat_incs_add_full(struct kunit *test)
{
	struct cowstat_incs incs = { };
	unsigned int i;

	for (i = 0; i < COWSTAT_MAX_INCS; i++)
		KUNIT_ASSERT_EQ(test, cowstat_incs_add(&incs, i, i + 1), 0);
	/* A new counter does not fit, an existing one still folds. */
	KUNIT_EXPECT_EQ(test, cowstat_incs_add(&incs, COWSTAT_MAX_INCS, 1),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, cowstat_incs_add(&incs, 0, 10), 0);
	KUNIT_EXPECT_EQ(test, incs.nr, (unsigned int)COWSTAT_MAX_INCS);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, 0), 11ULL);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_MAX_INCS), 0ULL);
}

/* A fork VMA is the widest event: its increments must fit one list. */
static void cowstat_incs_add_widest_event_fits(struct kunit *test)
{
	struct cowstat_fork_vma f = {
		.copied = true, .hugetlb = true, .d_anon = 9, .d_file = 8,
		.d_shmem = 7, .d_swap = 6, .d_pt_bytes = 4096, .d_hugetlb = 1024,
		.huge_pages = 512, .eager = 1, .eager_huge = 1, .thp = 1,
		.page_size = 4096,
	};
	struct cowstat_incs incs = { };

	cowstat_classify_fork_vma(&f, &incs);
	KUNIT_EXPECT_EQ(test, incs.nr, 10U);
	/* ... with room left for the remote_events the glue adds. */
	KUNIT_EXPECT_LT(test, incs.nr, (unsigned int)COWSTAT_MAX_INCS);
	KUNIT_EXPECT_EQ(test, cowstat_incs_get(&incs, COWSTAT_fork_pages_shared),
			8ULL + 8 + 7);
	cowstat_kunit_expect_relations(test, &incs);
}

static void cowstat_counter_name_matches_list(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		const char *name = cowstat_counter_name(i);

		KUNIT_ASSERT_NOT_NULL(test, name);
		KUNIT_EXPECT_STREQ(test, name, cowstat_kunit_name(i));
		/* The list's own entry: a side and a one-line meaning. */
		KUNIT_EXPECT_TRUE_MSG(test,
				      !strcmp(cowstat_kunit_names[i].side, "FORK") ||
				      !strcmp(cowstat_kunit_names[i].side, "FAULT"),
				      "side of %s", name);
		KUNIT_EXPECT_GT_MSG(test, strlen(cowstat_kunit_names[i].meaning),
				    (size_t)0, "meaning of %s", name);
		KUNIT_EXPECT_NULL(test, strchr(cowstat_kunit_names[i].meaning,
					       '\n'));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, name, cowstat_kunit_name(j));
	}
	KUNIT_EXPECT_NULL(test, cowstat_counter_name(COWSTAT_NR_COUNTERS));
	KUNIT_EXPECT_NULL(test, cowstat_counter_name(-1));
}

static struct kunit_case cowstat_classify_cases[] = {
	KUNIT_CASE_PARAM(cowstat_classify_wp_outcomes, wp_gen_params),
	KUNIT_CASE_PARAM(cowstat_classify_wp_without_return, wp_gen_params),
	KUNIT_CASE(cowstat_classify_wp_copy_per_kind),
	KUNIT_CASE(cowstat_classify_wp_appends),
	KUNIT_CASE_PARAM(cowstat_classify_thp_outcomes, thp_gen_params),
	KUNIT_CASE_PARAM(cowstat_classify_hugetlb_outcomes,
			 hugetlb_gen_params),
	KUNIT_CASE_PARAM(cowstat_classify_fork_vma_counts, fork_gen_params),
	KUNIT_CASE_PARAM(cowstat_classify_caller_names, caller_gen_params),
	KUNIT_CASE_PARAM(cowstat_classify_site_names, site_gen_params),
	KUNIT_CASE(cowstat_incs_add_folds_and_drops_zero),
	KUNIT_CASE(cowstat_incs_add_full),
	KUNIT_CASE(cowstat_incs_add_widest_event_fits),
	KUNIT_CASE(cowstat_counter_name_matches_list),
	{}
};

static struct kunit_suite cowstat_classify_suite = {
	.name = "cowstat_classify",
	.test_cases = cowstat_classify_cases,
};

kunit_test_suite(cowstat_classify_suite);
