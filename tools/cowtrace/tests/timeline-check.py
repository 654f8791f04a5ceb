#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads back a cowtrace --timeline SVG and checks what it shows.

Usage: timeline-check.py SVG [checks...]
  --copies N        the bars' copies sum to N
  --reuses N        the bars' reuses sum to N
  --total-copies N  the title's exact total (data-copies of <svg>) is N
  --lanes N         N lanes
  --lane PID:C:R    lane PID shows C copies and R reuses
  --pids P,P,...    the lanes are exactly these PIDs (0: "other processes")
  --fork PID        lane PID has a start (fork) mark
  --no-fork PID     lane PID has none (alive at the start)
  --exit PID        lane PID has an exit mark
  --lost N          the SVG says N events were lost (and shows the warning)
  --kind KIND:N     the legend says N pages copied for KIND
  --report JSONL    the run's `--events --json -o JSONL` output: the picture
                    and the stream show the same copies and reuses, the lanes
                    are the report's processes, the lost count is the
                    report's, and with nothing lost the bars' copies equal
                    the report's exact total (add --rt on a kernel that
                    preempts BPF handlers: PREEMPT_RT, or full/lazy
                    preemption as 7.2's, where the fault counters are
                    unavailable: bars <= stream only)
Always: each lane's data-copies/data-reuses equal the sums of its buckets,
and the file holds no script, foreignObject or external reference.
Prints one line "copies=N reuses=N lanes=PID,..." and exits 1 on the first
failed check, naming it.
"""
import argparse
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print("timeline-check: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("svg")
    ap.add_argument("--copies", type=int)
    ap.add_argument("--reuses", type=int)
    ap.add_argument("--total-copies", type=int)
    ap.add_argument("--lanes", type=int)
    ap.add_argument("--lane", action="append", default=[])
    ap.add_argument("--pids")
    ap.add_argument("--fork", action="append", default=[])
    ap.add_argument("--no-fork", action="append", default=[])
    ap.add_argument("--exit", action="append", default=[])
    ap.add_argument("--lost", type=int)
    ap.add_argument("--kind", action="append", default=[])
    ap.add_argument("--report")
    ap.add_argument("--rt", action="store_true")
    a = ap.parse_args()

    try:
        root = ET.parse(a.svg).getroot()
    except (OSError, ET.ParseError) as e:
        fail("%s: %s" % (a.svg, e))
    if root.tag != NS + "svg":
        fail("root is %s, not svg" % root.tag)
    for el in root.iter():
        tag = el.tag.replace(NS, "")
        if tag in ("script", "foreignObject", "image", "use", "a"):
            fail("a <%s> element: not self-contained" % tag)
        for k in el.attrib:
            if k.endswith("href") or k.startswith("on"):
                fail("attribute %s on <%s>" % (k, tag))

    lanes = {}
    order = []
    copies = reuses = 0
    for g in root.iter(NS + "g"):
        if g.get("class") != "lane":
            continue
        pid = int(g.get("data-pid"))
        bc = br = 0
        for b in g.iter(NS + "g"):
            if b.get("class") == "bucket":
                bc += int(b.get("data-copies"))
                br += int(b.get("data-reuses"))
        lc, lr = int(g.get("data-copies")), int(g.get("data-reuses"))
        if (bc, br) != (lc, lr):
            fail("lane %d says %d copies %d reuses, its buckets %d %d" % (pid, lc, lr, bc, br))
        marks = {p.get("class") for p in g.iter(NS + "path")}
        lanes[pid] = {"copies": lc, "reuses": lr, "fork": "fork" in marks,
                      "exit": "exit" in marks, "comm": g.get("data-comm")}
        order.append(pid)
        copies += lc
        reuses += lr

    def want(cond, msg):
        if not cond:
            fail(msg)

    if a.copies is not None:
        want(copies == a.copies, "the bars show %d copies, not %d" % (copies, a.copies))
    if a.reuses is not None:
        want(reuses == a.reuses, "the bars show %d reuses, not %d" % (reuses, a.reuses))
    if a.total_copies is not None:
        t = int(root.get("data-copies"))
        want(t == a.total_copies, "the title says %d copies, not %d" % (t, a.total_copies))
    if a.lanes is not None:
        want(len(lanes) == a.lanes, "%d lanes, not %d: %s" % (len(lanes), a.lanes, order))
    if a.pids is not None:
        pids = sorted(int(p) for p in a.pids.split(","))
        want(sorted(order) == pids, "lanes %s, not %s" % (sorted(order), pids))
    for spec in a.lane:
        pid, c, r = (int(x) for x in spec.split(":"))
        want(pid in lanes, "no lane %d: %s" % (pid, order))
        want((lanes[pid]["copies"], lanes[pid]["reuses"]) == (c, r),
             "lane %d: %d copies %d reuses, not %d %d" %
             (pid, lanes[pid]["copies"], lanes[pid]["reuses"], c, r))
    for pid in a.fork:
        want(int(pid) in lanes and lanes[int(pid)]["fork"], "lane %s has no fork mark" % pid)
    for pid in a.no_fork:
        want(int(pid) in lanes and not lanes[int(pid)]["fork"], "lane %s has a fork mark" % pid)
    for pid in a.exit:
        want(int(pid) in lanes and lanes[int(pid)]["exit"], "lane %s has no exit mark" % pid)
    if a.lost is not None:
        lost = int(root.get("data-lost"))
        want(lost == a.lost, "data-lost %d, not %d" % (lost, a.lost))
        warned = any(r.get("class") == "lost" for r in root.iter(NS + "rect"))
        want(warned == (a.lost > 0), "the lost warning is %s" % ("missing" if a.lost else "shown"))
    legend = {g.get("data-kind"): int(g.get("data-pages"))
              for g in root.iter(NS + "g") if g.get("class") == "legend"}
    for spec in a.kind:
        kind, n = spec.split(":")
        want(legend.get(kind) == int(n), "legend %s: %s pages, not %s" % (kind, legend.get(kind), n))
    if a.report:
        import json
        objs = [json.loads(x) for x in open(a.report) if x.strip()]
        rep = [o for o in objs if o.get("type") == "report"]
        want(len(rep) == 1, "%s: %d report objects" % (a.report, len(rep)))
        rep = rep[0]
        ev = [o for o in objs if o.get("type") == "event"]
        sc = len([e for e in ev if e["event"] == "copy"])
        sr = len([e for e in ev if e["event"] == "reuse"])
        want((copies, reuses) == (sc, sr), "bars %d copies %d reuses, the stream %d %d" %
             (copies, reuses, sc, sr))
        pids = sorted({p["pid"] for p in rep["processes"]})
        want(sorted(order) == pids, "lanes %s, the report's processes %s" % (sorted(order), pids))
        lost = rep["events_lost"]
        want(int(root.get("data-lost")) == lost, "data-lost %s, the report %d" %
             (root.get("data-lost"), lost))
        t = rep["total"]["counters"]
        if t.get("cow_copies") is not None:
            exact = t["cow_copies"] + (t.get("cow_at_fault") or 0) + (t.get("hugetlb_copies") or 0)
            want(int(root.get("data-copies")) == exact, "the title %s copies, the report %d" %
                 (root.get("data-copies"), exact))
            if not lost:
                want(copies == exact, "bars %d copies, the report's exact total %d" % (copies, exact))
        else:
            want(a.rt, "the report has no cow_copies count on a kernel that does not preempt BPF handlers")
    print("copies=%d reuses=%d lanes=%s" % (copies, reuses, ",".join(str(p) for p in order)))


main()
