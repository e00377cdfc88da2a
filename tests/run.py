#!/usr/bin/env python3
"""Switchyard's test driver: what `make test` runs.

Why: the kernel is tested at several levels and each needs its own plumbing.
This script runs them in stages, prints one line per test and a total, and
exits non-zero if anything failed, so `make test` and CI need nothing else.

Stages (each prints its wall-clock time):
  unit    every executable build/unit/test_* (the Makefile builds them: C
          tests built with ASan/UBSan, and the KTAP parser's Python tests);
          a binary is one test, or one per case if it prints KTAP
  boot    boots the ISO with "ktest=all utest expect_cpus=N" in each
          configuration (bios-smp1 and bios-smp4: SeaBIOS, one and four CPUs;
          uefi-smp2: OVMF on q35, two CPUs), two QEMUs at a time, and reports
          each in-kernel test as "<config>: <name>"; then init runs the
          ring-3 test programs of the initrd (docs/userland.md) and each of
          their subtests is reported as "<config>: user: <program>: <name>";
          the serial log goes to build/test-logs/<config>.log
  run     run-qemu.sh --run and --add (tests/user.py): a command's exit
          status comes back as run-qemu.sh's, and a freshly compiled musl
          program added to the initrd runs
  screen  tests/screen_test.py, if present (checks what the screen shows)
  gdb     tests/gdb_test.py: GDB attached to QEMU's stub from a cold start
  bochs   tests/bochs.py: the FPU and TLB tests in Bochs (tigerlake, two
          CPUs); only when --only names it (make test-bochs)

Output: "ok NAME", "FAIL NAME: why" (details indented below) or
"skip NAME: why" per test, then one last line "N passed, N failed" (with
", N skipped" when some were skipped).

    python3 tests/run.py --build build
    python3 tests/run.py --only boot --configs bios-smp1,uefi-smp4
    python3 tests/run.py --only boot --ktest 'trap_*'
    python3 tests/run.py --only boot --ktest none --utest 'signals,threads'
"""

import argparse
import concurrent.futures
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import ktap  # noqa: E402
import user  # noqa: E402  (tests/user.py: the ring-3 tests' plumbing)

STAGES = ("unit", "boot", "bochs", "run", "screen", "gdb", "bugs")
# Stages that run only when --only names them (not in `make test`).
OPTIONAL_STAGES = ()
# A "+word" suffix adds kernel command-line words: the FPU backends other
# than the CPU's best (QEMU: xsaveopt) each get a whole run of the suite.
# bios-smp4 boots with page-table isolation (the default), bios-smp4+pti=off
# without: the TLB issue asks for both on four CPUs.
DEFAULT_CONFIGS = ("bios-smp1", "bios-smp4", "uefi-smp2", "bios-smp4+pti=off",
                   "bios-smp2+fpu=xsave", "bios-smp2+fpu=fxsave", "bios-smp2+fpu=xsaves-model")
# Boots run two at a time, but never with more than this many vCPUs in all.
# Each vCPU is a host thread; on CI's two cores, two -smp 4 guests at once
# (eight threads) crawl: a vCPU descheduled while it holds a spinlock keeps
# the others spinning (lock-holder preemption), and the threads tests ran
# past the boot timeout in both guests.  -smp 4 beside -smp 2 is fine.
VCPU_BUDGET = 6
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
PANIC = "Kernel panic - not syncing"
LOG_TAIL = 20           # log lines shown under a failed boot


# ---------------------------------------------------------------- reporting

class Report:
    """Prints result lines as they come and counts them.  Thread-safe, so
    stages may report from worker threads."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.lock = threading.Lock()

    def ok(self, name):
        with self.lock:
            self.passed += 1
            print("ok %s" % name, flush=True)

    def fail(self, name, why, details=()):
        with self.lock:
            self.failed += 1
            print("FAIL %s: %s" % (name, why))
            for line in details:
                print("    | %s" % line)
            sys.stdout.flush()

    def skip(self, name, why):
        with self.lock:
            self.skipped += 1
            print("skip %s: %s" % (name, why), flush=True)

    def summary(self):
        line = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        return line


def tail(text, n=LOG_TAIL):
    lines = [ktap.clean(line) for line in text.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line.strip()]
    return lines[-n:] if lines else ["(empty)"]


# ---------------------------------------------------------------- QEMU helpers
# run-qemu.sh builds the same command lines for people; keep them in step.

def parse_config(config):
    """'bios-smp1' -> ('bios', 1); 'uefi-smp2+fpu=xsave' -> ('uefi', 2)."""
    match = re.fullmatch(r"(bios|uefi)-smp([1-8])(\+[^\s+]+)*", config)
    if not match:
        raise ValueError("bad config %r: use bios-smpN or uefi-smpN, N = 1..8, "
                         "optionally +word (kernel command line)" % config)
    return match.group(1), int(match.group(2))


def config_cmdline(config):
    """The extra kernel command-line words of CONFIG: 'bios-smp2+fpu=xsave' -> 'fpu=xsave '."""
    return "".join(word + " " for word in config.split("+")[1:])


def ensure_iso(build, cmdline):
    """Return an ISO whose GRUB entry passes CMDLINE: scripts/cached-iso.sh,
    the cache run-qemu.sh and run-bochs.sh use too (build/iso/<sha1 of the
    command line>.iso, rebuilt when the kernel, the initrd or mkiso.sh is
    newer).  Raises CalledProcessError with mkiso.sh's output on failure."""
    proc = subprocess.run(["bash", os.path.join(ROOT, "scripts", "cached-iso.sh"), build, cmdline],
                          check=True, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1]


def qemu_command(config, iso, serial_log, private_dir, extra=()):
    """The QEMU command line for CONFIG with serial output to SERIAL_LOG.
    UEFI gets a private copy of the OVMF variable store in PRIVATE_DIR."""
    firmware, cpus = parse_config(config)
    name = os.path.splitext(os.path.basename(serial_log))[0]
    cmd = ["qemu-system-x86_64", "-cpu", "max", "-m", "256M", "-smp", str(cpus),
           "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-cdrom", iso, "-serial", "file:" + serial_log,
           "-display", "none", "-monitor", "none",
           # With -no-reboot a triple fault just stops QEMU; this log keeps
           # the CPU state at that moment for the post-mortem.
           "-d", "cpu_reset", "-D", os.path.join(private_dir, name + ".qemu.log")]
    if firmware == "uefi":
        vars_copy = os.path.join(private_dir, name + ".vars.fd")
        shutil.copyfile(OVMF_VARS, vars_copy)
        cmd += ["-machine", "q35",
                "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                "-drive", "if=pflash,format=raw,file=" + vars_copy]
    return cmd + list(extra)


def run_qemu(cmd, timeout):
    """Run QEMU; return (status or None if it timed out, stderr text, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        status = None
    return status, out.decode("utf-8", "replace"), time.monotonic() - start


# ---------------------------------------------------------------- unit stage

def stage_unit(args, report):
    unit_dir = os.path.join(args.build, "unit")
    binaries = sorted(
        os.path.join(unit_dir, name) for name in os.listdir(unit_dir)
        if name.startswith("test_") and os.access(os.path.join(unit_dir, name), os.X_OK)
        and os.path.isfile(os.path.join(unit_dir, name))) if os.path.isdir(unit_dir) else []
    if not binaries:
        report.skip("unit", "no executables %s/test_* (run `make unit`)" % unit_dir)
        return
    for path in binaries:
        name = "unit: " + os.path.basename(path)
        try:
            proc = subprocess.run([path], cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=args.unit_timeout)
        except subprocess.TimeoutExpired as error:
            report.fail(name, "timed out after %d s" % args.unit_timeout,
                        tail((error.output or b"").decode("utf-8", "replace")))
            continue
        output = proc.stdout.decode("utf-8", "replace")
        result = ktap.parse(output)
        if result.version is not None and result.plan is not None:
            # It speaks KTAP: one line per case.
            for test in result.tests:
                report_test(report, "%s: %s" % (name, test.name), test)
            if result.errors or (proc.returncode != 0 and result.ok):
                why = "; ".join(result.errors) or "exit status %d" % proc.returncode
                report.fail(name, why, tail(output))
            elif proc.returncode == 0 and not result.ok:
                report.fail(name, "cases failed but the exit status was 0")
        elif proc.returncode == 0:
            report.ok(name)
        else:
            report.fail(name, "exit status %d" % proc.returncode, tail(output))


def report_test(report, name, test):
    """Report one parsed KTAP test."""
    if test.status == ktap.PASS:
        report.ok(name)
    elif test.status == ktap.SKIP:
        reason = re.sub(r"^(?i:skip|todo)\s*", "", test.directive) or "skipped"
        report.skip(name, reason)
    elif test.status == ktap.CRASHED:
        report.fail(name, "crashed (no result line)", test.diagnostics[-LOG_TAIL:])
    else:
        details = list(test.diagnostics)
        for path, sub in walk_subtests(test):
            if sub.status in (ktap.FAIL, ktap.CRASHED):
                details.append("subtest %s: %s" % ("/".join(path), sub.status))
        report.fail(name, test.directive or "not ok", details[-LOG_TAIL:])


def walk_subtests(test, prefix=()):
    for sub in test.subtests:
        path = prefix + (sub.name,)
        yield path, sub
        yield from walk_subtests(sub, path)


# ---------------------------------------------------------------- boot stage

def read_serial_log(path):
    """A boot's serial log as text; '' if it wrote none."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def broken_count(result):
    """Failed or crashed results in a parsed log, kernel and ring-3 ones."""
    counts = result.counts()
    return counts[ktap.FAIL] + counts[ktap.CRASHED] + user.broken_count(result)


def exit_code_problems(code, broken):
    """What the kernel's machine_exit code (0 success, 1 tests failed,
    2 panic) says, checked against BROKEN failed results; [] if it agrees."""
    if code == 2:
        return ["the kernel panicked (machine_exit: code 2)"]
    if code == 0 and broken:
        return ["the kernel exited with success but %d test(s) failed" % broken]
    if code == 1 and not broken:
        return ["the kernel exited with 'tests failed' but no KTAP result failed"]
    return []


class VcpuBudget:
    """At most LIMIT vCPUs booted at once (a boot bigger than LIMIT runs alone)."""

    def __init__(self, limit):
        self.limit, self.used, self.cond = limit, 0, threading.Condition()

    def acquire(self, n):
        with self.cond:
            self.cond.wait_for(lambda: self.used == 0 or self.used + n <= self.limit)
            self.used += n

    def release(self, n):
        with self.cond:
            self.used -= n
            self.cond.notify_all()


VCPUS = VcpuBudget(VCPU_BUDGET)


def boot_one(args, config, iso):
    """Boot CONFIG once, within the vCPU budget; see _boot_one."""
    cpus = parse_config(config)[1]
    VCPUS.acquire(cpus)
    try:
        return _boot_one(args, config, iso)
    finally:
        VCPUS.release(cpus)


def _boot_one(args, config, iso):
    """Boot CONFIG once; return (config, result lines to report, seconds).
    The lines are returned rather than printed so each configuration's
    results come out together even though two boots run at once."""
    logdir = os.path.join(args.build, "test-logs")
    serial_log = os.path.join(logdir, config + ".log")
    if os.path.exists(serial_log):
        os.remove(serial_log)
    cmd = qemu_command(config, iso, serial_log, logdir)
    status, stderr, seconds = run_qemu(cmd, args.timeout)
    log = read_serial_log(serial_log)
    result = ktap.parse(log)
    broken = broken_count(result)

    problems = []
    if status is None:
        problems.append("timed out after %d s" % args.timeout)
    elif status in (1, 3, 5):
        # isa-debug-exit: QEMU exits with (code << 1) | 1
        problems += exit_code_problems((status - 1) // 2, broken)
    elif status == 0:
        # QEMU's -d cpu_reset log says "Triple fault" when that was the cause.
        qemu_log = cmd[cmd.index("-D") + 1]
        try:
            with open(qemu_log, errors="replace") as f:
                triple = "Triple fault" in f.read()
        except OSError:
            triple = False
        if triple:
            problems.append("triple fault (QEMU runs with -no-reboot, so it stopped); for the "
                            "exception chain rerun with: ./run-qemu.sh --append ktest=%s "
                            "-- -d int,cpu_reset -D build/qemu.log" % args.ktest)
        else:
            problems.append("QEMU exited with status 0 without the exit device: a reboot "
                            "(QEMU runs with -no-reboot) or an ACPI power-off")
    else:
        problems.append("QEMU exited with status %d" % status)
    problems += [e for e in result.errors if e not in problems]

    lines = []
    for test in result.tests:
        lines.append((config + ": " + test.name, test))
    if args.utest_programs is not None:
        lines += user.user_lines(config, result, log, args.utest_programs)
    details = tail(log)
    qemu_messages = [line for line in stderr.splitlines()
                     if line.strip() and "terminating on signal" not in line]
    if qemu_messages:
        details += ["(QEMU) " + line for line in qemu_messages[-5:]]
    lines.append((config + ": boot", (problems, details + ["serial log: %s" % os.path.relpath(serial_log, ROOT)])))
    return config, lines, seconds


def report_lines(report, config, lines):
    """Report one boot's (name, item) lines: an item is a ktap.Test or a
    (problems, details) pair.  After the test the kernel died in, the rest
    of the kernel's tests never ran; init's tests keep their own account."""
    stopped_in = None
    for name, item in lines:
        if name.startswith(config + ": user"):
            stopped_in = None
        if isinstance(item, ktap.Test) and item.status == ktap.CRASHED and stopped_in:
            report.fail(name, "never ran (the kernel stopped in %s)" % stopped_in)
        elif isinstance(item, ktap.Test):
            if item.status == ktap.CRASHED:
                stopped_in = item.name
            report_test(report, name, item)
        else:
            problems, details = item
            if problems:
                report.fail(name, "; ".join(problems), details)
            else:
                report.ok(name)


def stage_boot(args, report):
    os.makedirs(os.path.join(args.build, "test-logs"), exist_ok=True)
    # Each boot tells the kernel how many CPUs QEMU gave it (expect_cpus=),
    # so the SMP tests can check that every one came online.
    isos = {}
    try:
        for config in args.configs:
            isos[config] = ensure_iso(args.build, "tlbcheck=on ktest=%s %s%sexpect_cpus=%d"
                                      % (args.ktest, args.utest_cmdline, config_cmdline(config),
                                         parse_config(config)[1]))
    except subprocess.CalledProcessError as error:
        report.fail("boot: build ISO", "mkiso.sh failed",
                    tail(error.output.decode("utf-8", "replace")))
        return
    timings = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(boot_one, args, config, isos[config])
                   for config in args.configs]
        # Report in the order given, each configuration's lines together.
        for future in futures:
            config, lines, seconds = future.result()
            timings.append("%s %.1f s" % (config, seconds))
            report_lines(report, config, lines)
    print("-- boot times: " + ", ".join(timings))


# ---------------------------------------------------------------- screen and gdb

def load_module(name):
    path = os.path.join(ROOT, "tests", name + ".py")
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def report_tuples(report, prefix, results, message_names_check=False):
    """Report (name, passed, message) tuples from a test module; passed is
    True, False, or None for a skip.  With MESSAGE_NAMES_CHECK the module
    uses one name for several checks and the message says which check it
    is, so a passing line shows the message too."""
    for name, passed, message in results:
        name = name if name.startswith(prefix) else prefix + name
        if passed is None:
            report.skip(name, message or "skipped")
        elif passed:
            first = str(message or "").splitlines()[0] if message else ""
            report.ok("%s: %s" % (name, first) if message_names_check and first else name)
        else:
            lines = str(message or "failed").splitlines() or ["failed"]
            report.fail(name, lines[0], lines[1:])


def load_stage_module(name, stage, report):
    """tests/NAME.py as a module, or None after reporting why not: a missing
    module is a skip, a broken one a failure that must not stop the run."""
    try:
        module = load_module(name)
    except Exception as error:
        report.fail(stage, "cannot load tests/%s.py: %s" % (name, error))
        return None
    if module is None:
        report.skip(stage, "tests/%s.py does not exist" % name)
    return module


def stage_screen(args, report):
    module = load_stage_module("screen_test", "screen", report)
    if module is None:
        return
    logdir = os.path.join(args.build, "test-logs")
    os.makedirs(logdir, exist_ok=True)
    # The screen test takes a firmware ("bios", "uefi" or "both"), not a
    # CPU count: test the firmwares that the selected configurations use.
    firmwares = sorted(set(parse_config(config)[0] for config in args.configs))
    which = "both" if len(firmwares) == 2 else firmwares[0]
    try:
        results = module.run(args.build, which, logdir)
    except Exception as error:
        report.fail("screen", "%s: %s" % (type(error).__name__, error))
        return
    report_tuples(report, "screen", results, message_names_check=True)


def stage_gdb(args, report):
    module = load_stage_module("gdb_test", "gdb", report)
    if module is None:
        return
    try:
        results = module.run(args.build, os.path.join(args.build, "test-logs"))
    except Exception as error:
        report.fail("gdb", "%s: %s" % (type(error).__name__, error))
        return
    report_tuples(report, "gdb: ", results)


def stage_run(args, report):
    """run-qemu.sh --run and --add, through tests/user.py."""
    user.stage_run(args, report)


def stage_bochs(args, report):
    """The FPU and TLB tests in Bochs (tests/bochs.py): a second CPU model."""
    module = load_stage_module("bochs", "bochs", report)
    if module is not None:
        module.stage(args, report, sys.modules[__name__])


def stage_bugs(args, report):
    """Every bug switch in tests/bugs.txt must make its test fail
    (tests/test_bugs.py): proof that the tests bite."""
    module = load_stage_module("test_bugs", "bugs", report)
    if module is None:
        return
    for name, test, message in module.read_registry(os.path.join(ROOT, "tests", "bugs.txt")):
        try:
            passed, why = module.check(name, test, message)
        except Exception as error:
            passed, why = False, "%s: %s" % (type(error).__name__, error)
        if passed:
            report.ok("bug=%s: %s" % (name, test))
        else:
            report.fail("bug=%s: %s" % (name, test), why)


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build", help="build directory (default: build)")
    parser.add_argument("--only", default=",".join(STAGES),
                        help="comma-separated stages to run: %s (default: all but %s)"
                        % (", ".join(STAGES + OPTIONAL_STAGES), ", ".join(OPTIONAL_STAGES)))
    parser.add_argument("--configs", default=",".join(DEFAULT_CONFIGS),
                        help="boot configurations, bios-smpN or uefi-smpN (default: %(default)s)")
    parser.add_argument("--ktest", default="all",
                        help="value of ktest= for the boot matrix (default: all)")
    parser.add_argument("--utest", default="all",
                        help="user-space test programs init runs after the kernel's tests: "
                             "all, none, or comma-separated globs (default: all)")
    # 600: on CI's two cores bios-smp4 with PTI (two full TLB flushes per
    # kernel entry under TCG) and a second guest beside it takes ~270 s.
    parser.add_argument("--timeout", type=int, default=600, help="seconds per boot (default: 600)")
    parser.add_argument("--run-timeout", type=int, default=120,
                        help="seconds per run-qemu.sh boot in the run stage (default: 120)")
    parser.add_argument("--unit-timeout", type=int, default=120, help="seconds per unit binary")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="QEMUs at a time (default: 2)")
    args = parser.parse_args()

    args.build = os.path.abspath(args.build)
    stages = [s for s in args.only.split(",") if s]
    for stage in stages:
        if stage not in STAGES + OPTIONAL_STAGES:
            parser.error("unknown stage %r (stages: %s)" % (stage, ", ".join(STAGES + OPTIONAL_STAGES)))
    args.configs = [c for c in args.configs.split(",") if c]
    for config in args.configs:
        try:
            parse_config(config)
        except ValueError as error:
            parser.error(str(error))
    if ("boot" in stages or "gdb" in stages) and not os.path.exists(
            os.path.join(args.build, "switchyard.elf")):
        parser.error("%s/switchyard.elf does not exist: run make first" % args.build)

    # User space: "utest" makes init run the /tests/ programs after the
    # kernel's tests; each one has two minutes (init kills it after that; tlbcheck=on slows the
    # system-call-heavy ones).
    if args.utest == "none":
        args.utest_cmdline, args.utest_programs = "", None
    else:
        filters = None if args.utest == "all" else [f for f in args.utest.split(",") if f]
        args.utest_cmdline = "utest utest_timeout=120 " + (
            "utest_filter=%s " % ",".join(filters) if filters else "")
        args.utest_programs = user.expected_programs(args.build, filters)

    report = Report()
    runners = {"unit": stage_unit, "boot": stage_boot, "run": stage_run, "screen": stage_screen,
               "gdb": stage_gdb, "bugs": stage_bugs, "bochs": stage_bochs}
    total_start = time.monotonic()
    for stage in STAGES + OPTIONAL_STAGES:
        if stage not in stages:
            continue
        print("== %s" % stage, flush=True)
        start = time.monotonic()
        try:
            runners[stage](args, report)
        except Exception as error:   # report, and let the other stages run
            report.fail(stage, "harness error: %s: %s" % (type(error).__name__, error))
        print("-- %s: %.1f s" % (stage, time.monotonic() - start), flush=True)
    print("-- total: %.1f s" % (time.monotonic() - total_start))
    print(report.summary(), flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
