// SPDX-License-Identifier: GPL-2.0
/*
 * S17: remote writes are charged to the target (kernel-hooks.md §6 S17).
 *
 * R is written and forked; the child stays alive and does not write.  The
 * parent writes R[0..K) of the child with process_vm_writev and
 * R[K..2K) with a pwrite to /proc/<child>/mem (FOLL_FORCE).  Both are GUP
 * write faults with FAULT_FLAG_REMOTE: K + K copies in the child's mm,
 * each a remote event whose initiator is the parent.  The faults are the
 * initiator's minor faults: the parent's minflt grows by 2K, the child's
 * by 0.  The parent's own R sees nothing.
 *
 * Same on 6.1 and 6.12.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)

static char buf[K_PAGES * PAGE];

int main(void)
{
	struct cs_group gc, gp, all;
	struct iovec local, remote;
	long long flt0, cflt0, reuse0;
	struct cs_chan ch;
	char path[64];
	char *r;
	pid_t pid;
	int fd;

	cs_init("s17-remote-write", CS_TRACE_FORKS);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	cs_track(&all, getpid(), r, r + RSIZE);
	pid = cs_fork_writer(&ch, r, 0);
	cs_track(&gc, pid, r, r + RSIZE);
	cs_track(&gp, getpid(), r, r + RSIZE);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cs_die("open %s", path);

	memset(buf, 0x77, sizeof(buf));
	cs_quiesce();
	cflt0 = cs_minflt(pid);
	reuse0 = cs_vmstat("pgreuse");
	flt0 = cs_minflt(getpid());
	local.iov_base = buf;
	local.iov_len = sizeof(buf);
	remote.iov_base = r;
	remote.iov_len = K_PAGES * PAGE;
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)sizeof(buf))
		cs_die("process_vm_writev");
	if (pwrite(fd, buf, sizeof(buf), (off_t)(uintptr_t)(r + K_PAGES * PAGE)) !=
	    (ssize_t)sizeof(buf))
		cs_die("pwrite %s", path);
	CS_EQ("parent (initiator) minflt delta", 2 * K_PAGES,
	      cs_minflt(getpid()) - flt0);
	CS_EQ("pgreuse delta", 0, cs_vmstat("pgreuse") - reuse0);
	CS_EQ("child (target) minflt delta", 0, cs_minflt(pid) - cflt0);
	{
		const struct cs_exp ec[] = {
			{ "cow_copies_anon", 2 * K_PAGES },
			{ "wp_faults", 2 * K_PAGES },
			{ "remote_events", 2 * K_PAGES }, { NULL } };
		const struct cs_exp ea[] = {
			{ "forks", 1 }, { "fork_vmas_copied", 1 },
			{ "fork_pages_shared_anon", N_PAGES },
			{ "fork_pt_pages", 3 },
			{ "cow_copies_anon", 2 * K_PAGES },
			{ "wp_faults", 2 * K_PAGES },
			{ "remote_events", 2 * K_PAGES }, { NULL } };

		cs_expect_group("child (target)", &gc, ec);
		cs_expect_group("parent (initiator)", &gp, NULL);
		cs_expect_group("group", &all, ea);
	}
	CS_EQ("child group initiator_remote", getpid(), cs_group_initiator(&gc));
	if (cs_read_pages(r, 0, 2 * K_PAGES) != 1UL * 2 * K_PAGES)
		cs_fail("the parent's R changed under the remote writes");
	close(fd);
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);
	return cs_finish();
}
