#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The worked example of Documentation/example-redis.rst: which memory a
# Redis BGSAVE copies under a write load, with cowtrace attached to the
# server.  Needs redis-server and redis-tools (Debian), cowtrace (the BPF
# backend, or cowstat.ko loaded) and root.  In the project's test VM:
#   scripts/vm --kernel 6.1 --timeout 900 -- Documentation/examples/redis-bgsave.sh
# Extra cowtrace options in CTARGS (e.g. CTARGS="--json").
set -u
S=${TMPDIR:-/tmp}/redis-example.$$.sock
CT=${COWTRACE:-$(cd "$(dirname "$0")/../.." && pwd)/tools/cowtrace/cowtrace}
OUT=${OUT:-${TMPDIR:-/tmp}/redis-example.txt}
cd "${TMPDIR:-/tmp}" || exit 1

# 100 000 keys of 256 bytes; the save slowed down (10 us a key) so that the
# write load below runs while the child saves.
redis-server --port 0 --unixsocket "$S" --save '' --appendonly no \
	--dbfilename redis-example.rdb --daemonize no --logfile redis-example.log \
	--enable-debug-command yes --rdb-key-save-delay 10 &
srv=$!
n=0
until redis-cli -s "$S" ping >/dev/null 2>&1; do
	sleep 0.2
	n=$((n + 1))
	[ $n -le 100 ] || { echo "redis-server did not start"; cat redis-example.log; exit 1; }
done
redis-cli -s "$S" DEBUG POPULATE 100000 key 256 >/dev/null
redis-cli -s "$S" INFO memory | grep -E '^used_memory_(human|rss_human)'

# Attach to the server; its BGSAVE child is followed from its fork.
# Loading the BPF programs takes a while in an emulated guest: wait.
# shellcheck disable=SC2086
"$CT" --maps -n 8 ${CTARGS:-} -o "$OUT" -p $srv &
ct=$!
sleep "${ATTACH_WAIT:-40}"

redis-cli -s "$S" BGSAVE
redis-benchmark -s "$S" -t set -n 20000 -r 100000 -d 256 -q -c 4 2>&1 |
	tr '\r' '\n' | tail -n 1
while redis-cli -s "$S" INFO persistence | grep -q 'rdb_bgsave_in_progress:1'; do
	sleep 0.2
done
redis-cli -s "$S" INFO persistence | grep -E '^rdb_last_(cow_size|bgsave_time_sec)'
grep -E 'Fork CoW' redis-example.log
redis-cli -s "$S" SHUTDOWN NOSAVE >/dev/null 2>&1
wait $ct
cat "$OUT"
rm -f redis-example.rdb redis-example.log
