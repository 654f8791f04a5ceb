// SPDX-License-Identifier: GPL-2.0
/*
 * S11: MAP_PRIVATE file COW (kernel-hooks.md §6 S11), on a memfd (tmpfs)
 * file of N pages.
 *
 * F1: read all N (the page-cache pages are mapped read-only, fault-around
 * included), then write all N: N write-protect faults that copy a file
 * page (cow_copies_file); the region's rss moves from file to anon.
 * F2: write all N without reading: do_cow_fault copies each page at its
 * first write (cow_at_fault), do_wp_page is never involved.
 * F3: read only, then fork: no anon_vma, fork skips the VMA.
 * F4: page 0 written (a first-write copy gives the VMA an anon_vma), the
 * other N-1 read: the same fork copies F4: 1 anon page and N-1 page-cache
 * pages shared; a memfd is shmem, so they count as shmem pages.
 *
 * Same on 6.1 and 6.12.
 */
#include <sys/mman.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

static char page[PAGE];

int main(void)
{
	struct cs_group g1, g2, g3, g4;
	struct cs_vma_stat sm;
	long long reuse0, flt0;
	char *f1, *f2, *f3, *f4;
	pid_t pid;
	int fd, i;

	cs_init("s11-private-file", CS_TRACE_FORKS);
	fd = memfd_create("cowstat-s11", MFD_CLOEXEC);
	if (fd < 0)
		cs_die("memfd_create");
	memset(page, 0x5a, sizeof(page));
	for (i = 0; i < N_PAGES; i++)
		if (pwrite(fd, page, PAGE, (off_t)i * PAGE) != PAGE)
			cs_die("pwrite memfd");
	f1 = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0,
		       1);
	f2 = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0,
		       1);
	f3 = cs_region(2, N_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0,
		       1);
	f4 = cs_region(3, N_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0,
		       1);
	cs_track(&g1, getpid(), f1, f1 + RSIZE);
	cs_track(&g2, getpid(), f2, f2 + RSIZE);

	/* F1: read, then write */
	if (cs_read_pages(f1, 0, N_PAGES) != 0x5aUL * N_PAGES)
		cs_fail("F1 does not read the file's bytes");
	cs_smaps(getpid(), f1, &sm);
	CS_EQ("smaps(F1) Rss kB after reads", N_PAGES * 4, sm.rss);
	CS_EQ("smaps(F1) Anonymous kB after reads", 0, sm.anon);
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(f1, 0, N_PAGES, 1);
	CS_EQ("F1 minflt delta", N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("F1 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_smaps(getpid(), f1, &sm);
	CS_EQ("smaps(F1) Rss kB after writes", N_PAGES * 4, sm.rss);
	CS_EQ("smaps(F1) Anonymous kB after writes", N_PAGES * 4, sm.anon);
	{
		const struct cs_exp e1[] = {
			{ "cow_copies_file", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("F1", &g1, e1);
	}

	/* F2: write without reading */
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(f2, 0, N_PAGES, 2);
	CS_EQ("F2 minflt delta", N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("F2 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	cs_smaps(getpid(), f2, &sm);
	CS_EQ("smaps(F2) Anonymous kB after writes", N_PAGES * 4, sm.anon);
	{
		const struct cs_exp e2[] = { { "cow_at_fault", N_PAGES }, { NULL } };

		cs_expect_group("F2", &g2, e2);
	}

	/* F3: read only, then fork; F4: one page written, then fork */
	cs_read_pages(f3, 0, N_PAGES);
	cs_track(&g3, getpid(), f3, f3 + RSIZE);
	cs_track(&g4, getpid(), f4, f4 + RSIZE);
	cs_write_pages(f4, 0, 1, 4);
	cs_read_pages(f4, 1, N_PAGES - 1);
	cs_smaps(getpid(), f4, &sm);
	CS_EQ("smaps(F4) Rss kB before the fork", N_PAGES * 4, sm.rss);
	CS_EQ("smaps(F4) Anonymous kB before the fork", 4, sm.anon);
	pid = cs_fork(0);
	if (pid == 0)
		_exit(0);
	cs_expect_exit0("child", pid);
	{
		const struct cs_exp e3[] = {
			{ "forks", 1 }, { "fork_vmas_skipped", 1 }, { NULL } };

		const struct cs_exp e4[] = {
			{ "cow_at_fault", 1 }, { "forks", 1 },
			{ "fork_vmas_copied", 1 }, { "fork_pages_shared_anon", 1 },
			{ "fork_pages_shared_shmem", N_PAGES - 1 },
			{ "fork_pt_pages", 3 }, { NULL } };

		cs_expect_group("F3", &g3, e3);
		cs_expect_group("F4", &g4, e4);
	}
	return cs_finish();
}
