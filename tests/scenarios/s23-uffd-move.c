// SPDX-License-Identifier: GPL-2.0
/*
 * S23: UFFDIO_MOVE (6.8+) is no COW event and no alarm.
 *
 * S (N pages) is written, so its pages are exclusive; D (N pages, never
 * touched) is registered with userfaultfd (MISSING).  UFFDIO_MOVE moves
 * S's pages to D: move_pages_pte() remaps each page and makes it
 * exclusive to D's VMA through folio_move_anon_rmap(), the function
 * cowstat hooks as the "reuse after sharing ended" marker of a write
 * fault.  There is no write fault here, so nothing is counted for S or D,
 * and the health counters do not move: before, each moved page raised
 * events_uncorrelated, a false alarm saying counts were lower bounds.
 *
 * 6.1 has no UFFDIO_MOVE: SKIP there, naming why.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define STATS "/sys/kernel/debug/cowstat/stats"

/* uapi of 6.8+, absent from bookworm's linux-libc-dev */
#ifndef UFFDIO_MOVE
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16)
#endif

static long long health(const char *name)
{
	static char stats[16 << 10];
	char key[64];
	const char *p;

	if (cs_read_file(STATS, stats, sizeof(stats)))
		cs_die("read " STATS);
	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(stats, key);
	if (!p)
		cs_die("no %s in " STATS, name);
	return atoll(p + strlen(key));
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_MOVE };
	struct uffdio_register reg;
	struct uffdio_move mv;
	struct cs_group gs, gd;
	long long unc0, unrec0;
	char *s, *d;
	int uffd;

	cs_init("s23-uffd-move", 0);
	if (!cs_kernel_at_least(6, 8))
		cs_skip("UFFDIO_MOVE needs Linux 6.8 or later");
	s = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	d = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(s, 0, N_PAGES, 1);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		cs_die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		cs_die("UFFDIO_API with UFFD_FEATURE_MOVE");
	reg.range.start = (uintptr_t)d;
	reg.range.len = RSIZE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		cs_die("UFFDIO_REGISTER MISSING");
	cs_track(&gs, getpid(), s, s + RSIZE);
	cs_track(&gd, getpid(), d, d + RSIZE);

	unc0 = health("events_uncorrelated");
	unrec0 = health("events_unrecorded");
	mv.dst = (uintptr_t)d;
	mv.src = (uintptr_t)s;
	mv.len = RSIZE;
	mv.mode = 0;
	mv.move = 0;
	if (ioctl(uffd, UFFDIO_MOVE, &mv))
		cs_die("UFFDIO_MOVE");
	CS_EQ("bytes moved", (long long)RSIZE, mv.move);
	/* An unmoved page of D would block the read in userfaultfd. */
	if (mv.move == (long long)RSIZE)
		CS_EQ("D holds S's data", N_PAGES,
		      (long long)cs_read_pages(d, 0, N_PAGES));
	CS_EQ("events_uncorrelated delta", 0,
	      health("events_uncorrelated") - unc0);
	CS_EQ("events_unrecorded delta", 0,
	      health("events_unrecorded") - unrec0);
	cs_expect_group("S", &gs, NULL);
	cs_expect_group("D", &gd, NULL);
	return cs_finish();
}
