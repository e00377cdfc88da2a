/*
 * irq_vectors.h - THE map of interrupt vectors; nothing else picks numbers.
 *
 * Numbers follow Linux (arch/x86/include/asm/irq_vectors.h) so that a
 * student comparing traces sees the same values:
 *
 *   0x00-0x1f  CPU exceptions (SDM Vol. 3A, "Exception and Interrupt Vectors")
 *   0x20-0x2f  the legacy 8259 PICs, remapped here and masked: only a
 *              spurious IRQ 7/15 can still arrive
 *   0x30-0x3f  ISA IRQs routed through the I/O APIC (ISA_IRQ_VECTOR(irq))
 *   0xec       local APIC timer
 *   0xfb-0xfd  IPIs: call-function-single, call-function, reschedule
 *   0xfe       local APIC error
 *   0xff       local APIC spurious (its low 4 bits must be 1s on old
 *              APICs; 0xff satisfies every generation)
 *
 * A vector's priority class is vector >> 4 (SDM Vol. 3A, "Task and
 * Processor Priorities"), so the IPIs and the timer sit above device IRQs.
 */
#ifndef KERNEL_IRQ_VECTORS_H
#define KERNEL_IRQ_VECTORS_H

#define FIRST_EXTERNAL_VECTOR		0x20
#define PIC_MASTER_VECTOR		0x20
#define PIC_SLAVE_VECTOR		0x28
#define ISA_IRQ_VECTOR(irq)		(0x30 + (irq))
#define LOCAL_TIMER_VECTOR		0xec
#define CALL_FUNCTION_SINGLE_VECTOR	0xfb
#define CALL_FUNCTION_VECTOR		0xfc
#define RESCHEDULE_VECTOR		0xfd
#define ERROR_APIC_VECTOR		0xfe
#define SPURIOUS_APIC_VECTOR		0xff
#define NR_VECTORS			256

#endif
