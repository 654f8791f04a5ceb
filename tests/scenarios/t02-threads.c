// SPDX-License-Identifier: GPL-2.0
/*
 * T2: a multi-threaded writer on every CPU gives exact totals.
 *
 * Not pinned (H1 is lifted on purpose).  R (1024 pages) is written and
 * forked; the child stays alive, so every page stays mapped twice and
 * every write fault must copy, whichever CPU it runs on and whatever LRU
 * batch holds the page.  Four threads write disjoint quarters of R at the
 * same time: exactly 1024 copies, no reuse, no race, in the group of the
 * process (threads share its mm).  A second pass takes no fault.
 *
 * Meant for a VM with 2 vCPUs (scripts/vm's default); exact on one too.
 * Same on 6.1 and 6.12 (6.4+ take these faults under the per-VMA lock).
 */
#include <pthread.h>

#include "lib.h"

#define NPG 1024
#define NTHREADS 4
#define RSIZE (NPG * PAGE)

static char *r;
static pthread_barrier_t barrier;

static void *writer(void *arg)
{
	long t = (long)arg;

	pthread_barrier_wait(&barrier);
	cs_write_pages(r, t * (NPG / NTHREADS), NPG / NTHREADS, 2);
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];
	long long reuse0, flt0;
	struct cs_group g, all;
	struct cs_chan ch;
	pid_t pid;
	long t;

	cs_init("t02-threads", CS_NO_PIN);
	r = cs_region(0, NPG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, NPG, 1);
	cs_track(&all, getpid(), r, r + RSIZE);
	pid = cs_fork_writer(&ch, r, 0);
	cs_track(&g, getpid(), r, r + RSIZE);

	pthread_barrier_init(&barrier, NULL, NTHREADS + 1);
	for (t = 0; t < NTHREADS; t++)
		if (pthread_create(&th[t], NULL, writer, (void *)t))
			cs_die("pthread_create");
	cs_quiesce();
	reuse0 = cs_vmstat("pgreuse");
	pthread_barrier_wait(&barrier);
	for (t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	CS_EQ("pgreuse delta over the threads' writes", 0,
	      cs_vmstat("pgreuse") - reuse0);
	flt0 = cs_minflt(getpid());
	cs_write_pages(r, 0, NPG, 3);
	CS_EQ("minflt delta over a second pass", 0, cs_minflt(getpid()) - flt0);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_anon", NPG }, { "wp_faults", NPG },
			{ NULL } };
		const struct cs_exp ea[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", NPG }, { "fork_pt_pages", 4 },
			{ "cow_copies_anon", NPG }, { "wp_faults", NPG },
			{ NULL } };

		cs_expect_group("threads", &g, e);
		cs_expect_group("group", &all, ea);
	}
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);
	return cs_finish();
}
