// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace top: the processes with the most COW copies per second, from
 * successive reads of `procs`, in the manner of biotop and slabratetop.
 *
 * On a terminal each refresh redraws the screen with two ANSI escapes
 * (home, clear to end), which every terminal emulator and tmux know, so
 * no curses library is needed.  When stdout is not a terminal the frames
 * are printed one after the other, each under a timestamp line.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "report.h"
#include "source.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

struct sort_key {
	const char *name;
	int counter;		/* -1: by PID */
	const char *header;
};

static const struct sort_key sort_keys[] = {
	{ "copies", COWSTAT_cow_copies, "COPIES/s" },
	{ "reuses", COWSTAT_cow_reuses, "REUSES/s" },
	{ "shared", COWSTAT_shared_writes, "SHARED-WR/s" },
	{ "faults", COWSTAT_wp_faults, "WP-FAULTS/s" },
	{ "forks", COWSTAT_forks, "FORKS/s" },
	{ "pages", COWSTAT_fork_pages_shared, "PAGES-SHARED/s" },
	{ "pid", -1, "PID" },
};

/* The rate columns, in display order. */
static const int rate_cols[] = {
	COWSTAT_cow_copies, COWSTAT_cow_reuses, COWSTAT_shared_writes,
	COWSTAT_wp_faults, COWSTAT_forks, COWSTAT_fork_pages_shared,
};
#define NR_RATES (int)(sizeof(rate_cols) / sizeof(rate_cols[0]))

struct top_args {
	double interval;
	const struct sort_key *sort;
	long rows;
	long count;
	bool noclear;
	const char *cgroup;	/* -c: the argument, then the resolved path */
};

struct top_line {
	const struct cow_proc *p;
	double rate[NR_RATES];
	bool have[NR_RATES];
	double copied_bytes;
};

static const char top_doc[] =
"Live view of the processes with the most COW copies per second.\n"
"\n"
"USAGE: cowtrace top [-s KEY] [-r ROWS] [-C] [-c CGROUP] [INTERVAL [COUNT]]\n"
"\n"
"INTERVAL (seconds, default 1) and COUNT (refreshes, default: until\n"
"Ctrl-C) are positional, as in biotop; -i and --count say the same.\n"
"Sort keys: copies (default), reuses, shared, faults, forks, pages, pid.\n"
"A counter the module cannot count on this kernel shows as -.\n"
"\n"
"EXAMPLES:\n"
"    cowtrace top                # refresh every second, sorted by copies\n"
"    cowtrace top -s forks 5     # every 5 s, processes that fork the most\n"
"    cowtrace top -r 10 1 3      # 10 rows, 3 refreshes, then exit\n"
"    cowtrace top -c user.slice  # only the processes of a cgroup v2 subtree\n"
"    cowtrace top > top.log      # not a terminal: plain timestamped frames";

static const struct argp_option top_opts[] = {
	{ "interval", 'i', "SEC", 0, "Refresh every SEC seconds (default 1)", 0 },
	{ "sort", 's', "KEY", 0, "Sort by KEY (default copies)", 0 },
	{ "rows", 'r', "ROWS", 0, "Show at most ROWS processes (default 20)", 0 },
	{ "count", 0x101, "COUNT", 0, "Exit after COUNT refreshes (default: Ctrl-C)", 0 },
	{ "cgroup", 'c', "CGROUP", 0, "Only the processes of a cgroup v2 subtree", 0 },
	{ "noclear", 'C', NULL, 0, "Do not clear the screen between refreshes", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{},
};

static struct argp top_argp;

/* Is there a directory arg under the cgroup2 mount? */
static bool cgroup_exists(const char *arg)
{
	char mnt[PATH_MAX], path[PATH_MAX * 2];
	struct stat st;

	if (cow_cgroup2_mount(mnt, sizeof(mnt)))
		return false;
	snprintf(path, sizeof(path), "%s/%s", mnt, arg);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static error_t parse_top(int key, char *arg, struct argp_state *state)
{
	struct top_args *a = state->input;

	switch (key) {
	case 'i':
		a->interval = cow_parse_seconds(arg, "-i");
		break;
	case 's':
		a->sort = NULL;
		for (size_t i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++)
			if (!strcmp(sort_keys[i].name, arg))
				a->sort = &sort_keys[i];
		if (!a->sort)
			cow_usage_error("-s: no sort key '%s': use copies, reuses, shared, faults, forks, pages or pid",
					arg);
		break;
	case 'r':
		a->rows = cow_parse_long(arg, "-r", 1, 100000);
		break;
	case 0x101:
		a->count = cow_parse_long(arg, "--count", 1, 1000000000L);
		break;
	case 'c':
		if (a->cgroup)
			cow_usage_error("-c given twice: cowtrace top follows one cgroup (with its descendants)");
		a->cgroup = arg;
		if (*arg && strspn(arg, "0123456789") == strlen(arg) && !cgroup_exists(arg))
			cow_usage_error("-c %s: top's -c names a cgroup now; to stop after %s refreshes give --count %s or COUNT",
					arg, arg, arg);
		break;
	case 'C':
		a->noclear = true;
		break;
	case 'h':
		cow_print_help(&top_argp, "cowtrace top");
		break;
	case ARGP_KEY_ARG:
		/* biotop's positional [INTERVAL [COUNT]] */
		if (state->arg_num == 0)
			a->interval = cow_parse_seconds(arg, "INTERVAL");
		else if (state->arg_num == 1)
			a->count = cow_parse_long(arg, "COUNT", 1, 1000000000L);
		else
			cow_usage_error("top takes at most INTERVAL and COUNT, not '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct argp top_argp = {
	.options = top_opts,
	.parser = parse_top,
	.args_doc = "[INTERVAL [COUNT]]",
	.doc = top_doc,
};

static const struct sort_key *sort_key;

static double sort_value(const struct top_line *l)
{
	for (int k = 0; k < NR_RATES; k++)
		if (rate_cols[k] == sort_key->counter)
			return l->rate[k];
	return 0;
}

static int cmp_lines(const void *a, const void *b)
{
	const struct top_line *x = a, *y = b;
	double vx, vy;

	if (sort_key->counter < 0)
		return x->p->tgid < y->p->tgid ? -1 : x->p->tgid > y->p->tgid;
	vx = sort_value(x);
	vy = sort_value(y);
	if (vx != vy)
		return vx > vy ? -1 : 1;
	return x->p->tgid < y->p->tgid ? -1 : x->p->tgid > y->p->tgid;
}

static const struct cow_proc *find(const struct cow_proc *procs, size_t nr,
				   const struct cow_proc *p)
{
	for (size_t i = 0; i < nr; i++)
		if (procs[i].tgid == p->tgid && procs[i].start_ns == p->start_ns)
			return &procs[i];
	return NULL;
}

static void fmt_rate(char *buf, double v)
{
	if (v >= 100 || v == 0)
		snprintf(buf, TAB_CELL, "%.0f", v);
	else
		snprintf(buf, TAB_CELL, "%.1f", v);
}

static void draw(FILE *f, const struct top_args *a, bool tty, int height,
		 const struct cow_pidset *in_cgroup, const struct cow_pidset *was_in_cgroup,
		 const struct cow_proc *cur, size_t nr_cur,
		 const struct cow_proc *prev, size_t nr_prev, double dt,
		 const struct cow_stats *st, const struct cow_stats *st_prev)
{
	struct top_line *lines = calloc(nr_cur ? nr_cur : 1, sizeof(*lines));
	size_t n = 0;
	long rows = a->rows;
	struct cow_tab t;
	char (*row)[TAB_CELL];
	char stamp[16], rate[4][TAB_CELL];
	time_t now = time(NULL);
	struct tm tm;

	if (!lines)
		return;
	for (size_t i = 0; i < nr_cur; i++) {
		struct cow_counters c = cur[i].c;
		const struct cow_proc *old = find(prev, nr_prev, &cur[i]);
		bool active = false;

		/* In the cgroup now, or at the last refresh (since exited, or left). */
		if (in_cgroup && !cow_pidset_has(in_cgroup, (pid_t)cur[i].tgid) &&
		    !cow_pidset_has(was_in_cgroup, (pid_t)cur[i].tgid))
			continue;
		if (old)
			cow_counters_sub(&c, &old->c);
		lines[n].p = &cur[i];
		for (int k = 0; k < NR_RATES; k++) {
			lines[n].have[k] = c.have[rate_cols[k]];
			lines[n].rate[k] = c.have[rate_cols[k]] ? c.val[rate_cols[k]] / dt : 0;
			active |= lines[n].rate[k] > 0;
		}
		lines[n].copied_bytes = cow_counter_bytes(COWSTAT_cow_copies,
							  c.val[COWSTAT_cow_copies]) / dt;
		if (active)
			n++;
	}
	qsort(lines, n, sizeof(*lines), cmp_lines);

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	for (int k = 0; k < 4; k++) {
		static const int sys[] = {
			COWSTAT_cow_copies, COWSTAT_cow_reuses, COWSTAT_forks, COWSTAT_shared_writes,
		};
		uint64_t d = st->c.val[sys[k]] > st_prev->c.val[sys[k]] ?
			st->c.val[sys[k]] - st_prev->c.val[sys[k]] : 0;

		if (st->c.have[sys[k]])
			fmt_rate(rate[k], d / dt);
		else
			snprintf(rate[k], TAB_CELL, "-");
	}
	if (tty && !a->noclear)
		fputs("\033[H\033[J", f);
	fprintf(f, "%s cowtrace top, every %.3gs, sorted by %s; system: %s copies/s, %s reuses/s, %s forks/s, %s shared-wr/s\n",
		stamp, a->interval, a->sort->name, rate[0], rate[1], rate[2], rate[3]);
	if (a->cgroup)
		fprintf(f, "cgroup %s: %zu processes\n", a->cgroup, in_cgroup->nr);
	if (tty && height > 4 && rows > height - (a->cgroup ? 4 : 3))
		rows = height - (a->cgroup ? 4 : 3);

	tab_init(&t, 3 + NR_RATES + 1);
	tab_left(&t, 2);
	row = tab_row(&t);
	snprintf(row[0], TAB_CELL, "PID");
	snprintf(row[1], TAB_CELL, "PPID");
	snprintf(row[2], TAB_CELL, "COMM");
	for (int k = 0; k < NR_RATES; k++)
		for (size_t s = 0; s < sizeof(sort_keys) / sizeof(sort_keys[0]); s++)
			if (sort_keys[s].counter == rate_cols[k])
				snprintf(row[3 + k], TAB_CELL, "%s", sort_keys[s].header);
	snprintf(row[3 + NR_RATES], TAB_CELL, "COPIED/s");
	for (size_t i = 0; i < n && (long)i < rows; i++) {
		row = tab_row(&t);
		snprintf(row[0], TAB_CELL, "%lld", (long long)lines[i].p->tgid);
		snprintf(row[1], TAB_CELL, "%lld", (long long)lines[i].p->ppid);
		snprintf(row[2], TAB_CELL, "%.16s", lines[i].p->comm);
		for (int k = 0; k < NR_RATES; k++) {
			if (lines[i].have[k])
				fmt_rate(row[3 + k], lines[i].rate[k]);
			else
				snprintf(row[3 + k], TAB_CELL, "-");
		}
		if (lines[i].have[0])
			cow_fmt_bytes(row[3 + NR_RATES], TAB_CELL,
				      (uint64_t)lines[i].copied_bytes, true);
		else
			snprintf(row[3 + NR_RATES], TAB_CELL, "-");
	}
	tab_print(f, &t, "");
	if (!n)
		fprintf(f, "(no COW activity%s in this interval)\n",
			a->cgroup ? " in the cgroup" : "");
	if (!tty)
		fputc('\n', f);
	fflush(f);
	tab_free(&t);
	free(lines);
}

static int terminal_height(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row)
		return 0;
	return ws.ws_row;
}

static const struct cow_probes *top_probes;

static int read_procs(struct cow_source *src, struct cow_proc **procs, size_t *nr)
{
	struct cow_table t;

	if (src->ops->read_procs(src, &t)) {
		cow_err("cannot read %s/procs: %s: reload the module", src->dir, t.err);
		return -1;
	}
	*procs = cow_procs_build(&t, NULL, NULL, nr);
	cow_table_free(&t);
	for (size_t i = 0; *procs && i < *nr; i++)
		cow_counters_mask(&(*procs)[i].c, top_probes);
	return 0;
}

static void read_stats(struct cow_source *src, struct cow_stats *st)
{
	memset(st, 0, sizeof(*st));
	src->ops->read_stats(src, st);
	cow_counters_mask(&st->c, top_probes);
}

static int read_cgroup(const char *path, struct cow_pidset *set)
{
	int err = cow_cgroup_read(path, set);

	if (err)
		cow_err("cannot read the processes of cgroup %s: %s%s", path, strerror(-err),
			err == -ENOENT ? ": it was removed" : "");
	return err;
}

int cmd_top(int argc, char **argv)
{
	struct top_args a = { .interval = 1, .sort = &sort_keys[0], .rows = 20 };
	struct sigaction sa = { .sa_handler = on_signal };
	static struct cow_probes probes;
	struct cow_stats st, st_prev;
	struct cow_proc *prev = NULL, *cur = NULL;
	size_t nr_prev = 0, nr_cur = 0;
	struct cow_source src;
	bool tty = isatty(STDOUT_FILENO);
	uint64_t t_prev, t_cur;
	struct cow_pidset in_cgroup = { 0 }, was_in_cgroup = { 0 }, swap;
	char cgroup[PATH_MAX];
	long frames = 0;
	int ret = 0;

	cow_parse_options(&top_argp, argc, argv, &a);
	sort_key = a.sort;
	if (a.cgroup) {
		if (cow_cgroup_resolve(a.cgroup, cgroup, sizeof(cgroup)))
			return EXIT_RUNTIME;
		a.cgroup = cgroup;
	}
	if (cow_source_open(&src))
		return EXIT_RUNTIME;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (!src.ops->read_probes(&src, &probes))
		top_probes = &probes;
	read_stats(&src, &st_prev);
	t_prev = cow_boottime_ns();
	if (read_procs(&src, &prev, &nr_prev)) {
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	if (a.cgroup && read_cgroup(a.cgroup, &was_in_cgroup)) {
		free(prev);
		cow_source_close(&src);
		return EXIT_RUNTIME;
	}
	while (!exiting) {
		uint64_t want = t_prev + (uint64_t)(a.interval * 1e9), now;

		/* A signal cuts a sleep short: sleep again until the refresh is due. */
		while (!exiting && (now = cow_boottime_ns()) < want) {
			struct timespec ts = {
				.tv_sec = (want - now) / 1000000000ULL,
				.tv_nsec = (want - now) % 1000000000ULL,
			};

			nanosleep(&ts, NULL);
		}
		if (exiting)
			break;
		read_stats(&src, &st);
		t_cur = cow_boottime_ns();
		if (read_procs(&src, &cur, &nr_cur)) {
			ret = EXIT_RUNTIME;
			break;
		}
		/* Who is in the cgroup now: a row is shown if its process is. */
		if (a.cgroup && read_cgroup(a.cgroup, &in_cgroup)) {
			free(cur);
			ret = EXIT_RUNTIME;
			break;
		}
		draw(stdout, &a, tty, tty ? terminal_height() : 0,
		     a.cgroup ? &in_cgroup : NULL, &was_in_cgroup, cur, nr_cur, prev, nr_prev,
		     (t_cur - t_prev) / 1e9, &st, &st_prev);
		swap = was_in_cgroup;
		was_in_cgroup = in_cgroup;
		in_cgroup = swap;
		free(prev);
		prev = cur;
		nr_prev = nr_cur;
		cur = NULL;
		st_prev = st;
		t_prev = t_cur;
		if (a.count && ++frames >= a.count)
			break;
	}
	free(prev);
	cow_pidset_free(&in_cgroup);
	cow_pidset_free(&was_in_cgroup);
	cow_source_close(&src);
	return ret;
}
