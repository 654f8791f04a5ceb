// SPDX-License-Identifier: GPL-2.0
/*
 * cowtrace's BPF backend: the module's counters, counted by CO-RE BPF
 * programs instead of cowstat.ko (Documentation/cowstat.rst, "Backends").
 *
 * The hooks are the module's (src/hook_*.c), and so is the classification:
 * the outer calls (do_wp_page, copy_page_range) keep a per-task context,
 * the nested markers (anon install, move, finish_mkwrite_fault,
 * handle_userfault) fill it, and the outer call's return classifies it
 * with include/cowstat/classify.h, the code the module runs.  Every hook
 * has an fentry/fexit program and a kprobe/kretprobe twin; the loader
 * (bpf_source.c) keeps the one that attaches on this kernel.
 *
 * Only processes in a track group are counted: a record (one per mm
 * incarnation) is made for an mm whose owner's tgid is in tgid_groups,
 * which userspace fills for the group leaders and sched_process_fork
 * fills for their descendants before they can run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "cowtrace_bpf.h"
#define COWSTAT_INCS_ADD_EXTERN
#include <cowstat/classify.h>

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile __u32 nr_cpus = 1;
/* --maps: keep the per-mapping counts too (off: no lookup at all). */
const volatile bool maps_on;
/* --events: send each event to the ring buffer too (off: nothing sent). */
const volatile bool events_on;

/*
 * Kernel data addresses from kallsyms (CONFIG_KALLSYMS_ALL), read with
 * probe_read.  The loader sets them from its one read of the file (not
 * __ksym externs: libbpf would read the whole file again) and marks the
 * counters that need a missing one unavailable (0 then: probe_read of it
 * fails and reads 0).
 */
const volatile __u64 ksym_vmemmap_base;
const volatile __u64 ksym_zero_pfn;		/* zero_pfn, zero_page_pfn in 7.x */
const volatile __u64 ksym_per_cpu_offset;	/* __per_cpu_offset[] */

/* x86-64 PTE bits (arch/x86/include/asm/pgtable_types.h) */
#define CT_PTE_PFN_MASK		0x000ffffffffff000ULL
#define CT_PTE_SPECIAL		(1ULL << 9)
#define CT_PAGE_SHIFT		12
#define CT_PAGE_SIZE		4096UL
/* include/linux/mm.h; not in BTF, the same in 6.1 and 6.12 */
#define CT_VM_WRITE		0x2UL
#define CT_VM_SHARED		0x8UL
#define CT_VM_MAYSHARE		0x80UL
#define CT_VM_HUGETLB		0x400000UL
#define CT_VM_PFNMAP		0x400UL
#define CT_VM_MIXEDMAP		0x10000000UL
#define CT_VM_UFFD_WP		0x1000UL
#define CT_PAGE_MAPPING_ANON	0x1UL
#define CT_PAGE_MAPPING_FLAGS	0x3UL
#define CT_PAGE_MAPPING_KSM	0x3UL
#define CT_PF_KTHREAD		0x00200000
#define CT_MM_FILEPAGES		0
#define CT_MM_ANONPAGES		1
#define CT_MM_SWAPENTS		2
#define CT_MM_SHMEMPAGES	3
#define CT_HPAGE_PMD_NR		512
#define CT_PHYSICAL_PMD_PAGE_MASK 0x000fffffffe00000ULL
#define CT_FAULT_FLAG_WRITE	0x1
#define CT_VM_MAYSHARE_OR_SHARED (CT_VM_SHARED | CT_VM_MAYSHARE)

__u64 hits[CT_NR_HOOKS];
__u64 health[CT_NR_HEALTH];
__u64 next_gen;
/* --events: events the ring buffer had no room for */
__u64 events_lost;

/* 6.1 and 6.12 differ here (___flavor structs, picked by CO-RE). */
struct mm_struct___percpu {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

struct mm_struct___atomic {
	struct mm_rss_stat rss_stat;
} __attribute__((preserve_access_index));

/*
 * 7.x's struct page: compound_head became compound_info (a head pointer
 * plus 1, or, where sizeof(struct page) is a power of two, a mask with
 * bit 0 set that the page's own address is and-ed with), and flags a
 * memdesc_flags_t (a struct holding one unsigned long, f).
 */
struct page___info {
	unsigned long compound_info;
	struct {
		unsigned long f;
	} flags;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_RECS);
	__type(key, __u64);		/* gen */
	__type(value, struct ct_rec);
} recs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_RECS);
	__type(key, __u64);		/* live mm */
	__type(value, __u64);		/* gen of its record */
} mm_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_RECS);
	__type(key, __u32);		/* tgid */
	__type(value, __u32);		/* group bits */
} tgid_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CT_MAX_GROUPS);
	__type(key, __u32);
	__type(value, struct ct_group);
} groups SEC(".maps");

/* --maps: the counts per (record, mapping), and a zeroed entry to make one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_MAPS);
	__type(key, struct ct_map_key);
	__type(value, struct ct_map);
} maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_map);
} map_scratch SEC(".maps");

/* --events: the stream; its size is set by the loader (--events-buffer). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CT_EVENTS_DEFAULT_KIB * 1024);
} events SEC(".maps");

enum ct_fault_kind { CT_FAULT_WP, CT_FAULT_THP, CT_FAULT_HUGETLB };

/* A do_wp_page, do_huge_pmd_wp_page or hugetlb_fault in progress. */
struct ct_fault {
	__u64 mm;
	__u64 address;
	__u32 kind;		/* enum ct_fault_kind */
	struct ct_map_key mkey;	/* --maps: the entry of the faulting VMA */
	struct cowstat_wp_fault wp;
	struct cowstat_thp_fault thp;
	struct cowstat_hugetlb_fault huge;
	__u64 t0;		/* --events: do_wp_page's entry, ktime ns */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_TASKS);
	__type(key, __u32);		/* tid */
	__type(value, struct ct_fault);
} faults SEC(".maps");

/* A copy_page_range in progress. */
struct ct_vma {
	__u64 dst_mm;
	__u64 start, end;
	__s64 anon0, file0, shmem0, swap0, pt0, huge0;
	__u64 t0;
	struct ct_map_key mkey;	/* --maps: the child's entry for this VMA */
	struct cowstat_fork_vma f;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct ct_vma);
} vmas SEC(".maps");

/* copy_huge_pmd in progress: the child's anon rss at entry. */
struct ct_thp_copy {
	__u64 dst_mm;
	__s64 anon0;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct ct_thp_copy);
} thp_copies SEC(".maps");

/* finish_fault in progress outside do_wp_page: its mm. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_TASKS);
	__type(key, __u32);
	__type(value, __u64);
} finishing SEC(".maps");

/* A zeroed record to create entries from (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_rec);
} scratch SEC(".maps");

static __always_inline __u32 tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void hit(enum ct_hook h)
{
	__sync_fetch_and_add(&hits[h], 1);
}

static __always_inline void health_inc(enum ct_health h)
{
	__sync_fetch_and_add(&health[h], 1);
}

static __always_inline __u64 read_ulong(const void *kaddr)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), kaddr);
	return v;
}

/* ---- mm counters ------------------------------------------------------ */

static __always_inline __s64 mm_rss(struct mm_struct *mm, int member)
{
	if (bpf_core_type_exists(struct mm_rss_stat)) {
		struct mm_struct___atomic *m = (void *)mm;

		/* 6.1: atomics, exact (no SPLIT_RSS cache for a fork child) */
		return BPF_CORE_READ(m, rss_stat.count[member].counter);
	} else {
		/* 6.2+: percpu counter; sum it as percpu_counter_sum() does */
		struct mm_struct___percpu *m = (void *)mm;
		struct percpu_counter *pc = &m->rss_stat[member];
		__s64 sum = BPF_CORE_READ(pc, count);
		__u64 counters = (__u64)BPF_CORE_READ(pc, counters);
		__u32 cpu;

		for (cpu = 0; cpu < CT_MAX_CPUS && cpu < nr_cpus; cpu++) {
			__u64 off = read_ulong((const char *)ksym_per_cpu_offset +
					       cpu * sizeof(__u64));
			__s32 v = 0;

			bpf_probe_read_kernel(&v, sizeof(v), (void *)(off + counters));
			sum += v;
		}
		return sum;
	}
}

static __always_inline __s64 mm_pt_bytes(struct mm_struct *mm)
{
	return BPF_CORE_READ(mm, pgtables_bytes.counter);
}

static __always_inline __s64 mm_hugetlb(struct mm_struct *mm)
{
	if (bpf_core_field_exists(mm->hugetlb_usage))
		return BPF_CORE_READ(mm, hugetlb_usage.counter);
	return 0;
}

/* ---- records ---------------------------------------------------------- */

static __always_inline bool task_is_kthread(struct task_struct *t)
{
	return BPF_CORE_READ(t, flags) & CT_PF_KTHREAD;
}

static __always_inline void rec_ident(struct ct_rec *r, struct task_struct *t)
{
	r->tgid = BPF_CORE_READ(t, tgid);
	r->pid = BPF_CORE_READ(t, pid);
	r->ppid = BPF_CORE_READ(t, real_parent, tgid);
	r->start_ns = BPF_CORE_READ(t, start_boottime);
	BPF_CORE_READ_STR_INTO(&r->comm, t, comm);
}

static __always_inline struct ct_rec *rec_find(__u64 mm)
{
	__u64 *gen = bpf_map_lookup_elem(&mm_gen, &mm);

	return gen ? bpf_map_lookup_elem(&recs, gen) : NULL;
}

/* A new record for mm; t names it (NULL: a fork child, bound later). */
static __always_inline struct ct_rec *rec_new(__u64 mm, enum ct_birth birth,
					       struct task_struct *t, __u32 grp)
{
	__u32 zero = 0;
	struct ct_rec *r = bpf_map_lookup_elem(&scratch, &zero);
	__u64 gen;

	if (!r)
		return NULL;
	__builtin_memset(r, 0, sizeof(*r));
	gen = __sync_fetch_and_add(&next_gen, 1) + 1;
	r->gen = gen;
	r->mm = mm;
	r->birth = birth;
	r->groups = grp;
	if (t)
		rec_ident(r, t);
	if (bpf_map_update_elem(&recs, &gen, r, BPF_NOEXIST)) {
		health_inc(CT_HEALTH_RECS_FULL);
		return NULL;
	}
	/* A stale mapping (an exit we did not see) is replaced. */
	if (bpf_map_update_elem(&mm_gen, &mm, &gen, BPF_ANY)) {
		bpf_map_delete_elem(&recs, &gen);
		health_inc(CT_HEALTH_RECS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&recs, &gen);
}

/*
 * The record of a fork child's mm, from inside the fork: the one this fork
 * made at an earlier VMA (bound to no task until sched_process_fork), else
 * a new one bound to @t (NULL: later).  A record there already bound to a
 * task is an earlier mm's at the same address whose exit_mmap was missed:
 * it is retired, its row kept as exited, so the new process's counts do
 * not add to the old one's.
 */
static __always_inline struct ct_rec *rec_of_child(__u64 mm, struct task_struct *t,
						   __u32 grp)
{
	struct ct_rec *r = rec_find(mm);

	if (r && !r->tgid)
		return r;
	if (r) {
		r->exited = 1;
		r->exit_ns = bpf_ktime_get_boot_ns();
		health_inc(CT_HEALTH_STALE);
		/* unbound even if no new record fits */
		bpf_map_delete_elem(&mm_gen, &mm);
	}
	return rec_new(mm, CT_BIRTH_FORK, t, grp);
}

/* The task that owns mm: current when it runs on it, else mm->owner. */
static __always_inline struct task_struct *mm_owner(struct mm_struct *mm)
{
	struct task_struct *cur = bpf_get_current_task_btf();

	if ((__u64)BPF_CORE_READ(cur, mm) == (__u64)mm && !task_is_kthread(cur))
		return cur;
	if (bpf_core_field_exists(mm->owner))
		return BPF_CORE_READ(mm, owner);
	return NULL;
}

/* The record of mm, made on first sight when its owner is tracked. */
static __always_inline struct ct_rec *rec_of_mm(struct mm_struct *mm)
{
	struct ct_rec *r = rec_find((__u64)mm);
	struct task_struct *t;
	__u32 tgid, *grp;

	if (r || !mm)
		return r;
	t = mm_owner(mm);
	if (!t)
		return NULL;
	tgid = BPF_CORE_READ(t, tgid);
	grp = bpf_map_lookup_elem(&tgid_groups, &tgid);
	if (!grp || !*grp)
		return NULL;
	return rec_new((__u64)mm, CT_BIRTH_SEEN, t, 0);
}

static __always_inline __u32 rec_groups(const struct ct_rec *r)
{
	__u32 tgid = r->tgid, *grp;

	if (!tgid)
		return r->groups;
	grp = bpf_map_lookup_elem(&tgid_groups, &tgid);
	return grp ? *grp : 0;
}

/*
 * classify.h's cowstat_incs_add() as a global function (COWSTAT_INCS_ADD_EXTERN
 * says why); @id is an enum cowstat_counter.
 */
__noinline int cowstat_incs_add(struct cowstat_incs *incs, enum cowstat_counter id, __u64 val)
{
	if (!incs)
		return 0;
	return cowstat_incs_append(incs, id, val);
}

/*
 * Add a list of increments to a counter vector.  A global function: the
 * verifier checks it once, not at every call site inside every loop
 * (6.1's verifier gives up on the inlined form).
 */
__noinline int ct_add(struct ct_counters *c, const struct cowstat_incs *incs)
{
	unsigned int i;

	if (!c || !incs)
		return 0;
	for (i = 0; i < COWSTAT_MAX_INCS; i++) {
		__u32 id;

		if (i >= incs->nr)
			break;
		id = incs->id[i];
		if (id < COWSTAT_NR_COUNTERS)
			__sync_fetch_and_add(&c->v[id], incs->val[i]);
	}
	return 0;
}

/*
 * Add an event's increments to its record and to every active group of
 * the record that wants it (cowstat_account() in the module).
 */
__noinline int ct_charge(struct ct_rec *r, const struct cowstat_incs *incs, __u64 start,
			 __u64 end, __u64 flags_initiator)
{
	bool has_addr = flags_initiator & 1;
	__u64 initiator = flags_initiator >> 1;
	__u32 grp, g;

	if (!r || !incs)
		return 0;
	grp = rec_groups(r);
	ct_add(&r->c, incs);
	if (initiator)
		r->initiator_remote = initiator;
	for (g = 0; g < CT_MAX_GROUPS; g++) {
		struct ct_group *gr;
		__u32 key = g;

		if (!(grp & (1U << g)))
			continue;
		gr = bpf_map_lookup_elem(&groups, &key);
		if (!gr || gr->state != CT_GROUP_ACTIVE)
			continue;
		if (gr->end > gr->start && has_addr &&
		    (start < gr->start || end > gr->end))
			continue;
		ct_add(&gr->c, incs);
		if (initiator)
			gr->initiator_remote = initiator;
	}
	return 0;
}

static __always_inline void charge(struct ct_rec *r,
				   const struct cowstat_incs *incs,
				   bool has_addr, __u64 start, __u64 end,
				   __u64 initiator)
{
	ct_charge(r, incs, start, end, (initiator << 1) | has_addr);
}

static __always_inline void charge_fork_ns(struct ct_rec *r, __u64 ns)
{
	__u32 grp = rec_groups(r);
	unsigned int g;

	__sync_fetch_and_add(&r->fork_ns, ns);
	for (g = 0; g < CT_MAX_GROUPS; g++) {
		struct ct_group *gr;
		__u32 key = g;

		if (!(grp & (1U << g)))
			continue;
		gr = bpf_map_lookup_elem(&groups, &key);
		if (gr && gr->state == CT_GROUP_ACTIVE)
			__sync_fetch_and_add(&gr->fork_ns, ns);
	}
}

/* ---- --maps: per-mapping counts -------------------------------------- */

/* hstate_vma(): the bytes of one page of a hugetlb VMA */
static __always_inline __u64 hugetlb_page_bytes(struct vm_area_struct *vma)
{
	struct hugetlbfs_sb_info *sbi =
		BPF_CORE_READ(vma, vm_file, f_inode, i_sb, s_fs_info);

	return CT_PAGE_SIZE << BPF_CORE_READ(sbi, hstate, order);
}

/* What the VMA is, from its flags and the mm's stack and brk marks. */
static __always_inline __u32 vma_kind(struct vm_area_struct *vma)
{
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	__u64 flags = BPF_CORE_READ(vma, vm_flags);
	__u64 start = BPF_CORE_READ(vma, vm_start);
	__u64 end = BPF_CORE_READ(vma, vm_end);
	struct file *file = BPF_CORE_READ(vma, vm_file);
	__u64 stack, sbrk, brk;

	if (flags & CT_VM_HUGETLB)
		return CT_MAP_HUGETLB;
	if (flags & CT_VM_MAYSHARE_OR_SHARED)
		return CT_MAP_SHARED;
	if (file)
		return CT_MAP_FILE;
	/* vma_is_anonymous() is !vm_ops: a private one with ops is special */
	if (BPF_CORE_READ(vma, vm_ops))
		return CT_MAP_SPECIAL;
	stack = BPF_CORE_READ(mm, start_stack);
	if (start <= stack && stack < end)
		return CT_MAP_STACK;
	sbrk = BPF_CORE_READ(mm, start_brk);
	brk = BPF_CORE_READ(mm, brk);
	if (sbrk < brk && start < brk && end > sbrk)
		return CT_MAP_HEAP;
	return CT_MAP_ANON;
}

/*
 * At the event, while the VMA is valid: fill k with its entry's key (of
 * record r) and make the entry if it is new.  k->gen stays 0 when there
 * is no entry (the map is full): the event is then counted as lost.
 */
static __always_inline void map_key(struct ct_map_key *k, const struct ct_rec *r,
				    struct vm_area_struct *vma)
{
	struct file *file;
	struct ct_map *m;
	__u32 zero = 0;
	long n;

	k->gen = 0;
	k->kind = CT_NR_MAP_KINDS;
	if ((!maps_on && !events_on) || !vma)
		return;
	/* --events names the mapping kind of each event, --maps keys by it */
	k->kind = vma_kind(vma);
	if (!maps_on || !r)
		return;
	k->start = BPF_CORE_READ(vma, vm_start);
	k->pad = 0;
	k->gen = r->gen;
	if (bpf_map_lookup_elem(&maps, k))
		return;
	m = bpf_map_lookup_elem(&map_scratch, &zero);
	if (!m) {
		k->gen = 0;
		return;
	}
	__builtin_memset(m, 0, sizeof(*m));
	m->end = BPF_CORE_READ(vma, vm_end);
	m->page_size = k->kind == CT_MAP_HUGETLB ? hugetlb_page_bytes(vma) : CT_PAGE_SIZE;
	file = BPF_CORE_READ(vma, vm_file);
	if (file) {
		n = bpf_probe_read_kernel_str(m->name, sizeof(m->name),
					      BPF_CORE_READ(file, f_path.dentry, d_name.name));
		if (n < 0)
			m->name[0] = '\0';
		else if (n >= (long)sizeof(m->name))
			m->name_truncated = 1;
	}
	/* EEXIST: another CPU made it first, which is as good */
	if (bpf_map_update_elem(&maps, k, m, BPF_NOEXIST) && !bpf_map_lookup_elem(&maps, k))
		k->gen = 0;
}

/* Add an event's increments to its mapping's entry. */
static __always_inline void map_charge(const struct ct_map_key *k,
				       const struct cowstat_incs *incs)
{
	struct ct_map *m;

	if (!maps_on || !k || !incs->nr)
		return;
	m = k->gen ? bpf_map_lookup_elem(&maps, k) : NULL;
	if (!m) {
		health_inc(CT_HEALTH_MAPS_FULL);
		return;
	}
	ct_add(&m->c, incs);
}

/*
 * --events: one record for an event of record r (type and arg: enum
 * ct_event_type and its argument, a fork's child or a fault's latency in
 * ns; map kind in bits 8-15 of type_kind).
 * A global function, verified once.  A full ring buffer costs the event,
 * never its counts: they were charged before.
 */
__noinline int ct_emit(const struct ct_rec *r, const struct cowstat_incs *incs, __u64 addr,
		       __u32 type_kind, __u64 arg)
{
	struct ct_event *e;
	__u64 mask = 0;
	unsigned int i;

	if (!events_on || !r || !incs)
		return 0;
	for (i = 0; i < COWSTAT_MAX_INCS; i++) {
		if (i >= incs->nr)
			break;
		if (incs->id[i] < 64 && incs->val[i])
			mask |= 1ULL << incs->id[i];
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&events_lost, 1);
		return 0;
	}
	e->ts = bpf_ktime_get_boot_ns();
	e->addr = addr;
	e->counters = mask;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->pid = r->tgid ? r->tgid : (__u32)(bpf_get_current_pid_tgid() >> 32);
	e->type = type_kind & 0xff;
	e->arg = e->type == CT_EV_FORK ? (__u32)arg : 0;
	e->latency_ns = e->type == CT_EV_FAULT ? arg : 0;
	e->map_kind = (type_kind >> 8) & 0xff;
	e->pad[0] = 0;
	e->pad[1] = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A fault event on mm at address (cowstat_charge_fault()). */
static __always_inline void charge_fault(struct mm_struct *mm, __u64 address,
					 struct cowstat_incs *incs,
					 const struct ct_map_key *k)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct ct_rec *r = rec_of_mm(mm);
	__u64 initiator = 0;

	if (!r)
		return;
	if ((__u64)BPF_CORE_READ(cur, mm) != (__u64)mm || task_is_kthread(cur)) {
		initiator = BPF_CORE_READ(cur, tgid);
		cowstat_incs_add(incs, COWSTAT_remote_events, 1);
	}
	charge(r, incs, true, address, address + 1, initiator);
	map_charge(k, incs);
	if (events_on) {
		/* do_wp_page's return: its context has the entry time */
		__u32 t = tid();
		struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);
		__u64 lat = f && f->kind == CT_FAULT_WP && f->mm == (__u64)mm && f->t0 ?
			    bpf_ktime_get_ns() - f->t0 : 0;

		ct_emit(r, incs, address, CT_EV_FAULT | ((k ? k->kind : CT_NR_MAP_KINDS) << 8), lat);
	}
}

/* ---- the fault side --------------------------------------------------- */

static __always_inline enum cowstat_fault_ret fault_ret(__u64 ret)
{
	__u64 error = bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_OOM) |
		      bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGBUS) |
		      bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGSEGV) |
		      bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_HWPOISON) |
		      bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_HWPOISON_LARGE);

	if (ret & error)
		return COWSTAT_RET_ERROR;
	if (ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY))
		return COWSTAT_RET_RETRY;
	if (ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_NOPAGE))
		return COWSTAT_RET_NOPAGE;
	return COWSTAT_RET_OK;
}

/* 6.1 has VM_FAULT_WRITE and do_wp_page's 6.1 shape (compat.h). */
static __always_inline bool kernel_6_1_shape(void)
{
	return bpf_core_enum_value_exists(enum vm_fault_reason, VM_FAULT_WRITE);
}

/* zero_pfn, or 7.x's zero_page_pfn (the loader found one or the other) */
static __always_inline __u64 zero_pfn_value(void)
{
	return read_ulong((const void *)ksym_zero_pfn);
}

/* page->flags, an unsigned long before 7.x, a memdesc_flags_t after */
static __always_inline __u64 page_flags(__u64 page)
{
	if (bpf_core_field_exists(((struct page___info *)0)->flags.f))
		return BPF_CORE_READ((struct page___info *)page, flags.f);
	return BPF_CORE_READ((struct page *)page, flags);
}

/* compound_head(): the head page of @page */
static __always_inline __u64 page_head(__u64 page)
{
	__u64 size = bpf_core_type_size(struct page), info;

	if (bpf_core_field_exists(((struct page___info *)0)->compound_info)) {
		info = BPF_CORE_READ((struct page___info *)page, compound_info);
		if (!(info & 1))
			return page;
		/* compound_info_has_mask(): is_power_of_2(sizeof(struct page)) */
		return (size & (size - 1)) ? info - 1 : page & info;
	}
	info = BPF_CORE_READ((struct page *)page, compound_head);
	return (info & 1) ? info - 1 : page;
}

/* cowstat_pte_kind(): what the write-protected PTE maps. */
static __always_inline enum cowstat_page_kind pte_kind(__u64 pte, bool *excl)
{
	__u64 pfn = (pte & CT_PTE_PFN_MASK) >> CT_PAGE_SHIFT;
	__u64 page, head, mapping, flags;

	*excl = false;
	if (pfn == zero_pfn_value())
		return COWSTAT_PAGE_ZERO;
	if (pte & CT_PTE_SPECIAL)
		return COWSTAT_PAGE_PFN;
	page = read_ulong((const void *)ksym_vmemmap_base) + pfn * bpf_core_type_size(struct page);
	head = page_head(page);
	mapping = (__u64)BPF_CORE_READ((struct page *)head, mapping);
	if (!(mapping & CT_PAGE_MAPPING_ANON))
		return COWSTAT_PAGE_FILE;
	if ((mapping & CT_PAGE_MAPPING_FLAGS) == CT_PAGE_MAPPING_KSM)
		return COWSTAT_PAGE_KSM;
	flags = page_flags(page);
	*excl = flags & (1ULL << bpf_core_enum_value(enum pageflags, PG_anon_exclusive));
	return COWSTAT_PAGE_ANON;
}

static __always_inline void wp_enter(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	const struct vm_operations_struct *ops;
	struct ct_fault f = {};
	struct ct_rec *r;
	__u64 vm_flags;
	__u32 t = tid();
	bool excl;

	hit(CT_H_DO_WP_PAGE);
	r = rec_of_mm(mm);
	if (!r)
		return;
	map_key(&f.mkey, r, vma);
	f.mm = (__u64)mm;
	f.kind = CT_FAULT_WP;
	f.address = BPF_CORE_READ(vmf, address);
	f.wp.kind = pte_kind(BPF_CORE_READ(vmf, orig_pte.pte), &excl);
	f.wp.exclusive = excl;
	f.wp.unshare = BPF_CORE_READ(vmf, flags) &
		       bpf_core_enum_value(enum fault_flag, FAULT_FLAG_UNSHARE);
	f.wp.unshare_noop = f.wp.unshare && kernel_6_1_shape() &&
			    (f.wp.kind == COWSTAT_PAGE_ZERO ||
			     f.wp.kind == COWSTAT_PAGE_FILE ||
			     f.wp.kind == COWSTAT_PAGE_PFN);
	vm_flags = BPF_CORE_READ(vma, vm_flags);
	if (kernel_6_1_shape())
		f.wp.shared = (vm_flags & (CT_VM_WRITE | CT_VM_SHARED)) ==
			      (CT_VM_WRITE | CT_VM_SHARED);
	else
		f.wp.shared = vm_flags & (CT_VM_SHARED | CT_VM_MAYSHARE);
	ops = BPF_CORE_READ(vma, vm_ops);
	if (ops) {
		if (f.wp.kind == COWSTAT_PAGE_ZERO || f.wp.kind == COWSTAT_PAGE_PFN)
			f.wp.has_mkwrite = BPF_CORE_READ(ops, pfn_mkwrite);
		else
			f.wp.has_mkwrite = BPF_CORE_READ(ops, page_mkwrite);
	}
	if (events_on)
		f.t0 = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&faults, &t, &f, BPF_ANY))
		health_inc(CT_HEALTH_CTX_FULL);
}

static __always_inline void wp_exit(__u64 ret)
{
	struct cowstat_incs incs = {};
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	if (!f || f->kind != CT_FAULT_WP)
		return;
	f->wp.ret = fault_ret(ret);
	cowstat_classify_wp(&f->wp, &incs);
	charge_fault((struct mm_struct *)f->mm, f->address, &incs, &f->mkey);
	bpf_map_delete_elem(&faults, &t);
}

/* page_/folio_add_new_anon_rmap(page, vma, address[, flags]) */
static __always_inline void install(struct vm_area_struct *vma, __u64 address)
{
	__u64 mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	struct cowstat_incs incs = {};
	struct ct_map_key k = {};
	struct ct_fault *f;
	struct ct_vma *v;
	__u64 *fin;
	__u32 t = tid();

	hit(CT_H_INSTALL);
	f = bpf_map_lookup_elem(&faults, &t);
	if (f && f->mm == mm) {
		if (f->kind == CT_FAULT_WP)
			f->wp.installs++;
		/* 6.13+: the huge zero page replaced by a new THP */
		else if (f->kind == CT_FAULT_THP)
			f->thp.installs++;
		return;
	}
	v = bpf_map_lookup_elem(&vmas, &t);
	if (v && v->dst_mm == mm) {
		v->f.eager++;
		return;
	}
	/* do_cow_fault -> finish_fault -> do_set_pte/set_pte_range */
	fin = bpf_map_lookup_elem(&finishing, &t);
	if (!fin || *fin != mm)
		return;
	map_key(&k, rec_find(mm), vma);
	cowstat_incs_add(&incs, COWSTAT_cow_at_fault, 1);
	charge_fault((struct mm_struct *)mm, address, &incs, &k);
}

/* hugepage_/hugetlb_add_new_anon_rmap: only eager copies at fork here */
static __always_inline void hugetlb_install(struct vm_area_struct *vma)
{
	__u64 mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);
	struct ct_vma *v;

	hit(CT_H_HUGETLB_INSTALL);
	if (f && f->mm == mm && f->kind == CT_FAULT_HUGETLB) {
		if (f->huge.wp)
			f->huge.installs++;
		else
			f->huge.installs_before_wp++;
		return;
	}
	v = bpf_map_lookup_elem(&vmas, &t);
	if (v && v->dst_mm == mm)
		v->f.eager_huge++;
}

static __always_inline void move(struct vm_area_struct *vma)
{
	__u64 mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	hit(CT_H_MOVE);
	if (!f || f->mm != mm)
		return;
	if (f->kind == CT_FAULT_WP)
		f->wp.moves++;
	else if (f->kind == CT_FAULT_THP)
		f->thp.moves++;
	else if (f->huge.wp)
		f->huge.moves++;
}

/*
 * ptep_set_access_flags(vma, address, ptep, entry, dirty): attached only
 * where struct folio has _mm_ids (6.15+; the loader decides, bpf_source.c).
 * There do_wp_page reuses a page of a PTE-mapped large folio that no other
 * mm maps in place, without folio_move_anon_rmap: the only trace is the
 * inlined wp_page_reuse() making the PTE writable with @dirty set.  As the
 * module (src/hook_fault.c, cowstat_pte_reuse()): for this task's pending
 * anonymous write fault on that page, not exclusive at entry, not an
 * unshare, that nothing has told yet (no move, no install), it is a moved
 * reuse.  A small folio's reuse was told by its move just before; a copy
 * installs first and sets the young bit with @dirty clear.  The module
 * also checks that the caller is do_wp_page: here the context itself lives
 * only from do_wp_page's entry to its return, whose one dirty-set call is
 * wp_page_reuse's.
 */
static __always_inline void pte_reuse(struct vm_area_struct *vma, __u64 address, int dirty)
{
	__u64 mm;
	__u32 t;
	struct ct_fault *f;

	hit(CT_H_PTE_REUSE);
	if (!dirty)
		return;
	t = tid();
	f = bpf_map_lookup_elem(&faults, &t);
	if (!f || f->kind != CT_FAULT_WP)
		return;
	mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	if (f->mm == mm && (f->address & ~(CT_PAGE_SIZE - 1)) == (address & ~(CT_PAGE_SIZE - 1)) &&
	    f->wp.kind == COWSTAT_PAGE_ANON && !f->wp.exclusive && !f->wp.unshare &&
	    !f->wp.moves && !f->wp.installs)
		f->wp.moves++;
}

static __always_inline void mkwrite_exit(__u64 ret)
{
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	hit(CT_H_MKWRITE);
	if (!f || f->kind != CT_FAULT_WP)
		return;
	if (!ret)
		f->wp.mkwrite_ok++;
	else
		f->wp.mkwrite_raced++;
}

static __always_inline void uffd(struct vm_fault *vmf, __u64 reason)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct cowstat_incs incs = {};
	struct ct_map_key k = {};
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	hit(CT_H_UFFD);
	if (f && f->kind == CT_FAULT_WP) {
		f->wp.uffd++;
		return;
	}
	if (f && f->kind == CT_FAULT_HUGETLB) {
		/*
		 * hugetlb_fault also gets here for MISSING and MINOR userfaults
		 * of a page that is not there yet: no uffd-wp (as the module).
		 */
		if (reason & CT_VM_UFFD_WP)
			f->huge.uffd++;
		return;
	}
	if (!(reason & CT_VM_UFFD_WP))
		return;
	map_key(&k, rec_of_mm(BPF_CORE_READ(vma, vm_mm)), vma);
	cowstat_incs_add(&incs, COWSTAT_uffd_wp, 1);
	charge_fault(BPF_CORE_READ(vma, vm_mm), BPF_CORE_READ(vmf, address), &incs, &k);
}

static __always_inline void finish_fault_enter(struct vm_fault *vmf)
{
	__u64 mm = (__u64)BPF_CORE_READ(vmf, vma, vm_mm);
	__u32 t = tid();

	hit(CT_H_FINISH_FAULT);
	if (rec_find(mm) || rec_of_mm((struct mm_struct *)mm))
		bpf_map_update_elem(&finishing, &t, &mm, BPF_ANY);
}

static __always_inline void finish_fault_exit(void)
{
	__u32 t = tid();

	bpf_map_delete_elem(&finishing, &t);
}

/* do_huge_pmd_wp_page(vmf): reuse (PMD made writable) or split. */
static __always_inline void huge_wp_enter(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	struct ct_fault f = {};
	__u64 pmd, page, mapping, flags;
	struct ct_rec *r;
	__u32 t = tid();

	hit(CT_H_HUGE_WP);
	r = rec_of_mm(mm);
	if (!r)
		return;
	map_key(&f.mkey, r, vma);
	f.mm = (__u64)mm;
	f.kind = CT_FAULT_THP;
	f.address = BPF_CORE_READ(vmf, address);
	f.thp.unshare = BPF_CORE_READ(vmf, flags) &
			bpf_core_enum_value(enum fault_flag, FAULT_FLAG_UNSHARE);
	f.thp.pmd_pages = CT_HPAGE_PMD_NR;
	/* cowstat_pmd_kind(); a write fault's huge PMD is present */
	pmd = BPF_CORE_READ(vmf, orig_pmd.pmd);
	page = read_ulong((const void *)ksym_vmemmap_base) +
	       ((pmd & CT_PHYSICAL_PMD_PAGE_MASK) >> CT_PAGE_SHIFT) *
	       bpf_core_type_size(struct page);
	mapping = (__u64)BPF_CORE_READ((struct page *)page, mapping);
	if (!(mapping & CT_PAGE_MAPPING_ANON)) {
		f.thp.zero = true;
	} else {
		flags = page_flags(page);
		f.thp.exclusive = flags & (1ULL << bpf_core_enum_value(enum pageflags,
								       PG_anon_exclusive));
	}
	if (bpf_map_update_elem(&faults, &t, &f, BPF_ANY))
		health_inc(CT_HEALTH_CTX_FULL);
}

static __always_inline void huge_wp_exit(__u64 ret)
{
	struct cowstat_incs incs = {};
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	if (!f || f->kind != CT_FAULT_THP)
		return;
	f->thp.fallback = ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_FALLBACK);
	f->thp.ret = fault_ret(ret);
	cowstat_classify_thp(&f->thp, &incs);
	charge_fault((struct mm_struct *)f->mm, f->address, &incs, &f->mkey);
	bpf_map_delete_elem(&faults, &t);
}

/* pmdp_set_access_flags(vma, ...): the THP reuse path makes it writable */
static __always_inline void pmd_mkwrite(struct vm_area_struct *vma)
{
	__u64 mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	hit(CT_H_PMD_MKWRITE);
	if (f && f->mm == mm && f->kind == CT_FAULT_THP)
		f->thp.mkwrites++;
}

/* hugetlb_fault(mm, vma, address, flags): the outer hugetlb context */
static __always_inline void hugetlb_fault_enter(struct vm_area_struct *vma,
						__u64 address, __u32 flags)
{
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	__u32 unshare = bpf_core_enum_value(enum fault_flag, FAULT_FLAG_UNSHARE);
	struct ct_fault f = {};
	struct ct_rec *r;
	__u32 t = tid();

	hit(CT_H_HUGETLB_FAULT);
	if (!(flags & (CT_FAULT_FLAG_WRITE | unshare)))
		return;
	r = rec_of_mm(mm);
	if (!r)
		return;
	map_key(&f.mkey, r, vma);
	f.mm = (__u64)mm;
	f.kind = CT_FAULT_HUGETLB;
	f.address = address;
	f.huge.unshare = flags & unshare;
	f.huge.shared = BPF_CORE_READ(vma, vm_flags) & CT_VM_MAYSHARE;
	if (bpf_map_update_elem(&faults, &t, &f, BPF_ANY))
		health_inc(CT_HEALTH_CTX_FULL);
}

static __always_inline void hugetlb_fault_exit(__u64 ret)
{
	struct cowstat_incs incs = {};
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	if (!f || f->kind != CT_FAULT_HUGETLB)
		return;
	f->huge.ret = fault_ret(ret);
	if (cowstat_classify_hugetlb(&f->huge, &incs) != COWSTAT_OUT_NONE)
		charge_fault((struct mm_struct *)f->mm, f->address, &incs, &f->mkey);
	bpf_map_delete_elem(&faults, &t);
}

/* hugetlb_wp and the huge page allocation: presence markers */
static __always_inline void hugetlb_marker(enum ct_hook h)
{
	__u32 t = tid();
	struct ct_fault *f = bpf_map_lookup_elem(&faults, &t);

	hit(h);
	if (!f || f->kind != CT_FAULT_HUGETLB)
		return;
	if (h == CT_H_HUGETLB_WP)
		f->huge.wp = true;
	else if (f->huge.wp)
		f->huge.allocs++;
}

/* ---- the fork side ---------------------------------------------------- */

static __always_inline void cpr_enter(struct vm_area_struct *dst_vma,
				      struct vm_area_struct *src_vma)
{
	struct mm_struct *dst_mm = BPF_CORE_READ(dst_vma, vm_mm);
	struct mm_struct *src_mm = BPF_CORE_READ(src_vma, vm_mm);
	struct cowstat_incs incs = {};
	struct ct_rec *parent, *child;
	struct ct_vma v = {};
	__u64 flags;
	__u32 t = tid();

	hit(CT_H_COPY_PAGE_RANGE);
	parent = rec_of_mm(src_mm);
	if (!parent)
		return;
	child = rec_of_child((__u64)dst_mm, NULL, rec_groups(parent));
	if (!child)
		return;
	map_key(&v.mkey, child, src_vma);
	v.dst_mm = (__u64)dst_mm;
	v.start = BPF_CORE_READ(src_vma, vm_start);
	v.end = BPF_CORE_READ(src_vma, vm_end);
	flags = BPF_CORE_READ(src_vma, vm_flags);
	/* vma_needs_copy() (the same in 6.1 and 6.12) */
	v.f.copied = (BPF_CORE_READ(dst_vma, vm_flags) & CT_VM_UFFD_WP) ||
		     (flags & (CT_VM_PFNMAP | CT_VM_MIXEDMAP)) ||
		     BPF_CORE_READ(src_vma, anon_vma);
	if (!v.f.copied) {
		cowstat_classify_fork_vma(&v.f, &incs);
		charge(child, &incs, true, v.start, v.end, 0);
		map_charge(&v.mkey, &incs);
		return;
	}
	v.f.page_size = CT_PAGE_SIZE;
	v.f.hugetlb = flags & CT_VM_HUGETLB;
	if (v.f.hugetlb)
		v.f.huge_pages = hugetlb_page_bytes(src_vma) / CT_PAGE_SIZE;
	v.anon0 = mm_rss(dst_mm, CT_MM_ANONPAGES);
	v.file0 = mm_rss(dst_mm, CT_MM_FILEPAGES);
	v.shmem0 = mm_rss(dst_mm, CT_MM_SHMEMPAGES);
	v.swap0 = mm_rss(dst_mm, CT_MM_SWAPENTS);
	v.pt0 = mm_pt_bytes(dst_mm);
	v.huge0 = mm_hugetlb(dst_mm);
	v.t0 = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&vmas, &t, &v, BPF_ANY))
		health_inc(CT_HEALTH_CTX_FULL);
}

/*
 * copy_page_range's return; @dst_mm is the call's child mm where the hook
 * has its arguments (fexit), 0 where it has not (kretprobe).  An entry left
 * by an earlier call whose return was missed (PREEMPT_RT, preempt=full) is
 * used only for the same child: its baseline then covers VMAs of this fork
 * that were not counted, never pages the child made after its fork.
 */
static __always_inline void cpr_exit(__u64 dst_mm)
{
	struct cowstat_incs incs = {};
	struct mm_struct *mm;
	struct ct_rec *child;
	__u32 t = tid();
	struct ct_vma *v = bpf_map_lookup_elem(&vmas, &t);

	if (!v)
		return;
	if (dst_mm && v->dst_mm != dst_mm) {
		bpf_map_delete_elem(&vmas, &t);
		return;
	}
	mm = (struct mm_struct *)v->dst_mm;
	v->f.d_anon = mm_rss(mm, CT_MM_ANONPAGES) - v->anon0;
	v->f.d_file = mm_rss(mm, CT_MM_FILEPAGES) - v->file0;
	v->f.d_shmem = mm_rss(mm, CT_MM_SHMEMPAGES) - v->shmem0;
	v->f.d_swap = mm_rss(mm, CT_MM_SWAPENTS) - v->swap0;
	v->f.d_pt_bytes = mm_pt_bytes(mm) - v->pt0;
	v->f.d_hugetlb = mm_hugetlb(mm) - v->huge0;
	cowstat_classify_fork_vma(&v->f, &incs);
	child = rec_find(v->dst_mm);
	if (child) {
		charge(child, &incs, true, v->start, v->end, 0);
		map_charge(&v->mkey, &incs);
		__sync_fetch_and_add(&child->copy_ns, bpf_ktime_get_ns() - v->t0);
	}
	bpf_map_delete_elem(&vmas, &t);
}

static __always_inline void huge_pmd_enter(struct mm_struct *dst_mm)
{
	struct ct_thp_copy c = { .dst_mm = (__u64)dst_mm };
	__u32 t = tid();

	hit(CT_H_COPY_HUGE_PMD);
	if (!bpf_map_lookup_elem(&vmas, &t))
		return;
	c.anon0 = mm_rss(dst_mm, CT_MM_ANONPAGES);
	bpf_map_update_elem(&thp_copies, &t, &c, BPF_ANY);
}

static __always_inline void huge_pmd_exit(__u64 ret)
{
	__u32 t = tid();
	struct ct_thp_copy *c = bpf_map_lookup_elem(&thp_copies, &t);
	struct ct_vma *v;

	if (!c)
		return;
	/* 0 also covers the huge zero PMD and file THPs: whole anon THPs only */
	if (!ret &&
	    mm_rss((struct mm_struct *)c->dst_mm, CT_MM_ANONPAGES) - c->anon0 ==
	    CT_HPAGE_PMD_NR) {
		v = bpf_map_lookup_elem(&vmas, &t);
		if (v && v->dst_mm == c->dst_mm)
			v->f.thp++;
	}
	bpf_map_delete_elem(&thp_copies, &t);
}

static __always_inline void on_exit_mmap(struct mm_struct *mm)
{
	__u64 key = (__u64)mm;
	__u64 *gen = bpf_map_lookup_elem(&mm_gen, &key);
	struct ct_rec *r;

	hit(CT_H_EXIT_MMAP);
	if (!gen)
		return;
	r = bpf_map_lookup_elem(&recs, gen);
	if (r) {
		r->exited = 1;
		r->exit_ns = bpf_ktime_get_boot_ns();
	}
	bpf_map_delete_elem(&mm_gen, &key);
}

/* The child of a fork, before it can run: follow it, bind its record. */
static __always_inline void on_fork(struct task_struct *parent,
				    struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u64 cmm = (__u64)BPF_CORE_READ(child, mm);
	__u64 pmm = (__u64)BPF_CORE_READ(parent, mm);
	struct cowstat_incs incs = {};
	struct ct_rec *pr, *cr;
	__u32 *grp, t;

	hit(CT_H_FORK);
	if (ptgid == ctgid)
		return;		/* a thread */
	grp = bpf_map_lookup_elem(&tgid_groups, &ptgid);
	if (!grp || !*grp)
		return;
	bpf_map_update_elem(&tgid_groups, &ctgid, grp, BPF_ANY);
	/*
	 * This fork's copy is over: a copy_page_range context still kept
	 * lost its return to a miss, and must not meet the next fork's.
	 */
	t = tid();
	bpf_map_delete_elem(&vmas, &t);
	if (!cmm || cmm == pmm || task_is_kthread(parent))
		return;		/* vfork, CLONE_VM: no mm copied */
	pr = rec_of_mm((struct mm_struct *)pmm);
	cr = rec_of_child(cmm, child, 0);
	if (cr && !cr->tgid)
		rec_ident(cr, child);
	if (!pr)
		return;
	cowstat_incs_add(&incs, COWSTAT_forks, 1);
	charge(pr, &incs, false, 0, 0, 0);
	if (events_on)
		ct_emit(pr, &incs, 0, CT_EV_FORK | (CT_NR_MAP_KINDS << 8), ctgid);
	if (cr)
		charge_fork_ns(pr, cr->copy_ns);
}

static __always_inline void on_exec(struct task_struct *t)
{
	__u32 tgid = BPF_CORE_READ(t, tgid);
	__u64 mm = (__u64)BPF_CORE_READ(t, mm);
	__u32 *grp = bpf_map_lookup_elem(&tgid_groups, &tgid);
	struct ct_rec *r;

	hit(CT_H_EXEC);
	if (!grp || !*grp || !mm)
		return;
	r = rec_find(mm);
	if (r)
		rec_ident(r, t);
	else
		rec_new(mm, CT_BIRTH_EXEC, t, 0);
}

/* ---- programs: fentry/fexit, and kprobe/kretprobe twins --------------- */

SEC("fentry/do_wp_page")
int BPF_PROG(fe_do_wp_page, struct vm_fault *vmf)
{
	wp_enter(vmf);
	return 0;
}

SEC("fexit/do_wp_page")
int BPF_PROG(fx_do_wp_page, struct vm_fault *vmf, vm_fault_t ret)
{
	wp_exit(ret);
	return 0;
}

SEC("kprobe/do_wp_page")
int BPF_KPROBE(kp_do_wp_page, struct vm_fault *vmf)
{
	wp_enter(vmf);
	return 0;
}

SEC("kretprobe/do_wp_page")
int BPF_KRETPROBE(kr_do_wp_page, vm_fault_t ret)
{
	wp_exit(ret);
	return 0;
}

/* The target is set by the loader: folio_ on 6.3+, page_ before. */
SEC("fentry/page_add_new_anon_rmap")
int BPF_PROG(fe_install, void *page, struct vm_area_struct *vma, unsigned long address)
{
	install(vma, address);
	return 0;
}

SEC("kprobe/page_add_new_anon_rmap")
int BPF_KPROBE(kp_install, void *page, struct vm_area_struct *vma, unsigned long address)
{
	install(vma, address);
	return 0;
}

SEC("fentry/hugepage_add_new_anon_rmap")
int BPF_PROG(fe_hugetlb_install, void *page, struct vm_area_struct *vma)
{
	hugetlb_install(vma);
	return 0;
}

SEC("kprobe/hugepage_add_new_anon_rmap")
int BPF_KPROBE(kp_hugetlb_install, void *page, struct vm_area_struct *vma)
{
	hugetlb_install(vma);
	return 0;
}

SEC("fentry/page_move_anon_rmap")
int BPF_PROG(fe_move, void *page, struct vm_area_struct *vma)
{
	move(vma);
	return 0;
}

SEC("kprobe/page_move_anon_rmap")
int BPF_KPROBE(kp_move, void *page, struct vm_area_struct *vma)
{
	move(vma);
	return 0;
}

/* pte_t entry is a struct passed by value: one slot; dirty is the fifth. */
SEC("fentry/ptep_set_access_flags")
int BPF_PROG(fe_pte_reuse, struct vm_area_struct *vma, unsigned long address, void *ptep,
	     __u64 entry, int dirty)
{
	pte_reuse(vma, address, dirty);
	return 0;
}

SEC("kprobe/ptep_set_access_flags")
int BPF_KPROBE(kp_pte_reuse, struct vm_area_struct *vma, unsigned long address, void *ptep,
	       __u64 entry, int dirty)
{
	pte_reuse(vma, address, dirty);
	return 0;
}

/* finish_mkwrite_fault(vmf) on 6.1, (vmf, folio) on 6.12 */
SEC("fexit/finish_mkwrite_fault")
int BPF_PROG(fx_mkwrite)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	mkwrite_exit((vm_fault_t)ret);
	return 0;
}

SEC("kretprobe/finish_mkwrite_fault")
int BPF_KRETPROBE(kr_mkwrite, vm_fault_t ret)
{
	mkwrite_exit(ret);
	return 0;
}

SEC("fentry/handle_userfault")
int BPF_PROG(fe_uffd, struct vm_fault *vmf, unsigned long reason)
{
	uffd(vmf, reason);
	return 0;
}

SEC("kprobe/handle_userfault")
int BPF_KPROBE(kp_uffd, struct vm_fault *vmf, unsigned long reason)
{
	uffd(vmf, reason);
	return 0;
}

SEC("fentry/finish_fault")
int BPF_PROG(fe_finish_fault, struct vm_fault *vmf)
{
	finish_fault_enter(vmf);
	return 0;
}

SEC("fexit/finish_fault")
int BPF_PROG(fx_finish_fault, struct vm_fault *vmf)
{
	finish_fault_exit();
	return 0;
}

SEC("kprobe/finish_fault")
int BPF_KPROBE(kp_finish_fault, struct vm_fault *vmf)
{
	finish_fault_enter(vmf);
	return 0;
}

SEC("kretprobe/finish_fault")
int BPF_KRETPROBE(kr_finish_fault)
{
	finish_fault_exit();
	return 0;
}

SEC("fentry/copy_page_range")
int BPF_PROG(fe_copy_page_range, struct vm_area_struct *dst_vma,
	     struct vm_area_struct *src_vma)
{
	cpr_enter(dst_vma, src_vma);
	return 0;
}

SEC("fexit/copy_page_range")
int BPF_PROG(fx_copy_page_range, struct vm_area_struct *dst_vma)
{
	cpr_exit((__u64)BPF_CORE_READ(dst_vma, vm_mm));
	return 0;
}

SEC("kprobe/copy_page_range")
int BPF_KPROBE(kp_copy_page_range, struct vm_area_struct *dst_vma,
	       struct vm_area_struct *src_vma)
{
	cpr_enter(dst_vma, src_vma);
	return 0;
}

SEC("kretprobe/copy_page_range")
int BPF_KRETPROBE(kr_copy_page_range)
{
	cpr_exit(0);
	return 0;
}

SEC("fentry/copy_huge_pmd")
int BPF_PROG(fe_copy_huge_pmd, struct mm_struct *dst_mm)
{
	huge_pmd_enter(dst_mm);
	return 0;
}

SEC("fexit/copy_huge_pmd")
int BPF_PROG(fx_copy_huge_pmd)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	huge_pmd_exit((int)ret);
	return 0;
}

SEC("kprobe/copy_huge_pmd")
int BPF_KPROBE(kp_copy_huge_pmd, struct mm_struct *dst_mm)
{
	huge_pmd_enter(dst_mm);
	return 0;
}

SEC("kretprobe/copy_huge_pmd")
int BPF_KRETPROBE(kr_copy_huge_pmd, int ret)
{
	huge_pmd_exit(ret);
	return 0;
}

SEC("fentry/exit_mmap")
int BPF_PROG(fe_exit_mmap, struct mm_struct *mm)
{
	on_exit_mmap(mm);
	return 0;
}

SEC("kprobe/exit_mmap")
int BPF_KPROBE(kp_exit_mmap, struct mm_struct *mm)
{
	on_exit_mmap(mm);
	return 0;
}

SEC("fentry/do_huge_pmd_wp_page")
int BPF_PROG(fe_huge_wp, struct vm_fault *vmf)
{
	huge_wp_enter(vmf);
	return 0;
}

SEC("fexit/do_huge_pmd_wp_page")
int BPF_PROG(fx_huge_wp, struct vm_fault *vmf, vm_fault_t ret)
{
	huge_wp_exit(ret);
	return 0;
}

SEC("kprobe/do_huge_pmd_wp_page")
int BPF_KPROBE(kp_huge_wp, struct vm_fault *vmf)
{
	huge_wp_enter(vmf);
	return 0;
}

SEC("kretprobe/do_huge_pmd_wp_page")
int BPF_KRETPROBE(kr_huge_wp, vm_fault_t ret)
{
	huge_wp_exit(ret);
	return 0;
}

SEC("fentry/pmdp_set_access_flags")
int BPF_PROG(fe_pmd_mkwrite, struct vm_area_struct *vma)
{
	pmd_mkwrite(vma);
	return 0;
}

SEC("kprobe/pmdp_set_access_flags")
int BPF_KPROBE(kp_pmd_mkwrite, struct vm_area_struct *vma)
{
	pmd_mkwrite(vma);
	return 0;
}

SEC("fentry/hugetlb_fault")
int BPF_PROG(fe_hugetlb_fault, struct mm_struct *mm, struct vm_area_struct *vma,
	     unsigned long address, unsigned int flags)
{
	hugetlb_fault_enter(vma, address, flags);
	return 0;
}

SEC("fexit/hugetlb_fault")
int BPF_PROG(fx_hugetlb_fault, struct mm_struct *mm, struct vm_area_struct *vma,
	     unsigned long address, unsigned int flags, vm_fault_t ret)
{
	hugetlb_fault_exit(ret);
	return 0;
}

SEC("kprobe/hugetlb_fault")
int BPF_KPROBE(kp_hugetlb_fault, struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long address, unsigned int flags)
{
	hugetlb_fault_enter(vma, address, flags);
	return 0;
}

SEC("kretprobe/hugetlb_fault")
int BPF_KRETPROBE(kr_hugetlb_fault, vm_fault_t ret)
{
	hugetlb_fault_exit(ret);
	return 0;
}

/* Presence only: hugetlb_wp's arguments changed within 6.12.y. */
SEC("fentry/hugetlb_wp")
int BPF_PROG(fe_hugetlb_wp)
{
	hugetlb_marker(CT_H_HUGETLB_WP);
	return 0;
}

SEC("kprobe/hugetlb_wp")
int BPF_KPROBE(kp_hugetlb_wp)
{
	hugetlb_marker(CT_H_HUGETLB_WP);
	return 0;
}

SEC("fentry/alloc_huge_page")
int BPF_PROG(fe_hugetlb_alloc)
{
	hugetlb_marker(CT_H_HUGETLB_ALLOC);
	return 0;
}

SEC("kprobe/alloc_huge_page")
int BPF_KPROBE(kp_hugetlb_alloc)
{
	hugetlb_marker(CT_H_HUGETLB_ALLOC);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_fork, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	on_exec(p);
	return 0;
}
