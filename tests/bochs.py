#!/usr/bin/env python3
"""The Bochs stage of tests/run.py: FPU and TLB tests on a CPU QEMU cannot model.

Why: QEMU 7.2's TCG has no XSAVEC, XSAVES, PCID, INVPCID or AVX-512
(/work/shared/reference/platform.md), so the compacted-format FPU backends
and the PCID paths never run there.  Bochs 2.7's `cpu: model=tigerlake` has
all of them.  This stage boots the kernel once in Bochs with two CPUs
(./run-bochs.sh --smp 2) and a command line that runs the in-kernel FPU and
TLB tests (KTEST below) and the ring-3 FPU test program (utest_filter=fpu),
then reports every KTAP result as "bochs-smp2: <name>" the way the boot
stage does, plus:

  bochs-smp2: boot          the kernel got to "machine_exit" with the code
                            its KTAP results call for
  bochs-smp2: cpu features  the boot log's feature table says "native" for
                            what the model has (FEATURES below)

and one timing line: seconds to the first serial byte (GRUB's menu), to the
kernel's first line and to "boot complete", the whole run, and Bochs' speed.

Bochs is slow (tens of millions of instructions per second), so the stage
runs a chosen subset, not ktest=all.  It is not part of `make test` (the
lead decides); run it with `make test-bochs` or
    python3 tests/run.py --build build --only bochs
Environment: BOCHS_CPU=<model> (default tigerlake) tries another Bochs CPU
model; BOCHS_KTEST=<globs> and BOCHS_UTEST=<globs> change the test selection.
"""

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import ktap  # noqa: E402
import user  # noqa: E402

CPUS = 2
CONFIG = "bochs-smp%d" % CPUS
MODEL = os.environ.get("BOCHS_CPU", "tigerlake")
# The FPU tests, the TLB-flush tests, and the ones that check what the boot
# log and CPUID say (the feature table is what this stage is about).
KTEST = os.environ.get("BOCHS_KTEST", "fpu_*,*tlb*,*pcid*,*asid*,sched_lazy_mm_*,cpufeature_*,"
                       "boot_log_has_feature_table,smp_all_cpus_online")
UTEST = os.environ.get("BOCHS_UTEST", "fpu,switchyard,tlb")
# Each boot: extra command-line words.  The default backend (Bochs 2.7's
# XSAVES fails the kernel's self-test, so the kernel runs its software
# XSAVES: the compacted layout with AVX-512 state), then the best native
# one that works there, XSAVEOPT.  Then the TLB paths the default boot
# (PTI on, native PCID and INVPCID) does not take: invpcid=off, where a
# uPCID flush always waits for the exit's pending bit, and pti=off, where
# the kernel and ring 3 share one PCID per ASID.
VARIANTS = ("", "fpu=xsaveopt", "invpcid=off", "pti=off")
# Boot-log feature-table rows ("cpu:   NAME   state") each model must show
# as "native"; tigerlake per platform.md, the others from Bochs' CPUID.
FEATURES = {
    "tigerlake": ("XSAVE", "XSAVEOPT", "XSAVEC", "XSAVES", "PCID", "INVPCID", "PKU",
                  "SMEP", "SMAP", "x2APIC"),
    "corei7_skylake_x": ("XSAVE", "XSAVEOPT", "XSAVEC", "XSAVES", "PCID", "INVPCID",
                         "SMEP", "SMAP", "x2APIC"),
}
FEATURE_ROW = re.compile(r"cpu:\s{2,}(\S+)\s+(native|absent|emulated|\S+)\s*$")
KERNEL_FIRST = "Switchyard "            # the kernel's first line: "cpu0: Switchyard 0.1.0 - ..."
BOOTED = "switchyard: boot complete"


def cmdline(extra=""):
    return "tlbcheck=on ktest=%s utest utest_timeout=120 utest_filter=%s %sexpect_cpus=%d" % (
        KTEST, UTEST, extra + " " if extra else "", CPUS)


def boot(build, iso_cmdline, serial_log, timeout):
    """Run run-bochs.sh; return (status, stderr lines, timings dict).  The
    serial console comes on run-bochs.sh's stdout as Bochs writes it, so
    the time of its first bytes can be taken here."""
    cmd = [os.path.join(ROOT, "run-bochs.sh"), "--build", build, "--smp", str(CPUS),
           "--cpu", MODEL, "--timeout", str(timeout), "--log", serial_log,
           "--append", iso_cmdline]
    timings = {}
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    for raw in proc.stdout:
        now = time.monotonic() - start
        line = raw.decode("utf-8", "replace")
        timings.setdefault("first serial", now)
        if KERNEL_FIRST in line:
            timings.setdefault("kernel", now)
        if BOOTED in line:
            timings.setdefault("booted", now)
    err = proc.stderr.read().decode("utf-8", "replace")
    status = proc.wait()
    timings["total"] = time.monotonic() - start
    return status, err.splitlines(), timings


def feature_check(log):
    """(problems, details) for the boot log's feature table."""
    rows = {}
    for line in log.splitlines():
        match = FEATURE_ROW.search(ktap.clean(line))
        if match:
            rows[match.group(1)] = match.group(2)
    details = ["%s %s" % (name, state) for name, state in rows.items()]
    if not rows:
        return ["no feature table in the boot log"], []
    want = FEATURES.get(MODEL, ())
    wrong = ["%s is %s" % (name, rows.get(name, "missing")) for name in want
             if rows.get(name) != "native"]
    return (["expected native: " + ", ".join(wrong)] if wrong else []), details


def stage(args, report, run):
    """The stage; RUN is tests/run.py's module (ensure_iso, report_test, tail)."""
    for extra in VARIANTS:
        stage_one(args, report, run, extra)


def stage_one(args, report, run, extra):
    """One Bochs boot with EXTRA on the command line, reported as CONFIG[+EXTRA]."""
    CONFIG = globals()["CONFIG"] + ("+" + extra if extra else "")
    build = args.build
    if not os.path.exists(os.path.join(build, "switchyard.elf")):
        report.fail(CONFIG + ": boot", "%s/switchyard.elf does not exist: run make first" % build)
        return
    logdir = os.path.join(build, "test-logs")
    os.makedirs(logdir, exist_ok=True)
    serial_log = os.path.join(logdir, CONFIG + ".log")
    if os.path.exists(serial_log):
        os.remove(serial_log)
    text = cmdline(extra)
    try:
        run.ensure_iso(build, text)     # run-bochs.sh would build it too; fail clearly here
    except subprocess.CalledProcessError as error:
        report.fail(CONFIG + ": build ISO", "mkiso.sh failed",
                    run.tail(error.output.decode("utf-8", "replace")))
        return
    status, stderr, timings = boot(build, text, serial_log, args.timeout)
    log = run.read_serial_log(serial_log)
    result = ktap.parse(log)
    broken = run.broken_count(result)
    exits = re.findall(r"^machine_exit: code (\d+)\r?$", log, re.M)
    code = int(exits[-1]) if exits else None
    problems = []
    if code is None:
        why = {2: "the kernel panicked and halted", 3: "Bochs stopped without machine_exit "
               "(a triple fault? rerun ./run-bochs.sh with --bochs-log)",
               4: "timed out before boot complete"}.get(status, "run-bochs.sh exit status %d" % status)
        if status == 0:
            why = "timed out after %d s (booted, but no machine_exit)" % args.timeout
        problems.append(why)
    else:
        problems += run.exit_code_problems(code, broken)
    problems += [e for e in result.errors if e not in problems]

    # Reported like the boot stage's lines (tests/run.py report_lines).
    programs = user.expected_programs(build, [f for f in UTEST.split(",") if f])
    lines = [(CONFIG + ": " + test.name, test) for test in result.tests]
    lines += user.user_lines(CONFIG, result, log, programs)
    run.report_lines(report, CONFIG, lines)

    feature_problems, feature_details = feature_check(log)
    if feature_problems:
        report.fail(CONFIG + ": cpu features", "; ".join(feature_problems), feature_details)
    else:
        report.ok("%s: cpu features: %s" % (CONFIG, " ".join(feature_details)))

    details = run.tail(log) + ["(run-bochs.sh) " + line for line in stderr[-5:]]
    details.append("serial log: %s" % os.path.relpath(serial_log, ROOT))
    if problems:
        report.fail(CONFIG + ": boot", "; ".join(problems), details)
    else:
        report.ok(CONFIG + ": boot")

    speed = next((line.split("run-bochs.sh: ", 1)[1] for line in stderr
                  if "ticks per second" in line), "speed unknown")
    print("-- bochs (cpu %s x%d): first serial byte %s, kernel's first line %s, "
          "boot complete %s, whole run %.1f s; %s"
          % (MODEL, CPUS, *("%.1f s" % timings[k] if k in timings else "never"
                            for k in ("first serial", "kernel", "booted")),
             timings["total"], speed), flush=True)


if __name__ == "__main__":
    # Stand-alone: python3 tests/bochs.py BUILD  (same as run.py --only bochs)
    sys.exit(subprocess.call([sys.executable, os.path.join(ROOT, "tests", "run.py"),
                              "--build", sys.argv[1] if len(sys.argv) > 1 else "build",
                              "--only", "bochs"]))
