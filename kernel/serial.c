/*
 * serial.c - the COM1 console (16550 UART at I/O port 0x3f8, 115200 8N1).
 *
 * Serial is the console tests and CI read, so it is registered first and
 * works before anything else.  Output polls the Line Status Register's
 * "transmit holding register empty" bit; input (serial_getc) polls "data
 * ready".  The SMP issue switches input to the UART's receive interrupt.
 */
#include "kernel/console.h"
#include "kernel/io.h"

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

static bool serial_present;

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

int serial_getc(void)
{
	if (!serial_present || !(inb(COM1 + UART_LSR) & LSR_DR))
		return -1;
	return inb(COM1 + UART_DATA);
}
