/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report of a run or an attach: who was in the track group, what each
 * process did, and the group's exact total; printed as tables for people
 * or as one JSON document.
 */
#ifndef COWTRACE_REPORT_H
#define COWTRACE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cowtrace.h"
#include "maps.h"
#include "parse.h"
#include "source.h"

#define COW_MAX_GENS 8
#define COW_MAX_NOTES 8

/* One process: its records (mm incarnations) summed. */
struct cow_proc {
	int64_t tgid, ppid;
	uint64_t start_ns;
	uint64_t exit_ns;	/* valid when has_exit_ns */
	uint64_t fork_ns;	/* valid when has_fork_ns */
	bool live, has_exit_ns, has_fork_ns;
	char comm[COW_COMM_LEN];
	uint64_t newest_gen;
	uint64_t gens[COW_MAX_GENS];
	size_t nr_records;
	struct cow_counters c;
};

struct cow_report {
	const char *mode;		/* "run" or "attach" */
	const char *cgroup;		/* attach -c: the cgroup followed */
	char *const *argv;		/* run: COMMAND and its arguments */
	bool has_wait_status;
	int wait_status;		/* run: as waitpid() gave it */
	int exit_code;			/* run: what cowtrace exits with */
	uint64_t start_ns, end_ns;	/* boottime: tracking began, report taken */
	const pid_t *leaders;
	const uint64_t *group_gens;	/* per leader, 0 if not known */
	int nr_leaders;
	struct cow_table groups;	/* the group rows (track) */
	struct cow_counters total;
	uint64_t total_fork_ns;
	bool has_total_fork_ns;
	bool total_from_groups;		/* false: summed from the processes */
	struct cow_proc *procs;
	size_t nr_procs;
	const struct cow_latency *latency;	/* NULL unless --hist */
	const struct cow_probes *probes;	/* NULL if unreadable */
	const struct cow_maps *maps;		/* NULL unless --maps */
	bool has_events;			/* --events: events_lost below */
	uint64_t events_lost;			/* --events: the ring buffer was full */
	const char *modver;
	char kernel[128];
	uint64_t waited_ns;		/* run: waited for the tree after COMMAND exited */
	char notes[COW_MAX_NOTES][200];
	int nr_notes;
};

/*
 * Marks in member[] the rows of procs that belong to the groups led by
 * leaders: each leader's newest incarnation that started no later than
 * created_ns, then every record whose parent is a member and that started
 * no earlier than since_ns (descendants born after tracking began).
 */
void cow_select_members(const struct cow_table *procs, const pid_t *leaders, int nr_leaders,
			uint64_t created_ns, uint64_t since_ns, bool *member);

/*
 * Sums member rows per process (tgid, start_ns).  Records also present in
 * baseline (matched by gen) count only what happened after the baseline.
 * Returns a malloc'd array sorted by start time, NULL with *nr = 0 if none.
 */
struct cow_proc *cow_procs_build(const struct cow_table *procs, const bool *member,
				 const struct cow_table *baseline, size_t *nr);

void cow_counters_add(struct cow_counters *sum, const struct cow_counters *c);
/* a - b per counter, 0 where b > a (a record dropped from the ring). */
void cow_counters_sub(struct cow_counters *a, const struct cow_counters *b);

/*
 * Reads the groups and the processes from the source and fills r.  The
 * group rows give the total; when none matches a leader, the total is the
 * sum of the processes and a note says so.
 */
int cow_report_collect(struct cow_source *s, struct cow_report *r,
		       const struct cow_table *baseline, uint64_t created_ns, uint64_t since_ns);
void cow_report_note(struct cow_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cow_report_free(struct cow_report *r);

/* Does any process of the report still run? */
bool cow_report_any_live(const struct cow_report *r);

void cow_report_print(FILE *f, const struct cow_report *r, const struct cow_output *o);
void cow_report_print_text(FILE *f, const struct cow_report *r, bool all);
/* compact: the whole document on one line (a JSON Lines record). */
void cow_report_print_json(FILE *f, const struct cow_report *r, bool compact);

/*
 * Interval reports (-i): each shows what the group did since the last
 * one, per process and in total; as a table, or with --json as one JSON
 * Lines record.  The first interval starts when tracking started.
 */
struct cow_intervals {
	struct cow_report prev;
	bool have_prev;
	uint64_t start_ns;	/* tracking began (boottime) */
	uint64_t last_ns;	/* end of the previous interval */
	unsigned int seq;
};

void cow_intervals_init(struct cow_intervals *iv, uint64_t start_ns);
/*
 * Collects cur (its mode, leaders, group ids and probes filled in by the
 * caller), prints what it added since the previous interval to f, and
 * keeps it as the previous one.  Returns -1 when the source cannot be read.
 */
int cow_intervals_emit(struct cow_intervals *iv, struct cow_source *s, struct cow_report *cur,
		       const struct cow_table *baseline, uint64_t created_ns, uint64_t since_ns,
		       FILE *f, const struct cow_output *o);
void cow_intervals_free(struct cow_intervals *iv);

struct json;
/* The "histograms" member of a JSON document. */
void cow_json_latency(struct json *j, const struct cow_latency *l);

/* Small formatters, shared with top and status. */
void cow_fmt_bytes(char *buf, size_t len, uint64_t bytes, bool compact);
void cow_fmt_duration(char *buf, size_t len, uint64_t ns);
void cow_fmt_count(char *buf, size_t len, const struct cow_counters *c, int idx);

/*
 * An aligned text table: add a header and rows of cells, then print;
 * cells are right-aligned (numbers), except in columns marked with
 * tab_left() (text).
 */
#define TAB_MAX_COLS 20
#define TAB_CELL 80

struct cow_tab {
	int ncol;
	bool left[TAB_MAX_COLS];
	size_t nrow, cap;
	char (*cells)[TAB_MAX_COLS][TAB_CELL];
};

void tab_init(struct cow_tab *t, int ncol);
void tab_left(struct cow_tab *t, int col);
/* Adds a row; cells beyond those given stay empty. */
char (*tab_row(struct cow_tab *t))[TAB_CELL];
void tab_print(FILE *f, const struct cow_tab *t, const char *indent);
void tab_free(struct cow_tab *t);

#endif /* COWTRACE_REPORT_H */
