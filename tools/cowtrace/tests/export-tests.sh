#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cowtrace export with the real consumers, on the host, against the fake
# debugfs of tests/fixtures (COWTRACE_DEBUGFS; see run-tests.sh) plus two
# live processes and the fork_ns health line added here:
#   - promtool check metrics accepts the exposition; exact lines;
#   - the textfile is replaced atomically (a reader never sees half of one,
#     the inode changes each write, no temporary file stays behind) and says
#     cowstat_up 0 while the module's files cannot be read;
#   - Debian's prometheus-node-exporter, started here on loopback with its
#     textfile collector on our directory, serves the exact values;
#   - Debian's prometheus, on loopback, scrapes that node_exporter and
#     PromQL queries return the exact values;
#   - contrib/prometheus rules pass promtool check rules and test rules.
# One "PASS export/<name>" or "FAIL export/<name>: why" line per test;
# a missing program is a FAIL naming the package.
#
# Run from anywhere; needs tools/cowtrace/cowtrace built.

set -u
cd "$(dirname "$0")/.." || exit 1
COWTRACE=$PWD/cowtrace
CONTRIB=$(cd ../.. && pwd)/contrib/prometheus
WORK=$(mktemp -d /tmp/cowtrace-export.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
LAYER="export" # used by lib.sh
# shellcheck source=tools/cowtrace/tests/lib.sh
. tests/lib.sh

need() { # PROGRAM PACKAGE
	command -v "$1" >/dev/null && return 0
	fail "prerequisite-$1" "$1 not found: install Debian's $2 (scripts/deps does)"
	return 1
}
have_promtool=1 have_ne=1 have_prom=1
need promtool prometheus || have_promtool=0
need prometheus-node-exporter prometheus-node-exporter || have_ne=0
need prometheus prometheus || have_prom=0
need curl curl || { have_ne=0; have_prom=0; }

# The fixture, with two live processes (one whose comm needs escaping)
# and the fork_ns health line.
mkdir -p "$WORK/root"
cp -r tests/fixtures/debugfs "$WORK/root/cowstat"
export COWTRACE_DEBUGFS=$WORK/root/cowstat
python3 - "$COWTRACE_DEBUGFS/procs" <<'EOF'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines()
head = lines[0].split()
def row(tgid, comm, **c):
    v = dict(state="live", gen=9, tgid=tgid, pid=tgid, ppid=1, start_ns=5000,
             exit_ns=0, fork_ns=0, birth="seen", initiator_remote=0, future_col=0)
    v.update(c)
    return " ".join(str(v.get(h, 0)) if h != "cow_copies_pfn" else "-" for h in head[:-1]) + " " + comm
lines.append(row(4000300, 'redis "bg\\save', forks=2, fork_pages_shared=4096,
                 fork_pt_pages=9, fork_ns=2130000, wp_faults=700, cow_copies=600,
                 cow_copies_anon=600, cow_reuses=100, cow_reuses_moved=100))
lines.append(row(4000301, "idle"))
open(path, "w").write("\n".join(lines) + "\n")
EOF
echo "fork_ns 3000000007" >>"$COWTRACE_DEBUGFS/stats"

# ---- the exposition itself ----
run_cmd "$COWTRACE" export
printf '%s\n' "$out" >"$WORK/stdout.prom"
if [ $have_promtool = 1 ]; then
	if [ $rc = 0 ] && perr=$(promtool check metrics <"$WORK/stdout.prom" 2>&1); then
		pass promtool_check_metrics
	else
		fail promtool_check_metrics "rc $rc; promtool: $perr $err"
	fi
fi
want_lines() { # NAME FILE LINE...: each LINE is in FILE, as a whole line
	local name=$1 file=$2 l missing=()
	shift 2
	for l in "$@"; do grep -qxF -- "$l" "$file" || missing+=("$l"); done
	if [ ${#missing[@]} = 0 ]; then pass "$name"; else fail "$name" "missing: ${missing[*]}"; fi
}
want_lines exposition_values "$WORK/stdout.prom" \
	'cowstat_up 1' \
	'# TYPE cowstat_cow_copies_total counter' \
	'cowstat_cow_copies_total 17407' \
	'cowstat_forks_total 1002' \
	'cowstat_cow_copies_by_kind_total{kind="anon"} 17400' \
	'cowstat_cow_copies_by_kind_total{kind="unshare"} 1000' \
	'cowstat_cow_reuses_by_kind_total{kind="exclusive"} 1000' \
	'cowstat_fork_pages_shared_by_kind_total{kind="shmem"} 1000' \
	'cowstat_fork_copy_seconds_total 3.000000007' \
	'cowstat_records_dropped_total 0' \
	'cowstat_records_live 12' \
	'# TYPE cowstat_records_pool gauge' \
	'cowstat_records_pool 5648' \
	'cowstat_probe_missed_total{probe="wp_page_copy"} 3' \
	'cowstat_probe_attached{probe="hugetlb_wp",method="none"} 0' \
	'cowstat_probe_attached{probe="wp_page_copy",method="int3"} 1' \
	'cowstat_available{counter="cow_copies_pfn"} 0' \
	'cowstat_available{counter="cow_copies_ksm"} 1' \
	'cowstat_process_cow_copies_total{pid="4000300",comm="redis \"bg\\save"} 600' \
	'cowstat_process_fork_copy_seconds_total{pid="4000300",comm="redis \"bg\\save"} 0.00213' \
	'cowstat_process_cow_copies_total{pid="4000100",comm="unrelated"} 5'
# Every counter of the list has its metric or is unavailable, never both.
if python3 - "$WORK/stdout.prom" ../../include/cowstat/counter-list.h <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
names = re.findall(r"^COWSTAT_COUNTER\((\w+), \w+, \"(.*)\"\)", open(sys.argv[2]).read(), re.M)
avail = dict(re.findall(r'^cowstat_available\{counter="(\w+)"\} ([01])$', text, re.M))
assert sorted(avail) == sorted(n for n, _ in names), "cowstat_available does not list every counter"
parent = None
for n, meaning in names:
    if meaning.startswith("...") and parent and n.startswith(parent + "_"):
        pat = r'^cowstat_%s_by_kind_total\{kind="%s"\} \d+$' % (parent, n[len(parent) + 1:])
    else:
        parent = n
        pat = r"^cowstat_%s_total \d+$" % n
    found = re.search(pat, text, re.M) is not None
    assert found == (avail[n] == "1"), "%s: metric %s, available %s" % (n, found, avail[n])
# Unavailable is absent, never 0.
assert 'kind="pfn"' not in text
EOF
then
	pass every_counter_or_unavailable
else
	fail every_counter_or_unavailable "see the assertion above"
fi
# Top-N: the busiest first, idle processes and exited ones not at all.
got=$(grep '^cowstat_process_cow_copies_total' "$WORK/stdout.prom" | sed 's/{pid="\([0-9]*\)".*/ \1/' | tr '\n' ' ')
[ "$got" = "cowstat_process_cow_copies_total 4000300 cowstat_process_cow_copies_total 4000100 " ] &&
	pass top_order || fail top_order "got '$got'"
run_cmd "$COWTRACE" export -n 1
n=$(grep -c '^cowstat_process_' <<<"$out")
[ $rc = 0 ] && [ "$n" = 8 ] && ! grep -q 4000100 <<<"$out" && pass top_n_bounds ||
	fail top_n_bounds "rc $rc, $n per-process samples with -n 1, want 8"
run_cmd "$COWTRACE" export -n 0
[ $rc = 0 ] && ! grep -q '^cowstat_process_' <<<"$out" && pass top_0_none || fail top_0_none "rc $rc"

check_error err_interval_without_textfile 2 "give --textfile DIR too" "$COWTRACE" export -i 1
check_error err_textfile_not_dir 2 "is not a directory" "$COWTRACE" export --textfile "$WORK/nonexistent"
check_error err_export_bpf 2 "module's counters" "$COWTRACE" --backend=bpf export
check_error err_export_arg 2 "takes no arguments" "$COWTRACE" export foo
mkdir -p "$WORK/root/empty"
check_error err_no_module 1 "" env COWTRACE_DEBUGFS="$WORK/root/empty" "$COWTRACE" export

# ---- the textfile ----
TF=$WORK/textfile
mkdir -p "$TF"
run_cmd "$COWTRACE" export --textfile "$TF"
if [ $rc = 0 ] && [ -z "$out" ] && cmp -s "$TF/cowstat.prom" "$WORK/stdout.prom" &&
   [ "$(stat -c %a "$TF/cowstat.prom")" = 644 ] && [ "$(ls -A "$TF")" = cowstat.prom ]; then
	pass textfile_once
else
	fail textfile_once "rc $rc; $(ls -lA "$TF"); $(diff "$TF/cowstat.prom" "$WORK/stdout.prom" | head -3)"
fi

# Replaced, not rewritten in place: a reader that opened the old file
# still reads all of it after the new one is in place (a truncate and
# rewrite would show it empty or changed), and the path gives the new one.
exec 7<"$TF/cowstat.prom"
sed -i 's/^forks 1002$/forks 1003/' "$COWTRACE_DEBUGFS/stats"
run_cmd "$COWTRACE" export --textfile "$TF"
old=$(cat <&7)
exec 7<&-
sed -i 's/^forks 1003$/forks 1002/' "$COWTRACE_DEBUGFS/stats"
if [ $rc = 0 ] && [ "$old" = "$(cat "$WORK/stdout.prom")" ] &&
   grep -qx 'cowstat_forks_total 1003' "$TF/cowstat.prom" && [ "$(ls -A "$TF")" = cowstat.prom ]; then
	pass textfile_replaced_by_rename
else
	fail textfile_replaced_by_rename "rc $rc; the old file's reader saw $(wc -l <<<"$old") lines; new: $(grep '^cowstat_forks_total' "$TF/cowstat.prom")"
fi

# Atomic under load: a reader polling the file while it is rewritten every
# 20 ms sees the whole exposition every time.  It reads until it has seen
# the file change 3 times in at least 200 reads (at most 30 s: a loaded
# host may start it late or run it rarely), then the writer is stopped.
nlines=$(wc -l <"$WORK/stdout.prom")
"$COWTRACE" export --textfile "$TF" -i 0.02 2>"$WORK/loop.err" &
loop=$!
python3 - "$TF/cowstat.prom" "$nlines" >"$WORK/reader.out" <<'PY'
import os, sys, time
path, want = sys.argv[1], int(sys.argv[2])
reads = torn = changes = 0
last = None
end = time.monotonic() + 30
while time.monotonic() < end and (reads < 200 or changes < 3):
    with open(path) as f:
        st = os.fstat(f.fileno())
        ident = (st.st_ino, st.st_mtime_ns)
        changes += last is not None and ident != last
        last = ident
        text = f.read()
    reads += 1
    if text.count("\n") != want or not text.endswith("\n") or not text.startswith("# HELP cowstat_up"):
        torn += 1
print(reads, torn, changes)
PY
kill -TERM $loop
wait $loop
lrc=$?
read -r reads torn changes <"$WORK/reader.out"
echo "textfile_atomic: $reads reads, $torn torn, $changes changes seen"
if [ $lrc = 0 ] && [ "${torn:-1}" = 0 ] && [ "${reads:-0}" -ge 20 ] && [ "${changes:-0}" -ge 1 ] &&
   [ "$(ls -A "$TF")" = cowstat.prom ] && cmp -s "$TF/cowstat.prom" "$WORK/stdout.prom"; then
	pass textfile_atomic
else
	fail textfile_atomic "rc $lrc; $reads reads, $torn torn, $changes changes; dir: $(ls -A "$TF" | tr '\n' ' ')"
fi

# The module's files unreadable (unloaded): cowstat_up 0 alone, the loop
# goes on and recovers; SIGTERM ends it with status 0 and no temporary.
"$COWTRACE" export --textfile "$TF" -i 0.05 2>"$WORK/loop.err" &
loop=$!
# wait_file TEXT: until the file's last line is TEXT, at most 20 s.
wait_file() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(tail -n 1 "$TF/cowstat.prom")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
mv "$COWTRACE_DEBUGFS/stats" "$WORK/stats.away"
wait_file "cowstat_up 0"
down=$(cat "$TF/cowstat.prom")
mv "$WORK/stats.away" "$COWTRACE_DEBUGFS/stats"
wait_file "$(tail -n 1 "$WORK/stdout.prom")"
kill -TERM $loop
wait $loop
lrc=$?
if [ "$(grep -v '^#' <<<"$down")" = "cowstat_up 0" ] && [ $lrc = 0 ] &&
   cmp -s "$TF/cowstat.prom" "$WORK/stdout.prom" && [ "$(ls -A "$TF")" = cowstat.prom ] &&
   [ "$(grep -c 'cowstat_up 0' "$WORK/loop.err")" = 1 ]; then
	pass textfile_module_gone
else
	fail textfile_module_gone "rc $lrc; while gone: $down; stderr: $(cat "$WORK/loop.err")"
fi

# ---- node_exporter and Prometheus ----
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_http URL SECONDS: polls until URL answers.
wait_http() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.2
	done
	return 1
}
if [ $have_ne = 1 ]; then
	ne_port=$(free_port)
	prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$TF" >"$WORK/ne.log" 2>&1 &
	pids+=($!)
	if wait_http "http://127.0.0.1:$ne_port/metrics" 60; then
		curl -sf "http://127.0.0.1:$ne_port/metrics" >"$WORK/scrape.txt"
		# node_exporter sorts the labels by name.
		want_lines node_exporter_serves "$WORK/scrape.txt" \
			'cowstat_up 1' \
			'cowstat_cow_copies_total 17407' \
			'cowstat_cow_copies_by_kind_total{kind="zero"} 1006' \
			'cowstat_fork_copy_seconds_total 3.000000007' \
			'cowstat_available{counter="cow_copies_pfn"} 0' \
			'cowstat_process_cow_copies_total{comm="redis \"bg\\save",pid="4000300"} 600' \
			'node_textfile_scrape_error 0'
		grep -q 'kind="pfn"' "$WORK/scrape.txt" && fail node_exporter_no_unavailable "pfn served" ||
			pass node_exporter_no_unavailable
	else
		fail node_exporter_serves "no answer on 127.0.0.1:$ne_port in 60 s: $(tail -n 3 "$WORK/ne.log")"
		have_prom=0
	fi
else
	have_prom=0
fi

# query EXPR: the value of an instant query's single result, or "none".
query() {
	curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
		python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none")'
}
if [ $have_prom = 1 ]; then
	prom_port=$(free_port)
	cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $CONTRIB/cowstat-rules.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
EOF
	prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
		--web.listen-address="127.0.0.1:$prom_port" >"$WORK/prom.log" 2>&1 &
	pids+=($!)
	if wait_http "http://127.0.0.1:$prom_port/-/ready" 120; then
		# Poll (1 s scrapes) until the first scrape is in, at most 60 s.
		for ((i = 0; i < 120; i++)); do
			v=$(query cowstat_cow_copies_total)
			[ "$v" != none ] && break
			sleep 0.5
		done
		[ "$v" = 17407 ] && pass promql_cow_copies || fail promql_cow_copies "got $v"
		v=$(query 'sum(cowstat_cow_copies_by_kind_total)')
		[ "$v" = 21407 ] && pass promql_sum_by_kind || fail promql_sum_by_kind "got $v, want 21407"
		v=$(query 'cowstat_available{counter="cow_copies_pfn"} == 0 and on() absent(cowstat_cow_copies_by_kind_total{kind="pfn"})')
		[ "$v" = 0 ] && pass promql_unavailable_absent || fail promql_unavailable_absent "got $v"
		v=$(query 'cowstat_process_fork_copy_seconds_total{pid="4000300"}')
		[ "$v" = 0.00213 ] && pass promql_process || fail promql_process "got $v"
		v=$(curl -sf "http://127.0.0.1:$prom_port/api/v1/rules" | python3 -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
print(sum(1 for x in g for r in x["rules"] if r.get("health") == "ok"), sum(len(x["rules"]) for x in g))')
		read -r ok all <<<"$v"
		[ "${all:-0}" -gt 0 ] && [ "$ok" = "$all" ] && pass prometheus_loads_rules ||
			fail prometheus_loads_rules "$ok of $all rules healthy"
	else
		fail promql_cow_copies "Prometheus not ready on 127.0.0.1:$prom_port in 120 s: $(tail -n 3 "$WORK/prom.log")"
	fi
fi

# ---- contrib/prometheus ----
if [ $have_promtool = 1 ]; then
	run_cmd promtool check rules "$CONTRIB/cowstat-rules.yml"
	[ $rc = 0 ] && pass promtool_check_rules || fail promtool_check_rules "$out $err"
	run_cmd promtool test rules "$CONTRIB/cowstat-rules.test.yml"
	[ $rc = 0 ] && pass promtool_test_rules || fail promtool_test_rules "$(tail -n 20 "$WORK/out" "$WORK/err")"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
