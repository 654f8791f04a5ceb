// SPDX-License-Identifier: GPL-2.0
/*
 * cow: the copy-on-write break.  The parent writes MIB MiB of anonymous
 * memory (4 KiB pages) once; each repetition forks, and the child writes
 * one byte to every page and times that: every write faults into
 * do_wp_page, finds the page shared with the parent, and copies it.
 *
 * Probes, once per page: do_wp_page (kretprobe) and the anon install
 * (page_add_new_anon_rmap / folio_add_new_anon_rmap) of the copy.  The
 * probe window is the child's write loop only.
 */
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct cow_report {
	uint64_t ns;
	struct bench_probes probes;
};

static struct cow_report report;

static void child(char *region, size_t bytes, int fd)
{
	uint64_t t0;

	bench_window_child();
	memset(&report, 0, sizeof(report));
	bench_window_open();
	t0 = bench_now_ns();
	bench_write_pages(region, bytes);
	report.ns = bench_now_ns() - t0;
	bench_window_close();
	report.probes = bench_probe_sum;
	bench_write_all(fd, &report, sizeof(report));
	_exit(0);
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .mib = 64, .reps = 5, .cpu = -1 };
	double sample[BENCH_MAX_REPS];
	size_t bytes, pages;
	char *region;
	int rep, fds[2];

	bench_init(argc, argv, "cow", "mrc", NULL, &o);
	bytes = o.mib << 20;
	pages = bytes / BENCH_PAGE;
	region = bench_map_anon(bytes);
	bench_write_pages(region, bytes);
	if (pipe(fds))
		bench_die("pipe");

	for (rep = 0; rep < o.reps; rep++) {
		pid_t pid = fork();

		if (pid < 0)
			bench_die("fork");
		if (pid == 0)
			child(region, bytes, fds[1]);
		bench_read_all(fds[0], &report, sizeof(report));
		bench_wait_ok(pid);
		bench_probes_add(&bench_probe_sum, &report.probes);
		/* Microseconds per page. */
		sample[rep] = report.ns / 1e3 / pages;
	}
	bench_report("us/page", sample, o.reps, (uint64_t)o.reps * pages);
	return 0;
}
