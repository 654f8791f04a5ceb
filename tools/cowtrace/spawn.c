// SPDX-License-Identifier: GPL-2.0
/*
 * Starting COMMAND without sharing cowtrace's memory with it.
 *
 * fork() write-protects every private page of the tracer for as long as
 * the child holds the same mm.  Once the child execs, each page cowtrace
 * writes afterwards is a COW reuse fault: the tracer would add reuses to
 * the host's pgreuse while COMMAND runs, and to its own counters.  So the
 * child is started with posix_spawn() (CLONE_VM | CLONE_VFORK: no mm is
 * copied) running this same binary as a stage ("__spawn"): a fresh
 * process image that signals ready, waits for go, drops privileges and
 * execs COMMAND.  The stage is an internal argv form; users never type it.
 *
 * The fds handed to the stage are cleared of FD_CLOEXEC for the spawn
 * only; cowtrace is single-threaded, so nothing else inherits them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowtrace.h"

extern char **environ;

#define STAGE_ARGS 10	/* "cowtrace" "__spawn" ready go fail set uid gid name home */

static int inherit_fd(int fd, bool on)
{
	int flags;

	if (fd < 0)
		return 0;
	flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -errno;
	flags = on ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC;
	return fcntl(fd, F_SETFD, flags) ? -errno : 0;
}

int cow_spawn_command(char **cmd, const struct cow_user *u, int ready_fd, int go_fd,
		      int fail_fd, pid_t *pid)
{
	char num[6][24], **argv;
	size_t n = 0, i;
	int fds[3] = { ready_fd, go_fd, fail_fd }, ret;

	while (cmd[n])
		n++;
	argv = calloc(STAGE_ARGS + 2 + n, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	snprintf(num[0], sizeof(num[0]), "%d", ready_fd);
	snprintf(num[1], sizeof(num[1]), "%d", go_fd);
	snprintf(num[2], sizeof(num[2]), "%d", fail_fd);
	snprintf(num[3], sizeof(num[3]), "%d", u && u->set);
	snprintf(num[4], sizeof(num[4]), "%u", u ? (unsigned int)u->uid : 0);
	snprintf(num[5], sizeof(num[5]), "%u", u ? (unsigned int)u->gid : 0);
	argv[0] = "cowtrace";
	argv[1] = "__spawn";
	for (i = 0; i < 6; i++)
		argv[2 + i] = num[i];
	argv[8] = u ? (char *)u->name : "";
	argv[9] = u ? (char *)u->home : "";
	argv[STAGE_ARGS] = "--";
	for (i = 0; i < n; i++)
		argv[STAGE_ARGS + 1 + i] = cmd[i];

	ret = 0;
	for (i = 0; i < 3 && !ret; i++)
		ret = inherit_fd(fds[i], true);
	if (!ret) {
		ret = -posix_spawn(pid, "/proc/self/exe", NULL, NULL, argv, environ);
		if (ret == -ENOENT)
			ret = -ENOEXEC;	/* not COMMAND's ENOENT: no /proc here */
	}
	for (i = 0; i < 3; i++)
		inherit_fd(fds[i], false);
	free(argv);
	return ret;
}

static void __attribute__((noreturn)) stage_fail(int fd, int stage, const char *what)
{
	struct cow_child_failure f = { .stage = stage, .err = errno };
	ssize_t n;

	if (fd >= 0) {
		n = write(fd, &f, sizeof(f));
		(void)n;
	} else {
		fprintf(stderr, "cowtrace: cannot run %s: %s\n", what, strerror(f.err));
	}
	_exit(stage == COW_STAGE_EXEC && f.err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/*
 * Write to the stack below us now, so that blocking in read() later does
 * not take a first fault on a deeper stack page after the group's start.
 */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i += 64)
		buf[i] = 0;
}

static int stage_num(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

int cow_spawn_stage(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE };
	long ready_fd, go_fd, fail_fd, set, uid, gid;
	const char *name, *home;
	sigset_t none;
	ssize_t n;
	char c = 'r';

	if (argc < STAGE_ARGS + 1 || strcmp(argv[STAGE_ARGS], "--") ||
	    stage_num(argv[2], &ready_fd) || stage_num(argv[3], &go_fd) ||
	    stage_num(argv[4], &fail_fd) || stage_num(argv[5], &set) ||
	    stage_num(argv[6], &uid) || stage_num(argv[7], &gid)) {
		fprintf(stderr, "cowtrace: __spawn is cowtrace's own stage, not a command\n");
		return EXIT_USAGE;
	}
	name = argv[8];
	home = argv[9];
	if (fail_fd >= 0)
		fcntl(fail_fd, F_SETFD, FD_CLOEXEC);	/* EOF on it: COMMAND runs */

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

	if (set) {
		if (name[0] ? initgroups(name, gid) : setgroups(1, (gid_t[]){ gid }))
			stage_fail(fail_fd, COW_STAGE_GROUPS, "COMMAND");
		if (setgid(gid))
			stage_fail(fail_fd, COW_STAGE_SETGID, "COMMAND");
		if (setuid(uid))
			stage_fail(fail_fd, COW_STAGE_SETUID, "COMMAND");
		if (name[0]) {
			setenv("USER", name, 1);
			setenv("LOGNAME", name, 1);
			if (home[0])
				setenv("HOME", home, 1);
		}
	}
	execvp(argv[STAGE_ARGS + 1], argv + STAGE_ARGS + 1);
	stage_fail(fail_fd, COW_STAGE_EXEC, argv[STAGE_ARGS + 1]);
}
