/*
 * boot/header.S - the multiboot2 header GRUB looks for.
 *
 * GRUB scans the first 32 KiB of the file for the magic at an 8-byte boundary
 * (Multiboot2 spec, section 3.1), so linker.ld puts this section first.  The
 * tags ask for a linear framebuffer (optional: GRUB may still hand us VGA text
 * mode under SeaBIOS) and for modules aligned to pages, so the initrd can later
 * be mapped without copying.
 */
#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0		/* 32-bit protected-mode entry */

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* framebuffer tag (type 5), flags bit 0 = optional */
	.balign 8
	.short 5, 1
	.long 20
	.long 1024			/* width  */
	.long 768			/* height */
	.long 32			/* depth  */

	/* module alignment tag (type 6): modules start on page boundaries */
	.balign 8
	.short 6, 0
	.long 8

	/* end tag */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:
