// SPDX-License-Identifier: GPL-2.0
/*
 * T3: the track, reset and version files keep their contract
 * (Documentation/interfaces.rst).
 *
 *  - "-PID" ends a group: it reads "ended" through its file and stops
 *    counting; closing the file frees it (its row is gone).
 *  - Malformed input is EINVAL, a PID that does not exist ESRCH; when
 *    every group slot is taken a new group is ENOSPC, and closing one file
 *    frees its slot.
 *  - reset: "1" zeroes every counter (groups stay), anything else is
 *    EINVAL and changes nothing.
 *  - version: "cowstat <version> format 3".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define TRACK "/sys/kernel/debug/cowstat/track"
#define RESET "/sys/kernel/debug/cowstat/reset"

static int write_err(const char *path, int fd, const char *s)
{
	int own = fd < 0, err = 0;

	if (own)
		fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		cs_die("open %s", path);
	if (write(fd, s, strlen(s)) < 0)
		err = errno;
	if (own)
		close(fd);
	return err;
}

int main(void)
{
	struct cs_group g, probe, extra[64];
	struct cs_chan ch;
	long long flt, reuse;
	char cmd[64], ver[128];
	int i, n, err;
	pid_t pid, dead;
	char *r;

	cs_init("t03-debugfs", 0);
	if (cs_read_file("/sys/kernel/debug/cowstat/version", ver, sizeof(ver)))
		cs_die("read version");
	if (strncmp(ver, "cowstat ", 8) || !strstr(ver, " format 3\n"))
		cs_fail("version reads '%.*s'", (int)strcspn(ver, "\n"), ver);

	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);
	pid = cs_fork_writer(&ch, r, 0);

	/* -PID ends the group; it stops counting */
	cs_track(&g, pid, r, r + RSIZE);
	cs_child_write(&ch, 0, K_PAGES, 2, &flt, &reuse);
	snprintf(cmd, sizeof(cmd), "-%d\n", pid);
	err = write_err(TRACK, g.fd, cmd);
	CS_EQ("errno of writing -PID", 0, err);
	if (strcmp(cs_group_state(&g), "ended"))
		cs_fail("expected state=ended got '%s'", cs_group_state(&g));
	cs_child_write(&ch, K_PAGES, K_PAGES, 2, &flt, &reuse);
	{
		const struct cs_exp e[] = {
			{ "cow_copies_anon", K_PAGES }, { "wp_faults", K_PAGES },
			{ NULL } };

		cs_expect_group("ended group", &g, e);
	}
	cs_track(&probe, getpid(), NULL, NULL);
	cs_untrack(&g);
	g.fd = probe.fd;
	CS_EQ("rows of a group whose file was closed", 0,
	      cs_group_state(&g)[0] != '\0');
	cs_untrack(&probe);

	/* errors */
	CS_EQ("errno of 'abc'", EINVAL, write_err(TRACK, -1, "abc\n"));
	snprintf(cmd, sizeof(cmd), "%d 4096\n", getpid());
	CS_EQ("errno of 'PID START' (no END)", EINVAL, write_err(TRACK, -1, cmd));
	snprintf(cmd, sizeof(cmd), "%d 8192 4096\n", getpid());
	CS_EQ("errno of START above END", EINVAL, write_err(TRACK, -1, cmd));
	dead = syscall(SYS_fork);
	if (dead == 0)
		_exit(0);
	cs_wait_exit(dead);
	snprintf(cmd, sizeof(cmd), "%d\n", dead);
	CS_EQ("errno of a PID that does not exist", ESRCH,
	      write_err(TRACK, -1, cmd));

	/* ENOSPC, and a closed file frees its slot */
	snprintf(cmd, sizeof(cmd), "%d\n", getpid());
	for (n = 0, err = 0; n < 64; n++) {
		extra[n].fd = open(TRACK, O_RDWR | O_CLOEXEC);
		if (extra[n].fd < 0)
			cs_die("open track");
		err = write_err(TRACK, extra[n].fd, cmd);
		if (err)
			break;
	}
	CS_EQ("errno when every group slot is taken", ENOSPC, err);
	if (n > 0) {
		close(extra[0].fd);
		extra[0].fd = -1;
		CS_EQ("errno of a new group after closing one", 0,
		      write_err(TRACK, extra[n].fd, cmd));
	}
	for (i = 0; i <= n && i < 64; i++)
		if (extra[i].fd >= 0)
			close(extra[i].fd);

	/* reset */
	cs_track(&g, pid, r, r + RSIZE);
	cs_child_write(&ch, 2 * K_PAGES, 10, 2, &flt, &reuse);
	CS_EQ("errno of reset '2'", EINVAL, write_err(RESET, -1, "2\n"));
	{
		const struct cs_exp e[] = {
			{ "cow_copies_anon", 10 }, { "wp_faults", 10 },
			{ NULL } };

		cs_expect_group("after a refused reset", &g, e);
	}
	CS_EQ("errno of reset '1'", 0, write_err(RESET, -1, "1\n"));
	cs_expect_group("after reset", &g, NULL);
	if (strcmp(cs_group_state(&g), "active"))
		cs_fail("after reset: expected state=active got '%s'",
			cs_group_state(&g));
	cs_child_exit(&ch);
	cs_expect_exit0("child", pid);
	return cs_finish();
}
