// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace: report the copy-on-write behaviour of a program or of running
 * processes, from the counters of the cowstat kernel module.
 *
 * This file holds the options and hands each job to its own file:
 * run.c (-- COMMAND), attach.c (-p PID, -c CGROUP), top.c (top), status.c (status),
 * export.c (export).
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cowtrace.h"
#include "bpf_source.h"
#include "cgroup.h"
#include "maps.h"
#include "events.h"
#include "timeline.h"

#define MAX_PIDS 64

const char *argp_program_version = "cowtrace " COWTRACE_VERSION;
const char *argp_program_bug_address = "the cowstat issue tracker";

static const char doc[] =
"Report the copy-on-write behaviour of a program, or of running processes,\n"
"from the counters of the cowstat kernel module.  With a COMMAND the report\n"
"goes to stderr (as perf stat's does): stdout stays COMMAND's.\n"
"\n"
"USAGE: cowtrace [OPTIONS] -- COMMAND [ARGS...]\n"
"       cowtrace [OPTIONS] -p PID[,PID...]\n"
"       cowtrace [OPTIONS] -c CGROUP\n"
"       cowtrace top [OPTIONS] [INTERVAL [COUNT]]   (see cowtrace top --help)\n"
"       cowtrace status [--selftest]        (see cowtrace status --help)\n"
"       cowtrace export [--textfile DIR]    (see cowtrace export --help)\n"
"       cowtrace verify [--all] -- COMMAND  (see cowtrace verify --help)\n"
"\n"
"EXAMPLES:\n"
"    cowtrace -- python3 app.py        # run it, report its whole process tree\n"
"    cowtrace --json -- ./server 2>r.json  # the report as JSON, in r.json\n"
"    cowtrace -o r.txt -- make -j2     # the report in r.txt\n"
"    cowtrace --hist -- make -j2       # add COW fault latency histograms\n"
"    cowtrace -i 1 -T -- ./build.sh    # a report each second while it runs\n"
"    sudo cowtrace -- ./build.sh       # COMMAND runs as you, not as root\n"
"    cowtrace -u nobody -- ./job       # run COMMAND as user nobody\n"
"    cowtrace -p 1234                  # attach to PID 1234 until Ctrl-C\n"
"    cowtrace -p 1234,1240 -i 1 -d 10  # two PIDs, a report each second, 10 s\n"
"    cowtrace -p 1234 -i 1 --json      # JSON Lines: one object per interval\n"
"    cowtrace -c system.slice -d 10    # a cgroup v2 subtree's processes, 10 s\n"
"    cowtrace -x , -- make -j2         # values split by commas (perf stat -x)\n"
"    cowtrace --maps -- ./server       # which mappings copied (BPF backend)\n"
"    cowtrace --events --kind copy -- ./server  # each copy as it happens (BPF)\n"
"    cowtrace top                      # live view of who copies the most\n"
"    cowtrace status --selftest        # check the module on a known workload\n"
"    cowtrace export --textfile DIR    # metrics for node_exporter's textfile\n"
"\v"
"Exit status: COMMAND's own status (128+N when a signal N killed it), also\n"
"when the report could not be read after COMMAND ran (stderr says so); 127\n"
"when COMMAND is not found, 126 when it cannot be executed; 1 when the\n"
"module or the environment is not usable; 2 for a bad option.\n"
"\n"
"COWTRACE_DEBUGFS=DIR reads DIR instead of /sys/kernel/debug/cowstat\n"
"(a testing aid, see cowtrace(1)).";

/* Each doc fits argp's 50 columns, so that no option wraps at 80. */
static const struct argp_option opts[] = {
	{ "pid", 'p', "PID[,PID...]", 0, "Attach to processes and to their new children", 0 },
	{ "cgroup", 'c', "CGROUP", 0, "Attach to the processes of a cgroup v2 subtree", 0 },
	{ "interval", 'i', "SEC", 0, "Print a report of each interval of SEC seconds", 0 },
	{ "timestamp", 'T', NULL, 0, "Start each interval report with the time of day", 0 },
	{ "duration", 'd', "SEC", 0, "With -p or -c: stop after SEC seconds", 0 },
	{ "leader-only", 'L', NULL, 0, "Report when COMMAND exits, not when its tree does", 0 },
	{ "user", 'u', "USER", 0, "Run COMMAND as USER (under sudo: SUDO_UID)", 0 },
	{ "json", 'j', NULL, 0, "JSON instead of tables (JSON Lines with -i)", 0 },
	{ "field-separator", 'x', "SEP", 0, "Values split by SEP instead of tables", 0 },
	{ "hist", 'H', NULL, 0, "Add fork and COW fault latency histograms", 0 },
	{ "all", 'a', NULL, 0, "List every counter of the total, zeros too", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE", 0 },
	{ "backend", 0x100, "WHO", 0, "auto, module or bpf (auto: module if loaded)", 0 },
	{ "maps", 0x101, NULL, 0, "Add COW counts per mapping (BPF backend)", 0 },
	{ "maps-top", 'n', "N", 0, "With --maps: show the top N mappings (10)", 0 },
	{ "events", 0x102, NULL, 0, "Print each COW event as it happens (BPF backend)", 0 },
	{ "events-buffer", 0x103, "KiB", 0, "With --events: ring size, 2^n KiB (256)", 0 },
	{ "kind", 0x104, "LIST", 0, "With --events: only these kinds (copy,reuse,...)", 0 },
	{ "min-latency", 0x106, "TIME", 0, "With --events: only faults that took TIME (10us)", 0 },
	{ "timeline", 0x105, "FILE", 0, "Draw the COW events over time to an SVG (BPF)", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", 'U', NULL, 0, "Show a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the version", -1 },
	{},
};

struct main_args {
	pid_t pids[MAX_PIDS];
	int nr_pids;
	const char *cgroup;
	double duration;
	bool has_duration;
	struct cow_user user;
	struct cow_output out;
	const char *output;
	char **command;
	bool has_maps_top;
	bool has_events_buffer;
	bool has_kind;
};

static FILE *out_file;
static const char *out_path;
static struct argp main_argp;

int cow_out_open(const struct cow_output *o)
{
	if (!o->path || out_file)
		return 0;
	out_file = fopen(o->path, "we");
	if (!out_file) {
		cow_err("cannot write %s: %s: give -o a writable path", o->path,
			strerror(errno));
		return -1;
	}
	out_path = o->path;
	return 0;
}

FILE *cow_out(const struct cow_output *o)
{
	if (o->path && !cow_out_open(o))
		return out_file;
	return o->to_stderr ? stderr : stdout;
}

int cow_out_close(void)
{
	bool empty;

	if (!out_file)
		return 0;
	empty = ftell(out_file) == 0;
	if (fclose(out_file)) {
		cow_err("cannot write %s: %s", out_path, strerror(errno));
		out_file = NULL;
		return -1;
	}
	out_file = NULL;
	/* No report was written: leave no empty file behind. */
	if (empty)
		unlink(out_path);
	return 0;
}

void cow_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cowtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cow_usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cowtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(": see cowtrace --help\n", stderr);
	exit(EXIT_USAGE);
}

uint64_t cow_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void cow_kernel_release(char *buf, size_t len)
{
	struct utsname u;

	snprintf(buf, len, "%s", uname(&u) ? "unknown" : u.release);
}

double cow_parse_seconds(const char *arg, const char *opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v <= 0 || v > 1e6)
		cow_usage_error("%s wants seconds, a number above 0 (e.g. 1 or 0.5), not '%s'",
				opt, arg);
	return v;
}

long cow_parse_long(const char *arg, const char *opt, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		cow_usage_error("%s wants a whole number from %ld to %ld, not '%s'", opt, min,
				max, arg);
	return v;
}

void cow_remember_bad_option(const struct argp_state *state)
{
	(void)state;
}

void cow_parse_options(const struct argp *argp, int argc, char **argv, void *input)
{
	char *saved = argv[0], prog[64];

	/* argp and getopt name the program by argv[0]. */
	if (argp == &main_argp)
		snprintf(prog, sizeof(prog), "cowtrace");
	else
		snprintf(prog, sizeof(prog), "cowtrace %s", saved);
	argv[0] = prog;
	argp_parse(argp, argc, argv, ARGP_IN_ORDER | ARGP_NO_HELP, NULL, input);
	argv[0] = saved;
}

void cow_print_help(const struct argp *argp, const char *prog)
{
	argp_help((struct argp *)argp, stdout, ARGP_HELP_STD_HELP, (char *)prog);
	exit(0);
}

static void parse_pids(struct main_args *a, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy) {
		cow_err("out of memory");
		exit(EXIT_RUNTIME);
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (a->nr_pids == MAX_PIDS)
			cow_usage_error("-p takes at most %d PIDs", MAX_PIDS);
		a->pids[a->nr_pids++] = (pid_t)cow_parse_long(tok, "-p", 1, 0x7fffffff);
	}
	free(copy);
	if (!a->nr_pids)
		cow_usage_error("-p wants PID[,PID...], not '%s'", arg);
}

static void parse_user(struct cow_user *u, const char *arg)
{
	struct passwd *pw = getpwnam(arg);
	char *end;

	if (!pw) {
		unsigned long uid;

		errno = 0;
		uid = strtoul(arg, &end, 10);
		if (errno || end == arg || *end)
			cow_usage_error("-u: no user '%s': give an existing user name or a numeric uid",
					arg);
		pw = getpwuid((uid_t)uid);
		if (!pw) {
			/* A bare uid with no passwd entry: its group is the same number. */
			memset(u, 0, sizeof(*u));
			u->set = true;
			u->uid = (uid_t)uid;
			u->gid = (gid_t)uid;
			return;
		}
	}
	memset(u, 0, sizeof(*u));
	u->set = true;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
}

static error_t parse_main(int key, char *arg, struct argp_state *state)
{
	struct main_args *a = state->input;

	switch (key) {
	case 'p':
		parse_pids(a, arg);
		break;
	case 'c':
		if (a->cgroup)
			cow_usage_error("-c given twice: cowtrace follows one cgroup (with its descendants)");
		if (!*arg)
			cow_usage_error("-c wants a cgroup v2 directory, not ''");
		a->cgroup = arg;
		break;
	case 'i':
		a->out.interval = cow_parse_seconds(arg, "-i");
		break;
	case 'T':
		a->out.timestamp = true;
		break;
	case 'L':
		a->out.leader_only = true;
		break;
	case 'd':
		a->duration = cow_parse_seconds(arg, "-d");
		a->has_duration = true;
		break;
	case 'u':
		parse_user(&a->user, arg);
		break;
	case 'j':
		a->out.json = true;
		break;
	case 'x':
		if (!*arg || strchr(arg, '\n'))
			cow_usage_error("-x wants a separator such as , or ';', not '%s'", arg);
		a->out.sep = arg;
		break;
	case 'H':
		a->out.hist = true;
		break;
	case 'a':
		a->out.all = true;
		break;
	case 'o':
		a->output = arg;
		break;
	case 0x101:
		a->out.maps = true;
		break;
	case 0x102:
		a->out.events = true;
		break;
	case 0x103:
		if (cow_events_kib_parse(arg, &cow_bpf_events_kib))
			cow_usage_error("--events-buffer wants a power of two KiB from 4 (one page) to %u, not '%s'",
					COW_EVENTS_MAX_KIB, arg);
		a->has_events_buffer = true;
		break;
	case 0x104: {
		char bad[64];

		if (cow_event_kinds_parse(arg, &a->out.event_kinds, bad, sizeof(bad)))
			cow_usage_error("--kind: unknown event kind '%s': give a comma-separated list of copy, reuse, shared-write, unshare-kept, split, uffd-wp, race, error, retry, fork, other",
					bad);
		a->has_kind = true;
		break;
	}
	case 0x105:
		if (!*arg)
			cow_usage_error("--timeline wants a file name, such as run.svg");
		a->out.timeline = arg;
		break;
	case 0x106:
		if (cow_duration_ns_parse(arg, &a->out.min_latency_ns))
			cow_usage_error("--min-latency wants a duration with its unit, such as 500ns, 10us, 2.5ms or 1s, not '%s'",
					arg);
		break;
	case 'n':
		a->out.maps_top = (size_t)cow_parse_long(arg, "-n", 1, 1000000);
		a->has_maps_top = true;
		break;
	case 'h':
		cow_print_help(&main_argp, "cowtrace");
		break;
	case 'U':
		argp_help(&main_argp, stdout, ARGP_HELP_USAGE, "cowtrace");
		exit(0);
	case 'V':
		printf("%s\n", argp_program_version);
		exit(0);
	case ARGP_KEY_ARG:
		/* The first word that is not an option starts COMMAND; every
		 * word after it belongs to COMMAND, options included. */
		a->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct argp main_argp = {
	.options = opts,
	.parser = parse_main,
	.args_doc = "[-- COMMAND [ARGS...]]",
	.doc = doc,
};

/* Under sudo, COMMAND runs as the invoking user unless -u says otherwise. */
static void default_user(struct cow_user *u)
{
	const char *uid_s = getenv("SUDO_UID"), *gid_s = getenv("SUDO_GID");
	uint64_t uid, gid;
	struct passwd *pw;

	if (u->set || !uid_s || !gid_s || geteuid() != 0)
		return;
	if (!*uid_s || !*gid_s)
		return;
	uid = strtoull(uid_s, NULL, 10);
	gid = strtoull(gid_s, NULL, 10);
	if (!uid)
		return;
	memset(u, 0, sizeof(*u));
	u->set = true;
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	pw = getpwuid(u->uid);
	if (pw) {
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
		snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
	}
}

int main(int argc, char **argv)
{
	argp_err_exit_status = EXIT_USAGE;
	struct main_args a = { 0 };
	int ret;

	if (argc > 1 && !strcmp(argv[1], "__spawn"))
		return cow_spawn_stage(argc, argv);
	cow_backend_from_args(&argc, argv);
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "top"))
		return cmd_top(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "export"))
		return cmd_export(argc - 1, argv + 1);

	cow_parse_options(&main_argp, argc, argv, &a);

	if (a.nr_pids && a.command)
		cow_usage_error("give either -p PID or a COMMAND, not both");
	if (a.cgroup && a.command)
		cow_usage_error("give either -c CGROUP or a COMMAND, not both");
	if (a.cgroup && a.nr_pids)
		cow_usage_error("give either -c CGROUP or -p PID, not both");
	if (!a.nr_pids && !a.command && !a.cgroup)
		cow_usage_error("no COMMAND: give -- COMMAND [ARGS...], -p PID, -c CGROUP, top or status");
	if (a.command && a.has_duration)
		cow_usage_error("-d goes with -p or -c; a COMMAND's report comes when it exits");
	if ((a.nr_pids || a.cgroup) && a.user.set)
		cow_usage_error("-u goes with a COMMAND; attached processes keep their user");
	if ((a.nr_pids || a.cgroup) && a.out.leader_only)
		cow_usage_error("--leader-only goes with a COMMAND");
	if (a.out.sep && a.out.json)
		cow_usage_error("give either --json or -x SEP, not both");
	if (a.out.sep && a.out.hist)
		cow_usage_error("--hist has no -x SEP form: use the tables or --json");
	if (a.out.timestamp && !a.out.interval)
		cow_usage_error("-T stamps interval reports: give -i SEC too");
	if (a.has_maps_top && !a.out.maps)
		cow_usage_error("-n N is the number of mappings --maps shows: give --maps too");
	if (a.has_kind && !a.out.events)
		cow_usage_error("--kind goes with --events: give --events too");
	if (a.out.min_latency_ns && !a.out.events)
		cow_usage_error("--min-latency goes with --events: give --events too");
	if (a.has_events_buffer && !a.out.events && !a.out.timeline)
		cow_usage_error("--events-buffer goes with --events or --timeline: give one of them too");
	if (a.out.events && a.out.sep)
		cow_usage_error("--events has no -x SEP form: use the text lines or --json");
	if (a.out.timeline && a.out.sep)
		cow_usage_error("--timeline draws the whole run; -x SEP has nothing to do with it: drop -x");
	if (a.out.timeline && a.out.interval)
		cow_usage_error("--timeline draws the whole run in one picture; -i SEC interval reports do not go with it");
	if (a.out.timeline) {
		/* Drawn from the event stream, which the module has not. */
		if (cow_backend == COW_BACKEND_MODULE)
			cow_usage_error("--timeline needs the BPF backend (--backend=bpf); the module has no event stream");
		/* Before COMMAND runs: an unwritable FILE fails at once. */
		if (cow_timeline_open(a.out.timeline))
			return EXIT_USAGE;
		if (!cow_bpf_built) {
			cow_timeline_abort();
			cow_err("--timeline needs the BPF backend (--backend=bpf), and this cowtrace was built without it (clang, libbpf-dev and bpftool were missing): rebuild after scripts/deps");
			return EXIT_RUNTIME;
		}
		cow_backend = COW_BACKEND_BPF;
		cow_bpf_want_events = true;
		/* the legend's per-kind split, exact */
		cow_bpf_want_maps = true;
		if (!a.has_events_buffer)
			cow_bpf_events_kib = CT_EVENTS_DEFAULT_KIB;
	}
	if (a.out.events) {
		/* The module has no event stream (bpf-backend.rst). */
		if (cow_backend == COW_BACKEND_MODULE)
			cow_usage_error("--events needs the BPF backend (--backend=bpf); the module has no event stream");
		if (!cow_bpf_built) {
			cow_err("--events needs the BPF backend (--backend=bpf), and this cowtrace was built without it (clang, libbpf-dev and bpftool were missing): rebuild after scripts/deps");
			return EXIT_RUNTIME;
		}
		cow_backend = COW_BACKEND_BPF;
		cow_bpf_want_events = true;
		if (!a.has_events_buffer)
			cow_bpf_events_kib = CT_EVENTS_DEFAULT_KIB;
	}
	if (a.out.maps) {
		/* The module keeps no per-mapping table (bpf-backend.rst). */
		if (cow_backend == COW_BACKEND_MODULE)
			cow_usage_error("--maps needs the BPF backend (--backend=bpf); the module counts per process only");
		if (!cow_bpf_built) {
			cow_err("--maps needs the BPF backend (--backend=bpf), and this cowtrace was built without it (clang, libbpf-dev and bpftool were missing): rebuild after scripts/deps");
			return EXIT_RUNTIME;
		}
		cow_backend = COW_BACKEND_BPF;
		cow_bpf_want_maps = true;
		if (!a.has_maps_top)
			a.out.maps_top = COW_MAPS_TOP_DEFAULT;
	}

	a.out.path = a.output;
	if (a.command) {
		a.out.to_stderr = true;
		default_user(&a.user);
		ret = cmd_run(a.command, &a.out, &a.user);
		/* COMMAND's status stands even if the report could not be written. */
		cow_out_close();
	} else {
		char cg[PATH_MAX];

		if (a.cgroup && cow_cgroup_resolve(a.cgroup, cg, sizeof(cg)))
			return EXIT_RUNTIME;
		ret = cmd_attach(a.pids, a.nr_pids, a.cgroup ? cg : NULL,
				 a.has_duration ? a.duration : 0, &a.out);
		if (cow_out_close() && !ret)
			ret = EXIT_RUNTIME;
	}
	/* no report, no picture: FILE.tmp goes (a no-op once written) */
	cow_timeline_abort();
	return ret;
}
