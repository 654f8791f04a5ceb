// SPDX-License-Identifier: GPL-2.0
/*
 * S8: zero-page COW (kernel-hooks.md §6 S8), three regions.
 *
 * Z1, no fork: reading N pages maps the zero page N times (no rss, no
 * anon_vma); writing them then copies the zero page N times.
 *
 * Z2, fork after reading only: Z2 has no anon_vma, so fork skips it (no
 * PTE, no table copied).  The parent's writes are N zero-page copies; the
 * child's K writes are first touches (it has no PTE in Z2).
 *
 * Z3, one page written before the fork, the rest read: Z3 has an anon_vma
 * and is copied (1 anon page shared, the N-1 zero-page PTEs are copied
 * too but are not rss).  The parent's writes: 1 anon copy, N-1 zero-page
 * copies.
 *
 * Same on 6.1 and 6.12 (both map the zero page on anonymous read faults
 * without anon_vma_prepare()).
 */
#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group g1, z2_all, z3_all, z2_par, z3_par, z2_child;
	struct cs_vma_stat sm;
	long long reuse0, flt0, flt, reuse;
	struct cs_chan ch;
	char *z1, *z2, *z3;
	pid_t pid;

	cs_init("s08-zero-page", CS_TRACE_FORKS);
	z1 = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	z2 = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	z3 = cs_region(2, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);

	/* Z1 */
	cs_track(&g1, getpid(), z1, z1 + RSIZE);
	if (cs_read_pages(z1, 0, N_PAGES))
		cs_fail("Z1 reads were not zero");
	cs_smaps(getpid(), z1, &sm);
	CS_EQ("smaps(Z1) Rss kB after reads", 0, sm.rss);
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(z1, 0, N_PAGES, 1);
	CS_EQ("Z1 minflt delta", N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("Z1 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_smaps(getpid(), z1, &sm);
	CS_EQ("smaps(Z1) Anonymous kB after writes", N_PAGES * 4, sm.anon);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_zero", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("Z1", &g1, e);
	}

	/* Z2 and Z3 share one fork */
	cs_read_pages(z2, 0, N_PAGES);
	cs_write_pages(z3, 0, 1, 1);
	cs_read_pages(z3, 1, N_PAGES - 1);
	cs_track(&z2_all, getpid(), z2, z2 + RSIZE);
	cs_track(&z3_all, getpid(), z3, z3 + RSIZE);
	pid = cs_fork_writer(&ch, z2, 0);
	cs_track(&z2_par, getpid(), z2, z2 + RSIZE);
	cs_track(&z3_par, getpid(), z3, z3 + RSIZE);
	cs_track(&z2_child, pid, z2, z2 + RSIZE);
	{
		const struct cs_exp e2[] = {
			{ "forks", 1 }, { "fork_vmas_skipped", 1 }, { NULL } };
		const struct cs_exp e3[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", 1 }, { "fork_pt_pages", 3 },
			{ NULL } };

		cs_expect_group("Z2 fork", &z2_all, e2);
		cs_expect_group("Z3 fork", &z3_all, e3);
	}

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(z2, 0, N_PAGES, 2);
	cs_write_pages(z3, 0, N_PAGES, 2);
	CS_EQ("Z2+Z3 parent minflt delta", 2 * N_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("Z2+Z3 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_child_write(&ch, 0, K_PAGES, 3, &flt, &reuse);
	CS_EQ("Z2 child minflt delta (first touches)", K_PAGES, flt);
	CS_EQ("Z2 child pgreuse delta", 0, reuse);
	{
		const struct cs_exp p2[] = {
			{ "cow_copies_zero", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };
		const struct cs_exp p3[] = {
			{ "cow_copies_anon", 1 },
			{ "cow_copies_zero", N_PAGES - 1 },
			{ "wp_faults", N_PAGES }, { NULL } };

		cs_expect_group("Z2 parent", &z2_par, p2);
		cs_expect_group("Z3 parent", &z3_par, p3);
		cs_expect_group("Z2 child", &z2_child, NULL);
	}
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);
	return cs_finish();
}
