// SPDX-License-Identifier: GPL-2.0
/*
 * cowstat: exact per-process fork and COW accounting.
 */

#include <linux/module.h>

#include <cowstat/core.h>

static struct cowstat cowstat;

static int __init cowstat_module_init(void)
{
	struct cowstat_limits lim = { .max_records = 4096, .max_exited = 1024 };

	return cowstat_init(&cowstat, &lim);
}

static void __exit cowstat_module_exit(void)
{
	cowstat_destroy(&cowstat);
}

module_init(cowstat_module_init);
module_exit(cowstat_module_exit);
MODULE_DESCRIPTION("Exact per-process fork and copy-on-write accounting");
MODULE_LICENSE("GPL");
