/*
 * printk.c - formats log messages, keeps the log buffer, feeds the consoles.
 *
 * logbuf_lock, taken with interrupts off, serializes the log buffer and
 * the consoles, so lines from different CPUs do not interleave.  It is a
 * bare arch_spinlock_t: the spinlock debug checks report through printk,
 * and must not re-enter it through the lock they are reporting on.  It is
 * the innermost lock (docs/locking.md): any code, holding any lock, may
 * call printk.
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
#include "kernel/irqflags.h"
#include "kernel/spinlock.h"

int console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;

static char log_buf[LOG_BUF_SIZE];
static u64 log_next;		/* total bytes ever written */
static bool at_line_start = true;
static arch_spinlock_t logbuf_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static int logbuf_cpu = -1;	/* holder of logbuf_lock; -1 when free */

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

/*
 * Returns false, without the lock, if this CPU already holds it: an
 * exception or NMI inside emit() (a faulting console driver, a panic) is
 * printing.  Spinning would hang the CPU on itself and lose that report;
 * writing unlocked only interleaves with this CPU's own interrupted line.
 */
static bool logbuf_lock_irqsave(unsigned long *flags)
{
	local_irq_save(*flags);
	if (READ_ONCE(logbuf_cpu) == smp_processor_id())
		return false;
	arch_spin_lock(&logbuf_lock);
	logbuf_cpu = smp_processor_id();
	return true;
}

static void logbuf_unlock_irqrestore(unsigned long flags, bool locked)
{
	if (locked) {
		logbuf_cpu = -1;
		arch_spin_unlock(&logbuf_lock);
	}
	local_irq_restore(flags);
}

/*
 * The level is read from the formatted text, not the format, so that
 * printk("%sCall Trace:\n", loglvl) works as in Linux.
 */
int vprintk(const char *fmt, va_list ap)
{
	char buf[512], prefix[40], *msg = buf;
	int level = LOGLEVEL_DEFAULT, n, plen;
	bool cont = false, show, locked;
	unsigned long flags;

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

	locked = logbuf_lock_irqsave(&flags);
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
	logbuf_unlock_irqrestore(flags, locked);
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
	unsigned long flags;
	bool locked;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;
	locked = logbuf_lock_irqsave(&flags);
	if (!at_line_start && n > 0 && msg[0] != '\n' && msg[0] != '\r')
		emit("\n", 1, true);
	emit(msg, n, true);
	if (n > 0)
		at_line_start = msg[n - 1] == '\n';
	logbuf_unlock_irqrestore(flags, locked);
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
