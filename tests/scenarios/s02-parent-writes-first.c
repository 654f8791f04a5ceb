// SPDX-License-Identifier: GPL-2.0
/*
 * S2: the parent writes first (kernel-hooks.md §6 S2).
 *
 * R (N pages) is written, then forked; the child stays alive and does not
 * write.  The parent writes all N: every page is still mapped by both, so
 * N copies.  Then the child writes K: its pages are its own now, so K moved
 * reuses and no copy.  Rule: whoever writes second reuses.
 *
 * Same on 6.1 and 6.12 (small anon folios; see s01).
 */
#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group all, child, par;
	struct cs_vma_stat sm;
	long long reuse0, flt0;
	struct cs_chan ch;
	char *r;
	pid_t pid;

	cs_init("s02-parent-writes-first", CS_TRACE_FORKS);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_track(&all, getpid(), r, r + RSIZE);
	cs_write_pages(r, 0, N_PAGES, 1);

	pid = cs_fork_writer(&ch, r, 0);
	cs_track(&child, pid, r, r + RSIZE);
	cs_track(&par, getpid(), r, r + RSIZE);

	/* the parent writes all N while the child maps them: N copies */
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 3);
	CS_EQ("parent minflt delta", N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta over the parent's writes", 0,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp par_w[] = {
			{ "cow_copies_anon", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("parent", &par, par_w);
		cs_expect_group("child before writing", &child, NULL);
	}
	cs_smaps(getpid(), r, &sm);
	CS_EQ("parent smaps(R) Private_Dirty kB", N_PAGES * 4,
	      sm.private_dirty);
	cs_smaps(pid, r, &sm);
	CS_EQ("child smaps(R) Private_Dirty kB (mapped by it alone now)",
	      N_PAGES * 4, sm.private_dirty);
	CS_EQ("child smaps(R) Shared_Dirty kB", 0, sm.shared_dirty);

	/* the child writes K: its pages are its own, K moved reuses */
	cs_child_write(&ch, 0, K_PAGES, 2, &flt0, &reuse0);
	CS_EQ("child minflt delta", K_PAGES, flt0);
	CS_EQ("pgreuse delta over the child's writes", K_PAGES, reuse0);
	{
		const struct cs_exp child_w[] = {
			{ "cow_reuses_moved", K_PAGES }, { "wp_faults", K_PAGES },
			{ NULL } };
		const struct cs_exp all_w[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", N_PAGES },
			{ "fork_pt_pages", 3 },
			{ "cow_copies_anon", N_PAGES },
			{ "cow_reuses_moved", K_PAGES },
			{ "wp_faults", N_PAGES + K_PAGES }, { NULL } };

		cs_expect_group("child", &child, child_w);
		cs_expect_group("group", &all, all_w);
	}
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);
	return cs_finish();
}
