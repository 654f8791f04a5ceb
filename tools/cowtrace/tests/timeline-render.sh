#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cowtrace --timeline in a real browser (issue 12): each SVG the VM lanes
# wrote (results/timeline/<kernel>.svg, by bpf-vm-tests.sh) must pass
# xmllint and render in headless Chromium (Debian's chromium, from
# scripts/deps) to a PNG that is not blank: more than MIN_INK pixels off
# the white background, in more than one colour (tests/png-ink.py).
#
#   tools/cowtrace/tests/timeline-render.sh [SVG...]
#
# Without arguments it takes results/timeline/*.svg; none there is a FAIL
# (the VM lanes should have written them), as is a missing chromium or
# xmllint.  One "PASS cowtrace-timeline/<name>" or "FAIL ...: <why>" line
# per check, then "N passed, N failed"; exits non-zero on any failure.

set -u
cd "$(dirname "$0")/.." || exit 1
PROJECT=$(cd ../.. && pwd)
WORK=$(mktemp -d /tmp/cowtrace-render.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LAYER=cowtrace-timeline
# shellcheck source=tools/cowtrace/tests/lib.sh
. tests/lib.sh
MIN_INK=${MIN_INK:-2000}

svgs=("$@")
if [ ${#svgs[@]} = 0 ]; then
	shopt -s nullglob
	svgs=("$PROJECT"/results/timeline/*.svg)
	shopt -u nullglob
fi
chromium=$(command -v chromium || command -v chromium-browser || true)

if [ ${#svgs[@]} = 0 ]; then
	fail svg-found "no SVG in results/timeline/ (bpf-vm-tests.sh writes one per kernel: run the vm layer first)"
elif [ -z "$chromium" ]; then
	fail chromium "chromium is missing: install it (scripts/deps)"
elif ! command -v xmllint >/dev/null; then
	fail xmllint "xmllint is missing: install libxml2-utils (scripts/deps)"
else
	for svg in "${svgs[@]}"; do
		name=$(basename "$svg" .svg)
		if xmllint --noout "$svg" 2>"$WORK/xerr"; then
			pass "$name/xmllint"
		else
			fail "$name/xmllint" "$(head -c 300 "$WORK/xerr")"
		fi
		# the picture's own size, from the root element
		w=$(grep -o -m1 '<svg [^>]*' "$svg" | sed -n 's/.* width="\([0-9]*\)".*/\1/p')
		h=$(grep -o -m1 '<svg [^>]*' "$svg" | sed -n 's/.* height="\([0-9]*\)".*/\1/p')
		png=$WORK/$name.png
		# root (CI, the guest's share) needs --no-sandbox; a private
		# profile so that parallel runs do not share one
		timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
			--user-data-dir="$WORK/profile" --hide-scrollbars \
			--window-size="${w:-1200},${h:-600}" --screenshot="$png" \
			"file://$(realpath "$svg")" >"$WORK/chromium.log" 2>&1
		crc=$?
		if [ $crc != 0 ] || [ ! -s "$png" ]; then
			fail "$name/chromium-render" "chromium exited $crc, no PNG: $(tail -n 3 "$WORK/chromium.log" | tr '\n' ' ')"
			continue
		fi
		if out=$(python3 tests/png-ink.py "$png" "$MIN_INK" 2>&1); then
			pass "$name/not-blank"
			echo "$name: $out" >&2
		else
			fail "$name/not-blank" "$out"
		fi
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
