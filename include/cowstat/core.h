/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cowstat core: the logic that decides and keeps the numbers.
 *
 * Nothing here knows about kprobes, pt_regs or a CPU architecture.  The
 * probe glue (src/hook_*.c) reads the kernel objects, fills the small plain
 * structs declared below and calls into the core, which classifies the
 * event, charges the counters of the record (one per mm incarnation), of
 * every track group the record belongs to and of the system totals, and
 * formats the debugfs files.  The core builds in a User-Mode-Linux kernel,
 * so KUnit drives it with made-up keys instead of real mms.
 *
 * Locking: every function that may run in a probe handler is callable with
 * preemption disabled and never sleeps; the table lock is a raw spinlock
 * (PREEMPT_RT).  Record lookups are RCU: callers of cowstat_rec_find(),
 * cowstat_rec_get() and cowstat_account() hold rcu_read_lock() (a probe
 * handler's preempt-disabled section counts) and must not keep the record
 * pointer beyond it.  Functions marked "process context" may sleep.
 */
#ifndef _COWSTAT_CORE_H
#define _COWSTAT_CORE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <cowstat/counters.h>
#include <cowstat/classify.h>

struct seq_file;

#define COWSTAT_VERSION		"0.1"
#define COWSTAT_FORMAT		3
#define COWSTAT_COMM_LEN	16
#define COWSTAT_MAX_GROUPS	16
#define COWSTAT_HIST_BUCKETS	64

/* ------------------------------------------------------------------ */
/* Counters and increments                                              */
/* ------------------------------------------------------------------ */

/**
 * struct cowstat_counters - one value per counter of counters.h
 * @v: indexed by enum cowstat_counter
 */
struct cowstat_counters {
	atomic64_t v[COWSTAT_NR_COUNTERS];
};

/**
 * struct cowstat_totals - one CPU's share of the system-wide counters
 * @v: indexed by enum cowstat_counter; added to with this_cpu ops only
 *
 * Every fault of every process adds to the totals: one shared atomic
 * would bounce its cache line between all CPUs at every fault.  Each CPU
 * adds to its own copy; a reader sums them (cowstat_total()).
 */
struct cowstat_totals {
	u64 v[COWSTAT_NR_COUNTERS];
};

/**
 * cowstat_counter_name() - debugfs/JSON key of a counter
 * @id: counter
 * Return: the name from counters.h, or NULL when @id is out of range.
 */
const char *cowstat_counter_name(enum cowstat_counter id);

/* ------------------------------------------------------------------ */
/* Histograms                                                          */
/* ------------------------------------------------------------------ */

/**
 * enum cowstat_hist_id - the latency histograms
 * @COWSTAT_HIST_FORK:      page-table copy of one fork (sum over its VMAs)
 * @COWSTAT_HIST_WP_COPY:   do_wp_page that installed a copy
 * @COWSTAT_HIST_WP_REUSE:  do_wp_page that reused the page
 * @COWSTAT_HIST_WP_SHARED: do_wp_page on a shared mapping
 * @COWSTAT_HIST_WP_OTHER:  any other do_wp_page outcome
 * @COWSTAT_HIST_THP:       do_huge_pmd_wp_page
 * @COWSTAT_HIST_HUGETLB:   hugetlb write-protect faults
 * @COWSTAT_NR_HISTS:       number of histograms
 */
enum cowstat_hist_id {
	COWSTAT_HIST_FORK,
	COWSTAT_HIST_WP_COPY,
	COWSTAT_HIST_WP_REUSE,
	COWSTAT_HIST_WP_SHARED,
	COWSTAT_HIST_WP_OTHER,
	COWSTAT_HIST_THP,
	COWSTAT_HIST_HUGETLB,
	COWSTAT_NR_HISTS
};

/**
 * struct cowstat_hist - log2 nanosecond histogram
 * @bucket: bucket b counts samples in [2^(b-1), 2^b) ns; bucket 0 counts 0 ns
 */
struct cowstat_hist {
	atomic64_t bucket[COWSTAT_HIST_BUCKETS];
};

/**
 * cowstat_hist_bucket() - bucket index of a duration
 * @ns: duration in nanoseconds
 * Return: 0 for 0 ns, else fls64(@ns) (1 for 1 ns, 2 for 2-3 ns, ...).
 */
unsigned int cowstat_hist_bucket(u64 ns);

/**
 * cowstat_hist_bounds() - the half-open range [*lo, *hi) a bucket covers
 * @b:  bucket index
 * @lo: first nanosecond value in the bucket
 * @hi: first nanosecond value past the bucket
 */
void cowstat_hist_bounds(unsigned int b, u64 *lo, u64 *hi);

/**
 * cowstat_hist_add() - count one sample
 * @h:  histogram
 * @ns: duration in nanoseconds
 */
void cowstat_hist_add(struct cowstat_hist *h, u64 ns);

/**
 * cowstat_hist_name() - name of a histogram in the latency file
 * @id: histogram
 * Return: e.g. "fork_copy", or NULL when @id is out of range.
 */
const char *cowstat_hist_name(enum cowstat_hist_id id);

/* ------------------------------------------------------------------ */
/* Records: one per mm incarnation                                      */
/* ------------------------------------------------------------------ */

/**
 * enum cowstat_birth - how a record came to be
 * @COWSTAT_BIRTH_SEEN: first met at an event (the mm predates the module)
 * @COWSTAT_BIRTH_FORK: the child mm of a fork
 * @COWSTAT_BIRTH_EXEC: the new mm of an exec
 */
enum cowstat_birth {
	COWSTAT_BIRTH_SEEN,
	COWSTAT_BIRTH_FORK,
	COWSTAT_BIRTH_EXEC,
};

/**
 * enum cowstat_rec_state - where a pool slot is in its life
 * @COWSTAT_REC_FREE:    on the free list
 * @COWSTAT_REC_LIVE:    in the hash; its mm is alive
 * @COWSTAT_REC_EXITED:  retired at exit_mmap, kept in the exited ring
 * @COWSTAT_REC_RECYCLE: pushed out of the ring, waiting for RCU readers
 */
enum cowstat_rec_state {
	COWSTAT_REC_FREE,
	COWSTAT_REC_LIVE,
	COWSTAT_REC_EXITED,
	COWSTAT_REC_RECYCLE,
};

/**
 * struct cowstat_ident - who a record (or a group leader) is
 * @tgid:     thread-group id (initial PID namespace); 0 while unbound
 * @pid:      id of the task that bound the record
 * @ppid:     tgid of its parent
 * @start_ns: the task's start_boottime
 * @comm:     the task's comm, NUL terminated
 */
struct cowstat_ident {
	pid_t tgid;
	pid_t pid;
	pid_t ppid;
	u64 start_ns;
	char comm[COWSTAT_COMM_LEN];
};

/**
 * struct cowstat_rec - counters of one mm incarnation
 * @node:      link in the live hash (table lock; RCU for readers)
 * @rcu:       defers the return to the free list past RCU readers
 * @key:       the mm, only compared, never dereferenced by the core
 * @gen:       unique generation id, never reused
 * @state:     enum cowstat_rec_state
 * @birth:     enum cowstat_birth
 * @bound:     @id names the process (else it is a provisional fork child)
 * @id:        identity, written under the table lock
 * @groups:    bitmap of the track groups the record belongs to
 * @initiator_remote: tgid of the last other process or kthread that caused
 *             an event in this mm (0: none)
 * @exit_ns:   boottime of the retirement, 0 while live
 * @fork_ns:   ns this record's forks spent copying page tables
 * @next_free: pool index of the next free slot
 * @home:      the instance whose pool holds the record
 * @c:         the counters
 */
struct cowstat_rec {
	struct hlist_node node;
	struct rcu_head rcu;
	struct cowstat *home;
	const void *key;
	u64 gen;
	int state;
	int birth;
	bool bound;
	struct cowstat_ident id;
	unsigned long groups;
	pid_t initiator_remote;
	u64 exit_ns;
	atomic64_t fork_ns;
	unsigned int next_free;
	struct cowstat_counters c;
};

/**
 * struct cowstat_limits - sizes fixed at init
 * @max_records: live records at most; a new mm beyond that is not recorded
 *               (counted in records_dropped)
 * @max_exited:  retired records kept readable (the exited ring)
 */
struct cowstat_limits {
	unsigned int max_records;
	unsigned int max_exited;
};

/* ------------------------------------------------------------------ */
/* Track groups                                                        */
/* ------------------------------------------------------------------ */

/**
 * enum cowstat_group_state - life of a group slot
 * @COWSTAT_GROUP_FREE:   unused
 * @COWSTAT_GROUP_ACTIVE: counting
 * @COWSTAT_GROUP_ENDED:  ended by "-PID"; frozen until its file closes
 */
enum cowstat_group_state {
	COWSTAT_GROUP_FREE,
	COWSTAT_GROUP_ACTIVE,
	COWSTAT_GROUP_ENDED,
};

/**
 * struct cowstat_group - a leader process and its descendants born after
 * @state:    enum cowstat_group_state
 * @gen:      unique group id
 * @owner:    the open file that created the group (only compared)
 * @leader:   identity of the leader
 * @has_range: only events in [@start, @end) count
 * @start:    first address of the range
 * @end:      first address past the range
 * @initiator_remote: as in struct cowstat_rec, over all members
 * @fork_ns:  as in struct cowstat_rec, over all members
 * @c:        the counters
 * @hist:     the latency histograms of the members' events, charged with
 *            the system-wide ones (COWSTAT_NR_HISTS x COWSTAT_HIST_BUCKETS
 *            x 8 bytes: 3.5 KiB a group)
 */
struct cowstat_group {
	int state;
	u64 gen;
	const void *owner;
	struct cowstat_ident leader;
	bool has_range;
	unsigned long start;
	unsigned long end;
	pid_t initiator_remote;
	atomic64_t fork_ns;
	struct cowstat_counters c;
	struct cowstat_hist hist[COWSTAT_NR_HISTS];
};

/* ------------------------------------------------------------------ */
/* The instance                                                        */
/* ------------------------------------------------------------------ */

/**
 * enum cowstat_health_id - the module's own bookkeeping, printed after the
 * counters in the stats file under these names (cowstat_health_name())
 * @COWSTAT_H_records_dropped: new mms not recorded: max_records reached
 * @COWSTAT_H_records_stale_replaced: live records replaced by a new mm at
 *	the same key (an exit the module did not see)
 * @COWSTAT_H_events_unrecorded: events counted in the totals only (no
 *	record for their mm)
 * @COWSTAT_H_events_uncorrelated: nested probe hits with no outer context
 * @COWSTAT_H_tct_full: outer contexts lost: task-context table full
 * @COWSTAT_H_fork_deltas_clamped: VMAs copied by fork whose child counter
 *	went down meanwhile (read as 0: the fork counters are lower bounds)
 * @COWSTAT_NR_HEALTH: number of health counters
 */
enum cowstat_health_id {
	COWSTAT_H_records_dropped,
	COWSTAT_H_records_stale_replaced,
	COWSTAT_H_events_unrecorded,
	COWSTAT_H_events_uncorrelated,
	COWSTAT_H_tct_full,
	COWSTAT_H_fork_deltas_clamped,
	COWSTAT_NR_HEALTH
};

/**
 * cowstat_health_name() - stats key of a health counter
 * @id: health counter
 * Return: e.g. "records_dropped", or NULL when @id is out of range.
 */
const char *cowstat_health_name(enum cowstat_health_id id);

/**
 * struct cowstat - all state of one cowstat instance
 * @lock:        protects the hash, the pool's free list, the exited ring,
 *               record identities and group membership
 * @hash_bits:   log2 of the number of hash buckets
 * @hash:        live records by key
 * @pool:        preallocated records
 * @pool_size:   number of records in @pool
 * @free_head:   pool index of the first free record, or @pool_size
 * @max_live:    limit on live records
 * @nr_live:     live records now
 * @ring:        retired records, oldest at @ring_head
 * @ring_size:   capacity of @ring
 * @ring_head:   index of the oldest retired record
 * @ring_len:    retired records in the ring
 * @nr_created:  records ever taken from the pool (never reset)
 * @nr_recycled: retired records that left the ring, or skipped it when it
 *               has no room (never reset); at every moment, under @lock,
 *               @nr_created == @nr_live + @ring_len + @nr_recycled
 * @next_gen:    source of record and group generations
 * @totals:      system-wide counters, per CPU (cowstat_total())
 * @groups:      track group slots
 * @hist:        latency histograms
 * @health:      health counters (enum cowstat_health_id)
 * @fork_ns:     ns all forks spent copying page tables
 * @unavailable: counters no probe can feed on this kernel (bit per enum
 *               cowstat_counter), set once before debugfs appears; the
 *               debugfs files print "-" for them, never 0 (format 2)
 */
struct cowstat {
	raw_spinlock_t lock;
	unsigned int hash_bits;
	struct hlist_head *hash;
	struct cowstat_rec *pool;
	unsigned int pool_size;
	unsigned int free_head;
	unsigned int max_live;
	unsigned int nr_live;
	struct cowstat_rec **ring;
	unsigned int ring_size;
	unsigned int ring_head;
	unsigned int ring_len;
	u64 nr_created;
	u64 nr_recycled;
	atomic64_t next_gen;
	struct cowstat_totals __percpu *totals;
	struct cowstat_group groups[COWSTAT_MAX_GROUPS];
	struct cowstat_hist hist[COWSTAT_NR_HISTS];
	atomic64_t health[COWSTAT_NR_HEALTH];
	atomic64_t fork_ns;
	DECLARE_BITMAP(unavailable, COWSTAT_NR_COUNTERS);
	const char *hist_unavailable[COWSTAT_NR_HISTS];
};

/**
 * cowstat_init() - allocate and initialise an instance (process context)
 * @cs:  zeroed or uninitialised instance
 * @lim: sizes; max_records must be at least 1
 * Return: 0, -EINVAL for bad limits, or -ENOMEM.
 */
int cowstat_init(struct cowstat *cs, const struct cowstat_limits *lim);

/**
 * cowstat_total() - a system-wide counter: the sum over every CPU's share
 * @cs: instance
 * @id: which counter
 *
 * Exact when no event is being charged meanwhile; a read during events
 * sees each CPU's share at some moment of the read.
 */
s64 cowstat_total(const struct cowstat *cs, enum cowstat_counter id);

/**
 * cowstat_destroy() - free an instance (process context)
 * @cs: instance; no probe may use it any more
 *
 * Waits for pending RCU callbacks (rcu_barrier()) before freeing the pool.
 */
void cowstat_destroy(struct cowstat *cs);

/**
 * cowstat_reset() - zero every counter, histogram and health counter
 * @cs: instance
 *
 * Records and groups stay; only their numbers restart at zero.
 */
void cowstat_reset(struct cowstat *cs);

/**
 * cowstat_rec_find() - the live record of a key (RCU)
 * @cs:  instance
 * @key: the mm
 * Return: the record or NULL.
 */
struct cowstat_rec *cowstat_rec_find(struct cowstat *cs, const void *key);

/**
 * cowstat_rec_get() - find the live record of a key, or create it (RCU)
 * @cs:      instance
 * @key:     the mm
 * @birth:   enum cowstat_birth for a new record
 * @id:      identity for a new record, or NULL to leave it unbound
 * @inherit: a live record whose group membership a new record inherits
 *           (the fork parent), or NULL
 *
 * A found record is returned as it is.  Creation takes a slot from the
 * pool without sleeping; when max_records live records exist or the pool
 * is empty it fails and counts records_dropped.
 * Return: the record, or NULL.
 */
struct cowstat_rec *cowstat_rec_get(struct cowstat *cs, const void *key,
				    enum cowstat_birth birth,
				    const struct cowstat_ident *id,
				    const struct cowstat_rec *inherit);

/**
 * cowstat_rec_bind() - name the process of a record (RCU)
 * @cs:     instance
 * @rec:    live record
 * @birth:  enum cowstat_birth to set
 * @id:     identity
 * @groups: group bitmap to add (a new exec image keeps the groups of the
 *          image it replaced), 0 for none
 */
void cowstat_rec_bind(struct cowstat *cs, struct cowstat_rec *rec,
		      enum cowstat_birth birth, const struct cowstat_ident *id,
		      unsigned long groups);

/**
 * cowstat_rec_retire() - the mm of a key is being torn down (RCU)
 * @cs:      instance
 * @key:     the mm
 * @exit_ns: boottime now
 *
 * Unhashes the live record, stamps @exit_ns and puts it in the exited
 * ring; the oldest retired record leaves the ring when it is full and
 * returns to the pool after an RCU grace period.  No-op for unknown keys.
 * Return: true if a live record was retired.
 */
bool cowstat_rec_retire(struct cowstat *cs, const void *key, u64 exit_ns);

/**
 * cowstat_rec_groups() - the group bitmap of a key's live record (RCU)
 * @cs:  instance
 * @key: the mm
 * Return: the bitmap, 0 if there is no record.
 */
unsigned long cowstat_rec_groups(struct cowstat *cs, const void *key);

/**
 * cowstat_nr_live() - live records now
 * @cs: instance
 * Return: the number.
 */
unsigned int cowstat_nr_live(struct cowstat *cs);

/**
 * struct cowstat_rec_counts - the record numbers, read in one go
 * @live:     live records
 * @exited:   retired records in the exited ring
 * @created:  records ever created
 * @recycled: retired records that left the ring (or never entered it)
 */
struct cowstat_rec_counts {
	unsigned int live;
	unsigned int exited;
	u64 created;
	u64 recycled;
};

/**
 * cowstat_rec_counts() - snapshot of the record numbers under the lock
 * @cs: instance
 * @n:  result; @n->created == @n->live + @n->exited + @n->recycled
 */
void cowstat_rec_counts(struct cowstat *cs, struct cowstat_rec_counts *n);

/**
 * cowstat_nr_exited() - retired records in the exited ring now
 * @cs: instance
 * Return: the number.
 */
unsigned int cowstat_nr_exited(struct cowstat *cs);

/* ------------------------------------------------------------------ */
/* Accounting                                                          */
/* ------------------------------------------------------------------ */

/**
 * struct cowstat_event - one classified event, ready to be charged
 * @has_addr:  the event concerns addresses [@start, @end)
 * @start:     first address (a fault: the faulting page; a fork: the VMA)
 * @end:       first address past it
 * @remote:    caused by another process or a kernel thread
 * @initiator: tgid of that initiator when @remote
 * @incs:      the counter increments
 */
struct cowstat_event {
	bool has_addr;
	unsigned long start;
	unsigned long end;
	bool remote;
	pid_t initiator;
	struct cowstat_incs incs;
};

void cowstat_account_ones_groups(struct cowstat *cs, struct cowstat_rec *rec,
				 unsigned long addr, struct cowstat_ones o);

/**
 * cowstat_account_ones() - charge a local event that adds 1 to a few
 *                          counters (RCU)
 * @cs:   instance
 * @rec:  as for cowstat_account()
 * @addr: the address of the event
 * @o:    the counters
 *
 * The same as cowstat_account() with an event at [@addr, @addr + 1), not
 * remote, adding 1 to each counter of @o: the write-fault hot path,
 * inline in its handlers (a call and two loops over @o cost as much again
 * as the increments); a record in no group takes no call.
 */
static __always_inline void cowstat_account_ones(struct cowstat *cs,
						 struct cowstat_rec *rec,
						 unsigned long addr,
						 const struct cowstat_ones *o)
{
	/*
	 * Spelt out for COWSTAT_ONES_MAX (3), not a loop: a handler's @o
	 * is mostly constant, and each line then folds or goes.
	 */
	if (!o->n)
		return;
	this_cpu_inc(cs->totals->v[cowstat_ones_id(o, 0)]);
	if (o->n > 1)
		this_cpu_inc(cs->totals->v[cowstat_ones_id(o, 1)]);
	if (o->n > 2)
		this_cpu_inc(cs->totals->v[cowstat_ones_id(o, 2)]);
	if (unlikely(!rec)) {
		atomic64_inc(&cs->health[COWSTAT_H_events_unrecorded]);
		return;
	}
	atomic64_inc(&rec->c.v[cowstat_ones_id(o, 0)]);
	if (o->n > 1)
		atomic64_inc(&rec->c.v[cowstat_ones_id(o, 1)]);
	if (o->n > 2)
		atomic64_inc(&rec->c.v[cowstat_ones_id(o, 2)]);
	if (unlikely(READ_ONCE(rec->groups)))
		cowstat_account_ones_groups(cs, rec, addr, *o);
}

/**
 * cowstat_account() - charge an event (RCU)
 * @cs:  instance
 * @rec: record of the mm whose page tables changed, or NULL when it has
 *       none (then only the totals count, and events_unrecorded)
 * @ev:  the event
 *
 * Adds to the totals, to @rec and to every active group @rec belongs to
 * whose address range contains the event (an event without addresses
 * counts in every such group).
 */
void cowstat_account(struct cowstat *cs, struct cowstat_rec *rec,
		     const struct cowstat_event *ev);

/**
 * cowstat_account_fork_ns() - charge page-table copy time to a fork parent
 * @cs:  instance
 * @rec: record of the parent mm, or NULL
 * @ns:  nanoseconds the fork spent in copy_page_range
 *
 * Also feeds the fork histogram, the system's and that of every active
 * group of @rec (a fork has no address: a group's range does not apply).
 */
void cowstat_account_fork_ns(struct cowstat *cs, struct cowstat_rec *rec,
			     u64 ns);

/**
 * cowstat_account_hist() - count one timed fault in a latency histogram
 *                          (RCU)
 * @cs:   instance
 * @rec:  record of the faulting mm (what cowstat_account() was given for
 *        the same fault), or NULL
 * @addr: the faulting address
 * @h:    which histogram
 * @ns:   the duration
 *
 * Adds to the system-wide histogram and to that of every active group of
 * @rec whose address range holds @addr: the groups cowstat_account()
 * charged the fault's counters to.
 */
void cowstat_account_hist(struct cowstat *cs, struct cowstat_rec *rec,
			  unsigned long addr, enum cowstat_hist_id h, u64 ns);

/**
 * cowstat_health_inc() - count one health event
 * @cs: instance
 * @h:  which
 */
void cowstat_health_inc(struct cowstat *cs, enum cowstat_health_id h);

/* ------------------------------------------------------------------ */
/* Classification of callers (the rest is in classify.h)               */
/* ------------------------------------------------------------------ */

/**
 * enum cowstat_caller - what the caller of an anon-install function means
 * @COWSTAT_CALLER_OTHER:        nothing cowstat counts by caller
 * @COWSTAT_CALLER_COW_AT_FAULT: the first write to a private file page
 *                               (do_cow_fault -> finish_fault -> do_set_pte
 *                               or set_pte_range)
 */
enum cowstat_caller {
	COWSTAT_CALLER_OTHER,
	COWSTAT_CALLER_COW_AT_FAULT,
};

/**
 * cowstat_classify_caller() - class of a caller from its symbol name
 * @sym: function name as kallsyms prints it, possibly with a ".isra.0",
 *       ".constprop.0", ".part.0" or ".cold" suffix and a "+off/size" tail
 * Return: the class.
 */
enum cowstat_caller cowstat_classify_caller(const char *sym);

/**
 * enum cowstat_site - what an anon install means, by the function it
 *                     returns into
 * @COWSTAT_SITE_NONE:         no COW (a first touch, a swap-in, khugepaged,
 *                             userfaultfd copies, ...): nothing to do
 * @COWSTAT_SITE_WP:           the copy of a write-protect fault (do_wp_page
 *                             and wp_page_copy, which 6.12 inlines into it)
 * @COWSTAT_SITE_FORK:         an eager copy of a pinned page during fork
 *                             (copy_present_page and what inlines it, up
 *                             to copy_page_range)
 * @COWSTAT_SITE_COW_AT_FAULT: the first write to a private file page (the
 *                             callers of enum cowstat_caller)
 */
enum cowstat_site {
	COWSTAT_SITE_NONE,
	COWSTAT_SITE_WP,
	COWSTAT_SITE_FORK,
	COWSTAT_SITE_COW_AT_FAULT,
};

/**
 * cowstat_classify_site() - class of an install site from its symbol name
 * @sym: function name as for cowstat_classify_caller()
 * Return: the class; %COWSTAT_SITE_NONE for every function not named.
 */
enum cowstat_site cowstat_classify_site(const char *sym);

/* ------------------------------------------------------------------ */
/* Track groups                                                        */
/* ------------------------------------------------------------------ */

/**
 * struct cowstat_track_cmd - a parsed write to the track file
 * @end:       "-PID": end the groups led by @pid
 * @pid:       the process
 * @has_range: an address range was given
 * @start:     first address
 * @last:      first address past the range
 */
struct cowstat_track_cmd {
	bool end;
	pid_t pid;
	bool has_range;
	unsigned long start;
	unsigned long last;
};

/**
 * cowstat_group_start() - start a group (process context or RCU)
 * @cs:     instance
 * @owner:  the open file that owns the group
 * @cmd:    the parsed command (not an end command)
 * @leader: identity of the leader
 * @key:    the leader's mm; its record (created if needed) joins the group.
 *          NULL for a leader without an mm (a zombie, a kernel thread): the
 *          group starts with no member and stays at zero
 * Return: the group's gen (> 0; group gens use 63 bits so they never look
 *         like an error), or -ENOSPC when no slot is free, or
 *         -ENOMEM when the leader's record could not be created.
 */
s64 cowstat_group_start(struct cowstat *cs, const void *owner,
			const struct cowstat_track_cmd *cmd,
			const struct cowstat_ident *leader, const void *key);

/**
 * cowstat_group_end() - end the active groups of @owner led by @tgid
 * @cs:    instance
 * @owner: the open file
 * @tgid:  the leader
 *
 * Context: process context; may sleep (the records' bits are cleared in
 * batches).
 * Return: the number of groups ended.
 */
int cowstat_group_end(struct cowstat *cs, const void *owner, pid_t tgid);

/**
 * cowstat_groups_active_locked() - the bits of the active group slots
 * @cs: the instance, its lock held
 */
unsigned long cowstat_groups_active_locked(const struct cowstat *cs);

/**
 * cowstat_group_release() - free every group of @owner (its file closed)
 * @cs:    instance
 * @owner: the open file
 *
 * Context: process context; sleeps for an RCU grace period before the
 * slots can be reused.
 */
void cowstat_group_release(struct cowstat *cs, const void *owner);

/**
 * cowstat_nr_groups() - groups that are not free
 * @cs: instance
 * Return: the number.
 */
unsigned int cowstat_nr_groups(struct cowstat *cs);

/* ------------------------------------------------------------------ */
/* debugfs text                                                        */
/* ------------------------------------------------------------------ */

/**
 * cowstat_parse_track() - parse "PID", "PID START END" or "-PID"
 * @buf: the written bytes (need not be NUL terminated); one trailing
 *       newline is allowed
 * @len: their number
 * @cmd: result
 *
 * PIDs are decimal and positive; addresses are decimal or 0x-hex, START
 * must be below END.
 * Return: 0, or -EINVAL.
 */
int cowstat_parse_track(const char *buf, size_t len,
			struct cowstat_track_cmd *cmd);

/**
 * cowstat_parse_reset() - parse a write to the reset file
 * @buf: the written bytes; "1" with an optional trailing newline
 * @len: their number
 * Return: 0, or -EINVAL.
 */
int cowstat_parse_reset(const char *buf, size_t len);

/**
 * cowstat_parse_switch() - parse a write to the timing file
 * @buf: the written bytes; "0" or "1" with an optional trailing newline
 * @len: their number
 * @on:  result
 * Return: 0, or -EINVAL (and @on unchanged).
 */
int cowstat_parse_switch(const char *buf, size_t len, bool *on);

/**
 * cowstat_show_version() - the version file
 * @m: output
 */
void cowstat_show_version(struct seq_file *m);

/**
 * cowstat_show_stats() - the stats file: totals, then health lines
 * @m:  output
 * @cs: instance
 */
void cowstat_show_stats(struct seq_file *m, struct cowstat *cs);

/*
 * The longest procs or track row: ten fixed fields and the counters, each
 * at most 20 digits after its separator, then the comm and the newline.
 * A row is written only where this much of the seq_file buffer is free.
 */
#define COWSTAT_ROW_MAX	((10 + COWSTAT_NR_COUNTERS) * 21 + COWSTAT_COMM_LEN + 2)

/**
 * cowstat_show_procs() - the procs file: header, one row per record
 * @m:  output
 * @cs: instance
 *
 * Rows come in pool order; each is copied under the lock, then printed.
 */
void cowstat_show_procs(struct seq_file *m, struct cowstat *cs);

/**
 * cowstat_show_track() - the track file: header, one row per group
 * @m:  output
 * @cs: instance
 */
void cowstat_show_track(struct seq_file *m, struct cowstat *cs);

/**
 * cowstat_show_latency() - the latency file: the system-wide histograms,
 *                          then those of every group ("group=GEN")
 * @m:  output
 * @cs: instance
 */
void cowstat_show_latency(struct seq_file *m, struct cowstat *cs);

/**
 * enum cowstat_cap_state - how far a counter can be trusted on this kernel
 * @COWSTAT_CAP_EXACT:       every probe it needs is registered
 * @COWSTAT_CAP_DERIVED:     exact, but computed from deltas or from the
 *                           absence of a marker rather than counted
 * @COWSTAT_CAP_UNAVAILABLE: a probe it needs is missing; the value stays 0
 */
enum cowstat_cap_state {
	COWSTAT_CAP_EXACT,
	COWSTAT_CAP_DERIVED,
	COWSTAT_CAP_UNAVAILABLE,
};

/**
 * cowstat_show_probe() - one probe line of the probes file
 * @m:       output
 * @symbol:  the hooked function
 * @state:   "ftrace", "int3", "off" or "failed(<errno>)"
 * @hits:    handler calls
 * @nmissed: kretprobe instances missed (maxactive exhausted)
 * @nmissed_reentry: hits dropped because a probe handler was running
 */
void cowstat_show_probe(struct seq_file *m, const char *symbol,
			const char *state, u64 hits, u64 nmissed,
			u64 nmissed_reentry);

/**
 * cowstat_show_counter_cap() - one counter line of the probes file
 * @m:      output
 * @id:     counter
 * @state:  enum cowstat_cap_state
 * @reason: why it is unavailable, e.g. "do_wp_page:-ENOENT"
 */
void cowstat_show_counter_cap(struct seq_file *m, enum cowstat_counter id,
			      enum cowstat_cap_state state,
			      const char *reason);

#endif /* _COWSTAT_CORE_H */
