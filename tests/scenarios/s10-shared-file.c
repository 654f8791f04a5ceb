// SPDX-License-Identifier: GPL-2.0
/*
 * S10: MAP_SHARED file on ext4 (kernel-hooks.md §6 S10).
 *
 * ext4 has page_mkwrite, so a shared writable mapping is write-notified:
 * read faults map read-only PTEs (fault-around included) and each first
 * write after a read takes one write-protect fault that goes through
 * page_mkwrite and finish_mkwrite_fault, which reuses the page
 * (shared_writes, pgreuse).  No copy.  Fork then skips the VMA (shared, no
 * anon_vma): the child's writes are do_shared_fault first touches.
 *
 * tests/run-vm-tests mounts a fresh ext4 file system (loop device) and
 * passes its directory in COWSTAT_EXT4_DIR; the test VM's other file
 * systems (9p, overlay, tmpfs) are not the ones this scenario is about.
 * Writeback would write-protect the dirty PTEs again, but only after the
 * dirty expiry (30 s) or an msync; the scenario takes well under that.
 *
 * P, a MAP_PRIVATE mapping of the same file with page 0 written (a
 * first-write copy: cow_at_fault) and the others read, is copied by the
 * same fork: 1 anon page and N-1 file pages shared.
 *
 * Same on 6.1 and 6.12 (6.2+ classify shared mappings by VM_SHARED first,
 * with the same outcome here).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

static char page[PAGE];

int main(void)
{
	struct cs_group g, gc, gpriv;
	struct cs_vma_stat sm;
	long long reuse0, flt0, flt, reuse;
	struct cs_chan ch;
	const char *dir;
	char path[512];
	char *r, *p;
	pid_t pid;
	int fd, i;

	cs_init("s10-shared-file", CS_TRACE_FORKS);
	dir = getenv("COWSTAT_EXT4_DIR");
	if (!dir || !*dir)
		cs_die("COWSTAT_EXT4_DIR is not set: run through tests/run-vm-tests, which mounts ext4");
	snprintf(path, sizeof(path), "%s/s10.%d", dir, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		cs_die("create %s", path);
	memset(page, 0x33, sizeof(page));
	for (i = 0; i < N_PAGES; i++)
		if (pwrite(fd, page, PAGE, (off_t)i * PAGE) != PAGE)
			cs_die("pwrite %s", path);
	/* clean page cache with allocated blocks: the first write after a
	 * read only has to make the PTE writable */
	if (fsync(fd))
		cs_die("fsync");
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, 1);
	cs_track(&g, getpid(), r, r + RSIZE);

	if (cs_read_pages(r, 0, N_PAGES) != 0x33UL * N_PAGES)
		cs_fail("R does not read the file's bytes");
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, N_PAGES, 1);
	CS_EQ("minflt delta over writes after reads", N_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta (finish_mkwrite_fault reuses)", N_PAGES,
	      cs_vmstat("pgreuse") - reuse0);
	cs_smaps(getpid(), r, &sm);
	CS_EQ("smaps(R) Anonymous kB", 0, sm.anon);
	{
		const struct cs_exp e[] = {
			{ "shared_writes", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("R writes", &g, e);
	}

	p = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0, 1);
	cs_track(&gpriv, getpid(), p, p + RSIZE);
	cs_write_pages(p, 0, 1, 7);
	cs_read_pages(p, 1, N_PAGES - 1);

	pid = cs_fork_writer(&ch, r, 0);
	cs_track(&gc, pid, r, r + RSIZE);
	cs_child_write(&ch, 0, K_PAGES, 2, &flt, &reuse);
	CS_EQ("child minflt delta (shared first touches)", K_PAGES, flt);
	CS_EQ("child pgreuse delta", 0, reuse);
	cs_expect_group("child", &gc, NULL);
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);
	{
		const struct cs_exp e[] = {
			{ "shared_writes", N_PAGES }, { "wp_faults", N_PAGES },
			{ "forks", 1 }, { "fork_vmas_skipped", 1 }, { NULL } };

		const struct cs_exp ep[] = {
			{ "cow_at_fault", 1 }, { "forks", 1 },
			{ "fork_vmas_copied", 1 }, { "fork_pages_shared_anon", 1 },
			{ "fork_pages_shared_file", N_PAGES - 1 },
			{ "fork_pt_pages", 3 }, { NULL } };

		cs_expect_group("R after fork", &g, e);
		cs_expect_group("P (private)", &gpriv, ep);
	}
	unlink(path);
	return cs_finish();
}
