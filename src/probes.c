// SPDX-License-Identifier: GPL-2.0
/*
 * Probe registry and capability matrix.
 *
 * Each probe is registered on its own, except the entry hooks on ftrace,
 * which share one ftrace_ops; a probe that fails (the function is inlined
 * or renamed on this kernel, blacklisted, or busy with a livepatch) leaves
 * the others working, and one that ftrace will not take gets a kprobe.
 * Every counter lists the probes it needs; a counter with a missing probe
 * is unavailable, says why in the probes file and in dmesg, and is never
 * incremented, so no count is silently wrong.
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

DEFINE_PER_CPU(struct cowstat_hit_counts, cowstat_hits);
DEFINE_STATIC_KEY_FALSE(cowstat_live);
bool cowstat_outer;
DEFINE_STATIC_KEY_FALSE(cowstat_timing);
bool cowstat_wp_return __read_mostly;

static unsigned long cowstat_hits_sum(enum cowstat_probe_id id)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(cowstat_hits, cpu).n[id];
	return n;
}

/*
 * Registration order: the nested markers before the outer hooks that open
 * the contexts they use.  Nothing counts before every probe is in place
 * (cowstat_live), so the order only keeps an outer hook from ever running
 * without its markers.
 */
static const enum cowstat_probe_id cowstat_order[COWSTAT_NR_PROBES] = {
	COWSTAT_P_TASK_FREE,
	COWSTAT_P_EXIT_MMAP,
	COWSTAT_P_INSTALL,
	COWSTAT_P_MOVE,
	COWSTAT_P_PTE_REUSE,
	COWSTAT_P_MKWRITE,
	COWSTAT_P_UFFD,
	COWSTAT_P_PMD_MKWRITE,
	COWSTAT_P_HUGETLB_WP,
	COWSTAT_P_HUGETLB_INSTALL,
	COWSTAT_P_HUGETLB_ALLOC,
	COWSTAT_P_COPY_NAMESPACES,
	COWSTAT_P_COPY_HUGE_PMD,
	COWSTAT_P_COPY_PAGE_RANGE,
	COWSTAT_P_COPY_PROCESS,
	COWSTAT_P_EXEC,
	COWSTAT_P_DO_WP_PAGE,
	COWSTAT_P_HUGE_WP,
	COWSTAT_P_HUGETLB_FAULT,
};

#if COWSTAT_HAVE_FENTRY
#define FENTRY(name)	.fentry = name##_fentry
#else
#define FENTRY(name)	.fentry = NULL
#endif

/* An entry hook: name##_pre on a kprobe, name##_fentry on an ftrace_ops. */
#define KPROBE(sym, name) {						\
	.symbol = sym, .pre = name##_pre, FENTRY(name) }
#define KRETPROBE(sym, on_entry, on_ret, ctx_type, nactive) {		\
	.symbol = sym, .is_ret = true, .entry = on_entry, .ret = on_ret, \
	.data_size = sizeof(ctx_type), .maxactive = nactive }

/* Functions that only exist when a feature is built in. */
#define THP_BUILT	IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)
#define HUGETLB_BUILT	IS_ENABLED(CONFIG_HUGETLB_PAGE)
#define UFFD_BUILT	IS_ENABLED(CONFIG_USERFAULTFD)
/*
 * 6.15+: a large folio's page is reused in place with no move to tell it;
 * before, every reuse moves (or was exclusive) and the probe is not armed.
 */
#ifdef COWSTAT_HAVE_LARGE_REUSE
#define LARGE_REUSE_BUILT THP_BUILT
#else
#define LARGE_REUSE_BUILT 0
#endif

struct cowstat_probe cowstat_probes[COWSTAT_NR_PROBES] = {
	[COWSTAT_P_COPY_PROCESS] = KRETPROBE("copy_process",
		cowstat_copy_process_entry, cowstat_copy_process_ret,
		struct cowstat_fork_ctx, COWSTAT_MAXACTIVE),
	[COWSTAT_P_COPY_PAGE_RANGE] = KPROBE("copy_page_range",
		cowstat_copy_page_range),
	[COWSTAT_P_COPY_NAMESPACES] = KPROBE("copy_namespaces",
		cowstat_copy_namespaces),
	[COWSTAT_P_COPY_HUGE_PMD] = KRETPROBE("copy_huge_pmd",
		cowstat_copy_huge_pmd_entry, cowstat_copy_huge_pmd_ret,
		struct cowstat_thp_copy, COWSTAT_MAXACTIVE),
	[COWSTAT_P_EXEC] = KRETPROBE("begin_new_exec",
		cowstat_exec_entry, cowstat_exec_ret,
		struct cowstat_exec_ctx, COWSTAT_MAXACTIVE),
	[COWSTAT_P_EXIT_MMAP] = KPROBE("exit_mmap", cowstat_exit_mmap),
	/* An entry hook, or a kretprobe with wp_return=1. */
	[COWSTAT_P_DO_WP_PAGE] = {
		.symbol = "do_wp_page", .pre = cowstat_do_wp_page_pre,
		FENTRY(cowstat_do_wp_page),
		.entry = cowstat_do_wp_page_entry,
		.ret = cowstat_do_wp_page_ret,
		.data_size = sizeof(struct cowstat_fault_ctx),
		.maxactive = COWSTAT_MAXACTIVE_FAULT },
	[COWSTAT_P_INSTALL] = KPROBE(COWSTAT_SYM_INSTALL, cowstat_install),
	[COWSTAT_P_MOVE] = KPROBE(COWSTAT_SYM_MOVE, cowstat_move),
	[COWSTAT_P_PTE_REUSE] = KPROBE("ptep_set_access_flags",
		cowstat_pte_reuse),
	[COWSTAT_P_MKWRITE] = KRETPROBE("finish_mkwrite_fault",
		NULL, cowstat_mkwrite_ret, long, COWSTAT_MAXACTIVE),
	[COWSTAT_P_UFFD] = KPROBE("handle_userfault", cowstat_uffd),
	[COWSTAT_P_HUGE_WP] = KRETPROBE("do_huge_pmd_wp_page",
		cowstat_huge_wp_entry, cowstat_huge_wp_ret,
		struct cowstat_fault_ctx, COWSTAT_MAXACTIVE_FAULT),
	[COWSTAT_P_PMD_MKWRITE] = KPROBE("pmdp_set_access_flags",
		cowstat_pmd_mkwrite),
	[COWSTAT_P_HUGETLB_FAULT] = KRETPROBE("hugetlb_fault",
		cowstat_hugetlb_fault_entry, cowstat_hugetlb_fault_ret,
		struct cowstat_fault_ctx, COWSTAT_MAXACTIVE),
	[COWSTAT_P_HUGETLB_WP] = KPROBE("hugetlb_wp", cowstat_hugetlb_wp),
	[COWSTAT_P_HUGETLB_INSTALL] = KPROBE(COWSTAT_SYM_HUGETLB_INSTALL,
		cowstat_hugetlb_install),
	[COWSTAT_P_HUGETLB_ALLOC] = KPROBE(COWSTAT_SYM_HUGETLB_ALLOC,
		cowstat_hugetlb_alloc),
	[COWSTAT_P_TASK_FREE] = KPROBE("__put_task_struct", cowstat_task_free),
};

#if COWSTAT_HAVE_FENTRY
/* Entry handlers that read only their arguments, on a raw ftrace_ops. */
notrace COWSTAT_FENTRY_DECL(cowstat_exit_mmap)
{
	preempt_disable_notrace();
	cowstat_exit_mmap_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}

notrace COWSTAT_FENTRY_DECL(cowstat_uffd)
{
	preempt_disable_notrace();
	cowstat_uffd_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}

notrace COWSTAT_FENTRY_DECL(cowstat_pmd_mkwrite)
{
	preempt_disable_notrace();
	cowstat_pmd_mkwrite_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}

notrace COWSTAT_FENTRY_DECL(cowstat_hugetlb_wp)
{
	preempt_disable_notrace();
	cowstat_hugetlb_wp_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}

notrace COWSTAT_FENTRY_DECL(cowstat_hugetlb_install)
{
	preempt_disable_notrace();
	cowstat_hugetlb_install_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}

notrace COWSTAT_FENTRY_DECL(cowstat_hugetlb_alloc)
{
	preempt_disable_notrace();
	cowstat_hugetlb_alloc_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}

notrace COWSTAT_FENTRY_DECL(cowstat_task_free)
{
	preempt_disable_notrace();
	cowstat_task_free_pre(NULL, cowstat_fregs(fregs));
	preempt_enable_notrace();
}
#endif

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
	case COWSTAT_P_PTE_REUSE:
		return LARGE_REUSE_BUILT;
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
#define WP_REUSE (WP | P(INSTALL) | P(MOVE) | P(PTE_REUSE) | P(UFFD))
#define WP_ALL	(WP_REUSE | P(MKWRITE))
#define OUTERS	(WP | P(UFFD) | P(HUGE_WP) | P(HUGETLB_FAULT))
/*
 * A VMA fork copies is counted in its fork's context (copy_process);
 * without copy_namespaces the copy ends at copy_process's return.
 */
#define FORK_VMA (P(COPY_PAGE_RANGE) | P(COPY_PROCESS))

/**
 * struct cowstat_need - what a counter needs
 * @probes:  bitmap of enum cowstat_probe_id
 * @derived: computed from deltas or from the absence of a marker
 * @wp_ret:  do_wp_page's return value (wp_return=1)
 */
struct cowstat_need {
	u32 probes;
	bool derived;
	bool wp_ret;
};

static const struct cowstat_need cowstat_needs[COWSTAT_NR_COUNTERS] = {
	[COWSTAT_forks] = { P(COPY_PROCESS) },
	[COWSTAT_fork_vmas_copied] = { FORK_VMA },
	[COWSTAT_fork_vmas_skipped] = { FORK_VMA },
	[COWSTAT_fork_pages_shared] = { FORK_VMA | P(INSTALL), true },
	[COWSTAT_fork_pages_shared_anon] = { FORK_VMA | P(INSTALL), true },
	[COWSTAT_fork_pages_shared_file] = { FORK_VMA, true },
	[COWSTAT_fork_pages_shared_shmem] = { FORK_VMA, true },
	[COWSTAT_fork_swap_shared] = { FORK_VMA, true },
	[COWSTAT_fork_pt_pages] = { FORK_VMA, true },
	[COWSTAT_fork_eager_copies] = {
		FORK_VMA | P(INSTALL) | P(HUGETLB_INSTALL) },
	[COWSTAT_fork_thp_shared] = { FORK_VMA | P(COPY_HUGE_PMD) },
	[COWSTAT_fork_hugetlb_shared] = {
		FORK_VMA | P(HUGETLB_INSTALL), true },
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
	[COWSTAT_cow_reuses_moved] = { WP | P(MOVE) | P(PTE_REUSE) },
	[COWSTAT_cow_reuses_exclusive] = { WP_REUSE, true },
	[COWSTAT_unshare_kept] = { WP_REUSE | THP_ALL | HTLB_ALL, true },
	[COWSTAT_shared_writes] = { WP_ALL | HTLB_ALL, true },
	[COWSTAT_thp_reuses] = { THP_ALL },
	[COWSTAT_thp_splits] = { P(HUGE_WP) },
	[COWSTAT_hugetlb_copies] = { HTLB_ALL },
	[COWSTAT_hugetlb_reuses] = { HTLB_ALL, true },
	[COWSTAT_uffd_wp] = { WP | P(UFFD) | P(HUGETLB_FAULT) },
	[COWSTAT_wp_races] = { WP_ALL | THP_ALL | HTLB_ALL, true, true },
	[COWSTAT_wp_errors] = { OUTERS, false, true },
	[COWSTAT_wp_retries] = { OUTERS, false, true },
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

	if (p->registered && p->mech == COWSTAT_MECH_FTRACE) {
		strscpy(buf, "fops", len);
	} else if (p->registered) {
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
	/* A do_wp_page that failed is told by its return value alone. */
	if (cowstat_needs[c].wp_ret && !cowstat_wp_return) {
		strscpy(reason, "do_wp_page:wp_return=0", len);
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
		cowstat_show_probe(m, p->name, buf, cowstat_hits_sum(i),
				   nmissed, reentry);
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

/*
 * Does @name resolve to a function?  A kprobe looks it up in kallsyms
 * (kallsyms_lookup_name is not exported); it is registered disabled, so
 * nothing is armed.  -ENOENT is the one answer that means "no such symbol".
 */
static bool cowstat_resolves(const char *name)
{
	struct kprobe kp = {
		.symbol_name = name,
		.flags = KPROBE_FLAG_DISABLED,
	};
	int err = register_kprobe(&kp);

	if (!err)
		unregister_kprobe(&kp);
	return err != -ENOENT;
}

#if COWSTAT_HAVE_FENTRY
/*
 * The entry hooks on ftrace share one raw ftrace_ops whose filter holds
 * their functions' call sites: one registration patches them all, and
 * unloading waits for ftrace's RCU tasks grace periods once, not once a
 * hook (under a fork storm on PREEMPT_RT each took seconds).  Its
 * trampoline calls cowstat_fops_func(), which goes to the hook's handler
 * by call site, the hottest first.  No FTRACE_OPS_FL_RECURSION: ftrace's
 * recursion guard around each call (ftrace_ops_assist_func, an indirect
 * call more) guards against a handler calling a function it hooks, and
 * none does (they call no hooked function, and no hooked function runs in
 * NMI context).  Each handler disables preemption itself, as a kprobe
 * handler runs (they rely on that for their RCU reads).  No SAVE_REGS:
 * the argument registers are all the handlers read.
 */
static struct ftrace_ops cowstat_fops;
static bool cowstat_fops_registered;

/* Each hook's call site on the shared ftrace_ops, 0 when it has none. */
static unsigned long cowstat_fops_ip[COWSTAT_NR_PROBES] __read_mostly;

static void notrace cowstat_fops_func(unsigned long ip,
				      unsigned long parent_ip,
				      struct ftrace_ops *op,
				      struct ftrace_regs *fregs)
{
	const unsigned long *at = cowstat_fops_ip;

	if (ip == at[COWSTAT_P_DO_WP_PAGE])
		cowstat_do_wp_page_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_INSTALL])
		cowstat_install_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_MOVE])
		cowstat_move_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_PTE_REUSE])
		cowstat_pte_reuse_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_COPY_PAGE_RANGE])
		cowstat_copy_page_range_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_EXIT_MMAP])
		cowstat_exit_mmap_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_TASK_FREE])
		cowstat_task_free_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_COPY_NAMESPACES])
		cowstat_copy_namespaces_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_UFFD])
		cowstat_uffd_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_PMD_MKWRITE])
		cowstat_pmd_mkwrite_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_HUGETLB_WP])
		cowstat_hugetlb_wp_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_HUGETLB_INSTALL])
		cowstat_hugetlb_install_fentry(ip, parent_ip, op, fregs);
	else if (ip == at[COWSTAT_P_HUGETLB_ALLOC])
		cowstat_hugetlb_alloc_fentry(ip, parent_ip, op, fregs);
}

/*
 * Puts the hooks @ids[0..@n) on the shared ftrace_ops; returns how many of
 * them it holds, each with its call site in cowstat_fops_ip (the others
 * keep 0: the caller gives them a kprobe).  A call site is what a kprobe
 * registered disabled finds for the name, when the kprobe would run on
 * ftrace: nothing is armed, and one RCU grace period removes them all.
 */
static struct kprobe cowstat_site_kp[COWSTAT_NR_PROBES];

static unsigned int cowstat_fops_arm(const enum cowstat_probe_id *ids,
				     unsigned int n)
{
	struct kprobe *kp = cowstat_site_kp, *reg[COWSTAT_NR_PROBES];
	unsigned int i, nreg = 0, held = 0;

	memset(cowstat_site_kp, 0, sizeof(cowstat_site_kp));
	for (i = 0; i < n; i++) {
		kp[i].symbol_name = cowstat_probes[ids[i]].name;
		kp[i].flags = KPROBE_FLAG_DISABLED;
		if (register_kprobe(&kp[i]))
			continue;
		reg[nreg++] = &kp[i];
		if (!kprobe_ftrace(&kp[i]) ||
		    ftrace_set_filter_ip(&cowstat_fops,
					 (unsigned long)kp[i].addr, 0, 0))
			continue;
		cowstat_fops_ip[ids[i]] = (unsigned long)kp[i].addr;
		held++;
	}
	if (nreg)
		unregister_kprobes(reg, nreg);
	if (held) {
		cowstat_fops.func = cowstat_fops_func;
		if (!register_ftrace_function(&cowstat_fops)) {
			cowstat_fops_registered = true;
			return held;
		}
	}
	ftrace_free_filter(&cowstat_fops);
	memset(cowstat_fops_ip, 0, sizeof(cowstat_fops_ip));
	return 0;
}

static void cowstat_fops_disarm(void)
{
	if (!cowstat_fops_registered)
		return;
	unregister_ftrace_function(&cowstat_fops);
	ftrace_free_filter(&cowstat_fops);
	memset(cowstat_fops_ip, 0, sizeof(cowstat_fops_ip));
	cowstat_fops_registered = false;
}
#else
static unsigned int cowstat_fops_arm(const enum cowstat_probe_id *ids,
				     unsigned int n)
{
	return 0;
}

static void cowstat_fops_disarm(void)
{
}

static const unsigned long cowstat_fops_ip[COWSTAT_NR_PROBES];
#endif

/* A kprobe or kretprobe for @p, on its name. */
static int cowstat_kprobe_register(struct cowstat_probe *p)
{
	p->mech = COWSTAT_MECH_KPROBE;
	if (p->is_ret) {
		memset(&p->rp, 0, sizeof(p->rp));
		p->rp.kp.symbol_name = p->name;
		p->rp.entry_handler = p->entry;
		p->rp.handler = p->ret;
		p->rp.data_size = p->data_size;
		p->rp.maxactive = p->maxactive;
		return register_kretprobe(&p->rp);
	}
	memset(&p->kp, 0, sizeof(p->kp));
	p->kp.symbol_name = p->name;
	p->kp.pre_handler = p->pre;
	return register_kprobe(&p->kp);
}

/*
 * Whether @p is to be registered, and by which mechanism (the one place
 * that chooses): the shared ftrace_ops for an entry hook that has a
 * handler for it, unless use_kprobe= names it (or says "all"); a kprobe
 * for the rest, and as the fallback when ftrace will not take the
 * function (not traceable: a kprobe may still work with int3).  False
 * when it is not registered at all (p->err says why).
 */
static bool cowstat_probe_prepare(enum cowstat_probe_id i, const char *rename,
				  const char *skip, const char *use_kprobe)
{
	struct cowstat_probe *p = &cowstat_probes[i];

	p->name = cowstat_renamed(rename, p->symbol, cowstat_names[i],
				  sizeof(cowstat_names[i]));
	p->registered = false;
	p->unbuilt = !cowstat_probe_built(i);
	if (p->unbuilt) {
		p->err = -ENOENT;
		return false;
	}
	p->skipped = cowstat_list_find(skip, p->symbol) ||
		     cowstat_list_find(skip, p->name);
	if (p->skipped) {
		p->err = -ENOENT;
		pr_warn("%s: skipped (skip_symbol); dependent counters are unavailable\n",
			p->name);
		return false;
	}
	/*
	 * rename= simulates a renamed function: a NEW that exists would be
	 * hooked with the handler of OLD, which reads its arguments by
	 * position.
	 */
	if (p->name != p->symbol && cowstat_resolves(p->name)) {
		p->err = -EEXIST;
		pr_warn("%s: rename= takes only a name that does not exist\n",
			p->name);
		return false;
	}
	p->mech = COWSTAT_MECH_KPROBE;
	if (p->fentry && !p->is_ret &&
	    !(use_kprobe && !strcmp(use_kprobe, "all")) &&
	    !cowstat_list_find(use_kprobe, p->symbol) &&
	    !cowstat_list_find(use_kprobe, p->name))
		p->mech = COWSTAT_MECH_FTRACE;
	return true;
}

/* @p's registration ended with @err. */
static void cowstat_probe_done(enum cowstat_probe_id i, int err,
			       unsigned int *ok)
{
	struct cowstat_probe *p = &cowstat_probes[i];

	p->err = err;
	if (err) {
		pr_warn("%s: cannot register (%d); dependent counters are unavailable\n",
			p->name, err);
		return;
	}
	p->registered = true;
	(*ok)++;
	/* Records may exist only once they are sure to retire. */
	if (i == COWSTAT_P_EXIT_MMAP)
		cowstat_records_enabled = true;
}

int cowstat_probes_register(const char *rename, const char *skip,
			    const char *use_kprobe, bool wp_return)
{
	enum cowstat_probe_id fops[COWSTAT_NR_PROBES];
	bool want[COWSTAT_NR_PROBES];
	unsigned int k, i, nf = 0, ok = 0, unbuilt = 0;

	BUILD_BUG_ON(ARRAY_SIZE(cowstat_order) != COWSTAT_NR_PROBES);
	cowstat_wp_return = wp_return;
	cowstat_probes[COWSTAT_P_DO_WP_PAGE].is_ret = wp_return;
	for (k = 0; k < COWSTAT_NR_PROBES; k++) {
		i = cowstat_order[k];
		want[i] = cowstat_probe_prepare(i, rename, skip, use_kprobe);
		unbuilt += cowstat_probes[i].unbuilt;
		if (want[i] && cowstat_probes[i].mech == COWSTAT_MECH_FTRACE)
			fops[nf++] = i;
	}
	/* The shared ftrace_ops first: it holds most markers. */
	if (nf && cowstat_fops_arm(fops, nf)) {
		for (k = 0; k < nf; k++) {
			if (!cowstat_fops_ip[fops[k]])
				continue;
			cowstat_probe_done(fops[k], 0, &ok);
			want[fops[k]] = false;
		}
	}
	for (k = 0; k < COWSTAT_NR_PROBES; k++) {
		i = cowstat_order[k];
		if (want[i])
			cowstat_probe_done(i, cowstat_kprobe_register(&cowstat_probes[i]),
					   &ok);
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

/* Counting starts once every probe is in place. */
void cowstat_probes_start(void)
{
	static_branch_enable(&cowstat_live);
	/* Every site patched: the outer hooks may open contexts now. */
	WRITE_ONCE(cowstat_outer, true);
}

/*
 * Counting stops first; then every probe goes, the shared ftrace_ops (most
 * markers and the entry hooks on ftrace, at once) before the kprobes.
 * unregister_ftrace_function() waits until no CPU or preempted task can be
 * inside its handler (RCU tasks grace periods); unregister_kprobes() and
 * unregister_kretprobes() wait for handlers still running (an RCU grace
 * period each), and a task still inside a hooked function when its
 * kretprobe goes returns without our handler.  Only then may the caller
 * free what handlers use.
 */
void cowstat_probes_unregister(void)
{
	struct kretprobe *rps[COWSTAT_NR_PROBES];
	struct kprobe *kps[COWSTAT_NR_PROBES];
	unsigned int i, nk = 0, nr = 0;

	WRITE_ONCE(cowstat_outer, false);
	static_branch_disable(&cowstat_live);
	for (i = 0; i < COWSTAT_NR_PROBES; i++) {
		struct cowstat_probe *p = &cowstat_probes[i];

		if (!p->registered)
			continue;
		if (p->mech == COWSTAT_MECH_KPROBE && p->is_ret)
			rps[nr++] = &p->rp;
		else if (p->mech == COWSTAT_MECH_KPROBE)
			kps[nk++] = &p->kp;
		p->registered = false;
	}
	cowstat_fops_disarm();
	if (nk)
		unregister_kprobes(kps, nk);
	if (nr)
		unregister_kretprobes(rps, nr);
}
