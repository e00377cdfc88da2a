#!/usr/bin/env python3
"""screen_test.py - the screen test: does the kernel really draw its console?

usage: python3 tests/screen_test.py --build build [--config bios|uefi|both]
                                    [--logdir build/test-logs] [--iso FILE]

Boots build/switchyard.iso in QEMU with a display device but no window,
waits for "switchyard: boot complete" on the serial port and the prompt
after it, takes a screendump through the QEMU monitor and checks the image:

  boot     the serial log reaches the boot-complete line within BOOT_TIMEOUT
  capture  the monitor's screendump produced an image
  text     enough lit pixels in the top TEXT_ROWS text rows
           and all of them one light grey
  match    every text cell is blank or a glyph of the kernel's own font
           (read back from $(O)/gen/font.c); the screen, top row to prompt,
           equals the last rows of the serial output laid out by fbcon's
           rules (console_rows); the cursor sits right after the prompt
  empty    nothing at all is drawn below the prompt's row.  A fixed region
           such as the bottom quarter does not work: the boot log (feature
           table, memory map) already reaches text row 37 of 48 under UEFI.

One line per check: "ok screen-bios: text drawn (N px)" or "FAIL ...";
exit status 1 when any check failed.  tests/run.py imports run().
Kept in logdir for people: screen-<config>.png and screen-<config>.log
(the serial output).  Standard library only.
"""
import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

QEMU = "qemu-system-x86_64"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
BOOT_LINE = b"switchyard: boot complete"
PROMPT = "switchyard> "
BOOT_TIMEOUT = 60       # seconds; UEFI under TCG takes ~12 s on an idle host
PROMPT_WAIT = 5         # seconds for the prompt after the boot line
SETTLE = 0.5            # the screen is drawn right after the serial port
MONITOR_TIMEOUT = 30
TEXT_ROWS = 10          # the "first text rows" the text check counts in
MIN_TEXT_PIXELS = 2000  # one 40-character line lights about 1000 pixels
GREY_SPREAD = 8         # 5:6:5 pixels round 0xaa to #adaaad
CURSOR_ROWS = 2         # fbcon's underline cursor (kernel/fbcon.c)
VGA_TEXT_SIZE = (720, 400)  # how QEMU renders 80x25 text: 9x16 cells

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[ -/]*[0-~]")


# ------------------------------------------------------------------ images

def read_ppm(path):
    """(width, height, rgb bytes) of a binary PPM (P6, maxval 255)."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m or int(m.group(3)) != 255:
        raise ValueError("not an 8-bit binary PPM")
    w, h = int(m.group(1)), int(m.group(2))
    rgb = data[m.end():m.end() + w * h * 3]
    if len(rgb) != w * h * 3:
        raise ValueError("PPM truncated: %d of %d pixel bytes"
                         % (len(rgb), w * h * 3))
    return w, h, rgb


def write_png(path, w, h, rgb):
    """An 8-bit RGB PNG (RFC 2083): each row prefixed by filter type 0."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    stride = w * 3
    raw = b"".join(b"\0" + rgb[y * stride:(y + 1) * stride] for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def lit_rows(w, h, rgb):
    """Per pixel row, a bytes of 0/1: 1 where the pixel is not black."""
    rows = []
    for y in range(h):
        line = rgb[y * w * 3:(y + 1) * w * 3]
        r, g, b = line[0::3], line[1::3], line[2::3]
        rows.append(bytes(1 if (r[x] | g[x] | b[x]) else 0 for x in range(w)))
    return rows


def text_colours(w, rgb, height):
    """The set of (r, g, b) colours of the lit pixels in the top rows."""
    top = rgb[:height * w * 3]
    return {tuple(top[i:i + 3]) for i in range(0, len(top), 3)
            if top[i] | top[i + 1] | top[i + 2]}


# ------------------------------------------------------------------ font

class Font:
    """The font the kernel was built with, read back from gen/font.c."""

    def __init__(self, path):
        with open(path) as f:
            src = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        num = {}
        for name in ("width", "height", "bytes_per_row", "nr_glyphs"):
            m = re.search(r"font_%s\s*=\s*(\d+);" % name, src)
            if not m:
                raise ValueError("%s: no font_%s" % (path, name))
            num[name] = int(m.group(1))
        self.width, self.height = num["width"], num["height"]
        bpr = num["bytes_per_row"]
        data = [int(v, 16) for v in re.findall(
            r"0x[0-9a-fA-F]+", self._array(src, "font_data", path))]
        amap = [int(v) for v in re.findall(
            r"\d+", self._array(src, "font_ascii_map", path))]
        if len(data) != num["nr_glyphs"] * self.height * bpr or len(amap) != 256:
            raise ValueError("%s: array sizes do not match the header" % path)
        # glyph bitmap (one int per pixel row, leftmost pixel = highest bit)
        # -> character; the first code point wins, so '?' stays '?'
        self.chars = {}
        for cp in list(range(0x20, 0x7f)) + list(range(0xa0, 0x100)):
            g = amap[cp]
            rows = []
            for r in range(self.height):
                off = (g * self.height + r) * bpr
                v = int.from_bytes(bytes(data[off:off + bpr]), "big")
                rows.append(v >> (bpr * 8 - self.width))
            self.chars.setdefault(tuple(rows), chr(cp))

    @staticmethod
    def _array(src, name, path):
        m = re.search(r"%s\s*\[\d*\]\s*=\s*\{(.*?)\}" % name, src, re.S)
        if not m:
            raise ValueError("%s: no %s" % (path, name))
        return m.group(1)


def cell_width(font, w, h):
    return 9 if (w, h) == VGA_TEXT_SIZE else font.width


def read_screen(font, w, h, rows):
    """Decode the screen into text.

    Returns (lines, cursor, bad): lines[row] is the row's text, cursor the
    (col, row) of an underline cursor or None, bad the number of cells that
    are neither blank nor a glyph of the font.
    """
    cell_w = cell_width(font, w, h)
    cols, nrows = w // cell_w, h // font.height
    cursor_mask = (1 << font.width) - 1
    blank = (0,) * font.height
    lines, cursor, bad = [], None, 0
    for row in range(nrows):
        text = []
        for col in range(cols):
            x0 = col * cell_w
            cell = []
            for y in range(row * font.height, (row + 1) * font.height):
                v = 0
                for bit in rows[y][x0:x0 + font.width]:
                    v = v << 1 | bit
                cell.append(v)
            cell = tuple(cell)
            ch = " " if cell == blank else font.chars.get(cell)
            if ch is None:
                under = cell[:-CURSOR_ROWS] + tuple(
                    v ^ cursor_mask for v in cell[-CURSOR_ROWS:])
                ch = " " if under == blank else font.chars.get(under)
                if ch is not None and cursor is None:
                    cursor = (col, row)
            if ch is None:
                ch, bad = "\ufffd", bad + 1
            text.append(ch)
        lines.append("".join(text).rstrip())
    return lines, cursor, bad


def console_rows(raw, cols):
    """Every row a console `cols` wide shows for the serial output `raw`,
    drawn by the rules of kernel/fbcon.c: escape sequences skipped, '\n'
    and '\r' to column 0, tab stops every 8 columns, '\b' one column left,
    lazy wrap at the right edge, other control characters ignored, C1
    controls and code points beyond Latin-1 as '?'."""
    text = ANSI.sub("", raw.decode("utf-8", "replace"))
    rows, cx = [[]], 0
    for c in text:
        if c == "\n":
            rows.append([])
            cx = 0
        elif c == "\r":
            cx = 0
        elif c == "\t":
            if cx >= cols:
                rows.append([])
                cx = 0
            cx = min((cx // 8 + 1) * 8, cols)
        elif c == "\b":
            cx = max(cx - 1, 0)
        elif ord(c) >= 0x20 and c != "\x7f":
            if cx >= cols:
                rows.append([])
                cx = 0
            row = rows[-1]
            row.extend(" " * (cx + 1 - len(row)))
            row[cx] = c if 0x20 <= ord(c) < 0x7f or 0xa0 <= ord(c) < 256 else "?"
            cx += 1
    return ["".join(r).rstrip() for r in rows]


def wildcard(text):
    """A regex for a screen row: cells that did not decode match anything."""
    return ".".join(re.escape(p) for p in text.split("\ufffd"))


def is_prompt(text):
    return re.fullmatch(wildcard(text), PROMPT.rstrip()) is not None


def match_text(lines, cols, cursor, bad, serial, text_mode):
    """(passed, message) for the 'match' check.

    The screen, from its top row down to its last non-blank row, must be
    exactly the last rows of the serial output laid out as a console of the
    same width: no row lost, repeated, garbled or out of place.
    """
    used = [i for i, t in enumerate(lines) if t]
    if bad and not text_mode:
        return False, "%d cells are not glyphs of the kernel font" % bad
    if not used:
        return False, "no text on the screen"
    last = used[-1]
    block = lines[:last + 1]
    expect = console_rows(serial, cols)
    if len(expect) < len(block):
        return False, "the screen has more rows than the serial log"
    expect = expect[-len(block):]
    # In VGA text mode the adapter draws with its own ROM font, whose wider
    # glyphs (m, w, 0, ...) differ from the kernel's: they match anything.
    for i, (got, want) in enumerate(zip(block, expect)):
        if not re.fullmatch(wildcard(got), want):
            return False, ("screen row %d is %r, the serial log says %r"
                           % (i, got[:50], want[:50]))
    if not is_prompt(lines[last]):
        return False, "last row %d is %r, not the prompt" % (last, lines[last][:60])
    want = (len(PROMPT), last)
    if cursor != want and not text_mode:     # the VGA cursor blinks
        return False, "cursor at %s, expected %s" % (cursor, want)
    return True, ("screen text matches serial log (%d rows, prompt on row %d, "
                  "cursor at column %d%s)" % (len(block), last, want[0],
                  ", %d cells in the ROM font" % bad if bad else ""))


# ------------------------------------------------------------------ QEMU

def qemu_command(config, iso, serial_log, sock, vars_copy):
    cmd = [QEMU, "-cpu", "max", "-m", "256M", "-display", "none",
           "-vga", "std", "-serial", "file:" + serial_log,
           "-monitor", "unix:%s,server,nowait" % sock, "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if config == "uefi":
        cmd += ["-machine", "q35",
                "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                "-drive", "if=pflash,format=raw,file=" + vars_copy]
    return cmd + ["-cdrom", iso]


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def tail(raw, n=5):
    lines = ANSI.sub("", raw.decode("utf-8", "replace")).splitlines()
    return " | ".join(l.strip() for l in lines[-n:] if l.strip())


def wait_for_boot(proc, serial_log):
    """None once booted, else a reason."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while BOOT_LINE not in read_file(serial_log):
        if proc.poll() is not None:
            return ("QEMU exited (status %d) before boot complete; serial: %s"
                    % (proc.returncode, tail(read_file(serial_log))))
        if time.monotonic() > deadline:
            return ("no %r within %d s; serial: %s"
                    % (BOOT_LINE.decode(), BOOT_TIMEOUT,
                       tail(read_file(serial_log))))
        time.sleep(0.2)
    deadline = time.monotonic() + PROMPT_WAIT
    while time.monotonic() < deadline:
        after = read_file(serial_log).split(BOOT_LINE, 1)[1]
        if PROMPT.encode() in after:
            break
        time.sleep(0.1)
    time.sleep(SETTLE)
    return None


class Monitor:
    """The QEMU human monitor over a Unix socket.  It echoes input with
    line-editing escapes; a reply ends with the next "(qemu) " prompt."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(MONITOR_TIMEOUT)
        self.sock.connect(path)
        self._read_reply()

    def _read_reply(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            data = self.sock.recv(4096)
            if not data:
                break
            buf += data
        # first line: the echoed command; last: the next prompt
        lines = ANSI.sub("", buf.decode("utf-8", "replace")).split("\n")
        return "\n".join(lines[1:-1]).replace("\r", "").strip()

    def command(self, cmd):
        self.sock.sendall(cmd.encode() + b"\n")
        return self._read_reply()

    def close(self):
        self.sock.close()


def capture(sock, ppm, png):
    """Screendump as PPM (to analyse) and PNG (to keep).  Returns the reply
    of the PNG screendump, empty when QEMU wrote it itself."""
    mon = Monitor(sock)
    try:
        reply = mon.command("screendump %s" % ppm)
        if reply:
            raise RuntimeError("screendump: " + reply)
        # HMP syntax is "screendump FILE [-f FORMAT]": the option follows
        # the file name, because HMP parses arguments in declaration order
        png_reply = mon.command("screendump %s -f png" % png)
        mon.command("quit")
    finally:
        mon.close()
    return png_reply


def boot_and_capture(config, iso, work, logdir):
    """Boot, screendump, quit.  Returns (error, (w, h, rgb), serial bytes)."""
    serial_log = os.path.join(work, "serial.log")
    sock = os.path.join(work, "monitor.sock")
    ppm, png = os.path.join(work, "screen.ppm"), os.path.join(work, "screen.png")
    vars_copy = os.path.join(work, "OVMF_VARS.fd")
    if config == "uefi":
        shutil.copyfile(OVMF_VARS, vars_copy)   # the firmware writes to it
    with open(os.path.join(work, "qemu.err"), "wb") as err:
        proc = subprocess.Popen(qemu_command(config, iso, serial_log, sock,
                                             vars_copy),
                                stdin=subprocess.DEVNULL,
                                stdout=err, stderr=err)
    try:
        why = wait_for_boot(proc, serial_log)
        image = None
        if why is None:
            try:
                png_reply = capture(sock, ppm, png)
                image = read_ppm(ppm)
                kept = os.path.join(logdir, "screen-%s.png" % config)
                if not png_reply and os.path.isfile(png) \
                        and os.path.getsize(png) > 0:
                    shutil.copyfile(png, kept)
                else:       # a QEMU built without libpng: encode it here
                    write_png(kept, *image)
            except (OSError, ValueError, RuntimeError) as e:
                why = "screendump failed: %s" % e
        if why is None:
            proc.wait(timeout=15)       # "quit" was sent
    except subprocess.TimeoutExpired:
        why = "QEMU did not quit"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        serial = read_file(serial_log)
        with open(os.path.join(logdir, "screen-%s.log" % config), "wb") as f:
            f.write(serial)
    if why is None and proc.returncode != 0:
        why = "QEMU exited with status %d: %s" % (
            proc.returncode, tail(read_file(os.path.join(work, "qemu.err"))))
    return why, image, serial


# ------------------------------------------------------------------ checks

def check_image(font, image, serial):
    """[(passed, message)] for the text, match and empty checks."""
    w, h, rgb = image
    rows = lit_rows(w, h, rgb)
    text_mode = (w, h) == VGA_TEXT_SIZE
    top = min(TEXT_ROWS * font.height, h)
    lit = sum(sum(r) for r in rows[:top])
    colours = text_colours(w, rgb, top)
    grey = "/".join("#%02x%02x%02x" % c for c in sorted(colours)[:4])
    if lit < MIN_TEXT_PIXELS:
        results = [(False, "only %d lit pixels in the top %d text rows "
                    "(want >= %d)" % (lit, TEXT_ROWS, MIN_TEXT_PIXELS))]
    elif not (len(colours) == 1 and
              all(max(c) - min(c) <= GREY_SPREAD for c in colours)):
        results = [(False, "text colour %s is not one light grey" % grey)]
    else:
        results = [(True, "text drawn (%d px in the top %d text rows, %s%s)"
                    % (lit, TEXT_ROWS, grey,
                       ", VGA text mode" if text_mode else ""))]

    lines, cursor, bad = read_screen(font, w, h, rows)
    results.append(match_text(lines, w // cell_width(font, w, h), cursor, bad,
                              serial, text_mode))

    prompts = [i for i, t in enumerate(lines) if is_prompt(t)]
    first = (prompts[-1] + 1 if prompts else 0) * font.height
    stray = sum(sum(r) for r in rows[first:])
    if not prompts:
        results.append((False, "no prompt on the screen to measure the empty "
                        "region from"))
    elif first >= h:
        results.append((False, "screen full (scrolled): no empty region left "
                        "to check; the boot is too chatty at loglevel %d"
                        % SCREEN_LOGLEVEL))
    elif stray:
        results.append((False, "%d lit pixels below the prompt (pixel rows %d..%d)"
                        % (stray, first, h - 1)))
    else:
        results.append((True, "nothing drawn below the prompt (pixel rows "
                        "%d..%d, %d%% of the screen)"
                        % (first, h - 1, 100 * (h - first) // h)))
    return results


def run_one(build, config, logdir, iso):
    name = "screen-%s" % config
    if not shutil.which(QEMU):
        return [(name, False, "%s not found" % QEMU)]
    if not os.path.isfile(iso):
        return [(name, False, "no ISO at %s (run make)" % iso)]
    if config == "uefi" and not (os.path.isfile(OVMF_CODE)
                                 and os.path.isfile(OVMF_VARS)):
        return [(name, False, "OVMF firmware not found (%s)" % OVMF_CODE)]
    try:
        font = Font(os.path.join(build, "gen", "font.c"))
    except (OSError, ValueError) as e:
        return [(name, False, "cannot read the kernel font: %s" % e)]

    start = time.monotonic()
    work = tempfile.mkdtemp(prefix="switchyard-screen-")
    try:
        why, image, serial = boot_and_capture(config, iso, work, logdir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if why:
        return [(name, False, why)]
    w, h, _ = image
    results = [(name, True, "booted and captured %dx%d in %.1f s, kept as %s"
                % (w, h, time.monotonic() - start,
                   os.path.join(logdir, "%s.png" % name)))]
    return results + [(name, ok, msg) for ok, msg in check_image(font, image, serial)]


# The screen test boots with a console loglevel that shows the banner and
# notices but not the info-level boot log, so a short, known amount of text
# is drawn and most of the screen must stay empty.
SCREEN_LOGLEVEL = 6


def screen_iso(build):
    """An ISO booting with loglevel=SCREEN_LOGLEVEL, rebuilt when the ELF changes."""
    elf = os.path.join(build, "switchyard.elf")
    iso = os.path.join(build, "iso", "screen-loglevel%d.iso" % SCREEN_LOGLEVEL)
    if not os.path.isfile(iso) or os.path.getmtime(iso) < os.path.getmtime(elf):
        os.makedirs(os.path.dirname(iso), exist_ok=True)
        subprocess.run(["sh", os.path.join(os.path.dirname(__file__), "..",
                                           "scripts", "mkiso.sh"),
                        elf, "loglevel=%d" % SCREEN_LOGLEVEL, iso], check=True)
    return iso


def run(build, config="both", logdir=None, iso=None):
    """Run the screen test; returns a list of (name, passed, message)."""
    logdir = logdir or os.path.join(build, "test-logs")
    iso = iso or screen_iso(build)
    os.makedirs(logdir, exist_ok=True)
    configs = ["bios", "uefi"] if config == "both" else [config]
    results = []
    for c in configs:
        results += run_one(build, c, logdir, iso)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--config", choices=("bios", "uefi", "both"), default="both")
    ap.add_argument("--logdir")
    ap.add_argument("--iso", help="boot this ISO instead of BUILD/switchyard.iso")
    args = ap.parse_args()
    results = run(args.build, args.config, args.logdir, args.iso)
    for name, passed, msg in results:
        print("%s %s: %s" % ("ok" if passed else "FAIL", name, msg))
    return 0 if all(p for _, p, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
