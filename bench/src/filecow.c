// SPDX-License-Identifier: GPL-2.0
/*
 * filecow: the first write to a private file mapping (will-it-scale's
 * page_fault2).  A file of MIB MiB is written once so that its pages are
 * in the page cache; each repetition maps it MAP_PRIVATE, writes one byte
 * to every page and times that, then unmaps it.  Every write is a
 * missing-PTE write fault on a file VMA, handled by do_cow_fault: it
 * allocates an anonymous page, copies the file page into it and installs
 * it.  do_wp_page is never entered.
 *
 * Probes, once per page: the anon install (page_add_new_anon_rmap /
 * folio_add_new_anon_rmap), whose caller marks a copy at fault time, so
 * the handler also charges a cow_at_fault to the process's record.  The
 * probe window is the write loop.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define DEFAULT_DIR "/dev/shm"

static int make_file(const char *dir, size_t bytes, char *name, size_t len)
{
	static char chunk[1 << 20];
	size_t done;
	int fd;

	snprintf(name, len, "%s/cowstat-bench-filecow.XXXXXX", dir);
	fd = mkstemp(name);
	if (fd < 0)
		bench_die("creating a file in %s", dir);
	memset(chunk, 0x5a, sizeof(chunk));
	for (done = 0; done < bytes; done += sizeof(chunk))
		bench_write_all(fd, chunk, sizeof(chunk));
	return fd;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .mib = 64, .reps = 5, .cpu = -1,
				.path = DEFAULT_DIR };
	double sample[BENCH_MAX_REPS];
	size_t bytes, pages;
	char name[4096];
	int rep, fd;

	bench_init(argc, argv, "filecow", "mrcp",
		   "directory for the file (default " DEFAULT_DIR
		   ", a tmpfs; give an ext4 directory to measure ext4)", &o);
	bytes = o.mib << 20;
	pages = bytes / BENCH_PAGE;
	fd = make_file(o.path, bytes, name, sizeof(name));

	for (rep = 0; rep < o.reps; rep++) {
		char *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE, fd, 0);
		uint64_t t0, t1;

		if (region == MAP_FAILED)
			bench_die("mmap MAP_PRIVATE %s", name);
		/* 4 KiB copies even where the file system offers huge pages. */
		if (madvise(region, bytes, MADV_NOHUGEPAGE))
			bench_die("madvise(MADV_NOHUGEPAGE)");
		bench_window_open();
		t0 = bench_now_ns();
		bench_write_pages(region, bytes);
		t1 = bench_now_ns();
		bench_window_close();
		if (munmap(region, bytes))
			bench_die("munmap");
		sample[rep] = (t1 - t0) / 1e3 / pages;
	}
	close(fd);
	unlink(name);
	bench_report("us/page", sample, o.reps, (uint64_t)o.reps * pages);
	return 0;
}
