#!/usr/bin/env python3
"""User space in the test harness (docs/userland.md).

Why: the ring-3 test programs (user/tests/*.c) run in three places, and each
needs a little plumbing that tests/run.py should not have to know about:

  * in the boot matrix: the kernel boots with "ktest=all utest", init runs
    every /tests/ program and prints a second KTAP document named "user";
    user_lines() turns it into result lines, one per subtest, and checks
    that every program that is in the initrd reported;
  * natively on this Linux host (they are ordinary static musl programs and
    must pass on Linux too): `python3 tests/user.py native BUILD` runs init
    in utest mode on the host, `python3 tests/user.py syscalls BUILD` runs
    the same under strace and lists system calls the programs make that
    Switchyard does not implement (kernel/syscall_list.h);
  * through run-qemu.sh: stage_run() boots with --run and --add and checks
    the exit status that comes back (`./run-qemu.sh --run "/bin/exitcode 3"`
    must exit with 3).

    python3 tests/user.py native build        KTAP on stdout, status = failures
    python3 tests/user.py syscalls build      one KTAP test: syscalls_used
    python3 tests/user.py run build           the run-qemu.sh checks alone
"""

import concurrent.futures
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import ktap  # noqa: E402

USER_DOC = "user"               # init's "# Subtest:" name for its document
# Per-program verdict lines init prints ("# files: exit status 0 after 3 ms").
_VERDICT = re.compile(r"^# (\S+): ((?:exit status|killed by signal|timed out after|could not be run)"
                      r"[^\n]*?)(?: after \d+ ms)?\s*$", re.M)


# ---------------------------------------------------------------- boot matrix

def expected_programs(build, filters=None):
    """The test programs make put into the initrd (BUILD/user/tests), the
    ones init must run and report; with FILTERS (globs) only those."""
    tests_dir = os.path.join(build, "user", "tests")
    if not os.path.isdir(tests_dir):
        return []
    names = sorted(name for name in os.listdir(tests_dir)
                   if os.path.isfile(os.path.join(tests_dir, name))
                   and os.access(os.path.join(tests_dir, name), os.X_OK))
    if filters:
        names = [n for n in names if any(fnmatch.fnmatchcase(n, f) for f in filters)]
    return names


def broken_count(result):
    """Failed or crashed top-level tests in the user document (0 if none)."""
    doc = result.document(USER_DOC)
    if doc is None:
        return 0
    counts = doc.counts()
    return counts[ktap.FAIL] + counts[ktap.CRASHED]


def _leaves(test, prefix):
    """(name, Test) for the innermost subtests of TEST."""
    if not test.subtests:
        yield prefix, test
        return
    for sub in test.subtests:
        yield from _leaves(sub, prefix + ": " + sub.name)


def user_lines(prefix, result, log_text, expected):
    """Result lines for the user document in a parsed boot log: a list of
    (name, item), item a ktap.Test or a (problems, details) pair like the
    boot stage uses.  Every subtest of every program is a test of its own;
    a program that failed without a failing subtest (an exit status, a
    signal, a time-out) is one more line; so is every program of EXPECTED
    that never reported, and the document itself ("PREFIX: user")."""
    lines = []
    doc = result.document(USER_DOC)
    if doc is None:
        problem = ("no user-space KTAP document: init never ran the tests "
                   "(is /bin/init in the initrd, and does the kernel start it with utest?)")
        lines.append((prefix + ": user", ([problem], [])))
        for name in expected:
            lines.append((prefix + ": user: " + name, (["never ran"], [])))
        return lines

    verdicts = dict(_VERDICT.findall(log_text))
    # init runs the programs in sorted order, then leak_check: a result that
    # never came ("test N", crashed) is the Nth program of the initrd.
    order = list(expected) + ["leak_check"]
    for test in doc.tests:
        if (test.status == ktap.CRASHED and test.name == "test %d" % test.number
                and doc.plan == len(order) and test.number <= len(order)):
            test.name = order[test.number - 1]
    reported = set()
    for test in doc.tests:
        reported.add(test.name)
        name = prefix + ": user: " + test.name
        if not test.subtests:
            if test.status in (ktap.FAIL, ktap.CRASHED) and test.name in verdicts:
                test.diagnostics.insert(0, verdicts[test.name])
            lines.append((name, test))
            continue
        leaves = list(_leaves(test, name))
        lines.extend(leaves)
        if test.status in (ktap.FAIL, ktap.CRASHED) and not any(
                leaf.status in (ktap.FAIL, ktap.CRASHED) for _, leaf in leaves):
            why = verdicts.get(test.name, "reported not ok")
            lines.append((name, ([why], test.diagnostics[-10:])))
    for missing in expected:
        if missing not in reported:
            lines.append((prefix + ": user: " + missing,
                          (["is in the initrd but init did not report it"], [])))
    problems = list(doc.errors)
    if doc.plan is not None and expected and doc.plan != len(expected) + 1:
        problems.append("init planned %d tests, expected %d programs + leak_check"
                        % (doc.plan, len(expected)))
    lines.append((prefix + ": user", (problems, [])))
    return lines


# ---------------------------------------------------------------- native runs

def _native_env(build):
    env = dict(os.environ)
    env.update({"SWITCHYARD_CMDLINE": "utest", "UTEST_DIR": os.path.join(build, "user", "tests")})
    env.pop("KTAP_INDENT", None)
    env.pop("UTEST_BINDIR", None)
    return env


def _need_programs(build):
    init = os.path.join(build, "user", "bin", "init")
    if not os.access(init, os.X_OK) or not expected_programs(build):
        print("KTAP version 1\n1..1\nnot ok 1 build # %s or %s/user/tests/* missing: "
              "run make" % (init, build), flush=True)
        return None
    return init


def native(build):
    """Run init in utest mode on this host: the same programs, Linux's
    answers.  Prints init's KTAP document; the exit status is init's."""
    init = _need_programs(build)
    if init is None:
        return 1
    proc = subprocess.run([init], env=_native_env(build), stdin=subprocess.DEVNULL, cwd=ROOT)
    return proc.returncode


def implemented_syscalls():
    with open(os.path.join(ROOT, "kernel", "syscall_list.h")) as f:
        return set(re.findall(r"__SYSCALL\(\s*\d+\s*,\s*(\w+)\s*\)", f.read()))


# Calls the test programs make on purpose although Switchyard lacks them:
# numbers no kernel implements (the ENOSYS test in system.c), the soft
# fd limit files.c lowers on hosts with a big one (it copes with ENOSYS),
# and strace's name for a restarted sleep (the kernel's, not a program's).
EXPECTED_UNIMPLEMENTED = {
    "syscall_0x190", "syscall_0x3e8", "syscall_0x186a0", "syscall_0x7fffffff",
    "syscall_0xffffffffffffffff", "prlimit64", "restart_syscall",
}


def syscalls(build):
    """Run the suite natively under strace -f; one KTAP test that fails if
    a program made a system call Switchyard does not implement (beyond
    EXPECTED_UNIMPLEMENTED).  Skipped without strace."""
    print("KTAP version 1")
    print("1..1")
    if shutil.which("strace") is None:
        print("ok 1 syscalls_used # SKIP strace is not installed")
        return 0
    init = _need_programs(build)
    if init is None:
        return 1
    with tempfile.TemporaryDirectory(prefix="switchyard-strace.") as tmp:
        trace = os.path.join(tmp, "trace")
        proc = subprocess.run(["strace", "-f", "-qq", "-o", trace, init], env=_native_env(build),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, cwd=ROOT)
        programs, used = {}, {}
        with open(trace, errors="replace") as f:
            for line in f:
                match = re.match(r"^(\d+)\s+(?:<\.\.\. )?([a-z_0-9]+)(?:\(| resumed>)", line)
                if not match:
                    continue
                pid, name = match.groups()
                if name == "execve":
                    exe = re.search(r'execve\("([^"]*)"', line)
                    if exe and "= 0" in line.rsplit(")", 1)[-1]:
                        programs[pid] = os.path.basename(exe.group(1))
                used.setdefault(name, set()).add(programs.get(pid, "init"))
    implemented = implemented_syscalls()
    unexpected = sorted(set(used) - implemented - EXPECTED_UNIMPLEMENTED)
    print("# %d different system calls, %d of them not implemented by Switchyard (%s)" % (
        len(used), len(set(used) - implemented), ", ".join(sorted(set(used) - implemented)) or "none"))
    if proc.returncode != 0:
        print("# (under strace the suite exited with %d; its results are not judged here)"
              % proc.returncode)
    for name in unexpected:
        print("# %s, used by: %s" % (name, ", ".join(sorted(used[name]))))
    print("%s 1 syscalls_used" % ("not ok" if unexpected else "ok"))
    return 1 if unexpected else 0


# ---------------------------------------------------------------- run-qemu.sh --run / --add

ADDED_PROGRAM = r"""
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	printf("added program: argc=%d argv[1]=%s child of init=%d\n",
	       argc, argc > 1 ? argv[1] : "-", getppid() == 1);
	return 5;
}
"""


def _run_qemu(build, args, timeout, logdir, name):
    """./run-qemu.sh --build BUILD --headless ... ARGS; (status, serial log)."""
    log = os.path.join(logdir, "run-%s.log" % name)
    if os.path.exists(log):
        os.remove(log)
    cmd = [os.path.join(ROOT, "run-qemu.sh"), "--build", build, "--headless",
           "--timeout", str(timeout), "--log", log] + args
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout + 60, cwd=ROOT)
        status, output = proc.returncode, proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        status, output = None, ""
    try:
        with open(log, "rb") as f:
            serial = f.read().decode("utf-8", "replace")
    except OSError:
        serial = ""
    messages = [l for l in output.splitlines() if l.startswith("run-qemu.sh:")]
    return status, serial, messages


def _tail(text, n=15):
    lines = [ktap.clean(l) for l in text.replace("\r", "\n").split("\n")]
    lines = [l for l in lines if l.strip()]
    return lines[-n:] or ["(empty serial log)"]


# The shell, driven like a person would: a command once the prompt is up
# (input typed during boot would go to GRUB), then the line that shows it
# worked.  The last command's status is run-qemu.sh's (--run /bin/sh).
SHELL_SESSION = [
    ("echo one  two", "one two"),
    ("ls /tests", re.compile(r"^\s*\d+\s+file\s+signals$")),
    ("hello a b", 'argv[2] = "b"'),
    ("exitcode 7", "sh: exitcode: exit status 7"),
    ("status", "7"),
    ("segv", "sh: segv: killed by signal 11 (Segmentation fault)"),
    ("counters", re.compile(r"^free_pages:\s*\d+$")),
    ("cat /proc/meminfo", re.compile(r"^MemTotal:\s+\d+ kB$")),
    ("nosuch", "sh: /bin/nosuch: No such file or directory"),
    ("exit 3", "run: /bin/sh: exit status 3"),
]


def shell_check(build, timeout, logdir):
    """(name, passed, message) for a scripted session with /bin/sh."""
    name = "run: shell session"
    log = os.path.join(logdir, "run-shell.log")
    cmd = [os.path.join(ROOT, "run-qemu.sh"), "--build", build, "--headless",
           "--timeout", str(timeout), "--log", log, "--run", "/bin/sh"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    output = bytearray()
    done = threading.Event()

    def reader():
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            output.extend(chunk)
        done.set()
    threading.Thread(target=reader, daemon=True).start()

    def lines():
        text = output.decode("utf-8", "replace").replace("\r", "")
        return [ktap.clean(l) for l in text.split("\n")]

    def wait(predicate, seconds):
        for _ in range(int(seconds * 20)):
            if predicate():
                return True
            if done.is_set():
                return predicate()
            time.sleep(0.05)
        return False

    problems = []
    if not wait(lambda: "Switchyard shell" in output.decode("utf-8", "replace"), timeout):
        problems.append("no shell banner")
    else:
        for command, want in SHELL_SESSION:
            start = len(lines())
            proc.stdin.write((command + "\n").encode())
            proc.stdin.flush()
            match = (lambda l, w=want: w.match(l)) if hasattr(want, "match") else \
                (lambda l, w=want: l == w)
            if not wait(lambda: any(match(l) for l in lines()[max(start - 1, 0):]), 30):
                problems.append("%r: no line %s" % (command, getattr(want, "pattern", repr(want))))
                break
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        status = proc.wait(timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
    done.wait(5)
    if not problems and status != 3:
        problems.append("run-qemu.sh exited with %s, expected 3 (the shell's exit 3)" % status)
    if not problems:
        return (name, True, None)
    return (name, False, "; ".join(problems) + "\n" + "\n".join(
        "(console) " + l for l in [l for l in lines() if l.strip()][-20:]))


def run_checks(build, timeout=120, jobs=2, logdir=None):
    """The run-qemu.sh --run/--add checks: a list of (name, passed, message)
    tuples (message may have more lines)."""
    logdir = logdir or os.path.join(build, "test-logs")
    os.makedirs(logdir, exist_ok=True)
    if not os.path.isfile(os.path.join(build, "initrd.cpio")):
        return [("run", False, "%s/initrd.cpio does not exist: run make" % build)]
    work = tempfile.mkdtemp(prefix="switchyard-run.")
    try:
        added = os.path.join(work, "added")
        src = os.path.join(work, "added.c")
        with open(src, "w") as f:
            f.write(ADDED_PROGRAM)
        compiled = subprocess.run(["musl-gcc", "-static", "-O2", "-Wall", "-Werror", "-o", added, src],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        checks = [
            # (name, run-qemu.sh arguments, expected status, lines the log must have)
            ("exitcode 3", ["--run", "/bin/exitcode 3"], 3,
             ["run: /bin/exitcode 3: exit status 3"]),
            ("segv is 128+11", ["--run", "/bin/segv"], 139,
             ["run: /bin/segv: killed by signal 11"]),
            ("last command counts", ["--run", "segv", "--run", "/bin/hello two words",
                                     "--run", "/bin/exitcode 0"], 0,
             ["run: segv: killed by signal 11", 'argv[2] = "words"',
              "run: /bin/hello two words: exit status 0", "run: /bin/exitcode 0: exit status 0"]),
            # bad kernel command-line words: each reported, the default kept, the boot goes on
            ("bad command-line values", ["--append", "pti=maybe invpcid=sometimes pcid=perhaps "
                                         "tlbcheck=yes fpu=x87", "--run", "/bin/exitcode 0"], 0,
             ["pti: unknown value pti=maybe, using on", "tlb: unknown value pcid=perhaps, ignored",
              "tlb: unknown value invpcid=sometimes, ignored",
              "tlb: unknown value tlbcheck=yes, ignored", "fpu: unknown fpu=x87",
              "pti on, tlbcheck off", "run: /bin/exitcode 0: exit status 0"]),
        ]
        results = []
        if compiled.returncode == 0:
            checks.append(("--add a musl program", ["--add", added, "--run", "/bin/added hello"], 5,
                           ["added program: argc=2 argv[1]=hello child of init=1",
                            "run: /bin/added hello: exit status 5"]))
        else:
            results.append(("run: --add a musl program", False, "musl-gcc failed:\n"
                            + compiled.stdout.decode("utf-8", "replace")))

        def one(check):
            name, args, want, needles = check
            status, serial, messages = _run_qemu(build, args, timeout, logdir,
                                                 re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
            problems = []
            if status is None:
                problems.append("run-qemu.sh did not finish")
            elif status != want:
                problems.append("run-qemu.sh exited with %s, expected %d" % (status, want))
            for needle in needles:
                if needle not in serial:
                    problems.append("the serial log lacks %r" % needle)
            if not problems:
                return ("run: " + name, True, None)
            return ("run: " + name, False, "; ".join(problems) + "\n" + "\n".join(
                messages + ["(serial) " + l for l in _tail(serial)]))

        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            shell = pool.submit(shell_check, build, timeout, logdir)
            results += list(pool.map(one, checks))
            results.append(shell.result())
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stage_run(args, report):
    """tests/run.py's "run" stage."""
    for name, passed, message in run_checks(args.build, timeout=args.run_timeout, jobs=args.jobs):
        if passed:
            report.ok(name)
        else:
            lines = str(message).splitlines() or ["failed"]
            report.fail(name, lines[0], lines[1:])


def main(argv):
    if len(argv) != 3 or argv[1] not in ("native", "syscalls", "run"):
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    build = os.path.abspath(argv[2])
    if argv[1] == "native":
        return native(build)
    if argv[1] == "syscalls":
        return syscalls(build)
    failed = 0
    lock = threading.Lock()
    for name, passed, message in run_checks(build):
        with lock:
            print("%s %s" % ("ok" if passed else "FAIL", name))
            if not passed:
                failed += 1
                for line in str(message).splitlines():
                    print("    | " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
