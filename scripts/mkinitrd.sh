#!/bin/sh
# mkinitrd.sh OUTDIR TREE [TREE...]
#
# Builds Switchyard's initrd: the directory trees TREE... are copied, in
# order (a later tree's file replaces an earlier one's), into OUTDIR/initrd/,
# which is then archived as OUTDIR/initrd.cpio.  GRUB loads that file as a
# multiboot2 module ("module2 /boot/initrd.cpio initrd", see mkiso.sh) and
# the kernel serves it read-only: /bin/init, /bin/sh, /tests/..., /etc/run.
#
# The archive is a plain `cpio -H newc` (the "new ASCII" format Linux's
# initramfs uses too), made the way the kernel side expects:
#     cd OUTDIR/initrd && find . | cpio -o -H newc
# with the names sorted (the same tree gives the same archive order) and
# every file owned by root.  Directories get mode 755; regular files keep
# their mode.
#
#   sh scripts/mkinitrd.sh build build/user        what the Makefile runs
#   sh scripts/mkinitrd.sh TMP build/initrd EXTRA    run-qemu.sh --run/--add
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OUTDIR TREE [TREE...]" >&2; exit 2; }
out=$1
shift
for tree in "$@"; do
	[ -d "$tree" ] || { echo "mkinitrd.sh: $tree is not a directory" >&2; exit 1; }
done

stage=$out/initrd
mkdir -p "$stage"
for tree in "$@"; do
	# Staging into a tree we read from would delete it first.
	if [ "$(cd "$tree" && pwd -P)" = "$(cd "$stage" && pwd -P)" ]; then
		echo "mkinitrd.sh: $tree is the staging directory $stage itself" >&2
		exit 1
	fi
done
rm -rf "$stage"
mkdir -p "$stage"
for tree in "$@"; do
	# cp -R of "tree/." merges the tree's contents into the stage.
	cp -R "$tree/." "$stage/"
done
find "$stage" -type d -exec chmod 755 {} +

tmp=$out/initrd.cpio.tmp
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R +0:+0 --quiet) > "$tmp"
mv "$tmp" "$out/initrd.cpio"
