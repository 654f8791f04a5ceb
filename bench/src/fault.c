// SPDX-License-Identifier: GPL-2.0
/*
 * fault: first-touch anonymous faults, no fork.  Each repetition maps MIB
 * MiB of fresh anonymous memory (4 KiB pages), writes one byte to every
 * page and times that, then unmaps it.  Every write is a missing-PTE fault
 * into do_anonymous_page, which allocates a zeroed page and installs it.
 *
 * This is the hottest path a cowstat probe sees: the anon install
 * (page_add_new_anon_rmap / folio_add_new_anon_rmap) fires on every
 * first touch of anonymous memory in every process, COW or not, so its
 * handler's cost is paid by all programs.  Probes: the anon install, once
 * per page.  The probe window is the write loop.
 */
#include <sys/mman.h>

#include "bench.h"

int main(int argc, char **argv)
{
	struct bench_opts o = { .mib = 64, .reps = 5, .cpu = -1 };
	double sample[BENCH_MAX_REPS];
	size_t bytes, pages;
	int rep;

	bench_init(argc, argv, "fault", "mrc", NULL, &o);
	bytes = o.mib << 20;
	pages = bytes / BENCH_PAGE;

	for (rep = 0; rep < o.reps; rep++) {
		char *region = bench_map_anon(bytes);
		uint64_t t0, t1;

		bench_window_open();
		t0 = bench_now_ns();
		bench_write_pages(region, bytes);
		t1 = bench_now_ns();
		bench_window_close();
		if (munmap(region, bytes))
			bench_die("munmap");
		/* Microseconds per page. */
		sample[rep] = (t1 - t0) / 1e3 / pages;
	}
	bench_report("us/page", sample, o.reps, (uint64_t)o.reps * pages);
	return 0;
}
