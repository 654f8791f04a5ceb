// SPDX-License-Identifier: GPL-2.0
/*
 * T1: one track group over a process tree with short-lived grandchildren.
 *
 * P writes R (N pages) and starts a group for itself and its descendants
 * over R.  P forks C; C forks M grandchildren at once, each writes K pages
 * of R and exits at once; C waits for them and exits.  Every grandchild's
 * page is then mapped by P, C and itself: M*K copies.  Every fork copied R
 * whole: M+1 forks, each N shared pages and a PUD+PMD+PTE table.  After C
 * is gone, P's N writes find its pages alone: N moved reuses.  The group
 * must hold all of it although every member but P has exited (their
 * records retired long before the group is read).
 *
 * Same on 6.1 and 6.12.
 */
#include <sys/syscall.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define M 16

int main(void)
{
	long long reuse0, flt0;
	struct cs_group g;
	char *r;
	pid_t c;

	cs_init("t01-tree", 0);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	cs_track(&g, getpid(), r, r + RSIZE);

	c = cs_fork(0);
	if (c == 0) {
		pid_t kids[M];
		int i, st, bad = 0;

		for (i = 0; i < M; i++) {
			kids[i] = syscall(SYS_fork);
			if (kids[i] == 0) {
				cs_write_pages(r, i, K_PAGES, 2);
				_exit(0);
			}
			if (kids[i] < 0)
				_exit(2);
		}
		for (i = 0; i < M; i++) {
			if (waitpid(kids[i], &st, 0) != kids[i] ||
			    !WIFEXITED(st) || WEXITSTATUS(st))
				bad = 1;
		}
		_exit(bad);
	}
	cs_expect_exit0("C (or one of its children)", c);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 3);
	CS_EQ("P minflt delta", N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("P pgreuse delta", N_PAGES, cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp e[] = {
			{ "forks", M + 1 }, { "fork_vmas_copied", M + 1 },
			{ "fork_pages_shared_anon", (M + 1) * N_PAGES },
			{ "fork_pt_pages", 3 * (M + 1) },
			{ "cow_copies_anon", M * K_PAGES },
			{ "cow_reuses_moved", N_PAGES },
			{ "wp_faults", M * K_PAGES + N_PAGES }, { NULL } };

		cs_expect_group("tree", &g, e);
	}
	return cs_finish();
}
