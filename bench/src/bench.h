/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared harness of cowstat's benchmark workloads (bench/src/<workload>.c).
 *
 * Each workload is a small program that times one kernel path many times
 * and prints one machine-readable RESULT line (the median per unit of work
 * over its repetitions), then, when cowstat.ko is loaded, one PROBE line per
 * probe giving how often that probe fired inside the measured windows.  The
 * in-guest driver (bench/guest-bench) runs every workload with and without
 * the module and turns those lines into ratios.
 *
 *   RESULT workload=W unit=U median=X min=X max=X reps=N units=N
 *   PROBE workload=W symbol=S state=S hits=N nmissed=N reentry=N units=N
 *
 * The process pins itself (and so its children) to one CPU, so that the
 * fault and fork paths run on one CPU's caches and no migration lands in a
 * measurement.
 */
#ifndef COWSTAT_BENCH_H
#define COWSTAT_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_PAGE 4096UL
#define BENCH_MAX_PROBES 32
#define BENCH_MAX_REPS 1000

struct bench_opts {
	size_t mib;		/* -m: region size in MiB */
	int reps;		/* -r: repetitions (median over these) */
	int iters;		/* -i: iterations per repetition */
	int cpu;		/* -c: CPU to pin to; -1: the last allowed one */
	const char *path;	/* -p: a file or program the workload needs */
};

/* One line of /sys/kernel/debug/cowstat/probes. */
struct bench_probe {
	char symbol[64];
	char state[24];
	uint64_t hits, nmissed, reentry;
};

struct bench_probes {
	int n;
	struct bench_probe p[BENCH_MAX_PROBES];
};

/*
 * Parses the options named in @accepted (letters of "mricp") over the
 * defaults in @opts, prints usage on -h or a bad option (@path_help
 * explains -p), pins the process, and remembers @name for the output lines.
 */
void bench_init(int argc, char **argv, const char *name,
		const char *accepted, const char *path_help,
		struct bench_opts *opts);
void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

uint64_t bench_now_ns(void);

/* Anonymous private memory, 4 KiB pages only (MADV_NOHUGEPAGE). */
char *bench_map_anon(size_t bytes);
/* One byte written per page: one fault per page when the PTE needs one. */
void bench_write_pages(char *region, size_t bytes);

/*
 * Probe windows: the probes' hit counts are read when a window opens and
 * when it closes, and the differences are summed.  Work outside a window
 * (setting up a region, a child's exit) is left out of the PROBE lines.
 * Without the module loaded the windows record nothing.
 *
 * A forked child that measures its own window first calls
 * bench_window_child(), which forgets the parent's sums and touches the
 * harness's buffers so that their copy-on-write faults happen before the
 * window opens; it then sends bench_probe_sum to the parent, which adds it
 * with bench_probes_add().
 */
extern struct bench_probes bench_probe_sum;
void bench_window_child(void);
void bench_window_open(void);
void bench_window_close(void);
void bench_probes_add(struct bench_probes *sum, const struct bench_probes *d);

/* Writes or reads exactly @len bytes, or dies. */
void bench_write_all(int fd, const void *buf, size_t len);
void bench_read_all(int fd, void *buf, size_t len);
/* waitpid() that insists on a clean exit(0). */
void bench_wait_ok(pid_t pid);

/*
 * Prints the RESULT line from per-repetition values @sample[0..n-1], each
 * already in @unit, and the PROBE lines for bench_probe_sum, whose windows
 * covered @units units of work in total.
 */
void bench_report(const char *unit, double *sample, int n, uint64_t units);

#endif
