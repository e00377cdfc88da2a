/*
 * printk.c - formats log messages, keeps the log buffer, feeds the consoles.
 *
 * One CPU runs today; the SMP issue puts a spinlock (taken with interrupts
 * off) around emit() so lines from different CPUs do not interleave.  Until
 * then the interrupt flag alone makes emit() atomic.
 *
 * Invariant: printk may be called from anywhere, including exception
 * handlers and panic(): it never allocates and never sleeps.  A message
 * longer than the format buffer is truncated, not split.
 */
#include "kernel/printk.h"
#include "kernel/console.h"
#include "kernel/vsnprintf.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/smp.h"
#include "kernel/cpu.h"

int console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;

static char log_buf[LOG_BUF_SIZE];
static u64 log_next;		/* total bytes ever written */
static bool at_line_start = true;

static void log_store(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_buf[(log_next + i) % LOG_BUF_SIZE] = s[i];
	log_next += n;
}

static void emit(const char *s, size_t n, bool to_console)
{
	log_store(s, n);
	if (to_console)
		console_write(s, n);
}

static u64 irq_save(void)
{
	u64 flags = read_flags();

	local_irq_disable();
	return flags;
}

static void irq_restore(u64 flags)
{
	if (flags & X86_EFLAGS_IF)
		local_irq_enable();
}

/*
 * The level is read from the formatted text, not the format, so that
 * printk("%sCall Trace:\n", loglvl) works as in Linux.
 */
int vprintk(const char *fmt, va_list ap)
{
	char buf[512], prefix[40], *msg = buf;
	int level = LOGLEVEL_DEFAULT, n, plen;
	bool cont = false, show;
	u64 flags;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (n >= 2 && msg[0] == KERN_SOH[0]) {
		if (msg[1] == 'c')
			cont = true;
		else if (msg[1] >= '0' && msg[1] <= '7')
			level = msg[1] - '0';
		msg += 2;
		n -= 2;
	}
	show = level < console_loglevel;

	flags = irq_save();
	if (!cont && !at_line_start)	/* an unfinished line: end it first */
		emit("\n", 1, show);
	if (at_line_start && n > 0) {
		u64 ns = ktime_get_ns();

		plen = snprintf(prefix, sizeof(prefix), "[%5lu.%06lu] cpu%d: ",
				(unsigned long)(ns / 1000000000),
				(unsigned long)(ns / 1000 % 1000000), smp_processor_id());
		emit(prefix, plen, show);
	}
	emit(msg, n, show);
	if (n > 0)
		at_line_start = msg[n - 1] == '\n';
	irq_restore(flags);
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

int printk_raw(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	u64 flags;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;
	flags = irq_save();
	if (!at_line_start && n > 0 && msg[0] != '\n' && msg[0] != '\r')
		emit("\n", 1, true);
	emit(msg, n, true);
	if (n > 0)
		at_line_start = msg[n - 1] == '\n';
	irq_restore(flags);
	return n;
}

u64 log_pos(void)
{
	return log_next;
}

/* Copy log bytes starting at @pos; returns how many.  Bytes that have been
 * overwritten in the ring are skipped (pos is moved forward to the oldest). */
size_t log_read(u64 pos, char *buf, size_t n)
{
	size_t i = 0;

	if (log_next > LOG_BUF_SIZE && pos < log_next - LOG_BUF_SIZE)
		pos = log_next - LOG_BUF_SIZE;
	for (; pos < log_next && i < n; pos++, i++)
		buf[i] = log_buf[pos % LOG_BUF_SIZE];
	return i;
}

bool log_contains_since(u64 pos, const char *needle)
{
	size_t nlen = strlen(needle);

	if (log_next > LOG_BUF_SIZE && pos < log_next - LOG_BUF_SIZE)
		pos = log_next - LOG_BUF_SIZE;
	for (; pos + nlen <= log_next; pos++) {
		size_t k = 0;

		while (k < nlen && log_buf[(pos + k) % LOG_BUF_SIZE] == needle[k])
			k++;
		if (k == nlen)
			return true;
	}
	return false;
}
