// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace -p PID[,PID...]: track running processes and the descendants
 * they fork from now on, until Ctrl-C, -d SEC, or until every tracked
 * process is gone; with -i SEC, print what each interval added.
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

#define MAX_INTERVALS 4096
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

static bool any_member_live(const struct cow_report *r)
{
	for (size_t i = 0; i < r->nr_procs; i++)
		if (r->procs[i].live)
			return true;
	return false;
}

static const struct cow_proc *find_proc(const struct cow_report *r, const struct cow_proc *p)
{
	for (size_t i = 0; r && i < r->nr_procs; i++)
		if (r->procs[i].tgid == p->tgid && r->procs[i].start_ns == p->start_ns)
			return &r->procs[i];
	return NULL;
}

/* One compact table per interval: what each process added. */
static void print_interval(FILE *f, const struct cow_report *cur, const struct cow_report *prev,
			   const struct cow_counters *delta)
{
	static const enum cowstat_counter cols[] = {
		COWSTAT_cow_copies, COWSTAT_cow_reuses, COWSTAT_shared_writes,
		COWSTAT_forks, COWSTAT_fork_pages_shared,
	};
	static const char *const hdr[] = {
		"PID", "COMM", "COPIES", "REUSES", "SHARED-WR", "FORKS", "PAGES-SHARED", "COPIED",
	};
	struct cow_tab t;
	char (*row)[TAB_CELL];
	char stamp[16];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	tab_init(&t, 8);
	tab_left(&t, 1);
	row = tab_row(&t);
	for (int c = 0; c < 8; c++)
		snprintf(row[c], TAB_CELL, "%s", hdr[c]);
	for (size_t i = 0; i < cur->nr_procs; i++) {
		struct cow_counters c = cur->procs[i].c;
		const struct cow_proc *old = find_proc(prev, &cur->procs[i]);
		bool active = false;

		if (old)
			cow_counters_sub(&c, &old->c);
		for (int k = 0; k < COWSTAT_NR_COUNTERS; k++)
			active |= c.have[k] && c.val[k];
		if (!active)
			continue;
		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "%lld", (long long)cur->procs[i].tgid);
		snprintf(row[1], TAB_CELL, "%.16s", cur->procs[i].comm);
		for (int k = 0; k < 5; k++)
			cow_fmt_count(row[2 + k], TAB_CELL, &c, cols[k]);
		cow_fmt_bytes(row[7], TAB_CELL,
			      cow_counter_bytes(COWSTAT_cow_copies, c.val[COWSTAT_cow_copies]), true);
	}
	row = tab_row(&t);
	snprintf(row[0], TAB_CELL, "total");
	for (int k = 0; k < 5; k++)
		cow_fmt_count(row[2 + k], TAB_CELL, delta, cols[k]);
	cow_fmt_bytes(row[7], TAB_CELL,
		      cow_counter_bytes(COWSTAT_cow_copies, delta->val[COWSTAT_cow_copies]), true);
	fprintf(f, "%s\n", stamp);
	tab_print(f, &t, "");
	fputc('\n', f);
	fflush(f);
	tab_free(&t);
}

int cmd_attach(const pid_t *pids, int nr_pids, double interval, double duration,
	       const struct cow_output *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cow_latency lat_before, lat_after;
	struct cow_probes probes;
	struct cow_table baseline;
	struct cow_report prev = { 0 }, cur;
	struct cow_interval *intervals = NULL;
	struct cow_source src;
	size_t nr_intervals = 0;
	uint64_t start, created, next_interval = 0, deadline = 0, interval_start;
	bool have_probes, have_prev = false;
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
	interval_start = start;

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
			cur.leaders = pids;
			cur.group_gens = group_gens;
			cur.nr_leaders = nr_pids;
			if (cow_report_collect(&src, &cur, &baseline, created, created)) {
				ret = EXIT_RUNTIME;
				break;
			}
			struct cow_counters delta = cur.total;

			if (have_prev)
				cow_counters_sub(&delta, &prev.total);
			if (o->json) {
				if (nr_intervals < MAX_INTERVALS) {
					struct cow_interval *more = realloc(intervals,
						(nr_intervals + 1) * sizeof(*intervals));

					if (more) {
						intervals = more;
						intervals[nr_intervals].start_ns = interval_start;
						intervals[nr_intervals].end_ns = cur.end_ns;
						intervals[nr_intervals].total = delta;
						nr_intervals++;
					}
				}
			} else {
				print_interval(cow_out(o), &cur, have_prev ? &prev : NULL, &delta);
			}
			cow_report_free(&prev);
			prev = cur;
			have_prev = true;
			interval_start = cur.end_ns;
			while (next_interval <= now)
				next_interval += (uint64_t)(interval * 1e9);
		}
		if (!any_alive(pids, nr_pids)) {
			/* The leaders are gone; stop once their descendants are. */
			struct cow_report check = {
				.leaders = pids, .group_gens = group_gens, .nr_leaders = nr_pids,
			};
			bool live;

			if (cow_report_collect(&src, &check, &baseline, created, created)) {
				ret = EXIT_RUNTIME;
				break;
			}
			live = any_member_live(&check);
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
		cur.intervals = intervals;
		cur.nr_intervals = nr_intervals;
		snprintf(cur.kernel, sizeof(cur.kernel), "%s", kernel);
		if (cow_report_collect(&src, &cur, &baseline, created, created)) {
			ret = EXIT_RUNTIME;
		} else {
			if (o->hist && !src.ops->read_latency(&src, &lat_after)) {
				cow_latency_delta(&lat_after, &lat_before);
				cur.latency = &lat_after;
			}
			cow_report_print(cow_out(o), &cur, o);
			cow_report_free(&cur);
		}
	}
	cow_report_free(&prev);
	free(intervals);
	cow_table_free(&baseline);
	cow_source_close(&src);
	return ret;
}
