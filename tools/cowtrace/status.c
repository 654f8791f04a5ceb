// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace status: is the module there, which probes did it place, which
 * counters can it count exactly on this kernel.
 *
 * cowtrace status --selftest: a workload whose counts are known in
 * advance (Documentation/cowtrace.rst, and scenario S1a of the hook
 * notes): N pages written, fork, the child writes K of them and exits,
 * then the parent writes all N.  The child must copy K pages and the
 * parent reuse N; fork must share N.  A track group with an address range
 * keeps libc's own writes out of the count, and /proc/vmstat's pgreuse
 * gives an independent, system-wide count of the reuses.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "report.h"
#include "source.h"

struct status_args {
	bool selftest;
	bool json;
	long pages;
	long writes;
};

static const char status_doc[] =
"Show the state of the cowstat module, or check it on a known workload.\n"
"\n"
"USAGE: cowtrace status [--selftest [--pages N] [--writes K]] [--json]\n"
"\n"
"EXAMPLES:\n"
"    cowtrace status             # module, kernel, probes, counter capabilities\n"
"    cowtrace status --json      # the same as one JSON document\n"
"    cowtrace status --selftest  # 256 pages, child writes 100: compare counts";

static const struct argp_option status_opts[] = {
	{ "selftest", 't', NULL, 0, "Run a known workload, compare the module's counts", 0 },
	{ "pages", 'n', "N", 0, "Selftest: pages in the region (default 256)", 0 },
	{ "writes", 'k', "K", 0, "Selftest: pages the child writes (default 100)", 0 },
	{ "json", 'j', NULL, 0, "Print one JSON document instead of text", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{},
};

static struct argp status_argp;

static error_t parse_status(int key, char *arg, struct argp_state *state)
{
	struct status_args *a = state->input;

	switch (key) {
	case 't':
		a->selftest = true;
		break;
	case 'n':
		a->pages = cow_parse_long(arg, "--pages", 1, 1 << 20);
		break;
	case 'k':
		a->writes = cow_parse_long(arg, "--writes", 0, 1 << 20);
		break;
	case 'j':
		a->json = true;
		break;
	case 'h':
		cow_print_help(&status_argp, "cowtrace status");
		break;
	case ARGP_KEY_ARG:
		cow_usage_error("status takes no argument '%s'", arg);
		break;
	case ARGP_KEY_ERROR:
		cow_remember_bad_option(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct argp status_argp = {
	.options = status_opts,
	.parser = parse_status,
	.doc = status_doc,
};

/* ---- status ---- */

static void print_wrapped(const char *label, const struct cow_probes *p, enum cow_cap cap)
{
	int col = printf("  %-13s", label);
	int n = 0;

	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		char item[128];
		int len;

		if (p->cap[i] != cap)
			continue;
		if (cap == CAP_UNAVAILABLE && p->reason[i][0])
			len = snprintf(item, sizeof(item), "%s (%s)", cow_counter_info[i].name,
				       p->reason[i]);
		else
			len = snprintf(item, sizeof(item), "%s", cow_counter_info[i].name);
		if (n && col + len + 1 > 78) {
			printf("\n%15s", "");
			col = 15;
		} else if (n) {
			col += printf(" ");
		}
		col += printf("%s", item);
		n++;
	}
	printf("%s\n", n ? "" : "(none)");
}

static const char *why_not_open(int err)
{
	switch (err) {
	case -ENOENT:
		return "not loaded";
	case -EACCES:
		return "unknown (status needs root)";
	case -ENODEV:
		return "unknown (debugfs is not mounted)";
	default:
		return "unusable (see the message above)";
	}
}

static void status_json_probes(struct json *j, const struct cow_probes *p)
{
	json_array_begin(j, "probes");
	for (size_t i = 0; i < p->nr; i++) {
		json_object_begin(j, NULL);
		json_str(j, "symbol", p->probe[i].symbol);
		json_str(j, "state", p->probe[i].state);
		json_u64(j, "hits", p->probe[i].hits);
		json_u64(j, "nmissed", p->probe[i].nmissed);
		json_u64(j, "nmissed_reentry", p->probe[i].nmissed_reentry);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_begin(j, "counters");
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		json_object_begin(j, cow_counter_info[i].name);
		json_str(j, "capability", cow_cap_name(p->cap[i]));
		if (p->cap[i] == CAP_UNAVAILABLE)
			json_str(j, "reason", p->reason[i]);
		json_str(j, "meaning", cow_counter_info[i].meaning);
		json_object_end(j);
	}
	json_object_end(j);
}

static int show_status(struct cow_source *src, int open_err, const struct status_args *a)
{
	struct cow_probes probes;
	struct cow_stats st;
	char kernel[128];
	bool have_probes = false, have_stats = false;

	cow_kernel_release(kernel, sizeof(kernel));
	if (!open_err) {
		have_probes = !src->ops->read_probes(src, &probes);
		have_stats = !src->ops->read_stats(src, &st);
	}
	if (a->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_u64(&j, "cowtrace_json_format", 1);
		json_str(&j, "cowtrace_version", COWTRACE_VERSION);
		json_str(&j, "kernel", kernel);
		json_str(&j, "backend", !open_err && !strcmp(src->ops->name, "bpf") ? "bpf" : "module");
		json_object_begin(&j, "module");
		json_bool(&j, "loaded", !open_err);
		if (!open_err) {
			json_str(&j, "version", src->modver);
			json_u64(&j, "debugfs_format", src->format);
			json_str(&j, "debugfs", src->dir);
		} else {
			json_str(&j, "problem", why_not_open(open_err));
		}
		json_object_end(&j);
		if (have_probes)
			status_json_probes(&j, &probes);
		if (have_stats) {
			json_object_begin(&j, "health");
			for (size_t i = 0; i < st.nr_extra; i++)
				json_u64(&j, st.extra[i].name, st.extra[i].val);
			json_object_end(&j);
		}
		json_object_end(&j);
		json_finish(&j);
		return open_err ? EXIT_RUNTIME : 0;
	}
	if (open_err) {
		printf("module:   %s\nkernel:   %s\n", why_not_open(open_err), kernel);
		return EXIT_RUNTIME;
	}
	if (!strcmp(src->ops->name, "bpf"))
		printf("backend:  bpf: cowtrace's BPF programs, no module (STATE: how each hook is attached)\n");
	else
		printf("backend:  module\nmodule:   loaded: cowstat %s, debugfs format %d, %s\n",
		       src->modver, src->format, src->dir);
	printf("kernel:   %s\n", kernel);
	if (!have_probes) {
		printf("probes:   unreadable (%s/probes)\n", src->dir);
	} else {
		struct cow_tab t;
		char (*row)[TAB_CELL];

		tab_init(&t, 5);
		tab_left(&t, 0);
		tab_left(&t, 1);
		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "SYMBOL");
		snprintf(row[1], TAB_CELL, "STATE");
		snprintf(row[2], TAB_CELL, "HITS");
		snprintf(row[3], TAB_CELL, "MISSED");
		snprintf(row[4], TAB_CELL, "MISSED-REENTRY");
		for (size_t i = 0; i < probes.nr; i++) {
			row = tab_row(&t);
			snprintf(row[0], TAB_CELL, "%s", probes.probe[i].symbol);
			snprintf(row[1], TAB_CELL, "%s", probes.probe[i].state);
			snprintf(row[2], TAB_CELL, "%llu", (unsigned long long)probes.probe[i].hits);
			snprintf(row[3], TAB_CELL, "%llu", (unsigned long long)probes.probe[i].nmissed);
			snprintf(row[4], TAB_CELL, "%llu",
				 (unsigned long long)probes.probe[i].nmissed_reentry);
		}
		printf("probes:\n");
		tab_print(stdout, &t, "  ");
		tab_free(&t);
		printf("counters:\n");
		print_wrapped("exact:", &probes, CAP_EXACT);
		print_wrapped("derived:", &probes, CAP_DERIVED);
		print_wrapped("unavailable:", &probes, CAP_UNAVAILABLE);
		for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
			if (probes.cap[i] == CAP_UNKNOWN) {
				print_wrapped("not listed:", &probes, CAP_UNKNOWN);
				break;
			}
		}
	}
	if (have_stats && st.nr_extra) {
		printf("health:  ");
		for (size_t i = 0; i < st.nr_extra; i++)
			printf(" %s %llu", st.extra[i].name, (unsigned long long)st.extra[i].val);
		printf("\n");
	}
	return 0;
}

/* ---- selftest ---- */

struct selftest_result {
	uint64_t pgreuse_delta;
	int have_pgreuse;
};

/* pgreuse from /proc/vmstat, read without stdio so no memory is touched. */
static int read_pgreuse(char *buf, size_t len, uint64_t *val)
{
	int fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;
	char *p;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	p = strstr(buf, "\npgreuse ");
	if (!p)
		return -1;
	*val = strtoull(p + 9, NULL, 10);
	return 0;
}

static void __attribute__((noreturn)) selftest_worker(long pages, long writes, int ready_fd,
						      int go_fd, int result_fd)
{
	static char vmstat[32768];
	struct selftest_result res = { 0 };
	size_t len = (size_t)pages * PAGE_BYTES;
	uint64_t before = 0, after = 0;
	uintptr_t start;
	cpu_set_t cpus;
	char *base, *region;
	pid_t child;
	int cpu = sched_getcpu(), status;
	char c;

	/* One CPU for both processes: a page still held in another CPU's
	 * LRU batch has an extra reference and would be copied, not reused. */
	CPU_ZERO(&cpus);
	CPU_SET(cpu < 0 ? 0 : cpu, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	/* The region: its own VMA between PROT_NONE guards, 2 MiB aligned,
	 * never a THP (Debian defaults to THP always). */
	base = mmap(NULL, len + 2 * HUGE_BYTES + 2 * PAGE_BYTES, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		_exit(EXIT_RUNTIME);
	start = ((uintptr_t)base + PAGE_BYTES + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
	region = mmap((void *)start, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (region == MAP_FAILED)
		_exit(EXIT_RUNTIME);
	madvise(region, len, MADV_NOHUGEPAGE);
	for (long i = 0; i < pages; i++)
		region[i * PAGE_BYTES] = 1;

	if (write(ready_fd, &start, sizeof(start)) != sizeof(start) || read(go_fd, &c, 1) != 1)
		_exit(EXIT_RUNTIME);

	child = fork();
	if (child < 0)
		_exit(EXIT_RUNTIME);
	if (child == 0) {
		for (long i = 0; i < writes; i++)
			region[i * PAGE_BYTES] = 2;
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child)
		_exit(EXIT_RUNTIME);
	/* The first read takes the faults of our own buffer and stack. */
	read_pgreuse(vmstat, sizeof(vmstat), &before);
	res.have_pgreuse = !read_pgreuse(vmstat, sizeof(vmstat), &before);
	for (long i = 0; i < pages; i++)
		region[i * PAGE_BYTES] = 3;
	res.have_pgreuse &= !read_pgreuse(vmstat, sizeof(vmstat), &after);
	res.pgreuse_delta = after - before;
	if (write(result_fd, &res, sizeof(res)) != sizeof(res))
		_exit(EXIT_RUNTIME);
	_exit(0);
}

struct expectation {
	enum cowstat_counter counter;
	uint64_t expected;
};

static int selftest(struct cow_source *src, const struct status_args *a)
{
	struct selftest_result res;
	struct cow_probes probes;
	struct cow_table groups;
	const struct cow_row *g = NULL;
	int ready[2], go[2], result[2], status, err, failed = 0;
	uintptr_t start;
	pid_t w;
	long writes = a->writes > a->pages ? a->pages : a->writes;
	const struct expectation expect[] = {
		{ COWSTAT_fork_pages_shared, a->pages },
		{ COWSTAT_fork_pages_shared_anon, a->pages },
		{ COWSTAT_cow_copies, writes },
		{ COWSTAT_cow_copies_anon, writes },
		{ COWSTAT_cow_reuses, a->pages },
		{ COWSTAT_cow_reuses_moved, a->pages },
		{ COWSTAT_shared_writes, 0 },
	};
	const size_t nr_expect = sizeof(expect) / sizeof(expect[0]);
	bool have_probes = !src->ops->read_probes(src, &probes);

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(result, O_CLOEXEC)) {
		cow_err("pipe: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	fflush(NULL);
	w = fork();
	if (w < 0) {
		cow_err("fork: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (w == 0) {
		close(ready[0]);
		close(go[1]);
		close(result[0]);
		selftest_worker(a->pages, writes, ready[1], go[0], result[1]);
	}
	close(ready[1]);
	close(go[0]);
	close(result[1]);
	if (read(ready[0], &start, sizeof(start)) != sizeof(start)) {
		cow_err("selftest: the workload could not map its region: free some memory");
		waitpid(w, &status, 0);
		return EXIT_RUNTIME;
	}
	err = src->ops->track_start(src, w, start, start + a->pages * PAGE_BYTES);
	if (err) {
		cow_err("selftest: cannot track PID %d: %s", (int)w, cow_track_strerror(-err));
		close(go[1]);
		waitpid(w, &status, 0);
		return EXIT_RUNTIME;
	}
	if (write(go[1], "g", 1) != 1 || read(result[0], &res, sizeof(res)) != sizeof(res)) {
		cow_err("selftest: the workload failed: free some memory and retry");
		kill(w, SIGKILL);
		waitpid(w, &status, 0);
		return EXIT_RUNTIME;
	}
	close(go[1]);
	close(result[0]);
	close(ready[0]);
	waitpid(w, &status, 0);

	if (src->ops->read_groups(src, &groups)) {
		cow_err("selftest: cannot read the track group: %s", groups.err);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < groups.nr; i++)
		if (groups.rows[i].tgid == w && (!g || groups.rows[i].gen > g->gen))
			g = &groups.rows[i];
	if (!g) {
		cow_err("selftest: the module shows no track group for PID %d: reload the module",
			(int)w);
		cow_table_free(&groups);
		return EXIT_RUNTIME;
	}

	struct json j;
	struct cow_tab t;
	char (*row)[TAB_CELL];

	if (a->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_u64(&j, "cowtrace_json_format", 1);
		json_object_begin(&j, "selftest");
		json_u64(&j, "pages", a->pages);
		json_u64(&j, "child_writes", writes);
		json_array_begin(&j, "checks");
	} else {
		printf("selftest: %ld pages; fork; the child writes %ld and exits; the parent writes %ld\n",
		       a->pages, writes, a->pages);
		tab_init(&t, 4);
		tab_left(&t, 0);
		tab_left(&t, 3);
		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "COUNTER");
		snprintf(row[1], TAB_CELL, "EXPECTED");
		snprintf(row[2], TAB_CELL, "MODULE");
		snprintf(row[3], TAB_CELL, "VERDICT");
	}
	for (size_t i = 0; i < nr_expect; i++) {
		int idx = expect[i].counter;
		const char *verdict;

		if (have_probes && probes.cap[idx] == CAP_UNAVAILABLE)
			verdict = "unavailable on this kernel";
		else if (!g->c.have[idx])
			verdict = "FAIL (the module does not print it)";
		else if (g->c.val[idx] == expect[i].expected)
			verdict = "ok";
		else
			verdict = "FAIL";
		failed += !strncmp(verdict, "FAIL", 4);
		if (a->json) {
			json_object_begin(&j, NULL);
			json_str(&j, "counter", cow_counter_info[idx].name);
			json_u64(&j, "expected", expect[i].expected);
			if (g->c.have[idx])
				json_u64(&j, "module", g->c.val[idx]);
			else
				json_null(&j, "module");
			json_bool(&j, "ok", !strcmp(verdict, "ok"));
			json_str(&j, "verdict", verdict);
			json_object_end(&j);
		} else {
			row = tab_row(&t);
			snprintf(row[0], TAB_CELL, "%s", cow_counter_info[idx].name);
			snprintf(row[1], TAB_CELL, "%llu", (unsigned long long)expect[i].expected);
			cow_fmt_count(row[2], TAB_CELL, &g->c, idx);
			snprintf(row[3], TAB_CELL, "%s", verdict);
		}
	}
	/* pgreuse is system-wide: other processes can only add to it. */
	bool pg_ok = res.have_pgreuse && res.pgreuse_delta >= (uint64_t)a->pages;

	if (res.have_pgreuse && !pg_ok)
		failed++;
	if (a->json) {
		json_array_end(&j);
		if (res.have_pgreuse)
			json_u64(&j, "pgreuse_delta", res.pgreuse_delta);
		else
			json_null(&j, "pgreuse_delta");
		json_bool(&j, "passed", !failed);
		json_object_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else {
		tab_print(stdout, &t, "  ");
		tab_free(&t);
		if (res.have_pgreuse)
			printf("  /proc/vmstat pgreuse grew by %llu while the parent wrote (system-wide; %ld expected at least): %s\n",
			       (unsigned long long)res.pgreuse_delta, a->pages, pg_ok ? "ok" : "FAIL");
		else
			printf("  /proc/vmstat has no pgreuse on this kernel: no independent check\n");
		printf("selftest: %s\n", failed ? "FAILED" : "passed");
	}
	cow_table_free(&groups);
	return failed ? EXIT_RUNTIME : 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_args a = { .pages = 256, .writes = 100 };
	struct cow_source src;
	int err, ret;

	cow_parse_options(&status_argp, argc, argv, &a);
	err = cow_source_open(&src);
	if (a.selftest) {
		if (err)
			return EXIT_RUNTIME;
		ret = selftest(&src, &a);
	} else {
		ret = show_status(&src, err, &a);
	}
	if (!err)
		cow_source_close(&src);
	return ret;
}
