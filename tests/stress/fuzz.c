// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz SEED N: N random operations on /sys/kernel/debug/cowstat, seeded
 * (the seed is printed first, so a failure can be replayed):
 *
 *   writes of random bytes and of random token strings (PIDs: its own, its
 *   thread's, init, kthreadd, dead, 0, negative, huge; decimal and hex
 *   addresses; random separators) to track (on up to 8 open files), reset
 *   and timing; writes to the read-only files; 1 MiB, empty and
 *   bad-address writes; reads, lseeks, closes.
 *
 * It keeps a model and checks it after every operation that can change it:
 * each write succeeds or fails with EINVAL, ESRCH, ENOSPC, EFAULT or
 * ESPIPE and no other errno; ENOSPC exactly when 16 group slots are held;
 * the "groups" line of stats equals the slots its open files hold; timing
 * reads what was last validly written (opening latency turns it on).  At
 * the end every file is closed and groups must be 0.  Prints "fuzz: seed S:
 * N operations, W writes (A accepted), R reads" and exits 0, or a FAIL
 * line and 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR "/sys/kernel/debug/cowstat/"
#define NFD 8
#define MAX_GROUPS 16

static unsigned long long rng;
static unsigned long long seed;
static long long op, writes, accepted, reads;

static unsigned int rnd(unsigned int n)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned int)((rng * 2685821657736338717ULL) >> 32) % n;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL fuzz: seed %llu, operation %lld: ", seed, op);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static int track_fd[NFD] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static int held[NFD];	/* group slots each open file holds */
static int timing_model = -1;
static pid_t self, tid, dead;
static char *bad_page;
static char big[1 << 20];

static int total_held(void)
{
	int i, n = 0;

	for (i = 0; i < NFD; i++)
		n += held[i];
	return n;
}

static long long stat_of(const char *name)
{
	static char buf[16 << 10];
	char key[64], *p;
	int fd = open(DIR "stats", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		fail("open stats: %s", strerror(errno));
	buf[0] = '\n';
	n = read(fd, buf + 1, sizeof(buf) - 2);
	close(fd);
	if (n <= 0)
		fail("read stats: %s", strerror(errno));
	buf[n + 1] = '\0';
	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(buf, key);
	if (!p)
		fail("no %s in stats", name);
	return atoll(p + strlen(key));
}

static int read_timing(void)
{
	char v[8] = "";
	int fd = open(DIR "timing", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, v, sizeof(v)) <= 0)
		fail("read timing: %s", strerror(errno));
	close(fd);
	return v[0] == '1';
}

static void check_model(void)
{
	long long g = stat_of("groups");
	int t = read_timing();

	if (g != total_held())
		fail("stats says groups %lld, the open files hold %d", g,
		     total_held());
	if (timing_model >= 0 && t != timing_model)
		fail("timing reads %d, %d was last written", t, timing_model);
}

static void check_errno(const char *what, int err)
{
	switch (err) {
	case 0: case EINVAL: case ESRCH: case ENOSPC: case EFAULT: case ESPIPE:
		return;
	default:
		fail("%s: unexpected errno %d (%s)", what, err, strerror(err));
	}
}

/* A random command: tokens or bytes. */
static size_t gen(char *buf, size_t size)
{
	static const char *const seps[] = { " ", "  ", "\t", "\n", "" };
	size_t len = 0, i;
	int ntok, t;

	if (rnd(4) == 0) {
		len = rnd(140);
		if (len > size)
			len = size;
		for (i = 0; i < len; i++)
			buf[i] = (char)rnd(256);
		return len;
	}
	ntok = 1 + rnd(4);
	for (t = 0; t < ntok && len + 48 < size; t++) {
		char tok[48];

		switch (rnd(14)) {
		case 0: snprintf(tok, sizeof(tok), "%d", self); break;
		case 1: snprintf(tok, sizeof(tok), "-%d", self); break;
		case 2: snprintf(tok, sizeof(tok), "%d", tid); break;
		case 3: snprintf(tok, sizeof(tok), "%d", dead); break;
		case 4: snprintf(tok, sizeof(tok), "%s", rnd(2) ? "1" : "2"); break;
		case 5: snprintf(tok, sizeof(tok), "%s", rnd(2) ? "0" : "-0"); break;
		case 6: snprintf(tok, sizeof(tok), "%u", rnd(1u << 31)); break;
		case 7: snprintf(tok, sizeof(tok), "-%u", rnd(70000)); break;
		case 8: snprintf(tok, sizeof(tok), "0x%x", rnd(1u << 31)); break;
		case 9: snprintf(tok, sizeof(tok), "%u", rnd(1u << 20) * 4096u); break;
		case 10: snprintf(tok, sizeof(tok), "99999999999999999999%u", rnd(9)); break;
		case 11: snprintf(tok, sizeof(tok), "0x"); break;
		case 12: snprintf(tok, sizeof(tok), "%c", "-+x\\%"[rnd(5)]); break;
		default: snprintf(tok, sizeof(tok), "%u", rnd(400)); break;
		}
		len += snprintf(buf + len, size - len, "%s%s", t ? seps[rnd(5)] : "",
				tok);
	}
	if (rnd(2) && len < size)
		buf[len++] = '\n';
	return len;
}

static int do_write(int fd, const void *buf, size_t len)
{
	ssize_t n;

	writes++;
	n = write(fd, buf, len);
	if (n < 0)
		return errno;
	if ((size_t)n != len)
		fail("a write of %zu bytes returned %zd", len, n);
	accepted++;
	return 0;
}

static void op_track(void)
{
	char buf[200];
	size_t len = gen(buf, sizeof(buf) - 1), i = 0;
	int slot = rnd(NFD), err, start;

	if (track_fd[slot] < 0) {
		track_fd[slot] = open(DIR "track", O_RDWR | O_CLOEXEC);
		if (track_fd[slot] < 0)
			fail("open track: %s", strerror(errno));
	}
	/* the kernel skips leading white space (isspace) */
	while (i < len && (buf[i] == ' ' || (buf[i] >= '\t' && buf[i] <= '\r')))
		i++;
	start = i < len && buf[i] != '-';
	err = do_write(track_fd[slot], buf, len);
	check_errno("track", err);
	if (err == ENOSPC && total_held() < MAX_GROUPS)
		fail("ENOSPC with %d group slots held", total_held());
	if (!err && start) {
		if (total_held() >= MAX_GROUPS)
			fail("a group started with every slot held");
		held[slot]++;
	}
}

static void op_reset(void)
{
	char buf[200];
	size_t len;
	int fd = open(DIR "reset", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open reset: %s", strerror(errno));
	if (rnd(8) == 0) {
		memcpy(buf, "1\n", 2);
		len = 1 + rnd(2);
	} else {
		len = gen(buf, sizeof(buf));
	}
	check_errno("reset", do_write(fd, buf, len));
	close(fd);
}

static void op_timing(void)
{
	char buf[200];
	size_t len;
	int fd = open(DIR "timing", O_RDWR | O_CLOEXEC), err;

	if (fd < 0)
		fail("open timing: %s", strerror(errno));
	if (rnd(3) == 0) {
		buf[0] = rnd(2) ? '1' : '0';
		buf[1] = '\n';
		len = 1 + rnd(2);
	} else {
		len = gen(buf, sizeof(buf));
	}
	err = do_write(fd, buf, len);
	check_errno("timing", err);
	if (!err) {
		if (!((len == 1 || (len == 2 && buf[1] == '\n')) &&
		      (buf[0] == '0' || buf[0] == '1')))
			fail("timing accepted '%.*s'", (int)len, buf);
		timing_model = buf[0] == '1';
	}
	close(fd);
}

static void op_readonly(void)
{
	static const char *const ro[] = { "stats", "procs", "probes",
					  "version", "latency" };
	const char *f = ro[rnd(5)];
	char path[128], buf[64];
	size_t len = gen(buf, sizeof(buf));
	int fd, err;

	snprintf(path, sizeof(path), DIR "%s", f);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open %s for writing: %s", f, strerror(errno));
	if (!strcmp(f, "latency"))
		timing_model = 1;
	err = do_write(fd, buf, len);
	if (err != EINVAL)
		fail("a write to %s: %s", f, err ? strerror(err) : "accepted");
	close(fd);
}

static void op_odd_write(void)
{
	static const char *const files[] = { "track", "reset", "timing" };
	const char *f = files[rnd(3)];
	char path[128];
	int fd, err, kind = rnd(3);

	snprintf(path, sizeof(path), DIR "%s", f);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open %s: %s", f, strerror(errno));
	if (kind == 0) {
		memset(big, rnd(2) ? '1' : ' ', sizeof(big));
		err = do_write(fd, big, sizeof(big));
		if (err != EINVAL)
			fail("1 MiB to %s: %s", f, err ? strerror(err) : "accepted");
	} else if (kind == 1) {
		err = do_write(fd, big, 0);
		if (err != EINVAL)
			fail("empty write to %s: %s", f,
			     err ? strerror(err) : "accepted");
	} else {
		err = do_write(fd, bad_page, 1 + rnd(8));
		if (err != EFAULT)
			fail("a write from an unreadable page to %s: %s", f,
			     err ? strerror(err) : "accepted");
	}
	close(fd);
}

static void op_read(void)
{
	static const char *const all[] = { "stats", "procs", "probes",
					   "version", "track", "timing" };
	char path[128], buf[4096];
	int slot = rnd(NFD), fd, own = 0;

	if (rnd(2) && track_fd[slot] >= 0) {
		fd = track_fd[slot];
		lseek(fd, rnd(2) ? 0 : rnd(300), SEEK_SET);
	} else {
		snprintf(path, sizeof(path), DIR "%s", all[rnd(6)]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("open %s: %s", path, strerror(errno));
		own = 1;
	}
	while (read(fd, buf, 1 + rnd(sizeof(buf))) > 0)
		reads++;
	if (own)
		close(fd);
}

static void op_close(void)
{
	int slot = rnd(NFD);

	if (track_fd[slot] < 0)
		return;
	close(track_fd[slot]);
	track_fd[slot] = -1;
	held[slot] = 0;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	__atomic_store_n(&tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	long long n;
	pthread_t t;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: fuzz SEED N\n");
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	n = atoll(argv[2]);
	rng = seed * 2 + 1;
	printf("fuzz: seed %llu\n", seed);
	fflush(stdout);
	self = getpid();
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	if (pthread_create(&t, NULL, idle_thread, NULL))
		return 2;
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	bad_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (bad_page == MAP_FAILED)
		return 2;
	if (stat_of("groups"))
		fail("groups %lld at the start: another tracer runs",
		     stat_of("groups"));
	timing_model = read_timing();

	for (op = 0; op < n; op++) {
		switch (rnd(20)) {
		case 0 ... 7: op_track(); break;
		case 8: op_reset(); break;
		case 9 ... 10: op_timing(); break;
		case 11: op_readonly(); break;
		case 12: op_odd_write(); break;
		case 13 ... 16: op_read(); break;
		default: op_close(); break;
		}
		if (rnd(8) == 0)
			check_model();
	}
	check_model();
	for (i = 0; i < NFD; i++) {
		if (track_fd[i] >= 0)
			close(track_fd[i]);
		track_fd[i] = -1;
		held[i] = 0;
	}
	if (stat_of("groups"))
		fail("groups %lld after every file closed", stat_of("groups"));
	printf("fuzz: seed %llu: %lld operations, %lld writes (%lld accepted), %lld reads\n",
	       seed, n, writes, accepted, reads);
	return 0;
}
