// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace -- COMMAND: run a program inside a track group and report.
 *
 * The group must exist before COMMAND execs, or its first events (the
 * exec itself, the dynamic loader's writes, early forks) would be lost.
 * So the child is forked first and waits on a pipe; the parent starts the
 * group for the child's PID and only then lets it go on to drop privileges
 * and exec.  The child first says it is ready, just before it blocks, so
 * that the parent's snapshot of its record at the group's start cannot
 * race with the child's own first writes after fork.  A second pipe, close-on-exec, carries back the errno of a
 * failed exec: EOF on it means COMMAND is running.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "source.h"

enum child_stage { STAGE_GROUPS, STAGE_SETGID, STAGE_SETUID, STAGE_EXEC };

struct child_failure {
	int stage;
	int err;
};

static volatile pid_t child_pid;

/* SIGTERM and SIGHUP to cowtrace are meant for COMMAND; pass them on. */
static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static void __attribute__((noreturn)) child_fail(int fd, int stage)
{
	struct child_failure f = { .stage = stage, .err = errno };
	ssize_t n = write(fd, &f, sizeof(f));

	(void)n;
	_exit(stage == STAGE_EXEC && f.err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/*
 * Write to the stack below us now, so that blocking in read() later does
 * not take a first (COW) fault on a deeper stack page after the snapshot.
 */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i += 64)
		buf[i] = 0;
}

static void __attribute__((noreturn)) run_child(char **argv, const struct cow_user *u,
						int ready_fd, int go_fd, int fail_fd)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE };
	sigset_t none;
	ssize_t n;
	char c = 'r';

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	touch_stack();
	if (write(ready_fd, &c, 1) != 1)
		_exit(EXIT_RUNTIME);
	close(ready_fd);

	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(EXIT_RUNTIME);	/* the parent gave up and said why */
	close(go_fd);

	if (u->set) {
		if (u->name[0] ? initgroups(u->name, u->gid) : setgroups(1, &u->gid))
			child_fail(fail_fd, STAGE_GROUPS);
		if (setgid(u->gid))
			child_fail(fail_fd, STAGE_SETGID);
		if (setuid(u->uid))
			child_fail(fail_fd, STAGE_SETUID);
		if (u->name[0]) {
			setenv("USER", u->name, 1);
			setenv("LOGNAME", u->name, 1);
			if (u->home[0])
				setenv("HOME", u->home, 1);
		}
	}
	execvp(argv[0], argv);
	child_fail(fail_fd, STAGE_EXEC);
}

/* One line for a child that never became COMMAND; returns the exit code. */
static int report_child_failure(const struct child_failure *f, char **argv,
				const struct cow_user *u)
{
	if (f->stage == STAGE_EXEC && f->err == ENOENT) {
		cow_err("%s: command not found: check its name and PATH", argv[0]);
		return EXIT_NOT_FOUND;
	}
	if (f->stage == STAGE_EXEC) {
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

	if (cow_stats_extra(before, "records_dropped", &b) &&
	    cow_stats_extra(after, "records_dropped", &a) && a > b)
		cow_report_note(r, "%llu exited records left the module's ring during the run; some short-lived processes may be missing above (the total is exact)",
				(unsigned long long)(a - b));
	/* The BPF backend (bpf_source.c): fentry's recursion guard. */
	if (cow_stats_extra(before, "bpf_prog_misses", &b) &&
	    cow_stats_extra(after, "bpf_prog_misses", &a) && a > b)
		cow_report_note(r, "the BPF programs missed %llu invocations (fentry recursion guard): every count is a lower bound",
				(unsigned long long)(a - b));
}

int cmd_run(char **argv, const struct cow_output *o, const struct cow_user *u)
{
	struct cow_latency lat_before, lat_after;
	struct cow_stats st_before, st_after;
	struct cow_probes probes;
	struct cow_table baseline;
	struct child_failure failure;
	struct cow_report r = { .mode = "run", .argv = argv };
	struct cow_source src;
	struct sigaction sa = { .sa_handler = forward_signal };
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

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(fail, O_CLOEXEC)) {
		cow_err("pipe: %s", strerror(errno));
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		cow_err("fork: %s: free some memory or processes", strerror(errno));
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		close(fail[0]);
		run_child(argv, u, ready[1], go[0], fail[1]);
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
	/* The child is still blocked: this is its state at the group's start. */
	if (cow_source_snapshot(&src, &baseline))
		memset(&baseline, 0, sizeof(baseline));

	/* Ctrl-C goes to COMMAND (same process group); cowtrace reports. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

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
	wait_child(pid, &status);
	child_pid = 0;

	if (n == (ssize_t)sizeof(failure)) {
		cow_table_free(&baseline);
		cow_source_close(&src);
		return report_child_failure(&failure, argv, u);
	}

	if (WIFSIGNALED(status))
		r.exit_code = 128 + WTERMSIG(status);
	else
		r.exit_code = WEXITSTATUS(status);
	r.has_wait_status = true;
	r.wait_status = status;
	r.leaders = &pid;
	r.group_gens = &group_gen;
	r.nr_leaders = 1;
	r.modver = src.modver;
	r.probes = have_probes ? &probes : NULL;
	cow_kernel_release(r.kernel, sizeof(r.kernel));

	ret = cow_report_collect(&src, &r, &baseline, r.start_ns, 0);
	if (!ret && o->hist) {
		if (!src.ops->read_latency(&src, &lat_after)) {
			cow_latency_delta(&lat_after, &lat_before);
			r.latency = &lat_after;
		} else {
			cow_report_note(&r, "latency became unreadable; no histograms");
		}
	}
	if (!ret && have_stats && !src.ops->read_stats(&src, &st_after))
		note_dropped(&r, &st_before, &st_after);
	if (!ret)
		cow_report_print(cow_out(o), &r, o);
	cow_report_free(&r);
	cow_table_free(&baseline);
	/* Closing the track file ends the group in the module. */
	cow_source_close(&src);
	return ret ? EXIT_RUNTIME : r.exit_code;
}
