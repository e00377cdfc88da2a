#!/bin/sh
# gdb-attach.sh - attach GDB to a Switchyard QEMU started with --gdb.
#
# Why: `./run-qemu.sh --gdb` starts QEMU frozen at the reset vector with its
# GDB stub on a free port, which it writes to build/gdb-port.  This script
# (what `make gdb` runs) starts GDB on the kernel ELF with the sources, loads
# the project settings and helpers from scripts/gdbinit (including a hardware
# breakpoint on kmain), and connects.  Type `continue` to boot to kmain.
# Extra arguments are passed to GDB.  BUILD=dir selects another build tree.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}

if [ ! -f "$build/gdb-port" ]; then
	echo "gdb-attach: no $build/gdb-port: start QEMU first with ./run-qemu.sh --gdb" >&2
	exit 1
fi
port=$(cat "$build/gdb-port")
[ -f "$build/switchyard.elf" ] || { echo "gdb-attach: no $build/switchyard.elf: run make" >&2; exit 1; }

exec gdb -q "$build/switchyard.elf" \
	-ex "directory $PWD" \
	-x scripts/gdbinit \
	-ex "target remote 127.0.0.1:$port" \
	"$@"
