#!/bin/bash
# cached-iso.sh BUILD CMDLINE - print the path of a bootable ISO whose GRUB
# entry passes CMDLINE to BUILD/switchyard.elf, building it first if needed.
#
# The one ISO cache of run-qemu.sh, run-bochs.sh and tests/run.py:
# BUILD/iso/<sha1 of CMDLINE>.iso (and .cmdline, the text, for people),
# with BUILD/initrd.cpio as its module when it exists.  An ISO is rebuilt
# when the kernel, the initrd or scripts/mkiso.sh is newer than it, so an
# edited kernel never boots from a stale image.  Run from the top of the
# tree.  Exit status: mkiso.sh's on failure (its messages on stderr).
set -eu	# bash: [ -nt ] is not POSIX sh
build=$1 cmdline=$2
elf=$build/switchyard.elf
initrd=""
[ -f "$build/initrd.cpio" ] && initrd=$build/initrd.cpio
hash=$(printf '%s' "$cmdline" | sha1sum | cut -c1-40)
iso=$build/iso/$hash.iso
if [ ! -f "$iso" ] || [ "$elf" -nt "$iso" ] || [ scripts/mkiso.sh -nt "$iso" ] ||
   { [ -n "$initrd" ] && [ "$initrd" -nt "$iso" ]; }; then
	sh scripts/mkiso.sh "$elf" "$cmdline" "$iso" ${initrd:+"$initrd"} >&2
	printf '%s\n' "$cmdline" > "$build/iso/$hash.cmdline"
fi
printf '%s\n' "$iso"
