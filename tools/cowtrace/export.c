// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace export: the module's counters for Prometheus, once on stdout,
 * or into DIR/cowstat.prom for node_exporter's textfile collector, once
 * or every SEC seconds.  No HTTP server of our own: node_exporter serves.
 *
 * The file is written beside its final name and renamed over it, so the
 * collector reads either the old exposition or the new one, never half.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf_source.h"
#include "prom.h"
#include "source.h"

#define TEXTFILE_NAME "cowstat.prom"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

struct export_args {
	const char *dir;
	double interval;
	long count;
	long top;
};

static const char export_doc[] =
"The cowstat module's counters in the Prometheus text format: the\n"
"system-wide counters, the module's health, its probes, and the top\n"
"processes by COW copies.  Once on stdout, or into DIR/" TEXTFILE_NAME " for\n"
"node_exporter's textfile collector (written beside it, then renamed).\n"
"A counter this kernel cannot count is absent, never 0; see\n"
"cowstat_counter_available.\n"
"\n"
"USAGE: cowtrace export [-n TOP]\n"
"       cowtrace export --textfile DIR [-i SEC [-c COUNT]] [-n TOP]\n"
"\n"
"EXAMPLES:\n"
"    cowtrace export                  # print the metrics once\n"
"    cowtrace export -n 0             # without the per-process metrics\n"
"    cowtrace export --textfile /var/lib/prometheus/node-exporter\n"
"    cowtrace export --textfile DIR -i 15   # rewrite it every 15 s";

static const struct argp_option export_opts[] = {
	{ "textfile", 0x101, "DIR", 0, "Write DIR/" TEXTFILE_NAME " atomically, not stdout", 0 },
	{ "interval", 'i', "SEC", 0, "With --textfile: rewrite it every SEC seconds", 0 },
	{ "count", 'c', "COUNT", 0, "With -i: stop after COUNT writes", 0 },
	{ "top", 'n', "TOP", 0, "List the TOP processes (default 10, 0 none)", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{},
};

static struct argp export_argp;

static error_t parse_export(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;

	switch (key) {
	case 0x101:
		a->dir = arg;
		break;
	case 'i':
		a->interval = cow_parse_seconds(arg, "-i");
		break;
	case 'c':
		a->count = cow_parse_long(arg, "-c", 1, 1000000000L);
		break;
	case 'n':
		a->top = cow_parse_long(arg, "-n", 0, COW_PROM_TOP_MAX);
		break;
	case 'h':
		cow_print_help(&export_argp, "cowtrace export");
		break;
	case ARGP_KEY_ARG:
		cow_usage_error("export takes no arguments, not '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct argp export_argp = {
	.options = export_opts,
	.parser = parse_export,
	.doc = export_doc,
};

/* One exposition into f; -1 (with the cause printed) when a read failed. */
static int collect_and_write(struct cow_source *src, const struct export_args *a, FILE *f,
			     bool quiet)
{
	static struct cow_probes probes;
	static struct cow_stats st;
	struct cow_prom_input in = { .top = a->top };
	struct cow_table t;
	char kernel[128];
	bool have_probes;
	int err;

	memset(&st, 0, sizeof(st));
	err = src->ops->read_stats(src, &st);
	if (err) {
		if (!quiet)
			cow_err("cannot read %s/stats: %s", src->dir, strerror(-err));
		return -1;
	}
	memset(&probes, 0, sizeof(probes));
	have_probes = !src->ops->read_probes(src, &probes);
	if (have_probes)
		cow_counters_mask(&st.c, &probes);
	if (a->top > 0) {
		if (src->ops->read_procs(src, &t)) {
			if (!quiet)
				cow_err("cannot read %s/procs: %s", src->dir, t.err);
			return -1;
		}
		in.procs = cow_procs_build(&t, NULL, NULL, &in.nr_procs);
		cow_table_free(&t);
		for (size_t i = 0; in.procs && i < in.nr_procs; i++)
			if (have_probes)
				cow_counters_mask((struct cow_counters *)&in.procs[i].c, &probes);
	}
	cow_kernel_release(kernel, sizeof(kernel));
	in.stats = &st;
	in.probes = have_probes ? &probes : NULL;
	in.modver = src->modver;
	in.format = src->format;
	in.kernel = kernel;
	cow_prom_write(f, &in);
	free((void *)in.procs);
	return 0;
}

/* Writes DIR/.cowstat.prom.XXXXXX, then renames it to DIR/cowstat.prom. */
static int write_textfile(const char *dir, struct cow_source *src, const struct export_args *a,
			  bool quiet)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, ret = 0;
	FILE *f;

	snprintf(dst, sizeof(dst), "%s/%s", dir, TEXTFILE_NAME);
	/* Not *.prom: the collector reads only those. */
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, TEXTFILE_NAME);
	fd = mkstemp(tmp);
	if (fd < 0) {
		cow_err("cannot write in %s: %s", dir, strerror(errno));
		return -2;
	}
	/* node_exporter runs as its own user: the file must be readable. */
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -2;
	}
	if (!src || collect_and_write(src, a, f, quiet)) {
		/* Stale numbers must not look current: cowstat_up 0 alone. */
		rewind(f);
		ret = ftruncate(fd, 0) ? -2 : -1;
		cow_prom_write_down(f);
	}
	if (fflush(f) || fsync(fd)) {
		cow_err("cannot write %s: %s", tmp, strerror(errno));
		ret = -2;
	}
	if (fclose(f) && ret != -2) {
		cow_err("cannot write %s: %s", tmp, strerror(errno));
		ret = -2;
	}
	if (ret == -2 || rename(tmp, dst)) {
		if (ret != -2)
			cow_err("cannot rename %s to %s: %s", tmp, dst, strerror(errno));
		unlink(tmp);
		return -2;
	}
	return ret;
}

/* Opens the source with cow_source_open's messages on stderr or not. */
static int open_source(struct cow_source *src, bool quiet)
{
	int saved = -1, devnull, err;

	if (quiet) {
		fflush(stderr);
		saved = dup(STDERR_FILENO);
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (saved >= 0 && devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		if (devnull >= 0)
			close(devnull);
	}
	err = cow_source_open(src);
	if (saved >= 0) {
		fflush(stderr);
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	return err;
}

static void sleep_until(uint64_t want)
{
	uint64_t now;

	while (!exiting && (now = cow_boottime_ns()) < want) {
		struct timespec ts = {
			.tv_sec = (want - now) / 1000000000ULL,
			.tv_nsec = (want - now) % 1000000000ULL,
		};

		nanosleep(&ts, NULL);
	}
}

int cmd_export(int argc, char **argv)
{
	struct export_args a = { .top = COW_PROM_TOP_DEFAULT };
	struct sigaction sa = { .sa_handler = on_signal };
	struct cow_source src;
	bool open, failing = false;
	struct stat sb;
	long writes = 0;
	int ret = 0;

	cow_parse_options(&export_argp, argc, argv, &a);
	if (a.interval && !a.dir)
		cow_usage_error("-i rewrites a file: give --textfile DIR too");
	if (a.count && !a.interval)
		cow_usage_error("-c counts the writes of -i: give -i SEC too");
	if (a.dir && (stat(a.dir, &sb) || !S_ISDIR(sb.st_mode)))
		cow_usage_error("--textfile: '%s' is not a directory", a.dir);
	/*
	 * The BPF backend counts only while cowtrace runs: a scrape of it
	 * would read near-zero totals as if they were the system's.
	 */
	if (cow_backend == COW_BACKEND_BPF)
		cow_usage_error("export reads the module's counters: %s",
				"--backend=bpf has no system-wide totals to export");
	cow_backend = COW_BACKEND_MODULE;

	open = !open_source(&src, false);
	if (!a.dir) {
		if (!open)
			return EXIT_RUNTIME;
		ret = collect_and_write(&src, &a, stdout, false) ? EXIT_RUNTIME : 0;
		if (fflush(stdout)) {
			cow_err("cannot write the metrics: %s", strerror(errno));
			ret = EXIT_RUNTIME;
		}
		cow_source_close(&src);
		return ret;
	}
	if (!a.interval) {
		ret = write_textfile(a.dir, open ? &src : NULL, &a, false) ? EXIT_RUNTIME : 0;
		if (open)
			cow_source_close(&src);
		return ret;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (uint64_t next = cow_boottime_ns(); !exiting;) {
		int w;

		/* The module was unloaded and may come back: try again each time. */
		if (!open)
			open = !open_source(&src, failing);
		w = write_textfile(a.dir, open ? &src : NULL, &a, failing);
		if (w == -2) {
			ret = EXIT_RUNTIME;
			break;
		}
		if (w == -1 && !failing)
			cow_err("cannot read the module's counters: wrote cowstat_up 0; trying again every %gs",
				a.interval);
		if (w == -1 && open) {
			cow_source_close(&src);
			open = false;
		}
		failing = w == -1;
		if (a.count && ++writes >= a.count)
			break;
		next += (uint64_t)(a.interval * 1e9);
		sleep_until(next);
	}
	if (open)
		cow_source_close(&src);
	return ret;
}
