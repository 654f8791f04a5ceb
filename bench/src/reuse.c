// SPDX-License-Identifier: GPL-2.0
/*
 * reuse: the write fault that copies nothing.  The parent writes MIB MiB
 * of anonymous memory (4 KiB pages) once; each repetition forks a child
 * that exits at once, so the pages are write-protected but mapped by the
 * parent alone again; the parent then writes one byte to every page and
 * times that.  Every write faults into do_wp_page, which finds the page
 * no longer shared and reuses it in place (making it exclusive again
 * through page_move_anon_rmap / folio_move_anon_rmap).
 *
 * The fault is cheap (no allocation, no copy), so the kretprobe on
 * do_wp_page weighs most here.  Probes, once per page: do_wp_page and the
 * move.  The probe window is the parent's write loop.
 */
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	struct bench_opts o = { .mib = 64, .reps = 5, .cpu = -1 };
	double sample[BENCH_MAX_REPS];
	size_t bytes, pages;
	char *region;
	int rep;

	bench_init(argc, argv, "reuse", "mrc", NULL, &o);
	bytes = o.mib << 20;
	pages = bytes / BENCH_PAGE;
	region = bench_map_anon(bytes);
	bench_write_pages(region, bytes);

	for (rep = 0; rep < o.reps; rep++) {
		uint64_t t0, t1;
		pid_t pid = fork();

		if (pid < 0)
			bench_die("fork");
		if (pid == 0)
			_exit(0);
		/* The child's exit_mmap has dropped its mappings by now. */
		bench_wait_ok(pid);
		bench_window_open();
		t0 = bench_now_ns();
		bench_write_pages(region, bytes);
		t1 = bench_now_ns();
		bench_window_close();
		sample[rep] = (t1 - t0) / 1e3 / pages;
	}
	bench_report("us/page", sample, o.reps, (uint64_t)o.reps * pages);
	return 0;
}
