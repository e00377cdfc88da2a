/*
 * rtc.c - the wall-clock time at boot, from the CMOS real-time clock.
 *
 * Read once (CLOCK_REALTIME = this + the monotonic clock, kernel/sys.c).
 * The MC146818 registers: 0 seconds, 2 minutes, 4 hours, 7 day, 8 month,
 * 9 year; register B says BCD or binary and 12/24 hours; register A bit 7
 * says an update is in progress, during which the values are unreliable -
 * so read until two consecutive reads agree.  The century is assumed to
 * be 20xx (the century register's location is in the ACPI FADT, which
 * Switchyard does not read).
 */
#include "kernel/io.h"
#include "kernel/types.h"
#include "kernel/printk.h"
#include "kernel/string.h"

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71

static u64 boot_seconds;

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);		/* bit 7 clear: NMI stays enabled */
	return inb(CMOS_DATA);
}

static unsigned bcd(unsigned v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static u64 days_from_civil(int y, unsigned m, unsigned d)
{
	int era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (u64)era * 146097 + doe - 719468;
}

static void read_regs(u8 r[6])
{
	static const u8 regs[6] = { 0, 2, 4, 7, 8, 9 };

	while (cmos_read(0x0a) & 0x80)	/* update in progress */
		;
	for (int i = 0; i < 6; i++)
		r[i] = cmos_read(regs[i]);
}

void rtc_init(void);
void rtc_init(void)
{
	u8 a[6], b[6], regb;
	unsigned sec, min, hour, day, mon, year;
	bool pm;

	read_regs(a);
	for (int tries = 0; tries < 5; tries++) {
		read_regs(b);
		if (!memcmp(a, b, 6))
			break;
		memcpy(a, b, 6);
	}
	regb = cmos_read(0x0b);
	pm = b[2] & 0x80;
	b[2] &= 0x7f;
	if (!(regb & 0x04)) {		/* BCD */
		for (int i = 0; i < 6; i++)
			b[i] = bcd(b[i]);
	}
	sec = b[0]; min = b[1]; hour = b[2]; day = b[3]; mon = b[4]; year = 2000 + b[5];
	if (!(regb & 0x02) && pm)	/* 12-hour clock */
		hour = (hour % 12) + 12;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
		pr_warn("rtc: implausible time %u-%u-%u %u:%u:%u, using the epoch\n",
			year, mon, day, hour, min, sec);
		return;
	}
	boot_seconds = days_from_civil((int)year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
	pr_info("rtc: %04u-%02u-%02u %02u:%02u:%02u UTC at boot\n", year, mon, day, hour, min, sec);
}

u64 rtc_boot_seconds(void);
u64 rtc_boot_seconds(void)
{
	return boot_seconds;
}
