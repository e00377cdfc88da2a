/*
 * catch_asm.S - the register save/restore behind catch_exception().
 *
 * __catch_call(fn, arg, stack_top, ctx) saves RBX, RBP, R12-R15 on the
 * current stack, records RSP and the landing address in *ctx, switches to
 * stack_top if given, and calls fn(arg).  A normal return comes back here
 * and yields -1.  An exception makes kernel/catch.c rewrite the interrupted
 * frame so that IRETQ "returns" to the landing label with RSP = ctx->sp and
 * RAX = the vector: the same pops then restore the callee-saved registers.
 */
	.text
	.globl __catch_call
__catch_call:				/* rdi=fn rsi=arg rdx=stack_top rcx=ctx */
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp		/* 16-byte alignment for the call */
	movq	%rsp, 0(%rcx)		/* ctx->sp */
	leaq	.Lland(%rip), %rax
	movq	%rax, 8(%rcx)		/* ctx->ip: where an exception resumes */
	movq	%rbp, 16(%rcx)		/* ctx->bp */
	movq	%rdi, %rax		/* fn */
	movq	%rsi, %rdi		/* its argument */
	testq	%rdx, %rdx
	jz	1f
	movq	%rdx, %rsp		/* run fn on the given stack */
1:	call	*%rax
	movq	$-1, %rax		/* returned normally */
	movq	%rbp, %rsp		/* back to our frame */
	subq	$48, %rsp		/* ... where the pushes are */
.Lland:
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
