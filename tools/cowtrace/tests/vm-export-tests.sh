#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cowtrace export in a guest with the real module loaded (scripts/vm-tests
# runs it after vm-tests.sh):
#   scripts/vm --kernel 6.1 --insmod -- tools/cowtrace/tests/vm-export-tests.sh
# One "PASS cowtrace-vm/export_..." or "FAIL ...: why" line per test.

set -u
cd "$(dirname "$0")/.." || exit 1
COWTRACE=$PWD/cowtrace
DEBUGFS=/sys/kernel/debug/cowstat
WORK=$(mktemp -d /tmp/cowtrace-vm-export.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LAYER="cowtrace-vm" # used by lib.sh
# shellcheck source=tools/cowtrace/tests/lib.sh
. tests/lib.sh

if ! command -v promtool >/dev/null; then
	fail export_prerequisite "promtool not found: install Debian's prometheus (scripts/deps does)"
fi

# ---- export: the module's numbers, exactly, in the Prometheus format ----
# A parent and its child that wrote 64 MiB and 16384 pages of it, then
# sleep: their counts are still while export reads them.  Each per-process
# value must equal the sum of the process's records in `procs`, read before
# and after (and equal both times).
cat >"$WORK/hold.py" <<'PY'
import os, time
b = bytearray(64 << 20)
b[::4096] = b"p" * 16384
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    b[::4096] = b"c" * 16384
    os.write(w, b"x")
    time.sleep(120)
    os._exit(0)
os.read(r, 1)
print(pid, flush=True)
time.sleep(120)
PY
python3 "$WORK/hold.py" >"$WORK/hold.out" &
hold=$!
for ((i = 0; i < 100; i++)); do [ -s "$WORK/hold.out" ] && break; sleep 0.1; done
child=$(cat "$WORK/hold.out")
sleep 0.5
cp "$DEBUGFS/procs" "$WORK/procs.1"
cp "$DEBUGFS/stats" "$WORK/stats.1"
run_cmd "$COWTRACE" export -n 100
cp "$DEBUGFS/procs" "$WORK/procs.2"
cp "$DEBUGFS/stats" "$WORK/stats.2"
cp "$DEBUGFS/probes" "$WORK/probes"
printf '%s\n' "$out" >"$WORK/export.prom"
kill "$hold" "$child" 2>/dev/null
wait "$hold" 2>/dev/null
if [ $rc = 0 ] && perr=$(promtool check metrics <"$WORK/export.prom" 2>&1); then
	pass export_promtool
else
	fail export_promtool "rc $rc: $perr $(head -c 300 <<<"$err")"
fi
if res=$(python3 - "$WORK" "$hold" "$child" 2>&1 <<'PY'
import re, sys
work, parent, child = sys.argv[1], sys.argv[2], sys.argv[3]
def procs(name):
    lines = open("%s/%s" % (work, name)).read().splitlines()
    head = lines[0].split()
    sums = {}
    for l in lines[1:]:
        f = l.split(" ", len(head) - 1)
        if len(f) < len(head):
            continue
        row = dict(zip(head, f))
        s = sums.setdefault(row["tgid"], {})
        for k, v in row.items():
            if k in ("state", "gen", "tgid", "pid", "ppid", "start_ns", "exit_ns", "birth", "comm"):
                continue
            if v != "-":
                s[k] = s.get(k, 0) + int(v)
    return sums
p1, p2 = procs("procs.1"), procs("procs.2")
for t in (parent, child):
    assert p1[t] == p2[t], "pid %s changed between the reads" % t
text = open(work + "/export.prom").read()
got = {}
for m in re.finditer(r'^cowstat_process_(\w+)_total\{pid="(\d+)",comm="[^"]*"\} (\S+)$', text, re.M):
    got[(m.group(2), m.group(1))] = m.group(3)
n = 0
for t in (parent, child):
    for c in ("forks", "fork_pages_shared", "fork_pt_pages", "wp_faults", "cow_copies",
              "cow_reuses", "shared_writes"):
        if c not in p1[t]:
            assert (t, c) not in got, "%s of %s unavailable but exported" % (c, t)
            continue
        assert got.get((t, c)) == str(p1[t][c]), "%s of %s: export %s, procs %s" % (c, t, got.get((t, c)), p1[t][c])
        n += 1
    ns = p1[t]["fork_ns"]
    want = ("%d.%09d" % (ns // 10**9, ns % 10**9)).rstrip("0").rstrip(".")
    assert got.get((t, "fork_copy_seconds")) == want, "fork seconds of %s: %s, want %s" % (t, got.get((t, "fork_copy_seconds")), want)
assert got[(parent, "forks")] == "1", "the parent forked once: %s" % got[(parent, "forks")]
assert int(got[(child, "cow_copies")]) >= 16384, "the child copied %s pages" % got[(child, "cow_copies")]
# Every counter: unavailable in probes <=> cowstat_available 0 <=> absent.
unavail = set(re.findall(r"^counter (\w+) unavailable", open(work + "/probes").read(), re.M))
avail = dict(re.findall(r'^cowstat_available\{counter="(\w+)"\} ([01])$', text, re.M))
assert avail and all((v == "0") == (k in unavail) for k, v in avail.items()), "availability differs from probes"
# System-wide: between the stats read before and after.
s1 = dict(l.split() for l in open(work + "/stats.1") if len(l.split()) == 2)
s2 = dict(l.split() for l in open(work + "/stats.2") if len(l.split()) == 2)
v = int(re.search(r"^cowstat_cow_copies_total (\d+)$", text, re.M).group(1))
assert int(s1["cow_copies"]) <= v <= int(s2["cow_copies"]), "cow_copies_total %d not in [%s, %s]" % (v, s1["cow_copies"], s2["cow_copies"])
print("%d per-process values equal procs; parent forks 1, child cow_copies %s, parent cow_copies %s" %
      (n, got[(child, "cow_copies")], got[(parent, "cow_copies")]))
PY
); then
	echo "export: $res"
	pass export_exact_values
else
	fail export_exact_values "$res; parent $hold child $child: $(grep -E "pid=\"($hold|$child)\"" "$WORK/export.prom" | head -4 | tr '\n' '|')"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
