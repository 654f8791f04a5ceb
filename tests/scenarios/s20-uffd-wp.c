// SPDX-License-Identifier: GPL-2.0
/*
 * S20: userfaultfd write-protect (kernel-hooks.md §6 S20).
 *
 * R (N pages) is written, registered with UFFDIO_REGISTER_MODE_WP and
 * write-protected.  Each write then traps in do_wp_page and is handed to
 * userfaultfd (uffd_wp): a monitor thread reads the message, counts it
 * (the independent count) and resolves the page (UFFDIO_WRITEPROTECT
 * without MODE_WP), which wakes the writer to retry.
 *
 * What the retry finds differs by kernel:
 *  6.1   resolving clears the uffd-wp bit but leaves the PTE read-only
 *        (uffd_wp_range() passes no MM_CP_TRY_CHANGE_WRITABLE), so the
 *        retry is a second write-protect fault that reuses the exclusive
 *        page: N uffd traps + N exclusive reuses, pgreuse +N.
 *  6.12  resolving makes an exclusive anon PTE writable again
 *        (MM_CP_TRY_CHANGE_WRITABLE since 6.2), so the retry does not
 *        fault: N uffd traps only, pgreuse +0.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

static int uffd;
static char *r;
static long monitored;

static void *monitor(void *arg)
{
	struct uffd_msg msg;

	(void)arg;
	while (monitored < N_PAGES) {
		struct uffdio_writeprotect wp;

		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			cs_die("read uffd");
		if (msg.event != UFFD_EVENT_PAGEFAULT ||
		    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
			cs_die("unexpected uffd message %u", msg.event);
		monitored++;
		wp.range.start = msg.arg.pagefault.address & ~(PAGE - 1);
		wp.range.len = PAGE;
		wp.mode = 0;
		if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
			cs_die("UFFDIO_WRITEPROTECT resolve");
	}
	return NULL;
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_writeprotect wp;
	long long reuse0;
	struct cs_group g;
	pthread_t th;
	int resolve_writable;

	cs_init("s20-uffd-wp", 0);
	resolve_writable = cs_kernel_at_least(6, 2);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		cs_die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		cs_die("UFFDIO_API");
	reg.range.start = (uintptr_t)r;
	reg.range.len = RSIZE;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		cs_die("UFFDIO_REGISTER WP");
	wp.range.start = (uintptr_t)r;
	wp.range.len = RSIZE;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		cs_die("UFFDIO_WRITEPROTECT");
	cs_track(&g, getpid(), r, r + RSIZE);
	if (pthread_create(&th, NULL, monitor, NULL))
		cs_die("pthread_create");

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	cs_write_pages(r, 0, N_PAGES, 2);
	pthread_join(th, NULL);
	CS_EQ("write faults the monitor resolved", N_PAGES, monitored);
	CS_EQ("pgreuse delta", resolve_writable ? 0 : N_PAGES,
	      cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp e61[] = {
			{ "uffd_wp", N_PAGES },
			{ "cow_reuses_exclusive", N_PAGES },
			{ "wp_faults", 2 * N_PAGES }, { NULL } };
		const struct cs_exp e62[] = {
			{ "uffd_wp", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("R", &g, resolve_writable ? e62 : e61);
	}
	return cs_finish();
}
