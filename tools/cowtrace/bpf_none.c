// SPDX-License-Identifier: GPL-2.0
/* The BPF source of a cowtrace built without clang, libbpf and bpftool. */
#include <errno.h>

#include "cowtrace.h"
#include "source.h"
#include "bpf_source.h"

const bool cow_bpf_built;
bool cow_bpf_want_maps;
bool cow_bpf_want_events;
unsigned int cow_bpf_events_kib;

int cow_bpf_source_open(struct cow_source *s)
{
	(void)s;
	cow_err("this cowtrace was built without the BPF backend (clang, libbpf-dev and bpftool were missing): load cowstat.ko, or rebuild after scripts/deps");
	return -EOPNOTSUPP;
}

bool cow_bpf_counter_exact(const struct cow_source *s, int idx)
{
	(void)s;
	(void)idx;
	return false;
}

const char *cow_bpf_hook_method(const struct cow_source *s, int i, const char **sym)
{
	(void)s;
	(void)i;
	(void)sym;
	return NULL;
}

uint64_t cow_bpf_misses(const struct cow_source *s)
{
	(void)s;
	return 0;
}

int cow_bpf_read_maps(struct cow_source *s, struct cow_map_raw **raw, size_t *nr,
		      uint64_t *lost)
{
	(void)s;
	*raw = NULL;
	*nr = 0;
	*lost = 0;
	return -EOPNOTSUPP;
}

int cow_bpf_events_start(struct cow_source *s, cow_bpf_event_fn fn, void *ctx)
{
	(void)s;
	(void)fn;
	(void)ctx;
	return -EOPNOTSUPP;
}

int cow_bpf_events_drain(struct cow_source *s)
{
	(void)s;
	return -EOPNOTSUPP;
}

uint64_t cow_bpf_events_lost(const struct cow_source *s)
{
	(void)s;
	return 0;
}
