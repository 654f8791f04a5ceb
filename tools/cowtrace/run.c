// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace -- COMMAND: run a program inside a track group and report.
 *
 * The group must exist before COMMAND execs, or its first events (the
 * exec itself, the dynamic loader's writes, early forks) would be lost.
 * So the child is started first (spawn.c: without sharing our memory,
 * so cowtrace adds no COW faults of its own) and waits on a pipe; the
 * parent starts the group for the child's PID and only then lets it go on
 * to drop privileges and exec.  The child first says it is ready, just before it blocks, so
 * that the parent's snapshot of its record at the group's start cannot
 * race with the child's own first writes after it started.  A second pipe,
 * close-on-exec, carries back the errno of a failed exec: EOF on it means
 * COMMAND is running.
 *
 * The report goes to stderr (or -o FILE): stdout is COMMAND's.  It comes
 * when the whole group is gone, not only COMMAND (watch()), and if it
 * cannot be read then, cowtrace still exits with COMMAND's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "timeline.h"
#include "report.h"
#include "source.h"

static volatile pid_t child_pid;
/* --events: read while waiting (fd -1 when off) */
static struct cow_events run_events = { .fd = -1 };
/* --timeline: counted from the same events */
static struct cow_timeline run_tl;

/* SIGTERM and SIGHUP to cowtrace are meant for COMMAND; pass them on. */
static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* One line for a child that never became COMMAND; returns the exit code. */
static int report_child_failure(const struct cow_child_failure *f, char **argv,
				const struct cow_user *u)
{
	if (f->stage == COW_STAGE_EXEC && f->err == ENOENT) {
		cow_err("%s: command not found: check its name and PATH", argv[0]);
		return EXIT_NOT_FOUND;
	}
	if (f->stage == COW_STAGE_EXEC) {
		cow_err("%s: cannot execute: %s: check that it is an executable file", argv[0],
			strerror(f->err));
		return EXIT_CANNOT_EXEC;
	}
	cow_err("cannot switch to user %s (uid %u): %s: give -u an existing user",
		u->name[0] ? u->name : "?", (unsigned int)u->uid, strerror(f->err));
	return EXIT_RUNTIME;
}

static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static void note_dropped(struct cow_report *r, const struct cow_stats *before,
			 const struct cow_stats *after)
{
	uint64_t b, a;

	/*
	 * records_dropped: a new mm found the table full (max_records), so
	 * its events reached the system totals only, not its row or group.
	 */
	if (cow_stats_extra(before, "records_dropped", &b) &&
	    cow_stats_extra(after, "records_dropped", &a) && a > b)
		cow_report_note(r, "%llu new processes found the module's record table full (max_records) and were not recorded: their events are missing from the rows and the totals above, which are lower bounds (reload cowstat with a larger max_records)",
				(unsigned long long)(a - b));
	/* records_recycled: rows gone, their events still in the totals. */
	if (cow_stats_extra(before, "records_recycled", &b) &&
	    cow_stats_extra(after, "records_recycled", &a) && a > b)
		cow_report_note(r, "%llu exited processes left the module's ring of exited records during the run; some short-lived processes may be missing from the rows above (the total is exact)",
				(unsigned long long)(a - b));
	/* The module's own health lines: events it could not follow. */
	{
		static const char *const lost[] = {
			"events_uncorrelated", "tct_full", "fork_deltas_clamped",
		};
		char what[160] = "";
		uint64_t sum = 0;

		for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
			size_t len = strlen(what);

			if (!cow_stats_extra(before, lost[i], &b) ||
			    !cow_stats_extra(after, lost[i], &a) || a <= b)
				continue;
			sum += a - b;
			snprintf(what + len, sizeof(what) - len, "%s%s +%llu",
				 len ? ", " : "", lost[i], (unsigned long long)(a - b));
		}
		if (sum)
			cow_report_note(r, "the module could not follow every event during the run (%s): the counts are lower bounds",
					what);
	}
	/* The BPF backend (bpf_source.c): fentry's recursion guard. */
	if (cow_stats_extra(before, "bpf_prog_misses", &b) &&
	    cow_stats_extra(after, "bpf_prog_misses", &a) && a > b)
		cow_report_note(r, "the BPF programs missed %llu invocations (fentry recursion guard): every count is a lower bound",
				(unsigned long long)(a - b));
}

/*
 * Return probes out of instances (nmissed) or hits dropped for re-entry
 * during the run: those invocations were not seen at all.
 */
static void note_missed(struct cow_report *r, const struct cow_probes *before,
			const struct cow_probes *after)
{
	char what[256] = "";
	uint64_t sum = 0;

	for (size_t i = 0; i < after->nr; i++) {
		const struct cow_probe *a = &after->probe[i];
		uint64_t b = 0, d;
		size_t len = strlen(what);

		for (size_t j = 0; j < before->nr; j++)
			if (!strcmp(before->probe[j].symbol, a->symbol))
				b = before->probe[j].nmissed + before->probe[j].nmissed_reentry;
		if (a->nmissed + a->nmissed_reentry <= b)
			continue;
		d = a->nmissed + a->nmissed_reentry - b;
		sum += d;
		snprintf(what + len, sizeof(what) - len, "%s%s +%llu", len ? ", " : "",
			 a->symbol, (unsigned long long)d);
	}
	if (sum)
		cow_report_note(r, "the module's probes missed %llu invocations during the run (%s; nmissed in probes: too many faults in flight at once, or re-entry): the counts are lower bounds",
				(unsigned long long)sum, what);
}

/* How often to look whether the processes COMMAND left are still there. */
#define LIVENESS_NS 250000000ULL
/* After this long, a terminal is told what cowtrace waits for. */
#define WAIT_HINT_NS 2000000000ULL

enum { WATCH_DONE, WATCH_FAILED, WATCH_NO_STATUS };

static volatile sig_atomic_t stop_waiting;

static void on_stop(int sig)
{
	(void)sig;
	stop_waiting = 1;
}

static void on_child(int sig)
{
	(void)sig;
}

/* Sleeps until the boottime until (0: no limit), a signal or --events. */
static void sleep_until(uint64_t until, const sigset_t *unblocked)
{
	uint64_t now = cow_boottime_ns();
	struct timespec ts;

	if (!until) {
		cow_events_wait(&run_events, NULL, unblocked);
		return;
	}
	if (until <= now)
		return;
	ts.tv_sec = (until - now) / 1000000000ULL;
	ts.tv_nsec = (until - now) % 1000000000ULL;
	cow_events_wait(&run_events, &ts, unblocked);
}

/*
 * While COMMAND runs: interval reports (-i); then, unless --leader-only,
 * wait until every process of the group is gone, since a command that
 * daemonizes leaves its work to children that outlive it.  SIGCHLD is
 * blocked by the caller and taken only in sleep_until().  Fills *status
 * with COMMAND's wait status; returns WATCH_DONE, WATCH_FAILED (the
 * source became unreadable after COMMAND ran) or WATCH_NO_STATUS.
 */
static int watch(struct cow_source *src, struct cow_report *r, const struct cow_table *baseline,
		 const struct cow_output *o, int *status)
{
	struct sigaction stop = { .sa_handler = on_stop };
	sigset_t unblocked;
	struct cow_intervals iv;
	uint64_t step = (uint64_t)(o->interval * 1e9), next = step ? r->start_ns + step : 0;
	uint64_t exit_ns = 0, next_check = 0;
	pid_t pid = r->leaders[0];
	bool leader_done = false, hinted = false, waited = false;
	int ret = WATCH_DONE;

	sigprocmask(SIG_SETMASK, NULL, &unblocked);
	sigdelset(&unblocked, SIGCHLD);
	cow_intervals_init(&iv, r->start_ns);
	for (;;) {
		uint64_t now, wake = 0;

		if (!leader_done) {
			pid_t w = waitpid(pid, status, WNOHANG);

			if (w < 0 && errno != EINTR) {
				ret = WATCH_NO_STATUS;
				break;
			}
			if (w == pid) {
				leader_done = true;
				child_pid = 0;
				exit_ns = cow_boottime_ns();
				if (o->leader_only)
					break;
				/* COMMAND is gone: Ctrl-C now ends the wait for its tree. */
				sigaction(SIGINT, &stop, NULL);
				sigaction(SIGTERM, &stop, NULL);
				sigaction(SIGHUP, &stop, NULL);
			}
		}
		now = cow_boottime_ns();
		if (next && now >= next) {
			struct cow_report cur = {
				.mode = "run", .leaders = r->leaders, .group_gens = r->group_gens,
				.nr_leaders = r->nr_leaders, .probes = r->probes,
			};

			if (cow_intervals_emit(&iv, src, &cur, baseline, r->start_ns, 0, cow_out(o),
					       o)) {
				ret = WATCH_FAILED;
				break;
			}
			while (next <= now)
				next += step;
		}
		if (leader_done && now < next_check) {
			/* Woken early (a stray SIGCHLD): look again when due. */
			wake = next_check;
		} else if (leader_done) {
			struct cow_report check = {
				.leaders = r->leaders, .group_gens = r->group_gens,
				.nr_leaders = r->nr_leaders,
			};
			bool live;

			if (stop_waiting) {
				r->waited_ns = cow_boottime_ns() - exit_ns;
				cow_report_note(r, "Ctrl-C: reported before every process COMMAND left had exited");
				break;
			}
			if (cow_report_collect(src, &check, baseline, r->start_ns, 0)) {
				ret = WATCH_FAILED;
				break;
			}
			live = cow_report_any_live(&check);
			cow_report_free(&check);
			if (!live) {
				if (waited)
					r->waited_ns = cow_boottime_ns() - exit_ns;
				break;
			}
			waited = true;
			if (!hinted && now - exit_ns >= WAIT_HINT_NS && isatty(STDERR_FILENO)) {
				cow_err("COMMAND exited; waiting for the processes it left running (Ctrl-C to stop, --leader-only not to wait)");
				hinted = true;
			}
			next_check = now + LIVENESS_NS;
			wake = next_check;
		}
		if (next && (!wake || next < wake))
			wake = next;
		sleep_until(wake, &unblocked);
	}
	if (!leader_done) {
		/* The source failed while COMMAND runs: let it finish. */
		if (ret == WATCH_FAILED && wait_child(pid, status))
			ret = WATCH_NO_STATUS;
		child_pid = 0;
	}
	cow_intervals_free(&iv);
	return ret;
}

int cmd_run(char **argv, const struct cow_output *o, const struct cow_user *u)
{
	struct cow_latency lat_before, lat_after;
	struct cow_stats st_before, st_after;
	struct cow_probes probes;
	struct cow_table baseline;
	struct cow_child_failure failure;
	struct cow_report r = { .mode = "run", .argv = argv };
	struct cow_maps maps = { 0 };
	struct cow_source src;
	struct sigaction sa = { .sa_handler = forward_signal };
	struct sigaction sa_chld = { .sa_handler = on_child };
	sigset_t chld, unblocked;
	bool have_stats, have_probes;
	uint64_t group_gen;
	int ready[2], go[2], fail[2], status = 0, ret, err;
	char c;
	pid_t pid;
	ssize_t n;

	if (cow_source_open(&src))
		return EXIT_RUNTIME;
	if (o->hist && cow_source_latency_snapshot(&src, &lat_before)) {
		cow_err("cannot read %s/latency: --hist needs a module with latency histograms",
			src.dir);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	have_stats = !src.ops->read_stats(&src, &st_before);
	have_probes = !src.ops->read_probes(&src, &probes);
	/* An unwritable -o fails now, before COMMAND runs. */
	if (cow_out_open(o)) {
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(fail, O_CLOEXEC)) {
		cow_err("pipe: %s", strerror(errno));
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	fflush(NULL);
	err = cow_spawn_command(argv, u, ready[1], go[0], fail[1], &pid);
	if (err) {
		cow_err("cannot start a child for COMMAND: %s: free some memory or processes",
			strerror(-err));
		close(ready[0]);
		close(ready[1]);
		close(go[0]);
		close(go[1]);
		close(fail[0]);
		close(fail[1]);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	close(ready[1]);
	close(go[0]);
	close(fail[1]);
	child_pid = pid;
	do
		n = read(ready[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n != 1) {
		cow_err("the child for COMMAND died before it could run: free some memory and retry");
		close(go[1]);
		close(fail[0]);
		wait_child(pid, &status);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}

	r.start_ns = cow_boottime_ns();
	err = src.ops->track_start(&src, pid, 0, 0);
	if (err) {
		cow_err("cannot track COMMAND (PID %d): %s", (int)pid, cow_track_strerror(-err));
		close(go[1]);	/* the child reads EOF and exits */
		close(fail[0]);
		wait_child(pid, &status);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	group_gen = cow_source_group_gen(&src, pid);
	if (cow_events_begin(&run_events, &src, o, cow_out(o), r.start_ns, &run_tl)) {
		close(go[1]);	/* the child reads EOF and exits */
		close(fail[0]);
		wait_child(pid, &status);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	/* The child is still blocked: this is its state at the group's start. */
	if (cow_source_snapshot(&src, &baseline))
		memset(&baseline, 0, sizeof(baseline));

	/* Ctrl-C goes to COMMAND (same process group); cowtrace reports. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* SIGCHLD is taken only while sleeping (ppoll), so no exit is missed. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &unblocked);
	sigaction(SIGCHLD, &sa_chld, NULL);

	if (write(go[1], "g", 1) != 1) {
		cow_err("cannot start COMMAND: %s", strerror(errno));
		close(go[1]);
		close(fail[0]);
		kill(pid, SIGKILL);
		wait_child(pid, &status);
		cow_table_free(&baseline);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	close(go[1]);
	do
		n = read(fail[0], &failure, sizeof(failure));
	while (n < 0 && errno == EINTR);
	close(fail[0]);

	if (n == (ssize_t)sizeof(failure)) {
		wait_child(pid, &status);
		cow_table_free(&baseline);
		cow_source_close(&src);
		return report_child_failure(&failure, argv, u);
	}

	r.leaders = &pid;
	r.group_gens = &group_gen;
	r.nr_leaders = 1;
	r.modver = src.modver;
	r.probes = have_probes ? &probes : NULL;
	cow_kernel_release(r.kernel, sizeof(r.kernel));

	ret = watch(&src, &r, &baseline, o, &status);
	/* The events still in the ring; then what it had no room for. */
	cow_events_drain(&run_events);
	if (o->events || o->timeline) {
		r.has_events = true;
		r.events_lost = cow_events_lost(&run_events);
	}
	if (ret != WATCH_NO_STATUS) {
		if (WIFSIGNALED(status))
			r.exit_code = 128 + WTERMSIG(status);
		else
			r.exit_code = WEXITSTATUS(status);
		r.has_wait_status = true;
		r.wait_status = status;
	}
	if (ret == WATCH_DONE && cow_report_collect(&src, &r, &baseline, r.start_ns, 0))
		ret = WATCH_FAILED;
	if (ret != WATCH_DONE) {
		/* COMMAND ran: its status is what a caller needs most. */
		cow_err("no report: the module's files could not be read after COMMAND ran; COMMAND %s %d, and cowtrace exits with %d",
			r.has_wait_status && WIFSIGNALED(status) ? "was killed by signal" :
			"exited with status",
			r.has_wait_status && WIFSIGNALED(status) ? WTERMSIG(status) :
			r.exit_code, r.exit_code);
		cow_report_free(&r);
		cow_table_free(&baseline);
		cow_source_close(&src);
		return r.exit_code;
	}
	if (o->hist) {
		/* The group's own histograms (module format 3), else the system's. */
		if (!src.ops->read_latency(&src, &lat_after, &group_gen, group_gen ? 1 : 0)) {
			cow_latency_delta(&lat_after, &lat_before);
			r.latency = &lat_after;
		} else {
			cow_report_note(&r, "latency became unreadable; no histograms");
		}
	}
	if (have_stats && !src.ops->read_stats(&src, &st_after))
		note_dropped(&r, &st_before, &st_after);
	if (have_probes) {
		struct cow_probes *after = malloc(sizeof(*after));

		if (after && !src.ops->read_probes(&src, after))
			note_missed(&r, &probes, after);
		free(after);
	}
	if (o->maps) {
		if (!cow_maps_collect(&src, &r, o->maps_top, &maps))
			r.maps = &maps;
		else
			cow_report_note(&r, "the per-mapping counts could not be read; no --maps section");
	}
	cow_report_print(cow_out(o), &r, o);
	if (o->events && !o->json)
		cow_events_print_lost(cow_out(o), r.events_lost);
	if (o->timeline)
		cow_timeline_write(&src, &r, &run_tl);
	cow_timeline_free(&run_tl);
	cow_maps_free(&maps);
	cow_report_free(&r);
	cow_table_free(&baseline);
	/* Closing the track file ends the group in the module. */
	cow_source_close(&src);
	return r.exit_code;
}
