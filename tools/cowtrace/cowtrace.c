// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace: report the copy-on-write behaviour of a program or of running
 * processes, from the counters of the cowstat kernel module.
 *
 * This file holds the options and hands each job to its own file:
 * run.c (-- COMMAND), attach.c (-p PID), top.c (top), status.c (status).
 */
#include <argp.h>
#include <errno.h>
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

#define MAX_PIDS 64

const char *argp_program_version = "cowtrace " COWTRACE_VERSION;
const char *argp_program_bug_address = "the cowstat issue tracker";

static const char doc[] =
"Report the copy-on-write behaviour of a program, or of running processes,\n"
"from the counters of the cowstat kernel module.\n"
"\n"
"USAGE: cowtrace [OPTIONS] -- COMMAND [ARGS...]\n"
"       cowtrace [OPTIONS] -p PID[,PID...]\n"
"       cowtrace top [-i SEC] [-s KEY] [-r ROWS]   (see cowtrace top --help)\n"
"       cowtrace status [--selftest]                (see cowtrace status --help)\n"
"\n"
"EXAMPLES:\n"
"    cowtrace -- python3 app.py        # run it, report its whole process tree\n"
"    cowtrace --json -- ./server       # the same report as one JSON document\n"
"    cowtrace --hist -- make -j2       # add COW fault latency histograms\n"
"    sudo cowtrace -- ./build.sh       # COMMAND runs as the sudo user, not root\n"
"    cowtrace -u nobody -- ./job       # run COMMAND as user nobody\n"
"    cowtrace -p 1234                  # attach to PID 1234 until Ctrl-C\n"
"    cowtrace -p 1234,1240 -i 1 -d 10  # two PIDs, a report each second, 10 s\n"
"    cowtrace top                      # live view of who copies the most\n"
"    cowtrace status --selftest        # check the module on a known workload\n"
"\v"
"Exit status: COMMAND's own status (128+N when a signal N killed it); 127 when\n"
"COMMAND is not found, 126 when it cannot be executed; 1 when the module or\n"
"the environment is not usable; 2 for a bad option.\n"
"\n"
"COWTRACE_DEBUGFS=DIR reads DIR instead of /sys/kernel/debug/cowstat (a\n"
"testing aid, see cowtrace(1)).";

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID[,PID...]", 0, "Attach to running processes and their descendants born from now on", 0 },
	{ "interval", 'i', "SEC", 0, "With -p: print a report of each interval of SEC seconds", 0 },
	{ "duration", 'd', "SEC", 0, "With -p: stop after SEC seconds (default: Ctrl-C, or when all are gone)", 0 },
	{ "user", 'u', "USER", 0, "Run COMMAND as USER (default under sudo: SUDO_UID/SUDO_GID)", 0 },
	{ "json", 'j', NULL, 0, "Print one JSON document instead of tables", 0 },
	{ "hist", 'H', NULL, 0, "Add log2 histograms of fork and COW fault latency", 0 },
	{ "all", 'a', NULL, 0, "List every counter of the total, zeros too", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE instead of stdout", 0 },
	{ "backend", 0x100, "auto|module|bpf", 0, "Who counts: cowstat.ko, cowtrace's BPF programs, or auto (the module when loaded) (any subcommand)", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", 'U', NULL, 0, "Show a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the version", -1 },
	{},
};

struct main_args {
	pid_t pids[MAX_PIDS];
	int nr_pids;
	double interval, duration;
	bool has_interval, has_duration;
	struct cow_user user;
	struct cow_output out;
	const char *output;
	char **command;
};

static const char *bad_option;
static FILE *out_file;
static const char *out_path;

FILE *cow_out(const struct cow_output *o)
{
	if (!o->path)
		return stdout;
	if (!out_file) {
		out_file = fopen(o->path, "we");
		if (!out_file) {
			cow_err("cannot write %s: %s: the report goes to stdout instead",
				o->path, strerror(errno));
			return stdout;
		}
		out_path = o->path;
	}
	return out_file;
}

int cow_out_close(void)
{
	if (!out_file)
		return 0;
	if (fclose(out_file)) {
		cow_err("cannot write %s: %s", out_path, strerror(errno));
		out_file = NULL;
		return -1;
	}
	out_file = NULL;
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
	if (state->next > 0 && state->next <= state->argc)
		bad_option = state->argv[state->next - 1];
}

static const struct argp_option *find_long(const struct argp_option *o, const char *name,
					   size_t len)
{
	const struct argp_option *match = NULL;

	for (; o->name || o->key || o->doc; o++) {
		if (!o->name || strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		match = match ? NULL : o;	/* a unique prefix, as getopt allows */
	}
	return match;
}

static const struct argp_option *find_short(const struct argp_option *o, int key)
{
	for (; o->name || o->key || o->doc; o++)
		if (o->key == key && key > ' ' && key < 127)
			return o;
	return NULL;
}

/* Tells, in one line, what was wrong with the option argp refused. */
static void explain_bad_option(const struct argp_option *opts_list, const char *arg)
{
	const struct argp_option *o;

	if (!arg)
		cow_usage_error("bad option");
	if (!strncmp(arg, "--", 2)) {
		size_t len = strcspn(arg + 2, "=");

		o = find_long(opts_list, arg + 2, len);
		if (!o)
			cow_usage_error("unknown option '%.*s'", (int)len + 2, arg);
		if (o->arg && !arg[2 + len])
			cow_usage_error("option '--%s' needs a value (%s)", o->name, o->arg);
		if (!o->arg && arg[2 + len])
			cow_usage_error("option '--%s' takes no value", o->name);
		cow_usage_error("bad option '%s'", arg);
	}
	for (const char *c = arg + 1; *c; c++) {
		o = find_short(opts_list, *c);
		if (!o)
			cow_usage_error("unknown option '-%c'", *c);
		if (o->arg)
			cow_usage_error("option '-%c' needs a value (%s)", *c, o->arg);
	}
	cow_usage_error("bad option '%s'", arg);
}

void cow_parse_options(const struct argp *argp, int argc, char **argv, void *input)
{
	bad_option = NULL;
	if (argp_parse(argp, argc, argv, ARGP_IN_ORDER | ARGP_NO_ERRS | ARGP_NO_HELP, NULL,
		       input))
		explain_bad_option(argp->options, bad_option);
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

static struct argp main_argp;

static error_t parse_main(int key, char *arg, struct argp_state *state)
{
	struct main_args *a = state->input;

	switch (key) {
	case 'p':
		parse_pids(a, arg);
		break;
	case 'i':
		a->interval = cow_parse_seconds(arg, "-i");
		a->has_interval = true;
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
	case 'H':
		a->out.hist = true;
		break;
	case 'a':
		a->out.all = true;
		break;
	case 'o':
		a->output = arg;
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
	case ARGP_KEY_ERROR:
		cow_remember_bad_option(state);
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
	struct main_args a = { 0 };
	int ret;

	cow_backend_from_args(&argc, argv);
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "top"))
		return cmd_top(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);

	cow_parse_options(&main_argp, argc, argv, &a);

	if (a.nr_pids && a.command)
		cow_usage_error("give either -p PID or a COMMAND, not both");
	if (!a.nr_pids && !a.command)
		cow_usage_error("no COMMAND: give -- COMMAND [ARGS...], -p PID, top or status");
	if (a.command && (a.has_interval || a.has_duration))
		cow_usage_error("-i and -d go with -p; a COMMAND's report comes when it exits");
	if (a.nr_pids && a.user.set)
		cow_usage_error("-u goes with a COMMAND; attached processes keep their user");

	a.out.path = a.output;
	if (a.command) {
		default_user(&a.user);
		ret = cmd_run(a.command, &a.out, &a.user);
	} else {
		ret = cmd_attach(a.pids, a.nr_pids, a.has_interval ? a.interval : 0,
				 a.has_duration ? a.duration : 0, &a.out);
	}
	if (cow_out_close() && !ret)
		ret = EXIT_RUNTIME;
	return ret;
}
