#!/usr/bin/env python3
"""Host unit tests for tests/ktap.py, the KTAP parser.

Why: the boot-matrix results are only as trustworthy as the parser that reads
the serial log, and a parser bug would silently turn a crash into a pass.
Each case below feeds a small hand-written log to ktap.parse() and checks
what it reports.  Plain python3, no test framework; the cases' results are
printed in KTAP (so tests/run.py can list them one by one) and the exit
status is 1 if any case failed.

    python3 tests/unit/test_ktap.py
"""

import os
import sys
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ktap  # noqa: E402  (needs the path set up above)

CASES = []


def case(function):
    CASES.append(function)
    return function


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def statuses(result):
    return [(t.name, t.status) for t in result.tests]


def log(*lines):
    return "\n".join(lines) + "\n"


@case
def all_pass():
    r = ktap.parse(log("KTAP version 1", "1..2", "ok 1 alpha", "ok 2 beta",
                       "# Totals: pass:2 fail:0 skip:0"))
    check(r.version == 1 and r.plan == 2, "version/plan: %r %r" % (r.version, r.plan))
    check(statuses(r) == [("alpha", "pass"), ("beta", "pass")], statuses(r))
    check(r.errors == [], r.errors)
    check(r.totals == {"pass": 2, "fail": 0, "skip": 0}, r.totals)
    check(r.ok, "result not ok")


@case
def garbage_prefix():
    # GRUB's escape sequences and boot chatter first, then the kernel's banner;
    # the version line itself starts after leftover escape codes.
    text = ("\x1b[2J\x1b[H\x1b[0;30;47mGNU GRUB  version 2.06\x1b[0m\r\n"
            "Booting `Switchyard'\r\n\r\n"
            "switchyard: ok 7 this is not a test line\r\n"
            "\x1b[?25lgarbage KTAP version 1\r\n"
            "1..1\r\n"
            "ok 1 only\r\n")
    r = ktap.parse(text)
    check(r.version == 1, "version %r" % r.version)
    check(statuses(r) == [("only", "pass")], statuses(r))
    check(r.ok, r.errors)


@case
def timestamp_prefix():
    r = ktap.parse(log("[    0.100000] KTAP version 1", "[    0.100001] 1..1",
                       "[    0.100002] # hello", "[    0.100003] ok 1 stamped"))
    check(statuses(r) == [("stamped", "pass")], statuses(r))
    check(r.tests[0].diagnostics == ["hello"], r.tests[0].diagnostics)
    check(r.ok, r.errors)


@case
def tap13_and_dash():
    r = ktap.parse(log("TAP version 13", "1..2", "ok 1 - dashed name", "not ok 2 - broken"))
    check(r.version == 13, r.version)
    check(statuses(r) == [("dashed name", "pass"), ("broken", "fail")], statuses(r))
    check(not r.ok, "a failed test must make the result not ok")


@case
def skip_directive():
    r = ktap.parse(log("KTAP version 1", "1..4",
                       "ok 1 a # SKIP no second CPU",
                       "not ok 2 b # SKIP needs UEFI",
                       "ok 3 # skip unnamed",
                       "not ok 4 d # TIMEOUT"))
    check(statuses(r) == [("a", "skip"), ("b", "skip"), ("test 3", "skip"), ("d", "fail")],
          statuses(r))
    check(r.tests[0].directive == "SKIP no second CPU", r.tests[0].directive)
    check(r.errors == [], r.errors)


@case
def failure_with_diagnostics():
    r = ktap.parse(log("KTAP version 1", "1..2",
                       "# pmm: allocating 10 frames",
                       "# expected 0x1000, got 0x2000",
                       "not ok 1 pmm_alloc",
                       "some console line",
                       "ok 2 vmm_map"))
    check(statuses(r) == [("pmm_alloc", "fail"), ("vmm_map", "pass")], statuses(r))
    check(r.tests[0].diagnostics == ["pmm: allocating 10 frames", "expected 0x1000, got 0x2000"],
          r.tests[0].diagnostics)
    check(r.tests[1].diagnostics == ["some console line"], r.tests[1].diagnostics)
    check(r.errors == [] and not r.ok, (r.errors, r.ok))


@case
def nested_subtests():
    r = ktap.parse(log("KTAP version 1", "1..2",
                       "  KTAP version 1",
                       "  1..2",
                       "  ok 1 child_a",
                       "  ok 2 child_b # SKIP later",
                       "ok 1 parent",
                       "ok 2 sibling"))
    check(statuses(r) == [("parent", "pass"), ("sibling", "pass")], statuses(r))
    parent = r.tests[0]
    check([(t.name, t.status) for t in parent.subtests] == [("child_a", "pass"), ("child_b", "skip")],
          parent.subtests)
    check(parent.subplan == 2, parent.subplan)
    paths = ["/".join(path) for path, _ in r.walk()]
    check(paths == ["parent", "parent/child_a", "parent/child_b", "sibling"], paths)
    check(r.ok, r.errors)


@case
def nested_failure_fails_parent():
    r = ktap.parse(log("KTAP version 1", "1..1",
                       "    KTAP version 1",
                       "    # Subtest: sched",
                       "    1..2",
                       "    ok 1 yield",
                       "    not ok 2 preempt",
                       "ok 1 sched"))
    check(statuses(r) == [("sched", "fail")], statuses(r))
    check(any("preempt" in d for d in r.tests[0].diagnostics), r.tests[0].diagnostics)


@case
def nested_crash():
    # The nested block stops half way and its parent never reports.
    r = ktap.parse(log("KTAP version 1", "1..2",
                       "  KTAP version 1",
                       "  # Subtest: mm",
                       "  1..3",
                       "  ok 1 first",
                       "  # about to touch 0xdead0000"))
    check([t.status for t in r.tests] == ["crashed", "crashed"], statuses(r))
    mm = r.tests[0]
    check(mm.name == "mm", mm.name)
    check([t.status for t in mm.subtests] == ["pass", "crashed", "crashed"], mm.subtests)
    check("about to touch 0xdead0000" in mm.subtests[1].diagnostics, mm.subtests[1].diagnostics)
    check("planned 2, ran 0" in r.errors, r.errors)


@case
def missing_plan():
    r = ktap.parse(log("KTAP version 1", "ok 1 a", "ok 2 b"))
    check(r.plan is None, r.plan)
    check(statuses(r) == [("a", "pass"), ("b", "pass")], statuses(r))
    check(r.errors == ["no plan line"], r.errors)
    check(not r.ok, "missing plan must not be ok")


@case
def short_run():
    r = ktap.parse(log("KTAP version 1", "1..5", "ok 1 a", "ok 2 b", "ok 3 c",
                       "# c2: starting"))
    check(r.errors == ["planned 5, ran 3"], r.errors)
    check([t.status for t in r.tests] == ["pass"] * 3 + ["crashed"] * 2, statuses(r))
    check(r.tests[3].diagnostics[0] == "c2: starting", r.tests[3].diagnostics)
    check(r.counts()["crashed"] == 2, r.counts())


@case
def too_many_results():
    r = ktap.parse(log("KTAP version 1", "1..1", "ok 1 a", "ok 2 b"))
    check("planned 1, ran 2" in r.errors, r.errors)


@case
def numbering_gap():
    r = ktap.parse(log("KTAP version 1", "1..2", "ok 1 a", "ok 3 c"))
    check(any("reported as number 3" in e for e in r.errors), r.errors)


@case
def panic_mid_run():
    r = ktap.parse(log("KTAP version 1", "1..3", "ok 1 a",
                       "Kernel panic - not syncing: page fault at 0x0 in vmm_test",
                       "  #0 0xffffffff80101234 vmm_test+0x34",
                       "---[ end Kernel panic ]---"))
    check(r.panic == "Kernel panic - not syncing: page fault at 0x0 in vmm_test", r.panic)
    check("kernel panic: " + r.panic in r.errors, r.errors)
    check("planned 3, ran 1" in r.errors, r.errors)
    check([t.status for t in r.tests] == ["pass", "crashed", "crashed"], statuses(r))
    check(any("page fault" in d for d in r.tests[1].diagnostics), r.tests[1].diagnostics)


@case
def crashed_test_named_by_running_line():
    # kernel/ktest.c announces each test; the one that never reports keeps
    # its name, the ones after it stay numbered
    r = ktap.parse(log("KTAP version 1", "1..3", "# running: a", "ok 1 a",
                       "# running: smp_ipi_storm",
                       "Kernel panic - not syncing: BUG at kernel/smp.c:12"))
    check([t.name for t in r.tests] == ["a", "smp_ipi_storm", "test 3"],
          [t.name for t in r.tests])
    check([t.status for t in r.tests] == ["pass", "crashed", "crashed"], statuses(r))


@case
def panic_before_ktap():
    r = ktap.parse(log("switchyard: booting", "Kernel panic - not syncing: no memory map"))
    check(r.errors[0] == "no KTAP version line", r.errors)
    check(any(e.startswith("kernel panic") for e in r.errors), r.errors)
    check(r.tests == [] and not r.ok, statuses(r))


@case
def empty_log():
    r = ktap.parse("")
    check(r.errors == ["no KTAP version line"], r.errors)
    check(not r.ok, "empty log must not be ok")


@case
def trailing_console_output():
    # Lines after the last planned result are console noise, not a crash.
    r = ktap.parse(log("KTAP version 1", "1..1", "ok 1 a",
                       "# Totals: pass:1 fail:0 skip:0", "switchyard: exiting QEMU"))
    check(r.ok and len(r.tests) == 1, (r.errors, statuses(r)))


@case
def totals_mismatch():
    r = ktap.parse(log("KTAP version 1", "1..2", "ok 1 a", "not ok 2 b",
                       "# Totals: pass:2 fail:0 skip:0"))
    check(any(e.startswith("totals line says") for e in r.errors), r.errors)


@case
def crlf_and_tabs():
    r = ktap.parse("KTAP version 1\r\n1..1\r\n#\tdiag\r\nok 1 a\r\n")
    check(statuses(r) == [("a", "pass")] and r.ok, (statuses(r), r.errors))


@case
def tuple_unpacking():
    r = ktap.parse(log("KTAP version 1", "1..1", "# why", "not ok 1 a"))
    for name, status, diagnostics in r.tests:
        check((name, status, diagnostics) == ("a", "fail", ["why"]), (name, status, diagnostics))


@case
def version_line_with_trailing_text():
    r = ktap.parse(log("KTAP version 1 (switchyard)", "1..1", "ok 1 a"))
    check(r.version == 1 and r.ok, (r.version, r.errors))


@case
def never_raises_on_garbage():
    # Random mixes of KTAP-looking lines at random indentations: whatever
    # the kernel prints, the parser must give a result, not a traceback.
    import random
    vocabulary = ["KTAP version 1", "TAP version 13", "1..3", "1..0", "ok 1 a",
                  "not ok 2 b # SKIP x", "ok 3", "# Subtest: s", "# diag", "1..",
                  "# Totals: pass:1 fail:0 skip:0", "Kernel panic - not syncing: x",
                  "garbage", "\x1b[2J", "ok 7 z # TODO", "not ok 1", "ok x", "#", ""]
    rng = random.Random(2026)
    for _ in range(2000):
        lines = [" " * rng.choice([0, 0, 0, 1, 2, 4, 8]) + rng.choice(vocabulary)
                 for _ in range(rng.randint(0, 20))]
        r = ktap.parse("\n".join(lines))
        list(r.walk())
        r.counts()


# ---------------------------------------------------------------- user space
# With "ktest=all utest" the kernel prints its report, then starts init,
# which prints a second top-level document named "user" whose tests are the
# /tests/ programs, each nesting the KTAP document the program printed.

KERNEL_DOC = ("KTAP version 1", "1..2", "# running: a", "ok 1 a", "# running: b", "ok 2 b",
              "# Totals: pass:2 fail:0 skip:0")


def user_doc(*body, plan=None):
    return ("KTAP version 1", "# Subtest: user", "1..%d" % plan) + body


@case
def user_document_after_kernel():
    r = ktap.parse(log(*KERNEL_DOC, "init: starting /bin/init", *user_doc(
        "# running: files",
        "    KTAP version 1",
        "    # Subtest: files",
        "    1..2",
        "    # running: open_read",
        "    ok 1 open_read",
        "    ok 2 ioctl # SKIP not a terminal",
        "# files: exit status 0 after 12 ms",
        "ok 1 files",
        "ok 2 leak_check",
        "# Totals: pass:2 fail:0 skip:0",
        plan=2), "init: exited with status 0"))
    check(statuses(r) == [("a", "pass"), ("b", "pass")], statuses(r))
    check(r.errors == [], r.errors)
    check(len(r.documents) == 1, r.documents)
    user = r.document("user")
    check(user is r.documents[0] and user.plan == 2, (user, user and user.plan))
    check(statuses(user) == [("files", "pass"), ("leak_check", "pass")], statuses(user))
    files = user.tests[0]
    check([(t.name, t.status) for t in files.subtests] == [("open_read", "pass"), ("ioctl", "skip")],
          files.subtests)
    check(user.errors == [] and user.ok and r.ok, (user.errors, user.ok, r.ok))
    check(user.totals == {"pass": 2, "fail": 0, "skip": 0}, user.totals)


@case
def user_document_failure_fails_the_log():
    r = ktap.parse(log(*KERNEL_DOC, *user_doc(
        "    KTAP version 1",
        "    # Subtest: mm",
        "    1..2",
        "    ok 1 mmap",
        "    # mm.c:10: brk(0) == start: 0 vs 4096",
        "    not ok 2 brk",
        "# mm: exit status 1 after 3 ms",
        "not ok 1 mm",
        plan=1)))
    check(r.errors == [] and statuses(r) == [("a", "pass"), ("b", "pass")], (r.errors, statuses(r)))
    user = r.document("user")
    check(statuses(user) == [("mm", "fail")], statuses(user))
    brk = user.tests[0].subtests[1]
    check(brk.status == "fail" and any("brk(0)" in d for d in brk.diagnostics), brk.diagnostics)
    check(not user.ok and not r.ok, "a failed user test must fail the whole log")


@case
def user_program_reports_ok_but_a_subtest_failed():
    r = ktap.parse(log(*user_doc(
        "    KTAP version 1", "    # Subtest: p", "    1..1", "    not ok 1 x", "ok 1 p", plan=1)))
    check(r.name == "user" and r.document("user") is r, r.name)
    check(statuses(r) == [("p", "fail")], statuses(r))


@case
def user_program_crashes_midway():
    # The program died after its first subtest (init says so and reports
    # "not ok"); the subtests it never reached are crashed, the first one
    # by the name from its "# running:" line.
    r = ktap.parse(log(*KERNEL_DOC, *user_doc(
        "# running: signals",
        "    KTAP version 1",
        "    # Subtest: signals",
        "    1..3",
        "    ok 1 raise",
        "    # running: sigreturn",
        "# signals: killed by signal 11 after 5 ms",
        "not ok 1 signals",
        "ok 2 leak_check",
        plan=2)))
    user = r.document("user")
    sig = user.tests[0]
    check(sig.status == "fail", sig.status)
    subs = [(t.name, t.status) for t in sig.subtests]
    check(subs == [("raise", "pass"), ("sigreturn", "crashed"), ("test 3", "crashed")], subs)
    check(user.tests[1].status == "pass", user.tests)


@case
def user_document_cut_short_by_a_panic():
    r = ktap.parse(log(*KERNEL_DOC, *user_doc(
        "# running: threads",
        "    KTAP version 1",
        "    # Subtest: threads",
        "    1..4",
        "    ok 1 create",
        "Kernel panic - not syncing: futex: bad state",
        plan=3)))
    check(r.panic is not None and not r.ok, r.errors)
    user = r.document("user")
    check([t.status for t in user.tests] == ["crashed"] * 3, user.tests)
    check(user.tests[0].name == "threads", user.tests[0].name)
    check(any("planned 3, ran 0" in e or "planned 3" in e for e in user.errors), user.errors)


@case
def user_program_output_between_results():
    # Programs the tests run (/bin/hello) print straight to the console,
    # unindented, in the middle of a nested document.
    r = ktap.parse(log(*user_doc(
        "    KTAP version 1",
        "    # Subtest: process",
        "    1..2",
        "hello, world",
        'argv[0] = "hello"',
        "    ok 1 exec_hello",
        "segv: writing to address 0",
        "    ok 2 exec_segv",
        "ok 1 process",
        plan=1)))
    check(r.errors == [] and r.ok, r.errors)
    check([t.name for t in r.tests[0].subtests] == ["exec_hello", "exec_segv"], r.tests[0].subtests)


@case
def unnamed_second_document_is_a_restart():
    r = ktap.parse(log(*KERNEL_DOC, "KTAP version 1", "1..1", "ok 1 a"))
    check(any("second KTAP version line" in e for e in r.errors), r.errors)
    check(r.documents == [], r.documents)


@case
def user_document_totals_checked():
    r = ktap.parse(log(*KERNEL_DOC, *user_doc("ok 1 x", "# Totals: pass:2 fail:0 skip:0", plan=1)))
    user = r.document("user")
    check(any("totals" in e for e in user.errors), user.errors)
    check(not r.ok, "wrong totals in the user document must fail the log")


@case
def user_document_missing_results():
    r = ktap.parse(log(*KERNEL_DOC, *user_doc("# running: files", "ok 1 files", plan=3)))
    user = r.document("user")
    check([t.status for t in user.tests] == ["pass", "crashed", "crashed"], user.tests)
    check("planned 3, ran 1" in user.errors, user.errors)
    check(r.document("nope") is None, "no such document")


def main():
    print("KTAP version 1")
    print("1..%d" % len(CASES))
    failed = 0
    for number, function in enumerate(CASES, 1):
        try:
            function()
        except CheckFailed as error:
            failed += 1
            print("# check failed: %s" % (error,))
            print("not ok %d %s" % (number, function.__name__))
        except Exception:
            failed += 1
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            print("not ok %d %s" % (number, function.__name__))
        else:
            print("ok %d %s" % (number, function.__name__))
    print("# Totals: pass:%d fail:%d skip:0" % (len(CASES) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
