// SPDX-License-Identifier: GPL-2.0
/*
 * The large folio reuse of 6.15+ for the BPF backend (bpf-vm-tests.sh,
 * pte-reuse-*), as scenario s24 without the module's group API:
 *
 * R, one 2 MB aligned anonymous VMA of its own, gets a THP (MADV_HUGEPAGE,
 * one byte written), then MADV_NOHUGEPAGE keeps khugepaged off it.  fork:
 * the THP is shared.  The parent writes page 0 while the child lives: the
 * PMD is split and page 0 copied.  The child exits: the folio is mapped by
 * the parent's 511 PTEs alone, none exclusive.  The parent writes pages
 * 1..8: on 6.15 and later each is reused in place (no folio_move_anon_rmap,
 * only wp_page_reuse's ptep_set_access_flags), before each is copied.
 *
 * Prints "thp-reuse-prog pid=PID region=ADDR thp=0|1" and exits 0; thp=0
 * (no THP could be allocated: none on PREEMPT_RT) writes nothing after.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)
#define K 8

/* AnonHugePages (kB) of the VMA starting at @start, from /proc/self/smaps */
static long anon_huge_kb(uintptr_t start)
{
	char line[512], want[32];
	long kb = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)start);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = !strncmp(line, want, strlen(want));
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

int main(void)
{
	char *m, *r;
	uintptr_t a;
	int go[2];
	pid_t pid;
	char c;
	int st, i;

	m = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || pipe(go)) {
		perror("thp-reuse-prog: mmap or pipe");
		return 1;
	}
	/* keep the aligned 2 MB only: a VMA of its own */
	a = ((uintptr_t)m + HUGE - 1) & ~(HUGE - 1);
	r = (char *)a;
	if (r > m)
		munmap(m, r - m);
	munmap(r + HUGE, m + 2 * HUGE - (r + HUGE));
	if (madvise(r, HUGE, MADV_HUGEPAGE))
		perror("thp-reuse-prog: MADV_HUGEPAGE");
	r[0] = 1;
	if (anon_huge_kb(a) != 2048) {
		printf("thp-reuse-prog pid=%d region=%#lx thp=0\n", getpid(), (unsigned long)a);
		return 0;
	}
	if (madvise(r, HUGE, MADV_NOHUGEPAGE)) {
		perror("thp-reuse-prog: MADV_NOHUGEPAGE");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("thp-reuse-prog: fork");
		return 1;
	}
	if (!pid) {
		close(go[1]);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	r[0] = 2;			/* split, page 0 copied */
	close(go[1]);			/* the child exits */
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "thp-reuse-prog: child failed\n");
		return 1;
	}
	for (i = 1; i <= K; i++)
		r[i * PAGE] = 3;	/* 6.15+: reused in place */
	printf("thp-reuse-prog pid=%d region=%#lx thp=1\n", getpid(), (unsigned long)a);
	return 0;
}
