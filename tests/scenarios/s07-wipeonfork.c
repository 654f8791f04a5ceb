// SPDX-License-Identifier: GPL-2.0
/*
 * S7: MADV_WIPEONFORK on R (kernel-hooks.md §6 S7).
 *
 * fork duplicates R empty: no copy_page_range for it.  The child reads
 * zeros (zero-page maps, not counted) in R[K..N) and writes R[0..K) (first
 * touches, no write-protect fault).  The parent's PTEs were never
 * write-protected: its writes take no fault.
 *
 * Same on 6.1 and 6.12.
 */
#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group range, child, par;
	struct cs_vma_stat sm;
	long long reuse0, flt0;
	const struct cs_vma_stat *sv;
	struct cs_chan ch;
	char *r;
	pid_t pid;

	cs_init("s07-wipeonfork", CS_TRACE_FORKS);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	if (madvise(r, RSIZE, MADV_WIPEONFORK))
		cs_die("MADV_WIPEONFORK");
	cs_track(&range, getpid(), r, r + RSIZE);

	cs_chan_init(&ch);
	pid = cs_fork(1);
	if (pid == 0) {
		unsigned long sum;

		cs_chan_child(&ch);
		cs_wait_parent(&ch);
		cs_quiesce();
		flt0 = cs_minflt(getpid());
		sum = cs_read_pages(r, K_PAGES, N_PAGES - K_PAGES);
		cs_write_pages(r, 0, K_PAGES, 2);
		cs_tell_parent(&ch, cs_minflt(getpid()) - flt0);
		cs_tell_parent(&ch, sum);
		cs_wait_parent(&ch);
		_exit(0);
	}
	cs_chan_parent(&ch);
	cs_track(&child, pid, r, r + RSIZE);
	cs_track(&par, getpid(), r, r + RSIZE);
	sv = cs_snap_vma(cs_fork_snapshot(pid), r);
	if (!sv)
		cs_fail("the child has no VMA at R");
	else
		CS_EQ("child-at-fork smaps(R) Rss kB", 0, sv->rss);

	cs_tell_child(&ch, 1);
	CS_EQ("child minflt delta (N-K zero-page reads + K first writes)",
	      N_PAGES, cs_wait_child(&ch));
	CS_EQ("sum of the bytes the child read", 0, cs_wait_child(&ch));
	cs_smaps(pid, r, &sm);
	CS_EQ("child smaps(R) Rss kB (zero pages are not counted)",
	      K_PAGES * 4, sm.rss);
	CS_EQ("child smaps(R) Anonymous kB", K_PAGES * 4, sm.anon);
	cs_expect_group("child", &child, NULL);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 3);
	CS_EQ("parent minflt delta", 0, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_expect_group("parent", &par, NULL);
	{
		const struct cs_exp only_fork[] = { { "forks", 1 }, { NULL } };

		cs_expect_group("R", &range, only_fork);
	}
	cs_tell_child(&ch, 2);
	cs_expect_exit0("child", pid);
	return cs_finish();
}
