/*
 * boot/trampoline.S - where an application processor (AP) starts.
 *
 * An AP wakes from INIT-SIPI-SIPI in real mode at CS:IP = (vector << 8):0,
 * i.e. physical vector * 4 KiB (SDM Vol. 3A, "MP Initialization Protocol
 * Algorithm").  So this code must sit below 1 MiB on a page boundary:
 * kernel/smpboot.c copies it (it is only data in the kernel image) to
 * TRAMPOLINE_BASE and fills in the parameter block at its end.
 *
 * It repeats boot/entry.S's climb, faster: real mode -> 32-bit protected
 * mode -> long mode (PAE, CR3 = trampoline_pgd, EFER.LME, CR0.PG) -> a
 * 64-bit jump to start_secondary() in the higher half on its own stack.
 * trampoline_pgd maps the first 2 MiB 1:1 (so the instructions after the
 * CR0.PG write can still be fetched) plus the kernel half of init_mm.
 *
 * Addresses: the code runs at TRAMPOLINE_BASE, not where it was linked, so
 * every absolute address is written as TRAMPOLINE_BASE + (label - start).
 */
#include "kernel/layout.h"

#define TRAMPOLINE_BASE	0x8000
#define ABS(x)		(TRAMPOLINE_BASE + ((x) - trampoline_start))
#define REL(x)		((x) - trampoline_start)

	.section .rodata, "a"
	.balign 16
	.globl trampoline_start, trampoline_end, trampoline_params
trampoline_start:
	.code16
	cli
	cld
	movw	%cs, %ax		/* CS = vector << 8: address our data */
	movw	%ax, %ds
	lgdtl	REL(tr_gdt_ptr)		/* DS-relative in real mode */
	movl	%cr0, %eax
	orl	$1, %eax		/* CR0.PE: protected mode */
	movl	%eax, %cr0
	ljmpl	$0x08, $ABS(tr_32)	/* load a 32-bit CS */

	.code32
tr_32:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$0x20, %eax		/* CR4.PAE */
	movl	%eax, %cr4
	movl	ABS(tr_cr3), %eax	/* trampoline_pgd, below 4 GiB */
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx	/* EFER: LME, plus NXE as on the BSP */
	rdmsr
	orl	ABS(tr_efer), %eax
	wrmsr
	movl	$0x80010001, %eax	/* CR0.PG | CR0.WP | CR0.PE */
	movl	%eax, %cr0
	ljmpl	$0x18, $ABS(tr_64)	/* load a 64-bit CS */

	.code64
tr_64:
	movq	ABS(tr_stack), %rsp	/* this AP's kernel stack */
	movl	ABS(tr_cpu), %edi	/* start_secondary(cpu) */
	movq	ABS(tr_entry), %rax
	xorl	%ebp, %ebp		/* backtraces end here */
	call	*%rax			/* into the higher half; CALL, not JMP: the
					 * pushed return address gives the callee
					 * RSP = 8 mod 16, as the SysV ABI promises
					 * (aligned locals, FXSAVE buffers) */
	ud2				/* start_secondary never returns */

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tr_gdt_end:
tr_gdt_ptr:
	.word	tr_gdt_end - tr_gdt - 1
	.long	ABS(tr_gdt)

	/* parameters, filled in by kernel/smpboot.c before each SIPI;
	 * layout = struct trampoline_params */
	.balign 8
trampoline_params:
tr_cr3:		.long 0
tr_efer:	.long 0
tr_stack:	.quad 0
tr_entry:	.quad 0
tr_cpu:		.long 0
tr_pad:		.long 0
trampoline_end:
