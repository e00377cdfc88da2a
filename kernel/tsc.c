/*
 * tsc.c - TSC calibration against the PIT, and the boot-time clock.
 *
 * The PIT's channel 2 can be gated from port 0x61 and its output read back
 * there (bit 5), which lets us time a known interval without interrupts:
 * program a one-shot count of 11932 ticks (10 ms at 1.193182 MHz), read the
 * TSC before and after the output goes high.  Do it three times and keep the
 * shortest: an emulator that pauses the guest only ever makes it longer.
 *
 * Invariant: until tsc_khz is set, ktime_get_ns() returns 0, so early printk
 * lines say [    0.000000].
 */
#include "kernel/time.h"
#include "kernel/io.h"
#include "kernel/cpu.h"

#define PIT_HZ		1193182
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_61		0x61
#define CALIBRATE_MS	10

u64 tsc_khz;
static u64 tsc_at_boot;

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

u64 ktime_get_ns(void)
{
	u64 d;

	if (!tsc_khz)
		return 0;
	d = rdtsc() - tsc_at_boot;
	/* d * 1e6 / khz overflows after ~5 hours at 1 GHz; split it */
	return d / tsc_khz * 1000000 + d % tsc_khz * 1000000 / tsc_khz;
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
