/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cowtrace: declarations shared by the subcommands.
 *
 * Every job lives in its own file (run.c, attach.c, top.c, status.c,
 * report.c, json.c, hist.c, parse.c, source.c); this header holds only what
 * more than one of them needs.
 */
#ifndef COWTRACE_H
#define COWTRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <cowstat/counters.h>

#define COWTRACE_VERSION "0.1"
/*
 * The debugfs formats this cowtrace understands (interfaces.rst): format 2
 * prints "-" for an unavailable counter where format 1 printed 0; format 3
 * adds each track group's histograms to `latency`.
 */
#define COWTRACE_DEBUGFS_FORMAT 3
#define COWTRACE_DEBUGFS_FORMAT_MIN 1
/* The version of cowtrace's JSON documents and JSON Lines (cowtrace.rst). */
#define COWTRACE_JSON_FORMAT 3

/* Exit codes besides COMMAND's own status. */
#define EXIT_RUNTIME 1		/* environment or module problem */
#define EXIT_USAGE 2		/* bad option */
#define EXIT_CANNOT_EXEC 126	/* COMMAND found but not executable */
#define EXIT_NOT_FOUND 127	/* COMMAND not found */

#define PAGE_BYTES 4096ULL
#define HUGE_BYTES (2ULL << 20)

/* What one unit of a counter is worth in bytes: nothing, a page, a huge page. */
enum cow_unit { UNIT_EVENT, UNIT_PAGE, UNIT_HUGE };

struct cow_counter_info {
	const char *name;
	const char *side;	/* "FORK" or "FAULT" */
	const char *meaning;
};

extern const struct cow_counter_info cow_counter_info[COWSTAT_NR_COUNTERS];

int cow_counter_index(const char *name);
/* Returns -1 when counters.h gained a counter units.c does not classify. */
int cow_counter_unit(int idx);
uint64_t cow_counter_bytes(int idx, uint64_t value);

/* One line "cowtrace: ..." on stderr; every error message goes through it. */
void cow_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Output options common to run and attach. */
struct cow_output {
	bool json;
	bool hist;
	bool all;		/* list zero counters too */
	bool timestamp;		/* -T: wall-clock time on interval reports */
	bool leader_only;	/* run: stop when COMMAND itself exits */
	bool to_stderr;		/* run: stdout is COMMAND's, the report goes to stderr */
	double interval;	/* -i SEC; 0 for none */
	const char *sep;	/* -x SEP: separated values instead of tables */
	const char *path;	/* -o FILE; NULL for stdout (stderr in run mode) */
	bool maps;		/* --maps: the per-mapping section (BPF backend) */
	size_t maps_top;	/* -n N: mappings shown one by one */
	bool events;		/* --events: the event stream (BPF backend) */
	unsigned int event_kinds;	/* --kind: mask of enum cow_event_kind; 0: all */
	const char *timeline;	/* --timeline FILE.svg (BPF backend); NULL: none */
	uint64_t min_latency_ns;	/* --min-latency: only faults this slow; 0: all */
};

/*
 * Opens the -o file, if any: called before tracking starts, so that an
 * unwritable path fails at once instead of after COMMAND ran.  Prints
 * the cause and returns -1 on failure.
 */
int cow_out_open(const struct cow_output *o);
/* Where the report goes: the -o file, else stderr in run mode, else stdout. */
FILE *cow_out(const struct cow_output *o);
/* Closes the -o file; one left empty (no report was written) is removed. */
int cow_out_close(void);

/* A user to run COMMAND as. */
struct cow_user {
	bool set;
	uid_t uid;
	gid_t gid;
	char name[64];		/* empty when the uid has no passwd entry */
	char home[256];
};

/*
 * Starting COMMAND (spawn.c): posix_spawn of this binary's "__spawn" stage,
 * which writes a byte to @ready_fd, waits for one on @go_fd, switches to @u
 * (if set) and execs @cmd.  A failure after go is a struct
 * cow_child_failure on @fail_fd (close-on-exec: EOF means COMMAND runs), or
 * with @fail_fd < 0 a line on stderr.  Returns 0 or a negative errno.
 */
enum cow_child_stage { COW_STAGE_GROUPS, COW_STAGE_SETGID, COW_STAGE_SETUID, COW_STAGE_EXEC };
struct cow_child_failure {
	int stage;
	int err;
};
int cow_spawn_command(char **cmd, const struct cow_user *u, int ready_fd, int go_fd,
		      int fail_fd, pid_t *pid);
/* main() for argv[1] == "__spawn" */
int cow_spawn_stage(int argc, char **argv);

int cmd_run(char **argv, const struct cow_output *o, const struct cow_user *u);
/* -p PIDs, or with cgroup (a path cow_cgroup_resolve() gave) its processes. */
int cmd_attach(const pid_t *pids, int nr_pids, const char *cgroup, double duration,
	       const struct cow_output *o);
int cmd_top(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);

/*
 * Option parsing shared by the subcommands: plain argp, with its own
 * messages for unknown, ambiguous or incomplete options and exit status
 * 2.  A subcommand's argv[0] ("top") is shown as "cowtrace top".
 */
struct argp;
struct argp_state;
void cow_parse_options(const struct argp *argp, int argc, char **argv, void *input);
/* Nothing to do any more (argp reports bad options itself); kept for callers. */
void cow_remember_bad_option(const struct argp_state *state);
void cow_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
double cow_parse_seconds(const char *arg, const char *opt);
long cow_parse_long(const char *arg, const char *opt, long min, long max);
void cow_print_help(const struct argp *argp, const char *prog);

/* CLOCK_BOOTTIME in ns: the clock of the module's start_ns and exit_ns. */
uint64_t cow_boottime_ns(void);
/* Kernel release (uname -r) into buf. */
void cow_kernel_release(char *buf, size_t len);

#endif /* COWTRACE_H */
