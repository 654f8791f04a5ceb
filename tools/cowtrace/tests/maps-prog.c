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
 *   thread  4 pages of a thread's stack         kind anon,   4 anon copies
 *           (glibc's pthread stack: an anonymous mapping, the thread
 *           blocked in read(2) below the 4 pages until the child is gone)
 *   huge    one 2 MB page of MAP_HUGETLB        kind hugetlb, 1 hugetlb copy
 *           (written by the parent before fork: fork shares it)
 *
 * pthread_create() mallocs (the thread's TLS vector), so the brk heap
 * holds more pages than the 3: the pages fork shares there are counted
 * with mincore(2) right before the fork and printed (heap_resident=N).
 *
 * Exact on purpose: the child never runs on the main stack (fork is
 * called on a stack of its own, through swapcontext, so the only writes
 * to the main stack are the 5 pages), nothing is malloc'd (the brk heap
 * holds the 3 pages only; the output is write(2)), and the anonymous
 * mappings sit between PROT_NONE guard pages, so that no neighbour merges
 * with them.  The fork is the raw system call: glibc's fork() would, in a
 * process with a second thread, make the child walk that thread's
 * descriptor at the top of its stack (writing it: one more copy there);
 * the child runs no glibc code but _exit().  Built dynamically: a static
 * glibc keeps the thread's TLS in the brk heap, which the child's fork
 * writes.
 *
 * Usage: maps-prog DIR (DIR/maps-prog.PID is the file; removed at exit).
 * Needs one free 2 MB huge page for the parent and one for the child's
 * copy (bpf-vm-tests.sh reserves them).
 * Prints "maps-prog child=PID heap=ADDR stack=ADDR file=ADDR shared=ADDR
 * anon=ADDR thread=ADDR huge=ADDR heap_resident=N" (hex addresses of the
 * first page written) and exits 0.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096UL
#define HEAP_PAGES 3
#define STACK_PAGES 5
#define FILE_PAGES 7
#define SHARED_PAGES 11
#define ANON_PAGES 13
#define THREAD_PAGES 4
#define HUGE_SIZE (2UL << 20)
#define ALT_STACK (64 * PAGE)

static char *heap, *stack, *file, *shared, *anon, *tstack, *huge;
static int ready[2], go[2];
static unsigned long nheap;
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

/* The resident pages of the [heap] mapping, read from /proc/self/maps. */
static unsigned long heap_resident(void)
{
	static char buf[16384];
	static unsigned char vec[4096];
	unsigned long start, end, n = 0;
	ssize_t len = 0, r;
	char *line, *eol;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open /proc/self/maps");
	while ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = 0;
	for (line = buf; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		if (eol)
			*eol = 0;
		if (!strstr(line, "[heap]"))
			continue;
		if (sscanf(line, "%lx-%lx", &start, &end) != 2 ||
		    (end - start) / PAGE > sizeof(vec))
			die("[heap] line");
		if (mincore((void *)start, end - start, vec))
			die("mincore");
		for (unsigned long i = 0; i < (end - start) / PAGE; i++)
			n += vec[i] & 1;
		return n;
	}
	die("no [heap] in /proc/self/maps");
	return 0;
}

/* Runs on its own stack: the child writes and exits from here. */
static void do_fork(void)
{
	child = syscall(SYS_fork);
	if (child < 0)
		die("fork");
	if (child == 0) {
		touch(heap, HEAP_PAGES, 2);
		touch(stack, STACK_PAGES, 2);
		touch(file, FILE_PAGES, 2);
		touch(shared, SHARED_PAGES, 2);
		touch(anon, ANON_PAGES, 2);
		touch(tstack, THREAD_PAGES, 2);
		touch(huge, 1, 2);
		_exit(0);
	}
	while (waitpid(child, &child_status, 0) < 0)
		;
}

/*
 * The second thread: writes THREAD_PAGES pages of its own stack, says
 * where, and blocks in read(2), whose frames lie below those pages, until
 * the child has exited.
 */
static void *thread_main(void *arg)
{
	char tframe[(THREAD_PAGES + 2) * PAGE];
	char c = 0;

	(void)arg;
	tstack = (char *)(((uintptr_t)tframe + PAGE - 1) & ~(PAGE - 1));
	touch(tstack, THREAD_PAGES, 1);
	if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
		die("thread pipe");
	/* keep tframe live across the read */
	return (void *)(uintptr_t)((volatile char *)tstack)[0];
}

int main(int argc, char **argv)
{
	char frame[(STACK_PAGES + 2) * PAGE];
	char path[512], line[512], *brk0, *f, c = 0;
	pthread_t thread;
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

	huge = mmap(NULL, HUGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge == MAP_FAILED)
		die("mmap MAP_HUGETLB (no free 2 MB huge page?)");
	huge[0] = 1;

	/* Its stack below a PROT_NONE page of ours: no merge above it. */
	guarded(1);
	if (pipe(ready) || pipe(go))
		die("pipe");
	if (pthread_create(&thread, NULL, thread_main, NULL))
		die("pthread_create");
	if (read(ready[0], &c, 1) != 1)
		die("read");
	nheap = heap_resident();

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
	if (write(go[1], &c, 1) != 1 || pthread_join(thread, NULL))
		die("join");
	if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) || sum != 0x33UL * FILE_PAGES)
		die("child");
	n = snprintf(line, sizeof(line),
		     "maps-prog child=%d heap=%#lx stack=%#lx file=%#lx shared=%#lx anon=%#lx thread=%#lx huge=%#lx heap_resident=%lu\n",
		     (int)child, (unsigned long)heap, (unsigned long)stack, (unsigned long)file,
		     (unsigned long)shared, (unsigned long)anon, (unsigned long)tstack,
		     (unsigned long)huge, nheap);
	if (write(1, line, n) != n)
		die("write");
	return 0;
}
