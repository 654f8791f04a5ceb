// SPDX-License-Identifier: GPL-2.0
/*
 * S24: a PTE-mapped THP reused at write faults (6.15+).
 *
 * Since 6.15 (commit 1da190f4d0a6, "mm: Copy-on-Write (COW) reuse support
 * for PTE-mapped THP", David Hildenbrand; CONFIG_MM_ID) do_wp_page reuses
 * a page of a large folio that only one mm maps, where 6.1 and 6.12 copy
 * it.  Every such reuse must count as a reuse (cow_reuses), never as a
 * copy or a lost race.
 *
 * R is 2 MB, 2 MB aligned, MADV_HUGEPAGE; one written byte gives a THP,
 * then MADV_NOHUGEPAGE keeps khugepaged away.  fork: the THP is shared.
 * The parent, the child alive, writes page 0: its PMD is split
 * (thp_split_pmd +1) and page 0 copied.  The child exits: the folio is now
 * mapped by the parent's 511 PTEs alone, none of them exclusive.  The
 * parent writes pages 1..K: K write faults, each a reuse of its page in
 * place (pgreuse +K, no copy, the PFNs unchanged, AnonHugePages 0 and Rss
 * 2 MB all along).
 *
 * cowstat tells that reuse by its PTE update (ptep_set_access_flags from
 * the inlined wp_page_reuse, armed from 6.15): a moved reuse, since the
 * page was shared and is not any more.
 *
 * SKIP before 6.15 (a copy there, s12 asserts it), and when THP is
 * disabled or no THP can be allocated.
 */
#include "lib.h"

#define NPG 512
#define RSIZE (NPG * PAGE)
#define K 8

int main(void)
{
	struct cs_group par;
	long long reuse0, flt0, split0;
	uint64_t pfn[K + 1];
	struct cs_vma_stat sm;
	struct cs_chan ch;
	char *r;
	pid_t pid;
	int i;

	cs_init("s24-thp-pte-reuse", 0);
	if (!cs_kernel_at_least(6, 15))
		cs_skip("a PTE-mapped THP is reused only from 6.15 (commit 1da190f4d0a6); s12 asserts the copy before");
	cs_need_thp();
	r = cs_region(0, NPG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 0);
	if (madvise(r, RSIZE, MADV_HUGEPAGE))
		cs_die("MADV_HUGEPAGE");
	r[0] = 1;
	cs_smaps(getpid(), r, &sm);
	if (sm.anon_huge != 2048)
		cs_skip("no THP could be allocated (AnonHugePages %ld kB)",
			sm.anon_huge);
	if (madvise(r, RSIZE, MADV_NOHUGEPAGE))
		cs_die("MADV_NOHUGEPAGE");

	pid = cs_fork_writer(&ch, r, 0);
	cs_track(&par, getpid(), r, r + RSIZE);

	cs_quiesce();
	split0 = cs_vmstat("thp_split_pmd");
	cs_write_pages(r, 0, 1, 2);
	CS_EQ("thp_split_pmd delta over the parent's first write", 1,
	      cs_vmstat("thp_split_pmd") - split0);
	{
		const struct cs_exp e[] = {
			{ "thp_splits", 1 }, { "cow_copies_anon", 1 },
			{ "wp_faults", 1 }, { NULL } };

		cs_expect_group("parent, child alive", &par, e);
	}
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);

	for (i = 1; i <= K; i++)
		pfn[i] = PM_PFN(cs_pagemap(getpid(), r + i * PAGE));
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 1, K, 3);
	CS_EQ("minflt delta over the parent's K writes", K,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta over the parent's K writes", K,
	      cs_vmstat("pgreuse") - reuse0);
	for (i = 1; i <= K; i++)
		if (pfn[i] &&
		    PM_PFN(cs_pagemap(getpid(), r + i * PAGE)) != pfn[i])
			cs_fail("page %d moved to another PFN: copied, not reused", i);
	cs_smaps(getpid(), r, &sm);
	CS_EQ("smaps(R) Rss kB (511 pages of the folio, 1 copy)", 2048, sm.rss);
	{
		const struct cs_exp e[] = {
			{ "thp_splits", 1 }, { "cow_copies_anon", 1 },
			{ "cow_reuses_moved", K }, { "wp_faults", 1 + K },
			{ NULL } };

		cs_expect_group("parent", &par, e);
	}
	return cs_finish();
}
