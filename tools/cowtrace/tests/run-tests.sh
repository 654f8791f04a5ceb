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

# ---- run: report, exit status ----
fresh
run_cmd "$COWTRACE" -- sh -c 'exit 3'
if [ $rc = 3 ] && grep -q 'exited with status 3' <<<"$out" &&
   grep -Eq '^ *4000001 +python3 +16390 +16390 +64\.0M +16384 +6 ' <<<"$out" &&
   grep -Eq '^ *4000002 +4000001 +my worker +500\.0us' <<<"$out" &&
   grep -Eq '^ *total +32791 +16407 +64\.1M' <<<"$out"; then
	pass run_report_text
else
	fail run_report_text "rc $rc; output: $out $err"
fi
check_closed run_group_closed
# The group started before COMMAND ran: the PID written is COMMAND's.
leader=$(head -n1 "$COWTRACE_DEBUGFS/track.log")
if grep -Eq "^ *$leader +[0-9]+ +python3 " <<<"$out"; then
	pass run_tracks_command_pid
else
	fail run_tracks_command_pid "PID $leader not the leader row: $out"
fi

fresh
run_cmd "$COWTRACE" -- sh -c 'kill -KILL $$'
[ $rc = 137 ] && grep -q 'killed by signal 9' <<<"$out" && pass run_signal_status ||
	fail run_signal_status "rc $rc, want 137: $out"

fresh
run_cmd "$COWTRACE" --json -- true
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
# The per-process rows add up to the group total.
for k in d["total"]["counters"]:
    assert sum(p["counters"][k] for p in d["processes"]) == d["total"]["counters"][k], k
' <<<"$out"; then
	pass run_json
else
	fail run_json "rc $rc; $(python3 -m json.tool <<<"$out" 2>&1 | tail -n2)"
fi

fresh
run_cmd "$COWTRACE" --hist -- true
if [ $rc = 0 ] && grep -q '^wp_copy' <<<"$out" &&
   grep -Eq '^ *1024 -> 2047 +: 16000 +\|\*{40}\|' <<<"$out" &&
   grep -Eq '^ *2048 -> 4095 +: 0 ' <<<"$out"; then
	pass run_hist
else
	fail run_hist "rc $rc: $out"
fi

fresh
run_cmd "$COWTRACE" -o "$WORK/report.txt" -- sh -c 'echo from-command'
if [ $rc = 0 ] && [ "$out" = from-command ] && grep -q 'Fork sharing' "$WORK/report.txt"; then
	pass run_output_file
else
	fail run_output_file "rc $rc, stdout '$out'"
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
check_error err_unknown_option 2 "unknown option '--bogus'" "$COWTRACE" --bogus -- true
check_error err_unknown_short 2 "unknown option '-x'" "$COWTRACE" -jx -- true
check_error err_missing_value 2 "option '-p' needs a value" "$COWTRACE" -p
check_error err_bad_pid 2 "-p wants a whole number" "$COWTRACE" -p 12x
check_error err_bad_seconds 2 "-i wants seconds" "$COWTRACE" -p 1 -i -3
check_error err_no_command 2 "no COMMAND" "$COWTRACE"
check_error err_both 2 "not both" "$COWTRACE" -p 1 -- true
check_error err_value_on_flag 2 "takes no value" "$COWTRACE" --json=1 -- true
check_error err_bad_user 2 "no user 'nosuchuser'" "$COWTRACE" -u nosuchuser -- true
check_error err_top_sort 2 "no sort key 'size'" "$COWTRACE" top -s size
check_error err_status_arg 2 "takes no argument" "$COWTRACE" status now
check_error err_no_such_pid 1 "no process 2147483000: check the PID" "$COWTRACE" -p 2147483000
check_error err_not_loaded 1 "not found: load the module (insmod cowstat.ko)" \
	env COWTRACE_DEBUGFS="$WORK/root/missing" "$COWTRACE" -- true
check_error err_no_debugfs 1 "debugfs is not mounted at $WORK/none: mount it" \
	env COWTRACE_DEBUGFS="$WORK/none/cowstat" "$COWTRACE" -- true
echo cowstat 9 format 2 >"$COWTRACE_DEBUGFS/version"
check_error err_format 1 "format 2, this cowtrace format 1" "$COWTRACE" -- true
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

# ---- attach ----
fresh
sleep 5 &
target=$!
run_cmd "$COWTRACE" -p "$target" -i 0.2 -d 0.5
kill $target 2>/dev/null
wait $target 2>/dev/null
if [ $rc = 0 ] && grep -q "attached to PID $target" <<<"$out" &&
   [ "$(grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$' <<<"$out")" -ge 2 ] &&
   grep -Eq '^ *total +32791 +16407' <<<"$out"; then
	pass attach_interval_duration
else
	fail attach_interval_duration "rc $rc: $out"
fi
check_closed attach_group_closed

fresh
sleep 0.3 &
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
run_cmd "$COWTRACE" top -i 0.2 -c 2
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
run_cmd "$COWTRACE" top -i 0.2 -c 1 -s reuses -r 1
rows=$(grep -Ec '^ *[0-9]+ ' <<<"$out")
[ $rc = 0 ] && [ "$rows" = 1 ] && grep -Eq '^ *4000100 ' <<<"$out" && pass top_sort_rows ||
	fail top_sort_rows "rc $rc, $rows rows: $out"

# top in a terminal: tmux, screen checked after a few refreshes.
fresh
for n in 1 2 3 4 5 6 7 8 9; do make_procs $n >"$COWTRACE_DEBUGFS/procs.$n"; done
session=cowtrace-test-$$
if tmux new-session -d -s "$session" -x 160 -y 20 \
	"COWTRACE_DEBUGFS=$COWTRACE_DEBUGFS $COWTRACE top -i 0.3 -c 4; echo top-exited-\$?; sleep 10"; then
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

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
