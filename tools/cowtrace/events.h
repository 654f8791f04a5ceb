/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --events: the stream of COW events of the traced tree, read from the BPF
 * backend's ring buffer while the command runs (events.c).
 */
#ifndef COWTRACE_EVENTS_H
#define COWTRACE_EVENTS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <linux/types.h>

#include "cowtrace_bpf.h"

struct cow_source;
struct cow_output;
struct cow_timeline;

/* What an event was, named from the counters it incremented. */
enum cow_event_kind {
	COW_EV_COPY,		/* a page copied (cow_copies, cow_at_fault, hugetlb) */
	COW_EV_REUSE,		/* the page reused in place (small, THP, hugetlb) */
	COW_EV_SHARED_WRITE,	/* a write to a shared mapping made writable */
	COW_EV_UNSHARE_KEPT,	/* an unshare that kept the page */
	COW_EV_SPLIT,		/* a THP split to be copied page by page */
	COW_EV_UFFD_WP,		/* a userfaultfd write-protect fault */
	COW_EV_RACE,		/* the fault lost a race and did nothing */
	COW_EV_ERROR,		/* the fault failed */
	COW_EV_RETRY,		/* the fault will be retried */
	COW_EV_FORK,		/* a fork of a traced process */
	COW_EV_OTHER,
	COW_NR_EV_KINDS
};

#define COW_EV_ALL ((1U << COW_NR_EV_KINDS) - 1)
#define COW_EVENTS_MAX_KIB (1024U * 1024U)	/* 1 GiB */

const char *cow_event_kind_name(enum cow_event_kind k);
/* The kind and its detail ("anon", "exclusive", "thp", "child=123", ...) */
enum cow_event_kind cow_event_classify(const struct ct_event *e, char *detail, size_t len);

/*
 * --kind LIST: a comma-separated list of kind names into a bit mask.
 * Returns 0, or -1 with the offending word in bad.
 */
int cow_event_kinds_parse(const char *list, unsigned int *mask, char *bad, size_t badlen);
/* --min-latency: a number and a unit, ns, us, ms or s ("10us", "2.5ms"). 0 or -1. */
int cow_duration_ns_parse(const char *arg, uint64_t *ns);
/* --events-buffer KiB: a power of two of at least one page. 0 or -1. */
int cow_events_kib_parse(const char *arg, unsigned int *kib);

/* One event, as a text line or a JSON Lines object; t0: trace start. */
void cow_event_print(FILE *f, const struct ct_event *e, uint64_t t0, bool json);
void cow_events_header(FILE *f);

struct cow_events {
	struct cow_source *src;
	FILE *f;
	bool json;
	unsigned int kinds;	/* mask of enum cow_event_kind shown */
	uint64_t min_latency_ns;	/* --min-latency; 0: every event */
	uint64_t t0;		/* CLOCK_BOOTTIME ns at the start of the trace */
	uint64_t shown;
	bool print;		/* --events: print them (else only --timeline) */
	struct cow_timeline *tl;	/* --timeline: counts them; NULL when off */
	int fd;			/* readable when events wait; -1 when off */
};

/*
 * Starts reading for --events (printed to f) and --timeline (counted in
 * tl, initialised here with t0); both off: ev->fd is -1 and the rest do
 * nothing.
 */
int cow_events_begin(struct cow_events *ev, struct cow_source *src,
		     const struct cow_output *o, FILE *f, uint64_t t0, struct cow_timeline *tl);
/* ppoll() for ts (NULL: no limit) or a signal, then hands out the events. */
void cow_events_wait(struct cow_events *ev, const struct timespec *ts, const sigset_t *mask);
void cow_events_drain(struct cow_events *ev);
uint64_t cow_events_lost(const struct cow_events *ev);
/* The text mode's last line: events lost: N */
void cow_events_print_lost(FILE *f, uint64_t lost);

#endif /* COWTRACE_EVENTS_H */
