/*
 * tsc.c - TSC calibration against the PIT, and the boot-time clock.
 *
 * The PIT's channel 2 can be gated from port 0x61 and its output read back
 * there (bit 5), which lets us time a known interval without interrupts:
 * program a one-shot count of 11932 ticks (10 ms at 1.193182 MHz), read the
 * TSC before and after the output goes high.  Do it three times and keep the
 * shortest: an emulator that pauses the guest only ever makes it longer.
 *
 * The fallback.  Only an "invariant" TSC (CPUID.80000007H:EDX[8]) is
 * guaranteed to tick at a constant rate through frequency and power-state
 * changes.  Without that bit the TSC is still used, but watched, as Linux's
 * clocksource watchdog does: every TSC_WATCHDOG_TICKS ticks CPU 0 compares
 * how far the TSC and jiffies moved.  If they disagree by more than 1/8 in
 * TSC_WATCHDOG_STRIKES windows in a row (a host that briefly deschedules a
 * vCPU loses ticks for one window; a TSC whose rate really changed stays
 * wrong), the TSC is declared unstable and ktime_get_ns() switches to jiffies (one
 * tick of resolution), continuing from the last TSC-based value so time
 * never goes backwards.  `clocksource=jiffies` forces the fallback.
 *
 * Invariant: until tsc_khz is set, ktime_get_ns() returns 0, so early printk
 * lines say [    0.000000]; ktime_get_ns() never decreases.
 */
#include "kernel/time.h"
#include "kernel/io.h"
#include "kernel/cpu.h"
#include "kernel/cpufeature.h"
#include "kernel/apic.h"
#include "kernel/printk.h"

#define TSC_WATCHDOG_TICKS	50	/* half a second at HZ=100 */
#define TSC_WATCHDOG_STRIKES	3

#define PIT_HZ		1193182
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_61		0x61
#define CALIBRATE_MS	10

u64 tsc_khz;
static u64 tsc_at_boot;
static bool tsc_unstable;
static u64 fallback_base_ns, fallback_base_jiffies;
static u64 wd_tsc, wd_jiffies;
static int wd_strikes;

static u64 pit_measure_tsc(void)
{
	u16 count = PIT_HZ / (1000 / CALIBRATE_MS);
	u8 p61 = inb(PORT_61);
	u64 t0, t1;
	unsigned long spins = 0;

	outb(PORT_61, (p61 & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, 0xb0);			/* ch2, lo/hi byte, mode 0 */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);		/* counting starts now */
	t0 = rdtsc();
	while (!(inb(PORT_61) & 0x20))		/* OUT2 goes high at zero */
		if (++spins > 100000000UL)
			return 0;		/* no PIT? give up */
	t1 = rdtsc();
	outb(PORT_61, p61);
	return t1 - t0;
}

void tsc_init(void)
{
	u64 best = ~0ULL;

	for (int i = 0; i < 3; i++) {
		u64 d = pit_measure_tsc();

		if (d && d < best)
			best = d;
	}
	if (best == ~0ULL)
		return;				/* clock stays at 0 */
	tsc_at_boot = rdtsc();
	tsc_khz = best / CALIBRATE_MS;
}

static u64 tsc_ns(void)
{
	u64 d;

	if (!tsc_khz)
		return 0;
	d = rdtsc() - tsc_at_boot;
	/* d * 1e6 / khz overflows after ~5 hours at 1 GHz; split it */
	return d / tsc_khz * 1000000 + d % tsc_khz * 1000000 / tsc_khz;
}

u64 ktime_get_ns(void)
{
	if (!READ_ONCE(tsc_unstable))
		return tsc_ns();
	return fallback_base_ns +
	       (READ_ONCE(jiffies) - fallback_base_jiffies) * (1000000000ULL / HZ);
}

bool clocksource_is_tsc(void)
{
	return !READ_ONCE(tsc_unstable);
}

void mark_tsc_unstable(const char *reason)
{
	if (tsc_unstable)
		return;
	fallback_base_ns = tsc_ns();
	fallback_base_jiffies = READ_ONCE(jiffies);
	barrier();
	WRITE_ONCE(tsc_unstable, true);
	printk(KERN_WARNING "clocksource: TSC unstable (%s), switching to jiffies\n", reason);
}

/*
 * Called by CPU 0's tick.  @now_tsc and @now_jiffies are passed in (not read
 * here) so that a test can feed a drifting TSC.  Returns true while the TSC
 * is trusted.
 */
bool tsc_watchdog_check(u64 now_tsc, u64 now_jiffies)
{
	u64 dt_ns, dj_ns;

	if (tsc_unstable || !tsc_khz || boot_cpu_has(X86_FEATURE_INVARIANT_TSC))
		return !tsc_unstable;
	if (!wd_jiffies || now_jiffies - wd_jiffies < TSC_WATCHDOG_TICKS) {
		if (!wd_jiffies) {
			wd_tsc = now_tsc;
			wd_jiffies = now_jiffies;
		}
		return true;
	}
	dt_ns = (now_tsc - wd_tsc) / tsc_khz * 1000000;
	dj_ns = (now_jiffies - wd_jiffies) * (1000000000ULL / HZ);
	wd_tsc = now_tsc;
	wd_jiffies = now_jiffies;
	wd_strikes = tsc_watchdog_disagrees(dt_ns, dj_ns) ? wd_strikes + 1 : 0;
	if (wd_strikes >= TSC_WATCHDOG_STRIKES)
		mark_tsc_unstable("it disagreed with the APIC timer 3 times in a row");
	return !tsc_unstable;
}

/* The decision alone: do @tsc_ns and @tick_ns differ by more than 1/8? */
bool tsc_watchdog_disagrees(u64 tsc_ns, u64 tick_ns)
{
	return tsc_ns > tick_ns + tick_ns / 8 || tsc_ns + tick_ns / 8 < tick_ns;
}

void tsc_watchdog_reset(void)
{
	wd_tsc = wd_jiffies = 0;
	wd_strikes = 0;
}

void udelay(u64 us)
{
	u64 end;

	if (!tsc_khz) {				/* uncalibrated: ~1 us per port read */
		while (us--)
			inb(0x80);
		return;
	}
	end = rdtsc() + us * tsc_khz / 1000;
	while ((s64)(rdtsc() - end) < 0)
		cpu_relax();
}
