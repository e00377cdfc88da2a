#!/usr/bin/env python3
"""mkbadelf.py GOOD.elf OUTDIR - malformed executables for execve's checks.

usertests' execve_malformed runs every file in /bin/badelf/ and requires a
clean error (ENOEXEC and friends), never a kernel fault.  Each file is
GOOD.elf (a static x86-64 program) with one thing broken, so everything
else about it is valid and the check that must catch it is the only one
that can:

  truncated        the first 40 bytes: not even a whole ELF header
  wrong-machine    e_machine = EM_AARCH64
  bad-phentsize    e_phentsize = 32 (not sizeof(Elf64_Phdr))
  phdrs-past-eof   e_phoff points beyond the end of the file
  huge-phnum       e_phnum = 65535: the table runs past the file
  filesz-gt-memsz  a PT_LOAD with p_filesz > p_memsz
  offset-past-eof  a PT_LOAD whose file bytes lie beyond the file
  huge-segment     a PT_LOAD with p_memsz = 2^47: past the user half
  kernel-segment   a PT_LOAD at 0xffffffff80000000
  misaligned       a PT_LOAD with p_vaddr and p_offset not congruent
                   modulo the page size
The same files run natively on Linux in `make test`, which must refuse each
of them too (no ELFCLASS32 case: with EM_X86_64 that is Linux's x32 ABI,
which it runs).
"""
import os
import struct
import sys

EHDR = "<16sHHIQQQIHHHHHH"
PHDR = "<IIQQQQQQ"
PT_LOAD = 1


def load(path):
    data = bytearray(open(path, "rb").read())
    e = list(struct.unpack_from(EHDR, data, 0))
    if data[:4] != b"\x7fELF" or data[4] != 2 or e[2] != 62:
        sys.exit("mkbadelf.py: %s is not an x86-64 ELF file" % path)
    return data, e


def phdrs(data, e):
    phoff, phentsize, phnum = e[5], e[9], e[10]
    return [(phoff + i * phentsize, list(struct.unpack_from(PHDR, data, phoff + i * phentsize)))
            for i in range(phnum)]


def first_load(data, e):
    for off, p in phdrs(data, e):
        if p[0] == PT_LOAD:
            return off, p
    sys.exit("mkbadelf.py: no PT_LOAD")


def with_ehdr(data, e, **fields):
    names = ["ident", "type", "machine", "version", "entry", "phoff", "shoff", "flags",
             "ehsize", "phentsize", "phnum", "shentsize", "shnum", "shstrndx"]
    e = list(e)
    for k, v in fields.items():
        e[names.index(k)] = v
    out = bytearray(data)
    struct.pack_into(EHDR, out, 0, *e)
    return out


def with_load(data, e, **fields):
    names = ["type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"]
    off, p = first_load(data, e)
    for k, v in fields.items():
        p[names.index(k)] = v
    out = bytearray(data)
    struct.pack_into(PHDR, out, off, *p)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mkbadelf.py GOOD.elf OUTDIR")
    data, e = load(sys.argv[1])
    _, p = first_load(data, e)
    cases = {
        "truncated": data[:40],
        "wrong-machine": with_ehdr(data, e, machine=183),
        "bad-phentsize": with_ehdr(data, e, phentsize=32),
        "phdrs-past-eof": with_ehdr(data, e, phoff=len(data) + 4096),
        "huge-phnum": with_ehdr(data, e, phnum=65535),
        "filesz-gt-memsz": with_load(data, e, filesz=p[6] + 8192),
        "offset-past-eof": with_load(data, e, offset=(len(data) + 0x10000) & ~0xfff),
        "huge-segment": with_load(data, e, memsz=1 << 47),
        "kernel-segment": with_load(data, e, vaddr=0xffffffff80000000, paddr=0xffffffff80000000),
        "misaligned": with_load(data, e, vaddr=p[3] + 8),
    }
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, blob in cases.items():
        path = os.path.join(sys.argv[2], name)
        with open(path, "wb") as f:
            f.write(blob)
        os.chmod(path, 0o755)


if __name__ == "__main__":
    main()
