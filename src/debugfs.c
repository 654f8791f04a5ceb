// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/cowstat/: root-only files, text as in
 * Documentation/interfaces.rst (format 2).  The text itself is made by the
 * core (src/core/format.c); this file wires it to debugfs and resolves
 * PIDs for the track file.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "glue.h"

static struct dentry *cowstat_dir;

static int version_show(struct seq_file *m, void *unused)
{
	cowstat_show_version(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(version);

static int stats_show(struct seq_file *m, void *unused)
{
	cowstat_show_stats(m, &cowstat_state);
	seq_printf(m, "records_enabled %d\n", cowstat_records_enabled);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int procs_show(struct seq_file *m, void *unused)
{
	cowstat_show_procs(m, &cowstat_state);
	return 0;
}

/*
 * The whole table is made in one buffer: size it for the rows there are
 * now (most rows are 120-160 bytes), or seq_file would make the text
 * again at every doubling from one page (ten times for 10 000 rows).  A
 * longer text still grows the buffer as before; the first guess is kept
 * under 32 MiB.
 */
#define COWSTAT_ROW_BYTES	192
#define COWSTAT_PROCS_GUESS_MAX	(32UL << 20)

static int procs_open(struct inode *inode, struct file *file)
{
	struct cowstat_rec_counts n;
	size_t size;

	cowstat_rec_counts(&cowstat_state, &n);
	/* The header and the longest row fit in the slack. */
	size = ((size_t)n.live + n.exited) * COWSTAT_ROW_BYTES +
	       2 * COWSTAT_ROW_MAX;
	return single_open_size(file, procs_show, inode->i_private,
				min(size, COWSTAT_PROCS_GUESS_MAX));
}

static const struct file_operations procs_fops = {
	.owner = THIS_MODULE,
	.open = procs_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

static int probes_show(struct seq_file *m, void *unused)
{
	cowstat_show_probes(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(probes);

static int latency_show(struct seq_file *m, void *unused)
{
	cowstat_show_latency(m, &cowstat_state);
	return 0;
}

/*
 * Fault latencies are timed from the first time somebody reads them on
 * (cowtrace --hist reads the file before its workload starts); "timing"
 * turns it off again.  The fork copy time is always measured.
 */
static int latency_open(struct inode *inode, struct file *file)
{
	static_branch_enable(&cowstat_timing);
	return single_open(file, latency_show, inode->i_private);
}

static const struct file_operations latency_fops = {
	.owner = THIS_MODULE,
	.open = latency_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

static int timing_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%d\n", static_key_enabled(&cowstat_timing));
	return 0;
}

static int timing_open(struct inode *inode, struct file *file)
{
	return single_open(file, timing_show, inode->i_private);
}

/* Copy a short write from userspace; the core parses it. */
static ssize_t cowstat_copy_cmd(char *buf, size_t size,
				const char __user *ubuf, size_t count)
{
	if (!count || count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return count;
}

/*
 * Every write is one whole command, whatever the file position (track's
 * position belongs to its reader): a command split over two writes is two
 * commands, each judged on its own.  Nothing changes unless the write is
 * valid.
 */
static ssize_t timing_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char buf[16];
	ssize_t n = cowstat_copy_cmd(buf, sizeof(buf), ubuf, count);
	bool on;

	if (n < 0)
		return n;
	if (cowstat_parse_switch(buf, n, &on))
		return -EINVAL;
	if (on)
		static_branch_enable(&cowstat_timing);
	else
		static_branch_disable(&cowstat_timing);
	return count;
}

static const struct file_operations timing_fops = {
	.owner = THIS_MODULE,
	.open = timing_open,
	.read = seq_read,
	.write = timing_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t reset_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char buf[16];
	ssize_t n = cowstat_copy_cmd(buf, sizeof(buf), ubuf, count);

	if (n < 0)
		return n;
	if (cowstat_parse_reset(buf, n))
		return -EINVAL;
	cowstat_reset(&cowstat_state);
	return count;
}

static const struct file_operations reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = reset_write,
	.llseek = noop_llseek,
};

/*
 * track: each open file owns the groups it starts; they end when it is
 * released, so a killed tracer leaves nothing behind.
 */
struct cowstat_track_owner {
	int unused;
};

static int track_show(struct seq_file *m, void *unused)
{
	cowstat_show_track(m, &cowstat_state);
	return 0;
}

static int track_open(struct inode *inode, struct file *file)
{
	struct cowstat_track_owner *owner;
	int ret;

	owner = kzalloc(sizeof(*owner), GFP_KERNEL);
	if (!owner)
		return -ENOMEM;
	ret = single_open(file, track_show, owner);
	if (ret)
		kfree(owner);
	return ret;
}

static int track_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct cowstat_track_owner *owner = m->private;

	cowstat_group_release(&cowstat_state, owner);
	kfree(owner);
	return single_release(inode, file);
}

static long track_start(struct cowstat_track_owner *owner,
			const struct cowstat_track_cmd *cmd)
{
	struct cowstat_ident id;
	struct task_struct *t;
	struct mm_struct *mm;
	s64 gen;

	if (!cowstat_records_enabled)
		return -EOPNOTSUPP;
	rcu_read_lock();
	t = pid_task(find_pid_ns(cmd->pid, &init_pid_ns), PIDTYPE_PID);
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t)
		return -ESRCH;
	/*
	 * A group is led by a process: a thread id other than its process's
	 * would start a group that "-TID" cannot end, and a kernel thread has
	 * no address space to count.
	 */
	if (!thread_group_leader(t) || (t->flags & PF_KTHREAD)) {
		put_task_struct(t);
		return -EINVAL;
	}
	/* NULL for a zombie: an empty group. */
	mm = get_task_mm(t);
	cowstat_ident_of(t, &id);
	gen = cowstat_group_start(&cowstat_state, owner, cmd, &id, mm);
	if (mm)
		mmput(mm);
	put_task_struct(t);
	return gen < 0 ? gen : 0;
}

static ssize_t track_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct cowstat_track_owner *owner = m->private;
	struct cowstat_track_cmd cmd;
	char buf[128];
	ssize_t n = cowstat_copy_cmd(buf, sizeof(buf), ubuf, count);
	long ret;

	if (n < 0)
		return n;
	if (cowstat_parse_track(buf, n, &cmd))
		return -EINVAL;
	if (cmd.end)
		ret = cowstat_group_end(&cowstat_state, owner, cmd.pid) ?
		      0 : -ESRCH;
	else
		ret = track_start(owner, &cmd);
	return ret ? ret : count;
}

static const struct file_operations track_fops = {
	.owner = THIS_MODULE,
	.open = track_open,
	.read = seq_read,
	.write = track_write,
	.llseek = seq_lseek,
	.release = track_release,
};

int cowstat_debugfs_init(void)
{
	cowstat_dir = debugfs_create_dir("cowstat", NULL);
	if (IS_ERR(cowstat_dir))
		return PTR_ERR(cowstat_dir);
	debugfs_create_file("version", 0400, cowstat_dir, NULL,
			    &version_fops);
	debugfs_create_file("stats", 0400, cowstat_dir, NULL, &stats_fops);
	debugfs_create_file("procs", 0400, cowstat_dir, NULL, &procs_fops);
	debugfs_create_file("track", 0600, cowstat_dir, NULL, &track_fops);
	debugfs_create_file("probes", 0400, cowstat_dir, NULL,
			    &probes_fops);
	debugfs_create_file("reset", 0200, cowstat_dir, NULL, &reset_fops);
	debugfs_create_file("latency", 0400, cowstat_dir, NULL,
			    &latency_fops);
	debugfs_create_file("timing", 0600, cowstat_dir, NULL, &timing_fops);
	return 0;
}

void cowstat_debugfs_exit(void)
{
	debugfs_remove_recursive(cowstat_dir);
	cowstat_dir = NULL;
}
