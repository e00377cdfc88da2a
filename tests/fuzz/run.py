#!/usr/bin/env python3
"""Host fuzzing of the kernel's pure parsers with clang's libFuzzer: `make fuzz`.

Why: the parsers that read what a boot loader, the firmware or a user hands
the kernel (multiboot2 tags, ACPI tables, the initrd's cpio archive, ELF
files, a signal frame's XSAVE area) are the code most exposed to hostile
bytes.  The host unit tests (tests/unit/) check cases someone thought of;
a coverage-guided fuzzer finds the ones nobody did.  Each target in
tests/fuzz/fuzz_<name>.c compiles the very kernel source the kernel links,
with -DHOST_TEST like the unit tests, under libFuzzer + ASan + UBSan, and
asserts the parser's invariants on every input it accepts.

For each target this script builds BUILD/fuzz/fuzz_<name>, runs it for a
bounded time starting from the seed corpus tests/fuzz/corpus/<name>/ (new
inputs go to a scratch corpus in BUILD/fuzz/work/<name>/, never into the
source tree unless --merge is given), and prints one line:

    ok   acpi: 60 s, 1234567 execs, cov 412, ft 1302, corpus 88
    FAIL elf: crash, see build/fuzz/artifacts/elf/crash-<sha1>

and a last line "N passed, N failed".  Exit status 1 if any target failed
(crash, invariant broken, leak, timeout, or it did not build).

    tests/fuzz/run.py --build build                   # all, FUZZ_SECONDS each
    FUZZ_SECONDS=10 tests/fuzz/run.py --build build elf cpio
    tests/fuzz/run.py --build build --merge           # keep new coverage
    tests/fuzz/run.py --build build --replay elf build/fuzz/artifacts/elf/crash-...

--merge adds to tests/fuzz/corpus/<name>/ only the inputs that reach new
coverage (libFuzzer's -merge=1); the corpus is in git, so review what it
added and keep it small.  --replay runs the target once on the given
files (what a crash report needs to be reproduced, or a unit test made).
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ_DIR = os.path.join(ROOT, "tests", "fuzz")
CC = os.environ.get("FUZZ_CC", "clang")
CFLAGS = ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
          "-Wno-unused-parameter", "-fsanitize=fuzzer,address,undefined",
          "-fno-sanitize-recover=all", "-I" + ROOT, "-I" + os.path.join(ROOT, "tests", "unit"),
          "-I" + FUZZ_DIR, "-DHOST_TEST"]

# target -> the kernel sources it links (as the Makefile's UNIT_SRCS_* do);
# a target whose sources do not exist yet is skipped, not failed.
TARGETS = {
    "multiboot2": ["kernel/multiboot2.c"],
    "acpi": ["kernel/acpi_tables.c"],
    "cpio": ["kernel/cpio.c"],
    "elf": ["kernel/elf.c"],
    "xstate": ["fpu/xstate_layout.c"],
}


def build(name, out):
    srcs = [os.path.join(ROOT, s) for s in TARGETS[name]]
    target_src = os.path.join(FUZZ_DIR, "fuzz_%s.c" % name)
    exe = os.path.join(out, "fuzz_" + name)
    missing = [s for s in srcs + [target_src] if not os.path.exists(s)]
    if missing:
        return None, "skip", "missing %s" % ", ".join(os.path.relpath(m, ROOT) for m in missing)
    deps = srcs + [target_src, os.path.join(FUZZ_DIR, "fuzz.h")]
    deps += glob.glob(os.path.join(ROOT, "kernel", "*.h")) + glob.glob(os.path.join(ROOT, "fpu", "*.h"))
    if os.path.exists(exe) and os.path.getmtime(exe) >= max(os.path.getmtime(d) for d in deps):
        return exe, "ok", ""
    cmd = [CC] + CFLAGS + ["-o", exe, target_src] + srcs
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode:
        return None, "FAIL", "does not build:\n" + p.stdout
    return exe, "ok", ""


def last_stats(text):
    """execs, cov, ft, corp from libFuzzer's status lines and final stats."""
    st = {}
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    if m:
        st["execs"] = int(m.group(1))
    for m in re.finditer(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", text, re.M):
        st.setdefault("execs_line", int(m.group(1)))
        st["execs_line"] = int(m.group(1))
        st["cov"], st["ft"], st["corp"] = int(m.group(2)), int(m.group(3)), int(m.group(4))
    return st


def fuzz_one(name, exe, out, seconds, merge):
    seeds = os.path.join(FUZZ_DIR, "corpus", name)
    work = os.path.join(out, "work", name)
    arts = os.path.join(out, "artifacts", name)
    os.makedirs(seeds, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    os.makedirs(arts, exist_ok=True)
    cmd = [exe, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
           "-print_final_stats=1", "-artifact_prefix=" + arts + "/", work, seeds]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=seconds + 120)
        text, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        text, rc = (e.stdout or b"").decode(errors="replace"), "hang"
    secs = time.time() - t0
    with open(os.path.join(out, "fuzz_%s.log" % name), "w") as f:
        f.write(" ".join(cmd) + "\n" + text)
    st = last_stats(text)
    line = "%s: %d s, %d execs, cov %s, ft %s, corpus %s" % (
        name, secs, st.get("execs", st.get("execs_line", 0)), st.get("cov", "?"),
        st.get("ft", "?"), st.get("corp", "?"))
    if rc != 0:
        m = re.search(r"Test unit written to (\S+)", text)
        why = "crash, see %s" % m.group(1) if m else "exit status %s" % rc
        return False, "%s: %s" % (name, why), text
    if merge:
        p = subprocess.run([exe, "-merge=1", seeds, work], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        m = re.search(r"MERGE-OUTER: (\d+) new files", p.stdout)
        line += ", merged %s new into tests/fuzz/corpus/%s" % (m.group(1) if m else "?", name)
    return True, line, text


def tail(text, n=25):
    return "\n".join("    " + l for l in text.rstrip().splitlines()[-n:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="output directory (binaries go to BUILD/fuzz/)")
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "60")),
                    help="seconds per target (env FUZZ_SECONDS; default 60)")
    ap.add_argument("--merge", action="store_true", default=bool(os.environ.get("FUZZ_MERGE")),
                    help="add new-coverage inputs to tests/fuzz/corpus/<name>/ (env FUZZ_MERGE=1)")
    ap.add_argument("--replay", metavar=("TARGET", "FILE"), nargs="+",
                    help="run TARGET once on FILE... and exit with its status")
    ap.add_argument("targets", nargs="*", help="targets (default: all): " + " ".join(TARGETS))
    args = ap.parse_args()

    out = os.path.abspath(os.path.join(ROOT, args.build, "fuzz"))
    os.makedirs(out, exist_ok=True)
    names = args.targets or list(TARGETS)
    for n in names:
        if n not in TARGETS:
            ap.error("unknown target %r (have: %s)" % (n, " ".join(TARGETS)))
    if shutil.which(CC) is None:
        print("FAIL fuzz: %s not found (scripts/ensure-deps installs clang)" % CC)
        return 1

    if args.replay:
        if len(args.replay) < 2 or args.replay[0] not in TARGETS or args.targets:
            ap.error("use --replay TARGET FILE...")
        exe, status, why = build(args.replay[0], out)
        if not exe:
            print("%s %s: %s" % (status, args.replay[0], why))
            return 1
        return subprocess.run([exe] + args.replay[1:]).returncode

    passed = failed = skipped = 0
    for name in names:
        exe, status, why = build(name, out)
        if not exe:
            print("%s %s: %s" % (status, name, why.rstrip()), flush=True)
            if status == "skip":
                skipped += 1
            else:
                failed += 1
            continue
        ok, line, text = fuzz_one(name, exe, out, args.seconds, args.merge)
        if ok:
            passed += 1
            print("ok   " + line, flush=True)
        else:
            failed += 1
            print("FAIL " + line, flush=True)
            print(tail(text), flush=True)
    print("%d passed, %d failed%s" % (passed, failed,
                                       ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
