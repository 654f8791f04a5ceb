// SPDX-License-Identifier: GPL-2.0
/*
 * S9: MAP_SHARED|MAP_ANONYMOUS (shmem) has no write-protect faults
 * (kernel-hooks.md §6 S9).
 *
 * S1 (written, forked): fork skips the VMA (shared, no anon_vma); the
 * child's writes are do_shared_fault first touches in its own page tables;
 * the parent's PTEs stayed writable, so its writes do not fault.
 * S2 (read, then written, no fork): tmpfs has no writenotify and new VMAs
 * carry VM_SOFTDIRTY, so read faults map writable PTEs: the writes do not
 * fault either.  Every counter is 0 in both.
 *
 * Same on 6.1 and 6.12.
 */
#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group g1, g2, c1;
	long long reuse0, flt0, flt, reuse;
	struct cs_chan ch;
	char *s1, *s2;
	pid_t pid;

	cs_init("s09-shmem", CS_TRACE_FORKS);
	s1 = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0, 1);
	s2 = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(s1, 0, N_PAGES, 1);
	cs_track(&g1, getpid(), s1, s1 + RSIZE);
	cs_track(&g2, getpid(), s2, s2 + RSIZE);

	pid = cs_fork_writer(&ch, s1, 0);
	cs_track(&c1, pid, s1, s1 + RSIZE);
	cs_child_write(&ch, 0, K_PAGES, 2, &flt, &reuse);
	CS_EQ("child minflt delta (shared first touches)", K_PAGES, flt);
	CS_EQ("child pgreuse delta", 0, reuse);
	cs_expect_group("S1 child", &c1, NULL);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(s1, 0, N_PAGES, 3);
	CS_EQ("S1 parent minflt delta", 0, cs_minflt(getpid()) - flt0);
	CS_EQ("S1 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp e1[] = {
			{ "forks", 1 }, { "fork_vmas_skipped", 1 }, { NULL } };

		cs_expect_group("S1", &g1, e1);
	}
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);

	cs_read_pages(s2, 0, N_PAGES);
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(s2, 0, N_PAGES, 4);
	CS_EQ("S2 minflt delta over writes after reads", 0,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("S2 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	{
		/* g2 saw the fork too (no address: every group counts it) */
		const struct cs_exp e2[] = {
			{ "forks", 1 }, { "fork_vmas_skipped", 1 }, { NULL } };

		cs_expect_group("S2", &g2, e2);
	}
	return cs_finish();
}
