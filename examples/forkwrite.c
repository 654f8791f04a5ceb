// SPDX-License-Identifier: GPL-2.0
/*
 * The demo workload: a parent with 64 MiB of written memory forks; the child
 * writes a quarter of it and exits; the parent then writes all of it.
 *
 * Expected (4 KiB pages, THP off for the buffer): the child copies 4096
 * pages; the parent, alone again, reuses 4096 pages without copying (the
 * sharing ended when the child exited) and reuses the other 12288 as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE	(64UL << 20)
#define PAGE	4096UL

static void write_pages(char *buf, size_t len, char c)
{
	for (size_t off = 0; off < len; off += PAGE)
		buf[off] = c;
}

int main(void)
{
	char *buf = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t child;
	int status;

	if (buf == MAP_FAILED) {
		perror("forkwrite: mmap");
		return 1;
	}
	madvise(buf, SIZE, MADV_NOHUGEPAGE);
	write_pages(buf, SIZE, 'p');

	child = fork();
	if (child < 0) {
		perror("forkwrite: fork");
		return 1;
	}
	if (child == 0) {
		write_pages(buf, SIZE / 4, 'c');
		_exit(0);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status)) {
		fprintf(stderr, "forkwrite: the child failed\n");
		return 1;
	}
	write_pages(buf, SIZE, 'q');
	printf("forkwrite: 64 MiB written, forked, child wrote 16 MiB, parent rewrote 64 MiB\n");
	return 0;
}
