// SPDX-License-Identifier: GPL-2.0
/*
 * forkexec: process churn.  Each iteration forks a child that execs a
 * trivial static program (exit0) and waits for it; the whole cycle is
 * timed.  For cowstat this is the life of two records: one created by
 * fork (copy_process) and retired by exec, one created by exec
 * (begin_new_exec) and retired by exit (exit_mmap).
 *
 * Probes, once per cycle: copy_process, copy_page_range per VMA,
 * begin_new_exec, exit_mmap twice (the forked mm at exec, the new mm at
 * exit), and the faults of starting a program.  The probe window and the
 * time both cover the whole cycle.
 */
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void default_target(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		bench_die("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(buf, len, "%s/exit0", dirname(self));
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .reps = 5, .iters = 40, .cpu = -1 };
	double sample[BENCH_MAX_REPS];
	char target[PATH_MAX];
	int rep, i;

	bench_init(argc, argv, "forkexec", "ricp",
		   "program to exec (default: exit0 next to this program)",
		   &o);
	if (o.path)
		snprintf(target, sizeof(target), "%s", o.path);
	else
		default_target(target, sizeof(target));
	if (access(target, X_OK))
		bench_die("%s is not executable", target);

	for (rep = 0; rep < o.reps; rep++) {
		uint64_t t0, t1;

		bench_window_open();
		t0 = bench_now_ns();
		for (i = 0; i < o.iters; i++) {
			pid_t pid = fork();

			if (pid < 0)
				bench_die("fork");
			if (pid == 0) {
				execl(target, target, (char *)NULL);
				_exit(127);
			}
			bench_wait_ok(pid);
		}
		t1 = bench_now_ns();
		bench_window_close();
		/* Microseconds per fork+exec+exit cycle. */
		sample[rep] = (t1 - t0) / 1e3 / o.iters;
	}
	bench_report("us/cycle", sample, o.reps, (uint64_t)o.reps * o.iters);
	return 0;
}
