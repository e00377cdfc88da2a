/*
 * kallsyms.c - symbol lookup in the table built at link time.
 *
 * Layout (scripts/gen-ksyms.sh): kallsyms_num entries; kallsyms_addresses[]
 * sorted ascending; kallsyms_offsets[i] indexes the NUL-separated
 * kallsyms_names blob.  Only text symbols are listed, so a lookup answers
 * "which function is this instruction in".
 */
#include "kernel/kallsyms.h"
#include "kernel/layout.h"
#include "kernel/string.h"
#include "kernel/vsnprintf.h"

extern const u64 kallsyms_num;
extern const u64 kallsyms_addresses[];
extern const u32 kallsyms_offsets[];
extern const char kallsyms_names[];

static bool in_kernel_text(u64 addr)
{
	return (addr >= (u64)_text && addr < (u64)_etext) ||
	       (addr >= (u64)__boot_start && addr < (u64)__boot_end);
}

const char *kallsyms_lookup(u64 addr, u64 *offset, u64 *size)
{
	u64 lo = 0, hi = kallsyms_num, next;

	if (!kallsyms_num || !in_kernel_text(addr) || addr < kallsyms_addresses[0])
		return NULL;
	/* find the last entry with address <= addr */
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		if (kallsyms_addresses[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	next = lo + 1 < kallsyms_num ? kallsyms_addresses[lo + 1] : (u64)_etext;
	if (offset)
		*offset = addr - kallsyms_addresses[lo];
	if (size)
		*size = next > kallsyms_addresses[lo] ? next - kallsyms_addresses[lo] : 0;
	return &kallsyms_names[kallsyms_offsets[lo]];
}

u64 kallsyms_lookup_name(const char *name)
{
	for (u64 i = 0; i < kallsyms_num; i++)
		if (!strcmp(&kallsyms_names[kallsyms_offsets[i]], name))
			return kallsyms_addresses[i];
	return 0;
}

int sprint_symbol(char *buf, size_t size, u64 addr)
{
	u64 off, sz;
	const char *name = kallsyms_lookup(addr, &off, &sz);

	if (!name)
		return snprintf(buf, size, "0x%016lx", (unsigned long)addr);
	return snprintf(buf, size, "%s+0x%lx/0x%lx", name,
			(unsigned long)off, (unsigned long)sz);
}
