// SPDX-License-Identifier: GPL-2.0
/*
 * S14: hugetlb (kernel-hooks.md §6 S14).
 *
 * H1, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, 2 MB: the first write maps a
 * huge page (a first touch, not a COW; HugePages_Free -1).  fork shares it
 * (fork_hugetlb_shared 1; the child's tables for it are a PUD and a PMD
 * table).  The child writes: hugetlb_wp copies the whole huge page
 * (HugePages_Free -1).  The parent writes: it maps the page alone now, so
 * hugetlb_wp reuses it.  None of this goes through do_wp_page.
 *
 * H2, MAP_SHARED|MAP_HUGETLB: since 6.0 fork skips a shared hugetlb VMA
 * without anon_vma; nobody's writes are write-protect faults.
 *
 * H3, private again, with the pool shrunk so that no huge page is free
 * once H3 is mapped: after the fork the child's write cannot get a page for
 * its copy (it holds no reservation): hugetlb_wp fails, the child dies of
 * SIGBUS (a write fault that failed).  The parent, alone again, reuses.
 *
 * Needs three free 2 MB huge pages: the scenario raises nr_hugepages by as
 * many as are missing and puts it back.  Same on 6.1 and 6.12.
 */
#include <signal.h>
#include <stdio.h>

#include "lib.h"

#define NPG 512
#define RSIZE (NPG * PAGE)
#define NR_HUGE "/proc/sys/vm/nr_hugepages"

static char old_nr[32];

static void restore(void)
{
	if (old_nr[0])
		cs_write_file(NR_HUGE, old_nr);
}

int main(void)
{
	struct cs_group g1, g2, c1, p1, c3, p3;
	long long free0, flt, reuse;
	struct cs_vma_stat sm;
	const struct cs_vma_stat *sv;
	struct cs_chan ch;
	char *h1, *h2, *h3, num[32];
	int st;
	pid_t pid;

	cs_init("s14-hugetlb", CS_TRACE_FORKS);
	if (cs_meminfo("Hugepagesize") != 2048)
		cs_skip("the default huge page size is not 2 MB");
	if (cs_read_file(NR_HUGE, old_nr, sizeof(old_nr)))
		cs_die("read " NR_HUGE);
	atexit(restore);
	free0 = cs_meminfo("HugePages_Free");
	if (free0 < 3) {
		snprintf(num, sizeof(num), "%lld",
			 cs_meminfo("HugePages_Total") + 3 - free0);
		cs_write_file(NR_HUGE, num);
		if (cs_meminfo("HugePages_Free") < 3)
			cs_skip("could not get 3 free 2 MB huge pages");
	}

	h1 = cs_region(0, NPG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0, 0);
	h2 = cs_region(1, NPG, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0, 0);
	cs_track(&g1, getpid(), h1, h1 + RSIZE);
	cs_track(&g2, getpid(), h2, h2 + RSIZE);
	free0 = cs_meminfo("HugePages_Free");
	cs_write_pages(h1, 0, 1, 1);
	cs_write_pages(h2, 0, 1, 1);
	CS_EQ("HugePages_Free delta over the first writes", -2,
	      cs_meminfo("HugePages_Free") - free0);
	cs_expect_group("H1 first touch", &g1, NULL);
	cs_expect_group("H2 first touch", &g2, NULL);

	cs_chan_init(&ch);
	pid = cs_fork(0);
	if (pid == 0) {
		cs_chan_child(&ch);
		cs_wait_parent(&ch);
		cs_write_pages(h2, 0, 1, 2);	/* shared: no COW */
		cs_write_pages(h1, 0, 1, 2);	/* private: copy */
		cs_tell_parent(&ch, 0);
		cs_wait_parent(&ch);
		_exit(0);
	}
	cs_chan_parent(&ch);
	cs_track(&c1, pid, h1, h1 + RSIZE);
	cs_track(&p1, getpid(), h1, h1 + RSIZE);
	{
		const struct cs_exp e1[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_hugetlb_shared", 1 }, { "fork_pt_pages", 2 },
			{ NULL } };
		const struct cs_exp e2[] = {
			{ "forks", 1 }, { "fork_vmas_skipped", 1 }, { NULL } };

		cs_expect_group("H1 fork", &g1, e1);
		cs_expect_group("H2 fork", &g2, e2);
	}
	sv = cs_snap_vma(cs_fork_snapshot(pid), h1);
	if (sv)
		CS_EQ("child-at-fork smaps(H1) Shared_Hugetlb kB", 2048,
		      sv->shared_hugetlb);

	free0 = cs_meminfo("HugePages_Free");
	cs_tell_child(&ch, 1);
	cs_wait_child(&ch);
	CS_EQ("HugePages_Free delta over the child's writes", -1,
	      cs_meminfo("HugePages_Free") - free0);
	{
		const struct cs_exp e[] = { { "hugetlb_copies", 1 }, { NULL } };

		cs_expect_group("H1 child", &c1, e);
	}
	cs_smaps(pid, h1, &sm);
	CS_EQ("child smaps(H1) Private_Hugetlb kB", 2048, sm.private_hugetlb);

	free0 = cs_meminfo("HugePages_Free");
	cs_quiesce();
	flt = cs_minflt(getpid());
	reuse = cs_vmstat("pgreuse");
	cs_write_pages(h1, 0, 1, 3);
	cs_write_pages(h2, 0, 1, 3);
	CS_EQ("parent minflt delta (one hugetlb reuse)", 1,
	      cs_minflt(getpid()) - flt);
	CS_EQ("pgreuse delta (hugetlb reuse is not wp_page_reuse)", 0,
	      cs_vmstat("pgreuse") - reuse);
	CS_EQ("HugePages_Free delta over the parent's writes", 0,
	      cs_meminfo("HugePages_Free") - free0);
	{
		const struct cs_exp e[] = { { "hugetlb_reuses", 1 }, { NULL } };
		const struct cs_exp e1[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_hugetlb_shared", 1 }, { "fork_pt_pages", 2 },
			{ "hugetlb_copies", 1 }, { "hugetlb_reuses", 1 },
			{ NULL } };
		const struct cs_exp e2[] = {
			{ "forks", 1 }, { "fork_vmas_skipped", 1 }, { NULL } };

		cs_expect_group("H1 parent", &p1, e);
		cs_expect_group("H1", &g1, e1);
		cs_expect_group("H2", &g2, e2);
	}
	cs_tell_child(&ch, 2);
	cs_expect_exit0("child", pid);

	/* H3: one free huge page, taken by H3 itself */
	snprintf(num, sizeof(num), "%lld", cs_meminfo("HugePages_Total") -
		 cs_meminfo("HugePages_Free") + 1);
	cs_write_file(NR_HUGE, num);
	CS_EQ("HugePages_Free after shrinking the pool", 1,
	      cs_meminfo("HugePages_Free"));
	h3 = cs_region(2, NPG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0, 0);
	cs_write_pages(h3, 0, 1, 1);
	CS_EQ("HugePages_Free with H3 mapped", 0, cs_meminfo("HugePages_Free"));
	cs_chan_init(&ch);
	pid = cs_fork(0);
	if (pid == 0) {
		cs_chan_child(&ch);
		cs_wait_parent(&ch);
		cs_write_pages(h3, 0, 1, 2);	/* no page for the copy */
		_exit(0);
	}
	cs_chan_parent(&ch);
	cs_track(&c3, pid, h3, h3 + RSIZE);
	cs_track(&p3, getpid(), h3, h3 + RSIZE);
	cs_tell_child(&ch, 1);
	st = cs_wait_exit(pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGBUS)
		cs_fail("H3 child: expected SIGBUS, status 0x%x", st);
	cs_write_pages(h3, 0, 1, 3);
	{
		const struct cs_exp ec[] = { { "wp_errors", 1 }, { NULL } };
		const struct cs_exp ep[] = { { "hugetlb_reuses", 1 }, { NULL } };

		cs_expect_group("H3 child", &c3, ec);
		cs_expect_group("H3 parent", &p3, ep);
	}
	return cs_finish();
}
