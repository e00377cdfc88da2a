/*
 * fuzz_elf.c - libFuzzer target for the ELF checker exec trusts
 * (kernel/elf.c).
 *
 * The input is a whole executable file.  Whatever elf_check() accepts
 * must satisfy elf.h's invariants, checked here independently of the
 * parser's own arithmetic: every PT_LOAD segment's file bytes (and the
 * page-aligned window exec really copies) lie inside the file; every
 * page of every segment lies inside [ELF_USER_MIN, ELF_USER_MAX), so
 * nothing can land in the kernel half; segments are sorted and share no
 * page; the entry point is in an executable segment and AT_PHDR points
 * at the program headers' bytes in memory.  The file is also checked the
 * way exec reads it (header first, then the phdr table alone with the
 * file size) and both ways must agree.
 */
#include "fuzz.h"
#include "kernel/elf.h"

#define DYN_BASE	0x555555554000ULL	/* what exec passes */
#define PAGE		ELF_PAGE_SIZE

static void check_accepted(const struct elf_info *info, const uint8_t *file, size_t len)
{
	uint64_t prev_end_page = 0;
	int found_entry = 0;

	FUZZ_ASSERT(info->nr_load >= 1 && info->nr_load <= ELF_MAX_LOAD);
	FUZZ_ASSERT(info->type == ET_EXEC || info->type == ET_DYN);
	FUZZ_ASSERT(info->phnum >= 1 && info->phnum <= ELF_MAX_PHNUM);
	FUZZ_ASSERT(info->phoff <= len && elf_phdrs_size(info) <= len - info->phoff);
	FUZZ_ASSERT(info->type == ET_DYN || info->load_bias == 0);

	for (int i = 0; i < info->nr_load; i++) {
		const struct elf_segment *s = &info->load[i];
		uint64_t first = s->vaddr & ~(PAGE - 1);
		uint64_t end = s->vaddr + s->memsz;
		uint64_t wva, woff, wlen;

		FUZZ_ASSERT(s->memsz > 0 && s->filesz <= s->memsz);
		/* the file bytes are inside the file */
		FUZZ_ASSERT(s->offset <= len && s->filesz <= len - s->offset);
		/* every page is user memory: no wrap, nothing in the kernel half */
		FUZZ_ASSERT(s->vaddr >= ELF_USER_MIN && end > s->vaddr);
		FUZZ_ASSERT(((end + PAGE - 1) & ~(PAGE - 1)) <= ELF_USER_MAX);
		FUZZ_ASSERT(end < 0x0000800000000000ULL);
		/* sorted, and no page shared with the previous segment */
		FUZZ_ASSERT(i == 0 || first >= prev_end_page);
		prev_end_page = (end + PAGE - 1) & ~(PAGE - 1);
		FUZZ_ASSERT(!(s->flags & ~(uint32_t)(PF_R | PF_W | PF_X)));

		/* what exec copies: inside the file and inside the segment's pages */
		elf_segment_file_window(s, &wva, &woff, &wlen);
		FUZZ_ASSERT(woff <= len && wlen <= len - woff);
		FUZZ_ASSERT(wva >= first && wva + wlen <= prev_end_page);
		FUZZ_ASSERT(wva + wlen >= s->vaddr + s->filesz);

		if ((s->flags & PF_X) && info->entry >= s->vaddr && info->entry < end)
			found_entry = 1;
	}
	FUZZ_ASSERT(found_entry);
	FUZZ_ASSERT(info->start == (info->load[0].vaddr & ~(PAGE - 1)));
	FUZZ_ASSERT(info->end > info->start && info->end <= ELF_USER_MAX);
	FUZZ_ASSERT(info->entry == info->e_entry + info->load_bias);

	/* AT_PHDR: the phdr table is loaded there, byte for byte */
	{
		uint64_t ps = elf_phdrs_size(info);
		int found = 0;

		for (int i = 0; i < info->nr_load && !found; i++) {
			uint64_t wva, woff, wlen;

			elf_segment_file_window(&info->load[i], &wva, &woff, &wlen);
			if (info->phdr_addr >= wva && info->phdr_addr - wva <= wlen &&
			    ps <= wlen - (info->phdr_addr - wva) &&
			    woff + (info->phdr_addr - wva) == info->phoff)
				found = 1;
		}
		FUZZ_ASSERT(found);
		(void)file;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elf_info a, b;
	uint8_t *buf = fuzz_copy(data, size);
	const char *why = elf_check(buf, size, DYN_BASE, &a);

	if (!why) {
		check_accepted(&a, buf, size);
	} else {
		FUZZ_ASSERT(why[0] != '\0');
		FUZZ_ASSERT(a.bad_phdr >= -1 && a.bad_phdr < (int)ELF_MAX_PHNUM);
	}

	/* exec's way: the header, then the phdr table in a buffer of its own
	 * (exact size, so ASan sees a read past it), given the file size */
	if (!elf_check_ehdr(buf, size, &b) && b.phoff <= size &&
	    elf_phdrs_size(&b) <= size - b.phoff) {
		uint8_t *ph = fuzz_copy(buf + b.phoff, elf_phdrs_size(&b));
		const char *why2 = elf_check_phdrs(ph, size, DYN_BASE, &b);

		FUZZ_ASSERT(!why == !why2);
		if (!why2) {
			check_accepted(&b, buf, size);
			FUZZ_ASSERT(a.nr_load == b.nr_load && a.entry == b.entry &&
				    a.phdr_addr == b.phdr_addr);
			for (int i = 0; i < a.nr_load; i++)
				FUZZ_ASSERT(a.load[i].vaddr == b.load[i].vaddr &&
					    a.load[i].offset == b.load[i].offset &&
					    a.load[i].filesz == b.load[i].filesz &&
					    a.load[i].memsz == b.load[i].memsz &&
					    a.load[i].flags == b.load[i].flags);
		}
		free(ph);
	}
	free(buf);
	return 0;
}
