// SPDX-License-Identifier: GPL-2.0
/*
 * storm: a copy-on-write storm on every vCPU, for scripts/vm-churn (make
 * check, make stress).  One worker process per kind, unpinned, each looping
 * until storm gets SIGTERM:
 *
 *   fork        fork; the child writes half of 256 KiB and exits, the parent
 *               rewrites all of it (COW copies, reuses)        (2 workers)
 *   threads     4 threads write one buffer; one of them forks meanwhile
 *   vfork-exec  vfork + exec /bin/true, then fork + exec /bin/true
 *   clone-vm    clone(CLONE_VM) children write the shared buffer and exit
 *   thp         a MADV_HUGEPAGE region, fork, the child writes (THP COW)
 *   hugetlb     a MAP_HUGETLB region, fork, the child writes (hugetlb COW)
 *   ksm         identical MADV_MERGEABLE pages, merged by ksmd, rewritten
 *   uffd-wp     userfaultfd write-protect traps resolved by a thread
 *   remote      process_vm_writev into a fork child's shared pages
 *
 * Every worker pauses 10 ms per iteration, so that a TCG guest on a shared
 * host still schedules the loader and the checks.
 *
 * On SIGTERM it stops the workers and prints one line per kind, "KIND N"
 * (iterations), or "KIND unsupported: why" when the kernel refused the
 * setup; it exits 1 when a supported kind made no progress or a worker
 * failed, else 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define HPAGE (2UL << 20)
#define BUF (256UL << 10)
/* a pause per iteration: a steady fire, not a saturated TCG guest */
#define PACE_US 10000

enum kind { K_FORK, K_FORK2, K_THREADS, K_VFORK_EXEC, K_CLONE_VM, K_THP,
	    K_HUGETLB, K_KSM, K_UFFD_WP, K_REMOTE, NR_KINDS };
static const char *const names[NR_KINDS] = {
	"fork", "fork", "threads", "vfork-exec", "clone-vm", "thp", "hugetlb",
	"ksm", "uffd-wp", "remote" };

struct shared {
	long count[NR_KINDS];
	char why[NR_KINDS][96];
};

static struct shared *sh;
static volatile sig_atomic_t stop;
static enum kind me;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void unsupported(const char *why)
{
	snprintf(sh->why[me], sizeof(sh->why[me]), "%s: %s", why,
		 strerror(errno));
	_exit(0);
}

static void touch(char *p, size_t len, size_t step, int v)
{
	size_t i;

	for (i = 0; i < len; i += step)
		p[i] = (char)v;
}

static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(2);
	return p;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void do_fork(void)
{
	char *b = map_anon(BUF);
	int v = 0;

	touch(b, BUF, PAGE, ++v);
	while (!stop) {
		pid_t pid = fork();

		if (pid == 0) {
			touch(b, BUF / 2, PAGE, ++v);
			_exit(0);
		}
		touch(b, BUF, PAGE, ++v);
		if (pid > 0)
			reap(pid);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static char *tbuf;

static void *thread_writer(void *arg)
{
	long off = (long)arg;
	int v = 0;

	while (!stop) {
		touch(tbuf + off * (BUF / 4), BUF / 4, PAGE, ++v);
		usleep(PACE_US);
	}
	return NULL;
}

static void do_threads(void)
{
	pthread_t t[3];
	long i;

	tbuf = map_anon(BUF);
	touch(tbuf, BUF, PAGE, 1);
	for (i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, thread_writer, (void *)i))
			_exit(2);
	while (!stop) {
		pid_t pid = fork();

		if (pid == 0) {
			touch(tbuf, BUF, 2 * PAGE, 7);
			_exit(0);
		}
		touch(tbuf + 3 * (BUF / 4), BUF / 4, PAGE, 3);
		if (pid > 0)
			reap(pid);
		sh->count[me]++;
		usleep(PACE_US);
	}
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

static void do_vfork_exec(void)
{
	char *const argv[] = { "/bin/true", NULL };
	char *const envp[] = { NULL };
	char *b = map_anon(BUF / 4);

	touch(b, BUF / 4, PAGE, 1);
	while (!stop) {
		pid_t pid = vfork();

		if (pid == 0) {
			execve(argv[0], argv, envp);
			_exit(127);
		}
		if (pid > 0)
			reap(pid);
		pid = fork();
		if (pid == 0) {
			touch(b, BUF / 8, PAGE, 2);
			execve(argv[0], argv, envp);
			_exit(127);
		}
		if (pid > 0)
			reap(pid);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static char *cbuf;

static int clone_child(void *arg)
{
	touch(cbuf, BUF / 4, PAGE, (int)(long)arg);
	return 0;
}

static void do_clone_vm(void)
{
	size_t stack_len = 256 << 10;
	char *stack = map_anon(stack_len);
	long v = 0;

	cbuf = map_anon(BUF / 4);
	touch(cbuf, BUF / 4, PAGE, 1);
	while (!stop) {
		pid_t pid = clone(clone_child, stack + stack_len,
				  CLONE_VM | SIGCHLD, (void *)++v);

		if (pid > 0)
			reap(pid);
		pid = fork();
		if (pid == 0) {
			touch(cbuf, BUF / 4, PAGE, 3);
			_exit(0);
		}
		if (pid > 0)
			reap(pid);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static char *aligned(size_t len, int flags)
{
	char *p = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (char *)(((unsigned long)p + HPAGE - 1) & ~(HPAGE - 1));
}

static void do_thp(void)
{
	char *b = aligned(2 * HPAGE, 0);
	int v = 0;

	if (!b)
		unsupported("mmap");
	if (madvise(b, 2 * HPAGE, MADV_HUGEPAGE))
		unsupported("MADV_HUGEPAGE");
	while (!stop) {
		pid_t pid;

		touch(b, 2 * HPAGE, PAGE, ++v);
		pid = fork();
		if (pid == 0) {
			touch(b, 2 * HPAGE, HPAGE, ++v);
			_exit(0);
		}
		touch(b + HPAGE, HPAGE, PAGE, ++v);
		if (pid > 0)
			reap(pid);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static void do_hugetlb(void)
{
	char *b = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	int v = 0;

	if (b == MAP_FAILED)
		unsupported("mmap MAP_HUGETLB");
	while (!stop) {
		pid_t pid;

		touch(b, HPAGE, PAGE, ++v);
		pid = fork();
		if (pid == 0) {
			touch(b, PAGE, PAGE, ++v);
			_exit(0);
		}
		if (pid > 0)
			reap(pid);
		touch(b, PAGE, PAGE, ++v);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static void do_ksm(void)
{
	size_t len = 64 * PAGE;
	char *b = map_anon(len);

	if (madvise(b, len, MADV_MERGEABLE))
		unsupported("MADV_MERGEABLE");
	while (!stop) {
		/* identical pages for ksmd to merge, then writes break them */
		touch(b, len, PAGE, 0x5a);
		usleep(100000);
		touch(b, len, 2 * PAGE, 0x33);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static int uffd;

static void *uffd_monitor(void *arg)
{
	struct uffd_msg msg;

	(void)arg;
	for (;;) {
		struct uffdio_writeprotect wp;

		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return NULL;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		wp.range.start = msg.arg.pagefault.address & ~(PAGE - 1);
		wp.range.len = PAGE;
		wp.mode = 0;
		ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
	}
}

static void do_uffd_wp(void)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	size_t len = 64 * PAGE;
	struct uffdio_register reg;
	char *b = map_anon(len);
	pthread_t t;
	int v = 0;

	touch(b, len, PAGE, 1);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		unsupported("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		unsupported("UFFDIO_API");
	reg.range.start = (unsigned long)b;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		unsupported("UFFDIO_REGISTER WP");
	if (pthread_create(&t, NULL, uffd_monitor, NULL))
		_exit(2);
	while (!stop) {
		struct uffdio_writeprotect wp = {
			.range = { .start = (unsigned long)b, .len = len },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};

		if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
			_exit(3);
		touch(b, len, PAGE, ++v);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static void do_remote(void)
{
	size_t len = 64 * PAGE;
	char *b = map_anon(len);
	static char src[64 * 4096];
	int v = 0;

	touch(b, len, PAGE, 1);
	while (!stop) {
		struct iovec local = { src, len }, remote = { b, len };
		int p[2];
		pid_t pid;
		char c;

		if (pipe(p))
			_exit(2);
		pid = fork();
		if (pid == 0) {
			close(p[1]);
			(void)!read(p[0], &c, 1);
			_exit(0);
		}
		close(p[0]);
		memset(src, ++v, len);
		if (pid > 0 && process_vm_writev(pid, &local, 1, &remote, 1, 0) < 0)
			_exit(4);
		close(p[1]);
		if (pid > 0)
			reap(pid);
		sh->count[me]++;
		usleep(PACE_US);
	}
}

static void (*const run[NR_KINDS])(void) = {
	do_fork, do_fork, do_threads, do_vfork_exec, do_clone_vm, do_thp,
	do_hugetlb, do_ksm, do_uffd_wp, do_remote };

int main(void)
{
	pid_t pid[NR_KINDS];
	int bad = 0, k, status;
	struct sigaction sa;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	for (k = 0; k < NR_KINDS; k++) {
		pid[k] = fork();
		if (pid[k] < 0)
			return 2;
		if (pid[k] == 0) {
			me = k;
			run[k]();
			_exit(0);
		}
	}
	while (!stop)
		pause();
	for (k = 0; k < NR_KINDS; k++)
		kill(pid[k], SIGTERM);
	for (k = 0; k < NR_KINDS; k++) {
		/* 5 s to stop; a worker stuck longer is a failure */
		int tries = 50;

		while (waitpid(pid[k], &status, WNOHANG) == 0 && --tries)
			usleep(100000);
		if (!tries) {
			printf("%s did not stop within 5 s\n", names[k]);
			kill(pid[k], SIGKILL);
			waitpid(pid[k], &status, 0);
			bad = 1;
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("%s failed: status 0x%x\n", names[k], status);
			bad = 1;
		}
	}
	for (k = 0; k < NR_KINDS; k++) {
		if (k == K_FORK2)
			continue;
		if (sh->why[k][0]) {
			printf("%s unsupported: %s\n", names[k], sh->why[k]);
			continue;
		}
		printf("%s %ld\n", names[k],
		       sh->count[k] + (k == K_FORK ? sh->count[K_FORK2] : 0));
		if (!sh->count[k])
			bad = 1;
	}
	return bad;
}
