// SPDX-License-Identifier: GPL-2.0
/*
 * S16: pinned pages are copied at fork (kernel-hooks.md §6 S16).
 *
 * Pinning is io_uring buffer registration: pin_user_pages(FOLL_WRITE |
 * FOLL_LONGTERM), which also sets MMF_HAS_PINNED on the mm.
 *
 * P2, pin after the fork: R2 is written, forked (the child stays alive),
 * then registered: the pages are COW-shared, so GUP write-faults each one:
 * N copies in the parent, minflt +N (GUP faults count as the task's minor
 * faults).  The copies are writable: the parent's writes then take no fault.
 *
 * P1, pin before the fork: R1 is written and registered (exclusive,
 * writable: no fault), then forked: fork may not share a page that may be
 * DMA-pinned, so it copies all N into the child at once (eager copies, not
 * shared pages), and leaves the parent's PTEs writable.  Parent and child
 * map different page frames; neither takes a fault writing R1 afterwards.
 *
 * Same on 6.1 and 6.12 (6.12 batches PTEs of large folios at fork; R1 is
 * small pages).
 */
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

static int ring_with_buffer(char *r)
{
	struct io_uring_params p;
	struct iovec iov = { .iov_base = r, .iov_len = RSIZE };
	int fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 1, &p);
	if (fd < 0)
		cs_die("io_uring_setup");
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS,
		    &iov, 1) < 0)
		cs_die("IORING_REGISTER_BUFFERS");
	return fd;
}

int main(void)
{
	struct cs_group p2_par, r1_all, r1_child;
	struct cs_vma_stat sm;
	const struct cs_vma_stat *sv;
	long long reuse0, flt0, flt, reuse;
	struct cs_chan ch2, ch1;
	int i, same_pfn, absent;
	char *r1, *r2;
	pid_t pid;

	cs_init("s16-pinned", CS_TRACE_FORKS);
	r1 = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	r2 = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);

	/* P2: pin after the fork */
	cs_write_pages(r2, 0, N_PAGES, 1);
	pid = cs_fork_writer(&ch2, r2, 0);
	cs_track(&p2_par, getpid(), r2, r2 + RSIZE);
	cs_quiesce();
	flt0 = cs_minflt(getpid());
	ring_with_buffer(r2);
	CS_EQ("P2 parent minflt delta over the registration (GUP faults)",
	      N_PAGES, cs_minflt(getpid()) - flt0);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_anon", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("P2 parent after pinning", &p2_par, e);
	}
	cs_quiesce();
	flt0 = cs_minflt(getpid());
	cs_write_pages(r2, 0, N_PAGES, 2);
	CS_EQ("P2 parent minflt delta over writes after pinning", 0,
	      cs_minflt(getpid()) - flt0);
	cs_smaps(getpid(), r2, &sm);
	CS_EQ("P2 parent smaps(R2) Private_Dirty kB", N_PAGES * 4,
	      sm.private_dirty);
	cs_child_exit(&ch2);
	cs_expect_exit0("P2 child", pid);
	cs_untrack(&p2_par);

	/* P1: pin before the fork */
	cs_write_pages(r1, 0, N_PAGES, 1);
	cs_quiesce();
	flt0 = cs_minflt(getpid());
	ring_with_buffer(r1);
	CS_EQ("P1 parent minflt delta over the registration", 0,
	      cs_minflt(getpid()) - flt0);
	cs_track(&r1_all, getpid(), r1, r1 + RSIZE);
	pid = cs_fork_writer(&ch1, r1, 0);
	cs_track(&r1_child, pid, r1, r1 + RSIZE);
	{
		const struct cs_exp e[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_eager_copies", N_PAGES }, { "fork_pt_pages", 3 },
			{ NULL } };

		cs_expect_group("P1 fork", &r1_all, e);
	}
	cs_smaps(getpid(), r1, &sm);
	CS_EQ("P1 parent smaps(R1) Private_Dirty kB", N_PAGES * 4,
	      sm.private_dirty);
	CS_EQ("P1 parent smaps(R1) Shared_Dirty kB", 0, sm.shared_dirty);
	sv = cs_snap_vma(cs_fork_snapshot(pid), r1);
	if (sv) {
		CS_EQ("P1 child-at-fork smaps(R1) Rss kB", N_PAGES * 4, sv->rss);
		CS_EQ("P1 child-at-fork smaps(R1) Private_Dirty kB",
		      N_PAGES * 4, sv->private_dirty);
	}
	same_pfn = absent = 0;
	for (i = 0; i < N_PAGES; i++) {
		uint64_t pe = cs_pagemap(getpid(), r1 + i * PAGE);
		uint64_t ce = cs_pagemap(pid, r1 + i * PAGE);

		if (!PM_PRESENT(pe) || !PM_PRESENT(ce) || !PM_PFN(pe))
			absent++;
		else if (PM_PFN(pe) == PM_PFN(ce))
			same_pfn++;
	}
	CS_EQ("P1 pages not present or without PFN in pagemap", 0, absent);
	CS_EQ("P1 pages the parent and the child share (pagemap PFN)", 0,
	      same_pfn);

	cs_child_write(&ch1, 0, K_PAGES, 3, &flt, &reuse);
	CS_EQ("P1 child minflt delta (its copies are writable)", 0, flt);
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r1, 0, N_PAGES, 4);
	CS_EQ("P1 parent minflt delta (PTEs stayed writable)", 0,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("P1 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_expect_group("P1 child", &r1_child, NULL);
	{
		const struct cs_exp e[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_eager_copies", N_PAGES }, { "fork_pt_pages", 3 },
			{ NULL } };

		cs_expect_group("P1 after writes", &r1_all, e);
	}
	cs_child_exit(&ch1);
	cs_expect_exit0("P1 child", pid);
	return cs_finish();
}
