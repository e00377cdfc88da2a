"""GDB test: attach GDB to QEMU's gdbstub from a cold start and check that
the project's debugging setup works.

Why: debugging is part of the course, and the path from QEMU's reset vector
to kmain crosses two traps (GRUB's 32-bit hand-off and the switch to 64-bit
long mode, see docs/debugging.md).  This boots the kernel frozen at the reset
vector (-S), attaches `gdb -batch` with scripts/gdbinit loaded exactly as
`make gdb` does, and checks:

  connect at reset vector   GDB attaches, the CPU sits at f000:fff0
  kmain breakpoint          the gdbinit's hardware breakpoint stops in kmain
  backtrace                 `bt` shows kmain in frame #0
  read kernel global        switchyard_version (or boot_stack_top) reads back
  long-mode registers       EFER.LMA, CR0.PG and RSP on the boot stack
  ptwalk                    `ptwalk kmain` finds kmain's physical address
  features                  `features` shows the feature table once filled

This one file runs in two places.  Run by Python (tests/run.py calls run(),
or `python3 tests/gdb_test.py`), it starts QEMU and GDB; GDB then runs this
same file as its script (gdb -x tests/gdb_test.py), where the `gdb` module
exists, and the checks run inside GDB and print one line each.
"""

import os
import re
import socket
import subprocess
import sys
import time

try:
    import gdb          # present only when GDB runs this file
except ImportError:
    gdb = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL_VMA = 0xffffffff80000000         # kernel/layout.h
CHECKS = ("connect at reset vector", "kmain breakpoint", "backtrace", "read kernel global",
          "long-mode registers", "ptwalk", "features")
MARK = "@@gdb-test"                     # prefix of result lines from inside GDB


# ---------------------------------------------------------------- outside GDB

def free_port():
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(build="build", logdir=None, timeout=90):
    """Run the checks; return a list of (name, passed, message) with names
    such as "gdb: kmain breakpoint"."""
    build = os.path.abspath(build)
    logdir = logdir or os.path.join(build, "test-logs")
    os.makedirs(logdir, exist_ok=True)
    elf = os.path.join(build, "switchyard.elf")
    iso = os.path.join(build, "switchyard.iso")
    for path in (elf, iso):
        if not os.path.exists(path):
            return [("gdb: setup", False, "%s does not exist (run make)" % path)]

    serial_log = os.path.join(logdir, "gdb.serial.log")
    gdb_log = os.path.join(logdir, "gdb.log")
    # The port is free when we ask, but another program could take it before
    # QEMU binds it: then QEMU exits at once and we try another.
    for attempt in range(3):
        port = free_port()
        qemu = subprocess.Popen(
            ["qemu-system-x86_64", "-cpu", "max", "-m", "256M", "-smp", "1", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-cdrom", iso,
             "-serial", "file:" + serial_log, "-display", "none", "-monitor", "none",
             "-S", "-gdb", "tcp:127.0.0.1:%d" % port],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(0.3)
        if qemu.poll() is None:
            break
    else:
        output = qemu.stdout.read().decode("utf-8", "replace")
        return [("gdb: setup", False, "QEMU did not start: " + output.strip())]

    env = dict(os.environ, SWITCHYARD_GDB_PORT=str(port), SWITCHYARD_ELF=elf,
               SWITCHYARD_ROOT=ROOT)
    timed_out = False
    try:
        # -nx: the user's own ~/.gdbinit must not change the result.  GDB
        # retries the connection while QEMU is still opening its socket.
        proc = subprocess.run(["gdb", "-batch", "-nx", "-x", os.path.abspath(__file__)],
                              cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout)
        output = proc.stdout
    except subprocess.TimeoutExpired as error:
        output = error.output or b""
        timed_out = True
    finally:
        stop(qemu)
    output = output.decode("utf-8", "replace")
    with open(gdb_log, "w") as f:
        f.write(output)

    results, seen = [], set()
    for line in output.splitlines():
        if line.startswith(MARK + "\t"):
            _, word, name, message = (line.split("\t", 3) + [""])[:4]
            seen.add(name)
            results.append(("gdb: " + name, word == "ok", message))
    # A check that printed nothing did not run: GDB stopped or hung before it.
    why = "GDB timed out after %g s" % timeout if timed_out else "did not run"
    tail = [line for line in output.splitlines() if not line.startswith(MARK)][-15:]
    for name in CHECKS:
        if name not in seen:
            results.append(("gdb: " + name, False,
                            "\n".join([why + " (GDB log: %s)" % os.path.relpath(gdb_log, ROOT)] + tail)))
            tail = []           # show the log once
    return results


def main():
    import argparse
    parser = argparse.ArgumentParser(description="GDB test against QEMU's gdbstub")
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    failed = 0
    for name, passed, message in run(args.build):
        lines = (message or "").splitlines() or [""]
        if passed:
            short = lines[0].split(" | ")[0]
            print("ok %s%s" % (name, "  (%s)" % short if short else ""))
        else:
            failed += 1
            print("FAIL %s: %s" % (name, lines[0]))
            for line in lines[1:]:
                print("    | " + line)
    return 1 if failed else 0


# ---------------------------------------------------------------- inside GDB

def report(name, passed, message=""):
    print("%s\t%s\t%s\t%s" % (MARK, "ok" if passed else "FAIL", name,
                              str(message).replace("\n", " | ").replace("\t", " ")), flush=True)


def value_of(expression):
    return int(gdb.parse_and_eval("(unsigned long)(%s)" % expression)) & (2 ** 64 - 1)


def symbol_table(elf):
    """name -> address from the nm listing next to the ELF (build/switchyard.sym)."""
    table = {}
    try:
        with open(os.path.join(os.path.dirname(elf), "switchyard.sym")) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    table[parts[2]] = int(parts[0], 16)
    except OSError:
        pass
    return table


def checks_in_gdb():
    port = os.environ["SWITCHYARD_GDB_PORT"]
    elf = os.environ["SWITCHYARD_ELF"]
    root = os.environ["SWITCHYARD_ROOT"]
    symbols = symbol_table(elf)

    gdb.execute("file " + elf, to_string=True)
    gdb.execute("source " + os.path.join(root, "scripts", "gdbinit"), to_string=True)
    gdb.execute("set history save off")

    # 1. Attach while QEMU is frozen at the reset vector (real mode, f000:fff0).
    try:
        gdb.execute("target remote 127.0.0.1:%s" % port, to_string=True)
        pc, cs = value_of("$pc"), value_of("$cs")
        arch = gdb.selected_frame().architecture().name()
        report("connect at reset vector", pc == 0xfff0 and cs == 0xf000,
               "pc %#x cs %#x, GDB architecture %s" % (pc, cs, arch))
    except gdb.error as error:
        report("connect at reset vector", False, error)
        return

    # 2. Continue to kmain on the hardware breakpoint the gdbinit sets when
    # it connects: GRUB runs, loads the kernel, entry.S goes to long mode.
    hardware = [b for b in gdb.breakpoints()
                ]
    if not hardware:
        report("kmain breakpoint", False, "scripts/gdbinit set no hardware breakpoint on kmain")
        return
    try:
        gdb.execute("continue", to_string=True)
        frame = gdb.selected_frame()
        kmain = value_of("kmain")
        passed = frame.name() == "kmain" and frame.pc() == kmain
        report("kmain breakpoint", passed, "stopped in %s at %#x (kmain is %#x)"
               % (frame.name(), frame.pc(), kmain))
        if not passed:
            return
    except gdb.error as error:
        report("kmain breakpoint", False, error)
        return

    # 3. The backtrace starts in kmain.
    try:
        backtrace = gdb.execute("bt", to_string=True)
        report("backtrace", re.search(r"^#0\s+(0x\S+ in )?kmain ", backtrace, re.M) is not None,
               backtrace.strip())
    except gdb.error as error:
        report("backtrace", False, error)

    # 4. A kernel global reads back through the stub (virtual address, the
    # page tables of the running CPU).
    try:
        if "switchyard_version" in symbols:
            address = value_of("&switchyard_version")
            text = gdb.parse_and_eval("switchyard_version").string()
            passed = address == symbols["switchyard_version"] and re.match(r"\d+\.\d+", text)
            report("read kernel global", passed,
                   "switchyard_version at %#x = \"%s\"" % (address, text))
        else:
            address = value_of("&boot_stack_top")
            passed = address == symbols.get("boot_stack_top")
            report("read kernel global", passed, "&boot_stack_top = %#x" % address)
    except gdb.error as error:
        report("read kernel global", False, error)

    # 5. The registers GDB shows are the 64-bit ones of a CPU in long mode.
    try:
        efer, cr0, rsp = value_of("$efer"), value_of("$cr0"), value_of("$rsp")
        low, high = symbols.get("boot_stack", 0), symbols.get("boot_stack_top", 2 ** 64)
        passed = efer >> 10 & 1 and cr0 >> 31 & 1 and low <= rsp <= high
        report("long-mode registers", passed,
               "EFER %#x (LMA=%d), CR0 %#x (PG=%d), RSP %#x" % (efer, efer >> 10 & 1, cr0,
                                                              cr0 >> 31 & 1, rsp))
    except gdb.error as error:
        report("long-mode registers", False, error)

    # 6. The gdbinit's page-table walk agrees with the link address.
    try:
        walk = gdb.execute("ptwalk kmain", to_string=True)
        found = re.search(r"=> phys (0x[0-9a-f]+)", walk)
        expected = value_of("kmain") - KERNEL_VMA
        report("ptwalk", found is not None and int(found.group(1), 16) == expected,
               "expected phys %#x; %s" % (expected, walk.strip()))
    except gdb.error as error:
        report("ptwalk", False, error)

    # 7. Run on until the feature table has been filled (cpu_features_print
    # runs right after cpu_features_init) and show it.  QEMU's -cpu max has
    # XSAVE, so its row must say native.
    try:
        gdb.execute("hbreak cpu_features_print", to_string=True)
        gdb.execute("continue", to_string=True)
        table = gdb.execute("features", to_string=True)
        report("features", re.search(r"^\s*XSAVE\s+native\s*$", table, re.M) is not None,
               table.strip())
    except gdb.error as error:
        report("features", False, error)

    try:
        gdb.execute("kill", to_string=True)
    except gdb.error:
        pass


if __name__ == "__main__":
    if gdb is not None:
        try:
            checks_in_gdb()
        except Exception as error:         # report instead of a bare traceback
            report("harness", False, "%s: %s" % (type(error).__name__, error))
    else:
        sys.exit(main())
