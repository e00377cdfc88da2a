/*
 * monitor.c - "switchyard> ", a tiny command prompt for people at the console.
 *
 * Until the ring-3 issue brings a shell, this is how a student pokes at a
 * running kernel: the feature table, the memory map, the log, the tests.
 * Input is polled from COM1 (the SMP issue makes it interrupt-driven and
 * lets the CPU halt between keys).
 *
 * Invariant: a command never takes the kernel down unless asked to
 * ("panic"); unknown input gets an error message and a new prompt.
 */
#include "sched/sched.h"
#include "kernel/monitor.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/cpufeature.h"
#include "kernel/machine.h"
#include "kernel/panic.h"
#include "kernel/ktest.h"
#include "kernel/time.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "mm/memblock.h"
#include "kernel/irq.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/mm.h"
#include "mm/kstack.h"
#include "mm/tlb.h"

#define LINE_MAX	128

struct command {
	const char *name;
	const char *help;
	void (*fn)(const char *arg);
};

static void cmd_help(const char *arg);

static void cmd_features(const char *arg) { cpu_features_print(); }
static void cmd_mem(const char *arg)
{
	memblock_dump();
	printk_raw("usable RAM %lu KiB; page allocator: %lu pages free\n",
		   (unsigned long)(memblock_phys_mem_size() >> 10),
		   (unsigned long)nr_free_pages());
	show_free_areas();
	slab_dump();
	printk_raw("address spaces %lu, kernel stacks %lu, CR3 writes %lu, "
		   "page faults %lu (demand-zero %lu)\n",
		   (unsigned long)mm_live_count(), (unsigned long)nr_kernel_stacks(),
		   (unsigned long)tlb_stats.cr3_writes, (unsigned long)fault_stats.faults,
		   (unsigned long)fault_stats.demand_zero);
}

static void cmd_dmesg(const char *arg)
{
	char buf[256];
	u64 pos = 0;
	size_t n;

	while ((n = log_read(pos, buf, sizeof(buf))) > 0) {
		console_write(buf, n);
		pos += n;
		if (pos >= log_pos())
			break;
	}
}

static void cmd_uptime(const char *arg)
{
	u64 ns = ktime_get_ns();

	printk_raw("up %lu.%03lu s, TSC %lu kHz\n", (unsigned long)(ns / 1000000000),
		   (unsigned long)(ns / 1000000 % 1000), (unsigned long)tsc_khz);
}

static void cmd_irqs(const char *arg) { show_interrupts(); }
static void cmd_sched(const char *arg) { sched_show_stats(); }
static void cmd_fpu(const char *arg)
{
	int cpu;

	printk_raw("fpu: %s, xfeatures %#llx, buffer %u bytes\n", fpu_backend_name(),
		   (unsigned long long)fpu_kernel_cfg.features, fpu_kernel_cfg.size);
	for_each_online_cpu(cpu) {
		struct fpu_stats st;

		fpu_get_stats(cpu, &st);
		printk_raw("cpu%d: saves %llu restores %llu skipped %llu kernel_fpu %llu "
			   "emulated %llu faults %llu\n", cpu,
			   (unsigned long long)st.saves, (unsigned long long)st.restores,
			   (unsigned long long)st.restores_skipped, (unsigned long long)st.kernel_fpu,
			   (unsigned long long)st.emulated_saves, (unsigned long long)st.restore_faults);
	}
}
static void cmd_cmdline(const char *arg) { printk_raw("%s\n", cmdline_raw()); }
static void cmd_ktest(const char *arg) { ktest_run(*arg ? arg : "all"); }
static void cmd_poweroff(const char *arg) { machine_exit(EXIT_SUCCESS); }
static void cmd_reboot(const char *arg) { machine_reboot(); }
static void cmd_panic(const char *arg) { panic("requested from the monitor"); }

static const struct command commands[] = {
	{ "help",     "this list",                          cmd_help },
	{ "features", "CPU feature table",                  cmd_features },
	{ "mem",      "memory map, allocators, counters",   cmd_mem },
	{ "dmesg",    "print the kernel log buffer",        cmd_dmesg },
	{ "uptime",   "time since boot",                    cmd_uptime },
	{ "irqs",     "interrupt counts per vector",        cmd_irqs },
	{ "sched",    "per-CPU scheduler counters, tasks",  cmd_sched },
	{ "fpu",      "FPU backend and per-CPU save/restore counters", cmd_fpu },
	{ "cmdline",  "the kernel command line",            cmd_cmdline },
	{ "ktest",    "run in-kernel tests: ktest [glob,...]", cmd_ktest },
	{ "poweroff", "leave the machine (exit status 0)",  cmd_poweroff },
	{ "reboot",   "reset the machine",                  cmd_reboot },
	{ "panic",    "panic on purpose, to see the report", cmd_panic },
};

static void cmd_help(const char *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printk_raw("  %-9s %s\n", commands[i].name, commands[i].help);
}

int monitor_exec(char *line)
{
	char *arg;

	while (*line == ' ')
		line++;
	if (!*line)
		return 0;
	arg = line;
	while (*arg && *arg != ' ')
		arg++;
	if (*arg)
		*arg++ = '\0';
	while (*arg == ' ')
		arg++;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(line, commands[i].name)) {
			commands[i].fn(arg);
			return 0;
		}
	}
	printk_raw("%s: unknown command (try \"help\")\n", line);
	return -1;
}

static void read_line(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		/* sleeps until a key comes: CPU 0 is free for other tasks */
		int c = serial_getc_wait();

		if (c < 0) {		/* no UART at all: nothing will come */
			halt();
			continue;
		}
		if (c == '\r' || c == '\n') {
			printk_raw("\n");	/* via printk: it tracks line starts */
			break;
		}
		if ((c == 0x7f || c == '\b') && n > 0) {	/* backspace */
			n--;
			console_write("\b \b", 3);
		} else if (c >= ' ' && c < 0x7f && n + 1 < size) {
			char ch = c;

			buf[n++] = ch;
			console_write(&ch, 1);
		}
	}
	buf[n] = '\0';
}

void monitor_run(void)
{
	char line[LINE_MAX];

	printk_raw("Type \"help\" for commands.\n");
	for (;;) {
		printk_raw("switchyard> ");
		read_line(line, sizeof(line));
		monitor_exec(line);
	}
}
