/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where cowtrace's numbers come from.
 *
 * A source hands out parsed tables, never text, so everything above it
 * (run, attach, top, status, the report) is the same whichever backend
 * counts: the cowstat module's debugfs directory (source.c) or cowtrace's
 * own BPF programs (bpf_source.c), chosen by --backend in
 * cow_source_open() and nowhere else.
 */
#ifndef COWTRACE_SOURCE_H
#define COWTRACE_SOURCE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "parse.h"

struct cow_source;

struct cow_source_ops {
	const char *name;
	/* Every record, live or recently exited (debugfs `procs`). */
	int (*read_procs)(struct cow_source *s, struct cow_table *t);
	/* The groups this source started (debugfs `track`, through its fd). */
	int (*read_groups)(struct cow_source *s, struct cow_table *t);
	int (*read_stats)(struct cow_source *s, struct cow_stats *st);
	int (*read_probes)(struct cow_source *s, struct cow_probes *p);
	/*
	 * `latency`: the histograms of the track groups gens[] when the
	 * module keeps them per group, else the system-wide ones (see
	 * cow_latency_parse()).
	 */
	int (*read_latency)(struct cow_source *s, struct cow_latency *l, const uint64_t *gens,
			    size_t nr_gens);
	/*
	 * Start a group for pid and its descendants born from now on; with
	 * end > start, count only addresses in [start, end).  The group
	 * lives until track_end() or cow_source_close(), and also ends if
	 * cowtrace dies, because the module ties it to the open file.
	 */
	int (*track_start)(struct cow_source *s, pid_t pid, uint64_t start, uint64_t end);
	int (*track_end)(struct cow_source *s, pid_t pid);
	void (*close)(struct cow_source *s);
};

struct cow_source {
	const struct cow_source_ops *ops;
	char dir[PATH_MAX];
	bool fake;		/* COWTRACE_DEBUGFS points at a plain directory */
	int track_fd;
	pid_t first_tracked;	/* fake mode: what @LEADER@ stands for */
	unsigned int fake_procs_reads;	/* fake mode: selects procs.N */
	char modver[64];
	int format;
	void *priv;		/* the BPF source's state (bpf_source.c) */
};

/*
 * Opens the source, after checking, in this order, that we are root, that
 * debugfs is mounted, that the module is loaded and that it speaks our
 * format.  On failure prints the one-line cause and fix and returns
 * -EACCES (not root), -ENODEV (debugfs not mounted), -ENOENT (module not
 * loaded), -EIO or -EPROTO (unreadable or foreign format).
 */
int cow_source_open(struct cow_source *s);

/*
 * `procs` as it is when tracking starts, to subtract from later reads.
 * With a fake debugfs it is DIR/procs.before, or empty when that file is
 * missing, since a fixture cannot change while cowtrace runs.
 */
int cow_source_snapshot(struct cow_source *s, struct cow_table *t);

/*
 * The system-wide `latency` at the start, likewise (fake:
 * DIR/latency.before or empty).
 */
int cow_source_latency_snapshot(struct cow_source *s, struct cow_latency *l);

/* The id (gen) of the newest group led by pid, 0 if there is none. */
uint64_t cow_source_group_gen(struct cow_source *s, pid_t pid);
void cow_source_close(struct cow_source *s);

/*
 * The one-line reason a track_start() failed, for errno err; for the
 * caller to print.
 */
const char *cow_track_strerror(int err);

#endif /* COWTRACE_SOURCE_H */
