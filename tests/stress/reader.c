// SPDX-License-Identifier: GPL-2.0
/*
 * reader [-p MS] FILE...: reads each FILE (cowstat's procs and track)
 * whole, one after the other, in a loop until SIGTERM or SIGINT, pausing
 * MS milliseconds (default 0) after each round, and checks every
 * text it gets: a header line starting "state ", then rows that each end
 * in a newline, have at least as many fields as the header (comm, the
 * last field, may hold spaces) and start with a state the file can show
 * (live or exited; active or ended).
 *
 * One process, no exec per read: make stress's churn reads procs and
 * track "in a loop" while it forks, and a shell loop of cat(1), each an
 * exec from the guest's 9p root, cost the churn a third of its forks
 * under TCG.
 *
 * Prints "reader: R reads (procs P, track T), at most N rows" and exits
 * 0, or prints a FAIL line (the file, the offending line) and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 4

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int fields(const char *p, const char *end)
{
	int n = 0, in = 0;

	for (; p < end; p++) {
		if (*p == ' ') {
			in = 0;
		} else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}

static int known_state(const char *p, size_t len)
{
	static const char * const states[] = {
		"live ", "exited ", "active ", "ended ",
	};
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		size_t n = strlen(states[i]);

		if (len >= n && !memcmp(p, states[i], n))
			return 1;
	}
	return 0;
}

static void bad(const char *file, const char *why, const char *line,
		size_t len)
{
	printf("FAIL reader: %s: %s: %.*s\n", file, why,
	       (int)(len > 200 ? 200 : len), line);
	exit(1);
}

/* Checks one whole text; returns its number of rows. */
static long check(const char *file, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	long rows = 0;
	int want;

	nl = memchr(p, '\n', len);
	if (!nl || strncmp(p, "state ", 6))
		bad(file, "no header line", p, nl ? (size_t)(nl - p) : len);
	want = fields(p, nl);
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			bad(file, "a row without its newline", p, end - p);
		if (!known_state(p, nl - p))
			bad(file, "a row with an unknown state", p, nl - p);
		if (fields(p, nl) < want)
			bad(file, "a row with too few fields", p, nl - p);
		rows++;
	}
	return rows;
}

int main(int argc, char **argv)
{
	long reads[MAX_FILES] = { 0 }, most = 0, all = 0;
	size_t size = 1 << 20;
	struct sigaction sa;
	struct timespec pause = { 0 };
	char **files = argv + 1, *buf, *end;
	int i, nfiles = argc - 1;
	long ms;

	if (nfiles >= 2 && !strcmp(files[0], "-p")) {
		ms = strtol(files[1], &end, 10);
		if (end == files[1] || *end || ms < 0 || ms > 10000) {
			fprintf(stderr, "reader: -p takes 0 to 10000 ms\n");
			return 2;
		}
		pause.tv_sec = ms / 1000;
		pause.tv_nsec = ms % 1000 * 1000000;
		files += 2;
		nfiles -= 2;
	}
	if (nfiles < 1 || nfiles > MAX_FILES) {
		fprintf(stderr, "usage: reader [-p MS] FILE... (1 to %d files)\n",
			MAX_FILES);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	buf = malloc(size);
	if (!buf)
		return 1;
	while (!stop) {
		for (i = 0; i < nfiles && !stop; i++) {
			size_t len = 0;
			ssize_t n;
			long rows;
			int fd = open(files[i], O_RDONLY);

			if (fd < 0) {
				printf("FAIL reader: open %s: %s\n", files[i],
				       strerror(errno));
				return 1;
			}
			for (;;) {
				if (len == size) {
					size *= 2;
					buf = realloc(buf, size);
					if (!buf)
						return 1;
				}
				n = read(fd, buf + len, size - len);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				len += n;
			}
			if (n < 0) {
				printf("FAIL reader: read %s: %s\n", files[i],
				       strerror(errno));
				return 1;
			}
			close(fd);
			rows = check(files[i], buf, len);
			if (rows > most)
				most = rows;
			reads[i]++;
			all++;
		}
		if (pause.tv_sec || pause.tv_nsec)
			nanosleep(&pause, NULL);
	}
	printf("reader: %ld reads (", all);
	for (i = 0; i < nfiles; i++) {
		const char *base = strrchr(files[i], '/');

		printf("%s%s %ld", i ? ", " : "", base ? base + 1 : files[i],
		       reads[i]);
	}
	printf("), at most %ld rows\n", most);
	return 0;
}
