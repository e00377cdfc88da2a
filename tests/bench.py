#!/usr/bin/env python3
"""Switchyard's benchmarks: instruction counts of kernel paths, side by side.  `make bench`.

Why: wall-clock time in an emulator on a shared two-core machine is noise.
Guest instructions are not: under QEMU with `-icount shift=0` the guest's
TSC advances one tick per executed instruction, and Bochs counts
instructions too, so the /bench/ programs (user/bench/, bench.h) read the
TSC around each operation and print instruction counts.  Kernel counters
from /proc/switchyard (switches, CR3 writes, TLB flushes, IPIs, XSAVE and
XRSTOR counts) complete the picture.  docs/performance.md explains every
row and column.

How: every configuration is one boot with "run=/bench/calib,..." (init runs
the programs and powers off); each program prints "bench: ..." lines on the
serial console, which this script collects.  Configurations:

  qemu-smp1, qemu-smp2   QEMU 7.2 TCG, -icount shift=0, every program
  bochs-smp1             Bochs 2.7 (tigerlake) through ./run-bochs.sh
  <col>+fpu=NAME         /bench/fpu alone, once per FPU backend (the FPU
                         table); a backend the CPU cannot use falls back in
                         the kernel, which the boot's "bench: info fpu=" shows,
                         and the cell says n/a
  qemu-smp1+WORD         FEATURE_COLUMNS: kernel command-line words such as
                         pti=on; booted only if the first boot's /proc/switchyard
                         has that feature (bench: info pti=...), else n/a

Output: BUILD/bench/results.json (everything measured), BUILD/bench/results.md
(the tables, also printed), BUILD/bench/logs/*.log (serial logs).

    python3 tests/bench.py --build build            # all of it, < 10 minutes
    python3 tests/bench.py --build build --no-bochs --quick
"""

import argparse
import concurrent.futures
import datetime
import json
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
from run import ensure_iso, qemu_command, run_qemu  # noqa: E402

PROGRAMS = ["calib", "syscall", "sched", "mm", "proc", "fpu"]
# FPU backends in the kernel's order of preference (fpu/xstate.c).
FPU_BACKENDS = ["xsaves", "xsavec", "xsaveopt", "xsave", "fxsave", "xsaves-model"]
# The boot log says which backends this CPU cannot use: the feature table
# ("cpu:   XSAVES       absent") and fpu/xstate.c's self-check ("fpu: xsaves
# does not save ...: not using it", Bochs 2.7's compacted layout).  Those are
# not booted; any other backend that still falls back is caught afterwards.
BACKEND_FEATURE = {"xsaves": "XSAVES", "xsavec": "XSAVEC", "xsaveopt": "XSAVEOPT",
                   "xsave": "XSAVE"}


def unusable_backends(log):
    """{backend: why} from a boot log."""
    why = {}
    for b, feat in BACKEND_FEATURE.items():
        if re.search(r"cpu:\s+%s\s+absent" % feat, log):
            why[b] = "CPU has no %s" % feat
    for m in re.finditer(r"fpu: (\S+) (does not .*?): not using it", log):
        why.setdefault(m.group(1), "kernel's self-check: %s" % m.group(2))
    return why


# Command-line switches compared as on/off pairs, once the kernel has them:
# (feature as /proc/switchyard names it, word for on, word for off, programs).
FEATURE_COLUMNS = [
    ("pti", "pti=on", "pti=off", ["calib", "syscall", "sched", "mm"]),
    ("pcid", "pcid=on", "pcid=off", ["calib", "sched", "mm"]),
]
COUNTERS = ["switches", "cr3_loads", "migrations", "saves", "restores", "skipped",
            "cr3_writes", "flush_all", "flush_one", "page_faults", "calls", "idle_ms"]

LINE = re.compile(r"bench: (?P<op>.+?) n=(?P<n>\d+) median=(?P<median>\d+) min=(?P<min>\d+)(?P<rest>.*)$")
INFO = re.compile(r"bench: info (.*)$")
CALIB = re.compile(r"bench: calib turns=(\d+) expected=(\d+) measured=(\d+) error=(-?[\d.]+)%")
SKIP = re.compile(r"bench: skip (.+?): (.*)$")
STATUS = re.compile(r"run: (\S+): (exit status \d+|killed by signal \S+|.*)")
PANIC = "Kernel panic - not syncing"
# ensure_iso() writes the cached ISO in place: two boots of one command line
# (qemu-smp1 and qemu-smp2) must not build it at the same time.
ISO_LOCK = threading.Lock()


def parse(log):
    """The bench: lines of one serial log -> dict."""
    res = {"info": {}, "calib": [], "ops": {}, "skips": {}, "statuses": {}}
    for raw in log.replace("\r", "").split("\n"):
        line = raw.strip()
        m = CALIB.search(line)
        if m:
            res["calib"].append({"turns": int(m.group(1)), "expected": int(m.group(2)),
                                 "measured": int(m.group(3)), "error_pct": float(m.group(4))})
            continue
        m = INFO.search(line)
        if m:
            for word in m.group(1).split():
                if "=" in word:
                    k, v = word.split("=", 1)
                    res["info"][k] = v
            continue
        m = SKIP.search(line)
        if m:
            res["skips"][m.group(1)] = m.group(2)
            continue
        m = LINE.search(line)
        if m:
            op = {"n": int(m.group("n")), "median": int(m.group("median")),
                  "min": int(m.group("min"))}
            for word in m.group("rest").split():
                k, _, v = word.partition("=")
                op[k] = None if v == "n/a" else float(v)
            res["ops"][m.group("op")] = op
            continue
        m = STATUS.search(line)
        if m and m.group(1).startswith("/bench/"):
            res["statuses"][m.group(1)] = m.group(2)
    res["panic"] = PANIC in log
    return res


def run_cmdline(programs, quick):
    arg = "+--quick" if quick else ""
    return "run=" + ",".join("/bench/%s%s" % (p, arg) for p in programs)


def boot(args, emulator, smp, words, programs, name):
    """Boot one configuration; return its parsed results plus timing."""
    build = args.build
    logdir = os.path.join(build, "bench", "logs")
    os.makedirs(logdir, exist_ok=True)
    serial_log = os.path.join(logdir, name.replace("/", "_") + ".log")
    cmdline = " ".join(list(words) + [run_cmdline(programs, args.quick)])
    start = time.monotonic()
    with ISO_LOCK:
        iso = ensure_iso(build, cmdline)   # the cache run-bochs.sh uses too
    if emulator == "qemu":
        with tempfile.TemporaryDirectory() as private:
            # -icount shift=0: one instruction is one nanosecond of virtual
            # time, so the guest TSC counts instructions (docs/performance.md).
            cmd = qemu_command("bios-smp%d" % smp, iso, serial_log, private,
                               ["-icount", "shift=0"])
            status, out, _ = run_qemu(cmd, args.timeout)
    else:
        cmd = [os.path.join(ROOT, "run-bochs.sh"), "--build", build, "--smp", str(smp),
               "--append", cmdline, "--log", serial_log, "--timeout", str(args.timeout)]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, cwd=ROOT)
        status, out = proc.returncode, proc.stderr.decode("utf-8", "replace")
    took = time.monotonic() - start
    try:
        with open(serial_log, encoding="utf-8", errors="replace") as f:
            log = f.read()
    except OSError:
        log = ""
    res = parse(log)
    res.update({"emulator": emulator, "smp": smp, "cmdline": cmdline, "status": status,
                "seconds": round(took, 1), "log": serial_log})
    bad = [p for p, s in res["statuses"].items() if s != "exit status 0"]
    if status is None:
        res["problem"] = "timed out after %ds" % args.timeout
    elif res["panic"]:
        res["problem"] = "kernel panic"
    elif bad:
        res["problem"] = "; ".join("%s: %s" % (p, res["statuses"][p]) for p in bad)
    print("bench: %-28s %5.1fs  status %s%s" % (name, took, status,
          ("  PROBLEM: " + res["problem"]) if res.get("problem") else ""), flush=True)
    return res


# ---------------------------------------------------------------- tables

def cell(op):
    return "%d / %d" % (op["median"], op["min"]) if op else "n/a"


def ratio(a, b):
    if not a or not b or not b["median"]:
        return "n/a"
    return "%.2f" % (a["median"] / b["median"])


def fmt_counter(v):
    if v is None:
        return "n/a"
    return ("%.2f" % v).rstrip("0").rstrip(".") if v else "0"


def tables(results):
    cols = results["main_columns"]
    configs = results["configs"]
    ops = []
    for c in cols:
        for op in list(configs.get(c, {}).get("ops", {})) + list(configs.get(c, {}).get("skips", {})):
            if op not in ops:
                ops.append(op)
    feat_cols = []
    for feat, on, off, _ in FEATURE_COLUMNS:
        feat_cols.append(("%s on/off" % feat, "qemu-smp1+" + on, "qemu-smp1+" + off))
    out = []
    out.append("Instructions per iteration, median / min (TSC deltas under QEMU -icount "
               "shift=0 and Bochs; one iteration of a ping-pong is a round trip):")
    out.append("")
    head = ["operation"] + cols + [f[0] for f in feat_cols]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for op in ops:
        row = [op]
        for c in cols:
            cfg = configs.get(c)
            if not cfg:
                row.append("not run")
            elif op in cfg.get("ops", {}):
                row.append(cell(cfg["ops"][op]))
            elif op in cfg.get("skips", {}):
                row.append("n/a (%s)" % cfg["skips"][op])
            else:
                row.append("n/a")
        for _, con, coff in feat_cols:
            a = configs.get(con, {}).get("ops", {}).get(op)
            b = configs.get(coff, {}).get("ops", {}).get(op)
            row.append(ratio(a, b))
        out.append("| " + " | ".join(row) + " |")
    for feat, _, _, _ in FEATURE_COLUMNS:
        why = results["features"].get(feat)
        if why:
            out.append("")
            out.append("%s on/off: %s" % (feat, why))

    # counters, one table per main configuration
    for c in cols:
        cfg = configs.get(c)
        if not cfg or not cfg.get("ops"):
            continue
        used = [k for k in COUNTERS
                if any(o.get(k) not in (None, 0.0) for o in cfg["ops"].values())]
        missing = [k for k in COUNTERS if all(o.get(k) is None for o in cfg["ops"].values())]
        out.append("")
        out.append("Kernel counters per iteration, %s (fpu=%s; all zero: %s; n/a: %s):" % (
            c, cfg["info"].get("fpu", "?"),
            ", ".join(k for k in COUNTERS if k not in used and k not in missing) or "none",
            ", ".join(missing) or "none"))
        out.append("")
        out.append("| operation | " + " | ".join(used) + " |")
        out.append("|---|" + "---|" * len(used))
        for op, v in cfg["ops"].items():
            out.append("| %s | %s |" % (op, " | ".join(fmt_counter(v.get(k)) for k in used)))

    # FPU backends
    fcols = results["fpu_columns"]
    out.append("")
    out.append("FPU backends: `fpu switch process-process`, instructions median / min, "
               "saves and restores per round trip (`fpu user-idle-user`: restores per "
               "iteration, must be 0):")
    out.append("")
    out.append("| fpu= | " + " | ".join("%s switch | %s idle restores" % (c, c) for c in fcols) + " |")
    out.append("|---|" + "---|---|" * len(fcols))
    fpu = results["fpu"]
    for b in FPU_BACKENDS:
        row = [b]
        for c in fcols:
            r = fpu.get(c, {}).get(b)
            if not r or "why" in r:
                row += ["n/a" + (" (%s)" % r["why"] if r else ""), "n/a"]
                continue
            sw, idle = r.get("switch"), r.get("idle")
            row.append("%s (saves %s, restores %s)" % (cell(sw), fmt_counter(sw.get("saves")),
                                                      fmt_counter(sw.get("restores"))) if sw else "n/a")
            row.append(fmt_counter(idle.get("restores")) if idle else "n/a")
        out.append("| " + " | ".join(row) + " |")
    for a, b in (("xsaves", "xsaveopt"), ("xsaves-model", "xsaveopt"), ("xsaveopt", "fxsave")):
        row = ["ratio %s/%s" % (a, b)]
        for c in fcols:
            ra = fpu.get(c, {}).get(a, {}).get("switch")
            rb = fpu.get(c, {}).get(b, {}).get("switch")
            row += [ratio(ra, rb), ""]
        out.append("| " + " | ".join(row) + " |")

    # calibration
    out.append("")
    out.append("Calibration (a loop of exactly 2 instructions per turn; smallest of 5 runs "
               "minus the empty measurement):")
    out.append("")
    out.append("| configuration | turns | expected | measured | error |")
    out.append("|---|---|---|---|---|")
    for c in cols:
        cal = configs.get(c, {}).get("calib", [])
        for k in cal:
            out.append("| %s | %d | %d | %d | %.4f%% |" % (c, k["turns"], k["expected"],
                                                        k["measured"], k["error_pct"]))
        if len(cal) >= 2:
            # The slope between the two shorter loops drops the constant
            # instructions (the compiler's moves around the loop); the longest
            # one shows what a timer interrupt inside every run adds.
            a, b = cal[0], cal[1]
            slope = (b["measured"] - a["measured"]) / (b["expected"] - a["expected"])
            out.append("| %s | slope %d..%d | 1 per instruction | %.6f | %.4f%% |" % (
                c, a["turns"], b["turns"], slope, 100 * (slope - 1)))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true",
                    help="one iteration of each operation (checks the plumbing, measures nothing)")
    ap.add_argument("--no-bochs", action="store_true", help="QEMU configurations only")
    ap.add_argument("--no-fpu", action="store_true", help="skip the per-backend FPU boots")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per boot (default 300)")
    ap.add_argument("--jobs", type=int, default=2, help="boots at a time (default 2)")
    args = ap.parse_args()
    build = args.build
    if not os.path.exists(os.path.join(build, "switchyard.elf")):
        sys.exit("bench: no %s/switchyard.elf: run make O=%s first" % (build, build))
    use_bochs = not args.no_bochs
    if use_bochs and not (shutil.which("bochs") and os.access(os.path.join(ROOT, "run-bochs.sh"), os.X_OK)):
        print("bench: bochs or run-bochs.sh not available: no Bochs column")
        use_bochs = False

    t0 = time.monotonic()
    main_cfgs = [("qemu-smp1", "qemu", 1), ("qemu-smp2", "qemu", 2)]
    if use_bochs:
        main_cfgs.insert(0, ("bochs-smp1", "bochs", 1))   # slowest first
    configs = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    futures = {name: pool.submit(boot, args, emu, smp, [], PROGRAMS, name)
               for name, emu, smp in main_cfgs}

    # Per-backend FPU boots, started as soon as the first boot of that
    # emulator says which backend is the default (that one is not booted twice).
    fpu_cols = ["qemu-smp1"] + (["bochs-smp1"] if use_bochs else [])
    fpu = {c: {} for c in fpu_cols}
    fpu_futures = []
    features = {}
    feature_futures = {}
    configs["qemu-smp1"] = futures["qemu-smp1"].result()

    def schedule_fpu(col, emu, main):
        try:
            with open(main["log"], encoding="utf-8", errors="replace") as f:
                unusable = unusable_backends(f.read())
        except OSError:
            unusable = {}
        for b in FPU_BACKENDS:
            if b == main["info"].get("fpu"):
                continue
            if b in unusable:
                fpu[col][b] = {"why": unusable[b]}
                continue
            fpu_futures.append((col, b, pool.submit(boot, args, emu, 1, ["fpu=" + b], ["fpu"],
                                                    "%s+fpu=%s" % (col, b))))
    if not args.no_fpu:
        schedule_fpu("qemu-smp1", "qemu", configs["qemu-smp1"])
    # Feature columns: only if this kernel reports the feature at all.
    for feat, on, off, progs in FEATURE_COLUMNS:
        have = configs["qemu-smp1"]["info"].get(feat, "n/a")
        if have == "n/a":
            features[feat] = "n/a: this kernel has no %s (no \"%s:\" line in /proc/switchyard)" % (feat, feat)
            continue
        for word in (on, off):
            name = "qemu-smp1+" + word
            feature_futures[name] = pool.submit(boot, args, "qemu", 1, [word], progs, name)
    for name in futures:
        configs[name] = futures[name].result()
    if use_bochs and not args.no_fpu:
        schedule_fpu("bochs-smp1", "bochs", configs["bochs-smp1"])
    for name, fut in feature_futures.items():
        configs[name] = fut.result()
        got = configs[name]["info"].get(name.split("+", 1)[1].split("=")[0])
        want = name.split("=", 1)[1]
        if got != want:
            configs[name]["problem"] = "asked for %s, the kernel says %s" % (name, got)
    for col, b, fut in fpu_futures:
        r = fut.result()
        configs["%s+fpu=%s" % (col, b)] = r
        if r["info"].get("fpu") != b:
            fpu[col][b] = {"why": "not usable here (kernel chose %s)" % r["info"].get("fpu", "?")}
        else:
            fpu[col][b] = {"switch": r["ops"].get("fpu switch process-process"),
                           "idle": r["ops"].get("fpu user-idle-user")}
    pool.shutdown()
    for col in fpu_cols:
        main = configs.get(col)
        if main and main["info"].get("fpu") in FPU_BACKENDS:
            fpu[col][main["info"]["fpu"]] = {"switch": main["ops"].get("fpu switch process-process"),
                                             "idle": main["ops"].get("fpu user-idle-user")}

    total = time.monotonic() - t0
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "seconds": round(total, 1),
        "main_columns": [n for n, _, _ in sorted(main_cfgs, key=lambda c: c[0] == "bochs-smp1")],
        "fpu_columns": fpu_cols,
        "features": features,
        "fpu": fpu,
        "configs": configs,
    }
    outdir = os.path.join(build, "bench")
    os.makedirs(outdir, exist_ok=True)
    md = "# Switchyard benchmarks, %s%s\n\n" % (results["date"], " (--quick: not measurements)" if args.quick else "")
    md += tables(results)
    md += "\nBoots: %s; total %.0f s.\n" % (
        ", ".join("%s %.0fs" % (n, c["seconds"]) for n, c in configs.items()), total)
    problems = ["%s: %s" % (n, c["problem"]) for n, c in configs.items() if c.get("problem")]
    if problems:
        md += "\nProblems:\n" + "".join("- %s\n" % p for p in problems)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md)
    print()
    print(md)
    print("bench: wrote %s and %s" % (os.path.join(outdir, "results.json"),
                                      os.path.join(outdir, "results.md")))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
