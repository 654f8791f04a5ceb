#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cowtrace's BPF backend in a guest (issue 10):
#   scripts/vm --kernel 6.1|6.12 [--flavor rt] --insmod -- tools/cowtrace/tests/bpf-vm-tests.sh
# One "PASS cowtrace-bpf/<name>" or "FAIL cowtrace-bpf/<name>: <why>" line per
# test; exits non-zero on any failure.
#
# First with the module unloaded: the backend choice, each hook's attach
# method, the selftest's exact counts (fentry and the kprobe fallback) and
# the error paths.  Then with the module loaded again: the scenario
# programs under one `cowtrace verify`: each must print its PASS line (the
# module's counts are exact) and verify must exit 0 (the BPF counts equal
# them, per process and per counter both call exact).

set -u
cd "$(dirname "$0")/.." || exit 1
COWTRACE=$PWD/cowtrace
TESTS=$(cd ../../tests && pwd)
WORK=$(mktemp -d /tmp/cowtrace-bpf.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LAYER=cowtrace-bpf
# shellcheck source=tools/cowtrace/tests/lib.sh
. tests/lib.sh

case "$(uname -r)" in *-rt-*) rt=1 ;; *) rt=0 ;; esac
ko=${COWSTAT_KO:-}
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
		if [ "$rc" = 0 ] && python3 tests/maps-check.py $n "$WORK/maps-$n.json" "$out" $rt \
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
cat /tmp/x.json >/dev/null 2>&1; for n in all top; do python3 -c "import json,sys;d=json.load(open(sys.argv[1]));[print(m[\"pid\"],m[\"kind\"],m[\"name\"],hex(m[\"start\"]),m[\"copies\"],m[\"bytes_copied\"]) for m in d[\"maps\"]]" $WORK/maps-$n.json; done; echo "$out"; echo "passed=$passed failed=$failed"
