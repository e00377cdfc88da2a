/*
 * printk.h - the kernel log.
 *
 * printk(KERN_INFO "fmt", ...) formats a message, stores it in the log
 * buffer (so tests can read back what was printed) and writes it to every
 * console whose level allows it.  Each line gets a prefix
 *     [    1.234567] cpu0: message
 * with the monotonic time since boot (0 until the TSC is calibrated) and the
 * CPU number.  The level strings are Linux's ("\001" + digit), so messages
 * and pr_*() helpers read the same as in Linux.
 *
 * printk_raw() writes without a prefix: it is for output that a host program
 * parses line by line (the KTAP test report) or for the interactive prompt.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include "kernel/types.h"

#define KERN_SOH	"\001"
#define KERN_EMERG	KERN_SOH "0"
#define KERN_ALERT	KERN_SOH "1"
#define KERN_CRIT	KERN_SOH "2"
#define KERN_ERR	KERN_SOH "3"
#define KERN_WARNING	KERN_SOH "4"
#define KERN_NOTICE	KERN_SOH "5"
#define KERN_INFO	KERN_SOH "6"
#define KERN_DEBUG	KERN_SOH "7"
#define KERN_CONT	KERN_SOH "c"	/* continues the previous line */

#define LOGLEVEL_DEFAULT	4	/* printk() without a level = warning */
#define CONSOLE_LOGLEVEL_DEFAULT 7	/* show everything but debug */

int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);
int printk_raw(const char *fmt, ...) __printf(1, 2);

#define pr_emerg(fmt, ...)	printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)	printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...)	printk(KERN_CONT fmt, ##__VA_ARGS__)
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

extern int console_loglevel;

/*
 * The log buffer keeps the last LOG_BUF_SIZE bytes of everything printed.
 * Positions are byte offsets since boot (they only grow), so a test can do
 *     u64 pos = log_pos();  ...trigger...;  log_contains_since(pos, "text")
 */
#define LOG_BUF_SIZE	(64 * 1024)
u64 log_pos(void);
size_t log_read(u64 pos, char *buf, size_t n);
bool log_contains_since(u64 pos, const char *needle);

#endif
