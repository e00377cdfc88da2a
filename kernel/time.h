/*
 * time.h - the monotonic clock.
 *
 * tsc_init() measures the TSC frequency against the 8254 PIT, whose input
 * clock is a fixed 1.193182 MHz on every PC.  ktime_get_ns() returns
 * nanoseconds since tsc_init() (0 before it).  The SMP issue adds the LAPIC
 * timer and the check for an invariant TSC (CPUID.80000007H:EDX[8]).
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include "kernel/types.h"

extern u64 tsc_khz;
void tsc_init(void);
u64 ktime_get_ns(void);
void udelay(u64 us);
bool clocksource_is_tsc(void);
void mark_tsc_unstable(const char *reason);
bool tsc_watchdog_check(u64 now_tsc, u64 now_jiffies);
void tsc_watchdog_reset(void);
bool tsc_watchdog_disagrees(u64 tsc_ns, u64 tick_ns);

#endif
