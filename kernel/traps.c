/*
 * traps.c - what happens after kernel/entry.S has saved the registers.
 *
 * do_trap() is the single C entry for every vector.  For an exception in
 * kernel mode there are three outcomes, in this order:
 *   1. the instruction has an exception fix-up (kernel/extable.c): resume;
 *   2. it is #BP (INT3): report it and continue after the INT3;
 *   3. a test armed catch_exception() (kernel/catch.c): report, resume there;
 *   4. anything else is a kernel bug: print the report and panic.
 * Page faults go to mm/fault.c first (demand paging, uaccess).
 * Faults from ring 3 will become signals (ring-3 issue); device interrupts
 * (vector >= 32) get handlers from the SMP issue.
 *
 * The report copies Linux's wording ("BUG: unable to handle page fault",
 * "invalid opcode", "Call Trace:") so students can compare it with a real
 * oops and search for it.
 */
#include "kernel/traps.h"
#include "kernel/extable.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/stacktrace.h"
#include "kernel/kallsyms.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/catch.h"
#include "kernel/irq.h"
#include "mm/mm.h"
#include "mm/kstack.h"
#include "sched/sched.h"
#include "kernel/signal.h"
#include "kernel/process.h"
#include "fpu/fpu.h"

static const char *const exception_names[32] = {
	[X86_TRAP_DE] = "divide error",
	[X86_TRAP_DB] = "debug",
	[X86_TRAP_NMI] = "non-maskable interrupt",
	[X86_TRAP_BP] = "int3",
	[X86_TRAP_OF] = "overflow",
	[X86_TRAP_BR] = "bounds",
	[X86_TRAP_UD] = "invalid opcode",
	[X86_TRAP_NM] = "device not available",
	[X86_TRAP_DF] = "double fault",
	[9] = "coprocessor segment overrun",
	[X86_TRAP_TS] = "invalid TSS",
	[X86_TRAP_NP] = "segment not present",
	[X86_TRAP_SS] = "stack segment",
	[X86_TRAP_GP] = "general protection fault",
	[X86_TRAP_PF] = "page fault",
	[X86_TRAP_MF] = "coprocessor error",
	[X86_TRAP_AC] = "alignment check",
	[X86_TRAP_MC] = "machine check",
	[X86_TRAP_XF] = "SIMD exception",
	[X86_TRAP_VE] = "virtualization exception",
	[X86_TRAP_CP] = "control protection",
};

static const char *const exception_mnemonics[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC",
	"#SX", "#31",
};

const char *exception_name(unsigned vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return vector < 32 ? "reserved exception" : "interrupt";
}

void show_regs(const struct pt_regs *regs)
{
	char sym[128];

	sprint_symbol(sym, sizeof(sym), regs->ip);
	printk(KERN_ERR "CPU: %d\n", smp_processor_id());
	printk(KERN_ERR "RIP: %04lx:%s\n", (unsigned long)regs->cs, sym);
	printk(KERN_ERR "RSP: %04lx:%016lx EFLAGS: %08lx\n", (unsigned long)regs->ss,
	       (unsigned long)regs->sp, (unsigned long)regs->flags);
	printk(KERN_ERR "RAX: %016lx RBX: %016lx RCX: %016lx\n",
	       regs->ax, regs->bx, regs->cx);
	printk(KERN_ERR "RDX: %016lx RSI: %016lx RDI: %016lx\n",
	       regs->dx, regs->si, regs->di);
	printk(KERN_ERR "RBP: %016lx R08: %016lx R09: %016lx\n",
	       regs->bp, regs->r8, regs->r9);
	printk(KERN_ERR "R10: %016lx R11: %016lx R12: %016lx\n",
	       regs->r10, regs->r11, regs->r12);
	printk(KERN_ERR "R13: %016lx R14: %016lx R15: %016lx\n",
	       regs->r13, regs->r14, regs->r15);
	printk(KERN_ERR "CR0: %016lx CR2: %016lx CR3: %016lx CR4: %016lx\n",
	       read_cr0(), read_cr2(), __read_cr3(), read_cr4());
}

/* SDM Vol. 3A, "Error Code": selector index, table, external event */
static void show_selector_error(u64 err)
{
	static const char *const table[] = { "GDT", "IDT", "LDT", "IDT" };

	if (!err)
		return;
	printk(KERN_ERR "%s: selector index %lu in the %s%s\n",
	       "error code", (unsigned long)(err >> 3), table[(err >> 1) & 3],
	       (err & 1) ? " (during an external event)" : "");
}

static void show_fault_oops(const struct pt_regs *regs, u64 cr2)
{
	u64 err = regs->error_code;

	printk(KERN_ERR "BUG: unable to handle page fault for address: %016lx\n",
	       (unsigned long)cr2);
	printk(KERN_ERR "#PF: %s %s in %s mode\n",
	       (err & X86_PF_USER) ? "user" : "supervisor",
	       (err & X86_PF_INSTR) ? "instruction fetch" :
	       (err & X86_PF_WRITE) ? "write access" : "read access",
	       user_mode(regs) ? "user" : "kernel");
	printk(KERN_ERR "#PF: error_code(0x%04lx) - %s%s%s\n", (unsigned long)err,
	       !(err & X86_PF_PROT) ? "not-present page" :
	       (err & X86_PF_RSVD) ? "reserved bit violation" :
	       (err & X86_PF_PK) ? "protection keys violation" :
	       "permissions violation",
	       (err & X86_PF_SHSTK) ? ", shadow stack" : "",
	       (err & X86_PF_SGX) ? ", SGX" : "");
}

void report_exception(const struct pt_regs *regs, u64 cr2)
{
	unsigned vec = regs->vector;

	if (vec == X86_TRAP_PF)
		show_fault_oops(regs, cr2);
	printk(KERN_ERR "%s: %04lx [vector %u %s]\n", exception_name(vec),
	       (unsigned long)regs->error_code, vec,
	       vec < 32 ? exception_mnemonics[vec] : "IRQ");
	if (vec == X86_TRAP_GP || vec == X86_TRAP_TS || vec == X86_TRAP_NP ||
	    vec == X86_TRAP_SS)
		show_selector_error(regs->error_code);
	show_regs(regs);
	show_stack(regs->ip, regs->bp, KERN_ERR);
}

static void do_kernel_exception(struct pt_regs *regs)
{
	if (regs->vector == X86_TRAP_NMI) {
		if (!nmi_cpu_backtrace(regs))
			printk(KERN_WARNING "NMI received for unknown reason on cpu%d\n",
			       smp_processor_id());
		return;
	}
	if (fixup_exception(regs, 0))
		return;
	if (regs->vector == X86_TRAP_BP) {
		printk(KERN_WARNING "int3 in kernel mode, continuing\n");
		report_exception(regs, 0);
		return;
	}
	if (regs->vector == X86_TRAP_DF && kstack_guard_hit(regs->sp - 8))
		printk(KERN_EMERG "BUG: kernel stack overflow (double fault): "
		       "sp %#lx is at a stack guard page\n", (unsigned long)regs->sp);
	if (catch_exception_fixup(regs, 0))
		return;
	report_exception(regs, 0);
	panic("Fatal exception: %s", exception_name(regs->vector));
}

/*
 * Which x87 (#MF) or SIMD (#XM) exception: the unmasked flag that is set,
 * in Linux's order of precedence (invalid, divide, overflow, underflow
 * and denormal, precision).  The registers are the current task's: kernel
 * code never touches them.
 */
static int fpu_exception_code(bool simd)
{
	const struct fxregs_state *fx = fpu_sync_legacy();
	unsigned err;

	if (simd)
		err = (fx->mxcsr & 0x3f) & ~((fx->mxcsr >> 7) & 0x3f);
	else
		err = fx->swd & ~fx->cwd & 0x3f;
	if (err & 0x01)
		return FPE_FLTINV;
	if (err & 0x04)
		return FPE_FLTDIV;
	if (err & 0x08)
		return FPE_FLTOVF;
	if (err & 0x12)
		return FPE_FLTUND;
	if (err & 0x20)
		return FPE_FLTRES;
	return 0;
}

/*
 * An exception in ring 3 is the program's problem, not the kernel's: it
 * becomes a signal to the thread (Linux's mapping), delivered on the way
 * out; a program without a handler is ended with a one-line report.
 */
static void do_user_exception(struct pt_regs *regs)
{
	u64 ip = regs->ip;

	switch (regs->vector) {
	case X86_TRAP_DE:
		force_sig_fault(SIGFPE, FPE_INTDIV, ip);
		break;
	case X86_TRAP_DB:
		force_sig_fault(SIGTRAP, TRAP_BRKPT, ip);
		break;
	case X86_TRAP_BP:
		force_sig(SIGTRAP);		/* Linux: SI_KERNEL, no address */
		break;
	case X86_TRAP_UD:
		force_sig_fault(SIGILL, ILL_ILLOPN, ip);
		break;
	case X86_TRAP_MF:
	case X86_TRAP_XF: {
		int code = fpu_exception_code(regs->vector == X86_TRAP_XF);

		if (code)			/* else spurious: nothing pending */
			force_sig_fault(SIGFPE, code, ip);
		break;
	}
	case X86_TRAP_AC:
		force_sig_fault(SIGBUS, BUS_ADRERR, ip);
		break;
	case X86_TRAP_NM:
	case X86_TRAP_OF:
	case X86_TRAP_BR:
	case X86_TRAP_GP:
	case X86_TRAP_SS:
	case X86_TRAP_NP:
	case X86_TRAP_TS:
		/* privileged instructions, bad segments, non-canonical
		 * addresses: si_addr 0, as Linux's #GP (SI_KERNEL) */
		force_sig(SIGSEGV);
		break;
	default:
		printk(KERN_ERR "%s[%d]: unexpected exception %lu in user mode at %#lx\n",
		       current->comm, current->pid, (unsigned long)regs->vector,
		       (unsigned long)ip);
		force_sig(SIGSEGV);
		break;
	}
}

void do_trap(struct pt_regs *regs)
{
	if (regs->vector == X86_TRAP_PF) {
		/* CR2 first, before anything that might fault (see mm/fault.c) */
		u64 cr2 = read_cr2();

		/* Interrupts back on if the faulting code had them: resolving
		 * a fault may sleep on the mm's lock and must be able to send
		 * TLB-flush IPIs (mm/tlb.c), which need interrupts on. */
		if (regs->flags & X86_EFLAGS_IF)
			local_irq_enable();
		do_page_fault(regs, cr2);
		local_irq_disable();
		if (user_mode(regs))
			exit_to_user_mode(regs);
		return;
	}
	if (regs->vector == X86_TRAP_NMI) {
		preempt_count_add(NMI_OFFSET);
		do_kernel_exception(regs);
		preempt_count_sub(NMI_OFFSET);
		return;
	}
	/*
	 * #DF and #MC are aborts: the saved CS:RIP need not be where the
	 * program was (SDM Vol. 3A 6.15, "Interrupt 8" and "Interrupt 18"),
	 * so one "from ring 3" is no user's fault to signal but a kernel
	 * failure.  And they run on IST stacks (kernel/gdt.c), which the
	 * user path must never use: exit_to_user_mode() may schedule, and
	 * the next #DF on this CPU would overwrite the sleeping task's frame.
	 * (#MC cannot arrive at all today: CR4.MCE stays clear, so a machine
	 * check shuts the CPU down.)
	 */
	if (regs->vector == X86_TRAP_DF || regs->vector == X86_TRAP_MC) {
		do_kernel_exception(regs);
		return;
	}
	if (regs->vector < 32) {
		if (user_mode(regs)) {
			do_user_exception(regs);
			exit_to_user_mode(regs);
			return;
		}
		do_kernel_exception(regs);
		return;
	}
	/* device interrupts and IPIs: kernel/irq.c.  The hard-interrupt
	 * count makes in_interrupt() true and keeps spin_unlock() in a
	 * handler from switching tasks (kernel/preempt.h). */
	preempt_count_add(HARDIRQ_OFFSET);
	handle_irq(regs);
	preempt_count_sub(HARDIRQ_OFFSET);
	irqentry_exit(regs);	/* preemption, exit to user mode */
}
