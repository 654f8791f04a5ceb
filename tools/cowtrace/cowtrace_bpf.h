/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cowtrace's BPF programs (cowtrace.bpf.c) and their loader
 * (bpf_source.c) share: the map layouts and the hook list.
 *
 * The BPF side includes vmlinux.h first, userspace <linux/types.h>; both
 * get __u32/__u64 from there.  The counters are the ones of
 * include/cowstat/counter-list.h, indexed by enum cowstat_counter, and they
 * are classified by the module's own code (include/cowstat/classify.h).
 */
#ifndef COWTRACE_BPF_H
#define COWTRACE_BPF_H

#include <cowstat/counters.h>

#define CT_MAX_GROUPS	16	/* like the module's COWSTAT_MAX_GROUPS */
#define CT_COMM_LEN	16
#define CT_MAX_RECS	16384
#define CT_MAX_TASKS	8192	/* tasks inside a hooked function at once */
#define CT_MAX_CPUS	512	/* for summing the percpu rss counters (6.2+) */

enum ct_birth { CT_BIRTH_SEEN, CT_BIRTH_FORK, CT_BIRTH_EXEC };

/* A counter vector, by enum cowstat_counter. */
struct ct_counters {
	__u64 v[COWSTAT_NR_COUNTERS];
};

/* One per mm incarnation, like the module's records (key: gen). */
struct ct_rec {
	__u64 gen;
	__u64 mm;		/* never shown: only to match it at exit */
	__s32 tgid;		/* 0 while a fork child is not bound yet */
	__s32 pid;
	__s32 ppid;
	__u32 birth;		/* enum ct_birth */
	__u32 exited;
	__u32 groups;		/* the groups of a child not bound yet */
	__u64 start_ns;
	__u64 exit_ns;
	__u64 fork_ns;		/* time its forks spent in copy_page_range */
	__u64 copy_ns;		/* as a fork child: its own copy, for the parent */
	__u64 initiator_remote;
	char comm[CT_COMM_LEN];
	struct ct_counters c;
};

enum ct_group_state { CT_GROUP_FREE, CT_GROUP_ACTIVE, CT_GROUP_ENDED };

/* A track group: a process and its descendants born after, optional range. */
struct ct_group {
	__u64 gen;
	__s32 leader;
	__u32 state;		/* enum ct_group_state */
	__u64 start, end;	/* end > start: only addresses in [start, end) */
	__u64 start_ns;
	__u64 fork_ns;
	__u64 initiator_remote;
	struct ct_counters c;
};

/*
 * --maps: counts per (record, mapping).  The kind is decided in BPF from
 * the VMA at the event (cowtrace.bpf.c, vma_kind()); a VMA split or merged
 * later keeps its counts under the start it had at the event.
 */
#define CT_MAX_MAPS	16384
#define CT_MAP_NAME_LEN	64

enum ct_map_kind {
	CT_MAP_ANON,		/* private anonymous */
	CT_MAP_HEAP,		/* overlaps [mm->start_brk, mm->brk) */
	CT_MAP_STACK,		/* holds mm->start_stack (the main stack) */
	CT_MAP_FILE,		/* private file mapping */
	CT_MAP_SHARED,		/* VM_SHARED or VM_MAYSHARE: shmem, shared file */
	CT_MAP_HUGETLB,		/* VM_HUGETLB */
	CT_MAP_SPECIAL,		/* no file, vm_ops set: vdso, vvar and the like */
	CT_NR_MAP_KINDS
};

struct ct_map_key {
	__u64 gen;		/* the record (mm incarnation); 0: not attributed */
	__u64 start;		/* vm_start at the event */
	__u32 kind;		/* enum ct_map_kind */
	__u32 pad;
};

struct ct_map {
	__u64 end;		/* vm_end when the entry was made */
	__u64 page_size;	/* bytes of one of its pages (hugetlb: the huge page) */
	__u32 name_truncated;	/* the name filled name[] and may be cut */
	__u32 pad;
	char name[CT_MAP_NAME_LEN];	/* the file's dentry name, "" if none */
	struct ct_counters c;
};

/*
 * --events: one record of the ring buffer per event of a tracked record,
 * sent where its counts are decided (cowtrace.bpf.c, ct_emit()).  The
 * userspace side names it from the counters it incremented (events.c).
 */
#define CT_EVENTS_DEFAULT_KIB	256

enum ct_event_type {
	CT_EV_FAULT,		/* a write fault, an unshare, a COW at fault */
	CT_EV_FORK,		/* a fork of a tracked process (arg: child) */
};

struct ct_event {
	__u64 ts;		/* CLOCK_BOOTTIME, ns */
	__u64 addr;		/* the faulting address (0 for a fork) */
	__u64 counters;		/* bit i: counter i was incremented */
	__u64 latency_ns;	/* do_wp_page's, entry to return; 0: not timed */
	__u32 pid;		/* the process charged (the record's tgid) */
	__u32 tid;		/* the task that ran it */
	__u32 arg;		/* CT_EV_FORK: the child's tgid */
	__u8 type;		/* enum ct_event_type */
	__u8 map_kind;		/* enum ct_map_kind; CT_NR_MAP_KINDS: unknown */
	__u8 pad[2];
	char comm[16];		/* current's */
};

/*
 * The hooks, each attached by fentry/fexit when the kernel lets it, else by
 * kprobe/kretprobe (or not at all).  The two tracepoints are tp_btf.
 */
#define CT_HOOKS(X)							\
	X(DO_WP_PAGE, "do_wp_page", 1)					\
	X(INSTALL, "folio_add_new_anon_rmap|page_add_new_anon_rmap", 0) \
	X(MOVE, "folio_move_anon_rmap|page_move_anon_rmap", 0)		\
	X(PTE_REUSE, "ptep_set_access_flags", 0)			\
	X(MKWRITE, "finish_mkwrite_fault", 1)				\
	X(UFFD, "handle_userfault", 0)					\
	X(FINISH_FAULT, "finish_fault", 1)				\
	X(COPY_PAGE_RANGE, "copy_page_range", 1)			\
	X(COPY_HUGE_PMD, "copy_huge_pmd", 1)				\
	X(HUGETLB_INSTALL, "hugetlb_add_new_anon_rmap|hugepage_add_new_anon_rmap", 0) \
	X(EXIT_MMAP, "exit_mmap", 0)					\
	X(HUGE_WP, "do_huge_pmd_wp_page", 1)				\
	X(PMD_MKWRITE, "pmdp_set_access_flags", 0)			\
	X(HUGETLB_FAULT, "hugetlb_fault", 1)				\
	X(HUGETLB_WP, "hugetlb_wp", 0)					\
	X(HUGETLB_ALLOC, "alloc_hugetlb_folio|alloc_huge_page", 0)	\
	X(FORK, "sched_process_fork", 0)				\
	X(EXEC, "sched_process_exec", 0)

enum ct_hook {
#define CT_HOOK_ID(id, sym, ret) CT_H_##id,
	CT_HOOKS(CT_HOOK_ID)
#undef CT_HOOK_ID
	CT_NR_HOOKS
};

/* The BPF side's own health, in .bss. */
enum ct_health {
	CT_HEALTH_RECS_FULL,	/* a record could not be created */
	CT_HEALTH_CTX_FULL,	/* an invocation context could not be kept */
	CT_HEALTH_UNCORRELATED,	/* a nested marker without its outer call */
	CT_HEALTH_MAPS_FULL,	/* --maps: an event whose mapping had no entry */
	CT_HEALTH_STALE,	/* a missed exit's record met a new mm there */
	CT_NR_HEALTH
};

#endif /* COWTRACE_BPF_H */
