/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared harness of the VM scenario tests (tests/scenarios/sNN-*.c).
 *
 * Every scenario is a small program that runs inside the test VM with
 * cowstat.ko loaded, builds a deterministic workload on a region R of its
 * own, asserts the exact counts cowstat gives for R and cross-checks them
 * against sources the kernel keeps anyway (/proc/vmstat, smaps, status,
 * stat, pagemap, meminfo).  It prints exactly one result line:
 *
 *   PASS vm/<kver>/<name>
 *   FAIL vm/<kver>/<name>: expected X=a got b; ...
 *   SKIP vm/<kver>/<name>: why
 *
 * The rules of kernel-hooks.md §6.1 are built in:
 *   H1  cs_init() pins the process (and so every child) to CPU 0;
 *   H2  cs_region() maps R with a guard page on each side, 2 MB aligned, in a
 *       512 GB slot of its own (so its page tables are its own: fork
 *       allocates exactly PUD + PMD + PTE tables for it), MADV_NOHUGEPAGE;
 *   H3  cs_track() opens a range-filtered group per region and process;
 *   H4  sequencing with pipes (cs_chan) and waitpid;
 *   H6  cs_quiesce() makes the harness's own pages exclusive before a
 *       measured phase, so vmstat and minflt deltas see only the workload;
 *   H7  pgreuse is machine-wide, so no other process of the scenario may
 *       fault inside a measured window: a process quiesces before it wakes
 *       the one that measures, takes every reading before it wakes another,
 *       and a new child is settled before its parent goes on
 *       (cs_fork_writer()).  A child's start-up writes after its parent and
 *       a sibling have copied a page are reuses, and its parent's return
 *       from a blocking read() writes its stack and rseq area.
 */
#ifndef COWSTAT_TESTS_LIB_H
#define COWSTAT_TESTS_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cowstat/counters.h>

#define N_PAGES 256	/* H2: pages in R */
#define K_PAGES 100	/* H2: pages a second writer touches */
#define PAGE 4096UL
#define HPAGE (2UL << 20)

/* cs_init() flags */
#define CS_TRACE_FORKS	0x1	/* run under a tracer that snapshots each fork child */
#define CS_NO_PIN	0x2	/* do not pin to one CPU (multi-threaded tests) */

void cs_init(const char *name, unsigned int flags);
/* Records one failed assertion; the scenario goes on and reports them all. */
void cs_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the SKIP line and exits: only for what this kernel cannot do. */
void cs_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Prints the one result line; returns the exit status for main(). */
int cs_finish(void);
/* Harness breakage (not a result): reports FAIL with errno and exits. */
void cs_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* "6.1", "6.12", ...; and whether the running kernel is at least major.minor */
const char *cs_kver(void);
int cs_kernel_at_least(int major, int minor);
/* SKIP (named) when this kernel has no THP or they are disabled. */
void cs_need_thp(void);

/* ---- regions (H2) ---- */
/*
 * Maps npages at slot @slot (0..31) with a PROT_NONE guard page on each
 * side.  @flags/@fd/@off as for mmap (MAP_FIXED is added).  @nohuge applies
 * MADV_NOHUGEPAGE.  Returns the 2 MB aligned start of R.
 */
char *cs_region(int slot, size_t npages, int prot, int flags, int fd,
		off_t off, int nohuge);
void cs_write_pages(char *r, size_t first, size_t count, int value);
unsigned long cs_read_pages(const char *r, size_t first, size_t count);

/* ---- track groups (H3) ---- */
/* A counter the module shows as "-" (unavailable), as read by cs_group_read */
#define CS_UNAVAILABLE (-0x7fffffffffffffffLL - 1)

struct cs_group {
	int fd;
	long long gen;
	pid_t pid;
	uintptr_t start, end;	/* both 0: unfiltered */
};

struct cs_exp {
	const char *name;
	long long val;
};

/* A group for @pid and its later descendants, events in [start, end). */
void cs_track(struct cs_group *g, pid_t pid, const void *start, const void *end);
void cs_untrack(struct cs_group *g);
void cs_group_read(struct cs_group *g, long long val[COWSTAT_NR_COUNTERS]);
long long cs_group_get(struct cs_group *g, const char *counter);
/*
 * Asserts every counter of the group: those named in @exp (terminated by a
 * NULL name) have their value, every other counter is 0; a counter the
 * module shows as "-" must be one that probes calls unavailable (it is not
 * compared, and the PASS line names it).  The sums of
 * counters.h (fork_pages_shared, cow_copies, cow_reuses) are filled in from
 * their parts unless @exp names them.
 */
void cs_expect_group(const char *label, struct cs_group *g,
		     const struct cs_exp *exp);
int cs_counter_index(const char *name);
/*
 * The reason the module gives for @counter being unavailable on this
 * kernel (e.g. "finish_mkwrite_fault:-ENOENT"), or NULL when it counts it.
 * The string is valid until the next call.
 */
const char *cs_unavailable(const char *counter);
/* The group's state column ("active" or "ended"); "" when it has no row. */
const char *cs_group_state(struct cs_group *g);
/* The group's initiator_remote column (tgid of the last remote initiator). */
long long cs_group_initiator(struct cs_group *g);
/* Rows of the procs file with this tgid and birth ("fork", "exec", "seen"). */
int cs_procs_count(pid_t tgid, const char *birth);
extern const char *const cs_counter_names[COWSTAT_NR_COUNTERS];

/* ---- fork with cross-checks ---- */
/*
 * Forks with a raw syscall (no atfork noise).  Under CS_TRACE_FORKS the
 * child is snapshotted by the tracer before it runs one user instruction,
 * and the fork counters of an unfiltered group around this one fork are
 * asserted against that snapshot (fork_pt_pages == VmPTE/4, pages shared +
 * eager copies == smaps Rss, per type == RssAnon/RssFile/RssShmem (exact
 * for a child that has not run: fork adds to its counters directly),
 * swap entries == VmSwap, hugetlb pages == HugetlbPages, VMAs visited == VMAs in the child minus
 * the @wiped MADV_WIPEONFORK ones).
 */
pid_t cs_fork(int wiped);

struct cs_vma_stat {
	unsigned long start, end;
	long rss, anon, shared_dirty, private_dirty, anon_huge;
	long shared_hugetlb, private_hugetlb;
	long swap;
};

#define CS_SNAP_VMAS 96
struct cs_snap {
	int pid;
	int valid;
	long vmpte_kb, hugetlb_kb, rss_kb, anon_kb;
	long rss_anon_kb, rss_file_kb, rss_shmem_kb;	/* /proc/PID/status */
	long swap_kb;					/* VmSwap */
	int nvmas;
	struct cs_vma_stat vma[CS_SNAP_VMAS];
};
/* The tracer's snapshot of a child taken at its fork (NULL if none). */
const struct cs_snap *cs_fork_snapshot(pid_t pid);
const struct cs_vma_stat *cs_snap_vma(const struct cs_snap *s, const void *start);

int cs_wait_exit(pid_t pid);	/* waitpid; returns the raw status */
void cs_expect_exit0(const char *who, pid_t pid);

/* ---- cross-check sources (§5) ---- */
long long cs_vmstat(const char *key);
long long cs_meminfo(const char *key);
long cs_status_kb(pid_t pid, const char *key);	/* e.g. "VmPTE" */
long long cs_minflt(pid_t pid);
/* smaps of the VMA that starts at @start; returns 0 when found */
int cs_smaps(pid_t pid, const void *start, struct cs_vma_stat *out);
int cs_map_count(pid_t pid);
uint64_t cs_pagemap(pid_t pid, const void *addr);	/* raw pagemap entry */
#define PM_PFN(e) ((e) & ((1ULL << 55) - 1))
#define PM_EXCLUSIVE(e) (((e) >> 56) & 1)
#define PM_PRESENT(e) (((e) >> 63) & 1)

/* Touches the harness's own pages so that only the workload faults. */
void cs_quiesce(void);

/* Checks a == b, recording "<what>=a got b" otherwise. */
#define CS_EQ(what, expected, got)					\
	do {								\
		long long e__ = (expected), g__ = (got);		\
		if (e__ != g__)						\
			cs_fail("expected %s=%lld got %lld", (what), e__, g__); \
	} while (0)

/* ---- sequencing (H4) ---- */
struct cs_chan {
	int to_child[2], to_parent[2];
};
void cs_chan_init(struct cs_chan *c);
void cs_chan_child(struct cs_chan *c);		/* in the child: keep its ends */
void cs_chan_parent(struct cs_chan *c);		/* in the parent: keep its ends */
void cs_tell_child(struct cs_chan *c, long v);
long cs_wait_parent(struct cs_chan *c);		/* child side */
void cs_tell_parent(struct cs_chan *c, long v);	/* child side */
long cs_wait_child(struct cs_chan *c);

/*
 * A child that writes pages of @r on request: cs_fork_writer() forks it
 * (cs_fork(@wiped)) and returns once it is settled (H7); cs_child_writer()
 * runs in the child and never returns; cs_child_write() asks it to write
 * @count pages from @first (value @value) and returns its minflt and pgreuse
 * deltas over the writes; cs_child_exit() lets it exit.
 */
pid_t cs_fork_writer(struct cs_chan *c, char *r, int wiped);
void cs_child_writer(struct cs_chan *c, char *r) __attribute__((noreturn));
void cs_child_write(struct cs_chan *c, long first, long count, int value,
		    long long *minflt_delta, long long *pgreuse_delta);
void cs_child_exit(struct cs_chan *c);

/* sysfs/procfs knobs the scenario changes and restores */
int cs_read_file(const char *path, char *buf, size_t len);
int cs_write_file(const char *path, const char *val);

/* ---- the module itself (d* scenarios) ---- */
/*
 * finit_module of $COWSTAT_KO (exported by the test VM) with @params;
 * returns 0 or -1 with errno set.  cs_module_unload() is rmmod (O_NONBLOCK).
 */
int cs_module_load(const char *params);
int cs_module_unload(void);

#endif
