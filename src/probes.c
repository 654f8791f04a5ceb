// SPDX-License-Identifier: GPL-2.0
/*
 * Probe registry and capability matrix.
 *
 * Each probe is registered on its own; one that fails (the function is
 * inlined or renamed on this kernel, blacklisted, or busy with a
 * livepatch) leaves the others working.  Every counter lists the probes it
 * needs; a counter with a missing probe is unavailable, says why in the
 * probes file and in dmesg, and is never incremented, so no count is
 * silently wrong.
 */

#define pr_fmt(fmt) "cowstat: " fmt

#include <linux/kprobes.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "glue.h"

/* Fault-frequency functions sleep inside: follow many at once. */
#define COWSTAT_MAXACTIVE_FAULT	4096
#define COWSTAT_MAXACTIVE	1024

#define KPROBE(sym, handler) {						\
	.symbol = sym, .pre = handler }
#define KRETPROBE(sym, on_entry, on_ret, ctx_type, nactive) {		\
	.symbol = sym, .is_ret = true, .entry = on_entry, .ret = on_ret, \
	.data_size = sizeof(ctx_type), .maxactive = nactive }

/* Functions that only exist when a feature is built in. */
#define THP_BUILT	IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)
#define HUGETLB_BUILT	IS_ENABLED(CONFIG_HUGETLB_PAGE)
#define UFFD_BUILT	IS_ENABLED(CONFIG_USERFAULTFD)

struct cowstat_probe cowstat_probes[COWSTAT_NR_PROBES] = {
	[COWSTAT_P_COPY_PROCESS] = KRETPROBE("copy_process",
		cowstat_copy_process_entry, cowstat_copy_process_ret,
		struct cowstat_fork_ctx, COWSTAT_MAXACTIVE),
	[COWSTAT_P_COPY_PAGE_RANGE] = KRETPROBE("copy_page_range",
		cowstat_copy_page_range_entry, cowstat_copy_page_range_ret,
		struct cowstat_vma_ctx, COWSTAT_MAXACTIVE),
	[COWSTAT_P_COPY_HUGE_PMD] = KRETPROBE("copy_huge_pmd",
		cowstat_copy_huge_pmd_entry, cowstat_copy_huge_pmd_ret,
		struct cowstat_thp_copy, COWSTAT_MAXACTIVE),
	[COWSTAT_P_EXEC] = KRETPROBE("begin_new_exec",
		cowstat_exec_entry, cowstat_exec_ret,
		struct cowstat_exec_ctx, COWSTAT_MAXACTIVE),
	[COWSTAT_P_EXIT_MMAP] = KPROBE("exit_mmap", cowstat_exit_mmap_pre),
	[COWSTAT_P_DO_WP_PAGE] = KRETPROBE("do_wp_page",
		cowstat_do_wp_page_entry, cowstat_do_wp_page_ret,
		struct cowstat_fault_ctx, COWSTAT_MAXACTIVE_FAULT),
	[COWSTAT_P_INSTALL] = KPROBE(COWSTAT_SYM_INSTALL,
		cowstat_install_pre),
	[COWSTAT_P_MOVE] = KPROBE(COWSTAT_SYM_MOVE, cowstat_move_pre),
	[COWSTAT_P_MKWRITE] = KRETPROBE("finish_mkwrite_fault",
		NULL, cowstat_mkwrite_ret, long, COWSTAT_MAXACTIVE),
	[COWSTAT_P_UFFD] = KPROBE("handle_userfault", cowstat_uffd_pre),
	[COWSTAT_P_HUGE_WP] = KRETPROBE("do_huge_pmd_wp_page",
		cowstat_huge_wp_entry, cowstat_huge_wp_ret,
		struct cowstat_fault_ctx, COWSTAT_MAXACTIVE_FAULT),
	[COWSTAT_P_PMD_MKWRITE] = KPROBE("pmdp_set_access_flags",
		cowstat_pmd_mkwrite_pre),
	[COWSTAT_P_HUGETLB_FAULT] = KRETPROBE("hugetlb_fault",
		cowstat_hugetlb_fault_entry, cowstat_hugetlb_fault_ret,
		struct cowstat_fault_ctx, COWSTAT_MAXACTIVE),
	[COWSTAT_P_HUGETLB_WP] = KPROBE("hugetlb_wp", cowstat_hugetlb_wp_pre),
	[COWSTAT_P_HUGETLB_INSTALL] = KPROBE(COWSTAT_SYM_HUGETLB_INSTALL,
		cowstat_hugetlb_install_pre),
	[COWSTAT_P_HUGETLB_ALLOC] = KPROBE(COWSTAT_SYM_HUGETLB_ALLOC,
		cowstat_hugetlb_alloc_pre),
};

/*
 * A probe whose function is not built into this kernel (the feature is
 * configured out) cannot fire and is not needed: what it would count is
 * exactly zero.
 */
static bool cowstat_probe_built(enum cowstat_probe_id id)
{
	switch (id) {
	case COWSTAT_P_COPY_HUGE_PMD:
	case COWSTAT_P_HUGE_WP:
	case COWSTAT_P_PMD_MKWRITE:
		return THP_BUILT;
	case COWSTAT_P_HUGETLB_FAULT:
	case COWSTAT_P_HUGETLB_WP:
	case COWSTAT_P_HUGETLB_INSTALL:
	case COWSTAT_P_HUGETLB_ALLOC:
		return HUGETLB_BUILT;
	case COWSTAT_P_UFFD:
		return UFFD_BUILT;
	default:
		return true;
	}
}

#define P(x) BIT(COWSTAT_P_##x)

/*
 * What each counter needs.  Outer probes give the outcome, nested markers
 * tell outcomes apart; a marker missing would move faults from one outcome
 * to another, so every counter that such a move could change needs it.
 */
#define WP	P(DO_WP_PAGE)
#define THP_ALL	(P(HUGE_WP) | P(PMD_MKWRITE) | P(MOVE))
#define HTLB_ALL (P(HUGETLB_FAULT) | P(HUGETLB_WP) | P(HUGETLB_INSTALL) | \
		  P(MOVE) | P(HUGETLB_ALLOC) | P(UFFD))
#define WP_REUSE (WP | P(INSTALL) | P(MOVE) | P(UFFD))
#define WP_ALL	(WP_REUSE | P(MKWRITE))
#define OUTERS	(WP | P(UFFD) | P(HUGE_WP) | P(HUGETLB_FAULT))

/**
 * struct cowstat_need - what a counter needs
 * @probes:  bitmap of enum cowstat_probe_id
 * @derived: computed from deltas or from the absence of a marker
 */
struct cowstat_need {
	u32 probes;
	bool derived;
};

static const struct cowstat_need cowstat_needs[COWSTAT_NR_COUNTERS] = {
	[COWSTAT_forks] = { P(COPY_PROCESS) },
	[COWSTAT_fork_vmas_copied] = { P(COPY_PAGE_RANGE) },
	[COWSTAT_fork_vmas_skipped] = { P(COPY_PAGE_RANGE) },
	[COWSTAT_fork_pages_shared] = {
		P(COPY_PAGE_RANGE) | P(INSTALL), true },
	[COWSTAT_fork_pages_shared_anon] = {
		P(COPY_PAGE_RANGE) | P(INSTALL), true },
	[COWSTAT_fork_pages_shared_file] = { P(COPY_PAGE_RANGE), true },
	[COWSTAT_fork_pages_shared_shmem] = { P(COPY_PAGE_RANGE), true },
	[COWSTAT_fork_swap_shared] = { P(COPY_PAGE_RANGE), true },
	[COWSTAT_fork_pt_pages] = { P(COPY_PAGE_RANGE), true },
	[COWSTAT_fork_eager_copies] = {
		P(COPY_PAGE_RANGE) | P(INSTALL) | P(HUGETLB_INSTALL) },
	[COWSTAT_fork_thp_shared] = { P(COPY_PAGE_RANGE) | P(COPY_HUGE_PMD) },
	[COWSTAT_fork_hugetlb_shared] = {
		P(COPY_PAGE_RANGE) | P(HUGETLB_INSTALL), true },
	[COWSTAT_wp_faults] = { WP },
	[COWSTAT_cow_copies] = { WP | P(INSTALL) },
	[COWSTAT_cow_copies_anon] = { WP | P(INSTALL) },
	[COWSTAT_cow_copies_zero] = { WP | P(INSTALL) },
	[COWSTAT_cow_copies_file] = { WP | P(INSTALL) },
	[COWSTAT_cow_copies_ksm] = { WP | P(INSTALL) },
	[COWSTAT_cow_copies_pfn] = { WP | P(INSTALL) },
	[COWSTAT_cow_copies_unshare] = { WP | P(INSTALL) },
	[COWSTAT_cow_at_fault] = { P(INSTALL) },
	[COWSTAT_cow_reuses] = { WP_REUSE, true },
	[COWSTAT_cow_reuses_moved] = { WP | P(MOVE) },
	[COWSTAT_cow_reuses_exclusive] = { WP_REUSE, true },
	[COWSTAT_unshare_kept] = { WP_REUSE | THP_ALL | HTLB_ALL, true },
	[COWSTAT_shared_writes] = { WP_ALL | HTLB_ALL, true },
	[COWSTAT_thp_reuses] = { THP_ALL },
	[COWSTAT_thp_splits] = { P(HUGE_WP) },
	[COWSTAT_hugetlb_copies] = { HTLB_ALL },
	[COWSTAT_hugetlb_reuses] = { HTLB_ALL, true },
	[COWSTAT_uffd_wp] = { WP | P(UFFD) | P(HUGETLB_FAULT) },
	[COWSTAT_wp_races] = { WP_ALL | THP_ALL | HTLB_ALL, true },
	[COWSTAT_wp_errors] = { OUTERS },
	[COWSTAT_wp_retries] = { OUTERS },
	[COWSTAT_remote_events] = { OUTERS | P(INSTALL) },
};

/* Counters without which cowstat has no point: strict=1 insists on them. */
static const enum cowstat_counter cowstat_core_counters[] = {
	COWSTAT_forks, COWSTAT_fork_pages_shared, COWSTAT_fork_pt_pages,
	COWSTAT_wp_faults, COWSTAT_cow_copies, COWSTAT_cow_reuses,
	COWSTAT_shared_writes,
};

bool cowstat_probe_ok(enum cowstat_probe_id id)
{
	return cowstat_probes[id].registered;
}

static const char *cowstat_errname(int err)
{
	switch (err) {
	case -ENOENT: return "-ENOENT";
	case -EINVAL: return "-EINVAL";
	case -EBUSY: return "-EBUSY";
	case -EEXIST: return "-EEXIST";
	case -ENOMEM: return "-ENOMEM";
	case -EPERM: return "-EPERM";
	case -EOPNOTSUPP: return "-EOPNOTSUPP";
	case -EILSEQ: return "-EILSEQ";
	default: return NULL;
	}
}

/* "failed(-ENOENT)", "off", ... into buf. */
static void cowstat_probe_state(const struct cowstat_probe *p, char *buf,
				size_t len)
{
	const char *e;

	if (p->registered) {
		const struct kprobe *kp = p->is_ret ? &p->rp.kp : &p->kp;

		strscpy(buf, kprobe_ftrace((struct kprobe *)kp) ?
			"ftrace" : "int3", len);
	} else if (p->skipped || p->unbuilt) {
		strscpy(buf, "off", len);
	} else {
		e = cowstat_errname(p->err);
		if (e)
			snprintf(buf, len, "failed(%s)", e);
		else
			snprintf(buf, len, "failed(%d)", p->err);
	}
}

/* Why a probe is missing, e.g. "do_wp_page:-ENOENT" or "x:skipped". */
static void cowstat_probe_reason(const struct cowstat_probe *p, char *buf,
				 size_t len)
{
	const char *e = cowstat_errname(p->err);

	if (p->skipped)
		snprintf(buf, len, "%s:skipped", p->name);
	else if (e)
		snprintf(buf, len, "%s:%s", p->name, e);
	else
		snprintf(buf, len, "%s:%d", p->name, p->err);
}

static enum cowstat_cap_state cowstat_counter_cap(enum cowstat_counter c,
						  char *reason, size_t len)
{
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_PROBES; i++) {
		if (!(cowstat_needs[c].probes & BIT(i)) ||
		    cowstat_probes[i].registered || !cowstat_probe_built(i))
			continue;
		cowstat_probe_reason(&cowstat_probes[i], reason, len);
		return COWSTAT_CAP_UNAVAILABLE;
	}
	return cowstat_needs[c].derived ? COWSTAT_CAP_DERIVED :
					  COWSTAT_CAP_EXACT;
}

bool cowstat_strict_ok(void)
{
	char reason[KSYM_NAME_LEN + 32];
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(cowstat_core_counters); i++) {
		enum cowstat_counter c = cowstat_core_counters[i];

		if (cowstat_counter_cap(c, reason, sizeof(reason)) ==
		    COWSTAT_CAP_UNAVAILABLE) {
			pr_err("strict: core counter %s unavailable (%s)\n",
			       cowstat_counter_name(c), reason);
			ok = false;
		}
	}
	if (!cowstat_probe_ok(COWSTAT_P_EXIT_MMAP) ||
	    !cowstat_probe_ok(COWSTAT_P_COPY_PROCESS)) {
		pr_err("strict: per-process records need exit_mmap and copy_process\n");
		ok = false;
	}
	return ok;
}

/* Sets in @mask the bit of every counter no registered probe can feed. */
void cowstat_probes_unavailable(unsigned long *mask)
{
	char reason[KSYM_NAME_LEN + 32];
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (cowstat_counter_cap(i, reason, sizeof(reason)) ==
		    COWSTAT_CAP_UNAVAILABLE)
			set_bit(i, mask);
}

void cowstat_show_probes(struct seq_file *m)
{
	char buf[KSYM_NAME_LEN + 32];
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_PROBES; i++) {
		struct cowstat_probe *p = &cowstat_probes[i];
		u64 nmissed = 0, reentry = p->kp.nmissed;

		if (p->is_ret) {
			nmissed = p->rp.nmissed;
			reentry = p->rp.kp.nmissed;
		}
		cowstat_probe_state(p, buf, sizeof(buf));
		cowstat_show_probe(m, p->name, buf,
				   atomic64_read(&p->hits), nmissed, reentry);
	}
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		enum cowstat_cap_state st;

		st = cowstat_counter_cap(i, buf, sizeof(buf));
		cowstat_show_counter_cap(m, i, st, buf);
	}
}

/* Is @name in the comma-separated @list?  Returns the entry or NULL. */
static const char *cowstat_list_find(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (list && *list) {
		size_t len = strcspn(list, ",");

		if (len >= n && !strncmp(list, name, n) &&
		    (len == n || list[n] == ':'))
			return list;
		list += len;
		if (*list == ',')
			list++;
	}
	return NULL;
}

/*
 * rename=OLD:NEW[,OLD:NEW...] registers NEW in place of OLD: a test uses a
 * name that does not exist to check how a missing symbol degrades.
 */
static const char *cowstat_renamed(const char *rename, const char *symbol,
				   char *buf, size_t len)
{
	const char *e = cowstat_list_find(rename, symbol);
	size_t n;

	if (!e || e[strlen(symbol)] != ':')
		return symbol;
	e += strlen(symbol) + 1;
	n = strcspn(e, ",");
	if (!n || n >= len)
		return symbol;
	memcpy(buf, e, n);
	buf[n] = '\0';
	return buf;
}

static char cowstat_names[COWSTAT_NR_PROBES][KSYM_NAME_LEN];

static int cowstat_probe_register(struct cowstat_probe *p, const char *name)
{
	if (p->is_ret) {
		memset(&p->rp, 0, sizeof(p->rp));
		p->rp.kp.symbol_name = name;
		p->rp.entry_handler = p->entry;
		p->rp.handler = p->ret;
		p->rp.data_size = p->data_size;
		p->rp.maxactive = p->maxactive;
		return register_kretprobe(&p->rp);
	}
	memset(&p->kp, 0, sizeof(p->kp));
	p->kp.symbol_name = name;
	p->kp.pre_handler = p->pre;
	return register_kprobe(&p->kp);
}

int cowstat_probes_register(const char *rename, const char *skip)
{
	unsigned int i, ok = 0, unbuilt = 0;

	for (i = 0; i < COWSTAT_NR_PROBES; i++) {
		struct cowstat_probe *p = &cowstat_probes[i];

		p->name = cowstat_renamed(rename, p->symbol, cowstat_names[i],
					  sizeof(cowstat_names[i]));
		atomic64_set(&p->hits, 0);
		p->registered = false;
		p->unbuilt = !cowstat_probe_built(i);
		if (p->unbuilt) {
			p->err = -ENOENT;
			unbuilt++;
			continue;
		}
		p->skipped = cowstat_list_find(skip, p->symbol) ||
			     cowstat_list_find(skip, p->name);
		if (p->skipped) {
			p->err = -ENOENT;
			pr_warn("%s: skipped (skip_symbol); dependent counters are unavailable\n",
				p->name);
			continue;
		}
		p->err = cowstat_probe_register(p, p->name);
		if (p->err) {
			pr_warn("%s: cannot register (%d); dependent counters are unavailable\n",
				p->name, p->err);
			continue;
		}
		p->registered = true;
		ok++;
		/* Records may exist only once they are sure to retire. */
		if (i == COWSTAT_P_EXIT_MMAP)
			cowstat_records_enabled = true;
	}
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		char reason[KSYM_NAME_LEN + 32];

		if (cowstat_counter_cap(i, reason, sizeof(reason)) ==
		    COWSTAT_CAP_UNAVAILABLE)
			pr_warn("counter %s unavailable (%s)\n",
				cowstat_counter_name(i), reason);
	}
	pr_info("%u probes registered, %u failed or skipped, %u not built in\n",
		ok, COWSTAT_NR_PROBES - ok - unbuilt, unbuilt);
	return ok ? 0 : -ENOENT;
}

void cowstat_probes_unregister(void)
{
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_PROBES; i++) {
		struct cowstat_probe *p = &cowstat_probes[i];

		if (!p->registered)
			continue;
		if (p->is_ret)
			unregister_kretprobe(&p->rp);
		else
			unregister_kprobe(&p->kp);
		p->registered = false;
	}
}
