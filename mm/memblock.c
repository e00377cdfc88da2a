/*
 * memblock.c - build the physical memory map from the boot information.
 *
 * Regions are merged on insert, so overlapping or duplicate firmware
 * entries (which do occur) cannot double-count memory.  See memblock.h for
 * the invariants.
 */
#include "mm/memblock.h"
#include "kernel/multiboot2.h"
#include "kernel/layout.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/errno.h"

struct memblock memblock = {
	.memory = { .name = "memory" },
	.reserved = { .name = "reserved" },
};

static int memblock_insert(struct memblock_type *type, phys_addr_t base, u64 end)
{
	unsigned int i = 0, j;

	if (end <= base)
		return 0;
	/* skip regions entirely before the new one (not even adjacent) */
	while (i < type->cnt && type->regions[i].base + type->regions[i].size < base)
		i++;
	/* absorb every region that overlaps or touches [base, end) */
	j = i;
	while (j < type->cnt && type->regions[j].base <= end) {
		base = MIN(base, type->regions[j].base);
		end = MAX(end, type->regions[j].base + type->regions[j].size);
		j++;
	}
	if (j == i && type->cnt == MEMBLOCK_MAX_REGIONS) {
		pr_err("memblock: %s: too many regions, dropping %#lx-%#lx\n",
		       type->name, (unsigned long)base, (unsigned long)end);
		return -ENOMEM;
	}
	/* replace regions[i..j) by one region */
	memmove(&type->regions[i + 1], &type->regions[j],
		(type->cnt - j) * sizeof(type->regions[0]));
	type->cnt = type->cnt - (j - i) + 1;
	type->regions[i].base = base;
	type->regions[i].size = end - base;
	return 0;
}

int memblock_add(phys_addr_t base, u64 size)
{
	phys_addr_t end = base + size;

	if (end < base)
		return -EINVAL;
	return memblock_insert(&memblock.memory, ALIGN_UP(base, PAGE_SIZE),
			       ALIGN_DOWN(end, PAGE_SIZE));
}

int memblock_reserve(phys_addr_t base, u64 size)
{
	phys_addr_t end = base + size;

	if (end < base)
		return -EINVAL;
	return memblock_insert(&memblock.reserved, ALIGN_DOWN(base, PAGE_SIZE),
			       ALIGN_UP(end, PAGE_SIZE));
}

static bool type_contains(const struct memblock_type *type, phys_addr_t addr)
{
	for (unsigned int i = 0; i < type->cnt; i++)
		if (addr >= type->regions[i].base &&
		    addr - type->regions[i].base < type->regions[i].size)
			return true;
	return false;
}

bool memblock_is_reserved(phys_addr_t addr)
{
	return type_contains(&memblock.reserved, addr);
}

bool memblock_is_memory(phys_addr_t addr)
{
	return type_contains(&memblock.memory, addr);
}

/* Lowest reserved byte overlapping [lo, hi) - really: the start of the
 * first reserved region overlapping it, or 0 if none overlaps. */
static phys_addr_t first_reserved_overlap(phys_addr_t lo, phys_addr_t hi)
{
	for (unsigned int i = 0; i < memblock.reserved.cnt; i++) {
		const struct memblock_region *r = &memblock.reserved.regions[i];

		if (r->base < hi && r->base + r->size > lo)
			return r->base ? r->base : 1;	/* 0 means "no clash" */
	}
	return 0;
}

u64 memblock_phys_mem_size(void)
{
	u64 sum = 0;

	for (unsigned int i = 0; i < memblock.memory.cnt; i++)
		sum += memblock.memory.regions[i].size;
	return sum;
}

/* memory minus the parts of reserved that lie inside memory */
u64 memblock_free_size(void)
{
	u64 sum = memblock_phys_mem_size();

	for (unsigned int r = 0; r < memblock.reserved.cnt; r++) {
		const struct memblock_region *res = &memblock.reserved.regions[r];

		for (unsigned int m = 0; m < memblock.memory.cnt; m++) {
			const struct memblock_region *mem = &memblock.memory.regions[m];
			phys_addr_t lo = MAX(res->base, mem->base);
			phys_addr_t hi = MIN(res->base + res->size, mem->base + mem->size);

			if (hi > lo)
				sum -= hi - lo;
		}
	}
	return sum;
}

/*
 * Early allocation, before the page allocator exists (its own struct page
 * array and the first page tables come from here).  Takes the highest
 * suitable free range below @limit so low memory stays free for things that
 * need it (the AP trampoline below 1 MiB).  Returns 0 on failure.
 */
phys_addr_t memblock_alloc(u64 size, u64 align, phys_addr_t limit)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	for (int m = (int)memblock.memory.cnt - 1; m >= 0; m--) {
		const struct memblock_region *mem = &memblock.memory.regions[m];
		phys_addr_t end = MIN(mem->base + mem->size, limit);
		phys_addr_t cand;

		if (end < size)
			continue;
		cand = ALIGN_DOWN(end - size, align);
		while (cand >= mem->base) {
			phys_addr_t clash = first_reserved_overlap(cand, cand + size);

			if (!clash) {
				memblock_reserve(cand, size);
				return cand;
			}
			if (clash < size)
				break;
			cand = ALIGN_DOWN(clash - size, align);
		}
	}
	return 0;
}

phys_addr_t memblock_end_of_ram(void)
{
	const struct memblock_type *m = &memblock.memory;

	return m->cnt ? m->regions[m->cnt - 1].base + m->regions[m->cnt - 1].size : 0;
}

void memblock_dump(void)
{
	const struct memblock_type *types[] = { &memblock.memory, &memblock.reserved };

	for (unsigned int t = 0; t < 2; t++)
		for (unsigned int i = 0; i < types[t]->cnt; i++)
			pr_info("memblock: %-8s [0x%010lx-0x%010lx] %7lu KiB\n", types[t]->name,
				(unsigned long)types[t]->regions[i].base,
				(unsigned long)(types[t]->regions[i].base +
						types[t]->regions[i].size - 1),
				(unsigned long)(types[t]->regions[i].size >> 10));
}

void memblock_init_from_boot(const struct boot_info *bi, phys_addr_t info_phys)
{
	for (unsigned int i = 0; i < bi->nr_mmap; i++)
		if (bi->mmap[i].type == MB2_MEM_AVAILABLE)
			memblock_add(bi->mmap[i].addr, bi->mmap[i].len);

	/* The first MiB: real-mode IVT, BIOS data, EBDA, and later the AP
	 * start-up trampoline, which must sit below 1 MiB (SIPI vector). */
	memblock_reserve(0, 0x100000);
	/* the kernel image: .boot (linked at its physical address) up to _end */
	memblock_reserve(KERNEL_PHYS, virt_to_phys(_end) - KERNEL_PHYS);
	memblock_reserve(info_phys, bi->total_size);
	for (unsigned int i = 0; i < bi->nr_modules; i++)
		memblock_reserve(bi->modules[i].start,
				 bi->modules[i].end - bi->modules[i].start);
}
