// SPDX-License-Identifier: GPL-2.0
/*
 * D3: rename=OLD:NEW takes only a NEW that does not exist.
 *
 * rename= simulates a kernel on which OLD was renamed or inlined.  A NEW
 * that exists would be hooked with OLD's handler, which reads NEW's
 * arguments as if they were OLD's: a crash.  Reloads cowstat.ko
 * (COWSTAT_KO) with rename=do_wp_page:copy_process: the load succeeds,
 * the probe is "failed(-EEXIST)", the counters do_wp_page feeds are
 * unavailable(copy_process:-EEXIST), the real copy_process probe is still
 * in place, and a fork + COW workload leaves the write-fault counters at
 * 0 (nothing ran do_wp_page's handler on copy_process).
 *
 * Ends with the module loaded without parameters (d* run last).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define PROBES "/sys/kernel/debug/cowstat/probes"

static const char *ko;
static char probes[64 << 10];

static int unload(void)
{
	return syscall(SYS_delete_module, "cowstat", O_NONBLOCK);
}

static int load(const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret, err;

	if (fd < 0)
		cs_die("open %s", ko);
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

int main(void)
{
	const struct cs_exp e[] = {
		{ "forks", 1 }, { "fork_vmas_copied", 1 },
		{ "fork_pages_shared_anon", N_PAGES }, { "fork_pt_pages", 3 },
		{ NULL } };
	struct cs_group g;
	char *r;
	pid_t pid;

	cs_init("d03-rename-exists", 0);
	ko = getenv("COWSTAT_KO");
	if (!ko || !*ko)
		cs_die("COWSTAT_KO is not set: run in the test VM with --insmod");
	if (unload())
		cs_die("rmmod cowstat");
	if (load("rename=do_wp_page:copy_process"))
		cs_die("insmod rename=do_wp_page:copy_process");
	if (cs_read_file(PROBES, probes, sizeof(probes)))
		cs_die("read " PROBES);
	if (!strstr(probes, "\ncopy_process failed(-EEXIST) "))
		cs_fail("probes: no line 'copy_process failed(-EEXIST)'");
	if (!strstr(probes, "\ncopy_process ftrace "))
		cs_fail("probes: the real copy_process probe is not in place");
	if (!strstr(probes,
		    "counter cow_copies unavailable(copy_process:-EEXIST)\n"))
		cs_fail("probes: cow_copies is not unavailable(copy_process:-EEXIST)");

	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	cs_track(&g, getpid(), r, r + RSIZE);
	pid = cs_fork(0);
	if (pid == 0) {
		cs_write_pages(r, 0, K_PAGES, 2);
		_exit(0);
	}
	cs_expect_exit0("child", pid);
	cs_write_pages(r, 0, N_PAGES, 3);
	cs_expect_group("fork + COW, do_wp_page refused", &g, e);
	cs_untrack(&g);

	if (unload())
		cs_die("rmmod after rename");
	if (load(""))
		cs_die("reload cowstat.ko");
	return cs_finish();
}
