// SPDX-License-Identifier: GPL-2.0
/*
 * --events: the COW events of the traced tree, one line each (events.h).
 *
 * The BPF programs send a record where they charge an event's counts
 * (cowtrace.bpf.c, ct_emit()) with the set of counters it incremented;
 * its kind and detail are named here from that set, so that the stream
 * and the counts can never disagree on what an event was.  A full ring
 * loses events, never counts: the report's totals come from the counting
 * maps and stay exact.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "cowtrace.h"
#include "bpf_source.h"
#include "events.h"
#include "json.h"
#include "maps.h"
#include "timeline.h"

static const char *const ev_names[COW_NR_EV_KINDS] = {
	[COW_EV_COPY] = "copy",
	[COW_EV_REUSE] = "reuse",
	[COW_EV_SHARED_WRITE] = "shared-write",
	[COW_EV_UNSHARE_KEPT] = "unshare-kept",
	[COW_EV_SPLIT] = "split",
	[COW_EV_UFFD_WP] = "uffd-wp",
	[COW_EV_RACE] = "race",
	[COW_EV_ERROR] = "error",
	[COW_EV_RETRY] = "retry",
	[COW_EV_FORK] = "fork",
	[COW_EV_OTHER] = "other",
};

const char *cow_event_kind_name(enum cow_event_kind k)
{
	return (unsigned int)k < COW_NR_EV_KINDS ? ev_names[k] : "?";
}

static bool has(const struct ct_event *e, enum cowstat_counter c)
{
	return e->counters & (1ULL << c);
}

enum cow_event_kind cow_event_classify(const struct ct_event *e, char *detail, size_t len)
{
	static const struct {
		enum cowstat_counter c;
		const char *name;
	} copies[] = {
		{ COWSTAT_cow_copies_anon, "anon" },
		{ COWSTAT_cow_copies_zero, "zero" },
		{ COWSTAT_cow_copies_file, "file" },
		{ COWSTAT_cow_copies_ksm, "ksm" },
		{ COWSTAT_cow_copies_pfn, "pfn" },
		{ COWSTAT_cow_copies_unshare, "unshare" },
	};

	snprintf(detail, len, "-");
	if (e->type == CT_EV_FORK) {
		snprintf(detail, len, "child=%u", e->arg);
		return COW_EV_FORK;
	}
	if (has(e, COWSTAT_cow_copies)) {
		for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
			if (has(e, copies[i].c))
				snprintf(detail, len, "%s", copies[i].name);
		return COW_EV_COPY;
	}
	if (has(e, COWSTAT_cow_at_fault)) {
		snprintf(detail, len, "at-fault");
		return COW_EV_COPY;
	}
	if (has(e, COWSTAT_hugetlb_copies)) {
		snprintf(detail, len, "hugetlb");
		return COW_EV_COPY;
	}
	if (has(e, COWSTAT_cow_reuses)) {
		if (has(e, COWSTAT_cow_reuses_moved))
			snprintf(detail, len, "moved");
		else if (has(e, COWSTAT_cow_reuses_exclusive))
			snprintf(detail, len, "exclusive");
		return COW_EV_REUSE;
	}
	if (has(e, COWSTAT_thp_reuses)) {
		snprintf(detail, len, "thp");
		return COW_EV_REUSE;
	}
	if (has(e, COWSTAT_hugetlb_reuses)) {
		snprintf(detail, len, "hugetlb");
		return COW_EV_REUSE;
	}
	if (has(e, COWSTAT_shared_writes))
		return COW_EV_SHARED_WRITE;
	if (has(e, COWSTAT_unshare_kept))
		return COW_EV_UNSHARE_KEPT;
	if (has(e, COWSTAT_thp_splits)) {
		snprintf(detail, len, "thp");
		return COW_EV_SPLIT;
	}
	if (has(e, COWSTAT_uffd_wp))
		return COW_EV_UFFD_WP;
	if (has(e, COWSTAT_wp_races))
		return COW_EV_RACE;
	if (has(e, COWSTAT_wp_errors))
		return COW_EV_ERROR;
	if (has(e, COWSTAT_wp_retries))
		return COW_EV_RETRY;
	return COW_EV_OTHER;
}

int cow_event_kinds_parse(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	const char *p = list;

	*mask = 0;
	if (!*list) {
		snprintf(bad, badlen, "%s", "");
		return -1;
	}
	for (;;) {
		size_t n = strcspn(p, ",");
		int k;

		for (k = 0; k < COW_NR_EV_KINDS; k++)
			if (strlen(ev_names[k]) == n && !strncmp(p, ev_names[k], n))
				break;
		if (k == COW_NR_EV_KINDS) {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return -1;
		}
		*mask |= 1U << k;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

int cow_events_kib_parse(const char *arg, unsigned int *kib)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*arg < '0' || *arg > '9')
		return -1;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v < 4 || v > COW_EVENTS_MAX_KIB || (v & (v - 1)))
		return -1;
	*kib = (unsigned int)v;
	return 0;
}

int cow_duration_ns_parse(const char *arg, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	char *end;
	double v;

	errno = 0;
	if (*arg < '0' || *arg > '9')
		return -1;
	v = strtod(arg, &end);
	if (errno || end == arg)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		v *= units[i].mul;
		if (v < 1 || v > 1e18)
			return -1;
		*ns = (uint64_t)(v + 0.5);
		return 0;
	}
	return -1;
}

static const char *map_kind_name(unsigned int k)
{
	return k < CT_NR_MAP_KINDS ? cow_map_kind_name(k) : "-";
}

void cow_events_header(FILE *f)
{
	fprintf(f, "%-15s %7s %7s %-16s %-12s %-10s %18s %-8s %s\n", "TIME", "PID", "TID", "COMM",
		"EVENT", "DETAIL", "ADDRESS", "MAPPING", "LATENCY");
}

void cow_event_print(FILE *f, const struct ct_event *e, uint64_t t0, bool json)
{
	uint64_t t = e->ts > t0 ? e->ts - t0 : 0;
	char comm[sizeof(e->comm) + 1], detail[32];
	enum cow_event_kind k = cow_event_classify(e, detail, sizeof(detail));
	struct json j;

	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = '\0';
	if (!json) {
		char lat[32] = "-";

		for (char *c = comm; *c; c++)
			if ((unsigned char)*c < ' ' || *c == 0x7f)
				*c = '?';
		if (e->latency_ns)
			snprintf(lat, sizeof(lat), "%lluns", (unsigned long long)e->latency_ns);
		fprintf(f, "%8llu.%06llu %7u %7u %-16s %-12s %-10s %#18llx %-8s %s\n",
			(unsigned long long)(t / 1000000000ULL),
			(unsigned long long)(t % 1000000000ULL / 1000), e->pid, e->tid, comm,
			cow_event_kind_name(k), detail, (unsigned long long)e->addr,
			map_kind_name(e->map_kind), lat);
		return;
	}
	json_init_compact(&j, f);
	json_object_begin(&j, NULL);
	json_str(&j, "type", "event");
	json_u64(&j, "time_ns", t);
	json_u64(&j, "pid", e->pid);
	json_u64(&j, "tid", e->tid);
	json_str(&j, "comm", comm);
	json_str(&j, "event", cow_event_kind_name(k));
	if (k == COW_EV_FORK) {
		json_null(&j, "detail");
		json_u64(&j, "child", e->arg);
		json_null(&j, "address");
	} else {
		if (strcmp(detail, "-"))
			json_str(&j, "detail", detail);
		else
			json_null(&j, "detail");
		json_u64(&j, "address", e->addr);
	}
	if (e->map_kind < CT_NR_MAP_KINDS)
		json_str(&j, "mapping", cow_map_kind_name(e->map_kind));
	else
		json_null(&j, "mapping");
	if (e->latency_ns)
		json_u64(&j, "latency_ns", e->latency_ns);
	else
		json_null(&j, "latency_ns");
	json_array_begin(&j, "counters");
	for (int i = 0; i < COWSTAT_NR_COUNTERS && i < 64; i++)
		if (e->counters & (1ULL << i))
			json_str(&j, NULL, cow_counter_info[i].name);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

static int on_event(void *ctx, const void *data)
{
	struct cow_events *ev = ctx;
	const struct ct_event *e = data;
	char detail[32];

	if (ev->tl)
		cow_timeline_add(ev->tl, e);
	if (!ev->print)
		return 0;
	if (!(ev->kinds & (1U << cow_event_classify(e, detail, sizeof(detail)))))
		return 0;
	/* --min-latency: the timed faults that took at least that long */
	if (ev->min_latency_ns && e->latency_ns < ev->min_latency_ns)
		return 0;
	cow_event_print(ev->f, e, ev->t0, ev->json);
	ev->shown++;
	return 0;
}

int cow_events_begin(struct cow_events *ev, struct cow_source *src,
		     const struct cow_output *o, FILE *f, uint64_t t0, struct cow_timeline *tl)
{
	int fd;

	memset(ev, 0, sizeof(*ev));
	ev->fd = -1;
	if (!o->events && !o->timeline)
		return 0;
	ev->print = o->events;
	if (o->timeline) {
		cow_timeline_init(tl, t0);
		ev->tl = tl;
	}
	ev->src = src;
	ev->f = f;
	ev->json = o->json;
	ev->kinds = o->event_kinds ? o->event_kinds : COW_EV_ALL;
	ev->min_latency_ns = o->min_latency_ns;
	ev->t0 = t0;
	fd = cow_bpf_events_start(src, on_event, ev);
	if (fd < 0) {
		cow_err("%s: cannot read the BPF ring buffer: %s",
			o->events ? "--events" : "--timeline", strerror(-fd));
		ev->src = NULL;
		return fd;
	}
	ev->fd = fd;
	if (ev->print && !ev->json) {
		cow_events_header(f);
		fflush(f);
	}
	return 0;
}

void cow_events_drain(struct cow_events *ev)
{
	if (ev->fd < 0)
		return;
	cow_bpf_events_drain(ev->src);
	fflush(ev->f);
}

void cow_events_wait(struct cow_events *ev, const struct timespec *ts, const sigset_t *mask)
{
	struct pollfd pfd = { .fd = ev->fd, .events = POLLIN };

	ppoll(ev->fd >= 0 ? &pfd : NULL, ev->fd >= 0 ? 1 : 0, ts, mask);
	cow_events_drain(ev);
}

uint64_t cow_events_lost(const struct cow_events *ev)
{
	return ev->src ? cow_bpf_events_lost(ev->src) : 0;
}

void cow_events_print_lost(FILE *f, uint64_t lost)
{
	if (lost)
		fprintf(f, "events lost: %llu (ring buffer full; raise --events-buffer)\n",
			(unsigned long long)lost);
	else
		fprintf(f, "events lost: 0\n");
}
