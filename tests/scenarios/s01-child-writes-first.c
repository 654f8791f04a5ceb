// SPDX-License-Identifier: GPL-2.0
/*
 * S1: basic fork COW, the child writes first (kernel-hooks.md §6 S1).
 *
 * Two regions, A and B, each N pages written before the fork.  The child
 * writes K pages of each.  Then, variant (b): the parent writes all of B
 * while the child is alive: the K pages the child copied are now the
 * parent's alone (moved reuse), the other N-K are still shared (copies).
 * The child exits; variant (a): the parent writes all of A: every page is
 * the parent's alone (N moved reuses, no copy).  Rule: whoever writes
 * second reuses.
 *
 * Same on 6.1 and 6.12: both reuse a non-exclusive small anon folio whose
 * refcount is 1 after draining the local LRU batch (H1 keeps it local).
 */
#include <unistd.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group a_all, b_all, a_child, b_child, a_par, b_par;
	struct cs_vma_stat sm;
	const struct cs_vma_stat *snap;
	long long reuse0, flt0, child_flt, child_reuse;
	struct cs_chan ch;
	char *ra, *rb;
	pid_t pid;

	cs_init("s01-child-writes-first", CS_TRACE_FORKS);
	ra = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	rb = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_track(&a_all, getpid(), ra, ra + RSIZE);
	cs_track(&b_all, getpid(), rb, rb + RSIZE);

	/* first touches are not write-protect faults: nothing to count */
	cs_write_pages(ra, 0, N_PAGES, 1);
	cs_write_pages(rb, 0, N_PAGES, 1);
	cs_expect_group("A first touch", &a_all, NULL);

	cs_chan_init(&ch);
	pid = cs_fork(0);
	if (pid == 0) {
		cs_chan_child(&ch);
		cs_wait_parent(&ch);
		cs_quiesce();
		reuse0 = cs_vmstat("pgreuse");
		flt0 = cs_minflt(getpid());
		cs_write_pages(ra, 0, K_PAGES, 2);
		cs_write_pages(rb, 0, K_PAGES, 2);
		flt0 = cs_minflt(getpid()) - flt0;
		reuse0 = cs_vmstat("pgreuse") - reuse0;	/* H7 */
		cs_tell_parent(&ch, flt0);
		cs_tell_parent(&ch, reuse0);
		cs_wait_parent(&ch);
		_exit(0);
	}
	cs_chan_parent(&ch);
	cs_track(&a_child, pid, ra, ra + RSIZE);
	cs_track(&b_child, pid, rb, rb + RSIZE);
	cs_track(&a_par, getpid(), ra, ra + RSIZE);
	cs_track(&b_par, getpid(), rb, rb + RSIZE);

	/* the fork: R copied, N anon pages shared, PUD+PMD+PTE tables */
	{
		const struct cs_exp fork_a[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", N_PAGES },
			{ "fork_pt_pages", 3 }, { NULL } };

		cs_expect_group("A after fork", &a_all, fork_a);
		cs_expect_group("B after fork", &b_all, fork_a);
	}
	cs_smaps(getpid(), ra, &sm);
	CS_EQ("parent smaps(A) Shared_Dirty kB", N_PAGES * 4, sm.shared_dirty);
	CS_EQ("parent smaps(A) Private_Dirty kB", 0, sm.private_dirty);
	snap = cs_snap_vma(cs_fork_snapshot(pid), ra);
	if (!snap) {
		cs_fail("no snapshot of the child's A");
	} else {
		CS_EQ("child-at-fork smaps(A) Rss kB", N_PAGES * 4, snap->rss);
		CS_EQ("child-at-fork smaps(A) Anonymous kB", N_PAGES * 4,
		      snap->anon);
		CS_EQ("child-at-fork smaps(A) Shared_Dirty kB", N_PAGES * 4,
		      snap->shared_dirty);
	}

	/* the child writes K of each: K copies each, no reuse */
	cs_quiesce();	/* H7 */
	cs_tell_child(&ch, 1);
	child_flt = cs_wait_child(&ch);
	child_reuse = cs_wait_child(&ch);
	CS_EQ("child minflt delta over its 2K writes", 2 * K_PAGES, child_flt);
	CS_EQ("pgreuse delta over the child's writes", 0, child_reuse);
	{
		const struct cs_exp child_w[] = {
			{ "cow_copies_anon", K_PAGES }, { "wp_faults", K_PAGES },
			{ NULL } };

		cs_expect_group("A child", &a_child, child_w);
		cs_expect_group("B child", &b_child, child_w);
		cs_expect_group("A parent before writing", &a_par, NULL);
	}
	cs_smaps(getpid(), ra, &sm);
	CS_EQ("parent smaps(A) Private_Dirty kB after child writes",
	      K_PAGES * 4, sm.private_dirty);
	CS_EQ("parent smaps(A) Shared_Dirty kB after child writes",
	      (N_PAGES - K_PAGES) * 4, sm.shared_dirty);
	cs_smaps(pid, ra, &sm);
	CS_EQ("child smaps(A) Private_Dirty kB", K_PAGES * 4, sm.private_dirty);
	CS_EQ("child smaps(A) Shared_Dirty kB", (N_PAGES - K_PAGES) * 4,
	      sm.shared_dirty);

	/* (b) the child is alive: K moved reuses, N-K copies */
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(rb, 0, N_PAGES, 3);
	CS_EQ("parent minflt delta writing B", N_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta writing B (child alive)", K_PAGES,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp par_b[] = {
			{ "cow_reuses_moved", K_PAGES },
			{ "cow_copies_anon", N_PAGES - K_PAGES },
			{ "wp_faults", N_PAGES }, { NULL } };
		const struct cs_exp all_b[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", N_PAGES },
			{ "fork_pt_pages", 3 },
			{ "cow_reuses_moved", K_PAGES },
			{ "cow_copies_anon", N_PAGES },
			{ "wp_faults", N_PAGES + K_PAGES }, { NULL } };

		cs_expect_group("B parent (b)", &b_par, par_b);
		cs_expect_group("B group (b)", &b_all, all_b);
	}
	cs_smaps(getpid(), rb, &sm);
	CS_EQ("parent smaps(B) Private_Dirty kB after (b)", N_PAGES * 4,
	      sm.private_dirty);
	CS_EQ("parent smaps(B) Shared_Dirty kB after (b)", 0, sm.shared_dirty);

	/* (a) the child exits (H4: waitpid returns after its exit_mmap) */
	cs_tell_child(&ch, 2);
	cs_expect_exit0("child", pid);
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(ra, 0, N_PAGES, 3);
	CS_EQ("parent minflt delta writing A", N_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta writing A (child gone)", N_PAGES,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp par_a[] = {
			{ "cow_reuses_moved", N_PAGES },
			{ "wp_faults", N_PAGES }, { NULL } };
		const struct cs_exp child_a[] = {
			{ "cow_copies_anon", K_PAGES }, { "wp_faults", K_PAGES },
			{ NULL } };
		const struct cs_exp all_a[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", N_PAGES },
			{ "fork_pt_pages", 3 },
			{ "cow_copies_anon", K_PAGES },
			{ "cow_reuses_moved", N_PAGES },
			{ "wp_faults", N_PAGES + K_PAGES }, { NULL } };

		cs_expect_group("A parent (a)", &a_par, par_a);
		cs_expect_group("A child after exit", &a_child, child_a);
		cs_expect_group("A group (a)", &a_all, all_a);
	}
	cs_smaps(getpid(), ra, &sm);
	CS_EQ("parent smaps(A) Private_Dirty kB after (a)", N_PAGES * 4,
	      sm.private_dirty);
	return cs_finish();
}
