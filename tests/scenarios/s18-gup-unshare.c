// SPDX-License-Identifier: GPL-2.0
/*
 * S18: GUP unshare (kernel-hooks.md §6 S18).
 *
 * R is written and forked; the child stays alive and does not write.  The
 * parent reads its own R with process_vm_readv: a read-only FOLL_PIN of a
 * COW-shared anonymous page must not pin a page another process maps, so
 * each page is unshared (FAULT_FLAG_UNSHARE): N copies, installed
 * read-only, no reuse.  The parent is its own target, so these are not
 * remote events.  Its writes then find exclusive read-only pages: N reuses
 * of an exclusive page.  The child's writes then find pages it alone maps:
 * K moved reuses.
 *
 * U, forked with R, is read the same way after the child has exited: its
 * pages are mapped by the parent alone but not yet marked exclusive, so
 * each unshare fault just marks the page exclusive (a move, no copy, no
 * wp_page_reuse): N unshare faults that needed no copy.  The writes after
 * that are N reuses of an exclusive page.
 *
 * Same on 6.1 and 6.12 (both unshare anonymous pages in
 * gup_must_unshare()).
 */
#include <sys/uio.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

int main(void)
{
	struct cs_group gc, gp, all, gu;
	struct iovec local, remote;
	long long flt0, reuse0, flt, reuse;
	struct cs_vma_stat sm;
	struct cs_chan ch;
	char *r, *buf, *u;
	pid_t pid;

	cs_init("s18-gup-unshare", CS_TRACE_FORKS);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	buf = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	u = cs_region(2, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	cs_write_pages(u, 0, N_PAGES, 1);
	cs_track(&all, getpid(), r, r + RSIZE);
	pid = cs_fork_writer(&ch, r, 0);
	cs_track(&gc, pid, r, r + RSIZE);
	cs_track(&gp, getpid(), r, r + RSIZE);

	/* the local buffer is faulted in first: only R may fault below */
	cs_write_pages(buf, 0, N_PAGES, 0);
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	local.iov_base = buf;
	local.iov_len = RSIZE;
	remote.iov_base = r;
	remote.iov_len = RSIZE;
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) !=
	    (ssize_t)RSIZE)
		cs_die("process_vm_readv");
	CS_EQ("parent minflt delta over the read pins (unshare faults)",
	      N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta over the read pins", 0,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_unshare", N_PAGES },
			{ "wp_faults", N_PAGES }, { NULL } };

		cs_expect_group("parent after unshare", &gp, e);
	}
	cs_smaps(getpid(), r, &sm);
	CS_EQ("parent smaps(R) Shared_Dirty kB after unshare", 0,
	      sm.shared_dirty);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 2);
	CS_EQ("parent minflt delta over writes", N_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta over the parent's writes", N_PAGES,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_unshare", N_PAGES },
			{ "cow_reuses_exclusive", N_PAGES },
			{ "wp_faults", 2 * N_PAGES }, { NULL } };

		cs_expect_group("parent after writes", &gp, e);
	}

	cs_child_write(&ch, 0, K_PAGES, 3, &flt, &reuse);
	CS_EQ("child minflt delta", K_PAGES, flt);
	CS_EQ("child pgreuse delta", K_PAGES, reuse);
	{
		const struct cs_exp ec[] = {
			{ "cow_reuses_moved", K_PAGES }, { "wp_faults", K_PAGES },
			{ NULL } };
		const struct cs_exp ea[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", N_PAGES },
			{ "fork_pt_pages", 3 },
			{ "cow_copies_unshare", N_PAGES },
			{ "cow_reuses_exclusive", N_PAGES },
			{ "cow_reuses_moved", K_PAGES },
			{ "wp_faults", 2 * N_PAGES + K_PAGES }, { NULL } };

		cs_expect_group("child", &gc, ec);
		cs_expect_group("group", &all, ea);
	}
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);

	/* U: the child is gone, the pages are the parent's alone */
	cs_track(&gu, getpid(), u, u + RSIZE);
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	remote.iov_base = u;
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) !=
	    (ssize_t)RSIZE)
		cs_die("process_vm_readv U");
	CS_EQ("U minflt delta over the read pins", N_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("U pgreuse delta over the read pins", 0,
	      cs_vmstat("pgreuse") - reuse0);
	CS_EQ("U page 0 exclusively mapped (pagemap)", 1,
	      PM_EXCLUSIVE(cs_pagemap(getpid(), u)));
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	cs_write_pages(u, 0, N_PAGES, 2);
	CS_EQ("U pgreuse delta over the writes", N_PAGES,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp e[] = {
			{ "unshare_kept", N_PAGES },
			{ "cow_reuses_exclusive", N_PAGES },
			{ "wp_faults", 2 * N_PAGES }, { NULL } };

		cs_expect_group("U", &gu, e);
	}
	return cs_finish();
}
