/*
 * gdt.c - per-CPU Global Descriptor Table and Task State Segment.
 *
 * Each CPU has its own GDT because the TSS descriptor in it is marked busy
 * by LTR (SDM Vol. 3A, "TSS Descriptor") and each CPU needs its own TSS (its own RSP0 and IST
 * stacks).  Selector numbers follow Linux; see kernel/layout.h for why.
 *
 * The ENTRY STACK.  TSS.RSP0 never changes: every entry from ring 3 lands
 * on this small per-CPU stack, and kernel/entry.S moves the hardware frame
 * to the task's own kernel stack once the kernel page tables are loaded.
 * With page-table isolation (mm/pti.c) ring 3 runs on page tables that
 * map none of the kernel - but the CPU must push its frame somewhere
 * before the entry code can switch CR3, so this structure (GDT, TSS, IST
 * stacks, entry stack) is mapped in the user page tables too, and so is
 * each page of it: it is page-aligned and holds nothing else.  The same
 * path runs with pti=off, so both modes exercise one entry code.
 *
 * Invariant: a CPU's GDT, TSS and stacks live as long as the CPU runs.
 */
#include "kernel/desc.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/percpu.h"

/* Code/data descriptors: base 0, limit 4G, granularity 4K (flat). */
#define DESC_KERNEL_CS	0x00af9a000000ffffULL	/* P, DPL0, code, L=1 */
#define DESC_KERNEL_DS	0x00cf92000000ffffULL	/* P, DPL0, data, writable */
#define DESC_USER32_CS	0x00cffa000000ffffULL	/* P, DPL3, code, D=1 (compat) */
#define DESC_USER_DS	0x00cff2000000ffffULL	/* P, DPL3, data */
#define DESC_USER_CS	0x00affa000000ffffULL	/* P, DPL3, code, L=1 */

struct cpu_desc_tables {
	u64 gdt[GDT_ENTRIES] __aligned(16);
	struct tss tss __aligned(16);
	u8 ist_stacks[3][IST_STACK_SIZE] __aligned(16);
	u8 entry_stack[ENTRY_STACK_SIZE] __aligned(16);
} __aligned(PAGE_SIZE);

static struct cpu_desc_tables cpu_tables[NR_CPUS];

struct tss *cpu_tss(int cpu)
{
	return &cpu_tables[cpu].tss;
}

/* What page-table isolation maps for ring 3 (mm/pti.c): whole pages. */
void cpu_desc_tables_range(int cpu, u64 *start, u64 *end)
{
	*start = (u64)&cpu_tables[cpu];
	*end = *start + sizeof(cpu_tables[cpu]);
}

/* A 64-bit TSS descriptor is 16 bytes: SDM Vol. 3A, "TSS Descriptor in 64-bit mode". */
static void set_tss_desc(u64 *gdt, struct tss *tss)
{
	u64 base = (u64)tss, limit = sizeof(*tss) - 1;

	gdt[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ULL << 40) |			/* P, type 9 = available TSS */
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[1] = base >> 32;
}

void gdt_init_cpu(int cpu)
{
	struct cpu_desc_tables *t = &cpu_tables[cpu];
	struct desc_ptr gdtr = { sizeof(t->gdt) - 1, (u64)t->gdt };

	memset(t->gdt, 0, sizeof(t->gdt));
	t->gdt[GDT_ENTRY_KERNEL_CS] = DESC_KERNEL_CS;
	t->gdt[GDT_ENTRY_KERNEL_DS] = DESC_KERNEL_DS;
	t->gdt[GDT_ENTRY_USER32_CS] = DESC_USER32_CS;
	t->gdt[GDT_ENTRY_USER_DS] = DESC_USER_DS;
	t->gdt[GDT_ENTRY_USER_CS] = DESC_USER_CS;

	memset(&t->tss, 0, sizeof(t->tss));
	t->tss.iomap_base = sizeof(t->tss);
	t->tss.ist[IST_DF - 1] = (u64)&t->ist_stacks[0][IST_STACK_SIZE];
	t->tss.ist[IST_NMI - 1] = (u64)&t->ist_stacks[1][IST_STACK_SIZE];
	t->tss.ist[IST_MC - 1] = (u64)&t->ist_stacks[2][IST_STACK_SIZE];
	t->tss.rsp[0] = (u64)&t->entry_stack[ENTRY_STACK_SIZE];	/* 16-aligned */
	per_cpu(cpu)->entry_stack_top = t->tss.rsp[0];
	set_tss_desc(&t->gdt[GDT_ENTRY_TSS], &t->tss);

	asm volatile(
		"lgdt %0\n\t"
		/* CS can only be reloaded by a far transfer: push the new
		 * selector and the address of label 1, then LRETQ pops both */
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %2, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"ltr %w3"			/* load TR; marks the TSS busy */
		: : "m"(gdtr), "i"(__KERNEL_CS), "i"(__KERNEL_DS), "r"(__TSS_SEL)
		: "rax", "memory");
}
