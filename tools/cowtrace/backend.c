// SPDX-License-Identifier: GPL-2.0
/*
 * --backend=auto|module|bpf: who counts.  auto takes the module when it is
 * loaded (its debugfs directory exists) and the BPF programs otherwise
 * (debugfs not mounted counts as otherwise: lockdown refuses it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowtrace.h"
#include "bpf_source.h"

enum cow_backend cow_backend = COW_BACKEND_AUTO;

static void __attribute__((noreturn)) bad(const char *msg, const char *v)
{
	cow_err(msg, v);
	exit(EXIT_USAGE);
}

static void set_backend(const char *v)
{
	if (!strcmp(v, "auto"))
		cow_backend = COW_BACKEND_AUTO;
	else if (!strcmp(v, "module"))
		cow_backend = COW_BACKEND_MODULE;
	else if (!strcmp(v, "bpf"))
		cow_backend = COW_BACKEND_BPF;
	else
		bad("--backend=%s: give auto, module or bpf", v);
}

void cow_backend_from_args(int *argc, char **argv)
{
	const char *env = getenv("COWTRACE_BACKEND");
	int out = 1;

	if (env && *env)
		set_backend(env);
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strncmp(argv[i], "--backend=", 10)) {
			set_backend(argv[i] + 10);
			continue;
		}
		if (!strcmp(argv[i], "--backend")) {
			if (i + 1 >= *argc)
				bad("--backend needs a value: %s", "auto, module or bpf");
			set_backend(argv[++i]);
			continue;
		}
		/* COMMAND starts at the first word that is not an option. */
		if (argv[i][0] != '-' && i > 1 && strcmp(argv[i - 1], "-p") &&
		    strcmp(argv[i - 1], "-i") && strcmp(argv[i - 1], "-d") &&
		    strcmp(argv[i - 1], "-u") && strcmp(argv[i - 1], "-o") &&
		    strcmp(argv[i - 1], "-x") && strcmp(argv[i - 1], "-c") &&
		    strcmp(argv[i - 1], "-s") && strcmp(argv[i - 1], "-r") &&
		    strcmp(argv[i - 1], "-n") && strcmp(argv[i - 1], "-t") &&
		    strcmp(argv[i - 1], "-k") && strcmp(argv[1], "top") &&
		    strcmp(argv[1], "status") && strcmp(argv[1], "verify") &&
		    strcmp(argv[1], "export")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
}

bool cow_backend_is_bpf(void)
{
	if (getenv("COWTRACE_DEBUGFS"))
		return cow_backend == COW_BACKEND_BPF;
	switch (cow_backend) {
	case COW_BACKEND_BPF:
		return true;
	case COW_BACKEND_MODULE:
		return false;
	default:
		/* Not root (EACCES): the module's path says what to do. */
		return cow_bpf_built && access("/sys/kernel/debug/cowstat", F_OK) != 0 &&
		       errno != EACCES;
	}
}
