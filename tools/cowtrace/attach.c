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
 *
 * cowtrace -c CGROUP: the same, for every process of a cgroup v2 subtree
 * (cgroup.c), each in a group of its own.  The subtree is read again every
 * LIVENESS_NS; a process found there that no group follows yet (it entered
 * the cgroup, or was started in it by a process outside) gets a group and
 * a baseline of its own then.  Children forked by followed processes are
 * in their parent's group already and get none.  A process that leaves the
 * cgroup stays followed, with its new children, until it exits: cowtrace
 * follows processes, and the cgroup says which ones to start with.  The
 * attach ends at Ctrl-C, at -d SEC, or when the cgroup is removed, not
 * when its processes are gone, since new ones may enter it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "events.h"
#include "timeline.h"
#include "report.h"
#include "source.h"

/* At most as many leaders as -p takes PIDs. */
#define COW_MAX_LEADERS 64

/* How often to look whether the tracked processes are still there (and,
 * with -c, for new processes in the cgroup). */
#define LIVENESS_NS 250000000ULL

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* --events: read while waiting (fd -1 when off) */
static struct cow_events attach_events = { .fd = -1 };
/* --timeline: counted from the same events */
static struct cow_timeline attach_tl;

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	/* A signal cuts the sleep short; the loop then sees `exiting`. */
	cow_events_wait(&attach_events, &ts, NULL);
}

static bool any_alive(const pid_t *pids, int nr)
{
	for (int i = 0; i < nr; i++)
		if (!kill(pids[i], 0) || errno != ESRCH)
			return true;
	return false;
}

/* The processes followed: the -p PIDs, or the cgroup's, added as found. */
struct followed {
	pid_t lead[COW_MAX_LEADERS];
	uint64_t gens[COW_MAX_LEADERS];
	int nr;
	const char *cgroup;	/* -c: the cgroup's canonical path, else NULL */
	struct cow_pidset known;	/* -c: the last scan's PIDs, all decided on */
	unsigned int no_slot;	/* -c: processes left without a group */
	unsigned int late;	/* -c: followed after the first scan */
	uint64_t created;	/* the newest group's creation (boottime) */
	uint64_t since;		/* descendants born from then on are members */
};

static bool is_leader(const struct followed *f, pid_t pid)
{
	for (int i = 0; i < f->nr; i++)
		if (f->lead[i] == pid)
			return true;
	return false;
}

/*
 * Replaces, in base, the rows of pid with those of now: a process that
 * joins later counts from when it joined, not from the first snapshot.
 */
static void baseline_update(struct cow_table *base, const struct cow_table *now, pid_t pid)
{
	for (size_t i = 0; i < now->nr; i++) {
		const struct cow_row *r = &now->rows[i];
		size_t j;

		if (r->tgid != pid)
			continue;
		for (j = 0; j < base->nr && base->rows[j].gen != r->gen; j++)
			;
		if (j == base->nr) {
			if (base->nr == base->cap) {
				size_t cap = base->cap ? base->cap * 2 : 64;
				struct cow_row *rows = realloc(base->rows, cap * sizeof(*rows));

				if (!rows)
					return;
				base->rows = rows;
				base->cap = cap;
			}
			base->nr++;
		}
		base->rows[j] = *r;
	}
}

/*
 * Reads the cgroup and starts a group for each process of it that is not
 * followed yet.  Returns 0, 1 when the cgroup is gone, -1 on an error
 * (printed).
 */
static int scan_cgroup(struct cow_source *src, struct followed *f, struct cow_table *baseline,
		       bool first)
{
	struct cow_pidset now = { 0 };
	struct cow_table procs = { 0 };
	bool *member = NULL, have_procs = false;
	int err, ret = 0;

	err = cow_cgroup_read(f->cgroup, &now);
	if (err == -ENOENT || err == -ENODEV) {
		cow_pidset_free(&now);
		return 1;
	}
	if (err) {
		cow_err("cannot read the processes of cgroup %s: %s", f->cgroup, strerror(-err));
		cow_pidset_free(&now);
		return -1;
	}
	for (size_t i = 0; i < now.nr; i++) {
		pid_t pid = now.pids[i];
		bool is_member = false;

		/*
		 * Seen at the last scan, or followed.  A PID that was not in the
		 * cgroup at the last scan is looked at again: a new process may
		 * have it, or a child that left and came back (a member, below).
		 */
		if (cow_pidset_has(&f->known, pid) || is_leader(f, pid))
			continue;
		/* A child of a followed process is in its parent's group. */
		if (!first && !have_procs) {
			if (src->ops->read_procs(src, &procs)) {
				cow_err("cannot read %s/procs: %s: reload the module", src->dir,
					procs.err);
				ret = -1;
				break;
			}
			have_procs = true;
			member = calloc(procs.nr ? procs.nr : 1, sizeof(*member));
			if (!member) {
				cow_err("out of memory");
				ret = -1;
				break;
			}
			cow_select_members(&procs, f->lead, f->nr, cow_boottime_ns(), f->since,
					   member);
		}
		for (size_t r = 0; have_procs && r < procs.nr; r++)
			is_member |= member[r] && procs.rows[r].tgid == pid;
		if (is_member)
			continue;
		if (cow_is_kthread(pid))
			continue;	/* the root cgroup lists them; no memory to count */
		if (f->nr == COW_MAX_LEADERS) {
			f->no_slot++;
			continue;
		}
		err = src->ops->track_start(src, pid, 0, 0);
		/* Gone since the read, or a kernel thread (the root cgroup's). */
		if (err == -ESRCH || err == -EINVAL)
			continue;
		if (err == -ENOSPC) {
			f->no_slot++;
			continue;
		}
		if (err) {
			cow_err("cannot track PID %d of cgroup %s: %s", (int)pid, f->cgroup,
				cow_track_strerror(-err));
			ret = -1;
			break;
		}
		f->created = cow_boottime_ns();
		f->lead[f->nr] = pid;
		f->gens[f->nr] = cow_source_group_gen(src, pid);
		f->nr++;
		if (!first) {
			struct cow_table fresh;

			/* What it did before it joined is not ours. */
			f->late++;
			if (!src->ops->read_procs(src, &fresh)) {
				baseline_update(baseline, &fresh, pid);
				cow_table_free(&fresh);
			}
		}
	}
	free(member);
	cow_table_free(&procs);
	cow_pidset_free(&f->known);
	f->known = now;
	return ret;
}

static void cgroup_notes(struct cow_report *r, const struct followed *f, bool removed)
{
	if (!f->cgroup)
		return;
	if (f->late)
		cow_report_note(r, "%u processes entered cgroup %s while attached and were counted from then on",
				f->late, f->cgroup);
	if (f->no_slot)
		cow_report_note(r, "%u processes of cgroup %s were not followed: no track group slot was left (at most 16 groups at once, one per process found in the cgroup): the counts are lower bounds",
				f->no_slot, f->cgroup);
	if (removed)
		cow_report_note(r, "cgroup %s was removed: the report ends there", f->cgroup);
}

int cmd_attach(const pid_t *pids, int nr_pids, const char *cgroup, double duration,
	       const struct cow_output *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cow_latency lat_before, lat_after;
	struct cow_probes probes;
	struct cow_table baseline;
	struct cow_report cur;
	struct cow_maps maps = { 0 };
	struct cow_intervals iv;
	struct cow_source src;
	struct followed f = { .cgroup = cgroup };
	uint64_t start, since, next_interval = 0, deadline = 0;
	double interval = o->interval;
	bool have_probes, removed = false;
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
		f.lead[f.nr++] = pids[i];
	}
	if (cow_events_begin(&attach_events, &src, o, cow_out(o), start, &attach_tl)) {
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	if (cgroup) {
		err = scan_cgroup(&src, &f, NULL, true);
		if (err) {
			if (err > 0)
				cow_err("cgroup %s was removed before cowtrace attached: give an existing cgroup",
					cgroup);
			cow_source_close(&src);
			return EXIT_RUNTIME;
		}
		if (!f.nr)
			cow_err("cgroup %s holds no process yet: waiting for one (Ctrl-C or -d SEC to stop)",
				cgroup);
	}
	f.created = cow_boottime_ns();
	since = f.since = f.created;
	for (int i = 0; i < nr_pids; i++)
		f.gens[i] = cow_source_group_gen(&src, pids[i]);
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
		if (cgroup) {
			err = scan_cgroup(&src, &f, &baseline, false);
			if (err < 0) {
				ret = EXIT_RUNTIME;
				break;
			}
			if (err > 0) {
				removed = true;
				break;
			}
		}
		if (next_interval && now >= next_interval) {
			memset(&cur, 0, sizeof(cur));
			cur.mode = "attach";
			cur.cgroup = cgroup;
			cur.leaders = f.lead;
			cur.group_gens = f.gens;
			cur.nr_leaders = f.nr;
			cur.probes = have_probes ? &probes : NULL;
			if (cow_intervals_emit(&iv, &src, &cur, &baseline, f.created, since,
					       cow_out(o), o)) {
				ret = EXIT_RUNTIME;
				break;
			}
			while (next_interval <= now)
				next_interval += (uint64_t)(interval * 1e9);
		}
		if (!cgroup && !any_alive(pids, nr_pids)) {
			/* The leaders are gone; stop once their descendants are. */
			struct cow_report check = {
				.leaders = f.lead, .group_gens = f.gens, .nr_leaders = f.nr,
				.probes = have_probes ? &probes : NULL,
			};
			bool live;

			if (cow_report_collect(&src, &check, &baseline, f.created, since)) {
				ret = EXIT_RUNTIME;
				break;
			}
			live = cow_report_any_live(&check);
			cow_report_free(&check);
			if (!live)
				break;
		}
	}

	cow_events_drain(&attach_events);
	if (!ret) {
		memset(&cur, 0, sizeof(cur));
		cur.mode = "attach";
		cur.cgroup = cgroup;
		cur.leaders = f.lead;
		cur.group_gens = f.gens;
		cur.nr_leaders = f.nr;
		cur.start_ns = start;
		cur.modver = src.modver;
		cur.probes = have_probes ? &probes : NULL;
		snprintf(cur.kernel, sizeof(cur.kernel), "%s", kernel);
		if (cow_report_collect(&src, &cur, &baseline, f.created, since)) {
			ret = EXIT_RUNTIME;
		} else {
			cgroup_notes(&cur, &f, removed);
			if (o->hist && !src.ops->read_latency(&src, &lat_after, f.gens,
								 (size_t)f.nr)) {
				cow_latency_delta(&lat_after, &lat_before);
				cur.latency = &lat_after;
			}
			cur.has_events = o->events || o->timeline;
			cur.events_lost = cow_events_lost(&attach_events);
			if (o->maps) {
				if (!cow_maps_collect(&src, &cur, o->maps_top, &maps))
					cur.maps = &maps;
				else
					cow_report_note(&cur, "the per-mapping counts could not be read; no --maps section");
			}
			cow_report_print(cow_out(o), &cur, o);
			if (o->events && !o->json)
				cow_events_print_lost(cow_out(o), cur.events_lost);
			if (o->timeline && cow_timeline_write(&src, &cur, &attach_tl))
				ret = EXIT_RUNTIME;
			cow_maps_free(&maps);
			cow_report_free(&cur);
		}
	}
	cow_timeline_free(&attach_tl);
	cow_intervals_free(&iv);
	cow_table_free(&baseline);
	cow_pidset_free(&f.known);
	cow_source_close(&src);
	return ret;
}
