// SPDX-License-Identifier: GPL-2.0
/*
 * The --maps scenario (bpf-vm-tests.sh, the maps-* tests): after fork the child
 * writes known page counts to five mappings the parent wrote (or read)
 * before, so that each write is one COW copy of a page fork shared:
 *
 *   heap    3 pages grown by sbrk()            kind heap,   3 anon copies
 *   stack   5 pages of main()'s frame          kind stack,  5 anon copies
 *   file    7 pages of a private file mapping  kind file,   7 file copies
 *           (page 0 written by the parent, so fork copies the PTEs; the
 *           7 pages only read: page cache pages shared with the child)
 *   shared 11 pages of MAP_SHARED|MAP_ANONYMOUS kind shared, no copy (fork
 *           skips the VMA; the child's writes are first touches)
 *   anon   13 pages of a private anonymous mmap kind anon,  13 anon copies
 *
 * Exact on purpose: the child never runs on the main stack (fork is
 * called on a stack of its own, through swapcontext, so the only writes
 * to the main stack are the 5 pages), nothing is malloc'd (the brk heap
 * holds the 3 pages only; the output is write(2)), and the anonymous
 * mappings sit between PROT_NONE guard pages, so that no neighbour merges
 * with them.  Built dynamically: a static glibc keeps the thread's TLS
 * in the brk heap, which the child's fork writes.
 *
 * Usage: maps-prog DIR (DIR/maps-prog.PID is the file; removed at exit).
 * Prints "maps-prog child=PID heap=ADDR stack=ADDR file=ADDR shared=ADDR
 * anon=ADDR" (hex addresses of the first page written) and exits 0.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096UL
#define HEAP_PAGES 3
#define STACK_PAGES 5
#define FILE_PAGES 7
#define SHARED_PAGES 11
#define ANON_PAGES 13
#define ALT_STACK (64 * PAGE)

static char *heap, *stack, *file, *shared, *anon;
static ucontext_t main_ctx, fork_ctx;
static pid_t child;
static int child_status = -1;
static unsigned long sum;
static char page[PAGE];

static void die(const char *what)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "maps-prog: %s failed\n", what);

	if (write(2, line, n) < 0)
		_exit(2);
	_exit(1);
}

/* npages RW pages between two PROT_NONE guard pages: a VMA of its own. */
static char *guarded(size_t npages)
{
	char *p = mmap(NULL, (npages + 2) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (mprotect(p + PAGE, npages * PAGE, PROT_READ | PROT_WRITE))
		die("mprotect");
	return p + PAGE;
}

static void touch(char *p, size_t npages, char v)
{
	for (size_t i = 0; i < npages; i++)
		((volatile char *)p)[i * PAGE] = v;
}

/* Runs on its own stack: the child writes and exits from here. */
static void do_fork(void)
{
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		touch(heap, HEAP_PAGES, 2);
		touch(stack, STACK_PAGES, 2);
		touch(file, FILE_PAGES, 2);
		touch(shared, SHARED_PAGES, 2);
		touch(anon, ANON_PAGES, 2);
		_exit(0);
	}
	while (waitpid(child, &child_status, 0) < 0)
		;
}

int main(int argc, char **argv)
{
	char frame[(STACK_PAGES + 2) * PAGE];
	char path[512], line[512], *brk0, *f;
	int fd, n;

	if (argc != 2)
		die("usage: maps-prog DIR;");
	/* The stack pages, in main()'s frame, written before the fork. */
	stack = (char *)(((uintptr_t)frame + PAGE - 1) & ~(PAGE - 1));
	memset(stack, 1, STACK_PAGES * PAGE);

	/* The heap: page-aligned sbrk. */
	brk0 = sbrk(0);
	heap = (char *)(((uintptr_t)brk0 + PAGE - 1) & ~(PAGE - 1));
	if (sbrk((heap - brk0) + HEAP_PAGES * PAGE) == (void *)-1)
		die("sbrk");
	memset(heap, 1, HEAP_PAGES * PAGE);

	/* The private file mapping: page 0 written, pages 1..7 read. */
	snprintf(path, sizeof(path), "%s/maps-prog.%d", argv[1], (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open");
	memset(page, 0x33, sizeof(page));
	for (size_t i = 0; i <= FILE_PAGES; i++)
		if (pwrite(fd, page, PAGE, (off_t)(i * PAGE)) != (ssize_t)PAGE)
			die("pwrite");
	f = mmap(NULL, (FILE_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED)
		die("mmap file");
	close(fd);
	f[0] = 1;
	file = f + PAGE;
	for (size_t i = 0; i < FILE_PAGES; i++)
		sum += ((volatile char *)file)[i * PAGE];

	shared = mmap(NULL, SHARED_PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap shared");
	memset(shared, 1, SHARED_PAGES * PAGE);

	anon = guarded(ANON_PAGES);
	memset(anon, 1, ANON_PAGES * PAGE);

	/* Fork from another stack, so that the child leaves main's alone. */
	if (getcontext(&fork_ctx))
		die("getcontext");
	fork_ctx.uc_stack.ss_sp = guarded(ALT_STACK / PAGE);
	fork_ctx.uc_stack.ss_size = ALT_STACK;
	fork_ctx.uc_link = &main_ctx;
	makecontext(&fork_ctx, do_fork, 0);
	if (swapcontext(&main_ctx, &fork_ctx))
		die("swapcontext");

	unlink(path);
	if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) || sum != 0x33UL * FILE_PAGES)
		die("child");
	n = snprintf(line, sizeof(line),
		     "maps-prog child=%d heap=%#lx stack=%#lx file=%#lx shared=%#lx anon=%#lx\n",
		     (int)child, (unsigned long)heap, (unsigned long)stack, (unsigned long)file,
		     (unsigned long)shared, (unsigned long)anon);
	if (write(1, line, n) != n)
		die("write");
	return 0;
}
