// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace -p PID[,PID...]: track running processes and the descendants
 * they fork from now on, until Ctrl-C, -d SEC, or until every tracked
 * process is gone; with -i SEC, print what each interval added (as
 * tables, or with --json as JSON Lines, one record per interval).
 *
 * The processes existed before the group, so their records already hold
 * counts; a snapshot of `procs` taken when the groups start is subtracted,
 * and the per-process rows show only what happened while attached.  The
 * total is the groups' own rows, which start at zero.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "source.h"

/* How often to look whether the tracked processes are still there. */
#define LIVENESS_NS 250000000ULL

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	/* A signal cuts the sleep short; the loop then sees `exiting`. */
	nanosleep(&ts, NULL);
}

static bool any_alive(const pid_t *pids, int nr)
{
	for (int i = 0; i < nr; i++)
		if (!kill(pids[i], 0) || errno != ESRCH)
			return true;
	return false;
}

int cmd_attach(const pid_t *pids, int nr_pids, double duration, const struct cow_output *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cow_latency lat_before, lat_after;
	struct cow_probes probes;
	struct cow_table baseline;
	struct cow_report cur;
	struct cow_intervals iv;
	struct cow_source src;
	uint64_t start, created, next_interval = 0, deadline = 0;
	double interval = o->interval;
	bool have_probes;
	uint64_t group_gens[nr_pids];
	char kernel[128];
	int err, ret = 0;

	if (cow_source_open(&src))
		return EXIT_RUNTIME;
	for (int i = 0; i < nr_pids; i++) {
		if (kill(pids[i], 0) < 0 && errno == ESRCH) {
			cow_err("no process %d: check the PID (ps -p %d)", (int)pids[i],
				(int)pids[i]);
			cow_source_close(&src);
			return EXIT_RUNTIME;
		}
	}
	if (o->hist && cow_source_latency_snapshot(&src, &lat_before)) {
		cow_err("cannot read %s/latency: --hist needs a module with latency histograms",
			src.dir);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	have_probes = !src.ops->read_probes(&src, &probes);
	cow_kernel_release(kernel, sizeof(kernel));
	if (cow_out_open(o)) {
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}

	start = cow_boottime_ns();
	for (int i = 0; i < nr_pids; i++) {
		err = src.ops->track_start(&src, pids[i], 0, 0);
		if (err) {
			cow_err("cannot track PID %d: %s", (int)pids[i], cow_track_strerror(-err));
			cow_source_close(&src);	/* ends the groups already started */
			return EXIT_RUNTIME;
		}
	}
	created = cow_boottime_ns();
	for (int i = 0; i < nr_pids; i++)
		group_gens[i] = cow_source_group_gen(&src, pids[i]);
	if (cow_source_snapshot(&src, &baseline))
		memset(&baseline, 0, sizeof(baseline));

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (interval > 0)
		next_interval = start + (uint64_t)(interval * 1e9);
	if (duration > 0)
		deadline = start + (uint64_t)(duration * 1e9);
	cow_intervals_init(&iv, start);

	while (!exiting) {
		uint64_t now = cow_boottime_ns(), wake = now + LIVENESS_NS;

		if (next_interval && next_interval < wake)
			wake = next_interval;
		if (deadline && deadline < wake)
			wake = deadline;
		if (wake > now)
			sleep_ns(wake - now);
		if (exiting)
			break;
		now = cow_boottime_ns();
		if (deadline && now >= deadline)
			break;
		if (next_interval && now >= next_interval) {
			memset(&cur, 0, sizeof(cur));
			cur.mode = "attach";
			cur.leaders = pids;
			cur.group_gens = group_gens;
			cur.nr_leaders = nr_pids;
			cur.probes = have_probes ? &probes : NULL;
			if (cow_intervals_emit(&iv, &src, &cur, &baseline, created, created,
					       cow_out(o), o)) {
				ret = EXIT_RUNTIME;
				break;
			}
			while (next_interval <= now)
				next_interval += (uint64_t)(interval * 1e9);
		}
		if (!any_alive(pids, nr_pids)) {
			/* The leaders are gone; stop once their descendants are. */
			struct cow_report check = {
				.leaders = pids, .group_gens = group_gens, .nr_leaders = nr_pids,
				.probes = have_probes ? &probes : NULL,
			};
			bool live;

			if (cow_report_collect(&src, &check, &baseline, created, created)) {
				ret = EXIT_RUNTIME;
				break;
			}
			live = cow_report_any_live(&check);
			cow_report_free(&check);
			if (!live)
				break;
		}
	}

	if (!ret) {
		memset(&cur, 0, sizeof(cur));
		cur.mode = "attach";
		cur.leaders = pids;
		cur.group_gens = group_gens;
		cur.nr_leaders = nr_pids;
		cur.start_ns = start;
		cur.modver = src.modver;
		cur.probes = have_probes ? &probes : NULL;
		snprintf(cur.kernel, sizeof(cur.kernel), "%s", kernel);
		if (cow_report_collect(&src, &cur, &baseline, created, created)) {
			ret = EXIT_RUNTIME;
		} else {
			if (o->hist && !src.ops->read_latency(&src, &lat_after, group_gens,
								 (size_t)nr_pids)) {
				cow_latency_delta(&lat_after, &lat_before);
				cur.latency = &lat_after;
			}
			cow_report_print(cow_out(o), &cur, o);
			cow_report_free(&cur);
		}
	}
	cow_intervals_free(&iv);
	cow_table_free(&baseline);
	cow_source_close(&src);
	return ret;
}
