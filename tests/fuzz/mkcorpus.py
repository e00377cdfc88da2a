#!/usr/bin/env python3
"""Write the seed corpus tests/fuzz/corpus/<target>/ for tests/fuzz/run.py.

Why: libFuzzer finds deep bugs far sooner from a few valid inputs than from
nothing (a random byte string is never a checksummed ACPI table).  The
seeds are small, valid, and shaped like what QEMU, GRUB, GNU cpio and
musl-gcc really produce; they are generated here rather than copied from a
machine so that anyone can see, and regenerate, what is in them:

    python3 tests/fuzz/mkcorpus.py          # rewrites seed-* files only

Inputs libFuzzer later merges in (run.py --merge) have other names and are
left alone.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


# ------------------------------------------------------------ multiboot2
def tag(t, payload):
    return pad8(struct.pack("<II", t, 8 + len(payload)) + payload)


def mb2(tags):
    body = b"".join(tags) + struct.pack("<II", 0, 8)
    return struct.pack("<II", 8 + len(body), 0) + body


def rsdp(rev, rsdt, xsdt):
    r = bytearray(b"RSD PTR " + b"\0" + b"BOCHS " + bytes([rev]) + struct.pack("<I", rsdt))
    r[8] = -sum(r[:20]) & 0xff
    if rev >= 2:
        r += struct.pack("<IQB3x", 36, xsdt, 0)
        r[32] = -sum(r) & 0xff
    return bytes(r)


def multiboot2_seeds():
    mmap = struct.pack("<II", 24, 0) + b"".join(
        struct.pack("<QQII", a, l, t, 0) for a, l, t in
        [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xf0000, 0x10000, 2),
         (0x100000, 0x7ee0000, 1), (0xfffc0000, 0x40000, 2)])
    fb = struct.pack("<QIIIBBH", 0xfd000000, 4096, 1024, 768, 32, 1, 0) + bytes([16, 8, 8, 8, 0, 8])
    put("multiboot2", "bios", mb2([
        tag(1, b"utest ktest=all\0"),
        tag(2, b"GRUB 2.06-13+deb12u1\0"),
        tag(3, struct.pack("<II", 0x11c000, 0x15a000) + b"/boot/initrd.cpio\0"),
        tag(4, struct.pack("<II", 639, 129920)),
        tag(6, mmap),
        tag(8, fb),
        tag(14, rsdp(0, 0x7fe2000, 0)),
    ]))
    efi = struct.pack("<II", 48, 1) + b"".join(
        struct.pack("<IIQQQQ8x", t, 0, a, 0, pages, 0xf) for t, a, pages in
        [(7, 0, 0xa0), (2, 0x100000, 0x700), (4, 0x800000, 0x100), (9, 0x7f00000, 0x10)])
    put("multiboot2", "efi", mb2([
        tag(1, b"\0"),
        tag(12, struct.pack("<Q", 0x7fb4018)),
        tag(15, rsdp(2, 0x7f77000, 0x7f770e8)),
        tag(17, efi),
        tag(21, struct.pack("<I", 0x200000)),
    ]))


# ------------------------------------------------------------ ACPI
def table(sig, body, rev=1):
    t = bytearray(sig + struct.pack("<IBB", 36 + len(body), rev, 0) + b"BOCHS " +
                  b"BXPCAPIC" + struct.pack("<I", 1) + b"BXPC" + struct.pack("<I", 1) + body)
    t[9] = -sum(t) & 0xff
    return bytes(t)


def acpi_seeds():
    # selector byte: 0 MADT, 1 RSDP, 2 RSDT, 3 XSDT (checksums already right)
    ents = b"".join(struct.pack("<BBBBI", 0, 8, i, i, 1) for i in range(4))
    ents += struct.pack("<BBBBII", 1, 12, 0, 0, 0xfec00000, 0)
    for irq, gsi, fl in [(0, 2, 0), (5, 5, 0xd), (9, 9, 0xd), (10, 10, 0xd), (11, 11, 0xd)]:
        ents += struct.pack("<BBBBIH", 2, 10, 0, irq, gsi, fl)
    ents += struct.pack("<BBBHB", 4, 6, 0xff, 0, 1)
    put("acpi", "madt-qemu", b"\x00" + table(b"APIC", struct.pack("<II", 0xfee00000, 1) + ents))
    x2 = b"".join(struct.pack("<BBHIII", 9, 16, 0, 0x100 + i, 1 if i < 3 else 2, i)
                  for i in range(4))
    x2 += struct.pack("<BBHIB3x", 10, 12, 0, 0xffffffff, 1)
    x2 += struct.pack("<BBHQ", 5, 12, 0, 0xfee00000)
    x2 += struct.pack("<BBBBII", 1, 12, 1, 0, 0xfec01000, 24)
    put("acpi", "madt-x2apic", b"\x00" + table(b"APIC", struct.pack("<II", 0xfee00000, 0) + x2, rev=5))
    put("acpi", "rsdp-v1", b"\x01" + rsdp(0, 0x7fe2000, 0))
    put("acpi", "rsdp-v2", b"\x01" + b"\0" * 16 + rsdp(2, 0x7f77000, 0x7f770e8))
    put("acpi", "rsdt", b"\x02" + table(b"RSDT", struct.pack("<IIII", 0x7fe1000, 0x7fe1100, 0x7fe1200, 0x7fe1300)))
    put("acpi", "xsdt", b"\x03" + table(b"XSDT", struct.pack("<QQQ", 0x7f76000, 0x7f75000, 0x7f74000)))


# ------------------------------------------------------------ cpio
def cpio_rec(name, mode, data=b"", magic=b"070701", check=0, ino=1):
    n = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), check]
    h = magic + b"".join(b"%08x" % f for f in fields) + n
    h += b"\0" * (-len(h) % 4)
    return h + data + b"\0" * (-len(data) % 4)


def cpio_seeds():
    hello = b"#!/bin/sh\necho hello\n"
    a = (cpio_rec(".", 0o40755, ino=1) + cpio_rec("bin", 0o40755, ino=2) +
         cpio_rec("bin/hello", 0o100755, hello, ino=3) +
         cpio_rec("bin/sh", 0o120777, b"hello", ino=4) +
         cpio_rec("TRAILER!!!", 0, ino=0))
    put("cpio", "newc", a + b"\0" * (-len(a) % 512))
    b = (cpio_rec("./etc/../etc//motd", 0o100644, b"welcome\n", b"070702", sum(b"welcome\n")) +
         cpio_rec("TRAILER!!!", 0, magic=b"070702", ino=0))
    put("cpio", "crc", b)


# ------------------------------------------------------------ ELF
def elf(etype, base):
    # the layout of a static musl hello: headers in a read-only segment,
    # then text (R+X), rodata (R), data+bss (RW), PT_GNU_STACK
    segs = [(1, 4, 0, base, 0x190, 0x190, 0x1000),
            (1, 5, 0x1000, base + 0x1000, 0x100, 0x100, 0x1000),
            (1, 4, 0x2000, base + 0x2000, 0x80, 0x80, 0x1000),
            (1, 6, 0x2fc0, base + 0x3fc0, 0x40, 0x7f8, 0x1000),
            (0x6474e551, 6, 0, 0, 0, 0, 0x10)]
    eh = (b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9 +
          struct.pack("<HHIQQQIHHHHHH", etype, 62, 1, base + 0x1010, 64, 0, 0, 64, 56,
                      len(segs), 64, 0, 0))
    ph = b"".join(struct.pack("<IIQQQQQQ", t, f, o, v, v, fs, ms, al) for t, f, o, v, fs, ms, al in segs)
    img = bytearray(eh + ph)
    img += b"\0" * (0x3000 - len(img))
    img[0x1010:0x1014] = b"\x31\xc0\xc3\x90"	# xor eax,eax; ret; nop
    return bytes(img)


def elf_seeds():
    put("elf", "static", elf(2, 0x400000))
    put("elf", "static-pie", elf(3, 0))


# ------------------------------------------------------------ XSAVE header
def xstate_seeds():
    # flags (bit 0: compacted), allowed features, then the 64-byte header
    std = struct.pack("<BQ", 0, 0x207) + struct.pack("<QQ6Q", 0x7, 0, 0, 0, 0, 0, 0, 0)
    put("xstate", "standard", std)
    comp = struct.pack("<BQ", 1, 0x4207) + struct.pack("<QQ6Q", 0x203, (1 << 63) | 0x4207,
                                                        0, 0, 0, 0, 0, 0)
    put("xstate", "compacted", comp)


if __name__ == "__main__":
    multiboot2_seeds()
    acpi_seeds()
    cpio_seeds()
    elf_seeds()
    xstate_seeds()
