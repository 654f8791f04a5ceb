# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The output tests of cowtrace with the module, sourced by vm-tests.sh on
# the amd64 lanes (see there), with its WORK, COWTRACE and cow64.py: -i
# intervals of a run and of an attach (text and JSON Lines), top in a
# terminal and plain, and each example of the README.  Each checks its
# counts too.

# ---- -i ----
# -i with a COMMAND: intervals while it runs; --json: JSON Lines.
run_cmd "$COWTRACE" -i 0.5 -T -- python3 "$WORK/cow64.py"
n=$(grep -Ec '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] interval [0-9]+: ' <<<"$err")
if [ $rc = 0 ] && [ "$n" -ge 1 ] && grep -q '^Total of track group' <<<"$err"; then
	pass run_interval_text
else
	fail run_interval_text "rc $rc, $n intervals: $(head -n 5 <<<"$err")"
fi
run_cmd "$COWTRACE" -i 0.5 --json -- python3 "$WORK/cow64.py"
if [ $rc = 0 ] && python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin.read().splitlines()]
types = [r["type"] for r in recs]
assert types[-1] == "report" and types.count("interval") == len(recs) - 1 >= 1, types
total = recs[-1]["total"]["counters"]["cow_copies"]
assert total >= 16384
assert sum(r["counters"]["cow_copies"] for r in recs[:-1]) <= total
assert [r["interval"] for r in recs[:-1]] == list(range(1, len(recs)))
' <<<"$err"; then
	pass run_interval_json_lines
else
	fail run_interval_json_lines "rc $rc: $(head -c 300 <<<"$err")"
fi

# Attached with -i: intervals, then JSON Lines.
sleep 30 &
target=$!
# Intervals follow each other without a gap from 0 s; a loaded guest may
# merge ticks (one interval of 1.13 s was seen; with three guests and a
# UML build on 2 cores, one of 2.87 s in a 2.6 s run), so at least 2 in 6 s.
run_cmd "$COWTRACE" -p "$target" -i 0.5 -d 6
kill $target
gaps=$(grep -E '^interval [0-9]+: ' <<<"$out" | awk '
	{ from = $3; to = $5; sub(/s$/, "", from); sub(/s$/, "", to)
	  if (NR == 1 && from != "0.00") print "first from " from
	  if (NR > 1 && from != last) print "gap " last " -> " from
	  last = to; n++ }
	END { if (n < 2) print n " intervals" }')
[ $rc = 0 ] && [ -z "$gaps" ] &&
	grep -q "attached to PID $target" <<<"$out" && pass attach_interval ||
	fail attach_interval "rc $rc: $gaps: $out"
# Attach with -i --json: JSON Lines while the workload runs.
sh -c 'until grep -Eq "^active [0-9]+ $$ " /sys/kernel/debug/cowstat/track; do sleep 0.1; done
	python3 "$1"' sh "$WORK/cow64.py" &
target=$!
run_cmd timeout 120 "$COWTRACE" -p "$target" -i 0.5 --json
wait $target
if [ $rc = 0 ] && python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert recs[-1]["type"] == "report" and all(r["type"] == "interval" for r in recs[:-1])
assert all(r["mode"] == "attach" for r in recs)
assert recs[-1]["total"]["counters"]["cow_copies"] >= 16384
' <<<"$out"; then
	pass attach_interval_json_lines
else
	fail attach_interval_json_lines "rc $rc: $(head -c 300 <<<"$out")"
fi

# ---- top in a terminal ----
(for _ in 1 2 3 4; do python3 "$WORK/cow64.py"; done) &
load=$!
tmux new-session -d -s top -x 200 -y 30 "$COWTRACE top -i 1 --count 5; echo top-exited-\$?; sleep 60"
for _ in $(seq 150); do
	tmux capture-pane -p -t top | grep -q top-exited && break
	sleep 0.2
done
screen=$(tmux capture-pane -p -t top)
tmux kill-session -t top
wait $load
if grep -q top-exited-0 <<<"$screen" && [ "$(grep -c 'cowtrace top' <<<"$screen")" = 1 ] &&
   grep -Eq '^ *PID +PPID +COMM +COPIES/s' <<<"$screen"; then
	pass top_tmux
else
	fail top_tmux "screen: $screen"
fi
# While the load runs, python3 is the busiest copier.
(python3 "$WORK/cow64.py"; python3 "$WORK/cow64.py") &
load=$!
run_cmd "$COWTRACE" top -i 1 --count 3 -r 3
wait $load
if [ $rc = 0 ] && grep -A1 '^ *PID' <<<"$out" | grep -Eq '^ *[0-9]+ +[0-9]+ +python3 +[1-9]'; then
	pass top_plain_busiest_first
else
	fail top_plain_busiest_first "rc $rc: $out"
fi

# ---- README: each cowtrace example runs as written ----
# From a scratch copy of the tree's top (tools/ and examples/ linked), with
# a sudo that only runs its arguments (the guest runs as root, without sudo).
readme_dir=$WORK/readme
mkdir -p "$readme_dir/bin"
ln -s "$PWD/../../tools" "$PWD/../../examples" "$readme_dir/"
printf '#!/bin/sh\nexec "$@"\n' >"$readme_dir/bin/sudo"
chmod +x "$readme_dir/bin/sudo"
# (A file, not <(...): the guest has no /dev/fd.)
sed -n '/^## cowtrace$/,/^## /p' ../../README.md | grep -E '^    ' |
	sed -E 's/^    //; s/ +# [^#]*$//' >"$WORK/readme.examples"
n=0
while IFS= read -r example; do
	n=$((n + 1))
	(cd "$readme_dir" && PATH=$readme_dir/bin:$PATH timeout 120 sh -ec "$example") \
		</dev/null >"$WORK/readme.out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		pass "readme_example_$n"
	else
		fail "readme_example_$n" "'$example' exited $rc: $(tail -n 3 "$WORK/readme.out" | tr '\n' '|')"
	fi
done <"$WORK/readme.examples"
[ "$n" -ge 8 ] && pass readme_examples_found || fail readme_examples_found "only $n examples in README's cowtrace section"
[ -s "$readme_dir/report.txt" ] && grep -q 'Fork sharing' "$readme_dir/report.txt" &&
	pass readme_output_file || fail readme_output_file "report.txt missing or without a report"
