// SPDX-License-Identifier: GPL-2.0
/*
 * D1: cowstat degrades per counter when a probe is missing, and strict=1
 * refuses to load then.
 *
 * Reloads cowstat.ko (COWSTAT_KO, exported by the test VM) three times:
 *
 *  skip_symbol=do_wp_page   as if do_wp_page were inlined: probes shows it
 *                           "off"; exactly the counters fed by
 *                           write-protect faults are unavailable; a fork +
 *                           COW workload still gives exact fork counters
 *                           and leaves the unavailable ones at 0.
 *  rename=do_wp_page:cowstat_no_such_function
 *                           as if it were renamed: "failed(-ENOENT)" in
 *                           probes, and the kernel log says which probe
 *                           failed and which counters are unavailable.
 *  strict=1 skip_symbol=do_wp_page
 *                           refused with EOPNOTSUPP, nothing left loaded.
 *  strict=1                 loads on this kernel when every core counter
 *                           is available; where one is not (6.12-rt:
 *                           finish_mkwrite_fault is inlined, so
 *                           shared_writes is unavailable) it is refused
 *                           with EOPNOTSUPP and the kernel log names the
 *                           counter and the reason the probes file gives.
 *
 * Ends with the module loaded as the VM loaded it (no parameters), so it
 * must run last (tests/run-vm-tests runs d* after the others).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/klog.h>
#include <sys/syscall.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define PROBES "/sys/kernel/debug/cowstat/probes"

/* The counters a write-protect fault feeds: they need do_wp_page. */
static const char *const wp_counters[] = {
	"wp_faults", "cow_copies", "cow_copies_anon", "cow_copies_zero",
	"cow_copies_file", "cow_copies_ksm", "cow_copies_pfn",
	"cow_copies_unshare", "cow_reuses", "cow_reuses_moved",
	"cow_reuses_exclusive", "unshare_kept", "shared_writes", "uffd_wp",
	"wp_races", "wp_errors", "wp_retries", "remote_events",
};

/* strict=1 refuses to load without these (Documentation/cowstat.rst). */
static const char *const core_counters[] = {
	"forks", "fork_pages_shared", "fork_pt_pages", "wp_faults",
	"cow_copies", "cow_reuses", "shared_writes",
};

static char probes[64 << 10];
/* "strict: core counter NAME unavailable (REASON)" for this kernel */
static char strict_refusal[256];

static int is_wp_counter(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(wp_counters) / sizeof(wp_counters[0]); i++)
		if (!strcmp(wp_counters[i], name))
			return 1;
	return 0;
}

/* Checks the probes file: @probe_line present, wp counters unavailable
 * for @reason, every other counter available. */
static void check_probes(const char *label, const char *probe_line,
			 const char *reason)
{
	char want[256];
	int i;

	if (cs_read_file(PROBES, probes, sizeof(probes)))
		cs_die("read " PROBES);
	if (!strstr(probes, probe_line))
		cs_fail("%s: no probe line '%s'", label, probe_line);
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		const char *n = cs_counter_names[i];
		char avail[128], *p;

		snprintf(want, sizeof(want), "counter %s unavailable(%s)\n", n,
			 reason);
		if (is_wp_counter(n)) {
			if (!strstr(probes, want))
				cs_fail("%s: expected '%.*s'", label,
					(int)strlen(want) - 1, want);
			continue;
		}
		snprintf(avail, sizeof(avail), "counter %s unavailable", n);
		p = strstr(probes, avail);
		if (p && p[strlen(avail)] == '(')
			cs_fail("%s: counter %s is unavailable", label, n);
	}
}

/* The kernel log names the failed probe and an unavailable counter. */
static void check_kernel_log(const char *label)
{
	static const char *const want[] = {
		"cowstat_no_such_function: cannot register (-2)",
		"counter cow_copies unavailable (cowstat_no_such_function:-ENOENT)",
	};
	static char log[1 << 20];
	int len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);
	size_t i;

	if (len < 0)
		cs_die("klogctl");
	log[len] = '\0';
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(log, want[i]))
			cs_fail("%s: the kernel log lacks '%s'", label, want[i]);
}

/*
 * fork + COW with do_wp_page unhooked: fork counters exact, the wp ones
 * read "-" (unavailable), which the harness never takes for 0.
 */
static void workload(const char *label, int slot)
{
	static const struct cs_exp fork_exp[] = {
		{ "forks", 1 }, { "fork_vmas_copied", 1 },
		{ "fork_pages_shared_anon", N_PAGES }, { "fork_pt_pages", 3 } };
	const size_t nf = sizeof(fork_exp) / sizeof(fork_exp[0]);
	const size_t nw = sizeof(wp_counters) / sizeof(wp_counters[0]);
	struct cs_exp e[sizeof(fork_exp) / sizeof(fork_exp[0]) +
			sizeof(wp_counters) / sizeof(wp_counters[0]) + 1];
	struct cs_group g;
	size_t i;
	char *r;
	pid_t pid;

	for (i = 0; i < nf; i++)
		e[i] = fork_exp[i];
	for (i = 0; i < nw; i++) {
		e[nf + i].name = wp_counters[i];
		e[nf + i].val = CS_UNAVAILABLE;
	}
	e[nf + nw].name = NULL;

	r = cs_region(slot, N_PAGES, PROT_READ | PROT_WRITE,
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
	cs_expect_group(label, &g, e);
	cs_untrack(&g);
}

int main(void)
{
	size_t i;
	int ret;

	cs_init("d01-degrade", 0);
	if (!getenv("COWSTAT_KO"))
		cs_die("COWSTAT_KO is not set: run in the test VM with --insmod");
	/* the module as the VM loaded it: which core counters this kernel
	 * cannot count */
	for (i = 0; i < sizeof(core_counters) / sizeof(core_counters[0]); i++) {
		const char *reason = cs_unavailable(core_counters[i]);

		if (reason && !strict_refusal[0])
			snprintf(strict_refusal, sizeof(strict_refusal),
				 "strict: core counter %s unavailable (%s)",
				 core_counters[i], reason);
	}
	if (cs_module_unload())
		cs_die("rmmod cowstat");

	if (cs_module_load("skip_symbol=do_wp_page")) {
		cs_fail("insmod skip_symbol=do_wp_page: %s", strerror(errno));
	} else {
		check_probes("skip_symbol", "\ndo_wp_page off ",
			     "do_wp_page:skipped");
		workload("skip_symbol workload", 0);
		if (cs_module_unload())
			cs_die("rmmod after skip_symbol");
	}

	if (cs_module_load("rename=do_wp_page:cowstat_no_such_function")) {
		cs_fail("insmod rename=...: %s", strerror(errno));
	} else {
		check_probes("rename",
			     "\ncowstat_no_such_function failed(-ENOENT) ",
			     "cowstat_no_such_function:-ENOENT");
		check_kernel_log("rename");
		if (cs_module_unload())
			cs_die("rmmod after rename");
	}

	ret = cs_module_load("strict=1 skip_symbol=do_wp_page");
	if (!ret) {
		cs_fail("strict=1 with do_wp_page missing: expected the load to fail, it loaded");
		cs_module_unload();
	} else if (errno != EOPNOTSUPP) {
		cs_fail("strict=1 with do_wp_page missing: expected EOPNOTSUPP got %s",
			strerror(errno));
	}
	if (!access("/sys/module/cowstat", F_OK))
		cs_fail("a refused load left /sys/module/cowstat behind");

	ret = cs_module_load("strict=1");
	if (strict_refusal[0]) {
		static char log[1 << 20];
		int len;

		if (!ret) {
			cs_fail("strict=1 loaded although '%s'", strict_refusal);
			if (cs_module_unload())
				cs_die("rmmod after strict=1");
		} else if (errno != EOPNOTSUPP) {
			cs_fail("strict=1 (%s): expected EOPNOTSUPP got %s",
				strict_refusal, strerror(errno));
		}
		len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);
		if (len < 0)
			cs_die("klogctl");
		log[len] = '\0';
		if (!strstr(log, strict_refusal))
			cs_fail("strict=1: the kernel log lacks '%s'", strict_refusal);
	} else if (ret) {
		cs_fail("strict=1 on this kernel: %s", strerror(errno));
	} else if (cs_module_unload()) {
		cs_die("rmmod after strict=1");
	}

	if (cs_module_load(""))
		cs_die("reload cowstat.ko");
	return cs_finish();
}
