/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --timeline FILE.svg: the COW copies and reuses of a run per process and
 * per time bucket, counted from the --events ring buffer while the command
 * runs and drawn at the end as one self-contained SVG (timeline.c).
 *
 * Memory is bounded: at most TL_NB buckets per process (they start at
 * TL_BUCKET0_NS wide and pairs merge when a run outgrows them) and at most
 * TL_MAX_SLOTS processes counted one by one, later ones summed into one
 * "other processes" slot; the picture draws at most TL_MAX_LANES lanes.
 */
#ifndef COWTRACE_TIMELINE_H
#define COWTRACE_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cowtrace_bpf.h"

struct cow_report;
struct cow_maps;

#define TL_NB		256		/* buckets per process, at most */
#define TL_BUCKET0_NS	10000000ULL	/* 10 ms: the first bucket width */
#define TL_MAX_SLOTS	128		/* processes counted one by one */
#define TL_MAX_LANES	24		/* lanes drawn, "other processes" included */
#define TL_UNKNOWN	CT_NR_MAP_KINDS	/* copies whose mapping kind is unknown */
#define TL_REUSE	(CT_NR_MAP_KINDS + 1)
#define TL_NCAT		(CT_NR_MAP_KINDS + 2)	/* copies per kind, unknown, reuses */

struct tl_slot {
	uint32_t pid;			/* 0: the "other processes" slot */
	char comm[CT_COMM_LEN + 1];
	uint64_t sum[TL_NCAT];
	uint32_t (*b)[TL_NCAT];		/* TL_NB buckets */
};

struct cow_timeline {
	uint64_t t0;			/* CLOCK_BOOTTIME ns: the left edge */
	uint64_t width_ns;		/* one bucket */
	unsigned int merges;		/* how many times pairs merged */
	struct tl_slot slots[TL_MAX_SLOTS];
	size_t nr_slots;
	struct tl_slot other;		/* processes past TL_MAX_SLOTS */
	uint64_t events;		/* copies and reuses counted */
	uint64_t dropped;		/* events not counted: no memory */
};

/* What the picture says besides the buckets. */
struct cow_timeline_info {
	const char *command;		/* the command line or "attach: PID ..." */
	const struct cow_report *r;	/* lanes, marks, exact totals, kernel */
	const struct cow_maps *maps;	/* the per-kind split; NULL: none */
	uint64_t lost;			/* events the ring had no room for */
};

void cow_timeline_init(struct cow_timeline *tl, uint64_t t0);
/* Counts one event of the ring (copies and reuses; the rest is ignored). */
void cow_timeline_add(struct cow_timeline *tl, const struct ct_event *e);
/* The number of buckets in use (the last one with room, plus one). */
unsigned int cow_timeline_buckets(const struct cow_timeline *tl, uint64_t end_ns);
void cow_timeline_free(struct cow_timeline *tl);

/* Writes s to f with &, <, >, " and ' escaped, control bytes as '?'. */
void cow_xml_escape(FILE *f, const char *s);
/* The SVG, to f.  Returns 0, or -1 when f reports a write error. */
int cow_timeline_svg(FILE *f, const struct cow_timeline *tl, const struct cow_timeline_info *in);

/*
 * The output file: cow_timeline_open() creates PATH.tmp (before the
 * command runs, so an unwritable PATH fails at once); cow_timeline_commit()
 * writes the SVG there and renames it to PATH; cow_timeline_abort()
 * removes it.  Each prints its own error and returns -1 on failure.
 */
int cow_timeline_open(const char *path);
int cow_timeline_commit(const struct cow_timeline *tl, const struct cow_timeline_info *in);
void cow_timeline_abort(void);
/*
 * cow_timeline_commit() for a run or attach report r: its command line
 * (or the PIDs and cgroup attached to), its --maps section or the
 * per-mapping counts read from src for the legend, its events lost.
 */
struct cow_source;
int cow_timeline_write(struct cow_source *src, const struct cow_report *r,
		       const struct cow_timeline *tl);

#endif /* COWTRACE_TIMELINE_H */
