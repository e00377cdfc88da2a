/*
 * boot/entry.S - from GRUB's 32-bit hand-off to kmain() in 64-bit long mode.
 *
 * Machine state on entry (Multiboot2 spec, section 3.3 "I386 machine state"):
 * 32-bit protected mode, paging off, flat segments, interrupts off,
 * EAX = 0x36d76289, EBX = physical address of the multiboot2 information.
 * ESP is undefined: we must set up our own stack before any call or push.
 *
 * Long mode needs paging (Intel SDM Vol. 3A, "Initializing IA-32e
 * Mode"): enable CR4.PAE, load CR3, set EFER.LME, then set CR0.PG; the CPU
 * is then in compatibility mode until a far jump loads a 64-bit code segment.
 *
 * The first page tables map physical 0..4 GiB with 2 MiB pages three times:
 *   PML4[0]   identity       - the code below keeps running after CR0.PG=1
 *   PML4[256] direct map     - PAGE_OFFSET + phys
 *   PML4[511] kernel window  - KERNEL_VMA + phys (first 2 GiB)
 * kmain() drops the identity map once it runs in the higher half.
 *
 * Register use in the 32-bit part: EBP keeps the magic and ESI the info
 * pointer, because CPUID and REP STOS clobber EAX, EBX, ECX, EDX, EDI.
 */
#include "kernel/layout.h"

#define V2P(x)		((x) - KERNEL_VMA)
#define PTE_P		0x001
#define PTE_RW		0x002
#define PTE_PS		0x080		/* 2 MiB page in a page directory entry */
#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
#define COM1		0x3f8

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli				/* GRUB says they are off; be sure */
	cld				/* string ops count upwards */
	movl	$V2P(boot_stack_top), %esp	/* a stack, by physical address */
	movl	%eax, %ebp		/* multiboot2 magic */
	movl	%ebx, %esi		/* multiboot2 info (physical) */

	cmpl	$0x36d76289, %ebp	/* loaded by something else? */
	movl	$msg_no_mb2, %ebx
	jne	early_fail

	movl	$0x80000000, %eax	/* highest extended CPUID leaf */
	cpuid
	cmpl	$0x80000001, %eax
	movl	$msg_no_lm, %ebx
	jb	early_fail
	movl	$0x80000001, %eax
	cpuid
	btl	$29, %edx		/* CPUID.80000001H:EDX.LM[bit 29] */
	movl	$msg_no_lm, %ebx
	jnc	early_fail

	/* Zero the 7 page-table pages: GRUB zeroes .bss, but be certain. */
	movl	$V2P(boot_pgt), %edi
	xorl	%eax, %eax
	movl	$(7 * 4096 / 4), %ecx
	rep stosl

	/* Four page directories = 2048 entries of 2 MiB = physical 0..4 GiB. */
	movl	$V2P(boot_pd), %edi
	movl	$(PTE_PS | PTE_RW | PTE_P), %eax
	movl	$2048, %ecx
1:	movl	%eax, (%edi)		/* low dword; the high dword stays 0 */
	addl	$0x200000, %eax		/* next 2 MiB frame */
	addl	$8, %edi
	loop	1b

	/* Low PDPT: entries 0..3 point at the four directories. */
	movl	$V2P(boot_pdpt_low), %edi
	movl	$(V2P(boot_pd) + PTE_RW + PTE_P), %eax
	movl	%eax, 0(%edi)
	addl	$4096, %eax
	movl	%eax, 8(%edi)
	addl	$4096, %eax
	movl	%eax, 16(%edi)
	addl	$4096, %eax
	movl	%eax, 24(%edi)

	/* High PDPT: entries 510, 511 = physical 0..2 GiB at KERNEL_VMA. */
	movl	$V2P(boot_pdpt_high), %edi
	movl	$(V2P(boot_pd) + PTE_RW + PTE_P), %eax
	movl	%eax, (510 * 8)(%edi)
	addl	$4096, %eax
	movl	%eax, (511 * 8)(%edi)

	/* PML4: identity, direct map, kernel window. */
	movl	$V2P(boot_pml4), %edi
	movl	$(V2P(boot_pdpt_low) + PTE_RW + PTE_P), %eax
	movl	%eax, (0 * 8)(%edi)
	movl	%eax, (256 * 8)(%edi)
	movl	$(V2P(boot_pdpt_high) + PTE_RW + PTE_P), %eax
	movl	%eax, (511 * 8)(%edi)

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax		/* long mode requires PAE paging */
	movl	%eax, %cr4
	movl	$V2P(boot_pml4), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax		/* ask for IA-32e mode ... */
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax	/* ... which activates with paging */
	movl	%eax, %cr0

	lgdt	boot_gdt_ptr		/* a GDT with a 64-bit code segment */
	ljmp	$__KERNEL_CS, $entry64	/* leave compatibility mode */

/* Print the NUL-terminated string at EBX on COM1 and halt forever. */
early_fail:
	movw	$(COM1 + 3), %dx
	movb	$0x03, %al		/* 8 data bits, no parity, 1 stop bit */
	outb	%al, %dx
2:	movb	(%ebx), %al
	testb	%al, %al
	jz	4f
	movw	$(COM1 + 5), %dx	/* line status register */
3:	inb	%dx, %al
	testb	$0x20, %al		/* transmit holding register empty? */
	jz	3b
	movb	(%ebx), %al
	movw	$COM1, %dx
	outb	%al, %dx
	incl	%ebx
	jmp	2b
4:	hlt
	jmp	4b

	.code64
entry64:
	movl	$__KERNEL_DS, %eax	/* data segments: flat, ignored in 64-bit */
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movabsq	$higher_half, %rax	/* still running at the identity address; */
	jmp	*%rax			/* jump into the kernel window */

	.section .boot.data, "a"
msg_no_mb2:
	.asciz "switchyard: not loaded by a multiboot2 boot loader\r\n"
msg_no_lm:
	.asciz "switchyard: this CPU has no 64-bit long mode\r\n"

	.balign 8
boot_gdt:
	.quad 0				/* null descriptor */
	.quad 0				/* 0x08: unused (Linux layout) */
	.quad 0x00af9a000000ffff	/* 0x10: 64-bit code, DPL 0 (L=1, D=0) */
	.quad 0x00cf92000000ffff	/* 0x18: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt			/* physical: paging is off at the lgdt */

	.text
higher_half:
	movabsq	$boot_stack_top, %rsp	/* the same stack, by its virtual address */
	movl	%ebp, %edi		/* kmain(magic, */
	movl	%esi, %esi		/*       info) - zero-extends to 64 bits */
	xorl	%ebp, %ebp		/* frame-pointer chain ends here */
	call	kmain			/* RSP is 16-byte aligned before the call (SysV ABI) */
5:	cli
	hlt
	jmp	5b

	.bss
	.balign 4096
	.globl boot_pgt, boot_pml4
boot_pgt:
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4 * 4096

	/* mm/init.c leaves the guard page unmapped: a boot-stack overflow
	 * faults (and double-faults onto the IST stack) instead of silently
	 * overwriting the page tables above. */
	.balign 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard: .skip 4096
boot_stack:	.skip BOOT_STACK_SIZE
boot_stack_top:
