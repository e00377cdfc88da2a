/*
 * apic_timer.c - the periodic tick: each CPU's local APIC timer.
 *
 * The APIC timer counts down from an initial count at the bus (or core
 * crystal) clock divided by TDCR, and its frequency is not architecturally
 * known, so it is measured: run it from 0xffffffff for 10 ms timed by the
 * TSC (itself calibrated against the PIT, kernel/tsc.c) and see how far it
 * got, three times, keeping the smallest count: a pause of the (virtual)
 * CPU between the end of the delay and the read only ever inflates it.
 * Then periodic mode with initial count = frequency / HZ raises
 * LOCAL_TIMER_VECTOR HZ times a second on each CPU that sets it up.
 *
 * HZ comes from `hz=` on the command line (default 100, 10..1000).
 *
 * Invariant: jiffies is only written by CPU 0's tick; every CPU counts its
 * own ticks in ticks[cpu], which the tests use to prove each timer runs.
 */
#include "kernel/apic.h"
#include "kernel/irq.h"
#include "kernel/irq_vectors.h"
#include "kernel/time.h"
#include "kernel/cmdline.h"
#include "kernel/string.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/cpu.h"
#include "kernel/timer.h"
#include "sched/sched.h"

#define CALIBRATE_US	10000

unsigned int HZ = 100;
u64 jiffies;
u32 apic_timer_khz;
static u64 ticks[NR_CPUS];

static void apic_timer_interrupt(struct pt_regs *regs)
{
	int cpu = smp_processor_id();

	ticks[cpu]++;
	if (cpu == 0) {
		WRITE_ONCE(jiffies, jiffies + 1);
		tsc_watchdog_check(rdtsc(), jiffies);
	}
	run_local_timers();	/* kernel/timer.c: expired timers wake sleepers */
	scheduler_tick();	/* sched/core.c: time slices, load balance */
}

u64 apic_timer_ticks(int cpu)
{
	return cpu >= 0 && cpu < NR_CPUS ? READ_ONCE(ticks[cpu]) : 0;
}

void apic_timer_calibrate(void)
{
	long hz = cmdline_get_long("hz", 100);
	u32 counted;

	if (hz < 10 || hz > 1000) {
		pr_warn("timer: hz=%ld out of range 10..1000, using 100\n", hz);
		hz = 100;
	}
	HZ = hz;
	if (!tsc_khz)
		panic("timer: cannot calibrate the APIC timer without a TSC clock");
	apic_write(APIC_TDCR, APIC_TDR_DIV_16);
	apic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);	/* one-shot */
	counted = 0xffffffff;
	for (int i = 0; i < 3; i++) {
		u32 n;

		apic_write(APIC_TMICT, 0xffffffff);
		udelay(CALIBRATE_US);
		n = 0xffffffff - apic_read(APIC_TMCCT);
		counted = MIN(counted, n);
	}
	apic_write(APIC_TMICT, 0);
	apic_timer_khz = counted / (CALIBRATE_US / 1000);
	if (apic_timer_khz < HZ / 1000 + 1)
		panic("timer: APIC timer did not count (%u in %d us)", counted, CALIBRATE_US);
	request_vector(LOCAL_TIMER_VECTOR, apic_timer_interrupt, "APIC timer");
	if (cmdline_has("clocksource") && !strcmp(cmdline_get("clocksource"), "jiffies"))
		mark_tsc_unstable("clocksource=jiffies on the command line");
	pr_info("timer: APIC timer %u.%03u MHz (after /16), HZ=%u, TSC %lu kHz\n",
		apic_timer_khz / 1000, apic_timer_khz % 1000, HZ, (unsigned long)tsc_khz);
}

void apic_timer_setup_this_cpu(void)
{
	apic_write(APIC_TDCR, APIC_TDR_DIV_16);
	apic_write(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR);
	apic_write(APIC_TMICT, (u32)((u64)apic_timer_khz * 1000 / HZ));
}
