// SPDX-License-Identifier: GPL-2.0
/*
 * fork: the page-table copy.  A process with MIB MiB of written anonymous
 * memory (4 KiB pages) forks; the parent times fork() itself, which copies
 * the page tables of every VMA with an anon_vma (copy_page_range) and
 * shares the pages.  The child exits at once.  Redis reports the same
 * quantity as latest_fork_usec.
 *
 * Probes: copy_process (once), copy_page_range (once per VMA), the child's
 * exit_mmap, and the few write faults of the child's exit path.  The
 * probe window covers the fork and the child's exit; the time covers the
 * fork only.
 *
 * On one CPU the scheduler may run the new child before fork() returns in
 * the parent (EEVDF on 6.6+ often does), and the child's exit, which
 * unmaps the whole region, would land in the time.  So the parent times
 * its forks as SCHED_FIFO with SCHED_RESET_ON_FORK: its children are
 * ordinary tasks that cannot preempt it, and run when it waits.
 */
#include <sched.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	struct bench_opts o = { .mib = 256, .reps = 5, .iters = 4, .cpu = -1 };
	double sample[BENCH_MAX_REPS];
	size_t bytes;
	char *region;
	int rep, i;

	bench_init(argc, argv, "fork", "mric", NULL, &o);
	bytes = o.mib << 20;
	region = bench_map_anon(bytes);
	bench_write_pages(region, bytes);
	/* From here on the parent blocks in every iteration: no RT throttling. */
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK,
			       &(struct sched_param){ .sched_priority = 1 }))
		bench_die("sched_setscheduler(SCHED_FIFO) (needs root)");

	for (rep = 0; rep < o.reps; rep++) {
		uint64_t total = 0;

		for (i = 0; i < o.iters; i++) {
			uint64_t t0, t1;
			pid_t pid;

			bench_window_open();
			t0 = bench_now_ns();
			pid = fork();
			if (pid == 0)
				_exit(0);
			t1 = bench_now_ns();
			if (pid < 0)
				bench_die("fork");
			bench_wait_ok(pid);
			bench_window_close();
			total += t1 - t0;
		}
		/* Milliseconds per fork. */
		sample[rep] = total / 1e6 / o.iters;
	}
	bench_report("ms/fork", sample, o.reps, (uint64_t)o.reps * o.iters);
	return 0;
}
