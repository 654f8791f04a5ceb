// SPDX-License-Identifier: GPL-2.0
/*
 * T5: each track group keeps its own latency histograms (debugfs format
 * 3: "hist NAME group=GEN" blocks after the system-wide ones in latency).
 *
 * With fault timing on, two children of the scenario share R with it by
 * fork; each has a group of its own over R.  Child A rewrites K pages of
 * R and forks once, child B rewrites 2K pages and forks twice (the
 * grandchildren exit at once).  Then, exactly:
 *
 *  - a group's fork_copy histogram holds its forks (1 and 2), as its
 *    forks counter does; a fork has no address, so the range does not
 *    apply;
 *  - with wp_return=1, a group's wp_copy holds its copies (K and 2K) and
 *    wp_copy + wp_reuse + wp_shared + wp_other its wp_faults; by default
 *    (wp_return=0) every wp_* block of every scope says
 *    unavailable(do_wp_page:wp_return=0) and has no bucket;
 *  - thp_wp and hugetlb_wp are empty in both groups (R is small pages);
 *  - what the system-wide histograms gained meanwhile is at least the sum
 *    of both groups', for each histogram.
 *
 * A group that mixed in the other's events (or the system's) would show
 * more than its own numbers.
 */
#include <stdio.h>
#include <string.h>

#include "lib.h"

#define RSIZE (N_PAGES * PAGE)
#define LATENCY "/sys/kernel/debug/cowstat/latency"
#define TIMING "/sys/kernel/debug/cowstat/timing"
#define NR_HISTS 7

static const char *const hist_names[NR_HISTS] = {
	"fork_copy", "wp_copy", "wp_reuse", "wp_shared", "wp_other",
	"thp_wp", "hugetlb_wp",
};

/* One scope of the latency file: a group's (gen > 0) or the system's. */
struct scope {
	long long sum[NR_HISTS];	/* samples over all buckets */
	int seen[NR_HISTS];		/* its "hist" line was there */
	char why[NR_HISTS][64];		/* the unavailable() reason, or "" */
	int buckets[NR_HISTS];		/* bucket lines */
};

static int hist_index(const char *name)
{
	int i;

	for (i = 0; i < NR_HISTS; i++)
		if (!strcmp(hist_names[i], name))
			return i;
	return -1;
}

/* Reads the blocks of scope @gen (0: system-wide) from the latency file. */
static void read_scope(long long gen, struct scope *s)
{
	static char buf[1 << 16];
	char *line, *save = NULL;
	int cur = -1;

	memset(s, 0, sizeof(*s));
	if (cs_read_file(LATENCY, buf, sizeof(buf)))
		cs_die("read %s", LATENCY);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[48], tag[80], tag2[80];
		unsigned long long lo, hi, n;
		long long g = 0;
		int k;

		if (!strncmp(line, "hist ", 5)) {
			cur = -1;
			tag[0] = tag2[0] = '\0';
			k = sscanf(line, "hist %47s %79s %79s", name, tag, tag2);
			if (k >= 2 && sscanf(tag, "group=%lld", &g) == 1) {
				memmove(tag, tag2, sizeof(tag));
			} else if (k == 3) {
				cs_fail("latency line '%s'", line);
				continue;
			}
			if (g != gen)
				continue;
			cur = hist_index(name);
			if (cur < 0) {
				cs_fail("latency names an unknown histogram: '%s'",
					line);
				continue;
			}
			if (s->seen[cur]++)
				cs_fail("latency has '%s' twice", line);
			k = strlen(tag);
			if (!strncmp(tag, "unavailable(", 12) && tag[k - 1] == ')')
				snprintf(s->why[cur], sizeof(s->why[cur]), "%.*s",
					 k - 13, tag + 12);
			else if (tag[0])
				cs_fail("latency line '%s'", line);
			continue;
		}
		if (cur < 0)
			continue;
		if (sscanf(line, "%llu %llu %llu", &lo, &hi, &n) != 3 || hi <= lo) {
			cs_fail("latency bucket line '%s'", line);
			continue;
		}
		s->sum[cur] += n;
		s->buckets[cur]++;
	}
}

/* Waits for go, writes @pages of R, forks @forks children that exit. */
static void child(struct cs_chan *c, char *r, long pages, int forks)
{
	int i;

	cs_chan_child(c);
	cs_wait_parent(c);
	cs_write_pages(r, 0, pages, 2);
	for (i = 0; i < forks; i++) {
		pid_t g = cs_fork(0);

		if (g == 0)
			_exit(0);
		if (cs_wait_exit(g))
			_exit(3);
	}
	cs_tell_parent(c, 1);
	cs_wait_parent(c);
	_exit(0);
}

static void check_group(const char *who, struct cs_group *g,
			const struct scope *s, long long copies,
			long long forks, int wp_timed)
{
	long long wp = 0;
	char what[96];
	int i;

	for (i = 0; i < NR_HISTS; i++)
		if (!s->seen[i])
			cs_fail("%s: no 'hist %s group=%lld' block", who,
				hist_names[i], g->gen);
	CS_EQ("forks counter", forks, cs_group_get(g, "forks"));
	snprintf(what, sizeof(what), "%s fork_copy samples", who);
	CS_EQ(what, forks, s->sum[0]);
	snprintf(what, sizeof(what), "%s thp_wp + hugetlb_wp samples", who);
	CS_EQ(what, 0, s->sum[5] + s->sum[6]);
	if (!wp_timed) {
		for (i = 1; i <= 4; i++)
			if (strcmp(s->why[i], "do_wp_page:wp_return=0") ||
			    s->buckets[i])
				cs_fail("%s: %s not unavailable(do_wp_page:wp_return=0) without buckets: '%s' %d",
					who, hist_names[i], s->why[i],
					s->buckets[i]);
		return;
	}
	for (i = 1; i <= 4; i++) {
		if (s->why[i][0])
			cs_fail("%s: %s unavailable(%s) with wp_return=1", who,
				hist_names[i], s->why[i]);
		wp += s->sum[i];
	}
	CS_EQ("cow_copies counter", copies, cs_group_get(g, "cow_copies"));
	CS_EQ("wp_faults counter", copies, cs_group_get(g, "wp_faults"));
	snprintf(what, sizeof(what), "%s wp_copy samples", who);
	CS_EQ(what, copies, s->sum[1]);
	snprintf(what, sizeof(what), "%s wp_* samples (= wp_faults)", who);
	CS_EQ(what, cs_group_get(g, "wp_faults"), wp);
}

int main(void)
{
	struct scope sys0, sys1, sa, sb;
	struct cs_group ga, gb;
	struct cs_chan ca, cb;
	char timing[8] = "";
	pid_t a, b;
	int wp_timed, i;
	char *r;

	cs_init("t05-group-hist", 0);
	if (cs_read_file(TIMING, timing, sizeof(timing)) ||
	    cs_write_file(TIMING, "1"))
		cs_die("switch %s on", TIMING);
	r = cs_region(0, N_PAGES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 1);
	cs_write_pages(r, 0, N_PAGES, 1);

	cs_chan_init(&ca);
	a = cs_fork(0);
	if (a == 0)
		child(&ca, r, K_PAGES, 1);
	cs_chan_parent(&ca);
	cs_chan_init(&cb);
	b = cs_fork(0);
	if (b == 0)
		child(&cb, r, 2 * K_PAGES, 2);
	cs_chan_parent(&cb);
	cs_track(&ga, a, r, r + RSIZE);
	cs_track(&gb, b, r, r + RSIZE);

	read_scope(0, &sys0);
	cs_tell_child(&ca, 1);
	cs_wait_child(&ca);
	cs_tell_child(&cb, 1);
	cs_wait_child(&cb);
	read_scope(0, &sys1);
	read_scope(ga.gen, &sa);
	read_scope(gb.gen, &sb);

	/* The system-wide wp_copy says whether do_wp_page is timed. */
	wp_timed = !sys1.why[1][0];
	check_group("group A", &ga, &sa, K_PAGES, 1, wp_timed);
	check_group("group B", &gb, &sb, 2 * K_PAGES, 2, wp_timed);
	for (i = 0; i < NR_HISTS; i++) {
		if (!sys1.seen[i])
			cs_fail("no system-wide 'hist %s' block", hist_names[i]);
		if (strcmp(sys1.why[i], sa.why[i]) ||
		    strcmp(sys1.why[i], sb.why[i]))
			cs_fail("%s: unavailable '%s' system-wide, '%s' and '%s' in the groups",
				hist_names[i], sys1.why[i], sa.why[i],
				sb.why[i]);
		if (sys1.sum[i] - sys0.sum[i] < sa.sum[i] + sb.sum[i])
			cs_fail("%s: the system gained %lld samples, less than the groups' %lld + %lld",
				hist_names[i], sys1.sum[i] - sys0.sum[i],
				sa.sum[i], sb.sum[i]);
	}

	cs_tell_child(&ca, 2);
	cs_tell_child(&cb, 2);
	cs_expect_exit0("child A", a);
	cs_expect_exit0("child B", b);
	cs_untrack(&ga);
	cs_untrack(&gb);
	if (timing[0] == '0' && cs_write_file(TIMING, "0"))
		cs_fail("cannot switch %s back off", TIMING);
	return cs_finish();
}
