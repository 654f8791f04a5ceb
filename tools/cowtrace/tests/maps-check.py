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
assert int(words["heap_resident"]) >= 3, words

# A mapping of the child, by an address inside it.
def mapping(name):
    addr = int(words[name], 16)
    found = [m for m in maps if m["pid"] == child and m["start"] <= addr < m["end"]]
    assert len(found) == 1, (name, hex(addr), found)
    return found[0]

# kind, name, and exact counters of each mapping maps-prog.c writes
want = {
    # pthread_create mallocs: fork shares the heap's resident pages
    "heap": ("heap", None, {"cow_copies": 3, "cow_copies_anon": 3, "cow_reuses": 0,
                            "fork_pages_shared_anon": int(words["heap_resident"])}),
    "stack": ("stack", None, {"cow_copies": 5, "cow_copies_anon": 5, "cow_reuses": 0}),
    "file": ("file", "maps-prog.", {"cow_copies": 7, "cow_copies_file": 7, "cow_at_fault": 0,
                                    "cow_reuses": 0, "fork_pages_shared": 8,
                                    "fork_pages_shared_anon": 1}),
    "shared": ("shared", "dev/zero", {"cow_copies": 0, "cow_reuses": 0, "shared_writes": 0,
                                      "fork_vmas_skipped": 1, "fork_pages_shared": 0}),
    "anon": ("anon", None, {"cow_copies": 13, "cow_copies_anon": 13, "cow_reuses": 0,
                            "fork_pages_shared_anon": 13}),
    # a thread's stack is an anonymous mapping to the kernel
    "thread": ("anon", None, {"cow_copies": 4, "cow_copies_anon": 4, "cow_reuses": 0}),
    "huge": ("hugetlb", "anon_hugepage", {"hugetlb_copies": 1, "hugetlb_reuses": 0, "cow_copies": 0,
                               "fork_hugetlb_shared": 1}),
}
HUGE = 2 << 20
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
            huge = counters.get("hugetlb_copies", 0)
            assert m["copies"] == counters["cow_copies"] + huge, (name, m["copies"])
            assert m["bytes_copied"] == 4096 * counters["cow_copies"] + HUGE * huge, (name, m)
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
    assert rest["mappings"] >= 6, rest["mappings"]
    if not rt:
        # the 2 MB hugetlb copy costs most
        m = maps[0]
        assert m["pid"] == child and m["kind"] == "hugetlb" and m["copies"] == 1, m
        assert m["bytes_copied"] == HUGE and m["start"] == int(words["huge"], 16), m
        # anon 13 + heap 3 + stack 5 + file 7 + thread 4 are among the rest
        assert rest["copies"] >= 32 and rest["counters"]["cow_copies_file"] >= 7, rest
        assert rest["counters"]["hugetlb_copies"] == 0, rest
