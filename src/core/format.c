// SPDX-License-Identifier: GPL-2.0
/*
 * The text of the debugfs files (format 3, Documentation/interfaces.rst):
 * parsing what users write and printing what they read.  A counter no
 * probe can feed on this kernel (cs->unavailable) prints as "-", never as
 * a 0 that would read as "it did not happen".
 *
 * Records and groups are copied under the instance lock one at a time and
 * printed after the lock is dropped, so a reader never holds the lock
 * across seq_file output and never sees a half-written identity.
 */

#include <linux/bitops.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include <cowstat/core.h>

#define COWSTAT_CMD_MAX 128

/* One procs/track row, copied out of a record or a group. */
struct cowstat_row {
	const char *state;
	const char *birth;
	u64 gen;
	struct cowstat_ident id;
	pid_t initiator_remote;
	u64 exit_ns;
	u64 fork_ns;
	u64 v[COWSTAT_NR_COUNTERS];
};

static const char *const cowstat_birth_names[] = {
	[COWSTAT_BIRTH_SEEN] = "seen",
	[COWSTAT_BIRTH_FORK] = "fork",
	[COWSTAT_BIRTH_EXEC] = "exec",
};

/* Split off the next space-separated token; NULL at the end. */
static char *cowstat_next_token(char **s)
{
	char *tok;

	*s = skip_spaces(*s);
	if (!**s)
		return NULL;
	tok = *s;
	while (**s && !isspace(**s))
		(*s)++;
	if (**s) {
		**s = '\0';
		(*s)++;
	}
	return tok;
}

static int cowstat_parse_pid(const char *tok, pid_t *pid)
{
	int v;

	if (!isdigit(*tok) || kstrtoint(tok, 10, &v) || v <= 0)
		return -EINVAL;
	*pid = v;
	return 0;
}

/* Decimal, or hexadecimal with a 0x prefix; no octal surprises. */
static int cowstat_parse_addr(const char *tok, unsigned long *addr)
{
	if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))
		return isxdigit(tok[2]) ? kstrtoul(tok + 2, 16, addr) : -EINVAL;
	if (!isdigit(*tok))
		return -EINVAL;
	return kstrtoul(tok, 10, addr);
}

/* Copy a write into a NUL-terminated buffer, minus one trailing newline. */
static int cowstat_cmd_copy(char *dst, const char *buf, size_t len)
{
	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len >= COWSTAT_CMD_MAX || memchr(buf, '\0', len))
		return -EINVAL;
	memcpy(dst, buf, len);
	dst[len] = '\0';
	return 0;
}

int cowstat_parse_track(const char *buf, size_t len,
			struct cowstat_track_cmd *cmd)
{
	char line[COWSTAT_CMD_MAX];
	char *s = line, *tok[4];
	unsigned int n = 0;

	if (cowstat_cmd_copy(line, buf, len))
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	while (n < ARRAY_SIZE(tok) && (tok[n] = cowstat_next_token(&s)))
		n++;

	if (n == 1 && tok[0][0] == '-') {
		cmd->end = true;
		return cowstat_parse_pid(tok[0] + 1, &cmd->pid);
	}
	if (n != 1 && n != 3)
		return -EINVAL;
	if (cowstat_parse_pid(tok[0], &cmd->pid))
		return -EINVAL;
	if (n == 1)
		return 0;
	if (cowstat_parse_addr(tok[1], &cmd->start) ||
	    cowstat_parse_addr(tok[2], &cmd->last) || cmd->start >= cmd->last)
		return -EINVAL;
	cmd->has_range = true;
	return 0;
}

int cowstat_parse_reset(const char *buf, size_t len)
{
	char line[COWSTAT_CMD_MAX];

	if (cowstat_cmd_copy(line, buf, len))
		return -EINVAL;
	return strcmp(line, "1") ? -EINVAL : 0;
}

int cowstat_parse_switch(const char *buf, size_t len, bool *on)
{
	char line[COWSTAT_CMD_MAX];

	if (cowstat_cmd_copy(line, buf, len))
		return -EINVAL;
	if (!strcmp(line, "0"))
		*on = false;
	else if (!strcmp(line, "1"))
		*on = true;
	else
		return -EINVAL;
	return 0;
}

void cowstat_show_version(struct seq_file *m)
{
	seq_printf(m, "cowstat %s format %d\n", COWSTAT_VERSION,
		   COWSTAT_FORMAT);
}

static const char *const cowstat_health_names[COWSTAT_NR_HEALTH] = {
	[COWSTAT_H_records_dropped] = "records_dropped",
	[COWSTAT_H_records_stale_replaced] = "records_stale_replaced",
	[COWSTAT_H_events_unrecorded] = "events_unrecorded",
	[COWSTAT_H_events_uncorrelated] = "events_uncorrelated",
	[COWSTAT_H_tct_full] = "tct_full",
	[COWSTAT_H_fork_deltas_clamped] = "fork_deltas_clamped",
};

const char *cowstat_health_name(enum cowstat_health_id id)
{
	if ((unsigned int)id >= COWSTAT_NR_HEALTH)
		return NULL;
	return cowstat_health_names[id];
}

void cowstat_show_stats(struct seq_file *m, struct cowstat *cs)
{
	struct cowstat_rec_counts n;
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		if (test_bit(i, cs->unavailable))
			seq_printf(m, "%s -\n", cowstat_counter_name(i));
		else
			seq_printf(m, "%s %lld\n", cowstat_counter_name(i),
				   (long long)cowstat_total(cs, i));
	}
	/* One snapshot: created == live + exited + recycled holds in it. */
	cowstat_rec_counts(cs, &n);
	seq_printf(m, "records_live %u\n", n.live);
	seq_printf(m, "records_exited %u\n", n.exited);
	seq_printf(m, "records_created %llu\n", n.created);
	seq_printf(m, "records_recycled %llu\n", n.recycled);
	seq_printf(m, "records_pool %u\n", cs->pool_size);
	for (i = 0; i < COWSTAT_NR_HEALTH; i++)
		seq_printf(m, "%s %lld\n", cowstat_health_name(i),
			   (long long)atomic64_read(&cs->health[i]));
	seq_printf(m, "groups %u\n", cowstat_nr_groups(cs));
	seq_printf(m, "fork_ns %lld\n",
		   (long long)atomic64_read(&cs->fork_ns));
}

static void cowstat_show_header(struct seq_file *m)
{
	unsigned int i;

	seq_puts(m, "state gen tgid pid ppid start_ns birth initiator_remote exit_ns fork_ns");
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		seq_printf(m, " %s", cowstat_counter_name(i));
	seq_puts(m, " comm\n");
}

/* Write @v in decimal at @p; return the end. */
static char *cowstat_put_u64(char *p, u64 v)
{
	char tmp[20], *s = tmp + sizeof(tmp);
	size_t n;

	if (v < 10) {
		*p = '0' + v;
		return p + 1;
	}
	while (v >= 100) {
		u32 r;

		v = div_u64_rem(v, 100, &r);
		*--s = '0' + r % 10;
		*--s = '0' + r / 10;
	}
	if (v >= 10) {
		*--s = '0' + v % 10;
		*--s = '0' + v / 10;
	} else {
		*--s = '0' + v;
	}
	n = tmp + sizeof(tmp) - s;
	memcpy(p, s, n);
	return p + n;
}

static char *cowstat_put_s64(char *p, s64 v)
{
	if (v < 0) {
		*p++ = '-';
		return cowstat_put_u64(p, -(u64)v);
	}
	return cowstat_put_u64(p, v);
}

static char *cowstat_put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * One row, written straight into the seq_file buffer: most of a row is
 * small numbers, and seq_put_decimal_*() spent more on its checks and
 * calls than on the digits (reading 10 000 rows: 67 M guest instructions
 * with it, 38.6 M now).  A row needs COWSTAT_ROW_MAX free bytes, or the
 * seq_file is marked full and made again in a larger buffer.
 */
static void cowstat_show_row(struct seq_file *m, const struct cowstat *cs,
			     const struct cowstat_row *r)
{
	char *buf, *p;
	unsigned int i;

	if (seq_get_buf(m, &buf) < COWSTAT_ROW_MAX) {
		seq_commit(m, -1);
		return;
	}
	p = cowstat_put_str(buf, r->state);
	*p++ = ' ';
	p = cowstat_put_u64(p, r->gen);
	*p++ = ' ';
	p = cowstat_put_s64(p, r->id.tgid);
	*p++ = ' ';
	p = cowstat_put_s64(p, r->id.pid);
	*p++ = ' ';
	p = cowstat_put_s64(p, r->id.ppid);
	*p++ = ' ';
	p = cowstat_put_u64(p, r->id.start_ns);
	*p++ = ' ';
	p = cowstat_put_str(p, r->birth);
	*p++ = ' ';
	p = cowstat_put_s64(p, r->initiator_remote);
	*p++ = ' ';
	p = cowstat_put_u64(p, r->exit_ns);
	*p++ = ' ';
	p = cowstat_put_u64(p, r->fork_ns);
	for (i = 0; i < COWSTAT_NR_COUNTERS; i++) {
		*p++ = ' ';
		if (test_bit(i, cs->unavailable))
			*p++ = '-';
		else
			p = cowstat_put_u64(p, r->v[i]);
	}

	/* comm is user-controlled: keep the row on one line. */
	*p++ = ' ';
	if (!r->id.comm[0])
		*p++ = '-';
	for (i = 0; i < COWSTAT_COMM_LEN - 1 && r->id.comm[i]; i++)
		*p++ = isprint(r->id.comm[i]) ? r->id.comm[i] : '?';
	*p++ = '\n';
	seq_commit(m, p - buf);
}

static void cowstat_copy_counters(u64 *v, const struct cowstat_counters *c)
{
	unsigned int i;

	for (i = 0; i < COWSTAT_NR_COUNTERS; i++)
		v[i] = atomic64_read(&c->v[i]);
}

void cowstat_show_procs(struct seq_file *m, struct cowstat *cs)
{
	struct cowstat_row row;
	unsigned int i;

	cowstat_show_header(m);
	/* Once the buffer is full seq_file makes the text again, larger. */
	for (i = 0; i < cs->pool_size && !seq_has_overflowed(m); i++) {
		struct cowstat_rec *rec = &cs->pool[i];
		unsigned long flags;
		bool show = false;

		raw_spin_lock_irqsave(&cs->lock, flags);
		if (rec->state == COWSTAT_REC_LIVE ||
		    rec->state == COWSTAT_REC_EXITED) {
			show = true;
			row.state = rec->state == COWSTAT_REC_LIVE ?
				    "live" : "exited";
			row.birth = cowstat_birth_names[rec->birth];
			row.gen = rec->gen;
			row.id = rec->id;
			row.initiator_remote = READ_ONCE(rec->initiator_remote);
			row.exit_ns = rec->exit_ns;
			row.fork_ns = atomic64_read(&rec->fork_ns);
			cowstat_copy_counters(row.v, &rec->c);
		}
		raw_spin_unlock_irqrestore(&cs->lock, flags);
		if (show)
			cowstat_show_row(m, cs, &row);
	}
}

void cowstat_show_track(struct seq_file *m, struct cowstat *cs)
{
	struct cowstat_row row;
	unsigned int i;

	cowstat_show_header(m);
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];
		unsigned long flags;
		bool show = false;

		raw_spin_lock_irqsave(&cs->lock, flags);
		if (g->state != COWSTAT_GROUP_FREE) {
			show = true;
			row.state = g->state == COWSTAT_GROUP_ACTIVE ?
				    "active" : "ended";
			row.birth = cowstat_birth_names[COWSTAT_BIRTH_SEEN];
			row.gen = g->gen;
			row.id = g->leader;
			row.initiator_remote = READ_ONCE(g->initiator_remote);
			row.exit_ns = 0;
			row.fork_ns = atomic64_read(&g->fork_ns);
			cowstat_copy_counters(row.v, &g->c);
		}
		raw_spin_unlock_irqrestore(&cs->lock, flags);
		if (show)
			cowstat_show_row(m, cs, &row);
	}
}

/* One block: "hist NAME[ group=GEN]", then its non-empty buckets. */
static void cowstat_show_hist(struct seq_file *m, const struct cowstat *cs,
			      enum cowstat_hist_id h, u64 gen, const u64 *v)
{
	unsigned int b;

	seq_printf(m, "hist %s", cowstat_hist_name(h));
	if (gen)
		seq_printf(m, " group=%llu", gen);
	/* Not timed here (the reason in brackets): no buckets. */
	if (cs->hist_unavailable[h]) {
		seq_printf(m, " unavailable(%s)\n", cs->hist_unavailable[h]);
		return;
	}
	seq_putc(m, '\n');
	for (b = 0; b < COWSTAT_HIST_BUCKETS; b++) {
		u64 lo, hi;

		if (!v[b])
			continue;
		cowstat_hist_bounds(b, &lo, &hi);
		seq_printf(m, "%llu %llu %llu\n", lo, hi, v[b]);
	}
}

static void cowstat_copy_hist(u64 *v, const struct cowstat_hist *h)
{
	unsigned int b;

	for (b = 0; b < COWSTAT_HIST_BUCKETS; b++)
		v[b] = atomic64_read(&h->bucket[b]);
}

/*
 * The system-wide blocks, then those of every group that is not free
 * (format 3), tagged with the group's gen as track names it.  A group's
 * buckets are copied under the lock one histogram at a time, checking
 * that the slot still holds the same group; a group freed meanwhile (its
 * file closed) is cut short.
 */
void cowstat_show_latency(struct seq_file *m, struct cowstat *cs)
{
	u64 v[COWSTAT_HIST_BUCKETS];
	unsigned int h, i;

	for (h = 0; h < COWSTAT_NR_HISTS; h++) {
		cowstat_copy_hist(v, &cs->hist[h]);
		cowstat_show_hist(m, cs, h, 0, v);
	}
	for (i = 0; i < COWSTAT_MAX_GROUPS; i++) {
		struct cowstat_group *g = &cs->groups[i];
		u64 gen = 0;

		for (h = 0; h < COWSTAT_NR_HISTS; h++) {
			unsigned long flags;
			bool same;

			raw_spin_lock_irqsave(&cs->lock, flags);
			if (!h && g->state != COWSTAT_GROUP_FREE)
				gen = g->gen;
			same = gen && g->state != COWSTAT_GROUP_FREE &&
			       g->gen == gen;
			if (same)
				cowstat_copy_hist(v, &g->hist[h]);
			raw_spin_unlock_irqrestore(&cs->lock, flags);
			if (!same)
				break;
			cowstat_show_hist(m, cs, h, gen, v);
		}
	}
}

void cowstat_show_probe(struct seq_file *m, const char *symbol,
			const char *state, u64 hits, u64 nmissed,
			u64 nmissed_reentry)
{
	seq_printf(m, "%s %s %llu %llu %llu\n", symbol, state, hits, nmissed,
		   nmissed_reentry);
}

void cowstat_show_counter_cap(struct seq_file *m, enum cowstat_counter id,
			      enum cowstat_cap_state state,
			      const char *reason)
{
	switch (state) {
	case COWSTAT_CAP_EXACT:
		seq_printf(m, "counter %s exact\n", cowstat_counter_name(id));
		break;
	case COWSTAT_CAP_DERIVED:
		seq_printf(m, "counter %s derived\n", cowstat_counter_name(id));
		break;
	default:
		seq_printf(m, "counter %s unavailable(%s)\n",
			   cowstat_counter_name(id), reason ? reason : "?");
		break;
	}
}
