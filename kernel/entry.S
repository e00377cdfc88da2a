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
 */
#include "kernel/layout.h"
#include "kernel/asm-offsets.h"

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

.macro CLAC_IF_SMAP
	testb	$1, smap_enabled(%rip)
	jz	.Lno_clac_\@
	clac
.Lno_clac_\@:
.endm

/* Vectors whose exceptions push an error code: SDM Vol. 3A, "Exception and Interrupt Vectors". */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			   (v) == 21 || (v) == 29 || (v) == 30)

	.text
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
	jz	1f
	swapgs				/* then GS.base := per-CPU pointer */
1:	PUSH_REGS			/* build struct pt_regs, last field first */
	cld				/* the C ABI wants DF clear */
	CLAC_IF_SMAP			/* and no user access by accident */
	movq	%rsp, %rdi		/* do_trap(struct pt_regs *regs) */
	call	do_trap			/* 21 words + 1 = aligned (see below) */
	.globl restore_regs_and_iret
restore_regs_and_iret:			/* RSP = a struct pt_regs; leave by IRETQ */
	POP_REGS
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

/*
 * NMI, #DF, #MC.  Same frame; GS decided by the MSR (header comment).
 * RBX survives do_trap (callee-saved) and remembers whether we swapped.
 */
	.balign 16
paranoid_interrupt:
	PUSH_REGS			/* build struct pt_regs, last field first */
	cld
	CLAC_IF_SMAP
	xorl	%ebx, %ebx		/* rbx = 0: did not swap */
	movl	$MSR_GS_BASE, %ecx
	rdmsr				/* edx = high half of GS.base */
	testl	%edx, %edx
	js	1f			/* sign set: already the kernel's */
	swapgs				/* the user's: take the kernel's */
	movl	$1, %ebx
1:	movq	%rsp, %rdi
	call	do_trap
	testl	%ebx, %ebx
	jz	2f
	swapgs				/* give back what we found */
2:	POP_REGS
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
	movq	40(%rsp), %rsp			/* pt_regs.sp: back on the user stack */
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
