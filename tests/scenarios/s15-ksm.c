// SPDX-License-Identifier: GPL-2.0
/*
 * S15: KSM (kernel-hooks.md §6 S15).
 *
 * K1 and K2, N pages each of the same non-zero bytes, MADV_MERGEABLE;
 * ksmd merges all 2N (merging is not a fault: no counter moves), then is
 * stopped so nothing changes under the scenario.
 *
 * K1: each write finds a KSM page, which is never reused: N copies of a
 * KSM page, vmstat cow_ksm +N.
 *
 * K2: MADV_UNMERGEABLE breaks each KSM page with a fault on behalf of the
 * process itself (not remote: it is its own target).  The kernels differ:
 * 6.1 raises FAULT_FLAG_WRITE (a KSM copy), 6.2+ raise FAULT_FLAG_UNSHARE
 * (an unshare copy); cow_ksm +N on both.
 *
 * KSM's knobs are restored at the end.  SKIP without /sys/kernel/mm/ksm.
 */
#include <stdio.h>
#include <time.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define KSM "/sys/kernel/mm/ksm/"

static char old_run[16], old_scan[16], old_sleep[16];

static void restore(void)
{
	if (old_sleep[0])
		cs_write_file(KSM "sleep_millisecs", old_sleep);
	if (old_scan[0])
		cs_write_file(KSM "pages_to_scan", old_scan);
	if (old_run[0] == '0' || old_run[0] == '1')
		cs_write_file(KSM "run", old_run);
}

static long merging_pages(void)
{
	char buf[64];

	if (cs_read_file("/proc/self/ksm_merging_pages", buf, sizeof(buf)))
		cs_die("read /proc/self/ksm_merging_pages");
	return atol(buf);
}

int main(void)
{
	struct cs_group g1, g2;
	long long reuse0, flt0, ksm0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char *k1, *k2;
	int i, unshare;

	cs_init("s15-ksm", 0);
	unshare = cs_kernel_at_least(6, 2);
	if (cs_read_file(KSM "run", old_run, sizeof(old_run)))
		cs_skip("this kernel has no KSM");
	cs_read_file(KSM "pages_to_scan", old_scan, sizeof(old_scan));
	cs_read_file(KSM "sleep_millisecs", old_sleep, sizeof(old_sleep));
	atexit(restore);

	k1 = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	k2 = cs_region(1, N_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	memset(k1, 0x5a, RSIZE);
	memset(k2, 0x5a, RSIZE);
	cs_track(&g1, getpid(), k1, k1 + RSIZE);
	cs_track(&g2, getpid(), k2, k2 + RSIZE);
	if (madvise(k1, RSIZE, MADV_MERGEABLE) ||
	    madvise(k2, RSIZE, MADV_MERGEABLE))
		cs_die("MADV_MERGEABLE");
	if (cs_write_file(KSM "pages_to_scan", "1000") ||
	    cs_write_file(KSM "sleep_millisecs", "10") ||
	    cs_write_file(KSM "run", "1"))
		cs_die("start ksmd");
	for (i = 0; i < 3000 && merging_pages() != 2 * N_PAGES; i++)
		nanosleep(&ts, NULL);
	cs_write_file(KSM "run", "0");
	CS_EQ("ksm_merging_pages", 2 * N_PAGES, merging_pages());
	CS_EQ("K2 page 0 exclusively mapped while merged (pagemap)", 0,
	      PM_EXCLUSIVE(cs_pagemap(getpid(), k2)));
	cs_expect_group("K1 merged", &g1, NULL);
	cs_expect_group("K2 merged", &g2, NULL);

	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	ksm0 = cs_vmstat("cow_ksm");
	flt0 = cs_minflt(getpid());
	cs_write_pages(k1, 0, N_PAGES, 1);
	CS_EQ("K1 minflt delta", N_PAGES, cs_minflt(getpid()) - flt0);
	CS_EQ("K1 cow_ksm delta", N_PAGES, cs_vmstat("cow_ksm") - ksm0);
	CS_EQ("K1 pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_ksm", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };

		cs_expect_group("K1 writes", &g1, e);
	}

	cs_quiesce();
	ksm0 = cs_vmstat("cow_ksm");
	flt0 = cs_minflt(getpid());
	if (madvise(k2, RSIZE, MADV_UNMERGEABLE))
		cs_die("MADV_UNMERGEABLE");
	CS_EQ("K2 minflt delta over the unmerge", N_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("K2 cow_ksm delta over the unmerge", N_PAGES,
	      cs_vmstat("cow_ksm") - ksm0);
	/* ksm_merging_pages drops only when ksmd next scans; pagemap tells
	 * at once: every page is now this process's own */
	{
		int excl = 0;

		for (i = 0; i < N_PAGES; i++)
			excl += PM_EXCLUSIVE(cs_pagemap(getpid(),
							k2 + i * PAGE));
		CS_EQ("K2 pages exclusively mapped after the unmerge (pagemap)",
		      N_PAGES, excl);
	}
	{
		const struct cs_exp e61[] = {
			{ "cow_copies_ksm", N_PAGES }, { "wp_faults", N_PAGES },
			{ NULL } };
		const struct cs_exp e62[] = {
			{ "cow_copies_unshare", N_PAGES },
			{ "wp_faults", N_PAGES }, { NULL } };

		cs_expect_group("K2 unmerge", &g2, unshare ? e62 : e61);
	}
	return cs_finish();
}
