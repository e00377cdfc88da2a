"""KTAP parser for the kernel's test output on the serial console.

Why: `ktest=...` makes the kernel print its in-kernel test results in KTAP
version 1 (the Linux kernel's test-result format, Documentation/dev-tools/
ktap.rst) and the host has to turn a raw serial log into pass/fail/skip
results.  A serial log is messy: GRUB's menu output and escape sequences come
first, the kernel may print other lines in between, and a panicking or hung
kernel stops in the middle of the report.  So this parser:

  1. drops everything before the first "KTAP version" (or "TAP version")
     line, including garbage on that same line;
  2. follows nested subtests by indentation (a stack of open blocks);
  3. attaches diagnostics and unknown lines to the test that is running,
     which is the one whose result line comes next;
  4. treats a "# SKIP" directive as a skip whether the line says ok or not ok;
  5. compares the results with the plan ("1..N") and reports missing tests
     as crashed;
  6. notices a "Kernel panic - not syncing" line anywhere in the log;
  7. accepts further top-level documents that name themselves with a
     "# Subtest: NAME" line right after their version line (Switchyard's
     init prints the user-space tests that way after the kernel's own
     report); an unnamed second version line still means the kernel
     started over and is an error.

Usage:
    result = ktap.parse(serial_text)
    for test in result.tests:          # top-level tests, in order
        print(test.name, test.status)  # status: pass, fail, skip, crashed
    result.plan                        # N from "1..N", or None
    result.errors                      # e.g. ["planned 5, ran 3"]
    result.ok                          # no errors and nothing failed
    result.documents                   # later named documents (Results)
    result.document("user")            # the one named "user", or None

Run as a script (python3 tests/ktap.py LOG) it prints a summary of a log.
"""

import re
import sys

PASS, FAIL, SKIP, CRASHED = "pass", "fail", "skip", "crashed"

# Terminal escape sequences (GRUB draws its menu with them) and other control
# characters that can end up in a serial log.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHM]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

_VERSION = re.compile(r"(?:KTAP|TAP) version (\d+)\s*$")
_PLAN = re.compile(r"1\.\.(\d+)\s*(?:#.*)?$")
_RESULT = re.compile(r"(ok|not ok)\s+(\d+)\s*(?:-\s+)?([^#]*?)\s*(?:#\s*(.*))?$")
_SUBTEST = re.compile(r"#\s*Subtest:\s*(.*?)\s*$")
_TOTALS = re.compile(r"#\s*Totals:\s*(.*)$")
_PANIC = "Kernel panic - not syncing"
# A console timestamp such as "[    0.123456] " in front of every line.
_TIMESTAMP = re.compile(r"\[\s*\d+\.\d+\]\s?")


class Test:
    """One test result: a line "ok N name" or "not ok N name", or a test the
    plan promised that never reported (status "crashed")."""

    def __init__(self, number, name, status, directive="", diagnostics=None):
        self.number = number
        self.name = name
        self.status = status
        self.directive = directive        # text after "#", e.g. "SKIP no SMP"
        self.diagnostics = diagnostics if diagnostics is not None else []
        self.subtests = []                # nested Test objects
        self.subplan = None               # nested "1..N", if any

    def __iter__(self):
        # Lets callers write: for name, status, diagnostics in result.tests
        return iter((self.name, self.status, self.diagnostics))

    def __repr__(self):
        return "Test(%d, %r, %r)" % (self.number, self.name, self.status)


class Result:
    """Everything parse() found in one log."""

    def __init__(self):
        self.version = None     # KTAP version number, None if never seen
        self.plan = None        # N from the top-level "1..N"
        self.tests = []         # top-level Test objects
        self.errors = []        # problems with the report as a whole
        self.panic = None       # the panic line, if the kernel panicked
        self.totals = None      # {"pass": P, "fail": F, ...} from "# Totals:"
        self.name = None        # from "# Subtest: NAME" after the version line
        self.documents = []     # further top-level documents, in order

    def document(self, name):
        """This document or a later one named NAME, or None."""
        for doc in [self] + self.documents:
            if doc.name == name:
                return doc
        return None

    def counts(self):
        """Number of top-level tests per status."""
        counts = {PASS: 0, FAIL: 0, SKIP: 0, CRASHED: 0}
        for test in self.tests:
            counts[test.status] += 1
        return counts

    def walk(self):
        """Yield (path, test) for every test, nested ones too; path is the
        list of names from the top level down to the test."""
        def visit(tests, prefix):
            for test in tests:
                path = prefix + [test.name]
                yield path, test
                yield from visit(test.subtests, path)
        yield from visit(self.tests, [])

    @property
    def ok(self):
        return (not self.errors and all(t.status in (PASS, SKIP) for t in self.tests)
                and all(doc.ok for doc in self.documents))


class _Block:
    """An open KTAP block (the top level or a nested subtest) while parsing."""

    def __init__(self, indent, name=None):
        self.indent = indent
        self.name = name        # from "# Subtest: name", if given
        self.plan = None
        self.tests = []
        self.pending = []       # lines for the test whose result comes next
        self.child = None       # finished nested block for the next result
        self.errors = []
        self.totals = None      # "# Totals:" of a top-level document


def clean(line):
    """Remove escape sequences and control characters from one log line."""
    line = _ANSI.sub("", line)
    return _CONTROL.sub("", line.replace("\t", "    ")).rstrip()


def _status(ok_word, directive):
    word = directive.split(None, 1)[0].upper() if directive else ""
    if word == "SKIP" or word == "TODO":
        return SKIP
    return PASS if ok_word == "ok" else FAIL


def _finish(block, is_root):
    """Close BLOCK at the end of the log or when its parent reports: turn
    leftover lines into a crashed test and check the count against the plan.
    Only the top level must have a plan; a nested block without one is
    accepted (older producers leave it out)."""
    reported = len(block.tests)
    more_planned = block.plan is not None and reported < block.plan
    if block.child is not None or (block.pending and more_planned):
        # A test started (it opened subtests, or printed while more were
        # planned) but never reported.  Lines after the last planned result
        # are just console output.
        _add_crashed(block, reported + 1)
    if block.plan is None:
        if is_root:
            block.errors.append("no plan line")
    elif reported != block.plan:
        block.errors.append("planned %d, ran %d" % (block.plan, reported))
        for number in range(len(block.tests) + 1, block.plan + 1):
            _add_crashed(block, number)


def _close_top(stack):
    """Pop the innermost block; it holds the subtests of the next result in
    the block around it.  If that block already holds one (two nested blocks
    in a row), the parent of the first never reported: it crashed."""
    child = stack.pop()
    _finish(child, False)
    parent = stack[-1]
    if parent.child is not None:
        _add_crashed(parent, len(parent.tests) + 1)
    parent.child = child


RUNNING = re.compile(r"^(?:# )?running: (\S+)$")


def _crashed_name(pending, number):
    """Switchyard's runner announces each test ("# running: NAME") before
    it starts, so a test that takes the kernel down still has a name."""
    for line in reversed(pending):
        match = RUNNING.match(line.strip())
        if match:
            return match.group(1)
    return "test %d" % number


def _add_crashed(block, number):
    test = Test(number, _crashed_name(block.pending, number), CRASHED,
                diagnostics=block.pending)
    block.pending = []
    if block.child is not None:
        _attach(test, block.child)
        block.child = None
    test.diagnostics.append("no result line (crashed or stopped)")
    block.tests.append(test)


def _attach(parent, child):
    """Give PARENT the subtests of the finished nested block CHILD."""
    parent.subtests = child.tests
    parent.subplan = child.plan
    if parent.status == CRASHED and child.name:
        parent.name = child.name
    for error in child.errors:
        parent.diagnostics.append("subtest error: " + error)
    failed = [t.name for t in child.tests if t.status in (FAIL, CRASHED)]
    if parent.status == PASS and (failed or child.errors):
        # KTAP: a parent fails if any of its subtests fails.
        parent.status = FAIL
        parent.diagnostics.append("reported ok, but subtests failed: " + ", ".join(failed or ["(plan)"]))


def parse(text):
    """Parse a serial log (str) and return a Result."""
    result = Result()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [clean(line) for line in lines]

    for line in lines:
        if _PANIC in line:
            result.panic = line[line.index(_PANIC):]
            result.errors.append("kernel panic: " + result.panic)
            break

    # 1. Find the version line; whatever comes before it on that line is
    # garbage (escape sequences, a timestamp) and is dropped.
    start = None
    for index, line in enumerate(lines):
        match = re.search(r"(?:KTAP|TAP) version (\d+)", line)
        if match:
            start, prefix = index, line[:match.start()]
            result.version = int(match.group(1))
            break
    if start is None:
        result.errors.insert(0, "no KTAP version line")
        return result
    # If the version line had a console timestamp in front, every line has.
    strip_timestamps = re.search(r"\[\s*\d+\.\d+\]\s?$", prefix) is not None

    body_lines = []
    for raw in lines[start + 1:]:
        if strip_timestamps:
            match = _TIMESTAMP.match(raw)
            if match:
                raw = raw[match.end():]
        body = raw.lstrip(" ")
        if body:
            body_lines.append((len(raw) - len(body), body))

    root = _Block(0)
    stack = [root]
    if body_lines and body_lines[0][0] == 0 and _SUBTEST.match(body_lines[0][1]):
        root.name = _SUBTEST.match(body_lines[0][1]).group(1)
    roots = [root]              # one per top-level document

    for index, (indent, body) in enumerate(body_lines):
        top = stack[-1]

        if _VERSION.match(body) or (_SUBTEST.match(body) and indent > top.indent):
            # A nested block opens; blocks at the same or a deeper
            # indentation are finished.
            if indent <= root.indent:
                following = body_lines[index + 1] if index + 1 < len(body_lines) else None
                named = (_VERSION.match(body) and following and following[0] == indent
                         and _SUBTEST.match(following[1]))
                if not named:
                    root.errors.append("second KTAP version line (kernel restarted?)")
                    continue
                # Another document, named by its "# Subtest:" line: the
                # one before it is complete.
                while len(stack) > 1:
                    _close_top(stack)
                root = _Block(indent, named.group(1))
                roots.append(root)
                stack = [root]
                continue
            while len(stack) > 1 and stack[-1].indent >= indent:
                _close_top(stack)
            subtest = _SUBTEST.match(body)
            stack.append(_Block(indent, subtest.group(1) if subtest else None))
            continue

        subtest = _SUBTEST.match(body)
        if (subtest and indent == top.indent and not top.tests
                and (len(stack) > 1 or top.plan is None)):
            top.name = subtest.group(1)          # "KTAP version 1" then "# Subtest: x"
            continue

        plan = _PLAN.match(body)
        if plan:
            block = _block_at(stack, indent)
            if block.plan is None and not block.tests:
                block.plan = int(plan.group(1))
            else:
                block.pending.append(body)
            continue

        totals = _TOTALS.match(body)
        if totals and indent <= root.indent:
            root.totals = dict((k, int(v)) for k, v in re.findall(r"(\w+):(\d+)", totals.group(1)))
            continue

        res = _RESULT.match(body)
        if res:
            # Results at a shallower indentation close the deeper blocks:
            # each closed block belongs to the next result of its parent.
            while len(stack) > 1 and stack[-1].indent > indent:
                _close_top(stack)
            block = stack[-1]
            if indent > block.indent:
                # A deeper result without a version line: an implicit block.
                block = _Block(indent)
                stack.append(block)
            ok_word, number, name, directive = res.group(1), int(res.group(2)), res.group(3), res.group(4) or ""
            expected = len(block.tests) + 1
            if number != expected:
                block.errors.append("test %d reported as number %d" % (expected, number))
            test = Test(number, name or "test %d" % number, _status(ok_word, directive),
                        directive, block.pending)
            block.pending = []
            if block.child is not None:
                _attach(test, block.child)
                block.child = None
            block.tests.append(test)
            continue

        # A diagnostic ("# ...") or an unknown line: it belongs to the test
        # that is running in the innermost open block.
        diagnostic = re.match(r"#\s?(.*)$", body)
        top.pending.append(diagnostic.group(1) if diagnostic else body)

    # End of log: close blocks from the innermost out; anything still open
    # never reported, so it crashed.
    while len(stack) > 1:
        _close_top(stack)
    for block in roots:
        _finish(block, True)

    first = roots[0]
    result.plan = first.plan
    result.tests = first.tests
    result.name = first.name
    result.totals = first.totals
    result.errors = first.errors + result.errors
    _check_totals(result)
    for block in roots[1:]:
        doc = Result()
        doc.version = result.version
        doc.name = block.name
        doc.plan = block.plan
        doc.tests = block.tests
        doc.totals = block.totals
        doc.errors = block.errors
        _check_totals(doc)
        result.documents.append(doc)
    return result


def _block_at(stack, indent):
    """The open block a line at INDENT belongs to (the deepest one not
    indented further than the line)."""
    for block in reversed(stack):
        if block.indent <= indent:
            return block
    return stack[0]


def _check_totals(result):
    """If the kernel printed "# Totals: pass:P fail:F skip:S", it must agree
    with the results we parsed; a disagreement means lost or garbled lines."""
    if result.totals is None:
        return
    counts = result.counts()
    seen = {"pass": counts[PASS], "fail": counts[FAIL] + counts[CRASHED], "skip": counts[SKIP]}
    for key in ("pass", "fail", "skip"):
        if key in result.totals and result.totals[key] != seen[key]:
            result.errors.append("totals line says %s but parsed %s" % (
                " ".join("%s:%d" % (k, result.totals.get(k, 0)) for k in ("pass", "fail", "skip")),
                " ".join("%s:%d" % (k, seen[k]) for k in ("pass", "fail", "skip"))))
            return


def main(argv):
    if len(argv) != 2:
        print("usage: python3 tests/ktap.py SERIAL.log", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        result = parse(f.read())
    for doc in [result] + result.documents:
        if doc is not result or doc.name:
            print("== document %s" % (doc.name or "(unnamed)"))
        for path, test in doc.walk():
            print("%-8s %s%s" % (test.status, "  " * (len(path) - 1), test.name))
            if test.status in (FAIL, CRASHED):
                for line in test.diagnostics[-10:]:
                    print("         %s# %s" % ("  " * (len(path) - 1), line))
        for error in doc.errors:
            print("error:   %s" % error)
        counts = doc.counts()
        print("plan %s: %d pass, %d fail, %d skip, %d crashed" % (
            doc.plan, counts[PASS], counts[FAIL], counts[SKIP], counts[CRASHED]))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
