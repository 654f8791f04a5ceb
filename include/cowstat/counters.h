/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counters' ids, from the one list in counter-list.h.  Plain C with no
 * kernel includes, so userspace (tools/cowtrace, tests/) uses it as is.
 */
#ifndef _COWSTAT_COUNTERS_H
#define _COWSTAT_COUNTERS_H

enum cowstat_counter {
#define COWSTAT_COUNTER(name, side, meaning) COWSTAT_##name,
#include "counter-list.h"
#undef COWSTAT_COUNTER
	COWSTAT_NR_COUNTERS
};

#endif /* _COWSTAT_COUNTERS_H */
