/*
 * syscall.c - the system-call table, its dispatcher, and the SYSCALL MSRs.
 *
 * do_syscall_64() runs every system call: with interrupts on, it looks the
 * number up (kernel/syscall_list.h has the implemented ones, with Linux's
 * numbers), stores the result in regs->ax, runs exit_to_user_mode() with
 * interrupts off, and tells entry_SYSCALL_64 whether SYSRET may be used.
 *
 * THE SYSRET RULES.  SYSRET is faster than IRETQ but restores less: RIP
 * from RCX, RFLAGS from R11, fixed CS/SS.  So it is used only when the
 * frame still looks exactly like what SYSCALL made: cx == ip and r11 ==
 * flags (execve, rt_sigreturn and signal delivery change ip), CS/SS the
 * user selectors, no TF/RF in flags, and ip canonical.  The last one is the
 * classic: on Intel CPUs SYSRET with a non-canonical RCX raises #GP *in
 * ring 0, on the user's stack* with the user's GS - CVE-2012-0217, which
 * let a ptrace'd or execve'd non-canonical RIP take over Xen, FreeBSD and
 * others.  Linux checks ip < 2^47 and otherwise takes the IRETQ path,
 * whose #GP on a bad RIP happens cleanly from ring 3's point of view; so
 * does Switchyard.
 *
 * Invariant: every return to ring 3 passes exit_to_user_mode() exactly
 * once, with interrupts off from there to the SYSRET/IRETQ.
 */
#include "kernel/syscall.h"
#include "kernel/traps.h"
#include "kernel/cpu.h"
#include "kernel/layout.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/asm-offsets.h"
#include "sched/sched.h"

/* weak: a listed call not yet written is a NULL entry, -ENOSYS at run time,
 * and the syscall_table_complete test fails */
#define __SYSCALL(nr, name) \
	long __x64_sys_##name(const struct pt_regs *regs) __attribute__((weak));
#include "kernel/syscall_list.h"
#undef __SYSCALL

#define __SYSCALL(nr, name)	[nr] = __x64_sys_##name,
const sys_call_ptr_t sys_call_table[NR_syscalls] = {
#include "kernel/syscall_list.h"
};
#undef __SYSCALL

#define __SYSCALL(nr, name)	[nr] = #name,
const char *const sys_call_names[NR_syscalls] = {
#include "kernel/syscall_list.h"
};
#undef __SYSCALL

static u64 enosys_reported[(NR_syscalls + 63) / 64 + 1];

static long sys_ni_syscall(long nr)
{
	u64 bit = nr >= 0 && nr < NR_syscalls ? (u64)nr : NR_syscalls;

	if (!(__atomic_fetch_or(&enosys_reported[bit / 64], BIT(bit % 64), __ATOMIC_RELAXED) &
	      BIT(bit % 64)))
		pr_info("syscall %ld not implemented (-ENOSYS), from %s[%d]\n", nr,
			current->comm, current->pid);
	return -ENOSYS;
}

static bool sysret_safe(const struct pt_regs *regs)
{
	return regs->cx == regs->ip && regs->r11 == regs->flags &&
	       regs->cs == __USER_CS && regs->ss == __USER_DS &&
	       regs->ip < TASK_SIZE_MAX &&
	       !(regs->flags & (X86_EFLAGS_TF | X86_EFLAGS_RF));
}

bool do_syscall_64(struct pt_regs *regs);
bool do_syscall_64(struct pt_regs *regs)
{
	long nr = (long)regs->error_code;	/* orig_ax: the number */

	local_irq_enable();
	if (nr >= 0 && nr < NR_syscalls && sys_call_table[nr])
		regs->ax = sys_call_table[nr](regs);
	else
		regs->ax = sys_ni_syscall(nr);
	local_irq_disable();
	exit_to_user_mode(regs);
	return sysret_safe(regs);
}

/* Per CPU.  SDM Vol. 3A, "Fast System Calls in 64-Bit Mode":
 * STAR[47:32] = kernel CS (SS = +8), STAR[63:48] = base for SYSRET
 * (CS = base + 16, SS = base + 8, both with RPL 3) - so user CS 0x33 and
 * SS 0x2b need base 0x23, the 32-bit user CS, as in Linux's GDT. */
void syscall_init(void)
{
	wrmsr(MSR_STAR, ((u64)(__USER32_CS & ~3) << 48) | ((u64)__KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (u64)entry_SYSCALL_64);
	wrmsr(MSR_SYSCALL_MASK, X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_IF |
	      X86_EFLAGS_IOPL | X86_EFLAGS_AC | X86_EFLAGS_NT);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}
