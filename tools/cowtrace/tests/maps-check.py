#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Checks `cowtrace --maps --json -- maps-prog DIR` (bpf-vm-tests.sh):
#   maps-check.py all REPORT.json PROG_LINE RT   every mapping listed (-n 1000)
#   maps-check.py top REPORT.json PROG_LINE RT   -n 1: the top one, the rest summed
# PROG_LINE is maps-prog's stdout; RT is 1 on PREEMPT_RT, where the fault
# counters are unavailable (null) and only kinds and fork counts are checked.
# Exits 1 with the first difference on stderr.
import json
import sys

mode, path, line, rt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
d = json.load(open(path))
words = dict(w.split("=", 1) for w in line.split()[1:])
child = int(words["child"])
maps = d["maps"]

# A mapping of the child, by an address inside it.
def mapping(name):
    addr = int(words[name], 16)
    found = [m for m in maps if m["pid"] == child and m["start"] <= addr < m["end"]]
    assert len(found) == 1, (name, hex(addr), found)
    return found[0]

# kind, name, and exact counters of each mapping maps-prog.c writes
want = {
    "heap": ("heap", None, {"cow_copies": 3, "cow_copies_anon": 3, "cow_reuses": 0,
                            "fork_pages_shared_anon": 3}),
    "stack": ("stack", None, {"cow_copies": 5, "cow_copies_anon": 5, "cow_reuses": 0}),
    "file": ("file", "maps-prog.", {"cow_copies": 7, "cow_copies_file": 7, "cow_at_fault": 0,
                                    "cow_reuses": 0, "fork_pages_shared": 8,
                                    "fork_pages_shared_anon": 1}),
    "shared": ("shared", "dev/zero", {"cow_copies": 0, "cow_reuses": 0, "shared_writes": 0,
                                      "fork_vmas_skipped": 1, "fork_pages_shared": 0}),
    "anon": ("anon", None, {"cow_copies": 13, "cow_copies_anon": 13, "cow_reuses": 0,
                            "fork_pages_shared_anon": 13}),
}
fault = set(c for c in d["capabilities"] if not c.startswith("fork"))

if mode == "all":
    assert d["maps_rest"]["mappings"] == 0, d["maps_rest"]
    assert d["maps_unattributed"] == 0, d["maps_unattributed"]
    for name, (kind, fname, counters) in want.items():
        m = mapping(name)
        assert m["kind"] == kind, (name, m["kind"])
        if fname is None:
            assert m["name"] is None, (name, m["name"])
        else:
            assert m["name"] is not None and m["name"].startswith(fname), (name, m["name"])
        for c, v in counters.items():
            got = m["counters"][c]
            if rt and c in fault:
                assert got is None, (name, c, got)
            else:
                assert got == v, (name, c, got, v)
        if not rt:
            assert m["copies"] == counters["cow_copies"], (name, m["copies"])
            assert m["bytes_copied"] == 4096 * counters["cow_copies"], (name, m)
    # sorted by bytes copied
    b = [m["bytes_copied"] for m in maps]
    assert b == sorted(b, reverse=True), b
    # every event of a process is on one of its mappings (forks: the parent's)
    for p in d["processes"]:
        for c, v in p["counters"].items():
            if c == "forks" or v is None:
                continue
            s = sum(m["counters"][c] for m in maps if m["pid"] == p["pid"])
            assert s == v, (p["pid"], c, s, v)
else:
    assert len(maps) == 1, [(m["pid"], m["kind"]) for m in maps]
    rest = d["maps_rest"]
    assert rest["mappings"] >= 4, rest["mappings"]
    if not rt:
        m = maps[0]
        assert m["pid"] == child and m["kind"] == "anon" and m["copies"] == 13, m
        assert int(words["anon"], 16) >= m["start"], m
        # heap 3 + stack 5 + file 7 are among the rest
        assert rest["copies"] >= 15 and rest["counters"]["cow_copies_file"] >= 7, rest
