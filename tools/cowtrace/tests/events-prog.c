// SPDX-License-Identifier: GPL-2.0
/*
 * The workload of the --events tests (bpf-vm-tests.sh):
 *
 *   events-prog counts   after fork the child writes 7 pages of a private
 *                        anonymous region and the parent 5 others: exactly
 *                        7 and 5 copy events of anon pages in that region.
 *   events-prog burst N  stops its parent (cowtrace, the reader of the ring
 *                        buffer) with SIGSTOP, forks, the child writes N
 *                        pages (N copies), then continues the parent: a
 *                        burst larger than a small ring, with no reader.
 *
 * Prints "events-prog region=0x... parent=PID child=PID" on stdout.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static char *region(size_t pages, size_t psz)
{
	char *p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* 4 KiB pages only: a THP would be one event, not N */
	madvise(p, pages * psz, MADV_NOHUGEPAGE);
	memset(p, 1, pages * psz);
	return p;
}

int main(int argc, char **argv)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), pages;
	int c2p[2], p2c[2], status;
	char *p, c = 0;
	pid_t child;

	if (argc >= 2 && !strcmp(argv[1], "counts")) {
		pages = 16;
		p = region(pages, psz);
		if (pipe(c2p) || pipe(p2c))
			die("pipe");
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			for (int i = 0; i < 7; i++)
				((volatile char *)p)[i * psz] = 2;
			if (write(c2p[1], "x", 1) != 1 || read(p2c[0], &c, 1) != 1)
				_exit(1);
			_exit(0);
		}
		if (read(c2p[0], &c, 1) != 1)
			die("read");
		/* the child is alive and still shares pages 8-12: copies */
		for (int i = 8; i < 13; i++)
			((volatile char *)p)[i * psz] = 3;
		if (write(p2c[1], "x", 1) != 1)
			die("write");
	} else if (argc >= 3 && !strcmp(argv[1], "burst")) {
		pages = strtoul(argv[2], NULL, 10);
		p = region(pages, psz);
		if (kill(getppid(), SIGSTOP))
			die("kill SIGSTOP");
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			for (size_t i = 0; i < pages; i++)
				((volatile char *)p)[i * psz] = 2;
			_exit(0);
		}
	} else {
		fprintf(stderr, "usage: events-prog counts | burst N\n");
		return 2;
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	if (argc >= 3 && kill(getppid(), SIGCONT))
		die("kill SIGCONT");
	printf("events-prog region=%p parent=%d child=%d\n", (void *)p, (int)getpid(), (int)child);
	return 0;
}
