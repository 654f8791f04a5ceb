// SPDX-License-Identifier: GPL-2.0
/*
 * Shared harness of cowstat's benchmark workloads: options, CPU pinning,
 * the clock, regions, probe windows and the result lines.  See bench.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PROBES_FILE "/sys/kernel/debug/cowstat/probes"

static const char *bench_name = "bench";

struct bench_probes bench_probe_sum;
static struct bench_probes bench_win_open, bench_win_close;
/* Big enough for the probes file; static so a child can pre-touch it. */
static char bench_probes_text[32768];

void bench_die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fprintf(stderr, "bench %s: ", bench_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static void bench_usage(FILE *out, const char *accepted,
			const char *path_help, const struct bench_opts *o)
{
	fprintf(out, "usage: %s [options]\n", bench_name);
	if (strchr(accepted, 'm'))
		fprintf(out, "  -m MIB    region size in MiB (default %zu)\n",
			o->mib);
	if (strchr(accepted, 'r'))
		fprintf(out, "  -r REPS   repetitions; the median is reported (default %d)\n",
			o->reps);
	if (strchr(accepted, 'i'))
		fprintf(out, "  -i ITERS  iterations per repetition (default %d)\n",
			o->iters);
	if (strchr(accepted, 'c'))
		fprintf(out, "  -c CPU    CPU to pin to (default: the last allowed CPU)\n");
	if (strchr(accepted, 'p'))
		fprintf(out, "  -p PATH   %s\n", path_help);
}

static long bench_number(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		errno = 0;
		bench_die("%s takes a number in [%ld, %ld], not '%s'",
			  opt, min, max, s);
	}
	return v;
}

static void bench_pin(int cpu)
{
	cpu_set_t set;
	int i;

	if (cpu < 0) {
		if (sched_getaffinity(0, sizeof(set), &set))
			bench_die("sched_getaffinity");
		for (i = CPU_SETSIZE - 1; i >= 0 && !CPU_ISSET(i, &set); i--)
			;
		cpu = i;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		bench_die("pinning to CPU %d", cpu);
}

void bench_init(int argc, char **argv, const char *name,
		const char *accepted, const char *path_help,
		struct bench_opts *o)
{
	int c;

	bench_name = name;
	while ((c = getopt(argc, argv, "m:r:i:c:p:h")) != -1) {
		if (c != 'h' && c != '?' && !strchr(accepted, c))
			c = '?';
		switch (c) {
		case 'm':
			o->mib = bench_number("-m", optarg, 1, 1 << 20);
			break;
		case 'r':
			o->reps = bench_number("-r", optarg, 1, BENCH_MAX_REPS);
			break;
		case 'i':
			o->iters = bench_number("-i", optarg, 1, 1 << 24);
			break;
		case 'c':
			o->cpu = bench_number("-c", optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'p':
			o->path = optarg;
			break;
		case 'h':
			bench_usage(stdout, accepted, path_help, o);
			exit(0);
		default:
			bench_usage(stderr, accepted, path_help, o);
			exit(2);
		}
	}
	if (optind != argc) {
		bench_usage(stderr, accepted, path_help, o);
		exit(2);
	}
	bench_pin(o->cpu);
	/* Line-buffered even into a pipe, and flushed before every fork. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

char *bench_map_anon(size_t bytes)
{
	char *r = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		bench_die("mmap %zu bytes", bytes);
	/* 4 KiB pages: one fault, one PTE per page. */
	if (madvise(r, bytes, MADV_NOHUGEPAGE))
		bench_die("madvise(MADV_NOHUGEPAGE)");
	return r;
}

void bench_write_pages(char *region, size_t bytes)
{
	volatile char *r = region;
	size_t off;

	for (off = 0; off < bytes; off += BENCH_PAGE)
		r[off] = 1;
}

/* Reads the probes file into @s; n = 0 when the module is not loaded. */
static void bench_probes_read(struct bench_probes *s)
{
	size_t len = 0;
	ssize_t got;
	char *line, *save;
	int fd;

	s->n = 0;
	fd = open(PROBES_FILE, O_RDONLY);
	if (fd < 0)
		return;
	while ((got = read(fd, bench_probes_text + len,
			   sizeof(bench_probes_text) - 1 - len)) > 0)
		len += got;
	close(fd);
	bench_probes_text[len] = '\0';
	for (line = strtok_r(bench_probes_text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct bench_probe *p = &s->p[s->n];

		/* The counter lines follow the probe lines. */
		if (!strncmp(line, "counter ", 8) || s->n == BENCH_MAX_PROBES)
			break;
		if (sscanf(line, "%63s %23s %" SCNu64 " %" SCNu64 " %" SCNu64,
			   p->symbol, p->state, &p->hits, &p->nmissed,
			   &p->reentry) == 5)
			s->n++;
	}
}

void bench_probes_add(struct bench_probes *sum, const struct bench_probes *d)
{
	int i;

	if (!sum->n)
		*sum = *d;
	else if (sum->n == d->n)
		for (i = 0; i < d->n; i++) {
			sum->p[i].hits += d->p[i].hits;
			sum->p[i].nmissed += d->p[i].nmissed;
			sum->p[i].reentry += d->p[i].reentry;
		}
}

void bench_window_child(void)
{
	memset(&bench_probe_sum, 0, sizeof(bench_probe_sum));
	memset(&bench_win_open, 0, sizeof(bench_win_open));
	memset(&bench_win_close, 0, sizeof(bench_win_close));
	memset(bench_probes_text, 0, sizeof(bench_probes_text));
}

/*
 * A mark for bench/insnprof (a qemu plugin that counts the kernel's
 * instructions by address between marks): one instruction, nothing else.
 */
static inline void bench_mark(void)
{
	__asm__ volatile("movabs $0x4b52414d53574f43, %%rax" : : : "rax");
}

void bench_window_open(void)
{
	bench_probes_read(&bench_win_open);
	bench_mark();
}

void bench_window_close(void)
{
	struct bench_probes *a = &bench_win_open, *b = &bench_win_close;
	int i;

	bench_mark();
	bench_probes_read(b);
	/* Module absent, or loaded or unloaded inside the window. */
	if (!b->n || a->n != b->n)
		return;
	for (i = 0; i < b->n; i++) {
		b->p[i].hits -= a->p[i].hits;
		b->p[i].nmissed -= a->p[i].nmissed;
		b->p[i].reentry -= a->p[i].reentry;
	}
	bench_probes_add(&bench_probe_sum, b);
}

void bench_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			bench_die("write to pipe");
		p += n;
		len -= n;
	}
}

void bench_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = 0;
			bench_die("read from pipe (the child died?)");
		}
		p += n;
		len -= n;
	}
}

void bench_wait_ok(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bench_die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = 0;
		bench_die("child %d failed (status 0x%x)", (int)pid, status);
	}
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_report(const char *unit, double *sample, int n, uint64_t units)
{
	double median;
	int i;

	qsort(sample, n, sizeof(*sample), bench_cmp);
	median = n % 2 ? sample[n / 2] :
			 (sample[n / 2 - 1] + sample[n / 2]) / 2;
	printf("RESULT workload=%s unit=%s median=%.4f min=%.4f max=%.4f reps=%d units=%" PRIu64 "\n",
	       bench_name, unit, median, sample[0], sample[n - 1], n, units);
	for (i = 0; i < bench_probe_sum.n; i++) {
		const struct bench_probe *p = &bench_probe_sum.p[i];

		printf("PROBE workload=%s symbol=%s state=%s hits=%" PRIu64 " nmissed=%" PRIu64 " reentry=%" PRIu64 " units=%" PRIu64 "\n",
		       bench_name, p->symbol, p->state, p->hits, p->nmissed,
		       p->reentry, units);
	}
}
