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
 * in place, and a fork + COW workload gives exact fork counters while the
 * write-fault counters read "-" (nothing ran do_wp_page's handler on
 * copy_process).
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

static char probes[64 << 10];

int main(void)
{
	struct cs_exp e[COWSTAT_NR_COUNTERS + 1] = {
		{ "forks", 1 }, { "fork_vmas_copied", 1 },
		{ "fork_pages_shared_anon", N_PAGES }, { "fork_pt_pages", 3 } };
	int ne = 4, i;
	struct cs_group g;
	char *r;
	pid_t pid;

	cs_init("d03-rename-exists", 0);
	if (!getenv("COWSTAT_KO"))
		cs_die("COWSTAT_KO is not set: run in the test VM with --insmod");
	if (cs_module_unload())
		cs_die("rmmod cowstat");
	if (cs_module_load("rename=do_wp_page:copy_process"))
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
	/* The counters do_wp_page feeds read "-", which is not 0. */
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		char want[128];

		snprintf(want, sizeof(want),
			 "counter %s unavailable(copy_process:-EEXIST)\n",
			 cs_counter_names[i]);
		if (strstr(probes, want)) {
			e[ne].name = cs_counter_names[i];
			e[ne++].val = CS_UNAVAILABLE;
		}
	}
	e[ne].name = NULL;

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

	if (cs_module_unload())
		cs_die("rmmod after rename");
	if (cs_module_load(""))
		cs_die("reload cowstat.ko");
	return cs_finish();
}
