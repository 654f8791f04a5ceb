// SPDX-License-Identifier: GPL-2.0
/*
 * churn N [WORKERS [SECONDS]]: N short-lived processes in all, made by
 * WORKERS (default 2) unpinned processes that fork a child which writes
 * one page it shares with its parent (a COW copy) and exits, and wait for
 * it; with SECONDS, the workers stop early when that time is up.  Prints
 * "churned N processes in S s" (N: how many were made) and exits 0, or 1
 * on a failed fork.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, workers = 2, w, i, per;
	long seconds = argc > 3 ? atol(argv[3]) : 0, made = 0;
	long *done;
	struct timespec t0, t1;
	int status, bad = 0;
	char *page;

	if (argc > 2)
		workers = atol(argv[2]);
	if (n <= 0 || workers <= 0 || workers > 64 || seconds < 0) {
		fprintf(stderr, "usage: churn N [WORKERS [SECONDS]]\n");
		return 2;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	page[0] = 1;
	done = mmap(NULL, 64 * sizeof(long), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (done == MAP_FAILED)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	per = n / workers;
	for (w = 0; w < workers; w++) {
		long mine = per + (w < n % workers);

		if (fork() == 0) {
			for (i = 0; i < mine; i++) {
				pid_t pid;

				if (seconds && !(i & 63)) {
					clock_gettime(CLOCK_MONOTONIC, &t1);
					if (t1.tv_sec - t0.tv_sec >= seconds)
						break;
				}
				pid = fork();

				if (pid < 0) {
					perror("churn: fork");
					_exit(1);
				}
				if (pid == 0) {
					page[0]++;
					_exit(0);
				}
				while (waitpid(pid, &status, 0) < 0 &&
				       errno == EINTR)
					;
				done[w]++;
			}
			_exit(0);
		}
	}
	for (w = 0; w < workers; w++) {
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (w = 0; w < workers; w++)
		made += done[w];
	printf("churned %ld processes in %.1f s\n", made,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return bad;
}
