# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The output tests of cowtrace's BPF backend, sourced by bpf-vm-tests.sh
# on the amd64 lanes (see there), with its WORK, COWTRACE, pre and
# ev_need: a run's report and JSON, -c CGROUP, --maps, the text and
# options of --events, and --timeline.  Each checks its counts too.

# The report and JSON of a run, from BPF: the child of examples/forkwrite
# copies every page it writes (4096) plus a few of libc's.
if gcc -O2 -static -o "$WORK/forkwrite" ../../examples/forkwrite.c 2>"$WORK/cc.err"; then
	run_cmd "$COWTRACE" --backend=bpf --json -o "$WORK/run.json" -- "$WORK/forkwrite"
	if [ "$rc" = 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
procs = d["processes"]
kids = [p for p in procs if p["counters"].get("fork_pages_shared_anon", 0) >= 16384]
assert len(procs) == 2 and len(kids) == 1, procs
c = kids[0]["counters"]
# null on PREEMPT_RT, where the fault counters are unavailable
assert c["cow_copies_anon"] is None or 4096 <= c["cow_copies_anon"] <= 4110, c
' <"$WORK/run.json" 2>"$WORK/py.err"; then
		pass run-json
	else
		fail run-json "exit $rc: $(tail -n 1 "$WORK/py.err") $err"
	fi
else
	fail run-json "cannot build examples/forkwrite.c: $(cat "$WORK/cc.err")"
fi

# -c CGROUP with the BPF backend: a process moved into an empty cgroup
# after the attach is found by a rescan (every 250 ms; it waits 3 s, then
# execs forkwrite, and forks nothing before), followed with its child: the
# counts are run-json's.
cg=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)/cowtrace-bpf
rmdir "$cg" 2>/dev/null
if [ -x "$WORK/forkwrite" ] && mkdir "$cg"; then
	"$COWTRACE" --backend=bpf -c "$cg" --json -o "$WORK/cg.json" 2>"$WORK/cg.err" &
	tracer=$!
	# Its "waiting" line comes once the programs are attached.
	for _ in $(seq 600); do
		grep -q 'holds no process yet' "$WORK/cg.err" && break
		sleep 0.1
	done
	python3 -c '
import os, sys, time
with open(sys.argv[1] + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
time.sleep(3)
os.execv(sys.argv[2], [sys.argv[2]])
' "$cg" "$WORK/forkwrite" >/dev/null &
	w=$!
	wait $w
	kill -INT $tracer
	wait $tracer
	rc=$?
	if [ "$rc" = 0 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
w = int(sys.argv[3])
assert d["cgroup"] == sys.argv[2] and d["leaders"] == [w], (d["cgroup"], d["leaders"])
assert len(d["processes"]) == 2 and d["total"]["from_track_group"], d["processes"]
c = d["total"]["counters"]
# the same numbers as run-json: all of forkwrite, none of the python before
assert c["fork_pages_shared_anon"] >= 16384, c
assert c["cow_copies_anon"] is None or 4096 <= c["cow_copies_anon"] <= 4110, c
' "$WORK/cg.json" "$cg" $w 2>"$WORK/py.err"; then
		pass cgroup-late-process
	else
		fail cgroup-late-process "exit $rc: $(tail -n 1 "$WORK/py.err") $(cat "$WORK/cg.err")"
	fi
	rmdir "$cg"
else
	fail cgroup-late-process "no forkwrite, or cannot create $cg"
fi
# --maps (issue 12): maps-prog's child writes 3, 5, 7, 11, 13 and 4 pages
# to its heap, main stack, a private file on /tmp, a shared anonymous
# mapping, an anonymous mmap and a thread's stack, and one 2 MB hugetlb
# page; each mapping gets exactly its kind and counts (tests/maps-check.py);
# -n 1 keeps the top one (the hugetlb copy) and sums the rest.  Two free
# huge pages are reserved for it (the parent's and the child's copy).
hp=$(cat /proc/sys/vm/nr_hugepages)
echo $((hp + 2)) >/proc/sys/vm/nr_hugepages
if ! grep -qE '^Hugepagesize: +2048 kB' /proc/meminfo ||
   [ "$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)" -lt 2 ]; then
	fail maps-hugetlb-pages "cannot reserve two free 2 MB huge pages: $(grep -E '^Huge' /proc/meminfo | tr '\n' ' ')"
fi
if gcc -O2 -pthread -o "$WORK/maps-prog" tests/maps-prog.c 2>"$WORK/cc.err"; then
	for n in all top; do
		[ $n = all ] && top=1000 || top=1
		run_cmd "$COWTRACE" --maps -n "$top" --json -o "$WORK/maps-$n.json" -- \
			"$WORK/maps-prog" "$WORK"
		if [ "$rc" = 0 ] && python3 tests/maps-check.py $n "$WORK/maps-$n.json" "$out" $pre \
			2>"$WORK/py.err"; then
			pass maps-$n
		else
			fail maps-$n "exit $rc: $(tail -n 1 "$WORK/py.err") $err"
		fi
	done
	run_cmd "$COWTRACE" --backend=bpf --maps -n 1000 -o "$WORK/maps.txt" -- \
		"$WORK/maps-prog" "$WORK"
	child=$(sed -n 's/^maps-prog child=\([0-9]*\) .*/\1/p' <<<"$out")
	if [ "$rc" = 0 ] && [ -n "$child" ] &&
	   grep -qE "^ *$child +maps-prog +heap +[0-9a-f]+-[0-9a-f]+ " "$WORK/maps.txt" &&
	   grep -qE "^ *$child +maps-prog +shared .* dev/zero\$" "$WORK/maps.txt" &&
	   grep -qE '^Mappings \(per process and mapping, by bytes copied; ([0-9]+) of \1 shown\):$' \
		"$WORK/maps.txt"; then
		pass maps-text
	else
		fail maps-text "exit $rc: $(grep -A4 '^Mappings' "$WORK/maps.txt" | tr '\n' ' ') $err"
	fi
else
	fail maps-all "cannot build tests/maps-prog.c: $(cat "$WORK/cc.err")"
fi
echo "$hp" >/proc/sys/vm/nr_hugepages

# --events' text, --kind, a lost burst, --min-latency and --timeline, on
# events-prog (built by bpf-vm-tests.sh's --events tests).
if [ ! -x "$WORK/events-prog" ]; then
	fail events-output "no events-prog: tests/events-prog.c did not build"
else
	# The text form and --kind: the child's 7 copies as lines, no reuse shown.
	run_cmd "$COWTRACE" --events --kind copy,fork -o "$WORK/events.txt" -- \
		"$WORK/events-prog" counts
	child=$(sed -n 's/^events-prog .*child=\([0-9]*\)$/\1/p' <<<"$out")
	region=$(sed -n 's/^events-prog region=\(0x[0-9a-f]*\) .*/\1/p' <<<"$out")
	ncopy=0
	if [ -n "$child" ] && [ -n "$region" ]; then
		for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
			a=$(printf '%#x' $((region + i * 4096)))
			grep -qE "^ *[0-9]+\.[0-9]{6} +$child +[0-9]+ +events-prog +copy +anon +$a +anon +[0-9]+ns\$" \
				"$WORK/events.txt" && ncopy=$((ncopy + 1))
		done
	fi
	if [ "$rc" = 0 ] && [ "$ncopy" -ge "$(ev_need "$WORK/events.txt" 7)" ] && [ "$ncopy" -le 7 ] && grep -q '^events lost: 0$' "$WORK/events.txt" &&
	   ! awk 'NR > 1 && / (reuse|shared-write) /' "$WORK/events.txt" | grep -q . &&
	   grep -qE '^ *TIME +PID +TID +COMM +EVENT ' "$WORK/events.txt"; then
		pass events-text-kind
	else
		fail events-text-kind "exit $rc, $ncopy copy lines: $(head -4 "$WORK/events.txt" | tr '\n' ' ') $err"
	fi
	# A burst of 3000 copies with the reader stopped and a 4 KiB ring: events
	# are lost and counted, the counts stay exact.
	run_cmd "$COWTRACE" --events --events-buffer 4 --maps -n 1000 --json \
		-o "$WORK/burst.jsonl" -- "$WORK/events-prog" burst 3000
	if [ "$rc" = 0 ] && python3 tests/events-check.py burst 3000 "$WORK/burst.jsonl" "$out" $pre \
		>"$WORK/py.out" 2>"$WORK/py.err"; then
		pass events-burst-lost
		cat "$WORK/py.out" >&2
	else
		fail events-burst-lost "exit $rc: $(tail -n 1 "$WORK/py.err") $err"
	fi
	run_cmd "$COWTRACE" --events --events-buffer 4 -o "$WORK/burst.txt" -- \
		"$WORK/events-prog" burst 3000
	if [ "$rc" = 0 ] &&
	   grep -qE '^events lost: [1-9][0-9]* \(ring buffer full; raise --events-buffer\)$' \
		"$WORK/burst.txt"; then
		pass events-burst-text
	else
		fail events-burst-text "exit $rc: $(tail -n 2 "$WORK/burst.txt" | tr '\n' ' ') $err"
	fi
	# --min-latency (issue 12): do_wp_page's faults carry their latency;
	# with 1ns every one of them is printed (events-prog's 7 and 5 copies
	# of its region, each with latency_ns >= 1) and no untimed event (the
	# fork); with 1000s none is, and the report's counts are the same.
	run_cmd "$COWTRACE" --events --json --min-latency 1ns -o "$WORK/lat.jsonl" -- \
		"$WORK/events-prog" counts
	if [ "$rc" = 0 ] && python3 tests/events-check.py latency "$WORK/lat.jsonl" "$out" $pre \
		2>"$WORK/py.err"; then
		pass events-min-latency
	else
		fail events-min-latency "exit $rc: $(tail -n 1 "$WORK/py.err") $err"
	fi
	run_cmd "$COWTRACE" --events --min-latency 1000s -o "$WORK/lat0.txt" -- \
		"$WORK/events-prog" counts
	if [ "$rc" = 0 ] && [ "$(grep -cE '^ *[0-9]+\.[0-9]{6} ' "$WORK/lat0.txt")" = 0 ] &&
	   grep -qE '^ *TIME +PID +TID +COMM +EVENT .* LATENCY$' "$WORK/lat0.txt" &&
	   grep -q '^events lost: 0$' "$WORK/lat0.txt" &&
	   grep -q '^Write faults' "$WORK/lat0.txt"; then
		pass events-min-latency-none
	else
		fail events-min-latency-none "exit $rc: $(head -4 "$WORK/lat0.txt" | tr '\n' ' ') $err"
	fi
	# --timeline (issue 12) with --events: one ring, so the picture shows
	# the stream's copies and reuses; with nothing lost the bars' copies
	# equal the report's exact total (tests/timeline-check.py --report).
	# The lanes are the tree: events-prog, alive at the start (no start
	# mark), and its child with fork and exit marks.  The SVG stays in
	# results/timeline/ on the project share, where the host renders it
	# with Chromium after the guest exits (tests/timeline-render.sh).
	tldir=$(cd ../.. && pwd)/results/timeline
	mkdir -p "$tldir"
	svg=$tldir/$(uname -r).svg
	rm -f "$svg" "$svg.tmp"
	run_cmd "$COWTRACE" --timeline "$svg" --events --json -o "$WORK/tl.jsonl" -- \
		"$WORK/events-prog" counts
	child=$(sed -n 's/^events-prog .*child=\([0-9]*\)$/\1/p' <<<"$out")
	parent=$(sed -n 's/^events-prog .*parent=\([0-9]*\) .*/\1/p' <<<"$out")
	rtarg=
	[ $pre = 1 ] && rtarg=--rt
	# PREEMPT_RT: when the run says its programs missed invocations, a
	# missed fork can leave the child without a record (so without a
	# lane): the lanes are then checked against the report only.
	tree=(--lanes 2 --pids "$parent,$child" --no-fork "$parent" --exit "$parent"
	      --fork "$child" --exit "$child")
	[ "$(ev_need "$WORK/tl.jsonl" 1)" = 0 ] && tree=()
	# shellcheck disable=SC2086
	if [ "$rc" = 0 ] && [ -n "$child" ] && [ ! -e "$svg.tmp" ] &&
	   tlout=$(python3 tests/timeline-check.py "$svg" --report "$WORK/tl.jsonl" $rtarg \
		"${tree[@]}" 2>&1) &&
	   xmllint --noout "$svg" 2>"$WORK/xmllint.err"; then
		pass timeline-run
		echo "timeline-run: $tlout" >&2
	else
		fail timeline-run "exit $rc: ${tlout:-} $(cat "$WORK/xmllint.err" 2>/dev/null) $err"
	fi
	# the child's lane holds its 7 copies of the region at least
	ccopies=$(grep -o "<g class=\"lane\" data-pid=\"$child\" [^>]*" "$svg" 2>/dev/null |
		sed -n 's/.* data-copies="\([0-9]*\)".*/\1/p')
	if [ "${ccopies:-0}" -ge "$(ev_need "$WORK/tl.jsonl" 7)" ]; then
		pass timeline-child-lane
	else
		fail timeline-child-lane "child $child lane: ${ccopies:-no lane} copies, want >= 7"
	fi
	# --timeline alone: the ring is read, nothing printed but the report
	run_cmd "$COWTRACE" --timeline "$WORK/alone.svg" -o "$WORK/alone.txt" -- \
		"$WORK/events-prog" counts
	child=$(sed -n 's/^events-prog .*child=\([0-9]*\)$/\1/p' <<<"$out")
	tree=(--lanes 2 --fork "$child")
	[ "$(ev_need "$WORK/alone.txt" 1)" = 0 ] && tree=()
	if [ "$rc" = 0 ] && ! grep -qE '^ *TIME +PID|^events lost' "$WORK/alone.txt" &&
	   grep -q 'module cowstat none: BPF backend' "$WORK/alone.txt" &&
	   tlout=$(python3 tests/timeline-check.py "$WORK/alone.svg" "${tree[@]}" --lost 0 2>&1); then
		pass timeline-alone
	else
		fail timeline-alone "exit $rc: ${tlout:-} $(head -3 "$WORK/alone.txt" | tr '\n' ' ') $err"
	fi
fi
