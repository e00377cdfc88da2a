/*
 * serial.c - the COM1 console (16550 UART at I/O port 0x3f8, 115200 8N1).
 *
 * Serial is the console tests and CI read, so it is registered first and
 * works before anything else.  Output polls the Line Status Register's
 * "transmit holding register empty" bit.  Input is polled ("data ready")
 * until serial_enable_rx_irq() routes COM1's IRQ 4 through the I/O APIC;
 * from then on the receive interrupt moves bytes into a ring that
 * serial_getc() drains, and the monitor can halt between keystrokes.
 *
 * Invariant: the ring is filled only by the interrupt handler and drained
 * only with interrupts off, so on one CPU the two never interleave (the
 * console lock of the SMP work covers the multi-CPU case).
 */
#include "sched/sched.h"
#include "sched/wait.h"
#include "kernel/timer.h"
#include "kernel/console.h"
#include "kernel/io.h"
#include "kernel/io_apic.h"
#include "kernel/irq.h"
#include "kernel/irq_vectors.h"
#include "kernel/apic.h"
#include "kernel/printk.h"
#include "kernel/errno.h"
#include "kernel/irqflags.h"

#define COM1		0x3f8
#define UART_DATA	0	/* DLAB=0: data; DLAB=1: divisor low */
#define UART_IER	1	/* DLAB=0: interrupt enable; DLAB=1: divisor high */
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define  LSR_DR		0x01	/* data ready */
#define  LSR_THRE	0x20	/* transmit holding register empty */
#define UART_SCR	7

#define RX_RING	256

static bool serial_present, rx_irq;
static char rx_ring[RX_RING];
static unsigned rx_head, rx_tail;	/* head: next write, tail: next read */
static u64 rx_dropped;

static void serial_putc(char c)
{
	/* bounded wait: a missing UART must not hang the kernel */
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		;
	outb(COM1 + UART_DATA, c);
}

static void serial_write(struct console *con, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

static struct console serial_console = {
	.name = "ttyS0",
	.write = serial_write,
};

void serial_init(void)
{
	/* The scratch register holds what we write only if a UART is there. */
	outb(COM1 + UART_SCR, 0x5a);
	if (inb(COM1 + UART_SCR) != 0x5a)
		return;
	outb(COM1 + UART_IER, 0x00);		/* no interrupts (yet) */
	outb(COM1 + UART_LCR, 0x80);		/* DLAB on: set the divisor */
	outb(COM1 + UART_DATA, 1);		/* 115200 = 115200 / 1 */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x03);		/* DLAB off; 8 bits, no parity, 1 stop */
	outb(COM1 + UART_FCR, 0xc7);		/* FIFOs on, cleared, 14-byte threshold */
	outb(COM1 + UART_MCR, 0x0b);		/* DTR, RTS, OUT2 */
	serial_present = true;
	register_console(&serial_console);
}

static DECLARE_WAIT_QUEUE_HEAD(serial_rx_wait);

static void serial_rx_interrupt(struct pt_regs *regs)
{
	/* drain the FIFO: one interrupt may stand for several bytes */
	while (inb(COM1 + UART_LSR) & LSR_DR) {
		char c = inb(COM1 + UART_DATA);

		if (rx_head - rx_tail < RX_RING)
			rx_ring[rx_head++ % RX_RING] = c;
		else
			rx_dropped++;
	}
	wake_up(&serial_rx_wait);	/* a reader sleeping in serial_getc_wait */
}

int serial_enable_rx_irq(u32 gsi, u16 flags)
{
	int err;

	if (!serial_present)
		return -ENODEV;
	err = request_vector(ISA_IRQ_VECTOR(4), serial_rx_interrupt, "COM1");
	if (!err)
		err = io_apic_route(gsi, ISA_IRQ_VECTOR(4), apic_id(), flags);
	if (err) {
		pr_warn("serial: no receive interrupt (%d), input stays polled\n", err);
		return err;
	}
	rx_irq = true;
	outb(COM1 + UART_IER, 0x01);		/* interrupt on received data */
	pr_info("serial: COM1 receive interrupt on GSI %u, vector %#x\n",
		gsi, ISA_IRQ_VECTOR(4));
	return 0;
}

int serial_getc(void)
{
	unsigned long flags;
	int c = -1;

	if (!serial_present)
		return -1;
	if (!rx_irq)
		return (inb(COM1 + UART_LSR) & LSR_DR) ? inb(COM1 + UART_DATA) : -1;
	local_irq_save(flags);
	if (rx_tail != rx_head)
		c = (unsigned char)rx_ring[rx_tail++ % RX_RING];
	local_irq_restore(flags);
	return c;
}

/*
 * Block until a byte arrives.  With the receive interrupt the reader
 * sleeps on serial_rx_wait and the CPU is free for other tasks; without
 * it (polled input) it checks every tick.  -1 only if there is no UART.
 */
int serial_getc_wait(void)
{
	int c;

	if (!serial_present)
		return -1;
	for (;;) {
		c = serial_getc();
		if (c >= 0)
			return c;
		if (rx_irq)
			wait_event(serial_rx_wait, READ_ONCE(rx_tail) != READ_ONCE(rx_head));
		else
			msleep(10);
	}
}
