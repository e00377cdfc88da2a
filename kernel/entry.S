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
 * out.
 *
 * PARANOID ENTRIES: NMI, #MC and #DF can arrive anywhere - also in the
 * few instructions between SYSCALL and its SWAPGS, or between the exit's
 * SWAPGS and SYSRET/IRETQ, where CS says "kernel" but GS.base is still
 * (or already) the user's.  For them the CS test lies, so
 * paranoid_interrupt asks the MSR instead: a GS.base with the sign bit
 * set is a kernel address (the per-CPU area); anything else is the
 * user's, and gets swapped and swapped back.  This relies on user GS
 * bases being user addresses: arch_prctl refuses others, and CR4.FSGSBASE
 * (which would let ring 3 write any value) stays off.
 *
 * SYSCALL (entry_SYSCALL_64) saves no stack: the CPU puts the return RIP
 * in RCX and RFLAGS in R11 and masks RFLAGS with IA32_FMASK (IF, TF, DF,
 * AC... cleared), and RSP is still the user's.  So the entry swaps GS,
 * parks the user RSP in a per-CPU slot, loads the task's kernel stack and
 * builds the same struct pt_regs an interrupt from ring 3 would, with
 * vector = SYSCALL_VECTOR_MARK and error_code = the syscall number.  The
 * way out is SYSRET when do_syscall_64() says it is safe (see
 * kernel/syscall.c for the SYSRET rules), else the IRETQ path.
 *
 * THE ENTRY STACK AND PAGE-TABLE ISOLATION (mm/pti.c).  TSS.RSP0 is a
 * small per-CPU entry stack (kernel/gdt.c), not the task's stack.  An
 * entry from ring 3 swaps GS, switches CR3 to the kernel page tables (if
 * pti is on), and only then copies the hardware frame to the task's
 * kernel stack.  The exit does the reverse: copy the IRET frame (or, for
 * SYSRET, the user RSP) to the entry stack, switch CR3 to the user page
 * tables, SWAPGS, leave.  Between the user-CR3 write and ring 3 the code
 * may touch only what the user page tables map: this file's text (the
 * .entry.text section), the entry stack, the IDT/GDT/TSS, and the first
 * page of the per-CPU area (the entry page, kernel/percpu.h).  No C code
 * runs under the user CR3, and none may: the kernel is not mapped there.
 *   entry: CR3 := CR3 with the user bits cleared (bit 12: user PGD, bit 11:
 *          uPCID) | NOFLUSH when PCIDs are native - the kPCID is always
 *          kept current by the kernel, so it never owes a flush.
 *   exit:  CR3 := percpu.user_cr3, computed in C just before
 *          (prepare_user_cr3, mm/tlb.c), which consumed this ASID's
 *          pending-flush bit with one btr and left NOFLUSH off exactly
 *          when the bit was set (seed 003).
 * The CR3 writes here are the only ones outside write_cr3() in mm/tlb.c:
 * C cannot run where they happen.  They never point CR3 at another
 * address space, only at the other half of the same 8 KiB PGD pair.
 */
#include "kernel/layout.h"
#include "kernel/asm-offsets.h"
#include "mm/asid.h"

#define MSR_GS_BASE	0xc0000101

/*
 * An interrupt does not clear RFLAGS.AC (SDM Vol. 3A, "Supervisor-Mode
 * Access Prevention"): one arriving inside a STAC..CLAC user-copy window
 * would run its handler with SMAP off.  So every entry clears it (the
 * interrupted AC is in the saved RFLAGS and comes back with IRETQ).  CLAC
 * is #UD without SMAP, hence the test.  SYSCALL needs none: IA32_FMASK
 * clears AC.
 */
/* The general registers in struct pt_regs order (kernel/traps.h): RDI is
 * pushed first, so it sits highest, just below the vector; R15 lowest. */
.macro PUSH_REGS
	pushq	%rdi
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
	pushq	%r15
.endm

.macro POP_REGS
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
.endm

/* The two CR3 bits that separate a user CR3 from its kernel twin. */
#define PTI_USER_BITS	((1 << CR3_PTI_USER_PGTABLE_BIT) | (1 << CR3_PTI_PCID_USER_BIT))

/*
 * With PTI: CR3 := the kernel half of the loaded PGD pair, under the kPCID,
 * NOFLUSH when PCIDs are native.  GS must already be the kernel's (the
 * flag and the NOFLUSH bit live in the entry page).  Clobbers \reg.
 */
.macro SWITCH_TO_KERNEL_CR3 reg
	testb	$1, %gs:PERCPU_pti		/* isolation off: one CR3 for both */
	jz	.Lkcr3_done_\@
	movq	%cr3, \reg			/* bit 63 always reads as 0 */
	andq	$~PTI_USER_BITS, \reg		/* kernel PGD, kPCID */
	orq	%gs:PERCPU_kernel_cr3_noflush, \reg	/* keep the kPCID's entries */
	movq	\reg, %cr3
.Lkcr3_done_\@:
.endm

/* With PTI: CR3 := percpu.user_cr3 (prepared by prepare_user_cr3() in
 * mm/tlb.c).  After it only entry-area memory is mapped.  Clobbers \reg. */
.macro SWITCH_TO_USER_CR3 reg
	testb	$1, %gs:PERCPU_pti
	jz	.Lucr3_done_\@
	movq	%gs:PERCPU_user_cr3, \reg
	movq	\reg, %cr3
.Lucr3_done_\@:
.endm

.macro CLAC_IF_SMAP
	testb	$1, smap_enabled(%rip)
	jz	.Lno_clac_\@
	clac
.Lno_clac_\@:
.endm

/* Vectors whose exceptions push an error code: SDM Vol. 3A, "Exception and Interrupt Vectors". */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			   (v) == 21 || (v) == 29 || (v) == 30)

	.section .entry.text, "ax"
	.balign 16
common_interrupt:
	/* here: [rsp] = vector, 8 = error code, 16 = RIP, 24 = CS ... */
	cmpq	$2, (%rsp)		/* NMI, #DF, #MC: paranoid, see above */
	je	paranoid_interrupt
	cmpq	$8, (%rsp)
	je	paranoid_interrupt
	cmpq	$18, (%rsp)
	je	paranoid_interrupt
	testb	$3, 24(%rsp)		/* came from ring 3? */
	jz	1f			/* no: already on the task's stack */
	swapgs				/* GS.base := per-CPU pointer */
	pushq	%rdi			/* a scratch register, on the entry stack */
	SWITCH_TO_KERNEL_CR3 %rdi	/* the kernel is mapped from here on */
	movq	%rsp, %rdi		/* rdi = entry stack: saved rdi, vector .. SS */
	movq	%gs:PERCPU_top_of_stack, %rsp	/* this task's kernel stack */
	pushq	56(%rdi)		/* SS */
	pushq	48(%rdi)		/* RSP */
	pushq	40(%rdi)		/* RFLAGS */
	pushq	32(%rdi)		/* CS */
	pushq	24(%rdi)		/* RIP */
	pushq	16(%rdi)		/* error code */
	pushq	8(%rdi)			/* vector */
	movq	(%rdi), %rdi		/* the interrupted rdi back */
1:	PUSH_REGS			/* build struct pt_regs, last field first */
	cld				/* the C ABI wants DF clear */
	CLAC_IF_SMAP			/* and no user access by accident */
	movq	%rsp, %rdi		/* do_trap(struct pt_regs *regs) */
	call	do_trap			/* 21 words + 1 = aligned (see below) */
	.globl restore_regs_and_iret
restore_regs_and_iret:			/* RSP = a struct pt_regs; leave by IRETQ */
	testb	$3, 144(%rsp)		/* pt_regs.cs: returning to ring 3? */
	jnz	swapgs_restore_regs_and_return_to_usermode
	POP_REGS
	addq	$16, %rsp		/* drop vector and error code */
	iretq
	/*
	 * Alignment: the CPU aligned RSP to 16 before pushing 5 words; the stub
	 * adds 2, common_interrupt 15: 22 words = 176 bytes, a multiple of 16,
	 * so RSP is 16-byte aligned at the CALL as the SysV ABI requires.  The
	 * task's top_of_stack is 16-aligned too, so the copied frame keeps it.
	 */

/*
 * To ring 3 by IRETQ: the frame moves to the entry stack, which the user
 * page tables map, then CR3 and GS change and IRETQ leaves.  Interrupts
 * are off (exit_to_user_mode) and nothing here can fault: the frame was
 * checked (kernel/signal.c refuses non-canonical RIPs, CS/SS are ours).
 */
swapgs_restore_regs_and_return_to_usermode:
	POP_REGS			/* rsp: vector, error code, RIP, CS, RFLAGS, RSP, SS */
	movq	%rdi, (%rsp)		/* the vector slot is dead: keep rdi there */
	movq	%rsp, %rdi
	movq	%gs:PERCPU_entry_stack_top, %rsp
	pushq	48(%rdi)		/* SS */
	pushq	40(%rdi)		/* RSP */
	pushq	32(%rdi)		/* RFLAGS */
	pushq	24(%rdi)		/* CS */
	pushq	16(%rdi)		/* RIP */
	pushq	(%rdi)			/* the user's rdi */
	SWITCH_TO_USER_CR3 %rdi		/* from here: entry area only */
	popq	%rdi
	swapgs				/* give the user its GS.base back */
	iretq

/*
 * NMI, #DF, #MC.  Same frame; GS decided by the MSR (header comment), and
 * CR3 by its own bit 12: these can arrive between an entry and its
 * SWITCH_TO_KERNEL_CR3, or between the exit's SWITCH_TO_USER_CR3 and
 * IRETQ, where neither CS nor GS says which page tables are loaded.  The
 * IST stacks are mapped in the user page tables (kernel/gdt.c).
 * RBX and R14 survive do_trap (callee-saved): did we swap GS, and the
 * user CR3 found (0: the kernel half was loaded).  The way back loads
 * percpu.user_cr3 rather than R14: it is the value R14 was read from (no
 * exit has run on this CPU since), but with its NOFLUSH bit, which a CR3
 * read never returns - writing R14 back would flush the uPCID.
 */
	.balign 16
paranoid_interrupt:
	PUSH_REGS			/* build struct pt_regs, last field first */
	cld
	xorl	%ebx, %ebx		/* rbx = 0: did not swap */
	movl	$MSR_GS_BASE, %ecx
	rdmsr				/* edx = high half of GS.base */
	testl	%edx, %edx
	js	1f			/* sign set: already the kernel's */
	swapgs				/* the user's: take the kernel's */
	movl	$1, %ebx
1:	xorl	%r14d, %r14d		/* r14 = 0: CR3 not switched */
	testb	$1, %gs:PERCPU_pti
	jz	2f
	movq	%cr3, %rax
	btq	$CR3_PTI_USER_PGTABLE_BIT, %rax
	jnc	2f			/* the kernel half is loaded already */
	movq	%rax, %r14		/* the user CR3, for the way out */
	andq	$~PTI_USER_BITS, %rax
	orq	%gs:PERCPU_kernel_cr3_noflush, %rax
	movq	%rax, %cr3
2:	CLAC_IF_SMAP			/* reads kernel data: after the CR3 switch */
	movq	%rsp, %rdi
	call	do_trap
	testq	%r14, %r14		/* came in on the user page tables? */
	jz	3f
	SWITCH_TO_USER_CR3 %rax		/* then back to them: the CR3 the last */
3:					/* exit prepared, the one r14 read */	testl	%ebx, %ebx
	jz	4f
	swapgs				/* give back what we found */
4:	POP_REGS
	addq	$16, %rsp		/* vector and error code */
	iretq

/*
 * SYSCALL from ring 3 (IA32_LSTAR points here).  On entry: RCX = user RIP,
 * R11 = user RFLAGS, RSP = user stack, IF = 0 (IA32_FMASK), GS = user's.
 * SDM Vol. 2B, "SYSCALL".
 */
	.balign 16
	.globl entry_SYSCALL_64
entry_SYSCALL_64:
	swapgs					/* GS.base := per-CPU area */
	movq	%rsp, %gs:PERCPU_user_rsp_scratch	/* park the user RSP */
	SWITCH_TO_KERNEL_CR3 %rsp		/* RSP is free: it is parked */
	movq	%gs:PERCPU_top_of_stack, %rsp	/* this task's kernel stack */
	pushq	$__USER_DS			/* pt_regs.ss */
	pushq	%gs:PERCPU_user_rsp_scratch	/* pt_regs.sp */
	pushq	%r11				/* pt_regs.flags */
	pushq	$__USER_CS			/* pt_regs.cs */
	pushq	%rcx				/* pt_regs.ip */
	pushq	%rax				/* pt_regs.error_code: the syscall number */
	pushq	$SYSCALL_VECTOR_MARK		/* pt_regs.vector */
	PUSH_REGS			/* build struct pt_regs, last field first */
	movq	%rsp, %rdi			/* do_syscall_64(regs): true = SYSRET is safe */
	call	do_syscall_64			/* top is 16-aligned, 22 words: aligned */
	testb	%al, %al
	jz	restore_regs_and_iret		/* IRETQ: the general, always-correct exit */
	POP_REGS				/* SYSRET: RCX = RIP, R11 = RFLAGS, checked */
	movq	%rdi, (%rsp)			/* the vector slot keeps rdi */
	movq	%rsp, %rdi
	movq	%gs:PERCPU_entry_stack_top, %rsp	/* mapped in the user tables too */
	pushq	40(%rdi)			/* pt_regs.sp: the user RSP */
	pushq	(%rdi)				/* the user's rdi */
	SWITCH_TO_USER_CR3 %rdi			/* from here: entry area only */
	popq	%rdi
	popq	%rsp				/* back on the user stack */
	swapgs					/* GS.base := the user's */
	sysretq					/* CS/SS from IA32_STAR, RIP = RCX, RFLAGS = R11 */

/*
 * ret_to_user(regs): a task's first return to ring 3 (a forked child, or
 * init after its exec) - load RSP with its pt_regs and leave by IRETQ.
 */
	.globl ret_to_user
ret_to_user:
	movq	%rdi, %rsp
	jmp	restore_regs_and_iret

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
