/*
 * test_elf.c - host tests for kernel/elf.c, the ELF64 checker exec trusts.
 *
 * Each test builds a small image shaped like what `musl-gcc -static`
 * produces (a read-only segment holding the headers, then R+X text, R
 * rodata, RW data+bss, PT_GNU_STACK), breaks one thing, and hands the
 * checker an exact-size heap copy, so AddressSanitizer turns any read past
 * the end into a crash (= a failed test).  A mutation loop then throws
 * thousands of random corruptions at it: whatever it accepts must still
 * satisfy the invariants elf.h promises.
 *
 * Real files: `test_elf PATH...` also checks those files, which must be
 * accepted (pass a `musl-gcc -static` binary); /sbin/ldconfig (a glibc
 * static-pie) must be accepted and /bin/ls (dynamically linked) refused,
 * when they exist.
 */
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include "unit.h"
#include "kernel/elf.h"

#define DYN_BASE	0x555555554000ULL
#define MSG_DYNAMIC	"dynamically linked programs are not supported (PT_INTERP)"

struct img {
	u8 buf[16384] __attribute__((aligned(16)));
	size_t len;
};

static struct elf64_hdr *eh(struct img *m) { return (struct elf64_hdr *)m->buf; }
static struct elf64_phdr *ph(struct img *m, int i)
{
	return (struct elf64_phdr *)(m->buf + eh(m)->e_phoff) + i;
}

static void set_ph(struct img *m, int i, u32 type, u32 flags, u64 off, u64 vaddr,
		   u64 filesz, u64 memsz, u64 align)
{
	*ph(m, i) = (struct elf64_phdr){
		.p_type = type, .p_flags = flags, .p_offset = off,
		.p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
		.p_memsz = memsz, .p_align = align,
	};
}

/* The layout of a static musl hello (readelf -l), phdrs at offset 64. */
static void mk_static(struct img *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(eh(m)->e_ident, ELFMAG, SELFMAG);
	eh(m)->e_ident[EI_CLASS] = ELFCLASS64;
	eh(m)->e_ident[EI_DATA] = ELFDATA2LSB;
	eh(m)->e_ident[EI_VERSION] = EV_CURRENT;
	eh(m)->e_type = ET_EXEC;
	eh(m)->e_machine = EM_X86_64;
	eh(m)->e_version = EV_CURRENT;
	eh(m)->e_entry = 0x401010;
	eh(m)->e_phoff = 64;
	eh(m)->e_ehsize = 64;
	eh(m)->e_phentsize = 56;
	eh(m)->e_phnum = 5;
	set_ph(m, 0, PT_LOAD, PF_R, 0, 0x400000, 0x190, 0x190, 0x1000);
	set_ph(m, 1, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100, 0x1000);
	set_ph(m, 2, PT_LOAD, PF_R, 0x2000, 0x402000, 0x80, 0x80, 0x1000);
	set_ph(m, 3, PT_LOAD, PF_R | PF_W, 0x2fc0, 0x403fc0, 0x40, 0x7f8, 0x1000);
	set_ph(m, 4, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0x10);
	m->len = 0x3000;
	for (size_t i = 0x1000; i < m->len; i++)
		m->buf[i] = (u8)(i * 7 + 1);	/* "code and data" */
}

/* A static-pie: the same, linked at 0 as ET_DYN. */
static void mk_pie(struct img *m)
{
	mk_static(m);
	eh(m)->e_type = ET_DYN;
	eh(m)->e_entry -= 0x400000;
	for (int i = 0; i < 4; i++) {
		ph(m, i)->p_vaddr -= 0x400000;
		ph(m, i)->p_paddr -= 0x400000;
	}
}

/* Check an exact-size heap copy of the first @len bytes. */
static const char *check_len(struct img *m, size_t len, struct elf_info *info)
{
	u8 *p = malloc(len ? len : 1);
	const char *why;

	memcpy(p, m->buf, len);
	why = elf_check(p, len, DYN_BASE, info);
	free(p);
	return why;
}

static const char *check(struct img *m, struct elf_info *info)
{
	return check_len(m, m->len, info);
}

static const char *nz(const char *s) { return s ? s : "(accepted)"; }

/* What elf.h promises about an accepted file. */
static void check_invariants(const struct elf_info *info)
{
	u64 prev_end = 0;
	bool entry_ok = false, phdr_ok = false;

	CHECK(info->nr_load >= 1 && info->nr_load <= ELF_MAX_LOAD);
	for (int i = 0; i < info->nr_load; i++) {
		const struct elf_segment *s = &info->load[i];
		u64 first = s->vaddr & ~(ELF_PAGE_SIZE - 1);
		u64 end = s->vaddr + s->memsz;

		CHECK(s->memsz > 0 && s->filesz <= s->memsz);
		CHECK(first >= ELF_USER_MIN);
		CHECK(end > s->vaddr && end <= ELF_USER_MAX);
		CHECK(first >= prev_end);		/* sorted, page-disjoint */
		prev_end = (end + ELF_PAGE_SIZE - 1) & ~(ELF_PAGE_SIZE - 1);
		if ((s->flags & PF_X) && info->entry >= s->vaddr && info->entry < end)
			entry_ok = true;
		if (info->phdr_addr >= first &&
		    info->phdr_addr + info->phnum * 56ULL <= end)
			phdr_ok = true;
	}
	CHECK(entry_ok);
	CHECK(phdr_ok);
	CHECK_EQ(info->start, info->load[0].vaddr & ~(ELF_PAGE_SIZE - 1));
	CHECK(info->end <= ELF_USER_MAX);
}

/* ------------------------------------------------------------ accepted */

UNIT_TEST(static_exec_described)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	CHECK(check(&m, &info) == NULL);
	CHECK_EQ(info.type, ET_EXEC);
	CHECK_EQ(info.load_bias, 0);
	CHECK_EQ(info.nr_load, 4);
	CHECK_EQ(info.entry, 0x401010);
	CHECK_EQ(info.phdr_addr, 0x400040);
	CHECK_EQ(info.phnum, 5);
	CHECK_EQ(info.start, 0x400000);
	CHECK_EQ(info.end, 0x403fc0 + 0x7f8);
	CHECK_EQ(info.load[1].vaddr, 0x401000);
	CHECK_EQ(info.load[1].flags, PF_R | PF_X);
	CHECK_EQ(info.load[3].filesz, 0x40);
	CHECK_EQ(info.load[3].memsz, 0x7f8);
	CHECK(info.has_gnu_stack);
	CHECK(!info.stack_exec);
	CHECK_EQ(info.bad_phdr, -1);
	check_invariants(&info);
}

UNIT_TEST(two_step_api_matches_whole_image)
{
	struct img m;
	struct elf_info a, b;

	mk_static(&m);
	CHECK(elf_check(m.buf, m.len, DYN_BASE, &a) == NULL);
	/* exec's way: 64 header bytes, then the table read on its own */
	CHECK(elf_check_ehdr(m.buf, 64, &b) == NULL);
	CHECK_EQ(b.phoff, 64);
	CHECK_EQ(elf_phdrs_size(&b), 5 * 56);
	CHECK(elf_check_phdrs(m.buf + 64, m.len, DYN_BASE, &b) == NULL);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	/* the size is unknown when exec read a whole first page */
	CHECK(elf_check_phdrs(m.buf + 64, ELF_FILE_SIZE_UNKNOWN, DYN_BASE, &b) == NULL);
	CHECK_EQ(b.nr_load, 4);
}

UNIT_TEST(static_pie_gets_a_bias)
{
	struct img m;
	struct elf_info info;

	mk_pie(&m);
	CHECK(check(&m, &info) == NULL);
	CHECK_EQ(info.type, ET_DYN);
	CHECK_EQ(info.load_bias, DYN_BASE);
	CHECK_EQ(info.entry, DYN_BASE + 0x1010);
	CHECK_EQ(info.phdr_addr, DYN_BASE + 0x40);
	CHECK_EQ(info.load[0].vaddr, DYN_BASE);
	CHECK_EQ(info.load[3].vaddr, DYN_BASE + 0x3fc0);
	check_invariants(&info);

	/* a 2 MiB alignment request is honoured: the base rounds down */
	ph(&m, 0)->p_align = 0x200000;
	ph(&m, 1)->p_align = 0x200000;		/* (vaddr == offset in both) */
	CHECK(check(&m, &info) == NULL);
	CHECK_EQ(info.load_bias, DYN_BASE & ~0x1fffffULL);
	check_invariants(&info);
}

UNIT_TEST(exec_stack_flag)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	ph(&m, 4)->p_flags = PF_R | PF_W | PF_X;
	CHECK(check(&m, &info) == NULL);
	CHECK(info.stack_exec);
	CHECK_EQ(info.stack_flags, PF_R | PF_W | PF_X);
	/* no PT_GNU_STACK: x86-64's default is a non-executable stack */
	ph(&m, 4)->p_type = PT_NOTE;
	CHECK(check(&m, &info) == NULL);
	CHECK(!info.has_gnu_stack);
	CHECK(!info.stack_exec);
}

/* ld -N: one RWX segment starting right after the headers (offset 0xb0),
 * the headers in the same page: AT_PHDR still finds them, as mmap would. */
UNIT_TEST(omagic_headers_in_first_page)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	eh(&m)->e_phnum = 2;
	eh(&m)->e_entry = 0x4000c0;
	set_ph(&m, 0, PT_LOAD, PF_R | PF_W | PF_X, 0xb0, 0x4000b0, 0x100, 0x5000, 0x20);
	set_ph(&m, 1, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0x10);
	m.len = 0x1b0;
	CHECK(check(&m, &info) == NULL);
	CHECK_EQ(info.phdr_addr, 0x400040);
	CHECK_EQ(info.start, 0x400000);
	check_invariants(&info);
}

UNIT_TEST(empty_load_segment_ignored)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	set_ph(&m, 4, PT_LOAD, PF_R, 0, 0, 0, 0, 0);	/* at 0, but maps nothing */
	CHECK(check(&m, &info) == NULL);
	CHECK_EQ(info.nr_load, 4);
}

UNIT_TEST(segments_sorted_even_if_phdrs_are_not)
{
	struct img m;
	struct elf_info info;
	struct elf64_phdr t;

	mk_static(&m);
	t = *ph(&m, 3);
	*ph(&m, 3) = *ph(&m, 1);
	*ph(&m, 1) = t;
	CHECK(check(&m, &info) == NULL);
	for (int i = 1; i < info.nr_load; i++)
		CHECK(info.load[i - 1].vaddr < info.load[i].vaddr);
	check_invariants(&info);
}

/* ---------------------------------------------------- the ELF header */

UNIT_TEST(truncated_header)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	for (size_t len = 0; len < 64; len++)
		CHECK_STR(nz(check_len(&m, len, &info)),
			  len < 4 ? "not an ELF file (bad magic number)" : "truncated ELF header");
}

UNIT_TEST(bad_identification)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	memcpy(m.buf, "#!/b", 4);
	CHECK_STR(nz(check(&m, &info)), "not an ELF file (bad magic number)");
	mk_static(&m);
	eh(&m)->e_ident[EI_CLASS] = 1;			/* ELFCLASS32 */
	CHECK_STR(nz(check(&m, &info)), "not a 64-bit ELF file (EI_CLASS)");
	mk_static(&m);
	eh(&m)->e_ident[EI_DATA] = 2;			/* big-endian */
	CHECK_STR(nz(check(&m, &info)), "not a little-endian ELF file (EI_DATA)");
	mk_static(&m);
	eh(&m)->e_ident[EI_VERSION] = 0;
	CHECK_STR(nz(check(&m, &info)), "unknown ELF version");
	mk_static(&m);
	eh(&m)->e_version = 2;
	CHECK_STR(nz(check(&m, &info)), "unknown ELF version");
}

UNIT_TEST(wrong_machine_and_type)
{
	struct img m;
	struct elf_info info;
	static const u16 machines[] = { 0, 3 /* i386 */, 40 /* ARM */, 183 /* AArch64 */, 243 };
	static const u16 types[] = { 0, 1 /* ET_REL */, 4 /* ET_CORE */, 0xfe00 };

	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		mk_static(&m);
		eh(&m)->e_machine = machines[i];
		CHECK_STR(nz(check(&m, &info)), "not an x86-64 program (e_machine)");
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		mk_static(&m);
		eh(&m)->e_type = types[i];
		CHECK_STR(nz(check(&m, &info)),
			  "not an executable (e_type is neither ET_EXEC nor ET_DYN)");
	}
}

UNIT_TEST(program_header_table_shape)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	eh(&m)->e_phentsize = 32;			/* an ELF32 phdr size */
	CHECK_STR(nz(check(&m, &info)), "bad program header size (e_phentsize is not 56)");
	mk_static(&m);
	eh(&m)->e_phentsize = 64;
	CHECK_STR(nz(check(&m, &info)), "bad program header size (e_phentsize is not 56)");
	mk_static(&m);
	eh(&m)->e_phnum = 0;
	CHECK_STR(nz(check(&m, &info)), "no program headers");
	mk_static(&m);
	eh(&m)->e_phnum = 65;
	CHECK_STR(nz(check(&m, &info)), "too many program headers (more than 64)");
	mk_static(&m);
	eh(&m)->e_phnum = 0xffff;			/* PN_XNUM */
	CHECK_STR(nz(check(&m, &info)), "too many program headers (more than 64)");
	/* 64 is allowed: pad with PT_NULL (zeros), and load the bigger table */
	mk_static(&m);
	eh(&m)->e_phnum = 64;
	ph(&m, 0)->p_filesz = ph(&m, 0)->p_memsz = 64 + 64 * 56;
	CHECK(check(&m, &info) == NULL);
	CHECK_EQ(info.nr_load, 4);
}

UNIT_TEST(phdrs_beyond_file)
{
	struct img m;
	struct elf_info info;
	static const u64 offs[] = {
		0x3000 - 5 * 56 + 1,		/* last byte past the end */
		0x3000, 0x100000,
		0xffffffffffffffc0ULL,		/* phoff + size wraps to 0x...0ed8 */
		0x8000000000000000ULL,
	};

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		mk_static(&m);
		memcpy(m.buf + 0x3000 - 5 * 56, m.buf + 64, 5 * 56);
		eh(&m)->e_phoff = offs[i];
		CHECK_STR(nz(check(&m, &info)), "program headers lie outside the file");
		/* the same through the two-step API */
		CHECK(elf_check_ehdr(m.buf, 64, &info) == NULL);
		CHECK_STR(nz(elf_check_phdrs(m.buf + 64, m.len, DYN_BASE, &info)),
			  "program headers lie outside the file");
	}
	/* a file cut inside the table */
	mk_static(&m);
	for (size_t len = 64; len < 64 + 5 * 56; len += 13)
		CHECK_STR(nz(check_len(&m, len, &info)), "program headers lie outside the file");
}

/* ---------------------------------------------------- program headers */

UNIT_TEST(interp_refused_first)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	set_ph(&m, 4, PT_INTERP, PF_R, 0x190, 0x400190, 0x1c, 0x1c, 1);
	CHECK_STR(nz(check(&m, &info)), MSG_DYNAMIC);
	CHECK_EQ(info.bad_phdr, 4);
	/* even when another header is also broken, this is the reason given */
	ph(&m, 0)->p_filesz = 0x10000000;
	CHECK_STR(nz(check(&m, &info)), MSG_DYNAMIC);
	/* and for a dynamic PIE */
	mk_pie(&m);
	set_ph(&m, 4, PT_INTERP, PF_R, 0x190, 0x190, 0x1c, 0x1c, 1);
	CHECK_STR(nz(check(&m, &info)), MSG_DYNAMIC);
}

UNIT_TEST(filesz_greater_than_memsz)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	ph(&m, 3)->p_filesz = 0x800;
	CHECK_STR(nz(check(&m, &info)),
		  "segment's file size exceeds its memory size (p_filesz > p_memsz)");
	CHECK_EQ(info.bad_phdr, 3);
	mk_static(&m);
	ph(&m, 2)->p_memsz = 0;				/* filesz 0x80 > 0 */
	CHECK_STR(nz(check(&m, &info)),
		  "segment's file size exceeds its memory size (p_filesz > p_memsz)");
}

UNIT_TEST(segment_data_outside_file)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	ph(&m, 3)->p_memsz = 0x10000;
	ph(&m, 3)->p_filesz = 0x41;			/* one byte past the end */
	CHECK_STR(nz(check(&m, &info)), "segment's data lies outside the file");
	CHECK_EQ(info.bad_phdr, 3);
	/* the file cut short inside a segment */
	mk_static(&m);
	CHECK_STR(nz(check_len(&m, 0x2fff, &info)), "segment's data lies outside the file");
	/* offset + filesz wraps around: must not pass as "small" */
	mk_static(&m);
	ph(&m, 1)->p_offset = 0xfffffffffffff000ULL;
	ph(&m, 1)->p_vaddr = 0x401000;	/* keep congruent */
	ph(&m, 1)->p_filesz = 0x1100;
	ph(&m, 1)->p_memsz = 0x1100;
	CHECK_STR(nz(check(&m, &info)), "segment's data lies outside the file");
	mk_static(&m);
	ph(&m, 1)->p_filesz = 0xffffffffffffff00ULL;
	ph(&m, 1)->p_memsz = 0xffffffffffffff00ULL;
	CHECK_STR(nz(check(&m, &info)), "segment's data lies outside the file");
}

UNIT_TEST(alignment_rules)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	ph(&m, 1)->p_align = 0x1800;
	CHECK_STR(nz(check(&m, &info)), "segment alignment (p_align) is not a power of two");
	mk_static(&m);
	ph(&m, 1)->p_vaddr = 0x401100;			/* offset 0x1000: not congruent */
	CHECK_STR(nz(check(&m, &info)), "segment address and file offset disagree modulo p_align");
	/* p_align 0 and 1 mean "no constraint" */
	mk_static(&m);
	ph(&m, 2)->p_align = 0;
	ph(&m, 2)->p_vaddr = 0x402010;
	CHECK(check(&m, &info) == NULL);
	ph(&m, 2)->p_align = 1;
	CHECK(check(&m, &info) == NULL);
	check_invariants(&info);
}

UNIT_TEST(kernel_and_out_of_range_addresses)
{
	struct img m;
	struct elf_info info;
	static const struct { u64 vaddr, memsz; } bad[] = {
		{ 0xffffffff80001000ULL, 0x100 },	/* the kernel image */
		{ 0xffff800000001000ULL, 0x100 },	/* the direct map */
		{ 0x0000800000001000ULL, 0x100 },	/* non-canonical */
		{ 0x00007ffffffff000ULL, 0x100 },	/* TASK_SIZE_MAX's page */
		{ 0x00007fffffffe000ULL, 0x1001 },	/* runs into it */
		{ 0x1000, 0x100 },			/* below mmap_min_addr */
		{ 0x0, 0x100 },				/* NULL page */
		{ 0xfff0, 0x100 },			/* starts just below 0x10000 */
		{ 0x401000, 0xffffffffffffff00ULL },	/* vaddr + memsz wraps */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mk_static(&m);
		ph(&m, 1)->p_vaddr = bad[i].vaddr;
		ph(&m, 1)->p_memsz = bad[i].memsz;
		ph(&m, 1)->p_offset = bad[i].vaddr & 0xfff;
		ph(&m, 1)->p_align = 0x1000;
		ph(&m, 1)->p_filesz = 0x10;
		CHECK_STR(nz(check(&m, &info)), "segment outside the user address range");
		CHECK_EQ(info.bad_phdr, 1);
	}
	/* the very last user page is fine (the entry point moves along) */
	mk_static(&m);
	ph(&m, 1)->p_vaddr = 0x00007fffffffe000ULL;
	eh(&m)->e_entry = 0x00007fffffffe010ULL;
	CHECK(check(&m, &info) == NULL);
	check_invariants(&info);
	/* a static-pie whose bias would push it into the kernel */
	mk_pie(&m);
	ph(&m, 3)->p_vaddr = 0x7fffffff0000ULL + 0xfc0;
	CHECK_STR(nz(check(&m, &info)), "segment outside the user address range");
}

UNIT_TEST(overlapping_segments)
{
	struct img m;
	struct elf_info info;

	/* byte overlap */
	mk_static(&m);
	ph(&m, 2)->p_vaddr = 0x401000;
	ph(&m, 2)->p_offset = 0x2000;
	CHECK_STR(nz(check(&m, &info)), "PT_LOAD segments overlap (or share a page)");
	CHECK_EQ(info.bad_phdr, 2);
	/* no common byte, but a common page (0x401000..0x401fff) */
	mk_static(&m);
	ph(&m, 2)->p_vaddr = 0x401800;
	ph(&m, 2)->p_offset = 0x2800;
	ph(&m, 2)->p_align = 0x800;
	CHECK_STR(nz(check(&m, &info)), "PT_LOAD segments overlap (or share a page)");
	/* one segment inside another */
	mk_static(&m);
	ph(&m, 1)->p_memsz = 0x10000;
	CHECK_STR(nz(check(&m, &info)), "PT_LOAD segments overlap (or share a page)");
	/* the same segment twice */
	mk_static(&m);
	*ph(&m, 4) = *ph(&m, 1);
	CHECK_STR(nz(check(&m, &info)), "PT_LOAD segments overlap (or share a page)");
	CHECK_EQ(info.bad_phdr, 4);
	/* adjacent pages are fine */
	mk_static(&m);
	ph(&m, 1)->p_memsz = 0x1000;
	CHECK(check(&m, &info) == NULL);
}

UNIT_TEST(too_many_load_segments)
{
	struct img m;
	struct elf_info info;
	int n;

	for (n = 16; n <= 17; n++) {
		mk_static(&m);
		eh(&m)->e_phnum = n;
		eh(&m)->e_entry = 0x400000;
		for (int i = 0; i < n; i++)
			set_ph(&m, i, PT_LOAD, PF_R | PF_X, 0, 0x400000 + i * 0x10000ULL,
			       0x400, 0x400, 0x1000);
		if (n == 16) {
			CHECK(check(&m, &info) == NULL);
			CHECK_EQ(info.nr_load, 16);
		} else {
			CHECK_STR(nz(check(&m, &info)), "too many PT_LOAD segments (more than 16)");
			CHECK_EQ(info.bad_phdr, 16);
		}
	}
}

UNIT_TEST(entry_point_must_be_executable)
{
	struct img m;
	struct elf_info info;
	static const u64 entries[] = {
		0x400100,		/* in the R segment with the headers */
		0x403fd0,		/* in RW data */
		0x401100,		/* one past the end of text */
		0x0, 0x10000, 0xffffffff80000000ULL,
	};

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		mk_static(&m);
		eh(&m)->e_entry = entries[i];
		CHECK_STR(nz(check(&m, &info)), "entry point is not inside an executable segment");
	}
	mk_static(&m);
	eh(&m)->e_entry = 0x4010ff;		/* last byte of text */
	CHECK(check(&m, &info) == NULL);
}

UNIT_TEST(no_load_segments)
{
	struct img m;
	struct elf_info info;

	mk_static(&m);
	for (int i = 0; i < 4; i++)
		ph(&m, i)->p_type = PT_NOTE;
	CHECK_STR(nz(check(&m, &info)), "no loadable (PT_LOAD) segments");
	mk_static(&m);
	for (int i = 0; i < 4; i++)
		ph(&m, i)->p_memsz = ph(&m, i)->p_filesz = 0;
	CHECK_STR(nz(check(&m, &info)), "no loadable (PT_LOAD) segments");
}

UNIT_TEST(phdrs_must_be_loaded)
{
	struct img m;
	struct elf_info info;

	/* the first segment starts after the headers, in the same page and
	 * congruent modulo 4096: its page window still has them */
	mk_static(&m);
	ph(&m, 0)->p_offset = 0x200;
	ph(&m, 0)->p_vaddr = 0x400200;
	ph(&m, 0)->p_filesz = ph(&m, 0)->p_memsz = 0x100;
	ph(&m, 0)->p_align = 0x100;
	CHECK(check(&m, &info) == NULL);
	CHECK_EQ(info.phdr_addr, 0x400040);
	/* not congruent: only the segment's own bytes, the headers are not */
	ph(&m, 0)->p_vaddr = 0x400300;
	CHECK_STR(nz(check(&m, &info)),
		  "program headers are not inside a loaded segment (no AT_PHDR)");
	mk_static(&m);
	ph(&m, 0)->p_type = PT_NOTE;		/* headers not loaded at all */
	CHECK_STR(nz(check(&m, &info)),
		  "program headers are not inside a loaded segment (no AT_PHDR)");
	/* covered only partly */
	mk_static(&m);
	ph(&m, 0)->p_filesz = 64 + 5 * 56 - 1;
	CHECK_STR(nz(check(&m, &info)),
		  "program headers are not inside a loaded segment (no AT_PHDR)");
	/* in memory but not from the file (bss) does not count either */
	mk_static(&m);
	ph(&m, 0)->p_filesz = 0x10;
	CHECK_STR(nz(check(&m, &info)),
		  "program headers are not inside a loaded segment (no AT_PHDR)");
}

/* -------------------------------------------------- random corruption */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Values that sit on the edges the checks care about. */
static u64 edge_value(void)
{
	static const u64 v[] = {
		0, 1, 0x40, 0xfff, 0x1000, 0x10000, 0x400000, 0x401000,
		0x7ffffffff000ULL, 0x7fffffffffffULL, 0x800000000000ULL,
		0xffffffff80000000ULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 0xfff,
	};

	return v[rng() % (sizeof(v) / sizeof(v[0]))] + (rng() % 3) - 1;
}

UNIT_TEST(random_corruption_never_crashes)
{
	struct img m;
	struct elf_info info;
	int accepted = 0;

	for (int iter = 0; iter < 20000; iter++) {
		int nmut = 1 + rng() % 4;
		size_t len;

		(rng() & 1) ? mk_static(&m) : mk_pie(&m);
		for (int k = 0; k < nmut; k++) {
			/* mostly the headers: that is where the checks are */
			size_t at = rng() % (64 + 5 * 56);

			switch (rng() % 4) {
			case 0:
				m.buf[at] ^= (u8)(1u << (rng() % 8));
				break;
			case 1:
				m.buf[at] = (u8)rng();
				break;
			default: {
				u64 v = edge_value();

				at &= ~(size_t)7;
				if (at + 8 <= sizeof(m.buf))
					memcpy(m.buf + at, &v, 8);
				break;
			}
			}
		}
		len = (rng() % 8) ? m.len : rng() % (m.len + 1);
		if (!check_len(&m, len, &info)) {
			accepted++;
			check_invariants(&info);
		} else {
			CHECK(info.bad_phdr >= -1 && info.bad_phdr < ELF_MAX_PHNUM);
		}
	}
	printf("    # %d of 20000 corrupted images accepted\n", accepted);
	CHECK(accepted > 0);		/* harmless mutations must still pass */
}

/* ------------------------------------------------------------ real files */

static int real_argc;
static char **real_argv;

static u8 *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static const char *check_file(const char *path, struct elf_info *info, bool *found)
{
	size_t len;
	u8 *buf = slurp(path, &len);
	const char *why;

	*found = buf != NULL;
	if (!buf)
		return NULL;
	why = elf_check(buf, len, DYN_BASE, info);
	printf("    # %s: %s", path, nz(why));
	if (!why)
		printf(" (%s, %d segments, entry %#llx, AT_PHDR %#llx, brk %#llx%s)",
		       info->type == ET_EXEC ? "ET_EXEC" : "ET_DYN", info->nr_load,
		       (unsigned long long)info->entry, (unsigned long long)info->phdr_addr,
		       (unsigned long long)info->end, info->stack_exec ? ", exec stack" : "");
	printf("\n");
	free(buf);
	return why;
}

UNIT_TEST(real_files)
{
	struct elf_info info;
	bool found;
	const char *why;

	for (int i = 1; i < real_argc; i++) {
		why = check_file(real_argv[i], &info, &found);
		CHECK(found);
		CHECK(why == NULL);
		if (found && !why)
			check_invariants(&info);
	}
	why = check_file("/sbin/ldconfig", &info, &found);	/* glibc static-pie */
	if (found) {
		CHECK(why == NULL);
		CHECK_EQ(info.type, ET_DYN);
		if (!why)
			check_invariants(&info);
	}
	why = check_file("/bin/ls", &info, &found);		/* dynamic */
	if (found)
		CHECK_STR(nz(why), MSG_DYNAMIC);
}

int main(int argc, char **argv)
{
	real_argc = argc;
	real_argv = argv;
	return unit_run_all();
}
