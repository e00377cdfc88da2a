/*
 * syscall.h - how a system call handler is written and found.
 *
 * The ABI is Linux's x86-64 one (so man pages apply and Linux programs run
 * unchanged): number in RAX, arguments in RDI, RSI, RDX, R10, R8, R9 (R10,
 * not RCX: SYSCALL overwrites RCX with the return RIP), result in RAX,
 * errors as -errno in [-4095, -1] (kernel/errno.h has Linux's values).
 *
 * A handler is written with SYSCALL_DEFINEn, Linux's macro:
 *
 *	SYSCALL_DEFINE3(read, int, fd, char __user *, buf, size_t, count)
 *	{
 *		...
 *	}
 *
 * which defines __x64_sys_read(const struct pt_regs *regs) - the form
 * the table (kernel/syscall_table.c) holds - unpacking the registers into
 * typed arguments for the body.  Register values are truncated to the
 * declared type exactly as Linux does (an int fd ignores the upper half).
 *
 * The table's entries come from kernel/syscall_list.h, one line per
 * implemented call with its Linux number.  Anything else returns -ENOSYS
 * and is logged once per number; the process goes on.
 *
 * __user marks a pointer into user space: never dereference it, use
 * copy_from_user()/copy_to_user() (mm/uaccess.h), which check the range and
 * survive a fault.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "kernel/types.h"
#include "kernel/traps.h"

#define __user

typedef long (*sys_call_ptr_t)(const struct pt_regs *regs);

#define __SC_ARG1(regs)	((regs)->di)
#define __SC_ARG2(regs)	((regs)->si)
#define __SC_ARG3(regs)	((regs)->dx)
#define __SC_ARG4(regs)	((regs)->r10)
#define __SC_ARG5(regs)	((regs)->r8)
#define __SC_ARG6(regs)	((regs)->r9)

#define SYSCALL_DEFINE0(name)						\
	long __x64_sys_##name(const struct pt_regs *regs);		\
	static long __do_sys_##name(void);				\
	long __x64_sys_##name(const struct pt_regs *regs)		\
	{ return __do_sys_##name(); }					\
	static long __do_sys_##name(void)

#define SYSCALL_DEFINE1(name, t1, a1)					\
	long __x64_sys_##name(const struct pt_regs *regs);		\
	static long __do_sys_##name(t1 a1);				\
	long __x64_sys_##name(const struct pt_regs *regs)		\
	{ return __do_sys_##name((t1)__SC_ARG1(regs)); }		\
	static long __do_sys_##name(t1 a1)

#define SYSCALL_DEFINE2(name, t1, a1, t2, a2)				\
	long __x64_sys_##name(const struct pt_regs *regs);		\
	static long __do_sys_##name(t1 a1, t2 a2);			\
	long __x64_sys_##name(const struct pt_regs *regs)		\
	{ return __do_sys_##name((t1)__SC_ARG1(regs), (t2)__SC_ARG2(regs)); } \
	static long __do_sys_##name(t1 a1, t2 a2)

#define SYSCALL_DEFINE3(name, t1, a1, t2, a2, t3, a3)			\
	long __x64_sys_##name(const struct pt_regs *regs);		\
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3);		\
	long __x64_sys_##name(const struct pt_regs *regs)		\
	{ return __do_sys_##name((t1)__SC_ARG1(regs), (t2)__SC_ARG2(regs), \
				 (t3)__SC_ARG3(regs)); }		\
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3)

#define SYSCALL_DEFINE4(name, t1, a1, t2, a2, t3, a3, t4, a4)		\
	long __x64_sys_##name(const struct pt_regs *regs);		\
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4);	\
	long __x64_sys_##name(const struct pt_regs *regs)		\
	{ return __do_sys_##name((t1)__SC_ARG1(regs), (t2)__SC_ARG2(regs), \
				 (t3)__SC_ARG3(regs), (t4)__SC_ARG4(regs)); } \
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4)

#define SYSCALL_DEFINE5(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5)	\
	long __x64_sys_##name(const struct pt_regs *regs);		\
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5);	\
	long __x64_sys_##name(const struct pt_regs *regs)		\
	{ return __do_sys_##name((t1)__SC_ARG1(regs), (t2)__SC_ARG2(regs), \
				 (t3)__SC_ARG3(regs), (t4)__SC_ARG4(regs), \
				 (t5)__SC_ARG5(regs)); }		\
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5)

#define SYSCALL_DEFINE6(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	long __x64_sys_##name(const struct pt_regs *regs);		\
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6); \
	long __x64_sys_##name(const struct pt_regs *regs)		\
	{ return __do_sys_##name((t1)__SC_ARG1(regs), (t2)__SC_ARG2(regs), \
				 (t3)__SC_ARG3(regs), (t4)__SC_ARG4(regs), \
				 (t5)__SC_ARG5(regs), (t6)__SC_ARG6(regs)); } \
	static long __do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6)

/* The handlers that need the whole register frame (fork, clone, execve,
 * rt_sigreturn) are written by hand as __x64_sys_NAME(regs). */

#define NR_syscalls	335

void entry_SYSCALL_64(void);		/* kernel/entry.S */
void __noreturn ret_to_user(struct pt_regs *regs);	/* kernel/entry.S */
extern const sys_call_ptr_t sys_call_table[];
extern const char *const sys_call_names[];
void syscall_init(void);		/* MSRs: STAR, LSTAR, SFMASK; per CPU */

#endif
