/*
 * switch.S - the register and stack switch, and a new task's first steps.
 *
 * struct task_struct *__switch_to_asm(prev, next)     (rdi, rsi)
 *
 * The C calling convention already lets the compiler assume every
 * caller-saved register is clobbered by this call, so only the
 * callee-saved ones (rbx, rbp, r12-r15) and RFLAGS must survive the trip
 * through another task.  They are pushed on prev's stack, RSP is stored in
 * prev->thread.sp, next's RSP is loaded, next's registers popped: next now
 * continues from its own earlier call of __switch_to_asm (or, for a new
 * task, from the frame kthread_create() built, whose "return address" is
 * ret_from_fork).  The stack layout is struct inactive_task_frame
 * (sched/sched.h) plus RFLAGS.
 *
 * RFLAGS is per task because of AC: a task preempted inside a
 * STAC..CLAC user-copy window (an interrupt does not clear AC) must not
 * hand AC=1 - SMAP switched off - to the next task.
 */
#define TASK_threadsp	0	/* offsetof(struct task_struct, thread.sp) */

	.text
	.globl __switch_to_asm
	.type __switch_to_asm, @function
__switch_to_asm:
	pushfq				/* prev's RFLAGS (AC, DF) */
	pushq	%rbp			/* prev's callee-saved registers */
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, TASK_threadsp(%rdi)	/* prev->thread.sp = rsp */
	movq	TASK_threadsp(%rsi), %rsp	/* rsp = next->thread.sp: now on next's stack */
	popq	%r15			/* next's callee-saved registers */
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	popfq				/* next's RFLAGS (IF is 0 in both) */
	jmp	__switch_to		/* C; its RET returns into next, with rax = prev */
	.size __switch_to_asm, . - __switch_to_asm

/*
 * A new task's first instructions, "returned to" by __switch_to.
 * rax = prev (the task switched away from), rbx = the function to run,
 * r12 = its argument (kthread_create() put them in the frame).
 */
	.globl ret_from_fork
	.type ret_from_fork, @function
ret_from_fork:
	movq	%rax, %rdi		/* schedule_tail(prev): unlock rq, IRQs on */
	call	schedule_tail
	movq	%r12, %rdi		/* fn(arg); kthread_entry never returns */
	call	*%rbx
	ud2				/* not reached */
	.size ret_from_fork, . - ret_from_fork
