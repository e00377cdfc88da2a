/*
 * machine.c - exit, power-off and reboot.  See machine.h for the exit codes.
 */
#include "kernel/machine.h"
#include "kernel/printk.h"
#include "kernel/io.h"
#include "kernel/cpu.h"

#define QEMU_DEBUG_EXIT_PORT	0xf4
#define BOCHS_SHUTDOWN_PORT	0x8900
#define QEMU_ACPI_PM1A_CNT	0x604	/* PIIX4 and ICH9 PM base + 4 under QEMU */
#define  ACPI_SLP_S5		0x2000	/* SLP_EN | SLP_TYP=0 (QEMU's S5) */

void machine_exit(int code)
{
	const char *s = "Shutdown";

	local_irq_disable();
	printk_raw("machine_exit: code %d\n", code);
	outl(QEMU_DEBUG_EXIT_PORT, code);	/* QEMU with isa-debug-exit ends here */
	while (*s)				/* Bochs ends here */
		outb(BOCHS_SHUTDOWN_PORT, *s++);
	outw(QEMU_ACPI_PM1A_CNT, ACPI_SLP_S5);	/* plain QEMU: power off */
	printk_raw("machine_exit: no way to leave the machine; halted\n");
	halt_forever();
}

void machine_reboot(void)
{
	local_irq_disable();
	/* The 8042 keyboard controller's "pulse reset line" command. */
	for (int i = 0; i < 10000 && (inb(0x64) & 0x02); i++)
		;
	outb(0x64, 0xfe);
	/* If that did not work, an empty IDT and an exception triple-faults. */
	struct { u16 limit; u64 base; } __packed null_idt = { 0, 0 };
	asm volatile("lidt %0; int3" : : "m"(null_idt));
	halt_forever();
}
