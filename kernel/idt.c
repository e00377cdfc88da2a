/*
 * idt.c - the Interrupt Descriptor Table: 256 gates, one per vector, each
 * pointing at its stub in kernel/entry.S.
 *
 * All gates are interrupt gates (IF cleared on entry; SDM Vol. 3A, "Interrupt Procedures")
 * so a handler starts with interrupts off and decides itself when to enable
 * them.  #BP and #OF are DPL 3 so that INT3 and INTO work from ring 3 (for
 * debuggers); every other vector is DPL 0, so INT n from ring 3 for it
 * raises #GP instead of faking an exception or a device interrupt.
 *
 * The table is shared by all CPUs: it never changes after idt_init().
 */
#include "kernel/desc.h"
#include "kernel/traps.h"

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;			/* bits 0..2: IST index, 0 = none */
	u8 type_attr;		/* P, DPL, type (0xe = 64-bit interrupt gate) */
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

#define GATE_INTERRUPT	0x8e	/* P=1, DPL=0, type 14 */
#define GATE_DPL3	0x60

extern const u64 idt_stub_table[256];
/* A page of its own: page-table isolation maps it for ring 3 (mm/pti.c),
 * since the CPU reads the gate before the entry code can switch CR3. */
static struct idt_gate idt[256] __aligned(PAGE_SIZE);
_Static_assert(sizeof(idt) == PAGE_SIZE, "the IDT is exactly one page");

u64 idt_table_address(void)
{
	return (u64)idt;
}

static void set_gate(unsigned vec, u64 handler, u8 ist, u8 dpl3)
{
	struct idt_gate *g = &idt[vec];

	g->offset_low = handler & 0xffff;
	g->selector = __KERNEL_CS;
	g->ist = ist;
	g->type_attr = GATE_INTERRUPT | (dpl3 ? GATE_DPL3 : 0);
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_high = handler >> 32;
	g->reserved = 0;
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, idt_stub_table[v], 0, 0);
	set_gate(X86_TRAP_DF, idt_stub_table[X86_TRAP_DF], IST_DF, 0);
	set_gate(X86_TRAP_NMI, idt_stub_table[X86_TRAP_NMI], IST_NMI, 0);
	set_gate(X86_TRAP_MC, idt_stub_table[X86_TRAP_MC], IST_MC, 0);
	set_gate(X86_TRAP_BP, idt_stub_table[X86_TRAP_BP], 0, 1);
	set_gate(X86_TRAP_OF, idt_stub_table[X86_TRAP_OF], 0, 1);
	idt_load();
}

void idt_load(void)
{
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)idt };

	asm volatile("lidt %0" : : "m"(idtr));
}
