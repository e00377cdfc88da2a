#!/usr/bin/env python3
"""test_bugs.py - prove the tests bite: every bug switch must be caught.

For each line of tests/bugs.txt (name, test, expected message) this builds
the kernel with `make BUG=name` (into build-bug-name/), boots it in QEMU
with ktest=<test> on two CPUs, and passes only if that test reports `not ok` with the
expected message among its diagnostics.  A test named PROGRAM/TEST is a
ring-3 test: the kernel boots with "utest utest_filter=PROGRAM" and the
initrd, and TEST is looked up among the program's KTAP subtests.  Every
boot has tlbcheck=on: the TLB model is what catches the TLB bugs.  A bug switch that no longer makes
its test fail means the test (or the switch) has rotted.

Prints one line per switch and a final "N passed, N failed".
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import ktap  # noqa: E402

OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


def read_registry(path):
    bugs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, test, message = line.split(None, 2)
            bugs.append((name, test, message))
    return bugs


def boot(elf, cmdline, log, initrd=None):
    with tempfile.TemporaryDirectory() as tmp:
        iso = os.path.join(tmp, "bug.iso")
        subprocess.run(["sh", os.path.join(TOP, "scripts", "mkiso.sh"), elf, cmdline, iso]
                       + ([initrd] if initrd else []), check=True)
        with open(log, "wb") as out:
            try:
                p = subprocess.run(
                    ["qemu-system-x86_64", "-cpu", "max", "-m", "256M", "-smp", "2",
                     "-no-reboot", "-display", "none", "-serial", "stdio",
                     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-cdrom", iso],
                    stdout=out, stderr=subprocess.STDOUT, timeout=120)
                return p.returncode
            except subprocess.TimeoutExpired:
                return None


def check(name, test, message):
    build = os.path.join(TOP, "build-bug-" + name)
    user = "/" in test
    targets = ["build-bug-%s/switchyard.elf" % name]
    if user:
        targets.append("build-bug-%s/initrd.cpio" % name)
    r = subprocess.run(["make", "-s", "-C", TOP, "BUG=" + name] + targets,
                       capture_output=True, text=True)
    if r.returncode:
        return False, "build failed: " + (r.stderr or r.stdout).strip()[-300:]
    os.makedirs(os.path.join(TOP, "build", "test-logs"), exist_ok=True)
    log = os.path.join(TOP, "build", "test-logs", "bug-%s.log" % name)
    if user:
        program, test = test.split("/", 1)
        status = boot(os.path.join(build, "switchyard.elf"),
                      "tlbcheck=on utest utest_filter=" + program, log,
                      os.path.join(build, "initrd.cpio"))
    else:
        status = boot(os.path.join(build, "switchyard.elf"), "tlbcheck=on ktest=" + test, log)
    text = open(log, "rb").read().decode("utf-8", "replace")
    result = ktap.parse(text)
    if user:
        tests = {path[-1]: t for path, t in result.walk()
                 if len(path) >= 2 and path[-2] == program}
    else:
        tests = {t.name: t for t in result.tests}
    if status is None:
        return False, "timed out"
    if test not in tests:
        return False, "test %s did not run (exit status %s)" % (test, status)
    t = tests[test]
    if t.status != "fail":
        return False, "test %s %s with the bug built in: it does not bite" % (test, t.status)
    if not any(message in d for d in t.diagnostics):
        return False, "test %s failed, but without \"%s\"" % (test, message)
    return True, "%s fails as expected: %s" % (test, message)


def main():
    bugs = read_registry(os.path.join(HERE, "bugs.txt"))
    passed = failed = 0
    for name, test, message in bugs:
        ok, why = check(name, test, message)
        print("%s bug=%s: %s" % ("ok" if ok else "FAIL", name, why), flush=True)
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
