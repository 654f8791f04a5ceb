// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace verify -- COMMAND: run COMMAND once with both backends counting
 * at the same time, the cowstat module and cowtrace's BPF programs, and
 * print per counter and per process the module's count, the BPF count
 * and the difference.  Exit 0 when every counter both call exact agrees,
 * 3 when one differs (or the BPF programs missed invocations, which makes
 * their counts lower bounds, or a backend let records go during the run,
 * so some processes could not be compared), 1 on an error.
 *
 * Two independent implementations of the same counters: where they
 * disagree, one of them is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowtrace.h"
#include "bpf_source.h"
#include "report.h"
#include "source.h"

#define EXIT_DIFFER 3

static void usage_verify(void)
{
	printf("Usage: cowtrace verify [--all] -- COMMAND [ARGS...]\n"
	       "Runs COMMAND once with the cowstat module and cowtrace's BPF programs\n"
	       "counting at the same time and compares them per counter and per process.\n"
	       "  --all   list every compared counter, zeros too\n"
	       "Exit status: 0 when every counter both backends call exact agrees, 3 when\n"
	       "one differs, the BPF programs missed invocations or a backend let records\n"
	       "go during the run (some processes not compared), 1 on an error.\n");
}

/* Exact in both: the module says exact or derived, BPF says exact. */
static bool both_exact(const struct cow_probes *mp, const struct cow_source *b, int i)
{
	enum cow_cap cap = mp ? mp->cap[i] : CAP_UNKNOWN;

	return (cap == CAP_EXACT || cap == CAP_DERIVED) && cow_bpf_counter_exact(b, i);
}

static const struct cow_proc *find_proc(const struct cow_report *r, const struct cow_proc *p)
{
	for (size_t i = 0; i < r->nr_procs; i++)
		if (r->procs[i].tgid == p->tgid && r->procs[i].start_ns == p->start_ns)
			return &r->procs[i];
	return NULL;
}

static uint64_t get(const struct cow_counters *c, int i)
{
	return c->have[i] ? c->val[i] : 0;
}

/*
 * Records @s let go between @before and @after: exited ones recycled out of
 * the module's ring (max_exited) and new ones refused for a full table
 * (max_records, or BPF's record map).  A process of COMMAND missing on one
 * side is then no evidence of a difference, only of a lost record.
 */
static uint64_t records_lost(const struct cow_stats *before, const struct cow_stats *after)
{
	static const char *const names[] = { "records_recycled", "records_dropped" };
	uint64_t sum = 0, b, a;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (cow_stats_extra(before, names[i], &b) &&
		    cow_stats_extra(after, names[i], &a) && a > b)
			sum += a - b;
	return sum;
}

/* One line per counter; returns the number of differences among exact ones. */
static int compare(FILE *out, const char *who, const struct cow_counters *m,
		   const struct cow_counters *b, const struct cow_probes *mp,
		   const struct cow_source *bs, bool all, int *compared)
{
	int diffs = 0;

	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		bool exact = both_exact(mp, bs, i);
		uint64_t mv = get(m, i), bv = get(b, i);

		if (!exact) {
			if (all || mv)
				fprintf(out, "  %-10s %-24s %12llu %12s %12s  not compared (%s)\n", who,
					cow_counter_info[i].name, (unsigned long long)mv, "-", "-",
					cow_bpf_counter_exact(bs, i) ? "not exact in the module"
								     : "unavailable in bpf");
			continue;
		}
		(*compared)++;
		if (mv != bv)
			diffs++;
		if (!all && !mv && !bv)
			continue;
		fprintf(out, "  %-10s %-24s %12llu %12llu %+12lld%s\n", who,
			cow_counter_info[i].name, (unsigned long long)mv, (unsigned long long)bv,
			(long long)(bv - mv), mv != bv ? "  DIFFERS" : "");
	}
	return diffs;
}

int cmd_verify(int argc, char **argv)
{
	struct cow_report rm = { .mode = "run" }, rb = { .mode = "run" };
	struct cow_table base_m, base_b;
	struct cow_source mod, bpf;
	struct cow_probes mprobes;
	struct cow_stats st_m0, st_b0, st_m1, st_b1;
	bool have_mprobes, have_st, all = false;
	int go[2], ready[2], status = 0, diffs = 0, compared = 0, argi = 1, err;
	int uncompared = 0;
	uint64_t gen_m, gen_b, misses, lost_m = 0, lost_b = 0;
	char **cmd;
	pid_t pid;
	char kernel[128];

	for (; argi < argc; argi++) {
		if (!strcmp(argv[argi], "--")) {
			argi++;
			break;
		}
		if (!strcmp(argv[argi], "--all")) {
			all = true;
		} else if (!strcmp(argv[argi], "-h") || !strcmp(argv[argi], "--help")) {
			usage_verify();
			return 0;
		} else if (argv[argi][0] == '-') {
			cow_usage_error("verify: unknown option '%s' (cowtrace verify --help)", argv[argi]);
		} else {
			break;
		}
	}
	if (argi >= argc)
		cow_usage_error("verify: no COMMAND: give cowtrace verify -- COMMAND [ARGS...]");
	cmd = argv + argi;

	cow_backend = COW_BACKEND_MODULE;
	if (cow_source_open(&mod))
		return EXIT_RUNTIME;
	if (cow_bpf_source_open(&bpf)) {
		cow_source_close(&mod);
		return EXIT_RUNTIME;
	}
	have_mprobes = !mod.ops->read_probes(&mod, &mprobes);

	if (pipe2(go, O_CLOEXEC) || pipe2(ready, O_CLOEXEC)) {
		cow_err("pipe: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	/* Quiet from ready until go: both groups start on a still child. */
	err = cow_spawn_command(cmd, NULL, ready[1], go[0], -1, &pid);
	if (err) {
		cow_err("verify: cannot start a child for COMMAND: %s", strerror(-err));
		goto fail;
	}
	close(go[0]);
	close(ready[1]);
	{
		char c;
		ssize_t n;

		do
			n = read(ready[0], &c, 1);
		while (n < 0 && errno == EINTR);
		close(ready[0]);
		if (n != 1) {
			cow_err("verify: the child for COMMAND died before it could run");
			waitpid(pid, &status, 0);
			goto fail;
		}
	}
	rm.start_ns = rb.start_ns = cow_boottime_ns();
	if (mod.ops->track_start(&mod, pid, 0, 0) || bpf.ops->track_start(&bpf, pid, 0, 0)) {
		cow_err("verify: cannot track COMMAND (PID %d) in both backends", (int)pid);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		goto fail;
	}
	gen_m = cow_source_group_gen(&mod, pid);
	gen_b = cow_source_group_gen(&bpf, pid);
	if (cow_source_snapshot(&mod, &base_m))
		memset(&base_m, 0, sizeof(base_m));
	if (bpf.ops->read_procs(&bpf, &base_b))
		memset(&base_b, 0, sizeof(base_b));
	have_st = !mod.ops->read_stats(&mod, &st_m0) && !bpf.ops->read_stats(&bpf, &st_b0);
	if (write(go[1], "g", 1) != 1)
		kill(pid, SIGKILL);
	close(go[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (getenv("COWTRACE_VERIFY_DUMP")) {
		/* debugging aid: every record of both, with its wp_faults */
		struct cow_table t;

		for (int k = 0; k < 2; k++) {
			struct cow_source *src = k ? &bpf : &mod;

			if (src->ops->read_procs(src, &t))
				continue;
			for (size_t i = 0; i < t.nr; i++)
				if (t.rows[i].start_ns >= rm.start_ns || t.rows[i].tgid == pid)
					printf("dump %s gen %llu tgid %lld ppid %lld start %llu %s wp_faults %llu\n",
					       k ? "bpf" : "module", (unsigned long long)t.rows[i].gen,
					       (long long)t.rows[i].tgid, (long long)t.rows[i].ppid,
					       (unsigned long long)t.rows[i].start_ns, t.rows[i].comm,
					       (unsigned long long)t.rows[i].c.val[COWSTAT_wp_faults]);
			cow_table_free(&t);
		}
	}
	rm.leaders = rb.leaders = &pid;
	rm.nr_leaders = rb.nr_leaders = 1;
	rm.group_gens = &gen_m;
	rb.group_gens = &gen_b;
	if (cow_report_collect(&mod, &rm, &base_m, rm.start_ns, 0) ||
	    cow_report_collect(&bpf, &rb, &base_b, rb.start_ns, 0)) {
		cow_table_free(&base_m);
		cow_table_free(&base_b);
		goto fail;
	}
	misses = cow_bpf_misses(&bpf);
	/* After the rows are read: a record let go until then is lost too. */
	if (have_st && !mod.ops->read_stats(&mod, &st_m1) && !bpf.ops->read_stats(&bpf, &st_b1)) {
		lost_m = records_lost(&st_m0, &st_m1);
		lost_b = records_lost(&st_b0, &st_b1);
	}
	cow_kernel_release(kernel, sizeof(kernel));

	printf("cowtrace verify: module %s vs bpf on %s; COMMAND exited with %d\n", mod.modver,
	       kernel, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	printf("  %-10s %-24s %12s %12s %12s\n", "WHO", "COUNTER", "MODULE", "BPF", "BPF-MODULE");
	diffs += compare(stdout, "total", &rm.total, &rb.total, have_mprobes ? &mprobes : NULL,
			 &bpf, all, &compared);
	for (size_t i = 0; i < rm.nr_procs; i++) {
		const struct cow_proc *pm = &rm.procs[i], *pb = find_proc(&rb, pm);
		struct cow_counters none = { 0 };
		char who[32];

		snprintf(who, sizeof(who), "%lld", (long long)pm->tgid);
		if (!pb && lost_b) {
			printf("  process %lld %s (missing in bpf, which let records go: not compared)\n",
			       (long long)pm->tgid, pm->comm);
			uncompared++;
			continue;
		}
		printf("  process %lld %s%s\n", (long long)pm->tgid, pm->comm,
		       pb ? "" : " (missing in bpf)");
		diffs += compare(stdout, who, &pm->c, pb ? &pb->c : &none,
				 have_mprobes ? &mprobes : NULL, &bpf, all, &compared);
		if (!pb)
			diffs++;
	}
	for (size_t i = 0; i < rb.nr_procs; i++) {
		if (find_proc(&rm, &rb.procs[i]))
			continue;
		if (lost_m) {
			printf("  process %lld %s (missing in the module, which let records go: not compared)\n",
			       (long long)rb.procs[i].tgid, rb.procs[i].comm);
			uncompared++;
			continue;
		}
		printf("  process %lld %s (missing in the module)\n", (long long)rb.procs[i].tgid,
		       rb.procs[i].comm);
		diffs++;
	}
	if (misses)
		printf("bpf missed %llu invocations (fentry recursion guard): its counts are lower bounds\n",
		       (unsigned long long)misses);
	if (lost_m)
		printf("module let %llu records go during the run (records_recycled, records_dropped): reload cowstat with a larger max_exited (or max_records) to compare every process\n",
		       (unsigned long long)lost_m);
	if (lost_b)
		printf("bpf let %llu records go during the run (records_dropped): its record map was full\n",
		       (unsigned long long)lost_b);
	printf("verify: %d comparisons of exact counters, %d differences, %zu processes: %s",
	       compared, diffs, rm.nr_procs,
	       diffs || misses ? "DIFFER" : uncompared ? "INCOMPLETE" : "AGREE");
	if (uncompared)
		printf(", %d processes not compared (records let go)", uncompared);
	putchar('\n');

	cow_report_free(&rm);
	cow_report_free(&rb);
	cow_table_free(&base_m);
	cow_table_free(&base_b);
	cow_source_close(&bpf);
	cow_source_close(&mod);
	return diffs || misses || uncompared ? EXIT_DIFFER : 0;
fail:
	cow_source_close(&bpf);
	cow_source_close(&mod);
	return EXIT_RUNTIME;
}
