/*
 * cpu.h - wrappers for the privileged x86 instructions C cannot express:
 * CPUID, MSRs, control registers, interrupt flag, halting.
 *
 * The "memory" clobbers matter: a CR3 or CR0 write changes what every later
 * memory access means, so the compiler must not move loads/stores across it.
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include "kernel/types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#define MSR_EFER		0xc0000080
#define  EFER_SCE		BIT(0)
#define  EFER_LME		BIT(8)
#define  EFER_LMA		BIT(10)
#define  EFER_NXE		BIT(11)
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

#define X86_CR0_PE	BIT(0)
#define X86_CR0_MP	BIT(1)
#define X86_CR0_EM	BIT(2)
#define X86_CR0_TS	BIT(3)
#define X86_CR0_NE	BIT(5)
#define X86_CR0_WP	BIT(16)
#define X86_CR0_PG	BIT(31)
#define X86_CR4_PAE	BIT(5)
#define X86_CR4_PGE	BIT(7)
#define X86_CR4_OSFXSR	BIT(9)
#define X86_CR4_OSXMMEXCPT BIT(10)
#define X86_CR4_UMIP	BIT(11)
#define X86_CR4_LA57	BIT(12)
#define X86_CR4_FSGSBASE BIT(16)
#define X86_CR4_PCIDE	BIT(17)
#define X86_CR4_OSXSAVE	BIT(18)
#define X86_CR4_SMEP	BIT(20)
#define X86_CR4_SMAP	BIT(21)
#define X86_CR4_PKE	BIT(22)

#define DEFINE_CR_ACCESSORS(n)						\
static inline u64 read_cr##n(void)					\
{									\
	u64 v;								\
	asm volatile("mov %%cr" #n ", %0" : "=r"(v) : : "memory");	\
	return v;							\
}									\
static inline void write_cr##n(u64 v)					\
{									\
	asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");		\
}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

/*
 * CR3 is only read here.  Writes go through one function (the memory and
 * TLB issues own it), because the CR3 value carries the PCID and, later, the
 * LAM mode: a second write path is how a stale LAM mode or ASID sneaks in.
 */
static inline u64 __read_cr3(void)
{
	u64 v;

	asm volatile("mov %%cr3, %0" : "=r"(v) : : "memory");
	return v;
}

static inline u64 read_flags(void)
{
	u64 f;

	asm volatile("pushfq; popq %0" : "=r"(f) : : "memory");
	return f;
}

#define X86_EFLAGS_CF	BIT(0)
#define X86_EFLAGS_FIXED BIT(1)		/* always 1 */
#define X86_EFLAGS_PF	BIT(2)
#define X86_EFLAGS_AF	BIT(4)
#define X86_EFLAGS_ZF	BIT(6)
#define X86_EFLAGS_SF	BIT(7)
#define X86_EFLAGS_TF	BIT(8)
#define X86_EFLAGS_IF	BIT(9)
#define X86_EFLAGS_DF	BIT(10)
#define X86_EFLAGS_OF	BIT(11)
#define X86_EFLAGS_IOPL	(3UL << 12)
#define X86_EFLAGS_NT	BIT(14)
#define X86_EFLAGS_RF	BIT(16)
#define X86_EFLAGS_AC	BIT(18)
#define X86_EFLAGS_ID	BIT(21)

static inline void local_irq_disable(void) { asm volatile("cli" ::: "memory"); }
static inline void local_irq_enable(void)  { asm volatile("sti" ::: "memory"); }
static inline void cpu_relax(void)         { asm volatile("pause" ::: "memory"); }
static inline void halt(void)              { asm volatile("hlt" ::: "memory"); }

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void __noreturn halt_forever(void)
{
	for (;;) {
		local_irq_disable();
		halt();
	}
}

#endif
