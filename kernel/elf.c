/*
 * elf.c - the ELF64 checker exec trusts (see elf.h for what is accepted).
 *
 * Owns nothing but the rules.  Every number in a file is hostile until
 * checked: offsets and sizes are compared by subtraction against a bound
 * already known to be in range (never "a + b > limit", which wraps), and
 * every header is memcpy'd out of the buffer before use, because the
 * buffer need not be aligned and UBSan rightly objects to misaligned
 * loads.  The order of the checks is chosen so the reason printed is the
 * one a user can act on: a dynamically linked program is told so even if
 * it would also fail a later check.
 */
#include "kernel/elf.h"
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/string.h"
#endif

static bool is_power_of_2(u64 x)
{
	return x && !(x & (x - 1));
}

static void read_phdr(const void *phdrs, int i, struct elf64_phdr *ph)
{
	memcpy(ph, (const u8 *)phdrs + (size_t)i * sizeof(*ph), sizeof(*ph));
}

static const char *fail(struct elf_info *info, int phdr, const char *why)
{
	info->bad_phdr = phdr;
	return why;
}

const char *elf_check_ehdr(const void *buf, size_t len, struct elf_info *info)
{
	struct elf64_hdr eh;

	memset(info, 0, sizeof(*info));
	info->bad_phdr = -1;
	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG))
		return "not an ELF file (bad magic number)";
	if (len < sizeof(eh))
		return "truncated ELF header";
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return "not a 64-bit ELF file (EI_CLASS)";
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return "not a little-endian ELF file (EI_DATA)";
	if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return "unknown ELF version";
	if (eh.e_machine != EM_X86_64)
		return "not an x86-64 program (e_machine)";
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return "not an executable (e_type is neither ET_EXEC nor ET_DYN)";
	if (eh.e_phentsize != sizeof(struct elf64_phdr))
		return "bad program header size (e_phentsize is not 56)";
	if (eh.e_phnum == 0)
		return "no program headers";
	/* also refuses PN_XNUM (0xffff, "the count is in section 0") */
	if (eh.e_phnum > ELF_MAX_PHNUM)
		return "too many program headers (more than 64)";
	info->type = eh.e_type;
	info->phnum = eh.e_phnum;
	info->phoff = eh.e_phoff;
	info->e_entry = eh.e_entry;
	return NULL;
}

/*
 * Where a static-pie (ET_DYN) goes: Linux's rule without randomisation.
 * The lowest segment lands at dyn_base rounded down to the largest
 * segment alignment, so a segment that asked for 2 MiB alignment gets it.
 */
static u64 dyn_load_bias(const void *phdrs, const struct elf_info *info, u64 dyn_base)
{
	u64 min_vaddr = ~0ULL, align = ELF_PAGE_SIZE;
	struct elf64_phdr ph;

	for (int i = 0; i < info->phnum; i++) {
		read_phdr(phdrs, i, &ph);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		min_vaddr = MIN(min_vaddr, ph.p_vaddr);
		if (is_power_of_2(ph.p_align))
			align = MAX(align, ph.p_align);
	}
	if (min_vaddr == ~0ULL)
		return 0;		/* no segments: refused later */
	/* unsigned wrap-around is intended: a file linked above dyn_base gets
	 * a "negative" bias; the range check catches nonsense either way */
	return ALIGN_DOWN(dyn_base, align) - ALIGN_DOWN(min_vaddr, ELF_PAGE_SIZE);
}

static const char *add_load(struct elf_info *info, const struct elf64_phdr *ph,
			    u64 file_size)
{
	u64 vaddr, end, first_page, end_page;
	int i;

	if (ph->p_filesz > ph->p_memsz)
		return "segment's file size exceeds its memory size (p_filesz > p_memsz)";
	if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
		return "segment's data lies outside the file";
	if (ph->p_align > 1) {
		if (!is_power_of_2(ph->p_align))
			return "segment alignment (p_align) is not a power of two";
		if ((ph->p_vaddr - ph->p_offset) & (ph->p_align - 1))
			return "segment address and file offset disagree modulo p_align";
	}
	if (!ph->p_memsz)
		return NULL;		/* maps nothing; Linux skips it too */
	if (info->nr_load == ELF_MAX_LOAD)
		return "too many PT_LOAD segments (more than 16)";

	vaddr = ph->p_vaddr + info->load_bias;
	if (vaddr < ELF_USER_MIN || vaddr >= ELF_USER_MAX ||
	    ph->p_memsz > ELF_USER_MAX - vaddr)
		return "segment outside the user address range";
	end = vaddr + ph->p_memsz;
	/* both limits are page-aligned, so rounding stays inside them */
	first_page = ALIGN_DOWN(vaddr, ELF_PAGE_SIZE);
	end_page = ALIGN_UP(end, ELF_PAGE_SIZE);

	/* Page granularity: each segment becomes its own VMA with its own
	 * protection, so two segments may not even share a page.  (GNU ld
	 * and lld never make them share one; mmap-based loaders cope by
	 * letting the later mapping win, which silently changes the earlier
	 * segment's protection.) */
	for (i = 0; i < info->nr_load; i++) {
		const struct elf_segment *s = &info->load[i];

		if (first_page < ALIGN_UP(s->vaddr + s->memsz, ELF_PAGE_SIZE) &&
		    ALIGN_DOWN(s->vaddr, ELF_PAGE_SIZE) < end_page)
			return "PT_LOAD segments overlap (or share a page)";
	}

	/* insert, keeping load[] sorted by address */
	for (i = info->nr_load; i > 0 && info->load[i - 1].vaddr > vaddr; i--)
		info->load[i] = info->load[i - 1];
	info->load[i] = (struct elf_segment){
		.vaddr = vaddr,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz,
		.memsz = ph->p_memsz,
		.flags = ph->p_flags & (PF_R | PF_W | PF_X),
	};
	info->nr_load++;
	return NULL;
}

const char *elf_check_phdrs(const void *phdrs, u64 file_size, u64 dyn_base,
			    struct elf_info *info)
{
	u64 phsize = elf_phdrs_size(info);
	struct elf64_phdr ph;
	const char *why;
	int i;

	info->bad_phdr = -1;
	info->nr_load = 0;
	if (info->phnum == 0 || info->phnum > ELF_MAX_PHNUM)
		return "bad program header count";	/* elf_check_ehdr was skipped */
	if (info->phoff > file_size || phsize > file_size - info->phoff)
		return "program headers lie outside the file";

	/* first, the refusal a user most needs to read */
	for (i = 0; i < info->phnum; i++) {
		read_phdr(phdrs, i, &ph);
		if (ph.p_type == PT_INTERP)
			return fail(info, i, "dynamically linked programs are not supported (PT_INTERP)");
	}

	info->load_bias = info->type == ET_DYN ? dyn_load_bias(phdrs, info, dyn_base) : 0;
	for (i = 0; i < info->phnum; i++) {
		read_phdr(phdrs, i, &ph);
		switch (ph.p_type) {
		case PT_LOAD:
			why = add_load(info, &ph, file_size);
			if (why)
				return fail(info, i, why);
			break;
		case PT_GNU_STACK:
			info->has_gnu_stack = true;
			info->stack_flags = ph.p_flags;
			/* without PT_GNU_STACK the x86-64 default is a
			 * non-executable stack (Linux: only 32-bit programs
			 * get READ_IMPLIES_EXEC) */
			info->stack_exec = ph.p_flags & PF_X;
			break;
		default:
			break;		/* PT_PHDR, PT_TLS, PT_NOTE ...: the program's */
		}
	}
	if (info->nr_load == 0)
		return "no loadable (PT_LOAD) segments";

	info->entry = info->e_entry + info->load_bias;
	for (i = 0; i < info->nr_load; i++) {
		const struct elf_segment *s = &info->load[i];

		if ((s->flags & PF_X) && info->entry >= s->vaddr &&
		    info->entry - s->vaddr < s->memsz)
			break;
	}
	if (i == info->nr_load)
		return "entry point is not inside an executable segment";

	/* AT_PHDR: where the file's phdr table is in memory.  Computed from
	 * e_phoff and the segment whose file bytes cover it (for a sane
	 * file that is what PT_PHDR says too). */
	for (i = 0; i < info->nr_load; i++) {
		u64 va, off, len;

		elf_segment_file_window(&info->load[i], &va, &off, &len);
		if (info->phoff >= off && info->phoff - off <= len &&
		    phsize <= len - (info->phoff - off)) {
			info->phdr_addr = va + (info->phoff - off);
			break;
		}
	}
	if (i == info->nr_load)
		return "program headers are not inside a loaded segment (no AT_PHDR)";

	info->start = ALIGN_DOWN(info->load[0].vaddr, ELF_PAGE_SIZE);
	info->end = 0;
	for (i = 0; i < info->nr_load; i++)
		info->end = MAX(info->end, info->load[i].vaddr + info->load[i].memsz);
	return NULL;
}

const char *elf_check(const void *image, size_t len, u64 dyn_base,
		      struct elf_info *info)
{
	const char *why = elf_check_ehdr(image, len, info);
	u64 phsize;

	if (why)
		return why;
	phsize = elf_phdrs_size(info);
	if (info->phoff > len || phsize > len - info->phoff)
		return "program headers lie outside the file";
	return elf_check_phdrs((const u8 *)image + info->phoff, len, dyn_base, info);
}
