/* SPDX-License-Identifier: GPL-2.0 */
/* ASCII log2 histograms of the module's `latency` file, in bcc's style. */
#ifndef COWTRACE_HIST_H
#define COWTRACE_HIST_H

#include <stdio.h>

#include "parse.h"

#define HIST_BAR_WIDTH 40

/*
 * Prints h with one line per bucket from the lowest to the highest
 * non-empty one; empty log2 buckets in between are shown, as bcc does.
 */
void cow_hist_print(FILE *f, const struct cow_hist *h);
void cow_latency_print(FILE *f, const struct cow_latency *l);

#endif /* COWTRACE_HIST_H */
