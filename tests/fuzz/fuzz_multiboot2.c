/*
 * fuzz_multiboot2.c - libFuzzer target for mb2_parse() (kernel/multiboot2.c).
 *
 * The input is the information structure itself, as a boot loader hands
 * it over (u32 total_size, u32 reserved, then 8-aligned tags).  Besides
 * "no read outside the buffer" (AddressSanitizer), every result must keep
 * the promises of multiboot2.h: counts within their arrays, strings
 * terminated, and everything the parser copied out actually present in
 * the bytes it was allowed to read, so a value can only have come from
 * inside [info, info + total_size).
 */
#define _GNU_SOURCE			/* memmem */
#include "fuzz.h"
#include "kernel/multiboot2.h"

/* Does [p, p + n) occur in the first @total bytes of the input? */
static int inside(const uint8_t *buf, size_t total, const void *p, size_t n)
{
	return n == 0 || memmem(buf, total, p, n) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;	/* 60 KiB: not on the stack */
	uint8_t *buf = fuzz_copy(data, size);
	int ret = mb2_parse(buf, size, &bi);
	size_t total = bi.total_size;

	FUZZ_ASSERT(ret == 0 || ret == -1);
	FUZZ_ASSERT((ret == 0) == bi.valid);
	if (ret == 0) {
		uint32_t ts;

		memcpy(&ts, buf, 4);
		FUZZ_ASSERT(ts == bi.total_size);
		FUZZ_ASSERT(total >= 16 && total <= size && total <= MB2_INFO_MAX);
		FUZZ_ASSERT(bi.nr_tags <= (total - 8) / 8);
	} else {
		FUZZ_ASSERT(bi.nr_tags == 0 && bi.nr_mmap == 0 && bi.nr_modules == 0);
		total = 0;
	}

	FUZZ_ASSERT(bi.nr_mmap <= BOOT_MMAP_MAX);
	for (unsigned int i = 0; i < bi.nr_mmap; i++) {
		const struct boot_mem_region *r = &bi.mmap[i];

		FUZZ_ASSERT(r->len != 0 && r->addr + r->len > r->addr);
		if (!bi.mmap_from_efi) {
			uint8_t e[20];	/* u64 addr, u64 len, u32 type */

			memcpy(e, &r->addr, 8);
			memcpy(e + 8, &r->len, 8);
			memcpy(e + 16, &r->type, 4);
			FUZZ_ASSERT(inside(buf, total, e, sizeof(e)));
		} else {
			FUZZ_ASSERT(r->type >= MB2_MEM_AVAILABLE && r->type <= MB2_MEM_BADRAM);
			FUZZ_ASSERT(!(r->len & 0xfff));
		}
	}
	FUZZ_ASSERT(!bi.mmap_from_efi || bi.has_efi_mmap);

	FUZZ_ASSERT(bi.nr_modules <= BOOT_MODULES_MAX);
	for (unsigned int i = 0; i < bi.nr_modules; i++) {
		const struct boot_module *m = &bi.modules[i];
		uint32_t se[2] = { (uint32_t)m->start, (uint32_t)m->end };

		FUZZ_ASSERT(m->start <= m->end && m->end <= UINT32_MAX);
		FUZZ_ASSERT_TERMINATED(m->name);
		FUZZ_ASSERT(inside(buf, total, se, sizeof(se)));
		FUZZ_ASSERT(inside(buf, total, m->name, strlen(m->name)));
	}

	FUZZ_ASSERT_TERMINATED(bi.cmdline);
	FUZZ_ASSERT(inside(buf, total, bi.cmdline, strlen(bi.cmdline)));
	FUZZ_ASSERT_TERMINATED(bi.bootloader);
	FUZZ_ASSERT(inside(buf, total, bi.bootloader, strlen(bi.bootloader)));

	FUZZ_ASSERT(bi.rsdp_len == 0 ||
		    (bi.rsdp_len >= 20 && bi.rsdp_len <= sizeof(bi.rsdp)));
	FUZZ_ASSERT(inside(buf, total, bi.rsdp, bi.rsdp_len));

	for (unsigned int i = 0; i < bi.nr_problems && i < BOOT_PROBLEMS_MAX; i++)
		FUZZ_ASSERT_TERMINATED(bi.problems[i]);

	free(buf);
	return 0;
}
