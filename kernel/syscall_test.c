/*
 * syscall_test.c - the system-call table is complete and the SYSCALL
 * MSRs are what kernel/entry.S expects.  (The calls themselves are tested
 * from ring 3: user/tests/.)
 */
#include "kernel/ktest.h"
#include "kernel/syscall.h"
#include "kernel/cpu.h"
#include "kernel/layout.h"

/* Every number in kernel/syscall_list.h has a handler: a missing one is
 * a weak NULL that would answer -ENOSYS at run time. */
KTEST(syscall_table_complete)
{
	for (int nr = 0; nr < NR_syscalls; nr++)
		if (sys_call_names[nr] && !sys_call_table[nr])
			ktest_fail(t, __FILE__, __LINE__, "syscall %d (%s) has no handler",
				   nr, sys_call_names[nr]);
}

KTEST(syscall_msrs)
{
	u64 star = rdmsr(MSR_STAR);

	KEXPECT_EQ(rdmsr(MSR_LSTAR), (u64)entry_SYSCALL_64);
	KEXPECT(rdmsr(MSR_EFER) & EFER_SCE);
	/* SYSRET: CS = base + 16 = __USER_CS, SS = base + 8 = __USER_DS */
	KEXPECT_EQ(((star >> 48) + 16) | 3, __USER_CS);
	KEXPECT_EQ(((star >> 48) + 8) | 3, __USER_DS);
	KEXPECT_EQ((star >> 32) & 0xffff, __KERNEL_CS);
	KEXPECT(rdmsr(MSR_SYSCALL_MASK) & X86_EFLAGS_IF);
	KEXPECT(rdmsr(MSR_SYSCALL_MASK) & X86_EFLAGS_AC);
}
