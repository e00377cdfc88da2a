/*
 * desc.h - the CPU's descriptor tables: GDT, TSS and IDT.
 *
 * In long mode segmentation is mostly gone (Intel SDM Vol. 3A, "Using Segments"), but
 * the GDT still selects ring 0 or 3 code, the TSS still holds the stack
 * pointers the CPU switches to on entry from ring 3 (RSP0) and the
 * Interrupt Stack Table (IST), and the IDT still maps vectors to handlers.
 *
 * IST use (SDM Vol. 3A, "Interrupt Stack Table"): #DF, NMI and #MC run on
 * their own stacks because they can arrive when the current stack is
 * unusable (#DF after a stack overflow) or at any instruction boundary in
 * the kernel (NMI, #MC).
 */
#ifndef KERNEL_DESC_H
#define KERNEL_DESC_H

#include "kernel/types.h"
#include "kernel/layout.h"

#define IST_DF		1
#define IST_NMI		2
#define IST_MC		3
#define IST_STACK_SIZE	(8 * 1024)
/* The entry stack only ever holds a hardware frame and two registers on
 * their way to the task's stack (kernel/entry.S); 512 bytes, like Linux's. */
#define ENTRY_STACK_SIZE	512

struct tss {
	u32 reserved0;
	u64 rsp[3];		/* stack for entry from ring 3 (rsp[0]): the entry stack */
	u64 reserved1;
	u64 ist[7];		/* ist[0] is IST1 */
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;		/* beyond the limit: no I/O bitmap */
} __packed;

struct desc_ptr {
	u16 size;
	u64 address;
} __packed;

void gdt_init_cpu(int cpu);
void idt_init(void);
void idt_load(void);
struct tss *cpu_tss(int cpu);
void cpu_desc_tables_range(int cpu, u64 *start, u64 *end);
u64 idt_table_address(void);

#endif
