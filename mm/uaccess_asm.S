/*
 * uaccess_asm.S - the instructions that touch user memory.
 *
 * REP MOVSB/STOSB are interruptible and restartable: when one faults, RCX,
 * RSI and RDI describe exactly the bytes left (SDM Vol. 2B, REP prefix).  So
 * the fix-up only has to return RCX.  After a successful demand fault the
 * handler resumes the same REP instruction, which carries on where it
 * stopped.
 */
#include "kernel/extable.h"

	.text
/* unsigned long __copy_user(void *to, const void *from, unsigned long n)
 * returns the number of bytes not copied */
	.globl __copy_user
__copy_user:
	movq	%rdx, %rcx		/* count */
1:	rep movsb			/* may fault on either side */
2:	movq	%rcx, %rax		/* bytes left: 0 unless it faulted */
	ret
	.pushsection __ex_table, "a"
	.balign 8
	.quad 1b, 2b, EX_TYPE_UACCESS
	.popsection

/* unsigned long __clear_user(void *to, unsigned long n) */
	.globl __clear_user
__clear_user:
	movq	%rsi, %rcx
	xorl	%eax, %eax
3:	rep stosb
4:	movq	%rcx, %rax
	ret
	.pushsection __ex_table, "a"
	.balign 8
	.quad 3b, 4b, EX_TYPE_UACCESS
	.popsection

/* long __strncpy_from_user(char *dst, const char *src, long count)
 * returns the length (without the NUL), count if no NUL was found within
 * count bytes, or -EFAULT (-14) if reading the source faulted */
	.globl __strncpy_from_user
__strncpy_from_user:
	xorl	%eax, %eax		/* bytes copied so far */
5:	cmpq	%rdx, %rax
	je	7f			/* count reached without a NUL */
6:	movb	(%rsi,%rax), %cl	/* the only user access */
	movb	%cl, (%rdi,%rax)
	testb	%cl, %cl
	je	7f			/* copied the NUL: done */
	incq	%rax
	jmp	5b
7:	ret
8:	movq	$-14, %rax
	ret
	.pushsection __ex_table, "a"
	.balign 8
	.quad 6b, 8b, EX_TYPE_UACCESS
	.popsection
	.section .note.GNU-stack, "", @progbits
