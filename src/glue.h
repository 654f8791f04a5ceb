/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the probe glue files share: the instance, the probe registry, the
 * task-context table and the per-invocation contexts the outer probes
 * keep for their nested markers.
 */
#ifndef _COWSTAT_GLUE_H
#define _COWSTAT_GLUE_H

#include <linux/kprobes.h>
#include <linux/mm_types.h>
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
	COWSTAT_P_COPY_HUGE_PMD,
	COWSTAT_P_EXEC,
	COWSTAT_P_DO_WP_PAGE,
	COWSTAT_P_INSTALL,
	COWSTAT_P_MOVE,
	COWSTAT_P_MKWRITE,
	COWSTAT_P_UFFD,
	COWSTAT_P_HUGE_WP,
	COWSTAT_P_PMD_MKWRITE,
	COWSTAT_P_HUGETLB_FAULT,
	COWSTAT_P_HUGETLB_WP,
	COWSTAT_P_HUGETLB_INSTALL,
	COWSTAT_P_HUGETLB_ALLOC,
	COWSTAT_NR_PROBES
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
	atomic64_t hits;
	struct kprobe kp;
	struct kretprobe rp;
};

extern struct cowstat_probe cowstat_probes[COWSTAT_NR_PROBES];

static inline void cowstat_hit(enum cowstat_probe_id id)
{
	atomic64_inc(&cowstat_probes[id].hits);
}

int cowstat_probes_register(const char *rename, const char *skip);
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
 * @COWSTAT_TCT_FORK:  copy_process
 * @COWSTAT_TCT_VMA:   copy_page_range (nested in copy_process)
 * @COWSTAT_TCT_FAULT: do_wp_page, do_huge_pmd_wp_page or hugetlb_fault
 * @COWSTAT_TCT_KINDS: number of kinds
 */
enum cowstat_tct_kind {
	COWSTAT_TCT_FORK,
	COWSTAT_TCT_VMA,
	COWSTAT_TCT_FAULT,
	COWSTAT_TCT_KINDS
};

int cowstat_tct_init(unsigned int slots);
void cowstat_tct_exit(void);
bool cowstat_tct_enter_key(const void *key, enum cowstat_tct_kind kind,
			   void *ctx);
void *cowstat_tct_find_key(const void *key, enum cowstat_tct_kind kind);
void cowstat_tct_leave_key(const void *key, enum cowstat_tct_kind kind);

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

/* copy_process */
struct cowstat_fork_ctx {
	u64 gen0;
	u64 copy_ns;
	bool in_tct;
};

/* copy_page_range */
struct cowstat_vma_ctx {
	struct mm_struct *dst_mm;
	unsigned long start;
	unsigned long end;
	u64 t0;
	s64 anon0, file0, shmem0, swap0, pt0, huge0;
	struct cowstat_fork_vma f;
	bool in_tct;
};

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
struct cowstat_rec *cowstat_rec_of_mm(struct mm_struct *mm);
struct cowstat_rec *cowstat_rec_fresh(struct mm_struct *mm,
				      enum cowstat_birth birth,
				      const struct cowstat_ident *id,
				      const struct cowstat_rec *inherit,
				      u64 gen0);
void cowstat_charge_fault(struct mm_struct *mm, unsigned long address,
			  struct cowstat_incs *incs);
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

/* ------------------------------------------------------------------ */
/* Handlers (hook_*.c)                                                 */
/* ------------------------------------------------------------------ */

int cowstat_copy_process_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs);
int cowstat_copy_process_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs);
int cowstat_copy_page_range_entry(struct kretprobe_instance *ri,
				  struct pt_regs *regs);
int cowstat_copy_page_range_ret(struct kretprobe_instance *ri,
				struct pt_regs *regs);
int cowstat_copy_huge_pmd_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs);
int cowstat_copy_huge_pmd_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs);

int cowstat_exec_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int cowstat_exec_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int cowstat_exit_mmap_pre(struct kprobe *p, struct pt_regs *regs);

int cowstat_do_wp_page_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs);
int cowstat_do_wp_page_ret(struct kretprobe_instance *ri,
			   struct pt_regs *regs);
int cowstat_install_pre(struct kprobe *p, struct pt_regs *regs);
int cowstat_move_pre(struct kprobe *p, struct pt_regs *regs);
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

/* debugfs.c */
int cowstat_debugfs_init(void);
void cowstat_debugfs_exit(void);

#endif /* _COWSTAT_GLUE_H */
