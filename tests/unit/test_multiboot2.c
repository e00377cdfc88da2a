/*
 * test_multiboot2.c - host tests for kernel/multiboot2.c.
 *
 * Each test builds an information structure in a malloc'd buffer of exactly
 * the size the parser is told it may read, so AddressSanitizer turns any
 * read past the end into a crash (= a failed test).
 */
#include <stdlib.h>
#include <stdint.h>
#include "unit.h"
#include "kernel/multiboot2.h"

struct builder {
	uint8_t buf[8192];
	size_t len;
};

static void b_init(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	b->len = 8;			/* total_size + reserved, patched by b_done */
}

static void b_put(struct builder *b, const void *p, size_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void b_u32(struct builder *b, uint32_t v) { b_put(b, &v, 4); }
static void b_u64(struct builder *b, uint64_t v) { b_put(b, &v, 8); }
static void b_align(struct builder *b) { b->len = (b->len + 7) & ~(size_t)7; }

/* a tag with an arbitrary payload; size field = 8 + n unless forced */
static void b_tag(struct builder *b, uint32_t type, const void *payload, size_t n)
{
	b_u32(b, type);
	b_u32(b, (uint32_t)(8 + n));
	b_put(b, payload, n);
	b_align(b);
}

static void b_end(struct builder *b)
{
	b_u32(b, 0);
	b_u32(b, 8);
}

/* copy into an exact-size heap buffer, patching total_size */
static uint8_t *b_done(struct builder *b, uint32_t total)
{
	uint8_t *p = malloc(b->len);

	memcpy(b->buf, &total, 4);
	memcpy(p, b->buf, b->len);
	return p;
}

static void b_mmap(struct builder *b)
{
	b_u32(b, MB2_TAG_MMAP);
	b_u32(b, 16 + 2 * 24);
	b_u32(b, 24);			/* entry_size */
	b_u32(b, 0);			/* entry_version */
	b_u64(b, 0); b_u64(b, 0x9fc00); b_u32(b, 1); b_u32(b, 0);
	b_u64(b, 0x100000); b_u64(b, 0x7ee0000); b_u32(b, 1); b_u32(b, 0);
}

static struct boot_info bi;

UNIT_TEST(valid_full_structure)
{
	struct builder b;
	uint8_t fb[24] = { 0 };
	uint8_t rsdp[20] = "RSD PTR ";

	b_init(&b);
	b_tag(&b, MB2_TAG_CMDLINE, "switchyard ktest=all", 21);
	b_tag(&b, MB2_TAG_BOOTLOADER, "GRUB 2.06", 10);
	b_mmap(&b);
	/* module: start, end, "initrd" */
	b_u32(&b, MB2_TAG_MODULE); b_u32(&b, 16 + 7);
	b_u32(&b, 0x400000); b_u32(&b, 0x401000); b_put(&b, "initrd", 7); b_align(&b);
	/* framebuffer: addr, pitch, w, h, bpp, type RGB, reserved u16, colour */
	uint64_t addr = 0xfd000000; uint32_t pitch = 4096, w = 1024, h = 768;
	memcpy(fb, &addr, 8); memcpy(fb + 8, &pitch, 4); memcpy(fb + 12, &w, 4);
	memcpy(fb + 16, &h, 4); fb[20] = 32; fb[21] = 1;
	uint8_t colour[6] = { 16, 8, 8, 8, 0, 8 };
	b_u32(&b, MB2_TAG_FRAMEBUFFER); b_u32(&b, 8 + 24 + 6);
	b_put(&b, fb, 24); b_put(&b, colour, 6); b_align(&b);
	b_tag(&b, MB2_TAG_ACPI_OLD, rsdp, 20);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);

	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK(bi.valid);
	CHECK_EQ(bi.nr_problems, 0);
	CHECK_STR(bi.cmdline, "switchyard ktest=all");
	CHECK_STR(bi.bootloader, "GRUB 2.06");
	CHECK_EQ(bi.nr_mmap, 2);
	CHECK_EQ(bi.mmap[1].addr, 0x100000);
	CHECK_EQ(bi.mmap[1].type, MB2_MEM_AVAILABLE);
	CHECK_EQ(bi.nr_modules, 1);
	CHECK_STR(bi.modules[0].name, "initrd");
	CHECK_EQ(bi.modules[0].end, 0x401000);
	CHECK(bi.has_fb);
	CHECK_EQ(bi.fb.addr, 0xfd000000);
	CHECK_EQ(bi.fb.width, 1024);
	CHECK_EQ(bi.fb.bpp, 32);
	CHECK_EQ(bi.fb.type, BOOT_FB_RGB);
	CHECK_EQ(bi.fb.red_pos, 16);
	CHECK_EQ(bi.fb.blue_size, 8);
	CHECK_EQ(bi.rsdp_len, 20);
	CHECK_EQ(bi.nr_tags, 7);
	free(p);
}

UNIT_TEST(null_and_tiny_buffers)
{
	uint8_t small[8] = { 8, 0, 0, 0 };

	CHECK_EQ(mb2_parse(NULL, 100, &bi), -1);
	CHECK(!bi.valid);
	uint8_t *p = malloc(8);
	memcpy(p, small, 8);
	CHECK_EQ(mb2_parse(p, 8, &bi), -1);
	free(p);
}

UNIT_TEST(total_size_beyond_available)
{
	struct builder b;

	b_init(&b);
	b_tag(&b, MB2_TAG_CMDLINE, "x", 2);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len + 64);	/* lies about its size */
	CHECK_EQ(mb2_parse(p, b.len, &bi), -1);
	CHECK(!bi.valid);
	CHECK(bi.nr_problems >= 1);
	free(p);
}

UNIT_TEST(total_size_absurd)
{
	struct builder b;

	b_init(&b);
	b_end(&b);
	uint8_t *p = b_done(&b, 0xfffffff0u);
	CHECK_EQ(mb2_parse(p, 0xfffffff0u, &bi), -1);	/* > MB2_INFO_MAX */
	free(p);
}

UNIT_TEST(truncated_list_without_end_tag)
{
	struct builder b;

	b_init(&b);
	b_tag(&b, MB2_TAG_CMDLINE, "abc", 4);
	b_mmap(&b);
	/* cut in the middle of the memory map tag */
	size_t cut = b.len - 20;
	b.len = cut;
	uint8_t *p = b_done(&b, (uint32_t)cut);
	CHECK_EQ(mb2_parse(p, cut, &bi), 0);
	CHECK(bi.valid);
	CHECK_STR(bi.cmdline, "abc");
	CHECK_EQ(bi.nr_mmap, 0);		/* the cut tag was not followed */
	CHECK(bi.nr_problems >= 1);
	free(p);
}

UNIT_TEST(tag_size_zero_stops_walk)
{
	struct builder b;

	b_init(&b);
	b_u32(&b, MB2_TAG_CMDLINE);
	b_u32(&b, 0);			/* would loop forever if trusted */
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK_EQ(bi.nr_tags, 0);
	CHECK(bi.nr_problems >= 2);		/* bad size + no end tag */
	free(p);
}

UNIT_TEST(tag_size_past_end)
{
	struct builder b;

	b_init(&b);
	b_u32(&b, MB2_TAG_CMDLINE);
	b_u32(&b, 4096);
	b_put(&b, "hello", 6);
	b_align(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK_STR(bi.cmdline, "");
	CHECK(bi.nr_problems >= 1);
	free(p);
}

UNIT_TEST(unterminated_strings)
{
	struct builder b;

	b_init(&b);
	b_tag(&b, MB2_TAG_CMDLINE, "12345678", 8);	/* no NUL inside */
	b_u32(&b, MB2_TAG_MODULE); b_u32(&b, 16 + 8);
	b_u32(&b, 0x1000); b_u32(&b, 0x2000); b_put(&b, "ABCDEFGH", 8);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_EQ(bi.nr_modules, 0);
	CHECK_EQ(bi.nr_problems, 2);
	free(p);
}

UNIT_TEST(long_cmdline_truncated)
{
	struct builder b;
	char line[BOOT_CMDLINE_MAX + 100];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	b_init(&b);
	b_tag(&b, MB2_TAG_CMDLINE, line, sizeof(line));
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	free(p);
}

UNIT_TEST(bad_mmap_entry_size)
{
	struct builder b;

	b_init(&b);
	b_u32(&b, MB2_TAG_MMAP); b_u32(&b, 16 + 24);
	b_u32(&b, 0);			/* entry_size 0: division by zero if trusted */
	b_u32(&b, 0);
	b_u64(&b, 0); b_u64(&b, 0x1000); b_u32(&b, 1); b_u32(&b, 0);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK_EQ(bi.nr_mmap, 0);
	CHECK_EQ(bi.nr_problems, 1);
	free(p);
}

UNIT_TEST(mmap_wrapping_region_dropped)
{
	struct builder b;

	b_init(&b);
	b_u32(&b, MB2_TAG_MMAP); b_u32(&b, 16 + 48);
	b_u32(&b, 24); b_u32(&b, 0);
	b_u64(&b, 0xfffffffffffff000ull); b_u64(&b, 0x2000); b_u32(&b, 1); b_u32(&b, 0);
	b_u64(&b, 0x100000); b_u64(&b, 0x1000); b_u32(&b, 1); b_u32(&b, 0);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK_EQ(bi.nr_mmap, 1);
	CHECK_EQ(bi.mmap[0].addr, 0x100000);
	free(p);
}

UNIT_TEST(short_framebuffer_and_rsdp_tags)
{
	struct builder b;
	uint8_t junk[12] = { 0 };

	b_init(&b);
	b_tag(&b, MB2_TAG_FRAMEBUFFER, junk, 12);
	b_tag(&b, MB2_TAG_ACPI_NEW, junk, 12);
	b_tag(&b, MB2_TAG_EFI64, junk, 4);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK(!bi.has_fb);
	CHECK_EQ(bi.rsdp_len, 0);
	CHECK_EQ(bi.efi_system_table, 0);
	CHECK_EQ(bi.nr_problems, 3);
	free(p);
}

UNIT_TEST(efi_mmap_used_when_no_multiboot_map)
{
	struct builder b;

	b_init(&b);
	b_u32(&b, MB2_TAG_EFI_MMAP); b_u32(&b, 16 + 2 * 48);
	b_u32(&b, 48); b_u32(&b, 1);	/* desc_size 48 (OVMF), version 1 */
	/* type, pad, phys, virt, pages, attr (+8 padding to 48) */
	b_u32(&b, 7); b_u32(&b, 0); b_u64(&b, 0x100000); b_u64(&b, 0);
	b_u64(&b, 16); b_u64(&b, 0); b_u64(&b, 0);
	b_u32(&b, 2); b_u32(&b, 0); b_u64(&b, 0x200000); b_u64(&b, 0);
	b_u64(&b, 1); b_u64(&b, 0); b_u64(&b, 0);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK(bi.has_efi_mmap);
	CHECK(bi.mmap_from_efi);
	CHECK_EQ(bi.nr_mmap, 2);
	CHECK_EQ(bi.mmap[0].len, 16 * 4096);
	CHECK_EQ(bi.mmap[0].type, MB2_MEM_AVAILABLE);
	CHECK_EQ(bi.mmap[1].type, MB2_MEM_RESERVED);	/* loader data */
	free(p);
}

UNIT_TEST(unknown_tags_skipped)
{
	struct builder b;
	uint8_t blob[13] = { 1, 2, 3 };

	b_init(&b);
	b_tag(&b, 0x7777, blob, 13);	/* odd size: padding must be honoured */
	b_tag(&b, MB2_TAG_CMDLINE, "after", 6);
	b_end(&b);
	uint8_t *p = b_done(&b, (uint32_t)b.len);
	CHECK_EQ(mb2_parse(p, b.len, &bi), 0);
	CHECK_STR(bi.cmdline, "after");
	CHECK_EQ(bi.nr_problems, 0);
	free(p);
}

/* Random corruption of a valid structure must never crash the parser. */
UNIT_TEST(random_corruption_survives)
{
	struct builder b;
	unsigned seed = 12345;

	for (int round = 0; round < 3000; round++) {
		b_init(&b);
		b_tag(&b, MB2_TAG_CMDLINE, "switchyard", 11);
		b_mmap(&b);
		b_u32(&b, MB2_TAG_MODULE); b_u32(&b, 16 + 3);
		b_u32(&b, 1); b_u32(&b, 2); b_put(&b, "m1", 3); b_align(&b);
		b_end(&b);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245 + 12345;
			b.buf[8 + (seed >> 8) % (b.len - 8)] = (uint8_t)(seed >> 20);
		}
		size_t len = b.len - (round % 5) * 4;
		uint8_t *p = b_done(&b, (uint32_t)len);
		mb2_parse(p, len, &bi);
		CHECK(bi.nr_mmap <= BOOT_MMAP_MAX);
		free(p);
	}
}

int main(void)
{
	return unit_run_all();
}
