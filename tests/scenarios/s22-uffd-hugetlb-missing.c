// SPDX-License-Identifier: GPL-2.0
/*
 * S22: a userfaultfd MISSING fault of a hugetlb page is no uffd_wp.
 *
 * H, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, 2 MB, is registered with
 * UFFDIO_REGISTER_MODE_MISSING and never touched.  The first write is a
 * write fault in hugetlb_fault that finds no page and hands it to
 * userfaultfd (handle_userfault with VM_UFFD_MISSING); a monitor thread
 * reads the message and fills the page with UFFDIO_COPY, which maps it
 * writable, so the retried write does not fault again.  That is a first
 * touch: no write-protect fault, no copy, no uffd_wp; every counter of H
 * stays 0.  (Before the fix, the hugetlb context counted any
 * handle_userfault inside it as uffd_wp.)  Same on 6.1 and 6.12.
 *
 * Needs one free 2 MB huge page: raises nr_hugepages if needed and puts it
 * back.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "lib.h"

#define NPG 512
#define RSIZE (NPG * PAGE)
#define NR_HUGE "/proc/sys/vm/nr_hugepages"

static char old_nr[32];
static int uffd;
static char *h;
static char *src;
static int missing, other;

static void restore(void)
{
	if (old_nr[0])
		cs_write_file(NR_HUGE, old_nr);
}

static void *monitor(void *arg)
{
	struct uffdio_copy copy;
	struct uffd_msg msg;

	(void)arg;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		cs_die("read uffd");
	if (msg.event == UFFD_EVENT_PAGEFAULT &&
	    !(msg.arg.pagefault.flags & (UFFD_PAGEFAULT_FLAG_WP |
					 UFFD_PAGEFAULT_FLAG_MINOR)))
		missing++;
	else
		other++;
	copy.dst = (uintptr_t)h;
	copy.src = (uintptr_t)src;
	copy.len = HPAGE;
	copy.mode = 0;
	copy.copy = 0;
	if (ioctl(uffd, UFFDIO_COPY, &copy) || copy.copy != (long long)HPAGE)
		cs_die("UFFDIO_COPY of the huge page");
	return NULL;
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct cs_group g;
	char num[32];
	pthread_t th;

	cs_init("s22-uffd-hugetlb-missing", 0);
	if (cs_meminfo("Hugepagesize") != 2048)
		cs_skip("the default huge page size is not 2 MB");
	if (cs_read_file(NR_HUGE, old_nr, sizeof(old_nr)))
		cs_die("read " NR_HUGE);
	atexit(restore);
	if (cs_meminfo("HugePages_Free") < 1) {
		snprintf(num, sizeof(num), "%lld",
			 cs_meminfo("HugePages_Total") + 1);
		cs_write_file(NR_HUGE, num);
		if (cs_meminfo("HugePages_Free") < 1)
			cs_skip("could not get a free 2 MB huge page");
	}

	h = cs_region(0, NPG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0, 0);
	src = cs_region(1, NPG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(src, 0, NPG, 5);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		cs_die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		cs_die("UFFDIO_API");
	reg.range.start = (uintptr_t)h;
	reg.range.len = RSIZE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		cs_die("UFFDIO_REGISTER MISSING on hugetlb");
	cs_track(&g, getpid(), h, h + RSIZE);
	if (pthread_create(&th, NULL, monitor, NULL))
		cs_die("pthread_create");

	cs_write_pages(h, 0, 1, 7);
	pthread_join(th, NULL);
	CS_EQ("MISSING faults the monitor resolved", 1, missing);
	CS_EQ("other uffd messages", 0, other);
	CS_EQ("the page holds the copied data", 7 + 5 * (NPG - 1),
	      (long long)cs_read_pages(h, 0, NPG));
	cs_expect_group("H", &g, NULL);
	return cs_finish();
}
