/*
 * host_shim.c - printk() for host unit tests (see host_shim.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "kernel/printk.h"
#include "host_shim.h"

int host_printk_errors;
char host_printk_last[512];

void host_printk_reset(void)
{
	host_printk_errors = 0;
	host_printk_last[0] = '\0';
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	const char *msg = buf;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (buf[0] == KERN_SOH[0] && buf[1]) {
		if (buf[1] >= '0' && buf[1] <= '3')
			host_printk_errors++;
		msg += 2;
	}
	snprintf(host_printk_last, sizeof(host_printk_last), "%s", msg);
	if (getenv("UNIT_VERBOSE"))	/* quiet unless asked: bad-input tests print a lot */
		fputs(msg, stdout);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
