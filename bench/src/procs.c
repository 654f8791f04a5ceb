// SPDX-License-Identifier: GPL-2.0
/*
 * procs N: fork N children that exit at once (each leaves an exited
 * record in cowstat's ring: load the module with max_exited above N),
 * then read /sys/kernel/debug/cowstat/procs whole five times and print
 * the rows, the bytes and the median time of one read (the goal:
 * 10 000 records read in under 50 ms).  Under -icount shift=0 the time is
 * the guest's instruction count.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROCS "/sys/kernel/debug/cowstat/procs"
#define READS 5

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	long long t[READS];
	long bytes = 0, rows = 0;
	int n, i;

	if (argc != 2 || (n = atoi(argv[1])) < 0) {
		fprintf(stderr, "usage: procs N\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0) {
			perror("fork");
			return 1;
		}
		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
	}
	for (i = 0; i < READS; i++) {
		long long t0 = now_ns();
		int fd = open(PROCS, O_RDONLY);
		ssize_t r;

		if (fd < 0) {
			perror(PROCS);
			return 1;
		}
		bytes = rows = 0;
		while ((r = read(fd, buf, sizeof(buf))) > 0) {
			bytes += r;
			for (ssize_t k = 0; k < r; k++)
				rows += buf[k] == '\n';
		}
		close(fd);
		t[i] = now_ns() - t0;
		if (r < 0) {
			perror(PROCS);
			return 1;
		}
	}
	qsort(t, READS, sizeof(t[0]), cmp);
	printf("RESULT workload=procs rows=%ld bytes=%ld median_ms=%.2f min_ms=%.2f max_ms=%.2f reads=%d\n",
	       rows - 1, bytes, t[READS / 2] / 1e6, t[0] / 1e6, t[READS - 1] / 1e6, READS);
	return 0;
}
