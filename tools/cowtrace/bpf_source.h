/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backend choice (--backend=auto|module|bpf) and the BPF source
 * (bpf_source.c; bpf_none.c when cowtrace is built without clang/libbpf).
 */
#ifndef COWTRACE_BPF_SOURCE_H
#define COWTRACE_BPF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cow_source;
struct cow_map_raw;

enum cow_backend { COW_BACKEND_AUTO, COW_BACKEND_MODULE, COW_BACKEND_BPF };

extern enum cow_backend cow_backend;
/* False in a cowtrace built without clang, libbpf and bpftool. */
extern const bool cow_bpf_built;

/*
 * Takes --backend=X / --backend X out of argv (before "--"), for every
 * subcommand; exits 2 with one line on a bad value.
 */
void cow_backend_from_args(int *argc, char **argv);
/* auto: the module when it is loaded, else BPF. */
bool cow_backend_is_bpf(void);

/* Opens the BPF source; prints the one-line cause on failure. */
int cow_bpf_source_open(struct cow_source *s);
/* Is counter idx exact in this BPF source (false: unavailable)? */
bool cow_bpf_counter_exact(const struct cow_source *s, int idx);
/* Attach method of hook i ("fentry", "kprobe", "tp_btf", "off", ...). */
const char *cow_bpf_hook_method(const struct cow_source *s, int i, const char **sym);
/* Invocations the BPF programs missed (fentry recursion guard). */
uint64_t cow_bpf_misses(const struct cow_source *s);

/* --maps: keep per-mapping counts too; set before the source is opened. */
extern bool cow_bpf_want_maps;
/*
 * The per-mapping entries (a malloc'd array for the caller to free) and
 * the events not attributed to one because the map was full.  -EOPNOTSUPP
 * unless the source is the BPF one, opened with cow_bpf_want_maps.
 */
int cow_bpf_read_maps(struct cow_source *s, struct cow_map_raw **raw, size_t *nr,
		      uint64_t *lost);

/*
 * --events: set before the source is opened (the ring's size in KiB, a
 * power of two pages).  Then cow_bpf_events_start() returns a descriptor
 * to poll for readable events, and cow_bpf_events_drain() hands each
 * waiting one to fn (a struct ct_event).  Lost: the events the ring had
 * no room for.  -EOPNOTSUPP unless the BPF source was opened with events.
 */
extern bool cow_bpf_want_events;
extern unsigned int cow_bpf_events_kib;
typedef int (*cow_bpf_event_fn)(void *ctx, const void *event);
int cow_bpf_events_start(struct cow_source *s, cow_bpf_event_fn fn, void *ctx);
int cow_bpf_events_drain(struct cow_source *s);
uint64_t cow_bpf_events_lost(const struct cow_source *s);

#endif /* COWTRACE_BPF_SOURCE_H */
