/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the probe glue files share: the instance, the probe registry, the
 * task-context table and the per-invocation contexts the outer probes
 * keep for their nested markers.
 */
#ifndef _COWSTAT_GLUE_H
#define _COWSTAT_GLUE_H

#include <linux/ftrace.h>
#include <linux/hash.h>
#include <linux/jump_label.h>
#include <linux/kprobes.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include <cowstat/core.h>

struct seq_file;

extern struct cowstat cowstat_state;
extern bool cowstat_records_enabled;

/* ------------------------------------------------------------------ */
/* Probe registry (probes.c)                                           */
/* ------------------------------------------------------------------ */

/* In registration order: records retire before anything creates them. */
enum cowstat_probe_id {
	COWSTAT_P_EXIT_MMAP,
	COWSTAT_P_COPY_PROCESS,
	COWSTAT_P_COPY_PAGE_RANGE,
	COWSTAT_P_COPY_NAMESPACES,
	COWSTAT_P_COPY_HUGE_PMD,
	COWSTAT_P_EXEC,
	COWSTAT_P_DO_WP_PAGE,
	COWSTAT_P_INSTALL,
	COWSTAT_P_MOVE,
	COWSTAT_P_PTE_REUSE,
	COWSTAT_P_MKWRITE,
	COWSTAT_P_UFFD,
	COWSTAT_P_HUGE_WP,
	COWSTAT_P_PMD_MKWRITE,
	COWSTAT_P_HUGETLB_FAULT,
	COWSTAT_P_HUGETLB_WP,
	COWSTAT_P_HUGETLB_INSTALL,
	COWSTAT_P_HUGETLB_ALLOC,
	COWSTAT_P_TASK_FREE,
	COWSTAT_NR_PROBES
};

/**
 * enum cowstat_mech - what a hook is built on
 * @COWSTAT_MECH_KPROBE: a kprobe or kretprobe (on the ftrace path where
 *                       the function is traceable, else int3)
 * @COWSTAT_MECH_FTRACE: a raw ftrace_ops on the function's entry: no full
 *                       pt_regs, no kprobe lookup; entry hooks only
 */
enum cowstat_mech {
	COWSTAT_MECH_KPROBE,
	COWSTAT_MECH_FTRACE,
};

/**
 * struct cowstat_probe - one hooked function
 * @symbol:     the function on this kernel (compat.h picks the name)
 * @is_ret:     a kretprobe (entry and return handlers), else a kprobe
 * @pre:        kprobe handler
 * @entry:      kretprobe entry handler (returns non-zero to skip the return)
 * @ret:        kretprobe return handler
 * @data_size:  per-invocation data of a kretprobe
 * @maxactive:  concurrent invocations a kretprobe can follow
 * @name:       the symbol actually registered (after rename=)
 * @err:        registration error, 0 when registered
 * @skipped:    not registered because of skip_symbol=
 * @unbuilt:    its function is configured out of this kernel
 * @registered: in place
 * @fentry:     raw ftrace_ops handler of an entry hook (NULL: kprobe only)
 * @mech:       the mechanism in place (or tried last)
 * @hits:       handler calls
 * @kp:         the kprobe
 * @rp:         the kretprobe
 */
struct cowstat_probe {
	const char *symbol;
	bool is_ret;
	kprobe_pre_handler_t pre;
	kretprobe_handler_t entry;
	kretprobe_handler_t ret;
	size_t data_size;
	int maxactive;
	const char *name;
	int err;
	bool skipped;
	bool unbuilt;
	bool registered;
	ftrace_func_t fentry;
	enum cowstat_mech mech;
	struct kprobe kp;
	struct kretprobe rp;
};

extern struct cowstat_probe cowstat_probes[COWSTAT_NR_PROBES];

/* Handler calls per probe, per CPU: no shared cache line on a hit. */
struct cowstat_hit_counts {
	unsigned long n[COWSTAT_NR_PROBES];
};

DECLARE_PER_CPU(struct cowstat_hit_counts, cowstat_hits);

static inline void cowstat_hit(enum cowstat_probe_id id)
{
	this_cpu_inc(cowstat_hits.n[id]);
}

/*
 * Accounting is on only while every probe is in place: handlers return at
 * once before the last one is armed and from the moment unloading starts,
 * so no event is half-seen (an outer hook live before its markers, or
 * markers writing into contexts whose outer hook is gone).
 */
DECLARE_STATIC_KEY_FALSE(cowstat_live);

static inline bool cowstat_on(void)
{
	return static_branch_likely(&cowstat_live);
}

/*
 * The outer hooks (do_wp_page, do_huge_pmd_wp_page, hugetlb_fault,
 * copy_process, copy_page_range, copy_huge_pmd, begin_new_exec entries)
 * open the contexts their markers fill, so they start only once every
 * marker counts: static_branch_enable() patches cowstat_live's sites one
 * after another, and another CPU may run in between (a do_wp_page seen
 * live whose move was not: a wp_race).  cowstat_outer is set after it
 * returned, cleared before it is disabled.
 */
extern bool cowstat_outer;

static inline bool cowstat_outer_on(void)
{
	return cowstat_on() && READ_ONCE(cowstat_outer);
}

/*
 * Fault latency is timed only while a reader wants it (the latency file
 * was opened, or timing is switched on): two clock reads a fault saved.
 */
DECLARE_STATIC_KEY_FALSE(cowstat_timing);

/* do_wp_page is followed to its return (module parameter wp_return). */
extern bool cowstat_wp_return;

int cowstat_probes_register(const char *rename, const char *skip,
			    const char *use_kprobe, bool wp_return);
void cowstat_probes_start(void);
void cowstat_probes_unregister(void);
bool cowstat_probe_ok(enum cowstat_probe_id id);
bool cowstat_strict_ok(void);
void cowstat_probes_unavailable(unsigned long *mask);
void cowstat_show_probes(struct seq_file *m);

/* ------------------------------------------------------------------ */
/* Task-context table (tct.c)                                          */
/* ------------------------------------------------------------------ */

/**
 * enum cowstat_tct_kind - the outer contexts a task can be inside
 * @COWSTAT_TCT_FORK:  copy_process (with the VMA its dup_mmap is copying)
 * @COWSTAT_TCT_FAULT: do_wp_page, do_huge_pmd_wp_page or hugetlb_fault
 * @COWSTAT_TCT_KINDS: number of kinds
 */
enum cowstat_tct_kind {
	COWSTAT_TCT_FORK,
	COWSTAT_TCT_FAULT,
	COWSTAT_TCT_KINDS
};

/**
 * struct cowstat_wp_pending - a do_wp_page whose outcome a marker will tell
 * @rec:     the record its wp_faults was charged to (NULL: none)
 * @mm:      the mm of the fault; NULL when nothing is pending
 * @address: the faulting address, page aligned
 * @kind:    enum cowstat_page_kind of the PTE at entry
 * @unshare: FAULT_FLAG_UNSHARE
 * @uffd:    a uffd-wp trap, already counted: handle_userfault follows
 *
 * With wp_return=0 (the default) do_wp_page has an entry hook only.  Its
 * outcome is charged at entry where the state under the page table lock
 * decides it, else by the marker that proves it (an install is a copy, a
 * move a reuse, finish_mkwrite_fault returning 0 a shared write).  A call
 * that ends otherwise (a lost race, an error, a retry) leaves its pending
 * entry behind: the task's next do_wp_page overwrites it, and the task's
 * end (__put_task_struct) frees its slot.
 */
struct cowstat_wp_pending {
	struct cowstat_rec *rec;
	struct mm_struct *mm;
	unsigned long address;
	u8 kind;
	bool unshare;
	bool uffd;
};

/*
 * One task's slot: its open contexts and its pending write fault; one
 * cache line, so that two tasks' slots never share one.
 */
struct cowstat_tct_slot {
	const void *key;
	void *ctx[COWSTAT_TCT_KINDS];
	struct cowstat_wp_pending wp;
} __aligned(64);

/* The memory notifier that keeps cowstat_pfn_valid()'s cache (compat.h). */
int cowstat_sections_init(void);
void cowstat_sections_exit(void);

int cowstat_tct_init(unsigned int slots);
void cowstat_tct_exit(void);
bool cowstat_tct_enter_key(const void *key, enum cowstat_tct_kind kind,
			   void *ctx);
void *cowstat_tct_find_key(const void *key, enum cowstat_tct_kind kind);
void cowstat_tct_leave_key(const void *key, enum cowstat_tct_kind kind);
struct cowstat_tct_slot *cowstat_tct_claim(const void *key);
void cowstat_tct_forget(const void *key);

/*
 * The lookups every marker makes, inline (tct.c has the rest): a key
 * hashes to a window of COWSTAT_TCT_WINDOW slots, walked by pointer.
 */
#define COWSTAT_TCT_WINDOW 8

extern struct cowstat_tct_slot *cowstat_tct;
extern unsigned int cowstat_tct_bits;

/* The first slot of @key's window. */
static __always_inline struct cowstat_tct_slot *
cowstat_tct_window(const void *key)
{
	return &cowstat_tct[hash_ptr((void *)key, cowstat_tct_bits)];
}

static __always_inline struct cowstat_tct_slot *
cowstat_tct_own(const void *key)
{
	struct cowstat_tct_slot *s = cowstat_tct_window(key);
	unsigned int i;

	/* Counted, not to an end pointer: the first look needs no test. */
	for (i = 0; i < COWSTAT_TCT_WINDOW; i++, s++)
		if (READ_ONCE(s->key) == key)
			return s;
	return NULL;
}

/* @key's parked form: task pointers are aligned, bit 0 is free. */
static __always_inline const void *cowstat_tct_parked(const void *key)
{
	return (const void *)((unsigned long)key | 1);
}

/* current's slot, or NULL when it has none. */
static __always_inline struct cowstat_tct_slot *cowstat_tct_mine(void)
{
	return cowstat_tct_own(current);
}

/* Parks @s (its owner's, @key's) when it holds nothing any more. */
static __always_inline void cowstat_tct_put(struct cowstat_tct_slot *s,
					    const void *key)
{
	unsigned int k;

	for (k = 0; k < COWSTAT_TCT_KINDS; k++)
		if (s->ctx[k])
			return;
	if (s->wp.mm)
		return;
	/* The slot is empty before another task may take it. */
	smp_store_release(&s->key, cowstat_tct_parked(key));
}

/*
 * current's pending write fault, in its slot (claimed now if it has none).
 * NULL when the window is full (counted in tct_full).  A task has one slot
 * at most, active or parked, most often the first of its window: that one
 * is taken inline, anything else by cowstat_tct_claim().
 */
static __always_inline struct cowstat_wp_pending *cowstat_tct_wp_open(void)
{
	const void *key = current;
	struct cowstat_tct_slot *s = cowstat_tct_window(key);
	const void *k = READ_ONCE(s->key);

	if (k == key || (k == cowstat_tct_parked(key) &&
			 try_cmpxchg(&s->key, &k, key)))
		return &s->wp;
	s = cowstat_tct_claim(key);
	return s ? &s->wp : NULL;
}

/* The pending write fault in @s (current's) is told: park the slot if empty. */
static __always_inline void cowstat_tct_wp_close(struct cowstat_tct_slot *s)
{
	s->wp.mm = NULL;
	cowstat_tct_put(s, current);
}

static inline bool cowstat_tct_enter(enum cowstat_tct_kind kind, void *ctx)
{
	return cowstat_tct_enter_key(current, kind, ctx);
}

static inline void *cowstat_tct_find(enum cowstat_tct_kind kind)
{
	return cowstat_tct_find_key(current, kind);
}

static inline void cowstat_tct_leave(enum cowstat_tct_kind kind)
{
	cowstat_tct_leave_key(current, kind);
}

/* ------------------------------------------------------------------ */
/* Contexts kept in kretprobe instance data                            */
/* ------------------------------------------------------------------ */

/* What the counters of a child's mm read at one moment of its copy. */
struct cowstat_mm_counts {
	s64 anon, file, shmem, swap, pt_bytes, hugetlb;
};

/* One VMA that fork's dup_mmap copies (copy_page_range). */
struct cowstat_vma_ctx {
	struct mm_struct *dst_mm;
	unsigned long start;
	unsigned long end;
	struct cowstat_mm_counts c0;
	struct cowstat_fork_vma f;
};

/**
 * struct cowstat_fork_ctx - one fork, from copy_process to its return
 * @gen0:     the record generation when it began
 * @copy_ns:  the time its address space copy took
 * @t_copy:   when the copy began (the first copy_page_range)
 * @child_mm: the mm being copied into, from the first copy_page_range
 *            to the end of dup_mmap; NULL before and after
 * @child_rec: @child_mm's record, found at the first copy_page_range
 *            (NULL: none then), so that the other VMAs need no lookup
 * @vma_open: @vma is being copied: its counts are still to be charged
 * @in_tct:   the context is in the task-context table
 * @vma:      the VMA copy_page_range was last called for
 *
 * copy_page_range has an entry hook only.  A VMA's copy is over when the
 * next one begins, when dup_mmap is over (copy_namespaces, the next step
 * of copy_process), or when the child's mm is torn down after a failure
 * (exit_mmap); nothing else changes the child's mm in between, so its
 * counters' deltas since the VMA's entry are what the VMA shared.
 */
struct cowstat_fork_ctx {
	u64 gen0;
	u64 copy_ns;
	u64 t_copy;
	struct mm_struct *child_mm;
	struct cowstat_rec *child_rec;
	bool vma_open;
	bool in_tct;
	struct cowstat_vma_ctx vma;
};

/* The VMA current's fork is copying into @mm, or NULL. */
static inline struct cowstat_vma_ctx *cowstat_fork_vma(struct mm_struct *mm)
{
	struct cowstat_fork_ctx *fork = cowstat_tct_find(COWSTAT_TCT_FORK);

	return fork && fork->vma_open && fork->vma.dst_mm == mm ?
	       &fork->vma : NULL;
}

/* copy_huge_pmd */
struct cowstat_thp_copy {
	struct mm_struct *dst_mm;
	s64 anon0;
};

/* begin_new_exec */
struct cowstat_exec_ctx {
	unsigned long groups;
	u64 gen0;
};

enum cowstat_fault_kind {
	COWSTAT_FAULT_WP,
	COWSTAT_FAULT_THP,
	COWSTAT_FAULT_HUGETLB,
};

/* do_wp_page, do_huge_pmd_wp_page, hugetlb_fault */
struct cowstat_fault_ctx {
	enum cowstat_fault_kind kind;
	struct mm_struct *mm;
	unsigned long address;
	u64 t0;
	bool in_tct;
	union {
		struct cowstat_wp_fault wp;
		struct cowstat_thp_fault thp;
		struct cowstat_hugetlb_fault huge;
	};
};

/* The fault context of current for @mm, or NULL. */
static inline struct cowstat_fault_ctx *cowstat_fault_ctx(struct mm_struct *mm)
{
	struct cowstat_fault_ctx *f = cowstat_tct_find(COWSTAT_TCT_FAULT);

	return f && f->mm == mm ? f : NULL;
}

/* ------------------------------------------------------------------ */
/* Attribution (attr.c)                                                */
/* ------------------------------------------------------------------ */

void cowstat_ident_of(struct task_struct *t, struct cowstat_ident *id);
struct cowstat_rec *cowstat_rec_of_mm_slow(struct mm_struct *mm);

/*
 * The record each CPU found last: events come in runs from one process,
 * so most lookups end at this hint, without hashing.  It is checked
 * against the record itself.  A record stays in the pool while the module
 * is loaded (it only changes state and key); one keyed by @mm and live is
 * @mm's, as the hash holds one live record per key; and @mm's record
 * cannot retire while an event of @mm is being charged (it retires at
 * exit_mmap, or when a new mm takes its address).  A record is made
 * live last (cowstat_rec_get() releases its state after the key and the
 * zeroed counters), and a free one is made free before it is keyed again,
 * so a hint read key first, then state, that sees @mm and live sees the
 * record whole and in @mm's life.
 */
DECLARE_PER_CPU(struct cowstat_rec *, cowstat_rec_hot);

/* @mm's record (created when first met), or NULL: not recorded. */
static __always_inline struct cowstat_rec *
cowstat_rec_of_mm(struct mm_struct *mm)
{
	struct cowstat_rec *rec = this_cpu_read(cowstat_rec_hot);

	/* Key, then state: both pair with cowstat_rec_get()'s release. */
	if (likely(rec && smp_load_acquire(&rec->key) == mm &&
		   /* Live: made so last, see above. */
		   smp_load_acquire(&rec->state) == COWSTAT_REC_LIVE))
		return rec;
	return cowstat_rec_of_mm_slow(mm);
}

struct cowstat_rec *cowstat_rec_fresh(struct mm_struct *mm,
				      enum cowstat_birth birth,
				      const struct cowstat_ident *id,
				      const struct cowstat_rec *inherit,
				      u64 gen0);
struct cowstat_rec *cowstat_charge_fault(struct mm_struct *mm,
					 unsigned long address,
					 struct cowstat_incs *incs);
struct cowstat_rec *cowstat_charge_remote_ones(struct mm_struct *mm,
					       unsigned long address,
					       struct cowstat_ones o);

/* Charges 1 to each counter of @o for a fault on @mm; returns the record. */
static __always_inline struct cowstat_rec *
cowstat_charge_fault_ones(struct mm_struct *mm, unsigned long address,
			  const struct cowstat_ones *o)
{
	struct cowstat_rec *rec;

	if (unlikely(current->mm != mm || (current->flags & PF_KTHREAD)))
		return cowstat_charge_remote_ones(mm, address, *o);
	rec = cowstat_rec_of_mm(mm);
	cowstat_account_ones(&cowstat_state, rec, address, o);
	return rec;
}

/*
 * The outcome of a write fault whose wp_faults (and remote_events) were
 * charged at its entry to @p->rec: the same event, told later.  The
 * record cannot have retired in between (the faulting mm is alive); a
 * record keyed by another mm is looked up again.
 */
static __always_inline void
cowstat_charge_outcome(const struct cowstat_wp_pending *p,
		       const struct cowstat_ones *o)
{
	struct cowstat_rec *rec = p->rec;

	if (unlikely(!rec || READ_ONCE(rec->key) != p->mm))
		rec = cowstat_rec_of_mm(p->mm);
	cowstat_account_ones(&cowstat_state, rec, p->address, o);
}

u64 cowstat_gen_now(void);

/* The vm_fault_t a fault handler returned (in a kretprobe handler). */
static inline vm_fault_t cowstat_fault_retval(struct pt_regs *regs)
{
	return (__force vm_fault_t)regs_return_value(regs);
}

static inline u64 cowstat_now(void)
{
	return ktime_get_mono_fast_ns();
}

/* The start of a timed fault, or 0 when nobody reads latencies. */
static inline u64 cowstat_fault_t0(void)
{
	return static_branch_unlikely(&cowstat_timing) ? cowstat_now() : 0;
}

/* Time since @t0, 0 when the fast clock stepped back under us. */
static inline u64 cowstat_since(u64 t0)
{
	u64 now = cowstat_now();

	return now > t0 ? now - t0 : 0;
}

/* ------------------------------------------------------------------ */
/* Handlers (hook_*.c)                                                 */
/* ------------------------------------------------------------------ */

int cowstat_copy_process_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs);
int cowstat_copy_process_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs);
int cowstat_copy_page_range_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_copy_namespaces_pre(struct kprobe *p, struct pt_regs *regs);
void cowstat_fork_mm_exit(struct mm_struct *mm);
int cowstat_copy_huge_pmd_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs);
int cowstat_copy_huge_pmd_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs);

int cowstat_exec_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int cowstat_exec_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int cowstat_exit_mmap_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_task_free_pre(struct kprobe *p, struct pt_regs *regs);

int cowstat_do_wp_page_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_do_wp_page_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs);
int cowstat_do_wp_page_ret(struct kretprobe_instance *ri,
			   struct pt_regs *regs);
int cowstat_install_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_move_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_pte_reuse_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_mkwrite_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int cowstat_uffd_pre(struct kprobe *p, struct pt_regs *regs);

int cowstat_huge_wp_entry(struct kretprobe_instance *ri,
			  struct pt_regs *regs);
int cowstat_huge_wp_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int cowstat_pmd_mkwrite_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_hugetlb_fault_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs);
int cowstat_hugetlb_fault_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs);
int cowstat_hugetlb_wp_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_hugetlb_install_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_hugetlb_alloc_pre(struct kprobe *p, struct pt_regs *regs);

/*
 * The same entry handlers on a raw ftrace_ops: ftrace passes the argument
 * registers in a struct pt_regs inside ftrace_regs on x86 (6.1 and 6.12),
 * and the caller's return address as parent_ip.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define COWSTAT_HAVE_FENTRY 1

static __always_inline struct pt_regs *cowstat_fregs(struct ftrace_regs *fregs)
{
#ifdef arch_ftrace_regs
	return &arch_ftrace_regs(fregs)->regs;
#else
	return &fregs->regs;
#endif
}

#define COWSTAT_FENTRY_DECL(pre)					\
	void pre##_fentry(unsigned long ip, unsigned long parent_ip,	\
			  struct ftrace_ops *op, struct ftrace_regs *fregs)

COWSTAT_FENTRY_DECL(cowstat_exit_mmap);
COWSTAT_FENTRY_DECL(cowstat_copy_page_range);
COWSTAT_FENTRY_DECL(cowstat_copy_namespaces);
COWSTAT_FENTRY_DECL(cowstat_task_free);
COWSTAT_FENTRY_DECL(cowstat_do_wp_page);
COWSTAT_FENTRY_DECL(cowstat_install);
COWSTAT_FENTRY_DECL(cowstat_move);
COWSTAT_FENTRY_DECL(cowstat_pte_reuse);
COWSTAT_FENTRY_DECL(cowstat_uffd);
COWSTAT_FENTRY_DECL(cowstat_pmd_mkwrite);
COWSTAT_FENTRY_DECL(cowstat_hugetlb_wp);
COWSTAT_FENTRY_DECL(cowstat_hugetlb_install);
COWSTAT_FENTRY_DECL(cowstat_hugetlb_alloc);
#else
#define COWSTAT_HAVE_FENTRY 0
#endif

/* debugfs.c */
int cowstat_debugfs_init(void);
void cowstat_debugfs_exit(void);

#endif /* _COWSTAT_GLUE_H */
