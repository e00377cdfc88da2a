/*
 * smp.h - which CPU am I, and which CPUs are running.
 *
 * smp_processor_id() is one GS-relative load from this CPU's struct percpu
 * (kernel/percpu.h), so it is valid only after percpu_init_cpu() ran on
 * this CPU.  Its answer is stable while nothing can move the caller to
 * another CPU: always, today; once the scheduler exists, only with
 * preemption off (as in Linux).
 *
 * cpumask_t is a bitmap of CPU numbers.  cpu_online_mask has CPU 0 set
 * from boot; the SMP bring-up sets an AP's bit (set_cpu_online) once that
 * AP runs kernel code and can take IPIs.
 *
 * Invariant: NR_CPUS <= 64, so a mask is one u64 and updating one bit is
 * one LOCK-prefixed instruction.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include "kernel/types.h"
#include "kernel/percpu.h"

#define NR_CPUS	8

_Static_assert(NR_CPUS <= 64, "cpumask_t is a single u64");

static inline int smp_processor_id(void)
{
	return this_cpu_read(cpu);
}

typedef struct { u64 bits; } cpumask_t;

#define CPU_MASK_NONE	((cpumask_t){ 0 })
#define CPU_MASK_CPU0	((cpumask_t){ 1 })

/* Set and clear are atomic: APs update cpu_online_mask concurrently. */
static inline void cpumask_set_cpu(int cpu, cpumask_t *mask)
{
	asm volatile("lock btsq %1, %0" : "+m"(mask->bits) : "r"((u64)cpu) : "memory");
}

static inline void cpumask_clear_cpu(int cpu, cpumask_t *mask)
{
	asm volatile("lock btrq %1, %0" : "+m"(mask->bits) : "r"((u64)cpu) : "memory");
}

static inline bool cpumask_test_cpu(int cpu, const cpumask_t *mask)
{
	return (READ_ONCE(mask->bits) >> cpu) & 1;
}

/* Counted by hand: __builtin_popcountll needs POPCNT or libgcc. */
static inline int cpumask_weight(const cpumask_t *mask)
{
	u64 b = READ_ONCE(mask->bits);
	int n = 0;

	for (; b; b &= b - 1)
		n++;
	return n;
}

/* The first CPU in @mask after @cpu, or NR_CPUS if none. */
static inline int cpumask_next(int cpu, const cpumask_t *mask)
{
	u64 b;

	if (cpu + 1 >= NR_CPUS)		/* and a shift by 64 would be undefined */
		return NR_CPUS;
	b = READ_ONCE(mask->bits) & (~0ULL << (cpu + 1)) & (~0ULL >> (64 - NR_CPUS));
	return b ? __builtin_ctzll(b) : NR_CPUS;
}

#define for_each_cpu(cpu, mask)						\
	for ((cpu) = cpumask_next(-1, (mask)); (cpu) < NR_CPUS;		\
	     (cpu) = cpumask_next((cpu), (mask)))

/* Read-only for everyone but set_cpu_online(). */
extern cpumask_t __cpu_online_mask;
#define cpu_online_mask		((const cpumask_t *)&__cpu_online_mask)
#define for_each_online_cpu(cpu)	for_each_cpu((cpu), cpu_online_mask)

void set_cpu_online(int cpu, bool online);

static inline int num_online_cpus(void)
{
	return cpumask_weight(cpu_online_mask);
}

/*
 * Cross-CPU work (kernel/smp.c).  smp_call_function_many runs func(info)
 * on every online CPU in @mask except the caller, by IPI, in interrupt
 * context; with @wait it returns after all have finished.  Never call it
 * with interrupts off (see smp.c for the deadlock).
 */
typedef void (*smp_call_func_t)(void *info);
void smp_call_function_many(const cpumask_t *mask, smp_call_func_t func,
			    void *info, bool wait);
u64 smp_calls_run(int cpu);
void smp_send_reschedule(int cpu);
void smp_init_ipis(void);
struct pt_regs;
bool nmi_cpu_backtrace(struct pt_regs *regs);
void trigger_all_cpu_backtrace(void);
void smp_stop_other_cpus_with_backtrace(void);

#endif
