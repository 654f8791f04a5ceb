#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a KUnit run into cowstat's result lines.

Reads the raw kernel log kunit.py leaves in <build_dir>/test.log (KTAP) and
prints one line per test case:

    PASS kunit/<suite>.<case>
    FAIL kunit/<suite>.<case>: <why>
    SKIP kunit/<suite>.<case>: <why>

A parameterised case is one line; when it fails, the reason names the
failing parameters.  The run also fails when kunit.py failed without a
failing case to show for it (a build error, a crash) and when kunit.py
reports that zero tests ran.  Exit status 1 when any FAIL line was printed.

Our own parser rather than kunit.py's: kunit_parser's API differs between
the 6.1 and 6.12 trees, KTAP does not.
"""

import argparse
import re
import sys

VERSION_RE = re.compile(r'K?TAP version \d+')
SUBTEST_RE = re.compile(r'^\s*# Subtest: (.+?)\s*$')
RESULT_RE = re.compile(
    r'^\s*(ok|not ok) (\d+)(?: -)? ?(.*?)(?: # (SKIP|TODO)\b ?(.*))?\s*$')
PLAN_RE = re.compile(r'^\s*1\.\.\d+\s*$')
# kunit's own bookkeeping lines, never a reason.
STATS_RE = re.compile(r'^\s*# (.*: )?(pass|Totals: pass):\d+')
FAILED_RE = re.compile(r'(EXPECTATION|ASSERTION) FAILED at|'
                       r'# .*(failed|crashed|timed out)', re.IGNORECASE)


class Test:
    def __init__(self, name):
        self.name = name
        self.ok = None
        self.directive = None
        self.comment = ''
        self.children = []
        self.diag = []      # the lines this test logged
        self.pending = []   # lines since the last child's result


def ktap_lines(text):
    """Yield the KTAP part of the log with the console prefix removed."""
    prefix = None
    for line in text.splitlines():
        if prefix is None:
            m = VERSION_RE.search(line)
            if m:
                prefix = m.start()
            continue
        yield line[prefix:] if len(line) >= prefix else line.strip()


def parse(text):
    root = Test('')
    stack = [root]
    for line in ktap_lines(text):
        if VERSION_RE.match(line.strip()) or PLAN_RE.match(line):
            continue
        m = SUBTEST_RE.match(line)
        if m:
            frame = Test(m.group(1))
            frame.diag, stack[-1].pending = stack[-1].pending, []
            stack.append(frame)
            continue
        m = RESULT_RE.match(line)
        if m:
            name = m.group(3).strip()
            if len(stack) > 1 and stack[-1].name == name:
                node = stack.pop()
                # what a case logs after its last parameter is its own
                node.diag += node.pending
            else:
                node = Test(name)
                node.diag, stack[-1].pending = stack[-1].pending, []
            node.ok = m.group(1) == 'ok'
            node.directive = m.group(4)
            node.comment = (m.group(5) or '').strip()
            stack[-1].children.append(node)
            continue
        if line.strip():
            stack[-1].pending.append(line.strip())
    # Frames never closed: the kernel died or timed out inside them.
    unclosed = stack[1:]
    return root, unclosed


def reason(test):
    """One line saying why a case failed, from its log."""
    msgs = []
    grab = False
    for line in test.diag:
        if STATS_RE.match(line):
            grab = False
            continue
        if FAILED_RE.search(line):
            grab = True
            # "# <case>: EXPECTATION FAILED at f.c:12": the case is named
            # already in the result line.
            msgs.append(re.sub(r'^# (\S+: )?', '', line))
            continue
        if grab:
            if line.startswith('#'):
                grab = False
            else:
                # "Expected a == b, but" / "a == 1" / "b == 2"
                sep = ' ' if msgs[-1].endswith(('but', ':')) else '; '
                msgs[-1] += sep + line
    if test.children:
        bad = [c for c in test.children if not c.ok]
        parts = []
        for c in bad:
            r = reason(c)
            parts.append("param '%s'%s" % (c.name, ': ' + r if r else ''))
        msgs = ['%d of %d parameters failed: %s'
                % (len(bad), len(test.children), '; '.join(parts))] + msgs
    text = '; '.join(msgs) if msgs else 'failed (no expectation message)'
    # Name files by their project path, not the kernel-tree link.
    text = text.replace('lib/cowstat/', '')
    return re.sub(r'\s+', ' ', text)


def emit(out, status, name, why=None):
    out.append('%s kunit/%s%s' % (status, name, ': ' + why if why else ''))


def convert(root, unclosed):
    out = []
    for suite in root.children:
        if not suite.children:
            if suite.ok and suite.directive != 'SKIP':
                continue
            if suite.directive == 'SKIP':
                emit(out, 'SKIP', suite.name, suite.comment or 'skipped')
            else:
                emit(out, 'FAIL', suite.name,
                     reason(suite) if suite.diag else 'suite failed, no case ran')
            continue
        for case in suite.children:
            name = '%s.%s' % (suite.name, case.name)
            if case.directive == 'SKIP':
                emit(out, 'SKIP', name, case.comment or 'skipped')
            elif case.ok:
                emit(out, 'PASS', name)
            else:
                emit(out, 'FAIL', name, reason(case))
    for frame in unclosed:
        where = frame.name
        last = (frame.pending or frame.diag or [''])[-1]
        emit(out, 'FAIL', where,
             'no result: the kernel crashed or timed out here%s'
             % ('; last line: ' + last if last else ''))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--kunit-rc', type=int, required=True,
                    help="kunit.py's exit status")
    ap.add_argument('--kunit-output', required=True,
                    help="file holding kunit.py's output")
    ap.add_argument('--test-log', required=True,
                    help='raw kernel log (<build_dir>/test.log)')
    args = ap.parse_args()

    try:
        with open(args.kunit_output, errors='replace') as f:
            kunit_out = f.read()
    except OSError:
        kunit_out = ''
    try:
        with open(args.test_log, errors='replace') as f:
            log = f.read()
    except OSError:
        log = ''

    root, unclosed = parse(log)
    lines = convert(root, unclosed)
    failed = any(line.startswith('FAIL ') for line in lines)

    # The count kunit.py reports is the guard: zero tests is a failure
    # even when every line above says PASS.
    ran = re.findall(r'Ran (\d+) tests', kunit_out)
    if not ran or int(ran[-1]) == 0:
        why = 'zero tests ran' if ran else 'kunit.py reported no test count'
        if args.kunit_rc:
            errs = [l.strip() for l in kunit_out.splitlines()
                    if re.search(r'error|ERROR|Error', l)]
            why += ' (kunit.py exited %d%s)' % (
                args.kunit_rc, ': ' + ' | '.join(errs[:3]) if errs else '')
        lines.append('FAIL kunit/run: ' + why)
        failed = True
    elif args.kunit_rc and not failed:
        lines.append('FAIL kunit/run: kunit.py exited %d with no failing '
                     'case in the log' % args.kunit_rc)
        failed = True
    elif not args.kunit_rc and failed:
        # kunit.py and this parser disagree: trust neither silently.
        lines.append('FAIL kunit/run: kunit.py exited 0 but the log has '
                     'failures')

    for line in lines:
        print(line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
