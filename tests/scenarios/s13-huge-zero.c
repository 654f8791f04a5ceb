// SPDX-License-Identifier: GPL-2.0
/*
 * S13: the huge zero page (kernel-hooks.md §6 S13).
 *
 * R is 2 MB, 2 MB aligned, MADV_HUGEPAGE.  Reading one byte maps the huge
 * zero page with one PMD (no rss; page 1 is present in pagemap without
 * being touched).
 *
 * Before 6.13 (6.1, 6.12): writing page 0, do_huge_pmd_wp_page splits the
 * zero PMD into 512 zero-page PTEs and falls back (thp_split_pmd +1), then
 * do_wp_page copies the zero page.  Writing page 1: one more zero-page
 * copy, no split.
 *
 * From 6.13 (commit 1ced09e0331f, "mm: allocate THP on hugezeropage
 * wp-fault", Dev Jain): writing page 0 maps a new zeroed THP in place of
 * the huge zero PMD (thp_fault_alloc +1, no split, no do_wp_page): 512
 * zero pages copied at once.  Page 1 is then writable: no fault at all.
 * (If the THP cannot be allocated the kernel splits as before; the test
 * fails then, naming thp_fault_alloc.)
 *
 * SKIP when THP or its zero page is disabled.
 */
#include "lib.h"

#define NPG 512
#define RSIZE (NPG * PAGE)

int main(void)
{
	long long split0, flt0, reuse0, alloc0;
	int thp_on_write = cs_kernel_at_least(6, 13);
	struct cs_group g;
	struct cs_vma_stat sm;
	char zp[16];
	char *r;

	cs_init("s13-huge-zero", 0);
	cs_need_thp();
	if (cs_read_file("/sys/kernel/mm/transparent_hugepage/use_zero_page",
			 zp, sizeof(zp)) || zp[0] != '1')
		cs_skip("the huge zero page is disabled (use_zero_page)");
	r = cs_region(0, NPG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 0);
	if (madvise(r, RSIZE, MADV_HUGEPAGE))
		cs_die("MADV_HUGEPAGE");
	cs_track(&g, getpid(), r, r + RSIZE);
	if (cs_read_pages(r, 0, 1))
		cs_fail("R reads non-zero");
	CS_EQ("page 1 present after reading page 0 (huge zero PMD)", 1,
	      PM_PRESENT(cs_pagemap(getpid(), r + PAGE)));
	cs_smaps(getpid(), r, &sm);
	CS_EQ("smaps(R) Rss kB after the read", 0, sm.rss);

	cs_quiesce();
	split0 = cs_vmstat("thp_split_pmd");
	reuse0 = cs_vmstat("pgreuse");
	alloc0 = cs_vmstat("thp_fault_alloc");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, 1, 1);
	CS_EQ("thp_fault_alloc delta over the first write", thp_on_write,
	      cs_vmstat("thp_fault_alloc") - alloc0);
	CS_EQ("thp_split_pmd delta over the first write", !thp_on_write,
	      cs_vmstat("thp_split_pmd") - split0);
	cs_write_pages(r, 1, 1, 1);
	CS_EQ("thp_split_pmd delta over both writes", !thp_on_write,
	      cs_vmstat("thp_split_pmd") - split0);
	CS_EQ("minflt delta over both writes", thp_on_write ? 1 : 2,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_smaps(getpid(), r, &sm);
	CS_EQ("smaps(R) Anonymous kB", thp_on_write ? 2048 : 8, sm.anon);
	if (thp_on_write) {
		const struct cs_exp e[] = {
			{ "cow_copies_zero", NPG }, { NULL } };

		cs_expect_group("R (6.13+: a new THP)", &g, e);
	} else {
		const struct cs_exp e[] = {
			{ "thp_splits", 1 }, { "cow_copies_zero", 2 },
			{ "wp_faults", 2 }, { NULL } };

		cs_expect_group("R", &g, e);
	}
	return cs_finish();
}
