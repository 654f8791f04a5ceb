/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one list of cowstat counters.
 *
 * Every counter is named here once.  The module's debugfs files, the KUnit
 * expectations, cowtrace's columns and its JSON keys are all generated from
 * this list, so a counter cannot be spelled two ways.  The header is plain
 * C with no kernel includes, so userspace (tools/cowtrace) uses it as is.
 *
 * COWSTAT_COUNTER(name, side, meaning)
 *   name     identifier; the debugfs key and the JSON key
 *   side     FORK or FAULT: which hook family feeds it
 *   meaning  the one-line meaning; Documentation/cowstat.rst has the long one
 *
 * Parent/child relations (documented and tested):
 *   fork_pages_shared = fork_pages_shared_anon + _file + _shmem
 *   cow_copies  = cow_copies_anon + _zero + _file + _ksm + _pfn + _unshare
 *   cow_reuses  = cow_reuses_moved + cow_reuses_exclusive
 * Every do_wp_page ends in exactly one outcome, so for do_wp_page alone
 *   wp_faults = cow_copies + cow_reuses + uffd_wp + unshare_kept +
 *               shared_writes + wp_races + wp_errors + wp_retries
 * THP and hugetlb write-protect faults add to the last six, not to
 * wp_faults.
 */
#ifndef _COWSTAT_COUNTERS_H
#define _COWSTAT_COUNTERS_H

#define COWSTAT_COUNTERS(C)						\
	C(forks, FORK, "fork()s that copied an mm, charged to the parent") \
	C(fork_vmas_copied, FORK, "VMAs whose page tables fork copied")	\
	C(fork_vmas_skipped, FORK, "VMAs fork left to be refilled by faults") \
	C(fork_pages_shared, FORK, "pages fork shared with the child (mapped in both)") \
	C(fork_pages_shared_anon, FORK, "... of which anonymous")	\
	C(fork_pages_shared_file, FORK, "... of which file-backed")	\
	C(fork_pages_shared_shmem, FORK, "... of which shmem")		\
	C(fork_swap_shared, FORK, "swap entries fork shared")		\
	C(fork_pt_pages, FORK, "page-table pages fork allocated for the child") \
	C(fork_eager_copies, FORK, "pinned pages fork copied into the child at once")	\
	C(fork_thp_shared, FORK, "anonymous THP PMDs fork shared")	\
	C(fork_hugetlb_shared, FORK, "hugetlb pages fork shared with the child") \
	C(wp_faults, FAULT, "write-protect faults handled by do_wp_page") \
	C(cow_copies, FAULT, "COW copies installed at write-protect faults") \
	C(cow_copies_anon, FAULT, "... of a shared anonymous page")	\
	C(cow_copies_zero, FAULT, "... of the zero page")		\
	C(cow_copies_file, FAULT, "... of a private file page")	\
	C(cow_copies_ksm, FAULT, "... of a KSM page")			\
	C(cow_copies_pfn, FAULT, "... of a PFN-mapped page")		\
	C(cow_copies_unshare, FAULT, "... made for a GUP unshare")	\
	C(cow_at_fault, FAULT, "private file pages copied at their first write") \
	C(cow_reuses, FAULT, "write faults that reused the page")	\
	C(cow_reuses_moved, FAULT, "... after its sharing ended")	\
	C(cow_reuses_exclusive, FAULT, "... that was already exclusive") \
	C(unshare_kept, FAULT, "GUP unshare faults that needed no copy") \
	C(shared_writes, FAULT, "write faults on shared mappings (page kept)")	\
	C(thp_reuses, FAULT, "THP write faults that reused the huge page") \
	C(thp_splits, FAULT, "THP write faults that split the PMD")	\
	C(hugetlb_copies, FAULT, "hugetlb pages copied at write faults") \
	C(hugetlb_reuses, FAULT, "hugetlb write faults that reused the page") \
	C(uffd_wp, FAULT, "write faults handed to userfaultfd-wp")	\
	C(wp_races, FAULT, "write-protect faults that lost a race, nothing done") \
	C(wp_errors, FAULT, "write-protect faults that failed (OOM, SIGBUS, ...)") \
	C(wp_retries, FAULT, "write-protect faults to be retried under mmap_lock")	\
	C(remote_events, FAULT, "fault events caused by another process or a kthread")

enum cowstat_counter {
#define COWSTAT_ENUM(name, side, meaning) COWSTAT_##name,
	COWSTAT_COUNTERS(COWSTAT_ENUM)
#undef COWSTAT_ENUM
	COWSTAT_NR_COUNTERS
};

#endif /* _COWSTAT_COUNTERS_H */
