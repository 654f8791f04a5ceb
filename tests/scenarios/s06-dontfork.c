// SPDX-License-Identifier: GPL-2.0
/*
 * S6: MADV_DONTFORK on R (kernel-hooks.md §6 S6).
 *
 * fork neither duplicates nor copies R: the child has one VMA less than
 * the parent, and an access to R kills it with SIGSEGV.  The parent's PTEs
 * were never write-protected, so its writes take no fault.  In R only the
 * fork itself counts (forks has no address, so every group of the forking
 * process counts it).
 *
 * Same on 6.1 and 6.12 (6.12 erases DONTCOPY VMAs from the duplicated
 * maple tree, 6.1 skips them; the result is the same).
 */
#include <signal.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group range;
	long long reuse0, flt0;
	const struct cs_snap *s;
	int parent_vmas, st;
	char *r;
	pid_t pid;

	cs_init("s06-dontfork", CS_TRACE_FORKS);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	if (madvise(r, RSIZE, MADV_DONTFORK))
		cs_die("MADV_DONTFORK");
	cs_track(&range, getpid(), r, r + RSIZE);

	parent_vmas = cs_map_count(getpid());
	pid = cs_fork(0);
	if (pid == 0) {
		*(volatile char *)r = 2;	/* not mapped here: SIGSEGV */
		_exit(0);
	}
	s = cs_fork_snapshot(pid);
	if (s)
		CS_EQ("child VMAs (parent's minus R)", parent_vmas - 1,
		      s->nvmas);
	st = cs_wait_exit(pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
		cs_fail("child touching R: expected SIGSEGV, status 0x%x", st);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 3);
	CS_EQ("parent minflt delta", 0, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp only_fork[] = { { "forks", 1 }, { NULL } };

		cs_expect_group("R", &range, only_fork);
	}
	return cs_finish();
}
