// SPDX-License-Identifier: GPL-2.0
/*
 * S3: three-way sharing (kernel-hooks.md §6 S3).
 *
 * R (N pages) is written, then two children A and B are forked; both stay
 * alive and nobody has written, so each page is mapped three times.  A
 * writes K pages: K copies.  B writes the same K: they are still mapped by
 * the parent and B, K copies.  The parent writes them: mapped by it alone,
 * K moved reuses.  Per page: two copies and one reuse.
 *
 * Same on 6.1 and 6.12.
 */
#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group all, ga, gb, gp;
	struct cs_chan cha, chb;
	struct cs_vma_stat sm;
	long long flt, reuse, reuse0, flt0;
	char *r;
	pid_t a, b;

	cs_init("s03-three-way", CS_TRACE_FORKS);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_track(&all, getpid(), r, r + RSIZE);
	cs_write_pages(r, 0, N_PAGES, 1);

	a = cs_fork_writer(&cha, r, 0);
	b = cs_fork_writer(&chb, r, 0);
	cs_track(&ga, a, r, r + RSIZE);
	cs_track(&gb, b, r, r + RSIZE);
	cs_track(&gp, getpid(), r, r + RSIZE);

	cs_child_write(&cha, 0, K_PAGES, 2, &flt, &reuse);
	CS_EQ("A minflt delta", K_PAGES, flt);
	CS_EQ("pgreuse delta over A's writes", 0, reuse);
	cs_child_write(&chb, 0, K_PAGES, 3, &flt, &reuse);
	CS_EQ("B minflt delta", K_PAGES, flt);
	CS_EQ("pgreuse delta over B's writes", 0, reuse);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, K_PAGES, 4);
	CS_EQ("parent minflt delta", K_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta over the parent's writes", K_PAGES,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp copies[] = {
			{ "cow_copies_anon", K_PAGES }, { "wp_faults", K_PAGES },
			{ NULL } };
		const struct cs_exp moved[] = {
			{ "cow_reuses_moved", K_PAGES }, { "wp_faults", K_PAGES },
			{ NULL } };
		const struct cs_exp total[] = {
			{ "forks", 2 }, { "fork_vmas_copied", 2 },
			{ "fork_pages_shared_anon", 2 * N_PAGES },
			{ "fork_pt_pages", 6 },
			{ "cow_copies_anon", 2 * K_PAGES },
			{ "cow_reuses_moved", K_PAGES },
			{ "wp_faults", 3 * K_PAGES }, { NULL } };

		cs_expect_group("A", &ga, copies);
		cs_expect_group("B", &gb, copies);
		cs_expect_group("parent", &gp, moved);
		cs_expect_group("group", &all, total);
	}
	/* the N-K unwritten pages are still mapped three times */
	cs_smaps(getpid(), r, &sm);
	CS_EQ("parent smaps(R) Private_Dirty kB", K_PAGES * 4,
	      sm.private_dirty);
	CS_EQ("parent smaps(R) Shared_Dirty kB", (N_PAGES - K_PAGES) * 4,
	      sm.shared_dirty);

	cs_child_exit(&cha);
	cs_child_exit(&chb);
	cs_expect_exit0("A", a);
	cs_expect_exit0("B", b);
	return cs_finish();
}
