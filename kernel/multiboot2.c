/*
 * multiboot2.c - a defensive parser for the multiboot2 information structure.
 *
 * Layout (Multiboot2 spec, 3.6): u32 total_size, u32 reserved, then tags,
 * each starting on an 8-byte boundary with u32 type, u32 size (size covers
 * the tag header, not the padding), ending with a tag of type 0, size 8.
 *
 * The boot loader is trusted to be GRUB, but the parser is not allowed to
 * rely on it: every length is checked against the bytes we may read before
 * anything is dereferenced.  See multiboot2.h for the invariants; the host
 * unit tests feed it broken structures under AddressSanitizer.
 */
#include "kernel/multiboot2.h"
#ifdef HOST_TEST
#include <string.h>
#include <stdio.h>
#define snprintf_ snprintf
#else
#include "kernel/string.h"
#include "kernel/vsnprintf.h"
#define snprintf_ snprintf
#endif

/* EFI memory types (UEFI spec, EFI_MEMORY_TYPE) we care about */
#define EFI_LOADER_CODE		1
#define EFI_LOADER_DATA		2
#define EFI_BOOT_SERVICES_CODE	3
#define EFI_BOOT_SERVICES_DATA	4
#define EFI_CONVENTIONAL_MEMORY	7
#define EFI_UNUSABLE_MEMORY	8
#define EFI_ACPI_RECLAIM_MEMORY	9
#define EFI_ACPI_MEMORY_NVS	10

struct mb2_tag {
	u32 type;
	u32 size;
};

static void problem(struct boot_info *bi, const char *what, u32 type, size_t off)
{
	if (bi->nr_problems < BOOT_PROBLEMS_MAX)
		snprintf_(bi->problems[bi->nr_problems], sizeof(bi->problems[0]),
			  "tag type %u at offset %zu: %s", type, off, what);
	bi->nr_problems++;
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);	/* tags are only 8-aligned; fields may not be */
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

/* Copy a string field of at most @len bytes that must be NUL-terminated. */
static bool copy_string(char *dst, size_t dstsz, const u8 *src, size_t len)
{
	size_t n = 0;

	while (n < len && src[n])
		n++;
	if (n == len)
		return false;	/* no terminator inside the tag */
	if (n >= dstsz)
		n = dstsz - 1;	/* truncate, but keep what fits */
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

static void add_region(struct boot_info *bi, u64 addr, u64 len, u32 type)
{
	if (len == 0 || addr + len < addr)	/* empty or wraps around */
		return;
	if (bi->nr_mmap < BOOT_MMAP_MAX) {
		bi->mmap[bi->nr_mmap].addr = addr;
		bi->mmap[bi->nr_mmap].len = len;
		bi->mmap[bi->nr_mmap].type = type;
		bi->nr_mmap++;
	}
}

static void parse_mmap(struct boot_info *bi, const u8 *t, u32 size, size_t off)
{
	u32 entry_size, n;

	if (size < 16) {
		problem(bi, "memory map tag too short", MB2_TAG_MMAP, off);
		return;
	}
	entry_size = rd32(t + 8);
	if (entry_size < 24 || entry_size % 8) {
		problem(bi, "memory map entry size invalid", MB2_TAG_MMAP, off);
		return;
	}
	n = (size - 16) / entry_size;
	if (n > BOOT_MMAP_MAX)
		problem(bi, "memory map has too many entries; truncated", MB2_TAG_MMAP, off);
	bi->nr_mmap = 0;		/* the multiboot map wins over an EFI one */
	bi->mmap_from_efi = false;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = t + 16 + (size_t)i * entry_size;

		add_region(bi, rd64(e), rd64(e + 8), rd32(e + 16));
	}
}

static u32 efi_type_to_mb2(u32 efi)
{
	switch (efi) {
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return MB2_MEM_AVAILABLE;	/* free after ExitBootServices */
	case EFI_ACPI_RECLAIM_MEMORY:
		return MB2_MEM_ACPI_RECLAIMABLE;
	case EFI_ACPI_MEMORY_NVS:
		return MB2_MEM_NVS;
	case EFI_UNUSABLE_MEMORY:
		return MB2_MEM_BADRAM;
	default:				/* loader data holds this very info */
		return MB2_MEM_RESERVED;
	}
}

static void parse_efi_mmap(struct boot_info *bi, const u8 *t, u32 size, size_t off)
{
	u32 desc_size, n;

	if (size < 16) {
		problem(bi, "EFI memory map tag too short", MB2_TAG_EFI_MMAP, off);
		return;
	}
	desc_size = rd32(t + 8);
	if (desc_size < 40 || desc_size % 8) {	/* EFI_MEMORY_DESCRIPTOR is 40 */
		problem(bi, "EFI descriptor size invalid", MB2_TAG_EFI_MMAP, off);
		return;
	}
	n = (size - 16) / desc_size;
	bi->has_efi_mmap = true;
	bi->nr_efi_mmap = n;
	if (bi->nr_mmap && !bi->mmap_from_efi)
		return;			/* a multiboot map already came */
	bi->nr_mmap = 0;
	bi->mmap_from_efi = true;
	for (u32 i = 0; i < n; i++) {
		const u8 *d = t + 16 + (size_t)i * desc_size;
		u64 pages = rd64(d + 24);

		if (pages > (~0ULL >> 12))
			continue;	/* length would overflow */
		add_region(bi, rd64(d + 8), pages << 12, efi_type_to_mb2(rd32(d)));
	}
}

static void parse_module(struct boot_info *bi, const u8 *t, u32 size, size_t off)
{
	struct boot_module *m;
	u32 start, end;

	if (size < 17) {		/* 16 bytes + at least the NUL */
		problem(bi, "module tag too short", MB2_TAG_MODULE, off);
		return;
	}
	start = rd32(t + 8);
	end = rd32(t + 12);
	if (end < start) {
		problem(bi, "module ends before it starts", MB2_TAG_MODULE, off);
		return;
	}
	if (bi->nr_modules == BOOT_MODULES_MAX) {
		problem(bi, "too many modules; ignored", MB2_TAG_MODULE, off);
		return;
	}
	m = &bi->modules[bi->nr_modules];
	if (!copy_string(m->name, sizeof(m->name), t + 16, size - 16)) {
		problem(bi, "module string not terminated", MB2_TAG_MODULE, off);
		return;
	}
	m->start = start;
	m->end = end;
	bi->nr_modules++;
}

static void parse_fb(struct boot_info *bi, const u8 *t, u32 size, size_t off)
{
	struct boot_fb *fb = &bi->fb;

	if (size < 32) {	/* common part; GRUB has a u16 reserved after type */
		problem(bi, "framebuffer tag too short", MB2_TAG_FRAMEBUFFER, off);
		return;
	}
	fb->addr = rd64(t + 8);
	fb->pitch = rd32(t + 16);
	fb->width = rd32(t + 20);
	fb->height = rd32(t + 24);
	fb->bpp = t[28];
	fb->type = t[29];
	if (fb->type == BOOT_FB_RGB) {
		if (size < 38) {
			problem(bi, "RGB framebuffer tag too short", MB2_TAG_FRAMEBUFFER, off);
			return;
		}
		fb->red_pos = t[32];
		fb->red_size = t[33];
		fb->green_pos = t[34];
		fb->green_size = t[35];
		fb->blue_pos = t[36];
		fb->blue_size = t[37];
	}
	bi->has_fb = true;
}

static void parse_rsdp(struct boot_info *bi, const u8 *t, u32 size, u32 type, size_t off)
{
	u32 len = size - 8;

	if (len < 20) {		/* an ACPI 1.0 RSDP is 20 bytes */
		problem(bi, "RSDP tag too short", type, off);
		return;
	}
	if (bi->rsdp_len && type == MB2_TAG_ACPI_OLD)
		return;		/* prefer the ACPI 2.0+ copy */
	if (len > sizeof(bi->rsdp))
		len = sizeof(bi->rsdp);
	memcpy(bi->rsdp, t + 8, len);
	bi->rsdp_len = len;
}

static void parse_tag(struct boot_info *bi, const u8 *t, u32 type, u32 size, size_t off)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		if (!copy_string(bi->cmdline, sizeof(bi->cmdline), t + 8, size - 8))
			problem(bi, "command line not terminated", type, off);
		break;
	case MB2_TAG_BOOTLOADER:
		if (!copy_string(bi->bootloader, sizeof(bi->bootloader), t + 8, size - 8))
			problem(bi, "boot loader name not terminated", type, off);
		break;
	case MB2_TAG_MODULE:
		parse_module(bi, t, size, off);
		break;
	case MB2_TAG_MMAP:
		parse_mmap(bi, t, size, off);
		break;
	case MB2_TAG_FRAMEBUFFER:
		parse_fb(bi, t, size, off);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		parse_rsdp(bi, t, size, type, off);
		break;
	case MB2_TAG_EFI64:
		if (size >= 16)
			bi->efi_system_table = rd64(t + 8);
		else
			problem(bi, "EFI64 tag too short", type, off);
		break;
	case MB2_TAG_EFI_MMAP:
		parse_efi_mmap(bi, t, size, off);
		break;
	default:
		break;		/* tags we do not use are fine */
	}
}

int mb2_parse(const void *info, size_t avail, struct boot_info *bi)
{
	const u8 *base = info;
	size_t total, off = 8;
	bool saw_end = false;

	memset(bi, 0, sizeof(*bi));
	if (!info || avail < 16) {
		problem(bi, "information structure missing or too small", 0, 0);
		return -1;
	}
	total = rd32(base);
	bi->total_size = total;
	if (total < 16 || total > MB2_INFO_MAX || total > avail) {
		problem(bi, "total_size out of range", 0, 0);
		return -1;
	}
	bi->valid = true;

	while (off + 8 <= total) {
		u32 type = rd32(base + off), size = rd32(base + off + 4);

		if (size < 8 || size > total - off) {
			/* the next tag's place is unknowable: stop walking */
			problem(bi, "tag size invalid; rest of the list skipped", type, off);
			break;
		}
		bi->nr_tags++;
		if (type == MB2_TAG_END) {
			if (size != 8)
				problem(bi, "end tag size is not 8", type, off);
			saw_end = true;
			break;
		}
		parse_tag(bi, base + off, type, size, off);
		off += ALIGN_UP((size_t)size, 8);
	}
	if (!saw_end)
		problem(bi, "no end tag", 0, off);
	return 0;
}
