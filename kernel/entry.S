/*
 * entry.S - the first instructions of every interrupt and exception.
 *
 * The CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error
 * code (SDM Vol. 3A, "64-Bit Mode Stack Frame"), aligning RSP to 16 first.  Each vector's stub
 * makes the frame uniform (a 0 error code where the CPU pushes none), pushes
 * its vector number and jumps to common_interrupt, which saves the
 * general-purpose registers as a struct pt_regs (kernel/traps.h) and calls
 * do_trap(regs).  Returning restores them and leaves by IRETQ.
 *
 * SWAPGS discipline: GS.base holds the per-CPU pointer in the kernel and the
 * user's value in ring 3.  An entry from ring 3 (the saved CS has RPL 3) must
 * swap; an entry from ring 0 must not.  The same test decides on the way
 * out.  (NMI and #MC can interrupt the kernel between an entry and its
 * SWAPGS; the ring-3 issue gives them the "paranoid" GS-base check Linux
 * uses.  Until ring 3 exists, no entry comes from user mode.)
 */
#include "kernel/layout.h"

/* Vectors whose exceptions push an error code: SDM Vol. 3A, "Exception and Interrupt Vectors". */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			   (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign 16
common_interrupt:
	/* here: [rsp] = vector, 8 = error code, 16 = RIP, 24 = CS ... */
	testb	$3, 24(%rsp)		/* came from ring 3? */
	jz	1f
	swapgs				/* then GS.base := per-CPU pointer */
1:	pushq	%rdi			/* build struct pt_regs, last field first */
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15			/* RSP now points at the pt_regs */
	cld				/* the C ABI wants DF clear */
	movq	%rsp, %rdi		/* do_trap(struct pt_regs *regs) */
	call	do_trap			/* 21 words + 1 = aligned (see below) */
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	testb	$3, 24(%rsp)		/* returning to ring 3? */
	jz	2f
	swapgs				/* then give the user its GS.base back */
2:	addq	$16, %rsp		/* drop vector and error code */
	iretq
	/*
	 * Alignment: the CPU aligned RSP to 16 before pushing 5 words; the stub
	 * adds 2, common_interrupt 15: 22 words = 176 bytes, a multiple of 16,
	 * so RSP is 16-byte aligned at the CALL as the SysV ABI requires.
	 */

/* One stub per vector, 0..255, and idt_stub_table[] of their addresses. */
	.pushsection .rodata.idt_stub_table, "a"
	.balign 8
	.globl idt_stub_table
idt_stub_table:				/* the .quads below append here, in order */
	.popsection

	vector = 0
	.rept 256
	.balign 16
1:
	.if !HAS_ERROR_CODE(vector)
	pushq	$0			/* fake error code: one frame layout */
	.endif
	pushq	$vector
	jmp	common_interrupt
	.pushsection .rodata.idt_stub_table, "a"
	.quad	1b
	.popsection
	vector = vector + 1
	.endr
