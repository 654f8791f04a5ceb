#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cowtrace host tests: the C unit tests, then the command line against a
# fake debugfs (COWTRACE_DEBUGFS) built from tests/fixtures/debugfs.  One
# "PASS cowtrace/<name>" or "FAIL cowtrace/<name>: <why>" line per test,
# then "N passed, N failed"; exits non-zero on any failure.
#
# Run from tools/cowtrace (make test does).

set -u
cd "$(dirname "$0")/.." || exit 1
COWTRACE=$PWD/cowtrace
UNIT=$PWD/.output/test-cowtrace
FIXTURES=$PWD/tests/fixtures/debugfs
WORK=$(mktemp -d /tmp/cowtrace-test.XXXXXX)
trap 'rm -rf "$WORK"; tmux kill-session -t "cowtrace-test-$$" 2>/dev/null' EXIT

LAYER=cowtrace
# shellcheck source=tools/cowtrace/tests/lib.sh
. tests/lib.sh

# A fresh copy of the fixture directory for each test, so logs start empty.
fresh() {
	rm -rf "$WORK/root"
	mkdir -p "$WORK/root"
	cp -r "$FIXTURES" "$WORK/root/cowstat"
	export COWTRACE_DEBUGFS=$WORK/root/cowstat
}

# Nothing left behind: every group cowtrace started was closed.
check_closed() {
	local name=$1 log=$COWTRACE_DEBUGFS/track.log
	if [ ! -e "$log" ]; then
		pass "$name"
	elif [ "$(tail -n1 "$log")" = close ]; then
		pass "$name"
	else
		fail "$name" "track.log does not end with close: $(tr '\n' ' ' <"$log")"
	fi
}

# ---- unit tests ----
unit_out=$("$UNIT" "$WORK" 2>&1)
unit_rc=$?
while IFS= read -r line; do
	case $line in
	"PASS cowtrace/"*) echo "$line"; passed=$((passed + 1)) ;;
	"FAIL cowtrace/"*) echo "$line"; failed=$((failed + 1)) ;;
	esac
done <<<"$unit_out"
if [ $unit_rc != 0 ] && ! grep -q '^FAIL' <<<"$unit_out"; then
	fail unit_runner "exited $unit_rc without a FAIL line"
fi
if python3 -m json.tool "$WORK/report.json" >/dev/null 2>"$WORK/jerr"; then
	pass json_tool_report
else
	fail json_tool_report "python3 -m json.tool: $(cat "$WORK/jerr")"
fi

# ---- --timeline: the unit tests' SVGs, read back (timeline-check.py) ----
if ! command -v xmllint >/dev/null; then
	fail timeline_xmllint "xmllint is missing: install libxml2-utils (scripts/deps)"
else
	for svg in timeline timeline-lost timeline-lanes timeline-rt; do
		if xmllint --noout "$WORK/$svg.svg" 2>"$WORK/xerr"; then
			pass "timeline_xmllint_$svg"
		else
			fail "timeline_xmllint_$svg" "$(head -c 300 "$WORK/xerr")"
		fi
	done
fi
# The fixed event list of test_timeline_svg(): 100 alive at the start (4
# anon copies, 1 of unknown kind), 101 forked at 100 ms and exited at 600
# ms (5 heap + 3 stack copies, 2 reuses), 102 forked with no event.
tl_check() {
	local name=$1 out
	shift
	if out=$(python3 tests/timeline-check.py "$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$out"
	fi
}
tl_check timeline_svg_readback "$WORK/timeline.svg" --copies 13 --reuses 2 --total-copies 13 \
	--lanes 3 --pids 100,101,102 --lane 100:5:0 --lane 101:8:2 --lane 102:0:0 \
	--no-fork 100 --fork 101 --exit 101 --fork 102 --lost 0 \
	--kind heap:5 --kind stack:3 --kind anon:4 --kind unknown:1 --kind reuse:2
tl_check timeline_svg_lost "$WORK/timeline-lost.svg" --copies 13 --lost 7
# 30 processes, p<i> with i copies: 23 lanes and "other" (pid 0) with 21
tl_check timeline_svg_lane_limit "$WORK/timeline-lanes.svg" --lanes 24 --copies 435 \
	--lane 0:21:0 --lane 1029:29:0 --lane 1007:7:0
# and the checker can fail: a wrong count is caught
if python3 tests/timeline-check.py "$WORK/timeline.svg" --copies 14 >/dev/null 2>&1; then
	fail timeline_check_can_fail "timeline-check.py accepted 14 copies for 13"
else
	pass timeline_check_can_fail
fi

# ---- run: report (on stderr: stdout is COMMAND's), exit status ----
fresh
run_cmd "$COWTRACE" -- sh -c 'exit 3'
if [ $rc = 3 ] && [ -z "$out" ] && grep -q 'exited with status 3' <<<"$err" &&
   grep -Eq '^ *4000001 +python3 +16390 +16390 +64\.0M +16384 +6 ' <<<"$err" &&
   grep -Eq '^ *4000002 +4000001 +my worker +500\.0us' <<<"$err" &&
   grep -Eq '^ *total +32791 +16407 +64\.1M' <<<"$err"; then
	pass run_report_text
else
	fail run_report_text "rc $rc; stdout '$out'; stderr: $err"
fi
check_closed run_group_closed
# The group started before COMMAND ran: the PID written is COMMAND's.
leader=$(head -n1 "$COWTRACE_DEBUGFS/track.log")
if grep -Eq "^ *$leader +[0-9]+ +python3 " <<<"$err"; then
	pass run_tracks_command_pid
else
	fail run_tracks_command_pid "PID $leader not the leader row: $err"
fi

# The issue's acceptance lines: stdout is COMMAND's alone, the report is
# on stderr and parses as JSON by itself.
fresh
got=$("$COWTRACE" -- sh -c 'echo hi' 2>/dev/null | cat)
[ "$got" = hi ] && pass run_stdout_is_commands || fail run_stdout_is_commands "stdout '$got'"
if "$COWTRACE" --json -- sh -c 'echo hi' 2>&1 >/dev/null | python3 -m json.tool >/dev/null 2>"$WORK/jerr"; then
	pass run_json_on_stderr_parses
else
	fail run_json_on_stderr_parses "$(cat "$WORK/jerr")"
fi

fresh
run_cmd "$COWTRACE" -- sh -c 'kill -KILL $$'
[ $rc = 137 ] && grep -q 'killed by signal 9' <<<"$err" && pass run_signal_status ||
	fail run_signal_status "rc $rc, want 137: $err"

fresh
run_cmd "$COWTRACE" --json -- true
out=$err
if [ $rc = 0 ] && python3 -m json.tool <<<"$out" >/dev/null 2>&1 &&
   python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["mode"] == "run" and d["exit_status"] == 0 and d["signal"] is None
assert d["total"]["counters"]["cow_copies"] == 16407
assert d["total"]["bytes"]["cow_copies"] == 16407 * 4096
assert d["total"]["fork_ns"] == 2130000
assert [p["pid"] for p in d["processes"]][1:] == [4000001, 4000002]
assert d["processes"][2]["comm"] == "my worker"
assert d["processes"][1]["lifetime_ns"] == 300000000
assert d["capabilities"]["cow_copies_pfn"] == "unavailable"
assert len(d["groups"]) == 1 and d["groups"][0]["id"] == 3
assert d["cowtrace_json_format"] == 3 and d["type"] == "report"
# The per-process rows add up to the group total.
for k in d["total"]["counters"]:
    if d["total"]["counters"][k] is None:
        continue
    assert sum(p["counters"][k] for p in d["processes"]) == d["total"]["counters"][k], k
' <<<"$out"; then
	pass run_json
else
	fail run_json "rc $rc; $(python3 -m json.tool <<<"$out" 2>&1 | tail -n2)"
fi

# Unavailable (cow_copies_pfn in the fixture) is "-" and null, never 0:
# from a format 2 module ("-" in its files), and from a format 1 module
# (0 in its files, unavailable in probes).
check_unavailable() { # NAME
	local name=$1
	run_cmd "$COWTRACE" --json -- true
	if [ $rc = 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
k = "cow_copies_pfn"
assert d["total"]["counters"][k] is None and d["total"]["bytes"][k] is None
assert all(p["counters"][k] is None and p["bytes"][k] is None for p in d["processes"])
assert all(g["counters"][k] is None for g in d["groups"])
assert d["total"]["counters"]["cow_copies_ksm"] == 0
' <<<"$err"; then
		pass "${name}_json"
	else
		fail "${name}_json" "rc $rc: $(grep -o '"cow_copies_pfn": [^,]*' <<<"$err" | sort | uniq -c | tr '\n' ' ')"
	fi
	run_cmd "$COWTRACE" --all -- true
	if [ $rc = 0 ] && grep -Eq '^  cow_copies_pfn +- +unavailable' <<<"$err"; then
		pass "${name}_text"
	else
		fail "${name}_text" "rc $rc: $(grep cow_copies_pfn <<<"$err")"
	fi
	run_cmd "$COWTRACE" -p $$ -d 0.3 -i 0.2 --json
	if [ $rc = 0 ] && python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
for l in lines:
    d = json.loads(l)
    c = d["counters"] if d["type"] == "interval" else d["total"]["counters"]
    assert c["cow_copies_pfn"] is None, l[:200]
' <<<"$out"; then
		pass "${name}_json_lines"
	else
		fail "${name}_json_lines" "rc $rc: $(head -c 300 <<<"$out")"
	fi
}
fresh
check_unavailable unavailable_format2
fresh
sed -i 's/ - / 0 /' "$COWTRACE_DEBUGFS"/procs* "$COWTRACE_DEBUGFS/track"
sed -i 's/^cow_copies_pfn -$/cow_copies_pfn 0/' "$COWTRACE_DEBUGFS/stats"
echo 'cowstat 0.1 format 1' >"$COWTRACE_DEBUGFS/version"
if grep -q ' - ' "$COWTRACE_DEBUGFS/procs"; then
	fail unavailable_format1_fixture "procs still has a -"
fi
check_unavailable unavailable_format1

# --hist: the module (format 3) keeps histograms per track group; cowtrace
# shows its own group's (gen 3: 16401 copies), not the system's (16000) nor
# the other group's (999), and says so.
fresh
run_cmd "$COWTRACE" --hist -- true
if [ $rc = 0 ] && grep -q '^wp_copy' <<<"$err" &&
   grep -Eq '^ *1024 -> 2047 +: 16401 +\|\*{40}\|' <<<"$err" &&
   grep -Eq '^ *2048 -> 4095 +: 0 ' <<<"$err" && ! grep -Eq ': (16000|999) ' <<<"$err"; then
	pass run_hist
else
	fail run_hist "rc $rc: $err"
fi
if grep -Eq '^Latency of the track group \(leader [0-9]+ and its descendants\), during the run:$' <<<"$err"; then
	pass run_hist_scope_text
else
	fail run_hist_scope_text "$(grep -i latency <<<"$err")"
fi
run_cmd "$COWTRACE" --hist --json -- true
python3 -c '
import json, sys
d = json.load(sys.stdin)
h = d["histograms"]
assert d["histograms_scope"] == "group", d["histograms_scope"]
assert h["wp_copy"] == [{"lo_ns": 512, "hi_ns": 1023, "count": 6},
                        {"lo_ns": 1024, "hi_ns": 2047, "count": 16401}], h["wp_copy"]
assert sum(b["count"] for b in h["fork_copy"]) == d["groups"][0]["counters"]["forks"] == 2
' <<<"$err" && pass run_hist_scope_json || fail run_hist_scope_json "rc $rc: $(tail -n 3 <<<"$err")"
# Attach mode too: the attached PID's group.
run_cmd "$COWTRACE" -p $$ -d 0.2 --hist --json
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["mode"] == "attach" and d["histograms_scope"] == "group"
assert d["histograms"]["wp_copy"][1] == {"lo_ns": 1024, "hi_ns": 2047, "count": 16401}
' <<<"$out" && pass attach_hist_group || fail attach_hist_group "rc $rc: $(tail -n 3 <<<"$out$err")"
run_cmd "$COWTRACE" -p $$ -d 0.2 --hist
if grep -Eq '^Latency of the track group \(leader [0-9]+ and its descendants\), while attached:$' <<<"$out$err"; then
	pass attach_hist_group_text
else
	fail attach_hist_group_text "$(grep -i latency <<<"$out$err")"
fi
# A module of format 2 has system-wide histograms only: labelled so.
fresh
echo 'cowstat 0.1 format 2' >"$COWTRACE_DEBUGFS/version"
sed -i '/group=/,$d' "$COWTRACE_DEBUGFS/latency"
run_cmd "$COWTRACE" --hist -- true
if [ $rc = 0 ] && grep -Eq '^ *1024 -> 2047 +: 16000 +\|\*{40}\|' <<<"$err" &&
   grep -q '^Latency, system-wide (every process on the system, not only the track group)' <<<"$err"; then
	pass run_hist_format2_system
else
	fail run_hist_format2_system "rc $rc: $(grep -A3 -i latency <<<"$err")"
fi
run_cmd "$COWTRACE" --hist --json -- true
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["histograms_scope"] == "system" and d["histograms"]["wp_copy"][1]["count"] == 16000
' <<<"$err" && pass run_hist_format2_json || fail run_hist_format2_json "rc $rc"

fresh
run_cmd "$COWTRACE" -o "$WORK/report.txt" -- sh -c 'echo from-command'
if [ $rc = 0 ] && [ "$out" = from-command ] && [ -z "$err" ] &&
   grep -q 'Fork sharing' "$WORK/report.txt"; then
	pass run_output_file
else
	fail run_output_file "rc $rc, stdout '$out', stderr '$err'"
fi
# -o to an unwritable path fails before COMMAND runs, with one line.
fresh
rm -f "$WORK/ran"
check_error err_output_unwritable 1 "cannot write $WORK/no/such/dir/r.txt" \
	"$COWTRACE" -o "$WORK/no/such/dir/r.txt" -- touch "$WORK/ran"
[ ! -e "$WORK/ran" ] && pass err_output_before_command ||
	fail err_output_before_command "COMMAND ran although -o could not be written"
check_closed err_output_unwritable_closed

# The module's health lines grew during the run: the report says the
# counts are lower bounds, and by how much each grew.
fresh
run_cmd "$COWTRACE" -- sh -c 'sed -i -e "s/^tct_full 0$/tct_full 2/" -e "s/^fork_deltas_clamped 0$/fork_deltas_clamped 1/" "$COWTRACE_DEBUGFS/stats"'
if [ $rc = 0 ] && grep -q "^note: the module could not follow every event during the run (tct_full +2, fork_deltas_clamped +1): the counts are lower bounds$" <<<"$err"; then
	pass note_health_grew
else
	fail note_health_grew "rc $rc: $(grep note <<<"$err")"
fi
fresh
run_cmd "$COWTRACE" -- true
if [ $rc = 0 ] && ! grep -q "could not follow" <<<"$err"; then
	pass note_health_quiet
else
	fail note_health_quiet "rc $rc: $(grep note <<<"$err")"
fi

# The report cannot be read after COMMAND ran: COMMAND's status stays.
fresh
run_cmd "$COWTRACE" -- sh -c 'rm "$COWTRACE_DEBUGFS/procs"; exit 5'
if [ $rc = 5 ] && grep -q "^cowtrace: no report: .*COMMAND exited with status 5, and cowtrace exits with 5" <<<"$err"; then
	pass run_report_fails_keeps_status
else
	fail run_report_fails_keeps_status "rc $rc: $err"
fi

# Run mode waits for the whole tree: procs.1 and procs.2 show the child
# 4000001 still live after the leader exited; the report comes once it
# is gone.  --leader-only reports at once.
make_live_child() {
	python3 - "$FIXTURES/procs" <<'PY'
import sys
for line in open(sys.argv[1]).read().splitlines():
    f = line.split(" ")
    if len(f) > 6 and f[2] == "4000001":
        f[0] = "live"
        f[6] = "0"
    print(" ".join(f))
PY
}
fresh
make_live_child >"$COWTRACE_DEBUGFS/procs.1"
cp "$COWTRACE_DEBUGFS/procs.1" "$COWTRACE_DEBUGFS/procs.2"
run_cmd "$COWTRACE" --json -- true
if [ $rc = 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
p = [p for p in d["processes"] if p["pid"] == 4000001][0]
assert p["state"] == "exited", p["state"]
assert d["waited_ns"] >= 400000000, d["waited_ns"]
' <<<"$err"; then
	pass run_waits_for_tree
else
	fail run_waits_for_tree "rc $rc: $(grep -E '"(state|waited_ns)"' <<<"$err" | tr -d ' \n')"
fi
fresh
make_live_child >"$COWTRACE_DEBUGFS/procs.1"
cp "$COWTRACE_DEBUGFS/procs.1" "$COWTRACE_DEBUGFS/procs.2"
run_cmd "$COWTRACE" --json --leader-only -- true
if [ $rc = 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
p = [p for p in d["processes"] if p["pid"] == 4000001][0]
assert p["state"] == "live" and d["waited_ns"] == 0, (p["state"], d["waited_ns"])
' <<<"$err"; then
	pass run_leader_only
else
	fail run_leader_only "rc $rc: $(grep -E '"(state|waited_ns)"' <<<"$err" | tr -d ' \n')"
fi

# -x SEP: separated values (perf stat -x), one header, "-" for unavailable.
fresh
run_cmd "$COWTRACE" -x , -- sh -c 'echo out'
if [ $rc = 0 ] && [ "$out" = out ] && python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin.read().splitlines()))
hdr = rows[0]
assert hdr[:5] == ["type", "interval", "pid", "ppid", "comm"] and hdr[-1] == "fork_ns", hdr[:6]
assert all(len(r) == len(hdr) for r in rows), [len(r) for r in rows]
d = [dict(zip(hdr, r)) for r in rows[1:]]
assert [r["type"] for r in d] == ["process"] * 3 + ["total"]
assert d[-1]["cow_copies"] == "16407" and d[-1]["fork_ns"] == "2130000"
assert d[2]["comm"] == "my worker" and d[2]["pid"] == "4000002"
assert all(r["cow_copies_pfn"] == "-" for r in d)
' <<<"$err"; then
	pass run_separated_values
else
	fail run_separated_values "rc $rc: $(head -c 300 <<<"$err")"
fi
fresh
run_cmd "$COWTRACE" -x ';' -i 0.2 -- sleep 0.3
if [ $rc = 0 ] && python3 -c '
import sys
rows = [l.split(";") for l in sys.stdin.read().splitlines()]
types = [r[0] for r in rows[1:]]
assert rows[0][0] == "type" and "interval_total" in types and types[-1] == "total", types
assert all(len(r) == len(rows[0]) for r in rows)
' <<<"$err"; then
	pass run_separated_values_intervals
else
	fail run_separated_values_intervals "rc $rc: $(head -c 300 <<<"$err")"
fi
check_error err_sep_json 2 "either --json or -x SEP" "$COWTRACE" -x , --json -- true

# -i with a COMMAND: interval reports while it runs, then the report.
fresh
run_cmd "$COWTRACE" -i 0.2 -- sleep 0.75
n=$(grep -Ec '^interval [0-9]+: [0-9.]+s to [0-9.]+s$' <<<"$err")
if [ $rc = 0 ] && [ -z "$out" ] && [ "$n" -ge 3 ] && [ "$n" -le 4 ] &&
   grep -q '^cowtrace: sleep 0.75: exited with status 0' <<<"$err"; then
	pass run_interval_text
else
	fail run_interval_text "rc $rc, $n intervals: $err"
fi
fresh
run_cmd "$COWTRACE" -i 0.2 -T -- sleep 0.3
grep -Eq '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] interval 1: ' <<<"$err" && pass run_interval_timestamp ||
	fail run_interval_timestamp "rc $rc: $(head -n3 <<<"$err")"
fresh
run_cmd "$COWTRACE" -i 0.2 --json -- sh -c 'sleep 0.5; echo done'
if [ $rc = 0 ] && [ "$out" = done ] && python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin.read().splitlines()]
types = [r["type"] for r in recs]
assert types[-1] == "report" and set(types[:-1]) == {"interval"} and len(types) >= 3, types
assert all(r["cowtrace_json_format"] == 3 and r["mode"] == "run" for r in recs)
iv = recs[0]
assert iv["interval"] == 1 and iv["counters"]["cow_copies"] == 16407, iv["counters"]["cow_copies"]
assert recs[1]["counters"]["cow_copies"] == 0
assert recs[-1]["total"]["counters"]["cow_copies"] == 16407
' <<<"$err"; then
	pass run_interval_json_lines
else
	fail run_interval_json_lines "rc $rc, stdout '$out': $(head -c 400 <<<"$err")"
fi

fresh
run_cmd "$COWTRACE" -u nobody -- id -u
if [ $rc = 0 ] && [ "$(head -n1 <<<"$out")" = "$(id -u nobody)" ]; then
	pass run_as_user
else
	fail run_as_user "rc $rc, id -u printed '$(head -n1 <<<"$out")'"
fi

fresh
run_cmd env SUDO_UID="$(id -u nobody)" SUDO_GID="$(id -g nobody)" SUDO_USER=nobody \
	"$COWTRACE" -- id -u
if [ $rc = 0 ] && [ "$(head -n1 <<<"$out")" = "$(id -u nobody)" ]; then
	pass run_sudo_user_default
else
	fail run_sudo_user_default "rc $rc, id -u printed '$(head -n1 <<<"$out")'"
fi

# ---- errors: one line, cause and fix, right exit status ----
fresh
check_error err_not_found 127 "nosuchcommand: command not found" "$COWTRACE" -- nosuchcommand
check_closed err_not_found_closed
check_error err_not_executable 126 "cannot execute" "$COWTRACE" -- /etc/passwd
check_error err_spawn_stage_typed 2 "__spawn is cowtrace's own stage" "$COWTRACE" __spawn 3 4
# Option errors are argp's own: its message, then its "Try" line.
check_argp_error() { # NAME TEXT CMD...
	local name=$1 text=$2
	shift 2
	run_cmd "$@"
	if [ "$rc" != 2 ]; then
		fail "$name" "exit $rc, want 2 (stderr: $err)"
	elif [[ "$(head -n1 <<<"$err")" != "$text"* ]]; then
		fail "$name" "first line '$(head -n1 <<<"$err")', want '$text'"
	elif ! sed -n 2p <<<"$err" | grep -q "^Try .cowtrace.* --help' or .cowtrace.* --usage' for more information\.$"; then
		fail "$name" "no Try line: $err"
	else
		pass "$name"
	fi
}
check_argp_error err_unknown_option "cowtrace: unrecognized option '--bogus'" "$COWTRACE" --bogus -- true
check_argp_error err_unknown_short "cowtrace: invalid option -- 'q'" "$COWTRACE" -jq -- true
check_argp_error err_missing_value "cowtrace: option requires an argument -- 'p'" "$COWTRACE" -p
check_argp_error err_ambiguous "cowtrace: option '--h' is ambiguous; possibilities: '--" \
	"$COWTRACE" --h
check_argp_error err_top_unknown "cowtrace top: unrecognized option '--bogus'" "$COWTRACE" top --bogus
check_error err_bad_pid 2 "-p wants a whole number" "$COWTRACE" -p 12x
check_error err_bad_seconds 2 "-i wants seconds" "$COWTRACE" -p 1 -i -3
check_error err_no_command 2 "no COMMAND" "$COWTRACE"
check_error err_both 2 "not both" "$COWTRACE" -p 1 -- true
check_argp_error err_value_on_flag "cowtrace: option '--json' doesn't allow an argument" \
	"$COWTRACE" --json=1 -- true
check_error err_timestamp_alone 2 "-T stamps interval reports" "$COWTRACE" -T -- true
check_error err_top_three_args 2 "top takes at most INTERVAL and COUNT, not '3'" "$COWTRACE" top 1 2 3
check_error err_top_bad_interval 2 "INTERVAL wants seconds" "$COWTRACE" top x
check_error err_bad_user 2 "no user 'nosuchuser'" "$COWTRACE" -u nosuchuser -- true
check_error err_top_sort 2 "no sort key 'size'" "$COWTRACE" top -s size
check_error err_status_arg 2 "takes no argument" "$COWTRACE" status now
check_error err_no_such_pid 1 "no process 2147483000: check the PID" "$COWTRACE" -p 2147483000
# -c CGROUP: the errors that need no cgroup (the rest are in vm-tests.sh).
check_error err_cgroup_missing 1 "-c: no cgroup /nonexistent/cg: No such file or directory: give a cgroup v2 directory" \
	"$COWTRACE" -c /nonexistent/cg
check_error err_cgroup_not_dir 1 "-c: /etc/passwd is not a directory: give a cgroup v2 directory" \
	"$COWTRACE" -c /etc/passwd
check_error err_cgroup_plain_dir 1 "-c: $WORK is not a cgroup: give a directory" "$COWTRACE" -c "$WORK"
check_error err_top_cgroup_plain_dir 1 "-c: $WORK is not a cgroup" "$COWTRACE" top -c "$WORK"
check_error err_cgroup_twice 2 "-c given twice: cowtrace follows one cgroup" "$COWTRACE" -c a -c b
check_error err_top_cgroup_twice 2 "-c given twice: cowtrace top follows one cgroup" \
	"$COWTRACE" top -c a -c b
check_error err_cgroup_empty 2 "-c wants a cgroup v2 directory, not ''" "$COWTRACE" -c ''
check_error err_cgroup_and_pid 2 "give either -c CGROUP or -p PID, not both" "$COWTRACE" -c a -p 1
check_error err_cgroup_and_command 2 "give either -c CGROUP or a COMMAND, not both" \
	"$COWTRACE" -c a -- true
check_error err_cgroup_and_user 2 "-u goes with a COMMAND" "$COWTRACE" -c a -u nobody
check_error err_top_count_was_c 2 "-c 987654: top's -c names a cgroup now; to stop after 987654 refreshes give --count 987654 or COUNT" \
	"$COWTRACE" top -c 987654
check_error err_not_loaded 1 "not found: load the module (insmod cowstat.ko)" \
	env COWTRACE_DEBUGFS="$WORK/root/missing" "$COWTRACE" -- true
check_error err_no_debugfs 1 "debugfs is not mounted at $WORK/none: mount it" \
	env COWTRACE_DEBUGFS="$WORK/none/cowstat" "$COWTRACE" -- true
echo cowstat 9 format 4 >"$COWTRACE_DEBUGFS/version"
check_error err_format 1 "format 4, this cowtrace formats 1 to 3" "$COWTRACE" -- true
fresh
echo ENOSPC >"$COWTRACE_DEBUGFS/track.errno"
check_error err_no_group_slot 1 "no free track group" "$COWTRACE" -- true
echo ESRCH >"$COWTRACE_DEBUGFS/track.errno"
check_error err_track_esrch 1 "no such process" "$COWTRACE" -- true
fresh
rm -f "$WORK/never.txt"
run_cmd env COWTRACE_DEBUGFS="$WORK/root/missing" "$COWTRACE" -o "$WORK/never.txt" -- true
[ ! -e "$WORK/never.txt" ] && pass err_leaves_no_output_file ||
	fail err_leaves_no_output_file "-o file created although cowtrace failed"
# Not root: the fake directory readable by root only, cowtrace run as nobody.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	fresh
	chmod 0755 "$WORK" "$WORK/root"
	chmod 0700 "$COWTRACE_DEBUGFS"
	chmod 0755 "$COWTRACE"
	check_error err_not_root 1 "readable by root only: run cowtrace as root" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$COWTRACE" -- true
	chmod 0755 "$COWTRACE_DEBUGFS"
else
	fail err_not_root "needs root and setpriv to switch to nobody"
fi

# ---- help and version ----
run_cmd "$COWTRACE" --help
[ $rc = 0 ] && grep -q '^EXAMPLES:' <<<"$out" && grep -q 'cowtrace -p 1234' <<<"$out" &&
	pass help_examples || fail help_examples "rc $rc"
run_cmd "$COWTRACE" top --help
[ $rc = 0 ] && grep -q 'Sort keys' <<<"$out" && pass top_help || fail top_help "rc $rc"
run_cmd "$COWTRACE" --version
[ $rc = 0 ] && [[ "$out" == "cowtrace "* ]] && pass version || fail version "rc $rc"
# Help reads as written at 80 columns: no line past 79, no option whose
# description wraps onto a continuation line, and no text line that argp
# broke mid-phrase (the rest of it left alone on a short line, as
# "not\nroot" was).
for sub in "" top status; do
	run_cmd "$COWTRACE" $sub --help
	long=$(awk 'length > 79' <<<"$out")
	wrapped=$(grep -E '^ {29}[^ ]' <<<"$out"; awk 'NF && length < 12 && !/:$/' <<<"$out")
	if [ $rc = 0 ] && [ -z "$long" ] && [ -z "$wrapped" ]; then
		pass "help_80_columns${sub:+_$sub}"
	else
		fail "help_80_columns${sub:+_$sub}" "too long: '$long'; wrapped: '$wrapped'"
	fi
done

# ---- attach ----
fresh
sleep 5 &
target=$!
run_cmd "$COWTRACE" -p "$target" -i 0.2 -d 1.5
kill $target 2>/dev/null
wait $target 2>/dev/null
if [ $rc = 0 ] && grep -q "attached to PID $target" <<<"$out" &&
   [ "$(grep -Ec '^interval [0-9]+: ' <<<"$out")" -ge 2 ] &&
   grep -Eq '^ *total +32791 +16407' <<<"$out"; then
	pass attach_interval_duration
else
	fail attach_interval_duration "rc $rc: $out"
fi
check_closed attach_group_closed
# --json with -i: JSON Lines on stdout, an object per interval, as run does.
fresh
sleep 5 &
target=$!
run_cmd "$COWTRACE" -p "$target" -i 0.2 -d 1.5 --json
kill $target 2>/dev/null
wait $target 2>/dev/null
if [ $rc = 0 ] && python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin.read().splitlines()]
types = [r["type"] for r in recs]
assert types[-1] == "report" and types.count("interval") >= 2, types
assert all(r["mode"] == "attach" for r in recs)
assert recs[0]["counters"]["cow_copies"] == 16407 and recs[1]["counters"]["cow_copies"] == 0
# no -c: "cgroup" is there, null, in every record
assert all("cgroup" in r and r["cgroup"] is None for r in recs)
' <<<"$out"; then
	pass attach_interval_json_lines
else
	fail attach_interval_json_lines "rc $rc: $(head -c 300 <<<"$out")"
fi

fresh
# Long enough to be alive when cowtrace looks, on a loaded host too (0.3 s
# was not, with a load of 14); short enough for the timeout to tell.
sleep 2 &
target=$!
run_cmd timeout 10 "$COWTRACE" -p "$target" --json
if [ $rc = 0 ] && python3 -m json.tool <<<"$out" >/dev/null 2>&1; then
	pass attach_ends_with_process
else
	fail attach_ends_with_process "rc $rc (124 = did not stop when the process exited)"
fi

fresh
sleep 5 &
target=$!
"$COWTRACE" -p "$target" >"$WORK/out" 2>&1 &
tracer=$!
sleep 0.5
kill -INT $tracer
wait $tracer
rc=$?
kill $target 2>/dev/null
[ $rc = 0 ] && grep -q 'Total of track group' "$WORK/out" && pass attach_ctrl_c_summary ||
	fail attach_ctrl_c_summary "rc $rc: $(cat "$WORK/out")"

# ---- status ----
fresh
run_cmd "$COWTRACE" status
if [ $rc = 0 ] && grep -q '^module: *loaded: cowstat 0.1' <<<"$out" &&
   grep -Eq '^  wp_page_copy +int3 +16400 +2 +1$' <<<"$out" &&
   grep -q 'cow_copies_pfn (no probe point on this kernel)' <<<"$out" &&
   grep -Eq '^  derived: +fork_pages_shared cow_copies$' <<<"$out"; then
	pass status_text
else
	fail status_text "rc $rc: $out"
fi
run_cmd "$COWTRACE" status --json
[ $rc = 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["module"]["loaded"] and d["counters"]["cow_copies"]["capability"] == "derived"
' <<<"$out" && pass status_json || fail status_json "rc $rc"
run_cmd env COWTRACE_DEBUGFS="$WORK/root/missing" "$COWTRACE" status
[ $rc = 1 ] && grep -q '^module: *not loaded' <<<"$out" && pass status_not_loaded ||
	fail status_not_loaded "rc $rc: $out"

# Selftest against a group row holding exactly the expected counts.
fresh
{
	head -n1 "$FIXTURES/track"
	python3 - "$FIXTURES/track" <<'PY'
import sys
hdr = open(sys.argv[1]).readline().split()
want = {"fork_pages_shared": 256, "fork_pages_shared_anon": 256, "cow_copies": 100,
        "cow_copies_anon": 100, "cow_reuses": 256, "cow_reuses_moved": 256, "forks": 1,
        "state": "active", "gen": 1, "tgid": "@LEADER@", "pid": "@LEADER@",
        "ppid": "@SELF@", "birth": "seen", "comm": "cowtrace"}
print(" ".join(str(want.get(h, 0)) for h in hdr))
PY
} >"$COWTRACE_DEBUGFS/track"
run_cmd "$COWTRACE" status --selftest
if [ $rc = 0 ] && grep -q '^selftest: passed' <<<"$out" &&
   grep -Eq '^  cow_copies +100 +100 +ok$' <<<"$out" &&
   grep -Eq 'pgreuse grew by [0-9]+ .*: ok$' <<<"$out" && ! grep -q FAIL <<<"$out"; then
	pass selftest_pass
else
	fail selftest_pass "rc $rc: $out"
fi
check_closed selftest_group_closed
if grep -Eq '^[0-9]+ 0x[0-9a-f]+ 0x[0-9a-f]+$' "$COWTRACE_DEBUGFS/track.log"; then
	pass selftest_range_filter
else
	fail selftest_range_filter "no 'PID START END' write: $(cat "$COWTRACE_DEBUGFS/track.log")"
fi
fresh
run_cmd "$COWTRACE" status --selftest
[ $rc = 1 ] && grep -q '^selftest: FAILED' <<<"$out" && grep -Eq '^  cow_copies +100 +16407 +FAIL$' <<<"$out" &&
	pass selftest_detects_mismatch || fail selftest_detects_mismatch "rc $rc: $out"

# ---- top: a sequence of procs states ----
fresh
make_procs() { # N: procs.N with process 4000001 at N*1000 copies, 4000100 at N*10
	python3 - "$FIXTURES/procs" "$1" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
hdr = lines[0].split()
n = int(sys.argv[2])
print(lines[0])
for line in lines[1:]:
    f = line.split(" ")
    if len(f) < len(hdr) or not f[2].isdigit():
        continue
    d = dict(zip(hdr, f))
    if d["tgid"] == "4000001":
        f[hdr.index("cow_copies")] = str(n * 1000)
        f[hdr.index("forks")] = str(n)
    elif d["tgid"] == "4000100":
        f[hdr.index("cow_copies")] = str(n * 10)
        f[hdr.index("wp_faults")] = "0"
        f[hdr.index("cow_reuses")] = str(n * 500)
    print(" ".join(f))
PY
}
for n in 1 2 3 4 5 6 7 8 9; do make_procs $n >"$COWTRACE_DEBUGFS/procs.$n"; done
run_cmd "$COWTRACE" top -i 0.2 --count 2
frames=$(grep -c 'cowtrace top, every 0.2s, sorted by copies' <<<"$out")
first_row=$(grep -A1 '^ *PID' <<<"$out" | sed -n 2p)
# Rates are per measured second (1000 copies per 0.2 s refresh): check
# the order and that they are rates of the right size, not raw counts.
if [ $rc = 0 ] && [ "$frames" = 2 ] &&
   [[ "$first_row" =~ ^\ *4000001\ +[0-9]+\ +python3\ +[1-5][0-9][0-9][0-9]\  ]] &&
   grep -Eq '^ *4000100 +1 +unrelated +[1-5][0-9](\.[0-9])? +[0-9]{3,4} ' <<<"$out"; then
	pass top_plain_output
else
	fail top_plain_output "rc $rc, $frames frames: $out"
fi
fresh
for n in 1 2 3; do make_procs $n >"$COWTRACE_DEBUGFS/procs.$n"; done
run_cmd "$COWTRACE" top -s reuses -r 1 0.2 1
rows=$(grep -Ec '^ *[0-9]+ ' <<<"$out")
[ $rc = 0 ] && [ "$rows" = 1 ] && grep -Eq '^ *4000100 ' <<<"$out" && pass top_sort_rows ||
	fail top_sort_rows "rc $rc, $rows rows: $out"

# top in a terminal: tmux, screen checked after a few refreshes.
fresh
for n in 1 2 3 4 5 6 7 8 9; do make_procs $n >"$COWTRACE_DEBUGFS/procs.$n"; done
session=cowtrace-test-$$
if tmux new-session -d -s "$session" -x 160 -y 20 \
	"COWTRACE_DEBUGFS=$COWTRACE_DEBUGFS $COWTRACE top -i 0.3 --count 4; echo top-exited-\$?; sleep 10"; then
	# Four refreshes, then the last frame stays on the screen.
	for _ in $(seq 50); do
		tmux capture-pane -p -t "$session" | grep -q top-exited && break
		sleep 0.1
	done
	screen=$(tmux capture-pane -p -t "$session")
	tmux kill-session -t "$session" 2>/dev/null
	# One frame on screen (cleared between refreshes), the busiest first.
	if [ "$(grep -c 'cowtrace top' <<<"$screen")" = 1 ] && grep -q top-exited-0 <<<"$screen" &&
	   grep -A1 '^ *PID' <<<"$screen" | grep -Eq '^ *4000001 +[0-9]+ +python3 +[1-3][0-9]{3} '; then
		pass top_tmux_screen
	else
		fail top_tmux_screen "screen: $screen"
	fi
else
	fail top_tmux_screen "tmux could not start"
fi

# --backend (issue 10): a bad value, one line naming the cause.  The BPF
# backend itself is tested in the guest (bpf-vm-tests.sh), never here.
check_error err_bad_backend 2 "give auto, module or bpf" "$COWTRACE" --backend=ebpf -- true
check_error err_backend_no_value 2 "--backend needs a value" "$COWTRACE" --backend
# --maps: the module keeps no per-mapping table (bpf-backend.rst)
check_error err_maps_module 2 "--maps needs the BPF backend (--backend=bpf)" \
	"$COWTRACE" --backend=module --maps -- true
check_error err_maps_module_env 2 "--maps needs the BPF backend (--backend=bpf)" \
	env COWTRACE_BACKEND=module "$COWTRACE" --maps -p 1
check_error err_maps_top_alone 2 "-n N is the number of mappings --maps shows" \
	"$COWTRACE" -n 3 -- true
check_error err_maps_top_zero 2 "-n wants a whole number from 1" "$COWTRACE" --maps -n 0 -- true
# --events: the module has no event stream; the ring's size and the kinds
# are checked before anything runs (Documentation/cowtrace.rst).
check_error err_events_module 2 "--events needs the BPF backend (--backend=bpf)" \
	"$COWTRACE" --backend=module --events -- true
check_error err_events_module_env 2 "--events needs the BPF backend (--backend=bpf)" \
	env COWTRACE_BACKEND=module "$COWTRACE" --events -p 1
check_error err_events_buffer_not_pow2 2 "--events-buffer wants a power of two KiB from 4 (one page) to 1048576, not '12'" \
	"$COWTRACE" --events --events-buffer 12 -- true
check_error err_events_buffer_small 2 "--events-buffer wants a power of two KiB from 4" \
	"$COWTRACE" --events --events-buffer 2 -- true
check_error err_events_buffer_big 2 "--events-buffer wants a power of two KiB from 4" \
	"$COWTRACE" --events --events-buffer 2097152 -- true
check_error err_events_buffer_word 2 "not '256k'" "$COWTRACE" --events --events-buffer 256k -- true
check_error err_events_kind_unknown 2 "--kind: unknown event kind 'cpy'" \
	"$COWTRACE" --events --kind copy,cpy -- true
check_error err_events_kind_empty 2 "--kind: unknown event kind ''" "$COWTRACE" --events --kind= -- true
check_error err_events_kind_alone 2 "--kind goes with --events" "$COWTRACE" --kind copy -- true
check_error err_events_buffer_alone 2 "--events-buffer goes with --events" \
	"$COWTRACE" --events-buffer 8 -- true
check_error err_events_sep 2 "--events has no -x SEP form" "$COWTRACE" --events -x , -- true
# --min-latency: a duration with its unit, with --events
check_error err_min_latency_unit 2 "--min-latency wants a duration with its unit, such as 500ns, 10us, 2.5ms or 1s, not '10'" \
	"$COWTRACE" --events --min-latency 10 -- true
check_error err_min_latency_word 2 "not 'fast'" "$COWTRACE" --events --min-latency fast -- true
check_error err_min_latency_zero 2 "not '0us'" "$COWTRACE" --events --min-latency 0us -- true
check_error err_min_latency_alone 2 "--min-latency goes with --events" \
	"$COWTRACE" --min-latency 10us -- true
# --timeline: BPF only, no -x or -i; an unwritable FILE fails before COMMAND runs
check_error err_timeline_module 2 "--timeline needs the BPF backend (--backend=bpf)" \
	"$COWTRACE" --backend=module --timeline "$WORK/t.svg" -- true
check_error err_timeline_sep 2 "--timeline draws the whole run; -x SEP" \
	"$COWTRACE" --timeline "$WORK/t.svg" -x , -- true
check_error err_timeline_interval 2 "-i SEC interval reports do not go with it" \
	"$COWTRACE" --timeline "$WORK/t.svg" -i 1 -p 1
check_error err_timeline_empty 2 "--timeline wants a file name" "$COWTRACE" --timeline= -- true
rm -f "$WORK/ran"
check_error err_timeline_unwritable 2 "--timeline: cannot write $WORK/nodir/t.svg.tmp: No such file or directory" \
	"$COWTRACE" --timeline "$WORK/nodir/t.svg" -- touch "$WORK/ran"
if [ -e "$WORK/ran" ] || [ -e "$WORK/t.svg.tmp" ] || [ -e "$WORK/t.svg" ]; then
	fail timeline_nothing_ran "COMMAND ran or a file was left: $(ls "$WORK")"
else
	pass timeline_nothing_ran
fi
check_error err_timeline_kind 2 "--kind goes with --events" \
	"$COWTRACE" --timeline "$WORK/t.svg" --kind copy -- true

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
