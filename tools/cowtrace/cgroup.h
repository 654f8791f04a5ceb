/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -c CGROUP (cgroup.c): the processes of a cgroup v2 subtree.
 */
#ifndef COWTRACE_CGROUP_H
#define COWTRACE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cowtrace.h"

/* A sorted set of PIDs (tgids). */
struct cow_pidset {
	pid_t *pids;
	size_t nr, cap;
};

/* The mount point of the first cgroup2 file system; -1 when none. */
int cow_cgroup2_mount(char *buf, size_t len);

/*
 * Turns -c's argument (absolute, or relative to the cgroup2 mount) into
 * the canonical path of a cgroup v2 directory whose cgroup.procs can be
 * read.  Prints the one-line cause and fix and returns -1 otherwise.
 */
int cow_cgroup_resolve(const char *arg, char *path, size_t len);

/*
 * Every process in path and its descendant cgroups (cgroup.procs,
 * recursively), sorted, into set (its old contents dropped).  Returns 0
 * or a negative errno (-ENOENT: the cgroup was removed).
 */
int cow_cgroup_read(const char *path, struct cow_pidset *set);
/* Is pid a kernel thread (PF_KTHREAD in /proc/PID/stat)? */
bool cow_is_kthread(pid_t pid);
bool cow_pidset_has(const struct cow_pidset *set, pid_t pid);
void cow_pidset_free(struct cow_pidset *set);

#endif /* COWTRACE_CGROUP_H */
