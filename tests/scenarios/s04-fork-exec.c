// SPDX-License-Identifier: GPL-2.0
/*
 * S4: fork + exec (kernel-hooks.md §6 S4).
 *
 * R (N pages) is written and forked; the child at once execs /bin/true.
 * Its fork-born mm retires with no copy in R and an exec-born record
 * appears.  After waitpid the parent writes N: the pages are its alone,
 * N moved reuses, no copy.
 *
 * Same on 6.1 and 6.12.
 */
#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	static char *const argv[] = { "true", NULL };
	static char *const envp[] = { NULL };
	struct cs_group all, child, par;
	long long reuse0, flt0;
	char *r;
	pid_t pid;

	cs_init("s04-fork-exec", CS_TRACE_FORKS);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_track(&all, getpid(), r, r + RSIZE);
	cs_write_pages(r, 0, N_PAGES, 1);

	pid = cs_fork(0);
	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	/* the parent's own group starts after the fork; the child's too */
	cs_track(&par, getpid(), r, r + RSIZE);
	cs_track(&child, pid, r, r + RSIZE);
	cs_expect_exit0("child (/bin/true)", pid);
	CS_EQ("procs rows of the child born by fork", 1,
	      cs_procs_count(pid, "fork"));
	CS_EQ("procs rows of the child born by exec", 1,
	      cs_procs_count(pid, "exec"));

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 2);
	CS_EQ("parent minflt delta", N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta", N_PAGES, cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp par_w[] = {
			{ "cow_reuses_moved", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };
		const struct cs_exp all_w[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", N_PAGES },
			{ "fork_pt_pages", 3 },
			{ "cow_reuses_moved", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("parent", &par, par_w);
		/* nothing of R was written by the child before its exec */
		cs_expect_group("child", &child, NULL);
		cs_expect_group("group", &all, all_w);
	}
	return cs_finish();
}
