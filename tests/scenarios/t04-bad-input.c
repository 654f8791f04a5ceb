// SPDX-License-Identifier: GPL-2.0
/*
 * T4: every writable debugfs file (track, reset, timing) refuses bad input
 * with a clear errno and changes nothing (Documentation/interfaces.rst).
 *
 *  - garbage, a 1 MiB write, an empty write, a write from a bad address,
 *    a NUL in the middle, a command one byte too long: EINVAL (EFAULT for
 *    the bad address), and the groups, the counters and the timing switch
 *    are as before;
 *  - the file position: pwrite to track and timing (seq_files) is ESPIPE;
 *    a write after a read moved the position is carried out (the
 *    position belongs to the reader); a command split over two writes is
 *    two commands, each judged on its own ("-" then "PID" is EINVAL, then
 *    a group);
 *  - track PIDs: negative ("-PID" of a process that leads no group: ESRCH),
 *    zero, "-0", "--1", "+1", overflowing: EINVAL; nonexistent and beyond
 *    PID_MAX_LIMIT: ESRCH; a thread id that is not its process's: EINVAL
 *    (a group it started could not be ended with "-TID"); a kernel thread
 *    (kthreadd, PID 2): EINVAL;
 *  - concurrent writers: 8 threads start and end groups on files of their
 *    own, write garbage to all three files and read track, procs and stats
 *    for 2 s; every write gets 0 or the errno its input calls for, and
 *    afterwards no group is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "lib.h"

#define DIR "/sys/kernel/debug/cowstat/"
#define NTHREADS 8

static char stats[16 << 10];

static long long stat_of(const char *name)
{
	char key[64];
	const char *p;

	stats[0] = '\n';
	if (cs_read_file(DIR "stats", stats + 1, sizeof(stats) - 1))
		cs_die("read stats");
	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(stats, key);
	if (!p)
		cs_die("no %s in stats", name);
	return atoll(p + strlen(key));
}

static int timing(void)
{
	char v[8];

	if (cs_read_file(DIR "timing", v, sizeof(v)))
		cs_die("read timing");
	return v[0] == '1';
}

/* write(2) of @len bytes; returns 0 or the errno. */
static int wr(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return errno;
	if ((size_t)n != len)
		cs_fail("write of %zu bytes returned %zd", len, n);
	return 0;
}

static int wr_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;

	if (fd < 0)
		cs_die("open %s", path);
	err = wr(fd, buf, len);
	close(fd);
	return err;
}

static int wr_str(const char *path, const char *s)
{
	return wr_file(path, s, strlen(s));
}

/* What must not change under refused writes. */
struct state {
	long long groups, forks;
	int timing;
};

static void snap(struct state *s)
{
	s->groups = stat_of("groups");
	s->forks = stat_of("forks");
	s->timing = timing();
}

static void expect_unchanged(const char *label, const struct state *a)
{
	struct state b;

	snap(&b);
	if (a->groups != b.groups)
		cs_fail("%s: groups %lld -> %lld", label, a->groups, b.groups);
	if (b.forks < a->forks || !b.forks)
		cs_fail("%s: forks %lld -> %lld (reset?)", label, a->forks,
			b.forks);
	if (a->timing != b.timing)
		cs_fail("%s: timing %d -> %d", label, a->timing, b.timing);
}

#define EXPECT_ERR(label, want, got)					\
	do {								\
		int w__ = (want), g__ = (got);				\
		if (w__ != g__)						\
			cs_fail("%s: expected %s got %s", (label),	\
				w__ ? strerror(w__) : "success",	\
				g__ ? strerror(g__) : "success");	\
	} while (0)

static volatile int stop;
static long long thread_writes[NTHREADS];

static void *thread_tid(void *arg)
{
	pid_t *tid = arg;

	*tid = syscall(SYS_gettid);
	while (!stop)
		usleep(1000);
	return NULL;
}

/* Start/end groups, write garbage, read: every errno as its input says. */
static void *writer(void *arg)
{
	long id = (long)arg;
	char cmd[64], end[64], buf[4096];
	long long n = 0;
	int err;

	snprintf(cmd, sizeof(cmd), "%d\n", getpid());
	snprintf(end, sizeof(end), "-%d\n", getpid());
	while (!stop) {
		int fd = open(DIR "track", O_RDWR | O_CLOEXEC);

		if (fd < 0)
			cs_die("open track");
		err = wr(fd, cmd, strlen(cmd));
		/* 16 slots, 8 writers with one group each */
		if (err)
			cs_fail("writer %ld: start: %s", id, strerror(err));
		if (pread(fd, buf, sizeof(buf), 0) < 0)
			cs_fail("writer %ld: read track: %s", id,
				strerror(errno));
		err = wr(fd, "garbage\n", 8);
		if (err != EINVAL)
			cs_fail("writer %ld: garbage to track: %s", id,
				strerror(err));
		err = wr(fd, end, strlen(end));
		if (err)
			cs_fail("writer %ld: end: %s", id, strerror(err));
		close(fd);
		err = wr_str(DIR "reset", "2\n");
		if (err != EINVAL)
			cs_fail("writer %ld: '2' to reset: %s", id,
				strerror(err));
		err = wr_str(DIR "timing", "yes\n");
		if (err != EINVAL)
			cs_fail("writer %ld: 'yes' to timing: %s", id,
				strerror(err));
		fd = open(DIR "procs", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
		n += 5;
	}
	thread_writes[id] = n;
	return NULL;
}

int main(void)
{
	static const char *const garbage[] = {
		"abc", "abc\n", " ", "\n", "\n\n", "1 2", "1 2 3 4", "0x10",
		"12abc", "1.5", "-", "--1", "+1", "0", "-0", "00", "-abc",
		"2147483648", "99999999999999999999", "-2147483649",
		"1 0x 0x10", "1 8192 4096", "1 4096 4096", "1 -1 4096",
		"1 4096 0x", "1 0x1000 0xfffffffffffffffff",
	};
	static const char *const reset_garbage[] = {
		"0", "2", "11", "1 ", " 1", "1\n\n", "yes", "\n", "0x1", "-1",
	};
	static const char *const timing_garbage[] = {
		"2", "yes", "y", "on", "off", "10", "01", " 1", "1 ", "1\n\n",
		"true", "\n",
	};
	static char big[1 << 20];
	pthread_t th[NTHREADS], tt;
	char cmd[160], label[200];
	struct state st;
	pid_t dead, tid = 0;
	long long total = 0;
	size_t i;
	int fd, t0;
	char *bad;

	cs_init("t04-bad-input", CS_NO_PIN);
	t0 = timing();
	snap(&st);
	if (st.groups)
		cs_die("groups %lld at the start: another tracer is running",
		       st.groups);

	/* garbage to track: EINVAL, nothing changes */
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		snprintf(label, sizeof(label), "track '%s'", garbage[i]);
		EXPECT_ERR(label, EINVAL, wr_str(DIR "track", garbage[i]));
	}
	for (i = 0; i < sizeof(reset_garbage) / sizeof(reset_garbage[0]); i++) {
		snprintf(label, sizeof(label), "reset '%s'", reset_garbage[i]);
		EXPECT_ERR(label, EINVAL, wr_str(DIR "reset", reset_garbage[i]));
	}
	for (i = 0; i < sizeof(timing_garbage) / sizeof(timing_garbage[0]); i++) {
		snprintf(label, sizeof(label), "timing '%s'",
			 timing_garbage[i]);
		EXPECT_ERR(label, EINVAL,
			   wr_str(DIR "timing", timing_garbage[i]));
	}
	expect_unchanged("after garbage", &st);

	/* sizes and addresses: 1 MiB, empty, 128 bytes, NUL, bad pointer */
	memset(big, '1', sizeof(big));
	EXPECT_ERR("1 MiB to track", EINVAL, wr_file(DIR "track", big, sizeof(big)));
	EXPECT_ERR("1 MiB to reset", EINVAL, wr_file(DIR "reset", big, sizeof(big)));
	EXPECT_ERR("1 MiB to timing", EINVAL, wr_file(DIR "timing", big, sizeof(big)));
	EXPECT_ERR("empty write to track", EINVAL, wr_file(DIR "track", big, 0));
	EXPECT_ERR("empty write to reset", EINVAL, wr_file(DIR "reset", big, 0));
	EXPECT_ERR("empty write to timing", EINVAL, wr_file(DIR "timing", big, 0));
	/* a valid PID padded with spaces to 128 bytes: one byte too long */
	memset(cmd, ' ', sizeof(cmd));
	snprintf(cmd, sizeof(cmd), "%d", getpid());
	cmd[strlen(cmd)] = ' ';
	EXPECT_ERR("128-byte command to track", EINVAL,
		   wr_file(DIR "track", cmd, 128));
	EXPECT_ERR("'1\\0' to reset", EINVAL, wr_file(DIR "reset", "1\0", 2));
	EXPECT_ERR("'1\\0' to timing", EINVAL, wr_file(DIR "timing", "1\0", 2));
	snprintf(cmd, sizeof(cmd), "%d", getpid());
	EXPECT_ERR("'PID\\0' to track", EINVAL,
		   wr_file(DIR "track", cmd, strlen(cmd) + 1));
	bad = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad == MAP_FAILED)
		cs_die("mmap");
	EXPECT_ERR("track from an unreadable page", EFAULT,
		   wr_file(DIR "track", bad, 4));
	EXPECT_ERR("reset from an unreadable page", EFAULT,
		   wr_file(DIR "reset", bad, 2));
	EXPECT_ERR("timing from an unreadable page", EFAULT,
		   wr_file(DIR "timing", bad, 2));
	expect_unchanged("after sizes and addresses", &st);

	/* PIDs */
	dead = syscall(SYS_fork);
	if (dead == 0)
		_exit(0);
	cs_wait_exit(dead);
	snprintf(cmd, sizeof(cmd), "%d\n", dead);
	EXPECT_ERR("track PID that does not exist", ESRCH, wr_str(DIR "track", cmd));
	EXPECT_ERR("track PID beyond PID_MAX_LIMIT", ESRCH,
		   wr_str(DIR "track", "4194305\n"));
	EXPECT_ERR("track INT_MAX", ESRCH, wr_str(DIR "track", "2147483647\n"));
	snprintf(cmd, sizeof(cmd), "-%d\n", getpid());
	EXPECT_ERR("'-PID' of a process leading no group", ESRCH,
		   wr_str(DIR "track", cmd));
	EXPECT_ERR("'-1' (init leads no group)", ESRCH, wr_str(DIR "track", "-1\n"));
	EXPECT_ERR("track kthreadd (PID 2)", EINVAL, wr_str(DIR "track", "2\n"));
	if (pthread_create(&tt, NULL, thread_tid, &tid))
		cs_die("pthread_create");
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	snprintf(cmd, sizeof(cmd), "%d\n", tid);
	EXPECT_ERR("track a thread id", EINVAL, wr_str(DIR "track", cmd));
	snprintf(cmd, sizeof(cmd), "-%d\n", tid);
	EXPECT_ERR("'-TID'", ESRCH, wr_str(DIR "track", cmd));
	stop = 1;
	pthread_join(tt, NULL);
	stop = 0;
	expect_unchanged("after bad PIDs", &st);

	/*
	 * The position: track and timing are seq_files (pwrite: ESPIPE);
	 * a write after a read (the position moved) is carried out, and so
	 * is reset's pwrite.  A split command is two commands.
	 */
	fd = open(DIR "track", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cs_die("open track");
	snprintf(cmd, sizeof(cmd), "%d\n", getpid());
	EXPECT_ERR("pwrite to track", ESPIPE,
		   pwrite(fd, cmd, strlen(cmd), 4096) < 0 ? errno : 0);
	if (read(fd, big, sizeof(big)) <= 0)
		cs_fail("read track: %s", strerror(errno));
	EXPECT_ERR("PID written after a read", 0, wr(fd, cmd, strlen(cmd)));
	CS_EQ("groups after a PID written after a read", st.groups + 1,
	      stat_of("groups"));
	close(fd);
	CS_EQ("groups after closing its file", st.groups, stat_of("groups"));
	fd = open(DIR "track", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cs_die("open track");
	EXPECT_ERR("first half '-' of '-PID'", EINVAL, wr(fd, "-", 1));
	CS_EQ("groups after the first half", st.groups, stat_of("groups"));
	EXPECT_ERR("second half 'PID' of '-PID'", 0, wr(fd, cmd, strlen(cmd)));
	CS_EQ("groups after the second half (a command of its own)",
	      st.groups + 1, stat_of("groups"));
	close(fd);
	fd = open(DIR "timing", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cs_die("open timing");
	EXPECT_ERR("pwrite to timing", ESPIPE,
		   pwrite(fd, "1\n", 2, 100) < 0 ? errno : 0);
	if (read(fd, big, sizeof(big)) <= 0)
		cs_fail("read timing: %s", strerror(errno));
	EXPECT_ERR("timing '1' after a read", 0, wr(fd, "1\n", 2));
	close(fd);
	CS_EQ("timing after '1' written after a read", 1, timing());
	EXPECT_ERR("timing '0'", 0, wr_str(DIR "timing", "0"));
	CS_EQ("timing after '0'", 0, timing());
	fd = open(DIR "reset", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		cs_die("open reset");
	EXPECT_ERR("reset '2' at offset 100", EINVAL,
		   pwrite(fd, "2\n", 2, 100) < 0 ? errno : 0);
	close(fd);
	expect_unchanged("after reset '2' at offset 100", &st);

	/* concurrent writers and readers */
	snap(&st);
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, writer, (void *)(long)i))
			cs_die("pthread_create");
	sleep(2);
	stop = 1;
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		total += thread_writes[i];
	}
	if (total < NTHREADS * 5)
		cs_fail("the concurrent writers wrote %lld times", total);
	expect_unchanged("after concurrent writers", &st);
	fprintf(stderr, "t04: %lld concurrent writes by %d threads\n", total,
		NTHREADS);

	/* restore the timing switch as found */
	if (wr_str(DIR "timing", t0 ? "1" : "0"))
		cs_fail("restoring timing");
	return cs_finish();
}
