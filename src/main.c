// SPDX-License-Identifier: GPL-2.0
/*
 * cowstat: exact per-process fork and copy-on-write accounting.
 *
 * Module parameters, and the order of setting up and tearing down: all
 * memory the handlers use is allocated before the first probe registers
 * and freed only after the last one is gone.
 */

#define pr_fmt(fmt) "cowstat: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "glue.h"

static bool strict;
module_param(strict, bool, 0400);
MODULE_PARM_DESC(strict, "Refuse to load when a core counter is unavailable");

static unsigned int max_records = 4096;
module_param(max_records, uint, 0400);
MODULE_PARM_DESC(max_records, "Live per-mm records at most (default 4096); more are counted in records_dropped");

static unsigned int max_exited = 1024;
module_param(max_exited, uint, 0400);
MODULE_PARM_DESC(max_exited, "Exited records kept readable (default 1024)");

static char *skip_symbol;
module_param(skip_symbol, charp, 0400);
MODULE_PARM_DESC(skip_symbol, "Comma-separated functions not to hook (tests degradation)");

static char *rename;
module_param(rename, charp, 0400);
MODULE_PARM_DESC(rename, "OLD:NEW[,...]: hook NEW instead of OLD (simulates a renamed symbol)");

static char *use_kprobe;
module_param(use_kprobe, charp, 0400);
MODULE_PARM_DESC(use_kprobe, "Comma-separated entry hooks to build on a kprobe instead of a raw ftrace_ops, or \"all\"");

static bool wp_return;
module_param(wp_return, bool, 0400);
MODULE_PARM_DESC(wp_return, "Follow do_wp_page to its return (a kretprobe): exact wp_races, wp_errors, wp_retries and write-fault latency, at several hundred instructions more per write fault");

struct cowstat cowstat_state;
bool cowstat_records_enabled;

static int __init cowstat_module_init(void)
{
	struct cowstat_limits lim = {
		.max_records = max_records,
		.max_exited = max_exited,
	};
	int ret;

	ret = cowstat_init(&cowstat_state, &lim);
	if (ret)
		return ret;
	/* Two slots per kretprobe instance that can be open at once. */
	ret = cowstat_tct_init(4 * 4096 + 4 * 1024);
	if (ret)
		goto out_core;
	ret = cowstat_sections_init();
	if (ret)
		goto out_tct;

	/* Enabled by the registry once exit_mmap is hooked. */
	cowstat_records_enabled = false;
	ret = cowstat_probes_register(rename, skip_symbol, use_kprobe,
				      wp_return);
	if (ret)
		goto out_sections;
	/* debugfs prints "-" for these, never a 0 that means "unknown". */
	cowstat_probes_unavailable(cowstat_state.unavailable);
	if (!wp_return) {
		static const enum cowstat_hist_id wp[] = {
			COWSTAT_HIST_WP_COPY, COWSTAT_HIST_WP_REUSE,
			COWSTAT_HIST_WP_SHARED, COWSTAT_HIST_WP_OTHER,
		};
		unsigned int i;

		/* A latency needs the return: with wp_return=1 only. */
		for (i = 0; i < ARRAY_SIZE(wp); i++)
			cowstat_state.hist_unavailable[wp[i]] =
				"do_wp_page:wp_return=0";
	}
	if (!cowstat_records_enabled)
		pr_warn("exit_mmap not hooked: per-process records disabled, totals only\n");
	if (strict && !cowstat_strict_ok()) {
		ret = -EOPNOTSUPP;
		goto out_probes;
	}
	ret = cowstat_debugfs_init();
	if (ret)
		goto out_probes;
	cowstat_probes_start();
	return 0;

out_probes:
	cowstat_probes_unregister();
out_sections:
	cowstat_sections_exit();
out_tct:
	cowstat_tct_exit();
out_core:
	cowstat_destroy(&cowstat_state);
	return ret;
}

static void __exit cowstat_module_exit(void)
{
	/* Stops counting, then removes every probe and waits for handlers. */
	cowstat_probes_unregister();
	cowstat_debugfs_exit();
	cowstat_sections_exit();
	cowstat_tct_exit();
	cowstat_destroy(&cowstat_state);
}

module_init(cowstat_module_init);
module_exit(cowstat_module_exit);
MODULE_DESCRIPTION("Exact per-process fork and copy-on-write accounting");
MODULE_LICENSE("GPL");
