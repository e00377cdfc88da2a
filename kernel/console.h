/*
 * console.h - output devices printk writes to.
 *
 * A console is a sink for bytes: COM1 serial (kernel/serial.c), the
 * framebuffer text console (kernel/fbcon.c) or VGA text mode
 * (kernel/vgacon.c).  printk() formats once into the log buffer and then
 * hands the same bytes to every registered console, in registration order.
 * Consoles translate '\n' themselves (serial sends "\r\n").
 *
 * Invariant: write() never allocates, never sleeps and never calls printk()
 * (printk would recurse); it may be called with interrupts off, from an
 * exception handler or from panic().
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include "kernel/types.h"

struct console {
	const char *name;
	void (*write)(struct console *con, const char *s, size_t n);
	struct console *next;
};

void register_console(struct console *con);
void console_write(const char *s, size_t n);

/* the console drivers */
void serial_init(void);
int serial_getc(void);			/* -1 when nothing is waiting */
int serial_getc_wait(void);		/* sleeps until a byte comes */
int serial_enable_rx_irq(u32 gsi, u16 mps_flags);
struct boot_fb;
int fbcon_init(const struct boot_fb *fb);	/* 0 or -errno */
int vgacon_init(void);

#endif
