/*
 * multiboot2.h - what the boot loader told us, parsed into plain C.
 *
 * mb2_parse() reads the multiboot2 information structure (Multiboot2 spec,
 * section 3.6) and copies what the kernel needs into a struct boot_info, so
 * nothing later keeps pointers into boot-loader memory.  The parser is pure:
 * it touches only the bytes it is given, and the host unit tests
 * (tests/unit/test_multiboot2.c) run it under AddressSanitizer on valid,
 * truncated and malformed tag lists.
 *
 * Invariant: the parser never reads outside [info, info + avail).  A tag whose
 * size is smaller than its fixed part, runs past the end, or is otherwise
 * malformed is reported (boot_info.problems) and skipped, or ends the walk
 * when its size makes the next tag's position unknowable.
 */
#ifndef KERNEL_MULTIBOOT2_H
#define KERNEL_MULTIBOOT2_H

#include "kernel/types.h"

#define MB2_BOOTLOADER_MAGIC	0x36d76289

/* tag types (Multiboot2 spec 3.6) */
#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_BOOTLOADER	2
#define MB2_TAG_MODULE		3
#define MB2_TAG_BASIC_MEMINFO	4
#define MB2_TAG_BOOTDEV		5
#define MB2_TAG_MMAP		6
#define MB2_TAG_VBE		7
#define MB2_TAG_FRAMEBUFFER	8
#define MB2_TAG_ELF_SECTIONS	9
#define MB2_TAG_APM		10
#define MB2_TAG_EFI32		11
#define MB2_TAG_EFI64		12
#define MB2_TAG_SMBIOS		13
#define MB2_TAG_ACPI_OLD	14
#define MB2_TAG_ACPI_NEW	15
#define MB2_TAG_NETWORK		16
#define MB2_TAG_EFI_MMAP	17
#define MB2_TAG_EFI_BS		18
#define MB2_TAG_EFI32_IH	19
#define MB2_TAG_EFI64_IH	20
#define MB2_TAG_LOAD_BASE_ADDR	21

/* memory map entry types (multiboot2 mmap tag) */
#define MB2_MEM_AVAILABLE	1
#define MB2_MEM_RESERVED	2
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_NVS		4
#define MB2_MEM_BADRAM		5

#define BOOT_CMDLINE_MAX	512
#define BOOT_MMAP_MAX		128
#define BOOT_MODULES_MAX	16
#define BOOT_PROBLEMS_MAX	8
#define MB2_INFO_MAX		(1u << 20)	/* refuse a "total_size" beyond 1 MiB */

struct boot_mem_region {
	u64 addr;
	u64 len;
	u32 type;			/* MB2_MEM_* */
};

struct boot_module {
	u64 start, end;			/* physical, end exclusive */
	char name[64];
};

/* framebuffer types (multiboot2 framebuffer tag) */
#define BOOT_FB_INDEXED	0
#define BOOT_FB_RGB	1
#define BOOT_FB_EGA_TEXT 2

struct boot_fb {
	u64 addr;			/* physical */
	u32 pitch;			/* bytes per row */
	u32 width, height;		/* pixels, or characters for EGA text */
	u8 bpp;
	u8 type;			/* BOOT_FB_* */
	u8 red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info {
	bool valid;			/* the header itself was sane */
	u32 total_size;
	char cmdline[BOOT_CMDLINE_MAX];
	char bootloader[64];

	struct boot_mem_region mmap[BOOT_MMAP_MAX];
	unsigned int nr_mmap;
	bool mmap_from_efi;		/* built from the EFI map (no tag 6) */

	struct boot_module modules[BOOT_MODULES_MAX];
	unsigned int nr_modules;

	bool has_fb;
	struct boot_fb fb;

	u8 rsdp[36];			/* copy of the ACPI RSDP (v1: 20 bytes) */
	u32 rsdp_len;			/* 0 when the loader gave none */

	bool has_efi_mmap;
	unsigned int nr_efi_mmap;
	u64 efi_system_table;		/* 0 unless tag 12 */

	unsigned int nr_tags;
	unsigned int nr_problems;
	char problems[BOOT_PROBLEMS_MAX][96];
};

/*
 * Parse the information structure at @info, of which at most @avail bytes
 * may be read.  Returns 0 when the structure was usable (possibly with
 * skipped tags, see bi->problems) or -1 when it was not (bi->valid false).
 */
int mb2_parse(const void *info, size_t avail, struct boot_info *bi);

#endif
