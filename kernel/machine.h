/*
 * machine.h - leaving the (virtual) machine.
 *
 * machine_exit(code) ends the emulator with a status the test harness reads:
 * QEMU's isa-debug-exit device (port 0xf4) exits QEMU with (code << 1) | 1,
 * so 0 -> 1, 1 -> 3, 2 -> 5.  Bochs has no exit status: writing "Shutdown" to
 * its port 0x8900 stops it and the harness reads the "machine_exit" line.
 * On a machine with neither, ACPI power-off is tried, then halt.
 */
#ifndef KERNEL_MACHINE_H
#define KERNEL_MACHINE_H

#include "kernel/types.h"

#define EXIT_SUCCESS	0
#define EXIT_TESTS_FAILED 1
#define EXIT_PANIC	2

void __noreturn machine_exit(int code);
void __noreturn machine_reboot(void);

#endif
