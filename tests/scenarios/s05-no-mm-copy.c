// SPDX-License-Identifier: GPL-2.0
/*
 * S5: vfork, posix_spawn, system() and clone(CLONE_VM) copy no mm
 * (kernel-hooks.md §6 S5).
 *
 * R (N pages) is written.  Then: vfork + exec, posix_spawn, system() (glibc
 * 2.36 uses clone(CLONE_VM|CLONE_VFORK) for the last two) and a
 * clone(CLONE_VM) thread-like child.  None of them calls copy_page_range,
 * so the parent's PTEs stay writable and exclusive: its writes to R then
 * take no fault at all, and no counter moves, not even forks.  The exec'd
 * children get exec-born records.
 *
 * Same on 6.1 and 6.12.
 */
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

static char clone_stack[64 << 10] __attribute__((aligned(16)));

static int clone_child(void *arg)
{
	(void)arg;
	return 0;
}

int main(void)
{
	static char *const argv[] = { "true", NULL };
	static char *const envp[] = { NULL };
	struct cs_group range, whole;
	long long reuse0, flt0;
	pid_t vf, sp, cl;
	int st;
	char *r;

	cs_init("s05-no-mm-copy", 0);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	cs_track(&range, getpid(), r, r + RSIZE);
	cs_track(&whole, getpid(), NULL, NULL);

	vf = vfork();
	if (vf == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	if (vf < 0)
		cs_die("vfork");
	cs_expect_exit0("vfork child", vf);

	if (posix_spawn(&sp, "/bin/true", NULL, NULL, argv, envp))
		cs_die("posix_spawn");
	cs_expect_exit0("posix_spawn child", sp);

	st = system("exit 0");
	if (st)
		cs_fail("system(\"exit 0\") returned 0x%x", st);

	cl = clone(clone_child, clone_stack + sizeof(clone_stack),
		   CLONE_VM | SIGCHLD, NULL);
	if (cl < 0)
		cs_die("clone(CLONE_VM)");
	cs_expect_exit0("clone(CLONE_VM) child", cl);

	CS_EQ("procs rows of the vfork child born by exec", 1,
	      cs_procs_count(vf, "exec"));
	CS_EQ("procs rows of the posix_spawn child born by exec", 1,
	      cs_procs_count(sp, "exec"));
	CS_EQ("procs rows of the vfork child born by fork", 0,
	      cs_procs_count(vf, "fork"));

	/* PTEs were never write-protected: no fault at all */
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 2);
	CS_EQ("parent minflt delta", 0, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_expect_group("R", &range, NULL);
	/* the exec'd children fault (ld.so, relocations) but fork nothing */
	CS_EQ("whole group: forks", 0, cs_group_get(&whole, "forks"));
	CS_EQ("whole group: fork_vmas_copied", 0,
	      cs_group_get(&whole, "fork_vmas_copied"));
	CS_EQ("whole group: fork_vmas_skipped", 0,
	      cs_group_get(&whole, "fork_vmas_skipped"));
	CS_EQ("whole group: fork_pt_pages", 0,
	      cs_group_get(&whole, "fork_pt_pages"));
	return cs_finish();
}
