// SPDX-License-Identifier: GPL-2.0
/*
 * Histogram rendering.  The module prints only non-empty buckets as
 * "lo hi count"; a person reading the shape wants the empty buckets
 * between them too, so they are filled in here, each twice as wide as the
 * one before, with the same inclusive or exclusive upper bound the module
 * used.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

static int cmp_bucket(const void *a, const void *b)
{
	const struct cow_bucket *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Width in characters of a decimal number. */
static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void print_line(FILE *f, int w, uint64_t lo, uint64_t hi, uint64_t count, uint64_t max)
{
	int stars = max ? (int)((long double)count * HIST_BAR_WIDTH / max) : 0;

	if (count && !stars)
		stars = 1;	/* show that the bucket is not empty */
	fprintf(f, "%*llu -> %-*llu : %-10llu |", w, (unsigned long long)lo, w,
		(unsigned long long)hi, (unsigned long long)count);
	for (int i = 0; i < HIST_BAR_WIDTH; i++)
		fputc(i < stars ? '*' : ' ', f);
	fputs("|\n", f);
}

void cow_hist_print(FILE *f, const struct cow_hist *h)
{
	struct cow_bucket b[COW_MAX_BUCKETS];
	uint64_t max = 0;
	size_t n = h->nr;
	int w;

	fprintf(f, "%s\n", h->name);
	if (h->unavailable[0]) {
		fprintf(f, "  (unavailable: %s)\n", h->unavailable);
		return;
	}
	if (!n) {
		fprintf(f, "  (no events)\n");
		return;
	}
	memcpy(b, h->b, n * sizeof(b[0]));
	qsort(b, n, sizeof(b[0]), cmp_bucket);
	for (size_t i = 0; i < n; i++)
		if (b[i].count > max)
			max = b[i].count;
	w = digits(b[n - 1].hi);
	if (w < 5)
		w = 5;
	fprintf(f, "%*s%-*s : %-10s %s\n", w + 4, "nsecs", w, "", "count", "distribution");
	for (size_t i = 0; i < n; i++) {
		print_line(f, w, b[i].lo, b[i].hi, b[i].count, max);
		if (i + 1 == n)
			break;
		/* Fill the log2 gap up to the next non-empty bucket. */
		bool exclusive = power_of_two(b[i].hi);
		uint64_t lo = exclusive ? b[i].hi : b[i].hi + 1;

		for (int guard = 0; guard < 64 && power_of_two(lo) && lo < b[i + 1].lo; guard++) {
			uint64_t hi = exclusive ? lo * 2 : lo * 2 - 1;

			print_line(f, w, lo, hi, 0, max);
			lo *= 2;
		}
	}
}

void cow_latency_print(FILE *f, const struct cow_latency *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		if (i)
			fputc('\n', f);
		cow_hist_print(f, &l->h[i]);
	}
	if (!l->nr)
		fprintf(f, "latency: no histograms\n");
}
