// SPDX-License-Identifier: GPL-2.0
/*
 * S19: swap entries shared by fork (kernel-hooks.md §6 S19).
 *
 * With a swap file on (tests/run-vm-tests prepares one on its ext4 mount
 * and passes it in COWSTAT_SWAPFILE; this scenario turns it on and off
 * itself, so no other scenario runs with swap), R's N written pages are
 * paged out with MADV_PAGEOUT: their PTEs become swap entries (smaps Swap
 * N*4 kB, Rss 0).  fork copies R: N swap entries shared (the child's
 * VmSwap), no present page.  Only the fork side is asserted: what a later
 * write costs depends on swap-cache hits (kernel-hooks.md §6 S19).
 *
 * Same on 6.1 and 6.12.
 */
#include <sys/swap.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

static const char *swapfile;

static void swap_off(void)
{
	swapoff(swapfile);
}

int main(void)
{
	const struct cs_vma_stat *sv;
	struct cs_vma_stat sm;
	struct cs_group g;
	char *r;
	pid_t pid;

	cs_init("s19-swap", CS_TRACE_FORKS);
	swapfile = getenv("COWSTAT_SWAPFILE");
	if (!swapfile || !*swapfile)
		cs_die("COWSTAT_SWAPFILE is not set: run through tests/run-vm-tests");
	if (swapon(swapfile, 0))
		cs_die("swapon %s", swapfile);
	atexit(swap_off);

	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	if (madvise(r, RSIZE, MADV_PAGEOUT))
		cs_die("MADV_PAGEOUT");
	cs_smaps(getpid(), r, &sm);
	CS_EQ("smaps(R) Swap kB after MADV_PAGEOUT", N_PAGES * 4, sm.swap);
	CS_EQ("smaps(R) Rss kB after MADV_PAGEOUT", 0, sm.rss);
	cs_track(&g, getpid(), r, r + RSIZE);

	pid = cs_fork(0);
	if (pid == 0)
		_exit(0);
	sv = cs_snap_vma(cs_fork_snapshot(pid), r);
	if (sv) {
		CS_EQ("child-at-fork smaps(R) Swap kB", N_PAGES * 4, sv->swap);
		CS_EQ("child-at-fork smaps(R) Rss kB", 0, sv->rss);
	}
	cs_expect_exit0("child", pid);
	{
		const struct cs_exp e[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_swap_shared", N_PAGES }, { "fork_pt_pages", 3 },
			{ NULL } };

		cs_expect_group("R", &g, e);
	}
	return cs_finish();
}
