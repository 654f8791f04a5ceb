// SPDX-License-Identifier: GPL-2.0
/*
 * S12: anonymous THP at fork and at write faults (kernel-hooks.md §6 S12).
 *
 * R is 4 MB, 2 MB aligned, MADV_HUGEPAGE; one byte written per 2 MB gives
 * two THPs (thp_fault_alloc +2, AnonHugePages 4096 kB).  Then
 * MADV_NOHUGEPAGE keeps khugepaged away from R (the THPs stay).
 *
 * fork: copy_huge_pmd shares both PMDs: 2 THPs, 1024 anon pages, and the
 * child's page tables are PUD + PMD + one deposited PTE table per THP.
 * The child writes pages 0 and 1 (THP#1): the first fault splits the
 * child's PMD (do_huge_pmd_wp_page falls back; thp_split_pmd +1) and copies
 * one 4 KB page; the second copies one more, no split.
 * The parent, the child alive, writes page 512 (THP#2): split + copy.
 * The child exits.  The parent writes page 0: THP#1 is mapped by its PMD
 * alone: a THP reuse (no split, no copy, not a do_wp_page fault).  It
 * writes page 514 of the split THP#2, now mapped by it alone: on 6.1 and
 * 6.12 a PTE-mapped large folio is never reused, so a copy.  (6.15+ with
 * CONFIG_MM_ID can reuse it: that step is asserted only before 6.15.)
 *
 * SKIP when THP is disabled or no THP can be allocated.
 */
#include <stdio.h>

#include "lib.h"

#define NPG 1024
#define RSIZE (NPG * PAGE)

int main(void)
{
	struct cs_group all, child, par;
	long long alloc0, split0, flt, reuse, flt0;
	struct cs_vma_stat sm;
	const struct cs_vma_stat *sv;
	struct cs_chan ch;
	char *r;
	pid_t pid;
	int old_folio_copy;

	cs_init("s12-thp", CS_TRACE_FORKS);
	old_folio_copy = !cs_kernel_at_least(6, 15);
	cs_need_thp();
	r = cs_region(0, NPG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 0);
	if (madvise(r, RSIZE, MADV_HUGEPAGE))
		cs_die("MADV_HUGEPAGE");
	cs_track(&all, getpid(), r, r + RSIZE);
	alloc0 = cs_vmstat("thp_fault_alloc");
	r[0] = 1;
	r[HPAGE] = 1;
	cs_smaps(getpid(), r, &sm);
	if (sm.anon_huge != 4096)
		cs_skip("no THP could be allocated (AnonHugePages %ld kB)",
			sm.anon_huge);
	CS_EQ("thp_fault_alloc delta", 2, cs_vmstat("thp_fault_alloc") - alloc0);
	if (madvise(r, RSIZE, MADV_NOHUGEPAGE))
		cs_die("MADV_NOHUGEPAGE");
	cs_expect_group("THP first touch", &all, NULL);

	pid = cs_fork_writer(&ch, r, 0);
	cs_track(&child, pid, r, r + RSIZE);
	cs_track(&par, getpid(), r, r + RSIZE);
	{
		const struct cs_exp e[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_thp_shared", 2 },
			{ "fork_pages_shared_anon", NPG },
			{ "fork_pt_pages", 4 }, { NULL } };

		cs_expect_group("fork", &all, e);
	}
	sv = cs_snap_vma(cs_fork_snapshot(pid), r);
	if (sv)
		CS_EQ("child-at-fork smaps(R) AnonHugePages kB", 4096,
		      sv->anon_huge);

	split0 = cs_vmstat("thp_split_pmd");
	cs_child_write(&ch, 0, 2, 2, &flt, &reuse);
	CS_EQ("thp_split_pmd delta over the child's writes", 1,
	      cs_vmstat("thp_split_pmd") - split0);
	CS_EQ("child minflt delta", 2, flt);
	CS_EQ("child pgreuse delta", 0, reuse);
	{
		const struct cs_exp e[] = {
			{ "thp_splits", 1 }, { "cow_copies_anon", 2 },
			{ "wp_faults", 2 }, { NULL } };

		cs_expect_group("child", &child, e);
	}

	cs_quiesce();
	split0 = cs_vmstat("thp_split_pmd");
	cs_write_pages(r, 512, 1, 3);
	CS_EQ("thp_split_pmd delta over the parent's write to THP#2", 1,
	      cs_vmstat("thp_split_pmd") - split0);
	{
		const struct cs_exp e[] = {
			{ "thp_splits", 1 }, { "cow_copies_anon", 1 },
			{ "wp_faults", 1 }, { NULL } };

		cs_expect_group("parent, child alive", &par, e);
	}
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);

	cs_quiesce();
	split0 = cs_vmstat("thp_split_pmd");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, 1, 4);
	cs_write_pages(r, 1, 1, 4);	/* the PMD is writable now */
	CS_EQ("parent minflt delta writing THP#1", 1,
	      cs_minflt(getpid()) - flt0);
	if (old_folio_copy)
		cs_write_pages(r, 514, 1, 4);
	CS_EQ("thp_split_pmd delta after the child exited", 0,
	      cs_vmstat("thp_split_pmd") - split0);
	{
		const struct cs_exp e_old[] = {
			{ "thp_splits", 1 }, { "thp_reuses", 1 },
			{ "cow_copies_anon", 2 }, { "wp_faults", 2 }, { NULL } };
		const struct cs_exp e_new[] = {
			{ "thp_splits", 1 }, { "thp_reuses", 1 },
			{ "cow_copies_anon", 1 }, { "wp_faults", 1 }, { NULL } };

		cs_expect_group("parent", &par, old_folio_copy ? e_old : e_new);
	}
	cs_smaps(getpid(), r, &sm);
	CS_EQ("parent smaps(R) AnonHugePages kB (THP#1 whole, THP#2 split)",
	      2048, sm.anon_huge);
	return cs_finish();
}
