// SPDX-License-Identifier: GPL-2.0
/*
 * Shared harness of the VM scenario tests; see lib.h for the rules.
 *
 * Everything a measured phase runs goes through raw system calls and static
 * buffers (no stdio, no malloc), so that the only page faults in a phase are
 * the workload's own and the cross-checks (pgreuse, minflt) can be exact.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"

#define TRACK_PATH "/sys/kernel/debug/cowstat/track"
#define PROBES_PATH "/sys/kernel/debug/cowstat/probes"

const char *const cs_counter_names[COWSTAT_NR_COUNTERS] = {
#define COWSTAT_COUNTER(name, side, meaning) #name,
#include <cowstat/counter-list.h>
#undef COWSTAT_COUNTER
};

static const char *scenario;
/*
 * CS_NO_MODULE=1 runs a scenario without cowstat (on a development host):
 * groups read as all-zero and are not asserted, so only the harness and the
 * independent cross-checks are exercised.  Never set in the VM runner.
 */
static int no_module;
static char kver[32];
static unsigned int cs_flags;
static pid_t main_pid;
static int nfail;
static char why[8192];
static size_t why_len;
/* What a PASS line says: the counters asserted 0 as unavailable. */
static char notes[1024];

/* Big enough for smaps of a static binary (a few dozen VMAs). */
static char iobuf[256 << 10];

/* ---- results ---- */

static void append_why(const char *s)
{
	size_t n = strlen(s);

	if (why_len + n + 3 >= sizeof(why))
		return;
	if (why_len) {
		memcpy(why + why_len, "; ", 2);
		why_len += 2;
	}
	memcpy(why + why_len, s, n);
	why_len += n;
	why[why_len] = '\0';
}

void cs_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nfail++;
	append_why(msg);
}

static void print_line(const char *verdict, const char *detail)
{
	char line[sizeof(why) + 256];
	int n;

	if (detail && *detail)
		n = snprintf(line, sizeof(line), "%s vm/%s/%s: %s\n", verdict,
			     kver, scenario, detail);
	else
		n = snprintf(line, sizeof(line), "%s vm/%s/%s\n", verdict,
			     kver, scenario);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (write(1, line, n) < 0)
		_exit(3);
}

void cs_skip(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (getpid() != main_pid)
		_exit(98);
	print_line("SKIP", msg);
	exit(0);
}

void cs_die(const char *fmt, ...)
{
	char msg[512];
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
			 " (%s)", strerror(err));
	if (getpid() != main_pid) {
		dprintf(2, "%s: child %d: %s\n", scenario, getpid(), msg);
		_exit(99);
	}
	cs_fail("harness: %s", msg);
	exit(cs_finish());
}

int cs_finish(void)
{
	if (nfail) {
		print_line("FAIL", why);
		return 1;
	}
	print_line("PASS", notes);
	return 0;
}

static void fill_kver(void)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (kver[0])
		return;
	uname(&u);
	sscanf(u.release, "%d.%d", &ma, &mi);
	/* Debian's flavours run the same tests: name them apart */
	snprintf(kver, sizeof(kver), "%d.%d%s%s%s", ma, mi,
		 strstr(u.release, "-rt-") ? "-rt" :
		 strstr(u.release, "-cloud-") ? "-cloud" : "",
		 getenv("COWSTAT_TEST_VARIANT") ? "+" : "",
		 getenv("COWSTAT_TEST_VARIANT") ?: "");
}

const char *cs_kver(void)
{
	fill_kver();
	return kver;
}

void cs_need_thp(void)
{
	char en[128];

	if (cs_read_file("/sys/kernel/mm/transparent_hugepage/enabled", en,
			 sizeof(en)))
		cs_skip("this kernel has no transparent hugepages (PREEMPT_RT?)");
	if (strstr(en, "[never]"))
		cs_skip("transparent hugepages are disabled");
}

int cs_kernel_at_least(int major, int minor)
{
	int ma = 0, mi = 0;

	fill_kver();
	sscanf(kver, "%d.%d", &ma, &mi);
	return ma > major || (ma == major && mi >= minor);
}

/* ---- small file helpers (raw syscalls, static buffers) ---- */

static ssize_t read_all(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

int cs_read_file(const char *path, char *buf, size_t len)
{
	return read_all(path, buf, len) < 0 ? -1 : 0;
}

int cs_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Value after "key" at a line start ("key value" or "key: value"). */
static long long find_key(const char *buf, const char *key)
{
	size_t kl = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, kl) && (p[kl] == ' ' || p[kl] == ':' ||
					     p[kl] == '\t'))
			return strtoll(p + kl + 1 + strspn(p + kl + 1, " :\t"),
				       NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

long long cs_vmstat(const char *key)
{
	long long v;

	if (read_all("/proc/vmstat", iobuf, sizeof(iobuf)) < 0)
		cs_die("read /proc/vmstat");
	v = find_key(iobuf, key);
	if (v < 0)
		cs_die("no %s in /proc/vmstat", key);
	return v;
}

long long cs_meminfo(const char *key)
{
	long long v;

	if (read_all("/proc/meminfo", iobuf, sizeof(iobuf)) < 0)
		cs_die("read /proc/meminfo");
	v = find_key(iobuf, key);
	if (v < 0)
		cs_die("no %s in /proc/meminfo", key);
	return v;
}

long cs_status_kb(pid_t pid, const char *key)
{
	char path[64];
	long long v;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_all(path, iobuf, sizeof(iobuf)) < 0)
		cs_die("read %s", path);
	v = find_key(iobuf, key);
	if (v < 0)
		cs_die("no %s in %s", key, path);
	return v;
}

long long cs_minflt(pid_t pid)
{
	char path[64], *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_all(path, iobuf, sizeof(iobuf)) < 0)
		cs_die("read %s", path);
	p = strrchr(iobuf, ')');
	if (!p)
		cs_die("bad %s", path);
	/* fields after "(comm)" start at 3 (state); minflt is field 10 */
	p++;
	for (field = 3; field <= 10; field++) {
		p += strspn(p, " ");
		if (field == 10)
			return strtoll(p, NULL, 10);
		p += strcspn(p, " ");
	}
	return -1;
}

uint64_t cs_pagemap(pid_t pid, const void *addr)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cs_die("open %s", path);
	if (pread(fd, &e, 8, (uintptr_t)addr / PAGE * 8) != 8)
		cs_die("read %s", path);
	close(fd);
	return e;
}

/*
 * Parses smaps text into @vmas; returns the number of VMAs (the [vsyscall]
 * gate area is not a VMA of the mm and is left out).
 */
static int parse_smaps(char *buf, struct cs_vma_stat *vmas, int max)
{
	struct cs_vma_stat *cur = NULL;
	char *line = buf, *next;
	int n = 0;

	for (; line && *line; line = next) {
		unsigned long s, e;
		char name[32];
		long v;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* VMA lines start with a lower-case hex address, field
		 * lines with a capitalised name */
		if ((isdigit((unsigned char)line[0]) ||
		     (line[0] >= 'a' && line[0] <= 'f')) &&
		    sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			cur = NULL;
			if (strstr(line, "[vsyscall]"))
				continue;
			if (n < max) {
				cur = &vmas[n];
				memset(cur, 0, sizeof(*cur));
				cur->start = s;
				cur->end = e;
			}
			n++;
			continue;
		}
		if (!cur || sscanf(line, "%31[^:]: %ld", name, &v) != 2)
			continue;
		if (!strcmp(name, "Rss"))
			cur->rss = v;
		else if (!strcmp(name, "Anonymous"))
			cur->anon = v;
		else if (!strcmp(name, "Shared_Dirty"))
			cur->shared_dirty = v;
		else if (!strcmp(name, "Private_Dirty"))
			cur->private_dirty = v;
		else if (!strcmp(name, "AnonHugePages"))
			cur->anon_huge = v;
		else if (!strcmp(name, "Shared_Hugetlb"))
			cur->shared_hugetlb = v;
		else if (!strcmp(name, "Private_Hugetlb"))
			cur->private_hugetlb = v;
		else if (!strcmp(name, "Swap"))
			cur->swap = v;
	}
	return n;
}

static struct cs_vma_stat smaps_vmas[CS_SNAP_VMAS];

static int read_smaps(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	if (read_all(path, iobuf, sizeof(iobuf)) < 0)
		cs_die("read %s", path);
	return parse_smaps(iobuf, smaps_vmas, CS_SNAP_VMAS);
}

int cs_smaps(pid_t pid, const void *start, struct cs_vma_stat *out)
{
	int i, n = read_smaps(pid);

	for (i = 0; i < n && i < CS_SNAP_VMAS; i++) {
		if (smaps_vmas[i].start == (uintptr_t)start) {
			*out = smaps_vmas[i];
			return 0;
		}
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

int cs_map_count(pid_t pid)
{
	return read_smaps(pid);
}

/* ---- the fork tracer ---- */

#define CS_SNAPS 128
struct cs_shm {
	struct cs_snap snap[CS_SNAPS];
};
static struct cs_shm *shm;

static void take_snapshot(pid_t pid)
{
	struct cs_snap *s = NULL;
	int i, n;

	for (i = 0; i < CS_SNAPS; i++) {
		if (!shm->snap[i].valid) {
			s = &shm->snap[i];
			break;
		}
	}
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->vmpte_kb = cs_status_kb(pid, "VmPTE");
	s->hugetlb_kb = cs_status_kb(pid, "HugetlbPages");
	s->rss_anon_kb = cs_status_kb(pid, "RssAnon");
	s->rss_file_kb = cs_status_kb(pid, "RssFile");
	s->rss_shmem_kb = cs_status_kb(pid, "RssShmem");
	s->swap_kb = cs_status_kb(pid, "VmSwap");
	n = read_smaps(pid);
	s->nvmas = n;
	for (i = 0; i < n && i < CS_SNAP_VMAS; i++) {
		s->vma[i] = smaps_vmas[i];
		s->rss_kb += smaps_vmas[i].rss;
		s->anon_kb += smaps_vmas[i].anon;
	}
	__atomic_store_n(&s->valid, 1, __ATOMIC_RELEASE);
}

static pid_t early_stops[64];
static int nearly;

static int take_early(pid_t pid)
{
	int i;

	for (i = 0; i < nearly; i++) {
		if (early_stops[i] == pid) {
			early_stops[i] = early_stops[--nearly];
			return 1;
		}
	}
	return 0;
}

static pid_t known[1024];
static int nknown;

static int is_known(pid_t pid)
{
	int i;

	for (i = 0; i < nknown; i++)
		if (known[i] == pid)
			return 1;
	return 0;
}

/*
 * The tracer: the worker and every process it forks are traced
 * (PTRACE_O_TRACEFORK).  A fork child starts with a SIGSTOP that stops it
 * on its way to user mode, before its first instruction, so its VmPTE and
 * smaps are exactly what fork gave it.  The snapshot is taken while the
 * parent is held in its fork event stop, so it is ready when fork returns.
 */
static void tracer(pid_t worker)
{
	int st, worker_st = 0;
	pid_t pid;

	if (waitpid(worker, &st, __WALL) != worker || !WIFSTOPPED(st))
		cs_die("tracer: worker did not stop");
	if (ptrace(PTRACE_SETOPTIONS, worker, 0,
		   PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC |
		   PTRACE_O_EXITKILL) < 0)
		cs_die("PTRACE_SETOPTIONS");
	known[nknown++] = worker;
	ptrace(PTRACE_CONT, worker, 0, 0);
	for (;;) {
		int sig, ev;

		pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == worker)
				worker_st = st;
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		ev = (unsigned int)st >> 16;
		if (ev == PTRACE_EVENT_FORK) {
			unsigned long child = 0;
			int cst;

			ptrace(PTRACE_GETEVENTMSG, pid, 0, &child);
			if (!take_early(child)) {
				while (waitpid(child, &cst, __WALL) < 0 &&
				       errno == EINTR)
					;
			}
			if (nknown < 1024)
				known[nknown++] = child;
			take_snapshot(child);
			ptrace(PTRACE_CONT, child, 0, 0);
			ptrace(PTRACE_CONT, pid, 0, 0);
			continue;
		}
		if (ev) {
			ptrace(PTRACE_CONT, pid, 0, 0);
			continue;
		}
		if (sig == SIGSTOP && !is_known(pid) && nearly < 64) {
			/* a new child's first stop, reported before its
			 * parent's fork event */
			early_stops[nearly++] = pid;
			continue;
		}
		ptrace(PTRACE_CONT, pid, 0, sig);
	}
	if (WIFEXITED(worker_st))
		exit(WEXITSTATUS(worker_st));
	if (WIFSIGNALED(worker_st)) {
		char msg[64];

		snprintf(msg, sizeof(msg), "worker killed by signal %d",
			 WTERMSIG(worker_st));
		print_line("FAIL", msg);
	}
	exit(1);
}

const struct cs_snap *cs_fork_snapshot(pid_t pid)
{
	int i;

	if (!shm)
		return NULL;
	for (i = CS_SNAPS - 1; i >= 0; i--) {
		if (__atomic_load_n(&shm->snap[i].valid, __ATOMIC_ACQUIRE) &&
		    shm->snap[i].pid == pid)
			return &shm->snap[i];
	}
	return NULL;
}

const struct cs_vma_stat *cs_snap_vma(const struct cs_snap *s, const void *start)
{
	int i;

	for (i = 0; s && i < s->nvmas && i < CS_SNAP_VMAS; i++)
		if (s->vma[i].start == (uintptr_t)start)
			return &s->vma[i];
	return NULL;
}

/* ---- init ---- */

void cs_init(const char *name, unsigned int flags)
{
	scenario = name;
	cs_flags = flags;
	main_pid = getpid();
	fill_kver();

	no_module = getenv("CS_NO_MODULE") != NULL;
	if (!no_module && access(TRACK_PATH, W_OK))
		cs_die("%s: is cowstat.ko loaded and debugfs mounted?",
		       TRACK_PATH);
	if (!(flags & CS_NO_PIN)) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			cs_die("sched_setaffinity");
	}
	if (flags & CS_TRACE_FORKS) {
		pid_t worker;

		shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shm == MAP_FAILED)
			cs_die("mmap shm");
		worker = syscall(SYS_fork);
		if (worker < 0)
			cs_die("fork worker");
		if (worker > 0)
			tracer(worker);
		main_pid = getpid();
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			cs_die("PTRACE_TRACEME");
		syscall(SYS_kill, main_pid, SIGSTOP);
	}
	errno = 0;
}

/* ---- regions ---- */

char *cs_region(int slot, size_t npages, int prot, int flags, int fd,
		off_t off, int nohuge)
{
	char *base = (char *)((32UL + slot) << 39);
	size_t len = npages * PAGE;
	void *p;

	p = mmap(base - PAGE, len + 2 * PAGE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != base - PAGE)
		cs_die("reserve slot %d", slot);
	p = mmap(base, len, prot, flags | MAP_FIXED, fd, off);
	if (p != base)
		cs_die("mmap region slot %d", slot);
	/* a kernel without THP (PREEMPT_RT) refuses the advice: nothing to
	 * keep away then */
	if (nohuge && madvise(base, len, MADV_NOHUGEPAGE) &&
	    !(errno == EINVAL &&
	      access("/sys/kernel/mm/transparent_hugepage", F_OK)))
		cs_die("MADV_NOHUGEPAGE");
	errno = 0;
	return base;
}

void cs_write_pages(char *r, size_t first, size_t count, int value)
{
	size_t i;

	for (i = first; i < first + count; i++)
		*(volatile char *)(r + i * PAGE) = (char)value;
}

unsigned long cs_read_pages(const char *r, size_t first, size_t count)
{
	unsigned long sum = 0;
	size_t i;

	for (i = first; i < first + count; i++)
		sum += *(const volatile unsigned char *)(r + i * PAGE);
	return sum;
}

/* ---- track groups ---- */

static char trackbuf[64 << 10];

struct row {
	long long gen;
	long long initiator;
	char state[16];
	long long val[COWSTAT_NR_COUNTERS];
};

int cs_counter_index(const char *name)
{
	int i;

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (!strcmp(cs_counter_names[i], name))
			return i;
	return -1;
}

/*
 * Reads every row the fd shows.  Columns are found by the header (the
 * interfaces.rst rule); a counter missing from the header is a failure.
 */
static int read_rows(int fd, struct row *rows, int max)
{
	int col_of[COWSTAT_NR_COUNTERS], gen_col = -1, ncols = 0, n = 0, i;
	int init_col = -1, state_col = -1;
	char *line, *next, *tok, *save;
	ssize_t got = 0, r;

	if (lseek(fd, 0, SEEK_SET) < 0)
		cs_die("lseek track");
	while ((size_t)got < sizeof(trackbuf) - 1) {
		r = read(fd, trackbuf + got, sizeof(trackbuf) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			cs_die("read track");
		if (r == 0)
			break;
		got += r;
	}
	trackbuf[got] = '\0';

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		col_of[i] = -1;
	line = trackbuf;
	next = strchr(line, '\n');
	if (!next)
		cs_die("track: no header line");
	*next++ = '\0';
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), ncols++) {
		int idx = cs_counter_index(tok);

		if (idx >= 0)
			col_of[idx] = ncols;
		else if (!strcmp(tok, "gen"))
			gen_col = ncols;
		else if (!strcmp(tok, "initiator_remote"))
			init_col = ncols;
		else if (!strcmp(tok, "state"))
			state_col = ncols;
	}
	if (gen_col < 0)
		cs_die("track: no gen column");
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (col_of[i] < 0)
			cs_die("track: no column %s", cs_counter_names[i]);

	for (line = next; line && *line && n < max; line = next) {
		long long vals[128];
		int c = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rows[n].state[0] = '\0';
		for (tok = strtok_r(line, " ", &save); tok && c < 128;
		     tok = strtok_r(NULL, " ", &save), c++) {
			/* "-": the module cannot count it here */
			vals[c] = strcmp(tok, "-") ? strtoll(tok, NULL, 0) :
						     CS_UNAVAILABLE;
			if (c == state_col)
				snprintf(rows[n].state, sizeof(rows[n].state),
					 "%s", tok);
		}
		if (c < ncols - 1)
			continue;
		rows[n].gen = vals[gen_col];
		rows[n].initiator = init_col >= 0 ? vals[init_col] : -1;
		for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
			rows[n].val[i] = vals[col_of[i]];
		n++;
	}
	return n;
}

static struct row rows_before[64], rows_now[64];

void cs_track(struct cs_group *g, pid_t pid, const void *start, const void *end)
{
	char cmd[128];
	int nb, nn, i, j;

	memset(g, 0, sizeof(*g));
	g->pid = pid;
	g->start = (uintptr_t)start;
	g->end = (uintptr_t)end;
	if (no_module) {
		g->fd = -1;
		return;
	}
	g->fd = open(TRACK_PATH, O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		cs_die("open %s", TRACK_PATH);
	nb = read_rows(g->fd, rows_before, 64);
	if (start || end)
		snprintf(cmd, sizeof(cmd), "%d %lu %lu\n", pid,
			 (unsigned long)g->start, (unsigned long)g->end);
	else
		snprintf(cmd, sizeof(cmd), "%d\n", pid);
	if (write(g->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		cs_die("write '%.*s' to track", (int)strlen(cmd) - 1, cmd);
	/* the new group is the row that was not there before */
	nn = read_rows(g->fd, rows_now, 64);
	g->gen = -1;
	for (i = 0; i < nn; i++) {
		for (j = 0; j < nb; j++)
			if (rows_before[j].gen == rows_now[i].gen)
				break;
		if (j == nb)
			g->gen = rows_now[i].gen;
	}
	if (g->gen < 0)
		cs_die("track: no new group row after '%.*s'",
		       (int)strlen(cmd) - 1, cmd);
}

void cs_untrack(struct cs_group *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

void cs_group_read(struct cs_group *g, long long val[COWSTAT_NR_COUNTERS])
{
	int n, i;

	if (no_module) {
		memset(val, 0, sizeof(long long) * COWSTAT_NR_COUNTERS);
		return;
	}
	n = read_rows(g->fd, rows_now, 64);
	for (i = 0; i < n; i++) {
		if (rows_now[i].gen == g->gen) {
			memcpy(val, rows_now[i].val,
			       sizeof(long long) * COWSTAT_NR_COUNTERS);
			return;
		}
	}
	cs_die("track: group %lld has no row", g->gen);
}

const char *cs_group_state(struct cs_group *g)
{
	static char state[16];
	int n, i;

	state[0] = '\0';
	if (no_module)
		return state;
	n = read_rows(g->fd, rows_now, 64);
	for (i = 0; i < n; i++)
		if (rows_now[i].gen == g->gen)
			memcpy(state, rows_now[i].state, sizeof(state));
	return state;
}

long long cs_group_initiator(struct cs_group *g)
{
	int n, i;

	if (no_module)
		return 0;
	n = read_rows(g->fd, rows_now, 64);
	for (i = 0; i < n; i++)
		if (rows_now[i].gen == g->gen)
			return rows_now[i].initiator;
	cs_die("track: group %lld has no row", g->gen);
}

int cs_procs_count(pid_t tgid, const char *birth)
{
	char *line, *next, *tok, *save;
	int tgid_col = -1, birth_col = -1, col, count = 0;

	if (no_module)
		return 1;
	if (read_all("/sys/kernel/debug/cowstat/procs", iobuf,
		     sizeof(iobuf)) < 0)
		cs_die("read procs");
	line = iobuf;
	next = strchr(line, '\n');
	if (!next)
		cs_die("procs: no header");
	*next++ = '\0';
	for (col = 0, tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), col++) {
		if (!strcmp(tok, "tgid"))
			tgid_col = col;
		else if (!strcmp(tok, "birth"))
			birth_col = col;
	}
	if (tgid_col < 0 || birth_col < 0)
		cs_die("procs: no tgid or birth column");
	for (line = next; line && *line; line = next) {
		int match_tgid = 0, match_birth = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (col = 0, tok = strtok_r(line, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save), col++) {
			if (col == tgid_col && atoi(tok) == tgid)
				match_tgid = 1;
			if (col == birth_col && !strcmp(tok, birth))
				match_birth = 1;
		}
		count += match_tgid && match_birth;
	}
	return count;
}

long long cs_group_get(struct cs_group *g, const char *counter)
{
	long long val[COWSTAT_NR_COUNTERS];
	int idx = cs_counter_index(counter);

	if (idx < 0)
		cs_die("unknown counter %s", counter);
	cs_group_read(g, val);
	return val[idx];
}

static const char *const sum_parts[][7] = {
	{ "fork_pages_shared", "fork_pages_shared_anon",
	  "fork_pages_shared_file", "fork_pages_shared_shmem" },
	{ "cow_copies", "cow_copies_anon", "cow_copies_zero", "cow_copies_file",
	  "cow_copies_ksm", "cow_copies_pfn", "cow_copies_unshare" },
	{ "cow_reuses", "cow_reuses_moved", "cow_reuses_exclusive" },
};

static char probes_buf[64 << 10];

static void read_probes(void)
{
	if (cs_read_file(PROBES_PATH, probes_buf, sizeof(probes_buf)))
		cs_die("read %s", PROBES_PATH);
}

/* @counter's reason in the probes text last read, or NULL */
static const char *unavailable_in_probes(const char *counter)
{
	static char reason[128];
	char key[96];
	const char *p, *e;
	size_t n;

	n = snprintf(key, sizeof(key), "\ncounter %s unavailable(", counter);
	p = strstr(probes_buf, key);
	if (!p)
		return NULL;
	p += n;
	e = strchr(p, ')');
	if (!e || e - p >= (long)sizeof(reason))
		cs_die("bad unavailable line for %s in %s", counter, PROBES_PATH);
	memcpy(reason, p, e - p);
	reason[e - p] = '\0';
	return reason;
}

/* Counter @i is unavailable in the probes text last read. */
static int cs_counter_unavailable(int i)
{
	return unavailable_in_probes(cs_counter_names[i]) != NULL;
}

const char *cs_unavailable(const char *counter)
{
	if (no_module)
		return NULL;
	read_probes();
	return unavailable_in_probes(counter);
}

/*
 * The PASS line's note: "unavailable, shown as -: a, b (REASON); c (R2)",
 * each counter once, grouped by reason.
 */
static void note_unavailable(const char *counter, const char *reason)
{
	static char names[8][512], reasons[8][128];
	static int n;
	char *p = notes;
	size_t left = sizeof(notes);
	int i, k;

	for (i = 0; i < n && strcmp(reasons[i], reason); i++)
		;
	if (i == n) {
		if (n == 8)
			return;
		snprintf(reasons[n], sizeof(reasons[n]), "%s", reason);
		names[n++][0] = '\0';
	}
	for (p = names[i]; (p = strstr(p, counter)); p++)
		if ((p == names[i] || p[-1] == ' ') &&
		    (p[strlen(counter)] == ',' || !p[strlen(counter)]))
			return;
	if (names[i][0])
		strncat(names[i], ", ", sizeof(names[i]) - strlen(names[i]) - 1);
	strncat(names[i], counter, sizeof(names[i]) - strlen(names[i]) - 1);
	p = notes;
	k = snprintf(p, left, "unavailable, shown as -:");
	for (i = 0; i < n && k > 0 && (size_t)k < left; i++) {
		p += k;
		left -= k;
		k = snprintf(p, left, "%s %s (%s)", i ? ";" : "", names[i],
			     reasons[i]);
	}
}

void cs_expect_group(const char *label, struct cs_group *g,
		     const struct cs_exp *exp)
{
	long long want[COWSTAT_NR_COUNTERS] = { 0 };
	long long got[COWSTAT_NR_COUNTERS];
	int named[COWSTAT_NR_COUNTERS] = { 0 };
	size_t s;
	int i;

	if (no_module)
		return;
	for (; exp && exp->name; exp++) {
		i = cs_counter_index(exp->name);
		if (i < 0)
			cs_die("unknown counter %s", exp->name);
		want[i] = exp->val;
		named[i] = 1;
	}
	for (s = 0; s < sizeof(sum_parts) / sizeof(sum_parts[0]); s++) {
		int total = cs_counter_index(sum_parts[s][0]), p;

		if (named[total])
			continue;
		for (p = 1; p < 7 && sum_parts[s][p]; p++)
			want[total] += want[cs_counter_index(sum_parts[s][p])];
	}
	read_probes();
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		const char *reason = unavailable_in_probes(cs_counter_names[i]);

		if (!reason)
			continue;
		/* never counted: "-", whatever the kernel did */
		note_unavailable(cs_counter_names[i], reason);
	}
	cs_group_read(g, got);
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		/*
		 * "-" only where the module says why (e.g. wp_races without
		 * wp_return=1, whose pass in scripts/vm-tests checks these
		 * values; shared_writes on 6.12-rt); the PASS line names them.
		 */
		if (got[i] == CS_UNAVAILABLE) {
			if (!cs_counter_unavailable(i))
				cs_fail("%s: %s shows \"-\" but probes says it is available",
					label, cs_counter_names[i]);
			continue;
		}
		if (cs_counter_unavailable(i))
			cs_fail("%s: %s=%lld but probes says it is unavailable",
				label, cs_counter_names[i], got[i]);
		else if (want[i] != got[i])
			cs_fail("%s: expected %s=%lld got %lld", label,
				cs_counter_names[i], want[i], got[i]);
	}
}

/* ---- fork ---- */

pid_t cs_fork(int wiped)
{
	long long v[COWSTAT_NR_COUNTERS];
	const struct cs_snap *s;
	struct cs_group g;
	pid_t pid;

#define V(name) v[COWSTAT_##name]
	if (!(cs_flags & CS_TRACE_FORKS)) {
		pid = syscall(SYS_fork);
		if (pid < 0)
			cs_die("fork");
		return pid;
	}
	cs_track(&g, getpid(), NULL, NULL);
	pid = syscall(SYS_fork);
	if (pid < 0)
		cs_die("fork");
	if (pid == 0) {
		if (g.fd >= 0)
			close(g.fd);
		return 0;
	}
	cs_group_read(&g, v);
	cs_untrack(&g);
	s = cs_fork_snapshot(pid);
	if (!s) {
		cs_fail("fork %d: the tracer took no snapshot", pid);
		return pid;
	}
	if (getenv("CS_DEBUG"))
		dprintf(2, "fork %d: VmPTE %ld kB, Rss %ld kB, Anonymous %ld kB, "
			"Hugetlb %ld kB, %d VMAs; group: forks %lld pt %lld "
			"shared %lld anon %lld eager %lld thp %lld copied %lld "
			"skipped %lld\n", pid, s->vmpte_kb, s->rss_kb,
			s->anon_kb, s->hugetlb_kb, s->nvmas, V(forks),
			V(fork_pt_pages), V(fork_pages_shared),
			V(fork_pages_shared_anon), V(fork_eager_copies),
			V(fork_thp_shared), V(fork_vmas_copied),
			V(fork_vmas_skipped));
	if (no_module)
		return pid;
	CS_EQ("whole fork: forks", 1, V(forks));
	CS_EQ("whole fork: fork_pt_pages (child VmPTE/4)", s->vmpte_kb / 4,
	      V(fork_pt_pages));
	/* shared pages count a THP as its 512 pages; eager copies are the
	 * child's own pages, not shared ones */
	CS_EQ("whole fork: fork_pages_shared+fork_eager_copies (child Rss/4)",
	      s->rss_kb / 4, V(fork_pages_shared) + V(fork_eager_copies));
	CS_EQ("whole fork: fork_pages_shared_anon+fork_eager_copies (child Anonymous/4)",
	      s->anon_kb / 4,
	      V(fork_pages_shared_anon) + V(fork_eager_copies));
	CS_EQ("whole fork: fork_pages_shared_anon+fork_eager_copies (child RssAnon/4)",
	      s->rss_anon_kb / 4,
	      V(fork_pages_shared_anon) + V(fork_eager_copies));
	CS_EQ("whole fork: fork_pages_shared_file (child RssFile/4)",
	      s->rss_file_kb / 4, V(fork_pages_shared_file));
	CS_EQ("whole fork: fork_pages_shared_shmem (child RssShmem/4)",
	      s->rss_shmem_kb / 4, V(fork_pages_shared_shmem));
	CS_EQ("whole fork: fork_hugetlb_shared (child HugetlbPages/2048)",
	      s->hugetlb_kb / 2048, V(fork_hugetlb_shared));
	CS_EQ("whole fork: fork_vmas_copied+fork_vmas_skipped (child VMAs)",
	      s->nvmas - wiped, V(fork_vmas_copied) + V(fork_vmas_skipped));
	CS_EQ("whole fork: fork_swap_shared (child VmSwap/4)", s->swap_kb / 4,
	      V(fork_swap_shared));
#undef V
	return pid;
}

int cs_wait_exit(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			cs_die("waitpid %d", pid);
	}
	return st;
}

void cs_expect_exit0(const char *who, pid_t pid)
{
	int st = cs_wait_exit(pid);

	if (!WIFEXITED(st) || WEXITSTATUS(st))
		cs_fail("%s exited with status 0x%x", who, st);
}

/* ---- quiet phases ---- */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/*
 * Maps every page of the program's read-only file mappings (text, rodata).
 * Text is mapped on demand, so the first call of a function whose page is
 * not mapped yet is a minor fault; fork does not copy these VMAs, so a
 * child starts with none of them.
 */
static void populate_text(void)
{
	char *line, *next;

	if (read_all("/proc/self/maps", iobuf, sizeof(iobuf)) < 0)
		cs_die("read /proc/self/maps");
	for (line = iobuf; line && *line; line = next) {
		unsigned long s, e;
		char perms[8];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3)
			continue;
		if (perms[0] != 'r' || perms[1] == 'w' || !strchr(line, '/'))
			continue;
		if (madvise((void *)s, e - s, MADV_POPULATE_READ))
			cs_die("MADV_POPULATE_READ %lx-%lx", s, e);
	}
}

/* End of the [stack] VMA, from /proc/self/maps. */
static uintptr_t stack_end(void)
{
	char *p;

	if (read_all("/proc/self/maps", iobuf, sizeof(iobuf)) < 0)
		cs_die("read /proc/self/maps");
	p = strstr(iobuf, "[stack]");
	if (!p)
		cs_die("no [stack] in /proc/self/maps");
	while (p > iobuf && p[-1] != '\n')
		p--;
	p = strchr(p, '-');
	return strtoul(p + 1, NULL, 16);
}

/*
 * Makes every page the harness touches in a measured phase present and
 * exclusive: the program's text, a stack area below this frame (the
 * callees), the frames above it up to the top of the stack (main's
 * locals), the static buffers, the TLS words the kernel writes.  A page shared
 * with a fork child would otherwise take a COW fault in the middle of a
 * phase and show up in the minflt or pgreuse delta.
 */
void cs_quiesce(void)
{
	volatile char stack[64 << 10];
	static struct cs_vma_stat tmp;
	uintptr_t p, end;
	size_t i;

	populate_text();
	for (i = 0; i < sizeof(stack); i += PAGE / 2)
		stack[i] = 0;
	end = stack_end();
	for (p = (uintptr_t)__builtin_frame_address(0) & ~(PAGE - 1); p < end;
	     p += PAGE) {
		volatile char *c = (volatile char *)p;

		*c = *c;
	}
	/*
	 * The kernel itself writes to this thread's rseq area (cpu_id) on the
	 * way back to user mode after a preemption or migration: a COW fault
	 * charged to whatever syscall was running.  Likewise errno.
	 */
	{
		volatile char *tp = __builtin_thread_pointer();
		volatile char *rs = tp + __rseq_offset;
		volatile char *er = (volatile char *)&errno;

		*tp = *tp;
		*rs = *rs;
		*er = *er;
	}
	memset(iobuf, 0, sizeof(iobuf));
	memset(trackbuf, 0, sizeof(trackbuf));
	memset(smaps_vmas, 0, sizeof(smaps_vmas));
	memset(rows_now, 0, sizeof(rows_now));
	memset(rows_before, 0, sizeof(rows_before));
	memset(&tmp, 0, sizeof(tmp));
	why[sizeof(why) - 1] = 0;
	cs_vmstat("pgreuse");
	cs_minflt(getpid());
}

/* ---- channels ---- */

void cs_chan_init(struct cs_chan *c)
{
	if (pipe2(c->to_child, O_CLOEXEC) || pipe2(c->to_parent, O_CLOEXEC))
		cs_die("pipe");
}

void cs_chan_child(struct cs_chan *c)
{
	close(c->to_child[1]);
	close(c->to_parent[0]);
}

void cs_chan_parent(struct cs_chan *c)
{
	close(c->to_child[0]);
	close(c->to_parent[1]);
}

static void put(int fd, long v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		cs_die("pipe write");
}

static long get(int fd)
{
	long v;
	ssize_t n;

	do {
		n = read(fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(v))
		cs_die("pipe read (peer gone?)");
	return v;
}

void cs_tell_child(struct cs_chan *c, long v)
{
	put(c->to_child[1], v);
}

long cs_wait_parent(struct cs_chan *c)
{
	return get(c->to_child[0]);
}

void cs_tell_parent(struct cs_chan *c, long v)
{
	put(c->to_parent[1], v);
}

long cs_wait_child(struct cs_chan *c)
{
	return get(c->to_parent[0]);
}

void cs_child_writer(struct cs_chan *c, char *r)
{
	long long reuse, flt, reuse0, flt0;
	long first, count, value;

	cs_chan_child(c);
	/* H7: settled (its own pages exclusive) before the parent goes on */
	cs_quiesce();
	cs_tell_parent(c, 0);
	for (;;) {
		first = cs_wait_parent(c);
		if (first < 0)
			_exit(0);
		count = cs_wait_parent(c);
		value = cs_wait_parent(c);
		cs_quiesce();
		reuse0 = cs_vmstat("pgreuse");
		flt0 = cs_minflt(getpid());
		cs_write_pages(r, first, count, value);
		/* H7: both readings before the parent is woken */
		flt = cs_minflt(getpid()) - flt0;
		reuse = cs_vmstat("pgreuse") - reuse0;
		cs_tell_parent(c, flt);
		cs_tell_parent(c, reuse);
	}
}

pid_t cs_fork_writer(struct cs_chan *c, char *r, int wiped)
{
	pid_t pid;

	cs_chan_init(c);
	pid = cs_fork(wiped);
	if (pid == 0)
		cs_child_writer(c, r);
	cs_chan_parent(c);
	if (cs_wait_child(c) != 0)
		cs_die("writer child %d did not report ready", (int)pid);
	return pid;
}

void cs_child_write(struct cs_chan *c, long first, long count, int value,
		    long long *minflt_delta, long long *pgreuse_delta)
{
	/* H7: the parent's own wake-up in the child's window faults nowhere */
	cs_quiesce();
	cs_tell_child(c, first);
	cs_tell_child(c, count);
	cs_tell_child(c, value);
	*minflt_delta = cs_wait_child(c);
	*pgreuse_delta = cs_wait_child(c);
}

void cs_child_exit(struct cs_chan *c)
{
	cs_tell_child(c, -1);
}

/* ---- loading and unloading the module (d* scenarios) ---- */

int cs_module_unload(void)
{
	return syscall(SYS_delete_module, "cowstat", O_NONBLOCK);
}

int cs_module_load(const char *params)
{
	const char *ko = getenv("COWSTAT_KO");
	int fd, ret, err;

	if (!ko || !*ko)
		cs_die("COWSTAT_KO is not set: run in the test VM with --insmod");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cs_die("open %s", ko);
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}
