/*
 * main.c - kmain(), where the boot CPU arrives in C.
 *
 * boot/entry.S has switched to long mode and jumped here on the boot stack,
 * with the first 4 GiB of physical memory mapped (identity, direct map,
 * kernel window).  kmain brings the machine up in dependency order; each
 * step may use only what the steps before it set up:
 *
 *   per-CPU area      - GS.base -> CPU 0's struct percpu; printk reads
 *                       smp_processor_id() through it, so it comes first
 *   serial            - so everything after can print
 *   boot information  - command line, memory map, framebuffer
 *   consoles, clock   - framebuffer or VGA text; TSC calibration
 *   GDT, TSS, IDT     - our own descriptor tables; exceptions now report
 *   CPU features      - the table in the boot log; paging needs NX, 1G pages
 *   memory map        - memblock: usable RAM minus what is in use
 *   page tables       - init_mm's: direct map of all RAM, kernel sections
 *                       with their permissions, no identity map (NULL
 *                       faults); WP, SMEP, SMAP, UMIP on
 *   page allocator    - buddy over every free frame; then the kmalloc heap
 *
 * then either runs the in-kernel tests (ktest=...) or offers the prompt.
 */
#include "kernel/types.h"
#include "kernel/layout.h"
#include "kernel/multiboot2.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/desc.h"
#include "kernel/cpufeature.h"
#include "kernel/time.h"
#include "kernel/panic.h"
#include "kernel/machine.h"
#include "kernel/ktest.h"
#include "kernel/monitor.h"
#include "kernel/string.h"
#include "kernel/cpu.h"
#include "kernel/percpu.h"
#include "mm/memblock.h"
#include "kernel/apic.h"
#include "kernel/acpi.h"
#include "kernel/io_apic.h"
#include "kernel/smpboot.h"
#include "kernel/smp.h"
#include "mm/pgtable.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "kernel/timer.h"

void rtc_init(void);		/* kernel/rtc.c */
void futex_init(void);		/* kernel/futex.c */
#include "sched/sched.h"
#include "kernel/syscall.h"
#include "kernel/process.h"
#include "kernel/file.h"
#include "kernel/err.h"
#include "fpu/fpu.h"
#include "mm/tlb.h"
/*
 * The first user process: /bin/init (or init=PATH) from the initrd, if
 * there is one.  Without it the kernel monitor takes the console.
 */
static int start_user_space(void)
{
	static const char *argv[2];
	const char *path = cmdline_has("init") ? cmdline_get("init") : "/bin/init";
	struct file *f = filp_open(path, 0);

	if (IS_ERR(f)) {
		pr_notice("init: no %s (error %ld): starting the kernel monitor\n",
			  path, PTR_ERR(f));
		return -1;
	}
	fput(f);
	argv[0] = path;
	argv[1] = NULL;
	if (start_init(path, argv)) {
		pr_err("init: cannot start %s\n", path);
		return -1;
	}
	return 0;
}


void kmain(u32 magic, u32 info_phys);

/* Read by the GDB test and shown in the banner. */
const char *switchyard_version = "0.1.0";

/* The parsed boot information; ktests check it against the real boot. */
struct boot_info boot_info;
phys_addr_t boot_info_phys;

static void parse_boot_info(u32 info_phys)
{
	const u8 *info = phys_to_virt(info_phys);
	u32 total;
	size_t avail;

	/* The boot tables map 0..4 GiB; never read past that. */
	if (info_phys == 0 || info_phys > BOOT_DIRECT_MAP_SIZE - 8)
		panic("multiboot2 information at %#x is not mapped", info_phys);
	memcpy(&total, info, 4);
	avail = MIN((u64)MB2_INFO_MAX, (u64)BOOT_DIRECT_MAP_SIZE - info_phys);
	if (mb2_parse(info, avail, &boot_info) < 0)
		panic("multiboot2 information unusable: %s (total_size %u)",
		      boot_info.problems[0], total);
	boot_info_phys = info_phys;
}

static void report_boot_problems(void)
{
	for (unsigned i = 0; i < boot_info.nr_problems && i < BOOT_PROBLEMS_MAX; i++)
		pr_warn("multiboot2: %s\n", boot_info.problems[i]);
	if (boot_info.nr_problems > BOOT_PROBLEMS_MAX)
		pr_warn("multiboot2: ... and %u more problems\n",
			boot_info.nr_problems - BOOT_PROBLEMS_MAX);
}

static void console_setup(void)
{
	int err = -1;

	if (cmdline_has("nofb"))
		pr_info("console: framebuffer console disabled by \"nofb\"\n");
	else if (boot_info.has_fb && boot_info.fb.type == BOOT_FB_RGB)
		err = fbcon_init(&boot_info.fb);
	if (err && (!boot_info.has_fb || boot_info.fb.type == BOOT_FB_EGA_TEXT))
		err = vgacon_init();
	if (boot_info.has_fb)
		pr_info("console: framebuffer %ux%u %u bpp type %u at %#lx: %s\n",
			boot_info.fb.width, boot_info.fb.height, boot_info.fb.bpp,
			boot_info.fb.type, (unsigned long)boot_info.fb.addr,
			err ? "not used" : "in use");
}

static void print_banner(void)
{
	pr_notice("Switchyard %s - an x86-64 teaching kernel\n", switchyard_version);
	pr_notice("boot: loaded by \"%s\", command line \"%s\"\n",
		boot_info.bootloader[0] ? boot_info.bootloader : "?", boot_info.cmdline);
	pr_info("boot: %u tags, memory map of %u entries%s, %u module(s)%s\n",
		boot_info.nr_tags, boot_info.nr_mmap,
		boot_info.mmap_from_efi ? " (from the EFI map)" : "",
		boot_info.nr_modules, boot_info.has_efi_mmap ? ", booted through UEFI" : "");
}

void kmain(u32 magic, u32 info_phys)
{
	const char *tests;

	percpu_init_cpu(0);
	this_cpu_write(current_task, &init_task);	/* kmain is a task */
	serial_init();
	if (magic != MB2_BOOTLOADER_MAGIC)	/* entry.S checked; be sure */
		panic("bad multiboot2 magic %#x", magic);
	parse_boot_info(info_phys);
	cmdline_init(boot_info.cmdline);
	console_loglevel = cmdline_get_long("loglevel", CONSOLE_LOGLEVEL_DEFAULT);
	tests = cmdline_get("ktest");
	panic_set_exit(tests || cmdline_has("panic_exit"));

	console_setup();
	tsc_init();
	print_banner();
	report_boot_problems();

	gdt_init_cpu(0);
	idt_init();

	cpu_features_init();
	cpu_features_print();
	pr_info("clock: TSC %lu.%03lu MHz (calibrated against the PIT)\n",
		(unsigned long)(tsc_khz / 1000), (unsigned long)(tsc_khz % 1000));

	memblock_init_from_boot(&boot_info, info_phys);
	memblock_dump();
	pr_info("mem: %lu MiB usable RAM, %lu MiB free after the kernel and boot data\n",
		(unsigned long)(memblock_phys_mem_size() >> 20),
		(unsigned long)(memblock_free_size() >> 20));
	paging_init();
	smp_prepare_trampoline();	/* needs memblock's low memory */
	page_alloc_init();
	kmalloc_init();
	timers_init();
	sched_init();			/* kmain becomes init_task on CPU 0 */
	acpi_init(&boot_info);
	initrd_init();

	apic_init();
	smp_init_ipis();
	io_apic_init();
	apic_timer_calibrate();
	apic_timer_setup_this_cpu();
	syscall_init();			/* SYSCALL MSRs (kernel/syscall.c) */
	fpu_init_system();		/* XSAVE layout, backend, init image (fpu/xstate.c) */
	tlb_init();			/* PCID mode, ASID slot 0, tlbcheck (mm/tlb.c) */
	rtc_init();
	local_irq_enable();		/* from here on the tick runs */
	smp_boot_cpus();

	futex_init();
	process_init();			/* the reaper of exited threads */

	if (tests) {
		int failed = ktest_run(tests);

		/* `utest`: the user-space tests follow, run by init */
		if (!cmdline_has("utest"))
			machine_exit(failed ? EXIT_TESTS_FAILED : EXIT_SUCCESS);
		boot_tests_failed = failed;
	}
	pr_notice("mem: %lu MiB RAM, %lu MiB free\n",
		  (unsigned long)(memblock_phys_mem_size() >> 20),
		  (unsigned long)((nr_free_pages() << PAGE_SHIFT) >> 20));
	pr_notice("switchyard: boot complete\n");	/* tests wait for this line */
	if (cmdline_has("poweroff"))
		machine_exit(EXIT_SUCCESS);
	if (!cmdline_has("monitor") && start_user_space() == 0) {
		/* init owns the console now; kmain has nothing left to do */
		for (;;) {
			set_current_state(TASK_UNINTERRUPTIBLE);
			schedule();
		}
	}
	monitor_run();
}
