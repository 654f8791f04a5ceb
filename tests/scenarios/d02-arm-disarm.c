// SPDX-License-Identifier: GPL-2.0
/*
 * D2: loading and unloading cowstat.ko while faults and forks are in
 * flight neither crashes nor miscounts.
 *
 * Two unpinned stress processes fork, COW-break, reuse and first-touch
 * without pause on both vCPUs while this test unloads and reloads the
 * module (COWSTAT_KO, exported by the test VM) seven times.  A use of
 * freed memory or a handler running after its module text is gone shows
 * on the console, which fails the VM run.  Then, with the stress still
 * running:
 *
 *  - right after a load, the totals have no wp_races and no
 *    events_uncorrelated: a fault that straddles the load is not counted
 *    half (a copy whose do_wp_page was seen but whose install was not
 *    would be a race);
 *  - a deterministic fork + COW workload on a region of its own gives its
 *    exact counts (child: K copies; parent, after the child exited: N
 *    moved reuses), with wp_races 0.
 *
 * The reloads alternate between do_wp_page on an entry hook (the default)
 * and on a kretprobe (wp_return=1), and both checks run in each: with the
 * entry hook alone wp_races must read "-" (unavailable), never 0.
 *
 * Ends with the module loaded without parameters, as the VM loaded it
 * (tests/run-vm-tests runs d* last).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define STATS "/sys/kernel/debug/cowstat/stats"
#define STRESS_PAGES 64
#define RELOADS 6


/* Fork, COW-break in the child, reuse in the parent, first touches. */
static void __attribute__((noreturn)) stress(void)
{
	char *r = mmap(NULL, STRESS_PAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int v = 0;

	if (r == MAP_FAILED)
		_exit(1);
	for (;;) {
		char *f = mmap(NULL, STRESS_PAGES * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pid_t pid;

		cs_write_pages(r, 0, STRESS_PAGES, ++v);
		pid = fork();
		if (pid == 0) {
			cs_write_pages(r, 0, STRESS_PAGES / 2, ++v);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		cs_write_pages(r, 0, STRESS_PAGES, ++v);
		if (f != MAP_FAILED) {
			cs_write_pages(f, 0, STRESS_PAGES, v);
			munmap(f, STRESS_PAGES * PAGE);
		}
	}
}

static long long stat_of(const char *text, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(text, key);
	if (!p && !strncmp(text, key + 1, strlen(key + 1)))
		p = text - 1;
	if (!p)
		cs_die("no %s in " STATS, name);
	p += strlen(key);
	/* "-" is unavailable: never to be read as 0 */
	return *p == '-' ? CS_UNAVAILABLE : atoll(p);
}

static void checks(const char *mode, int wp_return)
{
	const struct cs_exp e[] = {
		{ "forks", 1 }, { "fork_vmas_copied", 1 },
		{ "fork_pages_shared_anon", N_PAGES }, { "fork_pt_pages", 3 },
		{ "wp_faults", K_PAGES + N_PAGES },
		{ "cow_copies_anon", K_PAGES },
		{ "cow_reuses_moved", N_PAGES }, { NULL } };
	static char stats[16 << 10];
	/*
	 * wp_return=1 counts wp_races where the kernel lets it (6.12-rt
	 * inlines finish_mkwrite_fault: unavailable there too); by default
	 * it is unavailable everywhere.
	 */
	const char *why = cs_unavailable("wp_races");
	long long races_want = wp_return && !why ? 0 : CS_UNAVAILABLE;
	char label[128];
	struct cs_group g;
	char *r;
	pid_t pid;

	/* the mode loaded is the mode probes reports */
	why = cs_unavailable("wp_errors");
	if (!wp_return != (why && strstr(why, "wp_return=0")))
		cs_fail("%s: probes says wp_errors is %s", mode,
			why ? why : "available");
	/* Loaded mid-stress: nothing half-seen. */
	usleep(200000);
	if (cs_read_file(STATS, stats, sizeof(stats)))
		cs_die("read " STATS);
	snprintf(label, sizeof(label), "%s: wp_races right after a load under stress", mode);
	CS_EQ(label, races_want, stat_of(stats, "wp_races"));
	snprintf(label, sizeof(label), "%s: events_uncorrelated right after a load under stress", mode);
	CS_EQ(label, 0, stat_of(stats, "events_uncorrelated"));
	snprintf(label, sizeof(label), "%s: tct_full right after a load under stress", mode);
	CS_EQ(label, 0, stat_of(stats, "tct_full"));

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
	snprintf(label, sizeof(label), "%s: fork + COW under stress", mode);
	cs_expect_group(label, &g, e);
	cs_untrack(&g);
	munmap(r - PAGE, RSIZE + 2 * PAGE);
}

int main(void)
{
	static char stats[16 << 10];
	pid_t st[2];
	unsigned int i;

	cs_init("d02-arm-disarm", CS_NO_PIN);
	if (!getenv("COWSTAT_KO"))
		cs_die("COWSTAT_KO is not set: run in the test VM with --insmod");
	for (i = 0; i < 2; i++) {
		st[i] = fork();
		if (st[i] < 0)
			cs_die("fork");
		if (st[i] == 0)
			stress();
	}
	for (i = 0; i < RELOADS; i++) {
		if (cs_module_unload())
			cs_die("rmmod cowstat (round %u)", i);
		usleep(20000);
		if (cs_module_load(i % 2 ? "wp_return=1" : ""))
			cs_die("insmod cowstat (round %u)", i);
		usleep(20000);
	}
	/* The last round loaded wp_return=1; then the default. */
	checks("wp_return=1", 1);
	if (cs_module_unload() || cs_module_load(""))
		cs_die("reload cowstat without parameters");
	checks("default", 0);

	for (i = 0; i < 2; i++) {
		kill(st[i], SIGKILL);
		waitpid(st[i], NULL, 0);
	}
	if (cs_read_file(STATS, stats, sizeof(stats)))
		cs_die("read " STATS);
	CS_EQ("wp_races after the stress (unavailable by default)",
	      CS_UNAVAILABLE, stat_of(stats, "wp_races"));
	CS_EQ("events_uncorrelated after the stress", 0,
	      stat_of(stats, "events_uncorrelated"));
	return cs_finish();
}
