// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs source: reads the cowstat module's files under
 * /sys/kernel/debug/cowstat and starts track groups by writing to `track`.
 *
 * Testing aid: COWTRACE_DEBUGFS=DIR points cowtrace at a plain directory
 * of files in the debugfs formats instead ("fake debugfs").  There, writes
 * to `track` are appended to DIR/track.log instead of changing `track`, a
 * file DIR/track.errno (an errno name or number) makes them fail, and the
 * tokens @LEADER@ and @SELF@ in any file read stand for the first PID
 * cowtrace tracked and for cowtrace's own PID, so fixtures can describe
 * processes whose PIDs are only known at run time.  When DIR/procs.N
 * exists, the N-th read of `procs` returns it instead (N = 1, 2, ...), so
 * a test can show `top` a sequence of states.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cowtrace.h"
#include "source.h"
#include "bpf_source.h"

#define COWSTAT_DIR "/sys/kernel/debug/cowstat"
#define DEBUGFS_MAGIC_NUMBER 0x64626720

/* Whole file into a NUL-terminated buffer; debugfs files report size 0. */
static int read_whole(const char *path, char **text)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/* Fake debugfs only: replace @LEADER@ and @SELF@ by PIDs. */
static char *substitute(const struct cow_source *s, char *text)
{
	static const char *const tokens[] = { "@LEADER@", "@SELF@" };
	char *out = text;

	for (size_t t = 0; t < 2; t++) {
		char num[24], *p, *res;
		size_t tlen = strlen(tokens[t]), count = 0;

		snprintf(num, sizeof(num), "%d", t ? (int)getpid() : (int)s->first_tracked);
		for (p = strstr(out, tokens[t]); p; p = strstr(p + tlen, tokens[t]))
			count++;
		if (!count)
			continue;
		res = malloc(strlen(out) + count * strlen(num) + 1);
		if (!res)
			continue;
		res[0] = '\0';
		for (char *from = out; ; ) {
			p = strstr(from, tokens[t]);
			if (!p) {
				strcat(res, from);
				break;
			}
			strncat(res, from, p - from);
			strcat(res, num);
			from = p + tlen;
		}
		free(out);
		out = res;
	}
	return out;
}

static int read_file(struct cow_source *s, const char *name, char **text)
{
	char path[PATH_MAX + 32];
	int err;

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	err = read_whole(path, text);
	if (!err && s->fake)
		*text = substitute(s, *text);
	return err;
}

static int read_table(struct cow_source *s, const char *name, struct cow_table *t)
{
	char *text;
	int err = read_file(s, name, &text);

	if (err) {
		memset(t, 0, sizeof(*t));
		snprintf(t->err, sizeof(t->err), "%s", strerror(-err));
		return err;
	}
	err = cow_table_parse(text, t);
	free(text);
	return err;
}

static int debugfs_read_procs(struct cow_source *s, struct cow_table *t)
{
	char name[32], path[PATH_MAX + 32];

	if (s->fake) {
		snprintf(name, sizeof(name), "procs.%u", ++s->fake_procs_reads);
		snprintf(path, sizeof(path), "%s/%s", s->dir, name);
		if (!access(path, R_OK))
			return read_table(s, name, t);
	}
	return read_table(s, "procs", t);
}

static int debugfs_read_groups(struct cow_source *s, struct cow_table *t)
{
	size_t len = 0, cap = 4096;
	char *buf;
	int err = 0;

	if (s->fake || s->track_fd < 0)
		return read_table(s, "track", t);
	/* Through our own fd: the module shows our groups, ended ones too. */
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (lseek(s->track_fd, 0, SEEK_SET) < 0)
		err = -errno;
	while (!err) {
		ssize_t n;

		if (cap - len < 2) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(s->track_fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		else if (n == 0)
			break;
		else
			len += n;
	}
	if (err) {
		memset(t, 0, sizeof(*t));
		snprintf(t->err, sizeof(t->err), "%s", strerror(-err));
		free(buf);
		return err;
	}
	buf[len] = '\0';
	err = cow_table_parse(buf, t);
	free(buf);
	return err;
}

static int debugfs_read_stats(struct cow_source *s, struct cow_stats *st)
{
	char *text;
	int err = read_file(s, "stats", &text);

	if (err)
		return err;
	err = cow_stats_parse(text, st);
	free(text);
	return err;
}

static int debugfs_read_probes(struct cow_source *s, struct cow_probes *p)
{
	char *text;
	int err = read_file(s, "probes", &text);

	if (err)
		return err;
	err = cow_probes_parse(text, p);
	free(text);
	return err;
}

static int debugfs_read_latency(struct cow_source *s, struct cow_latency *l,
				const uint64_t *gens, size_t nr_gens)
{
	char *text;
	int err = read_file(s, "latency", &text);

	if (err)
		return err;
	err = cow_latency_parse(text, l, gens, nr_gens);
	free(text);
	return err;
}

static int errno_by_name(const char *name)
{
	static const struct {
		const char *name;
		int err;
	} names[] = {
		{ "EINVAL", EINVAL }, { "ESRCH", ESRCH }, { "ENOSPC", ENOSPC },
		{ "EPERM", EPERM }, { "EACCES", EACCES }, { "ENOMEM", ENOMEM },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name))
			return names[i].err;
	return cow_parse_u64(name, &v) && v > 0 && v < 4096 ? (int)v : EINVAL;
}

/* Fake debugfs: log the control write, or fail it as track.errno says. */
static int fake_write(struct cow_source *s, const char *cmd)
{
	char path[PATH_MAX + 32], *text;
	FILE *log;

	snprintf(path, sizeof(path), "%s/track.errno", s->dir);
	if (!read_whole(path, &text)) {
		int err;

		text[strcspn(text, " \t\n")] = '\0';
		err = errno_by_name(text);
		free(text);
		return -err;
	}
	snprintf(path, sizeof(path), "%s/track.log", s->dir);
	log = fopen(path, "ae");
	if (log) {
		fprintf(log, "%s\n", cmd);
		fclose(log);
	}
	return 0;
}

static int track_write(struct cow_source *s, const char *cmd)
{
	char path[PATH_MAX + 32];
	ssize_t n;

	if (s->fake)
		return fake_write(s, cmd);
	if (s->track_fd < 0) {
		snprintf(path, sizeof(path), "%s/track", s->dir);
		s->track_fd = open(path, O_RDWR | O_CLOEXEC);
		if (s->track_fd < 0)
			return -errno;
	}
	n = write(s->track_fd, cmd, strlen(cmd));
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(cmd) ? 0 : -EIO;
}

static int debugfs_track_start(struct cow_source *s, pid_t pid, uint64_t start, uint64_t end)
{
	char cmd[80];
	int err;

	/* The module checks too; this makes the fake debugfs behave alike. */
	if (s->fake && kill(pid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	if (end > start)
		snprintf(cmd, sizeof(cmd), "%d 0x%llx 0x%llx", (int)pid,
			 (unsigned long long)start, (unsigned long long)end);
	else
		snprintf(cmd, sizeof(cmd), "%d", (int)pid);
	err = track_write(s, cmd);
	if (!err && !s->first_tracked)
		s->first_tracked = pid;
	return err;
}

static int debugfs_track_end(struct cow_source *s, pid_t pid)
{
	char cmd[24];

	snprintf(cmd, sizeof(cmd), "-%d", (int)pid);
	return track_write(s, cmd);
}

static void debugfs_close(struct cow_source *s)
{
	/* Closing the file ends every group it created (interfaces.rst). */
	if (s->track_fd >= 0)
		close(s->track_fd);
	else if (s->fake && s->first_tracked)
		fake_write(s, "close");
	s->track_fd = -1;
}

static const struct cow_source_ops debugfs_ops = {
	.name = "debugfs",
	.read_procs = debugfs_read_procs,
	.read_groups = debugfs_read_groups,
	.read_stats = debugfs_read_stats,
	.read_probes = debugfs_read_probes,
	.read_latency = debugfs_read_latency,
	.track_start = debugfs_track_start,
	.track_end = debugfs_track_end,
	.close = debugfs_close,
};

static bool debugfs_mounted(const char *mnt, bool fake)
{
	struct statfs sfs;
	struct stat st;

	if (fake)
		return !stat(mnt, &st) && S_ISDIR(st.st_mode);
	return !statfs(mnt, &sfs) && sfs.f_type == DEBUGFS_MAGIC_NUMBER;
}

static void need_root(const struct cow_source *s)
{
	cow_err("%s is readable by root only: run cowtrace as root (sudo cowtrace ...)", s->dir);
}

int cow_source_open(struct cow_source *s)
{
	const char *env = getenv("COWTRACE_DEBUGFS");
	char parent[PATH_MAX], modver[64];
	struct stat st;
	char *text;
	int err, format;

	if (cow_backend_is_bpf())
		return cow_bpf_source_open(s);
	memset(s, 0, sizeof(*s));
	s->ops = &debugfs_ops;
	s->track_fd = -1;
	s->fake = env && *env;
	snprintf(s->dir, sizeof(s->dir), "%s", s->fake ? env : COWSTAT_DIR);

	if (!s->fake && geteuid() != 0) {
		need_root(s);
		return -EACCES;
	}
	err = stat(s->dir, &st) < 0 ? -errno : 0;
	if (err == -EACCES) {
		need_root(s);
		return -EACCES;
	}
	if (err || !S_ISDIR(st.st_mode)) {
		snprintf(parent, sizeof(parent), "%s", s->dir);
		dirname(parent);
		if (!debugfs_mounted(parent, s->fake)) {
			cow_err("debugfs is not mounted at %s: mount it (mount -t debugfs none %s)",
				parent, parent);
			return -ENODEV;
		}
		cow_err("%s not found: load the module (insmod cowstat.ko)", s->dir);
		return -ENOENT;
	}
	err = read_file(s, "version", &text);
	if (err == -EACCES || err == -EPERM) {
		need_root(s);
		return -EACCES;
	}
	if (err) {
		cow_err("cannot read %s/version: %s: reload the module (rmmod cowstat; insmod cowstat.ko)",
			s->dir, strerror(-err));
		return -EIO;
	}
	err = cow_version_parse(text, modver, sizeof(modver), &format);
	free(text);
	if (err) {
		cow_err("%s/version is not 'cowstat VERSION format N': load a cowstat module built from this tree",
			s->dir);
		return -EPROTO;
	}
	if (format < COWTRACE_DEBUGFS_FORMAT_MIN || format > COWTRACE_DEBUGFS_FORMAT) {
		cow_err("the module speaks debugfs format %d, this cowtrace formats %d to %d: use the cowtrace built with the module",
			format, COWTRACE_DEBUGFS_FORMAT_MIN, COWTRACE_DEBUGFS_FORMAT);
		return -EPROTO;
	}
	snprintf(s->modver, sizeof(s->modver), "%s", modver);
	s->format = format;
	return 0;
}

int cow_source_snapshot(struct cow_source *s, struct cow_table *t)
{
	int err;

	if (!s->fake)
		return s->ops->read_procs(s, t);
	err = read_table(s, "procs.before", t);
	if (err == -ENOENT) {
		memset(t, 0, sizeof(*t));
		return 0;
	}
	return err;
}

int cow_source_latency_snapshot(struct cow_source *s, struct cow_latency *l)
{
	char *text;
	int err;

	if (!s->fake)
		return s->ops->read_latency(s, l, NULL, 0);
	err = read_file(s, "latency.before", &text);
	if (err == -ENOENT) {
		memset(l, 0, sizeof(*l));
		return 0;
	}
	if (err)
		return err;
	err = cow_latency_parse(text, l, NULL, 0);
	free(text);
	return err;
}

uint64_t cow_source_group_gen(struct cow_source *s, pid_t pid)
{
	struct cow_table t;
	uint64_t gen = 0;

	if (s->ops->read_groups(s, &t))
		return 0;
	for (size_t i = 0; i < t.nr; i++)
		if (t.rows[i].tgid == pid && t.rows[i].gen > gen)
			gen = t.rows[i].gen;
	cow_table_free(&t);
	return gen;
}

void cow_source_close(struct cow_source *s)
{
	if (s->ops)
		s->ops->close(s);
}

const char *cow_track_strerror(int err)
{
	switch (err) {
	case ESRCH:
		return "no such process: check the PID (ps -p PID)";
	case ENOSPC:
		return "no free track group left in the module: end another cowtrace session";
	case EINVAL:
		return "the module rejected the track request: the PID must name a process, not one of its threads or a kernel thread";
	case EACCES:
	case EPERM:
		return "permission denied: run cowtrace as root (sudo cowtrace ...)";
	default:
		return strerror(err);
	}
}
