/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one list of cowstat counters.
 *
 * Every counter is named here once.  The module's debugfs files, the KUnit
 * expectations, cowtrace's columns and its JSON keys are all generated from
 * this list, so a counter cannot be spelled two ways.  The header is plain
 * C with no kernel includes, so userspace (tools/cowtrace) uses it as is.
 *
 * No include guard: a user defines COWSTAT_COUNTER(name, side, meaning),
 * includes this file where the expansion goes, and undefines it.
 * include/cowstat/counters.h expands it into enum cowstat_counter.
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
 * wp_faults; since 6.13 a write to the huge zero page (a new THP) adds
 * 512 to cow_copies and cow_copies_zero, not to wp_faults.
 */
COWSTAT_COUNTER(forks, FORK, "fork()s that copied an mm, charged to the parent")
COWSTAT_COUNTER(fork_vmas_copied, FORK, "VMAs whose page tables fork copied")
COWSTAT_COUNTER(fork_vmas_skipped, FORK, "VMAs fork left to be refilled by faults")
COWSTAT_COUNTER(fork_pages_shared, FORK, "pages fork shared with the child (mapped in both)")
COWSTAT_COUNTER(fork_pages_shared_anon, FORK, "... of which anonymous")
COWSTAT_COUNTER(fork_pages_shared_file, FORK, "... of which file-backed")
COWSTAT_COUNTER(fork_pages_shared_shmem, FORK, "... of which shmem")
COWSTAT_COUNTER(fork_swap_shared, FORK, "swap entries fork shared")
COWSTAT_COUNTER(fork_pt_pages, FORK, "page-table pages fork allocated for the child")
COWSTAT_COUNTER(fork_eager_copies, FORK, "pinned pages fork copied into the child at once")
COWSTAT_COUNTER(fork_thp_shared, FORK, "anonymous THP PMDs fork shared")
COWSTAT_COUNTER(fork_hugetlb_shared, FORK, "hugetlb pages fork shared with the child")
COWSTAT_COUNTER(wp_faults, FAULT, "write-protect faults handled by do_wp_page")
COWSTAT_COUNTER(cow_copies, FAULT, "COW copies installed at write-protect faults")
COWSTAT_COUNTER(cow_copies_anon, FAULT, "... of a shared anonymous page")
COWSTAT_COUNTER(cow_copies_zero, FAULT, "... of the zero page")
COWSTAT_COUNTER(cow_copies_file, FAULT, "... of a private file page")
COWSTAT_COUNTER(cow_copies_ksm, FAULT, "... of a KSM page")
COWSTAT_COUNTER(cow_copies_pfn, FAULT, "... of a PFN-mapped page")
COWSTAT_COUNTER(cow_copies_unshare, FAULT, "... made for a GUP unshare")
COWSTAT_COUNTER(cow_at_fault, FAULT, "private file pages copied at their first write")
COWSTAT_COUNTER(cow_reuses, FAULT, "write faults that reused the page")
COWSTAT_COUNTER(cow_reuses_moved, FAULT, "... after its sharing ended")
COWSTAT_COUNTER(cow_reuses_exclusive, FAULT, "... that was already exclusive")
COWSTAT_COUNTER(unshare_kept, FAULT, "GUP unshare faults that needed no copy")
COWSTAT_COUNTER(shared_writes, FAULT, "write faults on shared mappings (page kept)")
COWSTAT_COUNTER(thp_reuses, FAULT, "THP write faults that reused the huge page")
COWSTAT_COUNTER(thp_splits, FAULT, "THP write faults that split the PMD")
COWSTAT_COUNTER(hugetlb_copies, FAULT, "hugetlb pages copied at write faults")
COWSTAT_COUNTER(hugetlb_reuses, FAULT, "hugetlb write faults that reused the page")
COWSTAT_COUNTER(uffd_wp, FAULT, "write faults handed to userfaultfd-wp")
COWSTAT_COUNTER(wp_races, FAULT, "write-protect faults that lost a race, nothing done")
COWSTAT_COUNTER(wp_errors, FAULT, "write-protect faults that failed (OOM, SIGBUS, ...)")
COWSTAT_COUNTER(wp_retries, FAULT, "write-protect faults to be retried under mmap_lock")
COWSTAT_COUNTER(remote_events, FAULT, "fault events caused by another process or a kthread")
