/*
 * boot_test.c - in-kernel tests of what the boot path set up: the parsed
 * boot information, the command line, the clock, the CPU feature table.
 */
#include "kernel/ktest.h"
#include "kernel/multiboot2.h"
#include "kernel/cmdline.h"
#include "kernel/cpufeature.h"
#include "kernel/time.h"
#include "kernel/cpu.h"
#include "kernel/string.h"
#include "kernel/printk.h"
#include "kernel/desc.h"
#include "kernel/apic.h"

extern struct boot_info boot_info;

KTEST(boot_info_from_grub)
{
	KEXPECT(boot_info.valid);
	KEXPECT_EQ(boot_info.nr_problems, 0);
	KEXPECT(boot_info.nr_mmap > 0);
	KEXPECT(!strncmp(boot_info.bootloader, "GRUB", 4));
	/* GRUB passes "switchyard ..." and we were started with ktest= */
	KEXPECT(!strncmp(boot_info.cmdline, "switchyard", 10));
	KEXPECT(strstr(boot_info.cmdline, "ktest=") != NULL);
}

KTEST(cmdline_words)
{
	char saved[BOOT_CMDLINE_MAX];

	strlcpy(saved, cmdline_raw(), sizeof(saved));
	cmdline_init("switchyard  a=1 flag b=x=y  n=-12 bad=12z a=2");
	KEXPECT(cmdline_has("switchyard"));
	KEXPECT(cmdline_has("flag"));
	KEXPECT(!strcmp(cmdline_get("flag"), ""));
	KEXPECT(!strcmp(cmdline_get("a"), "2"));	/* last one wins */
	KEXPECT(!strcmp(cmdline_get("b"), "x=y"));
	KEXPECT(cmdline_get("missing") == NULL);
	KEXPECT_EQ(cmdline_get_long("n", 0), -12);
	KEXPECT_EQ(cmdline_get_long("bad", 7), 7);	/* not a number: default */
	KEXPECT_EQ(cmdline_get_long("missing", 5), 5);
	cmdline_init("");
	KEXPECT(!cmdline_has("a"));
	cmdline_init(saved);
	KEXPECT(cmdline_has("ktest"));
}

KTEST(clock_monotonic)
{
	u64 a, b, last;
	/* one tick of resolution once the fallback clock is in use */
	u64 wait_us = clocksource_is_tsc() ? 1000 : 3000000 / HZ;	/* 3 ticks */

	if (!tsc_khz)
		KSKIP("TSC not calibrated");
	KEXPECT(tsc_khz > 100000);		/* > 100 MHz: any x86-64 */
	a = ktime_get_ns();
	udelay(wait_us);
	b = ktime_get_ns();
	KEXPECT(b > a);
	KEXPECT(b - a >= (clocksource_is_tsc() ? 1000000 : 1000000000ULL / HZ));
	last = ktime_get_ns();
	for (int i = 0; i < 10000; i++) {	/* never backwards */
		u64 now = ktime_get_ns();

		KASSERT(now >= last);
		last = now;
	}
}

/* The watchdog's rule, fed with made-up intervals (the live clock is not
 * touched): within 1/8 is agreement, beyond it in either direction is not. */
KTEST(clock_tsc_watchdog_rule)
{
	KEXPECT(!tsc_watchdog_disagrees(500000000, 500000000));
	KEXPECT(!tsc_watchdog_disagrees(550000000, 500000000));	/* +10% */
	KEXPECT(!tsc_watchdog_disagrees(450000000, 500000000));	/* -10% */
	KEXPECT(tsc_watchdog_disagrees(600000000, 500000000));	/* +20% */
	KEXPECT(tsc_watchdog_disagrees(400000000, 500000000));	/* -20% */
	KEXPECT(tsc_watchdog_disagrees(0, 500000000));
	if (boot_cpu_has(X86_FEATURE_INVARIANT_TSC))
		KEXPECT(clocksource_is_tsc());	/* never watched, never dropped */
}

/* The table must say what CPUID says: check two bits by hand. */
KTEST(cpufeature_matches_cpuid)
{
	bool xsave = (cpuid(1).ecx >> 26) & 1;
	bool pcid = (cpuid(1).ecx >> 17) & 1;

	KEXPECT_EQ(boot_cpu_has(X86_FEATURE_XSAVE), xsave);
	KEXPECT_EQ(boot_cpu_has(X86_FEATURE_PCID), pcid);
	KEXPECT(boot_cpu_has(X86_FEATURE_NX) || !(cpuid(0x80000001).edx & BIT(20)));
	KEXPECT(!strcmp(cpu_feature_name(X86_FEATURE_XSAVES), "XSAVES"));
	KEXPECT_EQ(cpu_feature_state(NR_X86_FEATURES), FEATURE_ABSENT);
}

KTEST(boot_log_has_feature_table)
{
	/* The log buffer keeps the boot messages; the table is there. */
	static const char *const lines[] = {
		"cpu:   XSAVE", "cpu:   XSAVES", "cpu:   PCID", "cpu:   LAM",
		"cpu:   UINTR", "cpu:   ENQCMD", "cpu:   x2APIC", "cpu:   FSGSBASE",
	};

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		KEXPECT(log_contains_since(0, lines[i]));
}

KTEST(tss_ist_stacks)
{
	struct tss *tss = cpu_tss(0);
	u16 tr;

	asm volatile("str %0" : "=r"(tr));
	KEXPECT_EQ(tr, __TSS_SEL);
	for (int i = IST_DF; i <= IST_MC; i++) {
		KEXPECT(tss->ist[i - 1] != 0);
		KEXPECT_EQ(tss->ist[i - 1] & 15, 0);
	}
	KEXPECT(tss->ist[IST_DF - 1] != tss->ist[IST_NMI - 1]);
}

KTEST(log_buffer_readback)
{
	u64 pos = log_pos();
	char buf[64];
	size_t n;

	printk(KERN_INFO "ktest marker %d\n", 4242);
	KEXPECT(log_contains_since(pos, "ktest marker 4242"));
	KEXPECT(!log_contains_since(log_pos(), "ktest marker"));
	n = log_read(pos, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	KEXPECT(strstr(buf, "cpu0: ktest marker 4242") != NULL);
}
