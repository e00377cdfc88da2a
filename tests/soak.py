#!/usr/bin/env python3
"""The soak: the ring-3 suites in a loop on -smp 4, then a leak check.  `make soak`.

Why: one run of the suites checks that each program's resources come back
(init's leak_check), but a leak of a page or a task per thousand system
calls, or one that only happens when four CPUs race, is too small or too
rare to show in one round.  Run long enough, it adds up.

How: boots the ISO with "utest utest_loop=S" (user/init.c): init runs every
/tests/ program, prints the counters of /proc/switchyard after the round,
and starts again until S seconds have passed.  Round 1 warms the kernel's
caches (slab pages, page tables for its own mappings), so round 1's
counters are the baseline and the last round's must match them: every
counter exactly (tasks, open_files, and whatever /proc/switchyard grows
later: heap objects, ASIDs, PASIDs), except free_pages, which may end at
most --slack pages lower.  It also fails if any round had a failed test,
the kernel panicked, or QEMU did not exit in time.  One line per round
and per counter, then "soak: ok" or "soak: FAIL ...".

    python3 tests/soak.py --build build                  # SOAK_MINUTES, default 4
    SOAK_MINUTES=1 python3 tests/soak.py --build build --filter 'usertests,fuzz'

The serial log is BUILD/test-logs/soak.log.
"""

import argparse
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from run import ensure_iso, qemu_command, run_qemu, parse_config  # noqa: E402

# Counters that are not resources: shown, never judged.
# mms_lazy: mms an idle CPU still has loaded (kernel/proc.c), which come
# and go with scheduling; "mms" (without them) is judged.
NOT_JUDGED = {"cpus", "mms_lazy"}
START = re.compile(r"# soak: round (\d+)\s*$")
ROUND = re.compile(r"# soak: round (\d+): ([A-Za-z0-9_.-]+) (-?\d+)\s*$")
TOTALS = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) skip:(\d+)")
DONE = re.compile(r"# soak: (\d+) rounds, (\d+) failed")
PANIC = "Kernel panic - not syncing"


def parse_log(log):
    """{round: {name: value}}, [per-round (pass, fail)], (rounds, failed) or None."""
    rounds, totals, done = {}, [], None
    current = 0
    for line in log.replace("\r", "").split("\n"):
        m = START.search(line)
        if m:
            current = int(m.group(1))
            continue
        m = ROUND.search(line)
        if m:
            rounds.setdefault(int(m.group(1)), {})[m.group(2)] = int(m.group(3))
            continue
        m = TOTALS.search(line)
        if m and current:	# init's: the programs' are indented, the kernel's come first
            totals.append((int(m.group(1)), int(m.group(2))))
            continue
        m = DONE.search(line)
        if m:
            done = (int(m.group(1)), int(m.group(2)))
    return rounds, totals, done


def compare(first, last, slack):
    """Lines describing each counter, and the list of problems."""
    lines, problems = [], []
    for name in sorted(set(first) | set(last)):
        a, b = first.get(name), last.get(name)
        verdict = ""
        if name in NOT_JUDGED:
            verdict = "(not judged)"
        elif a is None or b is None:
            verdict = "<- missing in one round"
            problems.append("%s missing" % name)
        elif name == "free_pages":
            if b < a - slack:
                verdict = "<- %d pages fewer (slack %d)" % (a - b, slack)
                problems.append("free_pages dropped by %d" % (a - b))
        elif a != b:
            verdict = "<- differs"
            problems.append("%s %d -> %d" % (name, a, b))
        lines.append("  %-12s round 1: %-10s last: %-10s %s" % (name, a, b, verdict))
    return lines, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    # The minutes are the guest's: under TCG on a busy 2-core host its clock
    # fell behind (300 guest seconds took 480 real ones, 516 s in all), so
    # the default of 4 keeps `make soak` under 10 minutes.
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "4")),
                    help="guest minutes init loops (env SOAK_MINUTES; default 4)")
    ap.add_argument("--config", default="bios-smp4", help="bios-smpN or uefi-smpN (default bios-smp4)")
    ap.add_argument("--filter", default="", help="utest_filter: only these /tests/ programs")
    ap.add_argument("--slack", type=int, default=16,
                    help="pages free_pages may end below round 1 (default 16)")
    args = ap.parse_args()

    seconds = max(1, int(args.minutes * 60))
    cpus = parse_config(args.config)[1]
    cmdline = "ktest=none utest utest_timeout=120 utest_loop=%d expect_cpus=%d" % (seconds, cpus)
    if args.filter:
        cmdline += " utest_filter=" + args.filter
    build = os.path.join(ROOT, args.build) if not os.path.isabs(args.build) else args.build
    iso = ensure_iso(build, cmdline)
    logdir = os.path.join(build, "test-logs")
    os.makedirs(logdir, exist_ok=True)
    serial_log = os.path.join(logdir, "soak.log")
    if os.path.exists(serial_log):
        os.remove(serial_log)
    print("soak: %s, %d s of rounds, command line: %s" % (args.config, seconds, cmdline), flush=True)
    with tempfile.TemporaryDirectory() as private:
        # a round that starts just before the deadline still finishes: allow
        # one more round (the suite's own timeouts bound it) plus the boot
        status, out, took = run_qemu(qemu_command(args.config, iso, serial_log, private),
                                     seconds + 600)
    try:
        with open(serial_log, "rb") as f:
            log = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        log = ""

    rounds, totals, done = parse_log(log)
    problems = []
    for i, (passed, failed) in enumerate(totals, 1):
        c = rounds.get(i, {})
        print("round %d: pass %d fail %d  %s" % (i, passed, failed, " ".join(
            "%s=%d" % kv for kv in sorted(c.items()))))
        if failed:
            problems.append("round %d: %d test(s) failed" % (i, failed))
    if status is None:
        problems.append("timed out after %d s" % (seconds + 600))
    elif status == 5 or PANIC in log:
        problems.append("kernel panic")
    elif status not in (1, 3):
        problems.append("QEMU exited with status %d" % status)
    if done is None:
        problems.append("init did not finish the loop")
    if len(rounds) < 2:
        problems.append("only %d round(s) with counters: no baseline to compare "
                        "(raise SOAK_MINUTES)" % len(rounds))
    else:
        first, last = rounds[1], rounds[max(rounds)]
        print("counters, round 1 vs round %d:" % max(rounds))
        lines, bad = compare(first, last, args.slack)
        print("\n".join(lines))
        problems += bad
    print("serial log: %s (%.0f s)" % (os.path.relpath(serial_log, ROOT), took))
    if problems:
        print("soak: FAIL " + "; ".join(problems))
        tail = [l for l in log.replace("\r", "").split("\n") if l.strip()][-15:]
        print("\n".join("    " + l for l in tail))
        return 1
    print("soak: ok (%d rounds)" % len(rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
