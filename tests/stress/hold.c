// SPDX-License-Identifier: GPL-2.0
/*
 * hold N: N threads each held inside a page fault at once, to exhaust a
 * return probe's instances (issue 13: "many faults held in flight").
 *
 * A MAP_HUGETLB|MAP_NORESERVE region of N 2 MB pages is registered with
 * userfaultfd for MISSING faults; each thread touches its own page, so its
 * fault stops in handle_userfault() inside hugetlb_fault(), whose return
 * probe (a kretprobe of cowstat.ko, maxactive 1024) holds one instance per
 * blocked fault.  No huge page is allocated: the fault waits before it
 * would allocate.  Once the N fault messages are read (every thread is
 * blocked), it prints "held N", waits 0.5 s and exits: exit_group wakes
 * the faults with SIGKILL and the instances are returned.
 *
 * Exit status: 0, or 1 with a line on stderr (no userfaultfd, mmap failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HUGE (2UL << 20)
#define MAX_THREADS 8192

static char *region;

static void die(const char *what)
{
	fprintf(stderr, "hold: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *toucher(void *arg)
{
	((volatile char *)region)[(unsigned long)arg * HUGE] = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffd_msg msg;
	pthread_attr_t attr;
	unsigned long n, i, got = 0;
	pthread_t t;
	int uffd;

	n = argc == 2 ? strtoul(argv[1], NULL, 10) : 0;
	if (n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "usage: hold N (1..%d threads)\n", MAX_THREADS);
		return 2;
	}
	region = mmap(NULL, n * HUGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED)
		die("mmap MAP_HUGETLB|MAP_NORESERVE");
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	reg.range.start = (unsigned long)region;
	reg.range.len = n * HUGE;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER (hugetlb MISSING)");

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < n; i++) {
		errno = pthread_create(&t, &attr, toucher, (void *)i);
		if (errno)
			die("pthread_create");
	}
	/* One message per blocked fault: all N are in flight once read. */
	while (got < n) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };

		if (poll(&p, 1, 60000) != 1)
			die("poll (fewer faults than threads after 60 s)");
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			die("read uffd");
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			got++;
	}
	printf("held %lu\n", got);
	fflush(stdout);
	usleep(500000);
	_exit(0);
}
