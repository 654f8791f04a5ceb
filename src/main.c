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

	/* Enabled by the registry once exit_mmap is hooked. */
	cowstat_records_enabled = false;
	ret = cowstat_probes_register(rename, skip_symbol);
	if (ret)
		goto out_tct;
	/* debugfs prints "-" for these, never a 0 that means "unknown". */
	cowstat_probes_unavailable(cowstat_state.unavailable);
	if (!cowstat_records_enabled)
		pr_warn("exit_mmap not hooked: per-process records disabled, totals only\n");
	if (strict && !cowstat_strict_ok()) {
		ret = -EOPNOTSUPP;
		goto out_probes;
	}
	ret = cowstat_debugfs_init();
	if (ret)
		goto out_probes;
	return 0;

out_probes:
	cowstat_probes_unregister();
out_tct:
	cowstat_tct_exit();
out_core:
	cowstat_destroy(&cowstat_state);
	return ret;
}

static void __exit cowstat_module_exit(void)
{
	cowstat_debugfs_exit();
	cowstat_probes_unregister();
	cowstat_tct_exit();
	cowstat_destroy(&cowstat_state);
}

module_init(cowstat_module_init);
module_exit(cowstat_module_exit);
MODULE_DESCRIPTION("Exact per-process fork and copy-on-write accounting");
MODULE_LICENSE("GPL");
