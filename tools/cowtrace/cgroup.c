// SPDX-License-Identifier: GPL-2.0
/*
 * -c CGROUP: which processes a cgroup v2 directory and its descendants
 * hold, for attach (attach.c) and top (top.c).
 *
 * Only the file system is read: the cgroup2 mount from
 * /proc/self/mountinfo (to resolve a relative CGROUP), statfs() to tell a
 * cgroup v2 directory from a v1 hierarchy or a plain directory, and
 * cgroup.procs in the directory and every directory below it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup.h"

/* include/uapi/linux/magic.h */
#define COW_CGROUP_SUPER_MAGIC 0x27e0eb
#define COW_CGROUP2_SUPER_MAGIC 0x63677270
/* include/linux/sched.h */
#define COW_PF_KTHREAD 0x00200000

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

int cow_cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE ... */
		char *sep = strstr(line, " - "), *mnt = line, *end;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		for (int i = 0; i < 4 && mnt; i++) {
			mnt = strchr(mnt, ' ');
			if (mnt)
				mnt++;
		}
		if (!mnt || !(end = strchr(mnt, ' ')))
			continue;
		*end = '\0';
		unescape(mnt);
		snprintf(buf, len, "%s", mnt);
		found = 0;
	}
	fclose(f);
	return found;
}

int cow_cgroup_resolve(const char *arg, char *path, size_t len)
{
	char mnt[PATH_MAX], joined[PATH_MAX * 2], *real;
	struct statfs sfs;
	struct stat st;
	bool have_mnt = !cow_cgroup2_mount(mnt, sizeof(mnt));

	if (!*arg) {
		cow_err("-c wants a cgroup v2 directory, not ''");
		return -1;
	}
	if (arg[0] == '/') {
		snprintf(joined, sizeof(joined), "%s", arg);
	} else if (!have_mnt) {
		cow_err("-c %s: no cgroup2 file system is mounted to find it in: mount one (mount -t cgroup2 none /sys/fs/cgroup) or give an absolute path",
			arg);
		return -1;
	} else {
		snprintf(joined, sizeof(joined), "%s/%s", mnt, arg);
	}
	if (stat(joined, &st)) {
		cow_err("-c: no cgroup %s: %s: give a cgroup v2 directory%s%s", joined,
			strerror(errno), have_mnt ? " under " : "", have_mnt ? mnt : "");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		cow_err("-c: %s is not a directory: give a cgroup v2 directory%s%s", joined,
			have_mnt ? " under " : "", have_mnt ? mnt : "");
		return -1;
	}
	if (statfs(joined, &sfs)) {
		cow_err("-c: cannot statfs %s: %s", joined, strerror(errno));
		return -1;
	}
	if (sfs.f_type == COW_CGROUP_SUPER_MAGIC) {
		cow_err("-c: %s is in a cgroup v1 hierarchy: cowtrace follows cgroup v2 only; give a directory %s%s",
			joined, have_mnt ? "under " : "of a cgroup2 mount (mount -t cgroup2)",
			have_mnt ? mnt : "");
		return -1;
	}
	if (sfs.f_type != COW_CGROUP2_SUPER_MAGIC) {
		cow_err("-c: %s is not a cgroup: give a directory %s%s", joined,
			have_mnt ? "under the cgroup2 mount " :
			"of a cgroup2 file system (none is mounted: mount -t cgroup2 none /sys/fs/cgroup)",
			have_mnt ? mnt : "");
		return -1;
	}
	real = realpath(joined, NULL);
	snprintf(path, len, "%s", real ? real : joined);
	free(real);
	/* Readable now, or the first rescan would be the first to say so. */
	snprintf(joined, sizeof(joined), "%s/cgroup.procs", path);
	if (access(joined, R_OK)) {
		cow_err("-c: cannot read %s: %s: run cowtrace as root or give a cgroup you can read",
			joined, strerror(errno));
		return -1;
	}
	return 0;
}

static int add_pid(struct cow_pidset *set, pid_t pid)
{
	if (set->nr == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		pid_t *p = realloc(set->pids, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		set->pids = p;
		set->cap = cap;
	}
	set->pids[set->nr++] = pid;
	return 0;
}

static int read_procs(int dirfd, struct cow_pidset *set)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	char buf[4096], num[16];
	size_t nlen = 0;
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && !err; i++) {
			if (buf[i] >= '0' && buf[i] <= '9' && nlen < sizeof(num) - 1) {
				num[nlen++] = buf[i];
			} else if (buf[i] == '\n' && nlen) {
				num[nlen] = '\0';
				err = add_pid(set, (pid_t)strtol(num, NULL, 10));
				nlen = 0;
			}
		}
	}
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The directory's own processes, then every child cgroup's. */
static int walk(int dirfd, struct cow_pidset *set, int depth)
{
	DIR *d;
	struct dirent *e;
	int err = read_procs(dirfd, set), fd;

	if (err || depth > 64)
		return err;
	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		int sub;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;	/* removed while we looked */
		err = walk(sub, set, depth + 1);
		close(sub);
		/* A child cgroup removed in the meantime held nobody. */
		if (err == -ENOENT || err == -ENODEV)
			err = 0;
		if (err)
			break;
	}
	closedir(d);
	return err;
}

bool cow_is_kthread(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long flags = 0;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* pid (comm) state ppid pgrp session tty tpgid flags: comm may hold spaces. */
	p = p ? strrchr(buf, ')') : NULL;
	for (field = 2; p && field < 9; field++) {
		p = strchr(p + 1, ' ');
		if (p && field == 8)
			flags = strtoul(p + 1, NULL, 10);
	}
	return flags & COW_PF_KTHREAD;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

int cow_cgroup_read(const char *path, struct cow_pidset *set)
{
	int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;
	size_t out = 0;

	set->nr = 0;
	if (dirfd < 0)
		return -errno;
	err = walk(dirfd, set, 0);
	close(dirfd);
	if (err)
		return err;
	qsort(set->pids, set->nr, sizeof(*set->pids), cmp_pid);
	for (size_t i = 0; i < set->nr; i++)
		if (!out || set->pids[out - 1] != set->pids[i])
			set->pids[out++] = set->pids[i];
	set->nr = out;
	return 0;
}

bool cow_pidset_has(const struct cow_pidset *set, pid_t pid)
{
	size_t lo = 0, hi = set->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (set->pids[mid] == pid)
			return true;
		if (set->pids[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void cow_pidset_free(struct cow_pidset *set)
{
	free(set->pids);
	memset(set, 0, sizeof(*set));
}
