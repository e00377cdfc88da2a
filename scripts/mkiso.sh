#!/bin/sh
# mkiso.sh KERNEL.elf "EXTRA CMDLINE" OUT.iso [INITRD.cpio]
#
# Builds a hybrid BIOS (SeaBIOS, El Torito + MBR) and UEFI (EFI system
# partition image) ISO with grub-mkrescue.  The same kernel file boots both
# ways; GRUB passes "switchyard <EXTRA CMDLINE>" as the kernel command line.
# With INITRD.cpio (scripts/mkinitrd.sh), the ISO carries it as
# /boot/initrd.cpio and GRUB loads it as a multiboot2 module with the
# string "initrd" (module2 /boot/initrd.cpio initrd); without it the ISO
# is exactly what it was before there were user programs.
#
# GRUB's gfxmode asks for a linear framebuffer under both firmwares: UEFI has
# no VGA text mode at all, and without a gfxmode GRUB says "no suitable video
# mode found".  gfxpayload=keep hands GRUB's mode to the kernel.
#
# The gfxpayload set after the multiboot2 line keeps GRUB away from 8-bit
# palettized modes.  The multiboot2 command turns the kernel's framebuffer
# tag (boot/header.S) into gfxpayload="1024x768x32,1024x768,auto", and "auto"
# takes any mode the firmware lists.  Bochs with its rfb display (the only
# headless one in Debian's build) lists only 8-bpp VBE modes, so GRUB picked
# 640x480x8 there; for an indexed mode GRUB 2.06 writes a 256-colour palette
# (768 bytes) into a multiboot2 information buffer that grub_multiboot2_
# get_mbi_size() sized without it, corrupting its heap.  GRUB then failed a
# heap check ("free magic is broken"), recursed printing that message until
# its stack ran into its own data, and triple-faulted before _start.  Direct
# colour only: where none of these modes exists, GRUB falls back to VGA text
# under BIOS (kernel/vgacon.c) and to "auto" under UEFI (GOP is always RGB).
set -eu
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "usage: $0 KERNEL.elf CMDLINE OUT.iso [INITRD.cpio]" >&2; exit 2; }
kernel=$1 cmdline=$2 out=$3 initrd=${4:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-iso.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"		# what goes on the ISO; the log stays outside it
mkdir -p "$root/boot/grub"
cp "$kernel" "$root/boot/switchyard.elf"
module=""
if [ -n "$initrd" ]; then
	cp "$initrd" "$root/boot/initrd.cpio"
	module="module2 /boot/initrd.cpio initrd"
fi
cat > "$root/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
insmod all_video
set gfxmode=1024x768x32,1024x768,auto
set gfxpayload=keep
menuentry "Switchyard" {
	multiboot2 /boot/switchyard.elf switchyard $cmdline
	set gfxpayload=1024x768x32,1024x768x24,1024x768x16
	$module
	boot
}
CFG
mkdir -p "$(dirname "$out")"
# xorriso is chatty: keep its output, show it only on failure.
grub-mkrescue -o "$out.tmp" "$root" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
mv "$out.tmp" "$out"
