/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers of the cowstat debugfs files (Documentation/interfaces.rst).
 *
 * Tables are read by their header line: columns are found by name, never
 * by position, so the module may add columns without breaking cowtrace.
 * Lines that do not parse are skipped and counted, never guessed at.
 */
#ifndef COWTRACE_PARSE_H
#define COWTRACE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cowstat/counters.h>

struct cow_counters {
	uint64_t val[COWSTAT_NR_COUNTERS];
	bool have[COWSTAT_NR_COUNTERS];
};

#define COW_COMM_LEN 64

/* One row of `procs` (a record) or of `track` (a group). */
struct cow_row {
	char state[16];		/* live, exited; active, ended for groups */
	char birth[16];		/* fork, exec, seen */
	char comm[COW_COMM_LEN];
	uint64_t gen;
	int64_t tgid, pid, ppid;
	uint64_t start_ns;
	uint64_t exit_ns;	/* optional column, see has_exit_ns */
	uint64_t fork_ns;	/* optional column, see has_fork_ns */
	uint64_t initiator_remote;
	bool has_exit_ns, has_fork_ns;
	struct cow_counters c;
};

struct cow_table {
	struct cow_row *rows;
	size_t nr, cap;
	size_t skipped;		/* rows that did not parse */
	bool has_exit_ns, has_fork_ns;
	bool have[COWSTAT_NR_COUNTERS];	/* counters named by the header */
	char err[160];		/* why the whole table was rejected */
};

int cow_table_parse(const char *text, struct cow_table *t);
void cow_table_free(struct cow_table *t);

#define COW_MAX_EXTRA 64

/* `stats`: counters plus the module's own health lines. */
struct cow_stats {
	struct cow_counters c;
	struct {
		char name[48];
		uint64_t val;
	} extra[COW_MAX_EXTRA];
	size_t nr_extra;
	size_t skipped;
};

int cow_stats_parse(const char *text, struct cow_stats *s);
/* The value of a health line, or false when the module does not print it. */
bool cow_stats_extra(const struct cow_stats *s, const char *name, uint64_t *val);

enum cow_cap { CAP_UNKNOWN, CAP_EXACT, CAP_DERIVED, CAP_UNAVAILABLE };

#define COW_MAX_PROBES 64

struct cow_probe {
	char symbol[64];
	char state[32];		/* ftrace, int3, off, failed(<errno>) */
	uint64_t hits, nmissed, nmissed_reentry;
};

struct cow_probes {
	struct cow_probe probe[COW_MAX_PROBES];
	size_t nr;
	enum cow_cap cap[COWSTAT_NR_COUNTERS];
	char reason[COWSTAT_NR_COUNTERS][64];	/* for CAP_UNAVAILABLE */
	size_t skipped;
};

int cow_probes_parse(const char *text, struct cow_probes *p);
/*
 * Marks the counters p says are unavailable as not known (have = false),
 * so that they print as "-" and null, never 0, even when a format 1
 * module printed 0 for them.
 */
void cow_counters_mask(struct cow_counters *c, const struct cow_probes *p);
const char *cow_cap_name(enum cow_cap cap);

#define COW_MAX_HISTS 16
#define COW_MAX_BUCKETS 64

struct cow_bucket {
	uint64_t lo, hi, count;
};

struct cow_hist {
	char name[48];
	char unavailable[64];	/* why the module cannot time it; "" if it can */
	struct cow_bucket b[COW_MAX_BUCKETS];
	size_t nr;
};

struct cow_latency {
	struct cow_hist h[COW_MAX_HISTS];
	size_t nr;
	size_t skipped;
	bool scope_group;	/* the track groups' own histograms, not the system's */
};

/*
 * `latency`.  With the ids (gens) of track groups, the histograms of those
 * groups (format 3 "hist NAME group=GEN" blocks), summed over them by
 * name, when the module prints any for them (scope_group); otherwise, as
 * from a module of format 1 or 2, and without ids, the system-wide ones.
 */
int cow_latency_parse(const char *text, struct cow_latency *l, const uint64_t *gens,
		      size_t nr_gens);
/*
 * after - before, bucket by bucket: what happened between two reads of the
 * system-wide histograms.  A group's (scope_group) start at zero with the
 * group and are left as they are.
 */
void cow_latency_delta(struct cow_latency *after, const struct cow_latency *before);

/* `version`: "cowstat <version> format <N>". */
int cow_version_parse(const char *text, char *modver, size_t len, int *format);

/* Strict decimal u64: digits only, no sign, no overflow. */
bool cow_parse_u64(const char *s, uint64_t *val);

#endif /* COWTRACE_PARSE_H */
