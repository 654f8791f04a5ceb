// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF source: cowtrace's counters from its own CO-RE BPF programs
 * (cowtrace.bpf.c), for machines where cowstat.ko cannot be loaded.
 *
 * It speaks the debugfs formats (interfaces.rst): read_procs, read_groups,
 * read_stats and read_probes print the maps as the module prints its
 * files and hand the text to the same parsers, so the report, the JSON
 * and verify see one shape whatever counted.
 *
 * Each hook is attached by fentry/fexit when this kernel lets a trampoline
 * on the function (ftrace can patch it, and its arguments fit a
 * trampoline; a function in BTF may still be notrace), else by
 * kprobe/kretprobe, else not at all; the counters a missing hook feeds are
 * unavailable, with the reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "cowtrace.h"
#include "cowtrace_bpf.h"
#include "source.h"
#include "bpf_source.h"
#include "maps.h"
#include "ksyms.h"
#include "cowtrace.skel.h"

const bool cow_bpf_built = true;
bool cow_bpf_want_maps;
bool cow_bpf_want_events;
unsigned int cow_bpf_events_kib = CT_EVENTS_DEFAULT_KIB;

static const char *const hook_names[CT_NR_HOOKS] = {
#define CT_HOOK_NAME(id, sym, ret) [CT_H_##id] = sym,
	CT_HOOKS(CT_HOOK_NAME)
#undef CT_HOOK_NAME
};

static const char *const counter_names[COWSTAT_NR_COUNTERS] = {
#define COWSTAT_COUNTER(name, side, meaning) [COWSTAT_##name] = #name,
#include <cowstat/counter-list.h>
#undef COWSTAT_COUNTER
};

struct hook {
	struct bpf_program *entry, *ret;	/* fentry / fexit */
	struct bpf_program *kentry, *kret;	/* kprobe / kretprobe */
	bool tp;				/* tp_btf, no fallback */
	const char *sym;			/* the name on this kernel */
	const char *method;			/* fentry, kprobe, tp_btf, off */
	int err;
	struct bpf_link *links[2];
};

struct bpf_state {
	struct cowtrace_bpf *skel;
	struct hook hook[CT_NR_HOOKS];
	bool ksyms_fault, ksyms_percpu;
	bool rt;			/* PREEMPT_RT: fault counters not exact */
	bool preemptible;		/* preempt=full or lazy: not exact either */
	const char *unavail[COWSTAT_NR_COUNTERS];	/* NULL: exact */
	struct ring_buffer *rb;		/* --events */
	cow_bpf_event_fn event_fn;
	void *event_ctx;
};

/*
 * /proc/kallsyms, read once while loading (ksyms.h says why) and freed
 * when the programs are loaded.  A file that cannot be read finds nothing.
 */
static struct ksyms kallsyms;
static bool kallsyms_read;

static const struct ksyms *kallsyms_index(void)
{
	if (!kallsyms_read) {
		kallsyms_read = true;
		ksyms_load(&kallsyms, "/proc/kallsyms");
	}
	return &kallsyms;
}

/* true when sym is a text symbol in kallsyms, for kprobes */
static bool in_kallsyms(const char *sym)
{
	return ksyms_find(kallsyms_index(), sym, true, NULL);
}

/* A data symbol's address; false when absent or hidden (kptr_restrict). */
static bool ksym_addr(const char *sym, __u64 *addr)
{
	unsigned long long a = 0;

	if (!ksyms_find(kallsyms_index(), sym, false, &a) || !a)
		return false;
	*addr = a;
	return true;
}

static void kallsyms_done(void)
{
	ksyms_free(&kallsyms);
	kallsyms_read = false;
}

/*
 * Can a trampoline go on function @id?  Load the smallest fentry program
 * and attach it (libbpf-tools' fentry_can_attach does the same).
 */
static bool fentry_can_attach(int id)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	int fd, lfd;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ct_can_attach", "GPL", insns, 2, &opts);
	if (fd < 0)
		return false;
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd >= 0)
		close(lfd);
	close(fd);
	return lfd >= 0;
}

/*
 * A trampoline goes on a function only at its ftrace call site, so one
 * that ftrace cannot patch (notrace, like wp_page_reuse) takes no fentry.
 * ftrace lists the others in available_filter_functions: read it once for
 * all the hooks' names (@syms, NULL where none) and set @listed.  False
 * when neither tracefs path can be read.
 */
static bool ftrace_listed(const char *const *syms, int n, bool *listed)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing/available_filter_functions",
		"/sys/kernel/debug/tracing/available_filter_functions",
	};
	char line[512];
	bool whole = true;	/* line starts a line of the file */
	FILE *f = NULL;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && !f; i++)
		f = fopen(paths[i], "re");
	if (!f)
		return false;
	memset(listed, 0, n * sizeof(*listed));
	while (fgets(line, sizeof(line), f)) {
		/* "name" or "name [module]" */
		size_t len = strcspn(line, " \n");
		bool start = whole;

		whole = strchr(line, '\n') != NULL;
		if (!start)
			continue;
		for (int i = 0; i < n; i++)
			if (syms[i] && !strncmp(line, syms[i], len) && !syms[i][len])
				listed[i] = true;
	}
	fclose(f);
	return true;
}

/*
 * Do a function's arguments fit every x86-64 trampoline: at most six, each
 * an integer, enum or pointer?  6.1's take no more than six (copy_huge_pmd
 * and hugetlb_wp have seven); struct arguments by value came later still.
 */
static bool btf_args_fit(const struct btf *vmlinux, int id)
{
	const struct btf_type *fn = btf__type_by_id(vmlinux, id);
	const struct btf_type *proto = fn ? btf__type_by_id(vmlinux, fn->type) : NULL;
	const struct btf_param *p;

	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) > 6)
		return false;
	p = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++, p++) {
		const struct btf_type *t = btf__type_by_id(vmlinux,
							   btf__resolve_type(vmlinux, p->type));

		if (!t || !(btf_is_int(t) || btf_is_enum(t) || btf_is_ptr(t)))
			return false;
	}
	return true;
}

/*
 * fentry for @sym?  Not when ftrace does not list it (@listed, NULL when
 * the list could not be read); yes when it does and the arguments fit;
 * else (no list, or arguments a trampoline may not take) a trial attach
 * decides.  Attaching and removing a trampoline costs a code patch each
 * way and an RCU tasks grace period: about 0.3 s a hook in the TCG guest.
 */
static bool fentry_possible(const struct btf *vmlinux, const char *sym, const bool *listed)
{
	int id;

	if (getenv("COWTRACE_BPF_NO_FENTRY"))
		return false;	/* testing aid: force the kprobe fallback */
	id = btf__find_by_name_kind(vmlinux, sym, BTF_KIND_FUNC);
	if (id <= 0 || (listed && !*listed))
		return false;
	if (listed && btf_args_fit(vmlinux, id))
		return true;
	return fentry_can_attach(id);
}

/* "a|b": the first alternative this kernel has. */
static const char *pick_symbol(const struct btf *vmlinux, const char *names, char *buf,
			       size_t len)
{
	const char *p = names;

	while (*p) {
		size_t n = strcspn(p, "|");

		snprintf(buf, len, "%.*s", (int)n, p);
		if ((vmlinux && btf__find_by_name_kind(vmlinux, buf, BTF_KIND_FUNC) > 0) ||
		    in_kallsyms(buf))
			return buf;
		p += n + (p[n] == '|');
	}
	return NULL;
}

static void set_hook_progs(struct bpf_state *b)
{
	struct cowtrace_bpf *s = b->skel;
	struct hook *h = b->hook;

#define PROGS(id, e, r, ke, kr) do {					\
		h[CT_H_##id].entry = e; h[CT_H_##id].ret = r;		\
		h[CT_H_##id].kentry = ke; h[CT_H_##id].kret = kr;	\
	} while (0)
	PROGS(DO_WP_PAGE, s->progs.fe_do_wp_page, s->progs.fx_do_wp_page,
	      s->progs.kp_do_wp_page, s->progs.kr_do_wp_page);
	PROGS(INSTALL, s->progs.fe_install, NULL, s->progs.kp_install, NULL);
	PROGS(MOVE, s->progs.fe_move, NULL, s->progs.kp_move, NULL);
	PROGS(PTE_REUSE, s->progs.fe_pte_reuse, NULL, s->progs.kp_pte_reuse, NULL);
	PROGS(MKWRITE, NULL, s->progs.fx_mkwrite, NULL, s->progs.kr_mkwrite);
	PROGS(UFFD, s->progs.fe_uffd, NULL, s->progs.kp_uffd, NULL);
	PROGS(FINISH_FAULT, s->progs.fe_finish_fault, s->progs.fx_finish_fault,
	      s->progs.kp_finish_fault, s->progs.kr_finish_fault);
	PROGS(COPY_PAGE_RANGE, s->progs.fe_copy_page_range, s->progs.fx_copy_page_range,
	      s->progs.kp_copy_page_range, s->progs.kr_copy_page_range);
	PROGS(COPY_HUGE_PMD, s->progs.fe_copy_huge_pmd, s->progs.fx_copy_huge_pmd,
	      s->progs.kp_copy_huge_pmd, s->progs.kr_copy_huge_pmd);
	PROGS(HUGETLB_INSTALL, s->progs.fe_hugetlb_install, NULL,
	      s->progs.kp_hugetlb_install, NULL);
	PROGS(EXIT_MMAP, s->progs.fe_exit_mmap, NULL, s->progs.kp_exit_mmap, NULL);
	PROGS(HUGE_WP, s->progs.fe_huge_wp, s->progs.fx_huge_wp, s->progs.kp_huge_wp,
	      s->progs.kr_huge_wp);
	PROGS(PMD_MKWRITE, s->progs.fe_pmd_mkwrite, NULL, s->progs.kp_pmd_mkwrite, NULL);
	PROGS(HUGETLB_FAULT, s->progs.fe_hugetlb_fault, s->progs.fx_hugetlb_fault,
	      s->progs.kp_hugetlb_fault, s->progs.kr_hugetlb_fault);
	PROGS(HUGETLB_WP, s->progs.fe_hugetlb_wp, NULL, s->progs.kp_hugetlb_wp, NULL);
	PROGS(HUGETLB_ALLOC, s->progs.fe_hugetlb_alloc, NULL, s->progs.kp_hugetlb_alloc, NULL);
	PROGS(FORK, s->progs.tp_fork, NULL, NULL, NULL);
	PROGS(EXEC, s->progs.tp_exec, NULL, NULL, NULL);
#undef PROGS
	h[CT_H_FORK].tp = h[CT_H_EXEC].tp = true;
}

static void autoload(struct bpf_program *p, bool on)
{
	if (p)
		bpf_program__set_autoload(p, on);
}

/* Is @name a member of struct/union @id, or of one of its anonymous ones? */
static bool btf_has_member(const struct btf *btf, __u32 id, const char *name, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	const struct btf_member *m;

	if (!t || depth > 8 || (!btf_is_struct(t) && !btf_is_union(t)))
		return false;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);

		if (mn && !strcmp(mn, name))
			return true;
		if ((!mn || !*mn) && btf_has_member(btf, m->type, name, depth + 1))
			return true;
	}
	return false;
}

/*
 * 6.15+ (upstream 1da190f4d0a6): struct folio has _mm_ids, and do_wp_page
 * reuses a page of a PTE-mapped large folio in place with no move to tell
 * it.  Before, every reuse moves or was exclusive: ptep_set_access_flags
 * (one of the hottest PTE functions) stays off and unattached, at no cost.
 */
static bool large_reuse_kernel(const struct btf *vmlinux)
{
	int id;

	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, "folio", BTF_KIND_STRUCT);
	return id > 0 && btf_has_member(vmlinux, id, "_mm_ids", 0);
}

/* Decide each hook's method before load. */
static void choose_methods(struct bpf_state *b, const struct btf *vmlinux)
{
	static char syms[CT_NR_HOOKS][64];
	const char *skip = getenv("COWTRACE_BPF_SKIP");
	const char *names[CT_NR_HOOKS] = { };
	bool listed[CT_NR_HOOKS], have_list;

	for (int i = 0; i < CT_NR_HOOKS; i++)
		if (!b->hook[i].tp)
			names[i] = pick_symbol(vmlinux, hook_names[i], syms[i], sizeof(syms[i]));
	have_list = vmlinux && ftrace_listed(names, CT_NR_HOOKS, listed);
	for (int i = 0; i < CT_NR_HOOKS; i++) {
		struct hook *h = &b->hook[i];
		bool fentry;

		if (h->tp) {
			h->sym = hook_names[i];
			h->method = "tp_btf";
			continue;
		}
		if (i == CT_H_PTE_REUSE && !large_reuse_kernel(vmlinux)) {
			h->sym = NULL;
			h->method = "off";
			h->err = -ENOENT;
			autoload(h->entry, false);
			autoload(h->kentry, false);
			continue;
		}
		h->sym = names[i];
		if (h->sym && skip && !strcmp(skip, h->sym)) {
			/* testing aid: as if this hook failed to attach */
			h->method = "failed";
			h->err = -ENOENT;
			autoload(h->entry, false);
			autoload(h->ret, false);
			autoload(h->kentry, false);
			autoload(h->kret, false);
			continue;
		}
		fentry = h->sym && fentry_possible(vmlinux, h->sym, have_list ? &listed[i] : NULL);
		if (fentry) {
			h->method = "fentry";
			if (h->entry)
				bpf_program__set_attach_target(h->entry, 0, h->sym);
			if (h->ret)
				bpf_program__set_attach_target(h->ret, 0, h->sym);
		} else if (h->sym && in_kallsyms(h->sym)) {
			h->method = "kprobe";
		} else {
			h->method = "off";
			h->err = -ENOENT;
		}
		autoload(h->entry, fentry);
		autoload(h->ret, fentry);
		autoload(h->kentry, !strcmp(h->method, "kprobe"));
		autoload(h->kret, !strcmp(h->method, "kprobe"));
	}
}

static int attach_hook(struct hook *h)
{
	struct bpf_program *progs[2];
	bool kp = !strcmp(h->method, "kprobe");

	if (!strcmp(h->method, "off") || !strcmp(h->method, "failed"))
		return h->err;
	progs[0] = kp ? h->kentry : h->entry;
	progs[1] = kp ? h->kret : h->ret;
	for (int j = 0; j < 2; j++) {
		struct bpf_link *l;

		if (!progs[j])
			continue;
		if (kp)
			l = bpf_program__attach_kprobe(progs[j], j == 1, h->sym);
		else
			l = bpf_program__attach(progs[j]);
		if (!l) {
			h->err = -errno;
			h->method = "failed";
			return h->err;
		}
		h->links[j] = l;
	}
	return 0;
}

static bool hook_ok(const struct bpf_state *b, enum ct_hook h)
{
	return b->hook[h].err == 0 && strcmp(b->hook[h].method, "off") &&
	       strcmp(b->hook[h].method, "failed");
}

static void unavailable(struct bpf_state *b, enum cowstat_counter c, const char *why)
{
	if (!b->unavail[c])
		b->unavail[c] = why;
}

/*
 * A THP or hugetlb hook whose function this kernel lacks (configured out,
 * as THP on PREEMPT_RT) is no loss: no such fault can happen, its counters
 * are exactly 0.  One that exists and did not attach is.
 */
static bool huge_ok(const struct bpf_state *b, enum ct_hook h)
{
	return hook_ok(b, h) || (!strcmp(b->hook[h].method, "off") && !b->hook[h].sym);
}

/* /sys/kernel/realtime reads 1 on a PREEMPT_RT kernel. */
static bool preempt_rt(void)
{
	FILE *f = fopen("/sys/kernel/realtime", "re");
	int c = f ? fgetc(f) : 0;

	if (f)
		fclose(f);
	return c == '1';
}

/*
 * Does the kernel preempt kernel code (preemption model full or lazy)?
 * Then a handler preempted inside its fentry program makes the next
 * invocation of that program on its CPU a miss, as on PREEMPT_RT: Debian's
 * 7.2 (CONFIG_PREEMPT_LAZY, no none or voluntary model at all) lost 475 of
 * 43199 write faults under verify over the scenarios.  6.1 and 6.12 run
 * voluntary by default.  The live model is in debugfs (PREEMPT_DYNAMIC:
 * "none voluntary (full) lazy"), else preempt= on the command line, else
 * the kernel's config.  COWTRACE_BPF_ASSUME_EXACT=1 (a testing aid) calls
 * the counters exact anyway, so that a test can check exact values on a
 * run that reports no misses.
 */
static bool preemptible_kernel(void)
{
	char line[4096], path[300], *p;
	struct utsname u;
	bool yes = false;
	FILE *f;

	if (getenv("COWTRACE_BPF_ASSUME_EXACT"))
		return false;
	f = fopen("/sys/kernel/debug/sched/preempt", "re");
	if (f) {
		if (fgets(line, sizeof(line), f))
			yes = strstr(line, "(full)") || strstr(line, "(lazy)");
		fclose(f);
		return yes;
	}
	f = fopen("/proc/cmdline", "re");
	if (f) {
		p = fgets(line, sizeof(line), f) ? strstr(line, "preempt=") : NULL;
		fclose(f);
		if (p && (p == line || p[-1] == ' '))
			return !strncmp(p + 8, "full", 4) || !strncmp(p + 8, "lazy", 4);
	}
	if (uname(&u))
		return false;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!yes && fgets(line, sizeof(line), f))
		yes = !strcmp(line, "CONFIG_PREEMPT=y\n") || !strcmp(line, "CONFIG_PREEMPT_LAZY=y\n");
	fclose(f);
	return yes;
}

/* Which counters this kernel and these hooks give exactly. */
static void decide_counters(struct bpf_state *b)
{
	static const enum cowstat_counter fault[] = {
		COWSTAT_wp_faults, COWSTAT_cow_copies, COWSTAT_cow_copies_anon,
		COWSTAT_cow_copies_zero, COWSTAT_cow_copies_file, COWSTAT_cow_copies_ksm,
		COWSTAT_cow_copies_pfn, COWSTAT_cow_copies_unshare, COWSTAT_cow_reuses,
		COWSTAT_cow_reuses_moved, COWSTAT_cow_reuses_exclusive, COWSTAT_uffd_wp,
		COWSTAT_remote_events, COWSTAT_shared_writes, COWSTAT_unshare_kept,
		COWSTAT_wp_races, COWSTAT_wp_errors, COWSTAT_wp_retries,
		COWSTAT_thp_reuses, COWSTAT_thp_splits, COWSTAT_hugetlb_copies,
		COWSTAT_hugetlb_reuses,
	};
	/* Fed by THP and hugetlb write faults too (counter-list.h). */
	static const enum cowstat_counter thp[] = {
		COWSTAT_thp_reuses, COWSTAT_thp_splits, COWSTAT_unshare_kept,
		COWSTAT_wp_races, COWSTAT_wp_errors, COWSTAT_wp_retries,
		COWSTAT_remote_events,
	};
	static const enum cowstat_counter huge[] = {
		COWSTAT_hugetlb_copies, COWSTAT_hugetlb_reuses, COWSTAT_shared_writes,
		COWSTAT_uffd_wp, COWSTAT_unshare_kept, COWSTAT_wp_races, COWSTAT_wp_errors,
		COWSTAT_wp_retries, COWSTAT_remote_events,
	};
	static const enum cowstat_counter forkc[] = {
		COWSTAT_forks, COWSTAT_fork_vmas_copied, COWSTAT_fork_vmas_skipped,
		COWSTAT_fork_pages_shared, COWSTAT_fork_pages_shared_anon,
		COWSTAT_fork_pages_shared_file, COWSTAT_fork_pages_shared_shmem,
		COWSTAT_fork_swap_shared, COWSTAT_fork_pt_pages, COWSTAT_fork_eager_copies,
		COWSTAT_fork_thp_shared, COWSTAT_fork_hugetlb_shared,
	};
	size_t i;

	for (i = 0; i < sizeof(fault) / sizeof(fault[0]); i++) {
		/*
		 * Measured on Debian 6.1-rt: verify over the scenarios saw the
		 * BPF programs lose about 1% of the write faults and some
		 * installs; the handlers are preemptible there, and fentry's
		 * recursion guard counted hundreds of misses.  Not exact.
		 */
		if (b->rt)
			unavailable(b, fault[i], "bpf:preempt_rt_loses_fault_events");
		if (b->preemptible)
			unavailable(b, fault[i], "bpf:preemptible_kernel_loses_fault_events");
		if (!b->ksyms_fault)
			unavailable(b, fault[i], "bpf:no_vmemmap_base_or_zero_pfn_in_kallsyms");
		if (!hook_ok(b, CT_H_DO_WP_PAGE))
			unavailable(b, fault[i], "bpf:do_wp_page_not_attached");
		if (!hook_ok(b, CT_H_INSTALL) || !hook_ok(b, CT_H_MOVE) ||
		    !hook_ok(b, CT_H_MKWRITE) || !hook_ok(b, CT_H_UFFD))
			unavailable(b, fault[i], "bpf:fault_marker_not_attached");
		/* off with no symbol: a kernel before 6.15, nothing to tell */
		if (!huge_ok(b, CT_H_PTE_REUSE))
			unavailable(b, fault[i], "bpf:pte_reuse_marker_not_attached");
	}
	for (i = 0; i < sizeof(thp) / sizeof(thp[0]); i++)
		if (!huge_ok(b, CT_H_HUGE_WP) || !huge_ok(b, CT_H_PMD_MKWRITE))
			unavailable(b, thp[i], "bpf:thp_fault_hook_not_attached");
	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++)
		if (!huge_ok(b, CT_H_HUGETLB_FAULT) || !huge_ok(b, CT_H_HUGETLB_WP) ||
		    !huge_ok(b, CT_H_HUGETLB_ALLOC) || !huge_ok(b, CT_H_HUGETLB_INSTALL))
			unavailable(b, huge[i], "bpf:hugetlb_fault_hook_not_attached");
	if (b->rt)
		unavailable(b, COWSTAT_cow_at_fault, "bpf:preempt_rt_loses_fault_events");
	if (b->preemptible)
		unavailable(b, COWSTAT_cow_at_fault, "bpf:preemptible_kernel_loses_fault_events");
	if (!hook_ok(b, CT_H_INSTALL) || !hook_ok(b, CT_H_FINISH_FAULT))
		unavailable(b, COWSTAT_cow_at_fault, "bpf:finish_fault_or_install_not_attached");
	for (i = 0; i < sizeof(forkc) / sizeof(forkc[0]); i++) {
		if (!hook_ok(b, CT_H_COPY_PAGE_RANGE) || !hook_ok(b, CT_H_FORK))
			unavailable(b, forkc[i], "bpf:copy_page_range_not_attached");
		if (!b->ksyms_percpu)
			unavailable(b, forkc[i], "bpf:no___per_cpu_offset_in_kallsyms");
	}
	if (!huge_ok(b, CT_H_COPY_HUGE_PMD))
		unavailable(b, COWSTAT_fork_thp_shared, "bpf:copy_huge_pmd_not_attached");
	if (!hook_ok(b, CT_H_INSTALL) || !huge_ok(b, CT_H_HUGETLB_INSTALL))
		unavailable(b, COWSTAT_fork_eager_copies, "bpf:install_not_attached");
}

bool cow_bpf_counter_exact(const struct cow_source *s, int idx)
{
	const struct bpf_state *b = s->priv;

	return b && idx >= 0 && idx < COWSTAT_NR_COUNTERS && !b->unavail[idx];
}

/* ---- text in the debugfs formats ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p && (size_t)n < room) {
			b->len += n;
			return;
		}
		b->cap = (b->cap ? b->cap * 2 : 8192) + n;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			b->len = b->cap = 0;
			return;
		}
	}
}

static void header(const struct bpf_state *b, struct buf *o)
{
	bprintf(o, "state gen tgid pid ppid start_ns birth initiator_remote exit_ns fork_ns");
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (!b->unavail[i])
			bprintf(o, " %s", counter_names[i]);
	bprintf(o, " comm\n");
}

static void counters(const struct bpf_state *b, struct buf *o, const __u64 *c)
{
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++)
		if (!b->unavail[i])
			bprintf(o, " %llu", (unsigned long long)c[i]);
}

static int parse_into(struct buf *o, struct cow_table *t)
{
	int err;

	if (!o->p) {
		memset(t, 0, sizeof(*t));
		snprintf(t->err, sizeof(t->err), "out of memory");
		return -ENOMEM;
	}
	err = cow_table_parse(o->p, t);
	free(o->p);
	return err;
}

static const char *birth_name(__u32 birth)
{
	return birth == CT_BIRTH_FORK ? "fork" : birth == CT_BIRTH_EXEC ? "exec" : "seen";
}

static int bpf_read_procs(struct cow_source *s, struct cow_table *t)
{
	struct bpf_state *b = s->priv;
	int fd = bpf_map__fd(b->skel->maps.recs);
	struct buf o = { 0 };
	__u64 key, next, *prev = NULL;
	struct ct_rec r;

	header(b, &o);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &r) || !r.tgid)
			continue;
		r.comm[CT_COMM_LEN - 1] = '\0';
		for (char *c = r.comm; *c; c++)
			if (*c == '\n')
				*c = ' ';
		bprintf(&o, "%s %llu %d %d %d %llu %s %llu %llu %llu", r.exited ? "exited" : "live",
			(unsigned long long)r.gen, r.tgid, r.pid, r.ppid,
			(unsigned long long)r.start_ns, birth_name(r.birth),
			(unsigned long long)r.initiator_remote, (unsigned long long)r.exit_ns,
			(unsigned long long)r.fork_ns);
		counters(b, &o, r.c.v);
		bprintf(&o, " %s\n", r.comm[0] ? r.comm : "-");
	}
	return parse_into(&o, t);
}

static int bpf_read_groups(struct cow_source *s, struct cow_table *t)
{
	struct bpf_state *b = s->priv;
	int fd = bpf_map__fd(b->skel->maps.groups);
	struct buf o = { 0 };
	struct ct_group g;

	header(b, &o);
	for (__u32 i = 0; i < CT_MAX_GROUPS; i++) {
		if (bpf_map_lookup_elem(fd, &i, &g) || g.state == CT_GROUP_FREE)
			continue;
		bprintf(&o, "%s %llu %d %d 0 %llu seen %llu 0 %llu",
			g.state == CT_GROUP_ACTIVE ? "active" : "ended",
			(unsigned long long)g.gen, g.leader, g.leader,
			(unsigned long long)g.start_ns, (unsigned long long)g.initiator_remote,
			(unsigned long long)g.fork_ns);
		counters(b, &o, g.c.v);
		bprintf(&o, " -\n");
	}
	return parse_into(&o, t);
}

/* Misses of the fentry recursion guard (and kprobe misses), all programs. */
static __u64 prog_misses(const struct bpf_state *b)
{
	struct bpf_program *p;
	__u64 sum = 0;

	bpf_object__for_each_program(p, b->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

static int bpf_read_stats(struct cow_source *s, struct cow_stats *st)
{
	struct bpf_state *b = s->priv;
	struct buf o = { 0 };
	int err;

	bprintf(&o, "bpf_prog_misses %llu\n", (unsigned long long)prog_misses(b));
	bprintf(&o, "records_dropped %llu\n",
		(unsigned long long)b->skel->bss->health[CT_HEALTH_RECS_FULL]);
	bprintf(&o, "contexts_dropped %llu\n",
		(unsigned long long)b->skel->bss->health[CT_HEALTH_CTX_FULL]);
	bprintf(&o, "records_stale_replaced %llu\n",
		(unsigned long long)b->skel->bss->health[CT_HEALTH_STALE]);
	if (!o.p)
		return -ENOMEM;
	err = cow_stats_parse(o.p, st);
	free(o.p);
	return err;
}

static int bpf_read_probes(struct cow_source *s, struct cow_probes *p)
{
	struct bpf_state *b = s->priv;
	struct buf o = { 0 };
	int err;

	for (int i = 0; i < CT_NR_HOOKS; i++) {
		const struct hook *h = &b->hook[i];
		char state[32];

		if (h->err && strcmp(h->method, "off"))
			snprintf(state, sizeof(state), "failed(%d)", h->err);
		else
			snprintf(state, sizeof(state), "%s", h->method);
		bprintf(&o, "%s %s %llu 0 0\n", h->sym ? h->sym : hook_names[i], state,
			(unsigned long long)b->skel->bss->hits[i]);
	}
	for (int i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (b->unavail[i])
			bprintf(&o, "counter %s unavailable(%s)\n", counter_names[i], b->unavail[i]);
		else
			bprintf(&o, "counter %s exact\n", counter_names[i]);
	}
	if (!o.p)
		return -ENOMEM;
	err = cow_probes_parse(o.p, p);
	free(o.p);
	return err;
}

static int bpf_read_latency(struct cow_source *s, struct cow_latency *l, const uint64_t *gens,
			    size_t nr_gens)
{
	(void)s;
	(void)gens;
	(void)nr_gens;
	memset(l, 0, sizeof(*l));
	return -EOPNOTSUPP;
}

static int bpf_track_start(struct cow_source *s, pid_t pid, uint64_t start, uint64_t end)
{
	struct bpf_state *b = s->priv;
	int gfd = bpf_map__fd(b->skel->maps.groups);
	int tfd = bpf_map__fd(b->skel->maps.tgid_groups);
	struct ct_group g;
	__u32 slot, bits = 0, key = pid;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	for (slot = 0; slot < CT_MAX_GROUPS; slot++)
		if (!bpf_map_lookup_elem(gfd, &slot, &g) && g.state == CT_GROUP_FREE)
			break;
	if (slot == CT_MAX_GROUPS)
		return -ENOSPC;
	memset(&g, 0, sizeof(g));
	g.gen = ++b->skel->bss->next_gen;
	g.leader = pid;
	g.state = CT_GROUP_ACTIVE;
	g.start = start;
	g.end = end;
	g.start_ns = cow_boottime_ns();
	if (bpf_map_update_elem(gfd, &slot, &g, BPF_ANY))
		return -errno;
	bpf_map_lookup_elem(tfd, &key, &bits);
	bits |= 1U << slot;
	if (bpf_map_update_elem(tfd, &key, &bits, BPF_ANY))
		return -errno;
	if (!s->first_tracked)
		s->first_tracked = pid;
	return 0;
}

static int bpf_track_end(struct cow_source *s, pid_t pid)
{
	struct bpf_state *b = s->priv;
	int gfd = bpf_map__fd(b->skel->maps.groups);
	struct ct_group g;

	for (__u32 slot = 0; slot < CT_MAX_GROUPS; slot++) {
		if (bpf_map_lookup_elem(gfd, &slot, &g) || g.state != CT_GROUP_ACTIVE ||
		    g.leader != pid)
			continue;
		g.state = CT_GROUP_ENDED;
		bpf_map_update_elem(gfd, &slot, &g, BPF_ANY);
	}
	return 0;
}

static void bpf_close(struct cow_source *s)
{
	struct bpf_state *b = s->priv;

	if (!b)
		return;
	ring_buffer__free(b->rb);
	for (int i = 0; i < CT_NR_HOOKS; i++)
		for (int j = 0; j < 2; j++)
			bpf_link__destroy(b->hook[i].links[j]);
	cowtrace_bpf__destroy(b->skel);
	free(b);
	s->priv = NULL;
}

static const struct cow_source_ops bpf_ops = {
	.name = "bpf",
	.read_procs = bpf_read_procs,
	.read_groups = bpf_read_groups,
	.read_stats = bpf_read_stats,
	.read_probes = bpf_read_probes,
	.read_latency = bpf_read_latency,
	.track_start = bpf_track_start,
	.track_end = bpf_track_end,
	.close = bpf_close,
};

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("COWTRACE_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG && getenv("COWTRACE_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int cow_bpf_source_open(struct cow_source *s)
{
	struct bpf_state *b;
	struct btf *vmlinux;
	int err, nr_cpus;

	memset(s, 0, sizeof(*s));
	s->track_fd = -1;
	snprintf(s->dir, sizeof(s->dir), "bpf");
	if (geteuid() != 0) {
		cow_err("the BPF backend needs root (CAP_BPF and CAP_PERFMON): run cowtrace as root (sudo cowtrace ...)");
		return -EACCES;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		cow_err("the BPF backend needs kernel BTF and /sys/kernel/btf/vmlinux is missing: use a kernel with CONFIG_DEBUG_INFO_BTF=y, or load cowstat.ko (--backend=module)");
		return -ENOENT;
	}
	libbpf_set_print(quiet_print);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		cow_err("cannot read the kernel BTF (/sys/kernel/btf/vmlinux): %s", strerror(errno));
		return -EIO;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		btf__free(vmlinux);
		return -ENOMEM;
	}
	b->skel = cowtrace_bpf__open();
	if (!b->skel) {
		err = -errno;
		cow_err("cannot open the BPF programs: %s", strerror(-err));
		btf__free(vmlinux);
		free(b);
		return err;
	}
	nr_cpus = libbpf_num_possible_cpus();
	b->skel->rodata->nr_cpus = nr_cpus > 0 ? nr_cpus : 1;
	b->skel->rodata->maps_on = cow_bpf_want_maps;
	/* No --maps: the per-mapping map is never used, keep it small. */
	if (!cow_bpf_want_maps)
		bpf_map__set_max_entries(b->skel->maps.maps, 1);
	/* --events: the ring's bytes (a power of two pages, cowtrace.c checks) */
	b->skel->rodata->events_on = cow_bpf_want_events;
	bpf_map__set_max_entries(b->skel->maps.events,
				 cow_bpf_want_events ? cow_bpf_events_kib * 1024U :
				 (unsigned int)sysconf(_SC_PAGESIZE));
	/* The programs read these through their addresses; zero_pfn is zero_page_pfn in 7.x */
	b->ksyms_fault = ksym_addr("vmemmap_base", &b->skel->rodata->ksym_vmemmap_base) &&
			 (ksym_addr("zero_pfn", &b->skel->rodata->ksym_zero_pfn) ||
			  ksym_addr("zero_page_pfn", &b->skel->rodata->ksym_zero_pfn));
	b->ksyms_percpu = ksym_addr("__per_cpu_offset", &b->skel->rodata->ksym_per_cpu_offset);
	set_hook_progs(b);
	choose_methods(b, vmlinux);
	btf__free(vmlinux);
	kallsyms_done();
	err = cowtrace_bpf__load(b->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			cow_err("loading the BPF programs was refused (%s): cowtrace needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN, and lockdown=confidentiality forbids it",
				strerror(-err));
		else
			cow_err("loading the BPF programs failed: %s (COWTRACE_BPF_DEBUG=1 shows the verifier log)",
				strerror(-err));
		cowtrace_bpf__destroy(b->skel);
		free(b);
		return err;
	}
	for (int i = 0; i < CT_NR_HOOKS; i++) {
		struct hook *h = &b->hook[i];

		if (!attach_hook(h))
			continue;
		if (h->tp) {
			cow_err("cannot attach the %s tracepoint: %s", h->sym, strerror(-h->err));
			s->priv = b;
			bpf_close(s);
			return h->err;
		}
		/* A function this kernel lacks is no error (status shows it off). */
		if (strcmp(h->method, "off"))
			cow_err("bpf: cannot attach to %s: %s: the counters it feeds are unavailable (cowtrace status)",
				h->sym, strerror(-h->err));
	}
	s->priv = b;
	s->ops = &bpf_ops;
	b->rt = preempt_rt();
	b->preemptible = !b->rt && preemptible_kernel();
	decide_counters(b);
	/* The report says "module cowstat <modver>": there is none. */
	snprintf(s->modver, sizeof(s->modver), "none: BPF backend");
	s->format = COWTRACE_DEBUGFS_FORMAT;
	return 0;
}

const char *cow_bpf_hook_method(const struct cow_source *s, int i, const char **sym)
{
	const struct bpf_state *b = s->priv;

	if (!b || i < 0 || i >= CT_NR_HOOKS)
		return NULL;
	*sym = b->hook[i].sym ? b->hook[i].sym : hook_names[i];
	return b->hook[i].method;
}

int cow_bpf_read_maps(struct cow_source *s, struct cow_map_raw **raw, size_t *nr,
		      uint64_t *lost)
{
	const struct bpf_state *b = s->ops == &bpf_ops ? s->priv : NULL;
	struct ct_map_key key, next, *prev = NULL;
	struct cow_map_raw *out = NULL, *grown;
	size_t n = 0, cap = 0;
	struct ct_map m;
	int fd;

	*raw = NULL;
	*nr = 0;
	*lost = 0;
	if (!b || !b->skel->rodata->maps_on)
		return -EOPNOTSUPP;
	fd = bpf_map__fd(b->skel->maps.maps);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &m))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				free(out);
				return -ENOMEM;
			}
			out = grown;
		}
		memset(&out[n], 0, sizeof(out[n]));
		out[n].gen = key.gen;
		out[n].start = key.start;
		out[n].kind = key.kind;
		out[n].end = m.end;
		out[n].page_size = m.page_size;
		out[n].name_truncated = m.name_truncated;
		m.name[CT_MAP_NAME_LEN - 1] = '\0';
		snprintf(out[n].name, sizeof(out[n].name), "%s", m.name);
		memcpy(out[n].val, m.c.v, sizeof(out[n].val));
		n++;
	}
	*raw = out;
	*nr = n;
	*lost = b->skel->bss->health[CT_HEALTH_MAPS_FULL];
	return 0;
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct bpf_state *b = ctx;

	if (size < sizeof(struct ct_event))
		return 0;
	return b->event_fn(b->event_ctx, data);
}

int cow_bpf_events_start(struct cow_source *s, cow_bpf_event_fn fn, void *ctx)
{
	struct bpf_state *b = s->ops == &bpf_ops ? s->priv : NULL;

	if (!b || !b->skel->rodata->events_on)
		return -EOPNOTSUPP;
	b->event_fn = fn;
	b->event_ctx = ctx;
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), on_ring_event, b, NULL);
	if (!b->rb)
		return -errno;
	return ring_buffer__epoll_fd(b->rb);
}

int cow_bpf_events_drain(struct cow_source *s)
{
	struct bpf_state *b = s->ops == &bpf_ops ? s->priv : NULL;

	if (!b || !b->rb)
		return -EOPNOTSUPP;
	return ring_buffer__consume(b->rb);
}

uint64_t cow_bpf_events_lost(const struct cow_source *s)
{
	const struct bpf_state *b = s->ops == &bpf_ops ? s->priv : NULL;

	return b ? b->skel->bss->events_lost : 0;
}

uint64_t cow_bpf_misses(const struct cow_source *s)
{
	const struct bpf_state *b = s->priv;

	return b ? prog_misses(b) : 0;
}
