#!/usr/bin/env python3
"""psf2c.py FONT.psf[.gz] OUT.c - turn a Linux console font into C data.

Owns the build-time conversion of a PSF font into the arrays kernel/font.h
declares, so the kernel can draw text without a file system.

Formats (as documented with the Linux kbd package, "psf.txt"):
  PSF1  2-byte magic 36 04, mode byte, charsize byte (= height; width is 8).
        mode bit 0: 512 glyphs instead of 256; bit 1 or 2: a Unicode table
        follows the glyphs, per glyph little-endian u16 code points, FFFE
        starting a combining sequence, FFFF ending the glyph's entries.
  PSF2  32-byte little-endian header: magic 72 b5 4a 86, version 0,
        headersize, flags (bit 0: Unicode table), length (glyph count),
        charsize, height, width.  Rows are padded to whole bytes.  The
        Unicode table is UTF-8, FE starting a sequence, FF ending a glyph.
Either may be gzip-compressed (Debian ships them as .psf.gz).

Output invariants the kernel relies on:
  - glyph g, row r starts at font_data[(g * font_height + r) * font_bytes_per_row];
    the most significant bit of a row's first byte is the leftmost pixel;
  - font_bytes_per_row == (font_width + 7) / 8, font_nr_glyphs >= 1;
  - font_ascii_map[c] < font_nr_glyphs for every c in 0..255: the glyph for
    Unicode code point c (Latin-1), else the glyph for '?'; identity (clamped
    the same way) when the font has no Unicode table.
A malformed or truncated font is an error (exit status 1), never a guess.
"""
import gzip
import os
import struct
import sys
import zlib

PSF1_MAGIC = b"\x36\x04"
PSF1_MODE512 = 0x01
PSF1_MODEHASTAB = 0x02
PSF1_MODESEQ = 0x04
PSF1_SEPARATOR = 0xFFFF
PSF1_STARTSEQ = 0xFFFE

PSF2_MAGIC = b"\x72\xb5\x4a\x86"
PSF2_HEADER = struct.Struct("<4sIIIIIII")
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR = 0xFF
PSF2_STARTSEQ = 0xFE

# The kernel's map entries are unsigned short, and nothing sane is bigger.
MAX_GLYPHS = 65536
MAX_WIDTH = 64
MAX_HEIGHT = 128


class FontError(Exception):
    pass


class Font:
    def __init__(self, width, height, glyphs, unicode):
        self.width = width
        self.height = height
        self.bytes_per_row = (width + 7) // 8
        self.glyphs = glyphs        # list of bytes, one per glyph
        self.unicode = unicode      # None, or per glyph a list of code points


def read_file(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise FontError("cannot read: %s" % e.strerror)
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise FontError("bad gzip data: %s" % e)
    return raw


def split_glyphs(data, offset, count, charsize):
    end = offset + count * charsize
    if len(data) < end:
        raise FontError("truncated: %d glyphs of %d bytes need %d bytes after "
                        "the header, file has %d"
                        % (count, charsize, count * charsize,
                           max(0, len(data) - offset)))
    glyphs = [data[offset + i * charsize:offset + (i + 1) * charsize]
              for i in range(count)]
    return glyphs, end


def parse_psf1(data):
    if len(data) < 4:
        raise FontError("truncated PSF1 header")
    mode, charsize = data[2], data[3]
    if mode & ~(PSF1_MODE512 | PSF1_MODEHASTAB | PSF1_MODESEQ):
        raise FontError("PSF1 mode 0x%02x has unknown bits" % mode)
    if charsize == 0 or charsize > MAX_HEIGHT:
        raise FontError("PSF1 glyph height %d out of range 1..%d"
                        % (charsize, MAX_HEIGHT))
    count = 512 if mode & PSF1_MODE512 else 256
    glyphs, pos = split_glyphs(data, 4, count, charsize)
    unicode = None
    if mode & (PSF1_MODEHASTAB | PSF1_MODESEQ):
        unicode = parse_psf1_table(data, pos, count)
    return Font(8, charsize, glyphs, unicode)


def parse_psf1_table(data, pos, count):
    table = []
    for g in range(count):
        cps, in_seq = [], False
        while True:
            if pos + 2 > len(data):
                raise FontError("Unicode table truncated at glyph %d" % g)
            (v,) = struct.unpack_from("<H", data, pos)
            pos += 2
            if v == PSF1_SEPARATOR:
                break
            if v == PSF1_STARTSEQ:
                in_seq = True   # a combining sequence: not a single code point
            elif not in_seq:
                cps.append(v)
        table.append(cps)
    return table


def parse_psf2(data):
    if len(data) < PSF2_HEADER.size:
        raise FontError("truncated PSF2 header")
    (_, version, headersize, flags, length, charsize, height,
     width) = PSF2_HEADER.unpack_from(data)
    if version != 0:
        raise FontError("PSF2 version %d not supported" % version)
    if flags & ~PSF2_HAS_UNICODE_TABLE:
        raise FontError("PSF2 flags 0x%x have unknown bits" % flags)
    if headersize < PSF2_HEADER.size or headersize > len(data):
        raise FontError("PSF2 header size %d out of range %d..%d"
                        % (headersize, PSF2_HEADER.size, len(data)))
    if not 1 <= length <= MAX_GLYPHS:
        raise FontError("PSF2 glyph count %d out of range 1..%d"
                        % (length, MAX_GLYPHS))
    if not 1 <= width <= MAX_WIDTH or not 1 <= height <= MAX_HEIGHT:
        raise FontError("PSF2 glyph width %d, height %d out of range "
                        "(1..%d, 1..%d)" % (width, height, MAX_WIDTH, MAX_HEIGHT))
    if charsize != height * ((width + 7) // 8):
        raise FontError("PSF2 charsize %d != height %d * %d bytes per row"
                        % (charsize, height, (width + 7) // 8))
    glyphs, pos = split_glyphs(data, headersize, length, charsize)
    unicode = None
    if flags & PSF2_HAS_UNICODE_TABLE:
        unicode = parse_psf2_table(data, pos, length)
    return Font(width, height, glyphs, unicode)


def parse_psf2_table(data, pos, count):
    table = []
    for g in range(count):
        end = data.find(bytes([PSF2_SEPARATOR]), pos)
        if end < 0:
            raise FontError("Unicode table truncated at glyph %d" % g)
        entry = data[pos:end]
        pos = end + 1
        single = entry.split(bytes([PSF2_STARTSEQ]), 1)[0]
        try:
            text = single.decode("utf-8")
        except UnicodeDecodeError:
            raise FontError("Unicode table entry of glyph %d is not UTF-8" % g)
        table.append([ord(ch) for ch in text])
    return table


def parse(data):
    if data[:4] == PSF2_MAGIC:
        return parse_psf2(data)
    if data[:2] == PSF1_MAGIC:
        return parse_psf1(data)
    if len(data) < 4:
        raise FontError("not a PSF font (only %d bytes)" % len(data))
    raise FontError("not a PSF font (magic %s)" % data[:4].hex())


def ascii_map(font):
    """Glyph index for each code point 0..255, as the module docstring says."""
    n = len(font.glyphs)
    if font.unicode is None:
        fallback = ord("?") if ord("?") < n else 0
        return [c if c < n else fallback for c in range(256)]
    first = {}
    for g, cps in enumerate(font.unicode):
        for cp in cps:
            first.setdefault(cp, g)
    fallback = first.get(ord("?"), ord("?") if ord("?") < n else 0)
    return [first.get(c, fallback) for c in range(256)]


def glyph_comment(font, g):
    if font.unicode is None or not font.unicode[g]:
        return "glyph %d" % g
    cp = font.unicode[g][0]
    if 0x20 < cp < 0x7f and chr(cp) not in "*/\\":
        return "glyph %d: U+%04X '%s'" % (g, cp, chr(cp))
    return "glyph %d: U+%04X" % (g, cp)


def emit(font, src, out):
    w = out.write
    w("/*\n * font.c - generated by scripts/psf2c.py from %s; do not edit.\n"
      % os.path.basename(src))
    w(" * %d glyphs of %dx%d pixels, %d byte(s) per row, MSB leftmost;"
      " layout in kernel/font.h.\n */\n" % (len(font.glyphs), font.width,
                                           font.height, font.bytes_per_row))
    w('#include "kernel/font.h"\n\n')
    w("const unsigned int font_width = %d;\n" % font.width)
    w("const unsigned int font_height = %d;\n" % font.height)
    w("const unsigned int font_bytes_per_row = %d;\n" % font.bytes_per_row)
    w("const unsigned int font_nr_glyphs = %d;\n\n" % len(font.glyphs))
    w("const unsigned char font_data[%d] = {\n"
      % (len(font.glyphs) * len(font.glyphs[0])))
    for g, glyph in enumerate(font.glyphs):
        w("\t/* %s */\n" % glyph_comment(font, g))
        for i in range(0, len(glyph), 16):
            w("\t" + " ".join("0x%02x," % b for b in glyph[i:i + 16]) + "\n")
    w("};\n\n")
    w("/* Latin-1 code point -> glyph (%s) */\n"
      % ("from the font's Unicode table" if font.unicode is not None
         else "identity: the font has no Unicode table"))
    w("const unsigned short font_ascii_map[256] = {\n")
    m = ascii_map(font)
    for i in range(0, 256, 8):
        w("\t" + " ".join("%d," % v for v in m[i:i + 8])
          + "\t/* 0x%02x */\n" % i)
    w("};\n")


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: %s FONT.psf[.gz] OUT.c\n" % argv[0])
        return 2
    src, dst = argv[1], argv[2]
    try:
        font = parse(read_file(src))
    except FontError as e:
        sys.stderr.write("psf2c: %s: %s\n" % (src, e))
        return 1
    # Write beside the target and rename, so an interrupted run never leaves
    # a half-written font.c that make would consider up to date.
    tmp = dst + ".tmp"
    try:
        with open(tmp, "w") as out:
            emit(font, src, out)
        os.replace(tmp, dst)
    except OSError as e:
        sys.stderr.write("psf2c: %s: %s\n" % (dst, e.strerror))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
