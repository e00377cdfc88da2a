/*
 * elf.h - check an ELF64 executable and describe what exec must load.
 *
 * The format is the System V ABI's (gABI "Object Files", and the x86-64
 * psABI); the names are Linux's (include/uapi/linux/elf.h).  A program is
 * an ELF header, a table of program headers ("phdrs"), and the bytes the
 * PT_LOAD headers point at; sections do not matter to a loader.
 *
 * The checker is pure: it reads only the bytes it is given and never
 * allocates, so the host tests (tests/unit/test_elf.c) feed it truncated
 * and hostile files under AddressSanitizer.  It works in two steps because
 * exec reads a file in pieces:
 *
 *   elf_check_ehdr(buf, len, info)      the ELF header (first 64 bytes)
 *   elf_check_phdrs(phdrs, file_size, dyn_base, info)
 *                                       the phdr table, info->phnum entries
 *                                       read from info->phoff
 *   elf_check(image, len, dyn_base, info)   both, on a whole file in memory
 *
 * Each returns NULL when the file is acceptable, or a short reason (a
 * string constant) that exec prints as "exec: /path: <reason>";
 * info->bad_phdr then names the program header at fault, or is -1.
 *
 * What is accepted (anything else is refused; docs/exec.md has the list):
 *   - ELF64, little-endian, version 1, EM_X86_64, ET_EXEC or ET_DYN (a
 *     static-pie: loaded at a bias that puts it near dyn_base);
 *   - e_phentsize == 56, 1..ELF_MAX_PHNUM program headers inside the file;
 *   - no PT_INTERP (no dynamic linker here);
 *   - 1..ELF_MAX_LOAD non-empty PT_LOAD segments with p_filesz <= p_memsz,
 *     file bytes inside the file, p_align 0, 1 or a power of two with
 *     p_vaddr = p_offset (mod p_align), every page of the segment inside
 *     [ELF_USER_MIN, ELF_USER_MAX), and no page shared by two segments
 *     (each segment becomes a VMA of its own with its own protection);
 *   - the entry point inside an executable (PF_X) segment;
 *   - the program headers themselves inside a loaded segment, because
 *     AT_PHDR must point at them (static musl finds PT_TLS that way).
 *
 * Invariants of a successful result: info->load[] is sorted by address,
 * its page ranges are disjoint and inside the user range, every address
 * in it has the load bias added, and info->entry / info->phdr_addr lie
 * inside it.
 */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include "kernel/types.h"

/* e_ident[] (gABI "ELF Identification") */
#define EI_NIDENT	16
#define EI_MAG0		0		/* 0x7f 'E' 'L' 'F' */
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6
#define ELFMAG		"\177ELF"
#define SELFMAG		4
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1

#define ET_EXEC		2
#define ET_DYN		3
#define EM_X86_64	62

/* p_type */
#define PT_NULL		0
#define PT_LOAD		1
#define PT_DYNAMIC	2
#define PT_INTERP	3
#define PT_NOTE		4
#define PT_PHDR		6
#define PT_TLS		7
#define PT_GNU_STACK	0x6474e551

/* p_flags */
#define PF_X		0x1
#define PF_W		0x2
#define PF_R		0x4

struct elf64_hdr {
	u8  e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};

/* Limits.  64 phdrs is 3584 bytes: the table fits one page (Linux's limit
 * is the same page, 73 entries).  16 PT_LOADs is far more than a linker
 * makes (GNU ld: 4 for a static program) and bounds struct elf_info. */
#define ELF_MAX_PHNUM	64
#define ELF_MAX_LOAD	16
#define ELF_PAGE_SIZE	4096ULL
/* The user range a segment may occupy: nothing below mmap_min_addr (a NULL
 * dereference must fault), nothing at or above TASK_SIZE_MAX. */
#define ELF_USER_MIN	0x10000ULL
#define ELF_USER_MAX	0x00007ffffffff000ULL
/* for elf_check_phdrs when the file's length is not known: the segment
 * bytes are then checked as they are read */
#define ELF_FILE_SIZE_UNKNOWN	(~0ULL)

struct elf_segment {
	u64 vaddr;			/* bias applied; need not be page-aligned */
	u64 offset;			/* in the file */
	u64 filesz;			/* bytes from the file; the rest is zero */
	u64 memsz;
	u32 flags;			/* PF_R | PF_W | PF_X */
};

struct elf_info {
	/* from the ELF header (elf_check_ehdr) */
	u16 type;			/* ET_EXEC or ET_DYN */
	u16 phnum;
	u64 phoff;			/* the phdr table: phnum * 56 bytes here */
	u64 e_entry;			/* as in the file, unbiased */
	/* from the program headers (elf_check_phdrs) */
	u64 load_bias;			/* added to every p_vaddr; 0 for ET_EXEC */
	u64 entry;			/* AT_ENTRY and the first RIP, biased */
	u64 phdr_addr;			/* AT_PHDR, biased */
	int nr_load;
	struct elf_segment load[ELF_MAX_LOAD];	/* ascending, page-disjoint */
	u64 start;			/* lowest segment page */
	u64 end;			/* end of the highest segment's memsz */
	bool has_gnu_stack;		/* PT_GNU_STACK present ... */
	u32 stack_flags;		/* ... with these p_flags (else 0) */
	bool stack_exec;		/* PT_GNU_STACK with PF_X: executable stack */
	int bad_phdr;			/* on failure: the phdr at fault, or -1 */
};

static inline u64 elf_phdrs_size(const struct elf_info *info)
{
	return (u64)info->phnum * sizeof(struct elf64_phdr);
}

/*
 * The bytes exec copies from the file for @s, as mmap would map them: when
 * the segment's address and offset agree modulo the page size, the start
 * of its first page also gets the file bytes before p_offset (that is how
 * a file whose first segment starts just after the headers still has its
 * program headers in memory, as Linux's mmap-based loader gives it).
 * The window is @len bytes at user address @vaddr from file offset @offset;
 * @len may be 0.
 */
static inline void elf_segment_file_window(const struct elf_segment *s,
					   u64 *vaddr, u64 *offset, u64 *len)
{
	u64 lead = s->vaddr & (ELF_PAGE_SIZE - 1);

	/* not congruent, or nothing from the file (Linux maps no file page
	 * for a pure-bss segment): the segment's own bytes only */
	if ((s->offset & (ELF_PAGE_SIZE - 1)) != lead || !s->filesz)
		lead = 0;
	*vaddr = s->vaddr - lead;
	*offset = s->offset - lead;
	*len = s->filesz + lead;
}

const char *elf_check_ehdr(const void *buf, size_t len, struct elf_info *info);
const char *elf_check_phdrs(const void *phdrs, u64 file_size, u64 dyn_base,
			    struct elf_info *info);
const char *elf_check(const void *image, size_t len, u64 dyn_base,
		      struct elf_info *info);

#endif
