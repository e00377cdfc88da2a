/*
 * tty.c - the console as a file: output to every console, line-edited
 * input from COM1 (a minimal N_TTY line discipline).
 *
 * OUTPUT goes through console_write(), i.e. to the serial port and the
 * framebuffer (or VGA text) console alike; serial turns '\n' into "\r\n"
 * itself (ONLCR).  User output is not stored in the kernel log.
 *
 * INPUT, canonical mode (ICANON, the default): bytes are collected into
 * the line being edited and echoed; read() sees nothing until the line is
 * complete.  Then each read() returns at most one line (up to and
 * including its '\n'); a read with a small count gets the rest of the
 * line next time.  The editing keys are Linux's defaults:
 *	Enter       '\r' becomes '\n' (ICRNL); '\n' ends the line
 *	DEL, ^H     erase one character (a whole UTF-8 sequence), echo "\b \b"
 *	^U          erase the line
 *	^D          at the start of a line: end of file (that read returns
 *	            0); inside a line: hand the line over without a '\n'
 *	^C          throw the line away and echo "^C" (no SIGINT: there is
 *	            no job control yet - docs/files.md)
 * Other control characters are kept and echoed as ^X (ECHOCTL).
 * Non-canonical mode (TCSETS without ICANON, for line editors): every byte
 * is readable at once; VMIN 0 makes read() poll, otherwise it waits for
 * one byte and returns what has arrived by then.  ECHO and ICRNL are
 * honoured in both modes; other termios bits are stored but have no
 * effect.
 *
 * The input buffer: buf[0..canon) is ready for read(), buf[canon..len) is
 * the line being edited.  In canonical mode lines[] records the lengths of
 * the completed lines in order; a length of 0 is an end of file (^D at the
 * start of a line), so "abc\n" then ^D reads as "abc\n", then 0, exactly
 * as on Linux.
 *
 * Locking: read_lock (a mutex) makes readers take turns: the one holding
 * it owns the input state and may sleep in getc() waiting for a key; the
 * others wait on the mutex (an O_NONBLOCK reader gets -EAGAIN instead).
 * write_lock orders output and echo, so a write() is not cut into by an
 * echo.  ctrl_lock (a spinlock) covers termios and winsize, which ioctl
 * changes without waiting for a sleeping reader; the reader applies mode
 * changes to its buffer itself.  Order: read_lock, then write_lock;
 * ctrl_lock is innermost and never held across anything that sleeps.
 * Output does not take printk's lock (printk.c does not export it): a
 * printk on another CPU can interleave with user output.
 */
#include "kernel/fs_internal.h"
#include "kernel/console.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/multiboot2.h"
#include "kernel/cmdline.h"
#include "kernel/font.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "sched/mutex.h"

#define N_TTY_BUF_SIZE	4096
#define N_TTY_LINES	128		/* completed lines waiting for read() */

#define B115200		0010002
#define CS8		0000060
#define CREAD		0000200
#define HUPCL		0002000

#define TTY_CONSOLE_INO	3
#define TTY_DEV		MKDEV_USER(0, 5)	/* devtmpfs */
#define TTY_RDEV	MKDEV_USER(5, 1)	/* /dev/console */

struct tty_struct {
	const struct tty_ops *ops;
	void *arg;
	struct mutex read_lock;		/* the fields below it up to ctrl_lock */
	struct mutex write_lock;
	char buf[N_TTY_BUF_SIZE];
	size_t canon, len;
	u16 lines[N_TTY_LINES];		/* ring of completed line lengths */
	unsigned line_head, nr_lines;
	bool icanon;			/* the mode buf is laid out for */
	spinlock_t ctrl_lock;
	struct termios termios;
	struct winsize winsize;
	bool flush_pending;		/* TCSETSF: drop pending input */
	bool winsize_set;		/* the console's: computed once */
};

/* Linux's tty_std_termios, at the serial port's speed */
static const struct termios default_termios = {
	.c_iflag = ICRNL | IXON,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = B115200 | CS8 | CREAD | HUPCL,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	/* ^C ^\ DEL ^U ^D 0 1 0 ^Q ^S ^Z 0 ^R ^O ^W ^V 0 */
	.c_cc = { 003, 034, 0177, 025, 004, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0 },
};

/* ------------------------------------------------------------ the console */

static int console_getc(void *arg, bool wait)
{
	return wait ? serial_getc_wait() : serial_getc();
}

static void console_out(void *arg, const char *s, size_t n)
{
	console_write(s, n);
}

static const struct tty_ops console_ops = {
	.getc = console_getc,
	.write = console_out,
};

static struct tty_struct console_tty = {
	.ops = &console_ops,
	.read_lock = __MUTEX_INITIALIZER(console_tty.read_lock),
	.write_lock = __MUTEX_INITIALIZER(console_tty.write_lock),
	.icanon = true,
	.ctrl_lock = __SPIN_LOCK_UNLOCKED(console_tty.ctrl_lock),
	.termios = default_termios,
};

extern struct boot_info boot_info;		/* kernel/main.c */

/* What the screen console shows: the framebuffer in cells of the font,
 * VGA text mode's 80x25, or the classic 80x24 of a serial terminal. */
static struct winsize console_winsize(void)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };

	if (boot_info.has_fb && boot_info.fb.type == BOOT_FB_RGB && !cmdline_has("nofb") &&
	    font_width && font_height && boot_info.fb.width / font_width >= 1 &&
	    boot_info.fb.height / font_height >= 1) {
		ws.ws_row = MIN(boot_info.fb.height / font_height, 0xffffu);
		ws.ws_col = MIN(boot_info.fb.width / font_width, 0xffffu);
		ws.ws_xpixel = MIN(boot_info.fb.width, 0xffffu);
		ws.ws_ypixel = MIN(boot_info.fb.height, 0xffffu);
	} else if (!boot_info.has_fb || boot_info.fb.type == BOOT_FB_EGA_TEXT) {
		ws.ws_row = 25;
	}
	return ws;
}

/* ------------------------------------------------------------ helpers */

static struct termios get_termios(struct tty_struct *tty)
{
	struct termios t;

	spin_lock(&tty->ctrl_lock);
	t = tty->termios;
	spin_unlock(&tty->ctrl_lock);
	return t;
}

static void tty_out(struct tty_struct *tty, const char *s, size_t n)
{
	mutex_lock(&tty->write_lock);
	tty->ops->write(tty->arg, s, n);
	mutex_unlock(&tty->write_lock);
}

static bool is_ctrl(u8 c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

static void echo_char(struct tty_struct *tty, const struct termios *t, u8 c)
{
	char s[2] = { '^', (char)(c ^ 0x40) };	/* ^A for 0x01, ^? for DEL */

	if (!(t->c_lflag & ECHO))
		return;
	if ((t->c_lflag & ICANON) && (t->c_lflag & ECHOCTL) && is_ctrl(c))
		tty_out(tty, s, 2);
	else
		tty_out(tty, (const char *)&c, 1);
}

/* canonical: the edited line becomes a completed one (length may be 0) */
static bool push_line(struct tty_struct *tty)
{
	if (tty->nr_lines == N_TTY_LINES)
		return false;
	tty->lines[(tty->line_head + tty->nr_lines++) % N_TTY_LINES] = tty->len - tty->canon;
	tty->canon = tty->len;
	return true;
}

static void consume(struct tty_struct *tty, size_t n)
{
	memmove(tty->buf, tty->buf + n, tty->len - n);
	tty->len -= n;
	tty->canon -= n;
}

static void erase_char(struct tty_struct *tty, const struct termios *t)
{
	u8 c;

	if (tty->len == tty->canon)
		return;
	/* a UTF-8 character is one column: drop its continuation bytes
	 * (10xxxxxx) and its lead byte together */
	do {
		c = tty->buf[--tty->len];
	} while ((c & 0xc0) == 0x80 && tty->len > tty->canon);
	if ((t->c_lflag & ECHO) && (t->c_lflag & ECHOE)) {
		tty_out(tty, "\b \b", 3);
		if ((t->c_lflag & ECHOCTL) && is_ctrl(c))
			tty_out(tty, "\b \b", 3);	/* "^X" took two columns */
	}
}

/* The reader applies what ioctl changed while it was away. */
static void sync_mode(struct tty_struct *tty, const struct termios *t)
{
	bool flush, icanon = t->c_lflag & ICANON;

	spin_lock(&tty->ctrl_lock);
	flush = tty->flush_pending;
	tty->flush_pending = false;
	spin_unlock(&tty->ctrl_lock);
	if (flush)
		tty->len = tty->canon = tty->nr_lines = 0;
	if (icanon == tty->icanon)
		return;
	if (icanon) {
		/* raw bytes not read yet become one line */
		tty->canon = 0;
		if (tty->len)
			push_line(tty);
	} else {
		/* everything typed so far is readable as it is */
		tty->nr_lines = 0;
		tty->canon = tty->len;
	}
	tty->icanon = icanon;
}

/* One input byte through the line discipline.  Caller holds read_lock. */
static void receive_char(struct tty_struct *tty, const struct termios *t, u8 c)
{
	if (c == '\r' && (t->c_iflag & ICRNL))
		c = '\n';
	if (!(t->c_lflag & ICANON)) {
		if (tty->len < N_TTY_BUF_SIZE) {
			tty->buf[tty->len++] = c;
			tty->canon = tty->len;
			echo_char(tty, t, c);
		}
		return;
	}
	if (c == t->c_cc[VERASE] || c == '\b') {
		erase_char(tty, t);
	} else if (c == t->c_cc[VKILL]) {
		while (tty->len > tty->canon)
			erase_char(tty, t);
	} else if (c == t->c_cc[VINTR] && (t->c_lflag & ISIG)) {
		tty->len = tty->canon;
		if (t->c_lflag & ECHO)
			tty_out(tty, "^C\n", 3);
	} else if (c == t->c_cc[VEOF]) {
		push_line(tty);			/* not echoed, as in Linux */
	} else if (c == '\n') {
		if (tty->len < N_TTY_BUF_SIZE && tty->nr_lines < N_TTY_LINES) {
			tty->buf[tty->len++] = '\n';
			push_line(tty);
			echo_char(tty, t, c);
		}
	} else if (tty->len < N_TTY_BUF_SIZE - 1) {	/* keep room for the '\n' */
		tty->buf[tty->len++] = c;
		echo_char(tty, t, c);
	}
}

/* Canonical: up to one line.  0 for an end-of-file mark. */
static ssize_t copy_line(struct tty_struct *tty, char __user *ubuf, size_t count)
{
	u16 *line = &tty->lines[tty->line_head];
	size_t n = MIN((size_t)*line, count);

	if (n && copy_to_user(ubuf, tty->buf, n))
		return -EFAULT;			/* nothing consumed */
	consume(tty, n);
	*line -= n;
	if (*line == 0) {			/* the line, or the EOF mark, is used up */
		tty->line_head = (tty->line_head + 1) % N_TTY_LINES;
		tty->nr_lines--;
	}
	return n;
}

static ssize_t copy_raw(struct tty_struct *tty, char __user *ubuf, size_t count)
{
	size_t n = MIN(tty->len, count);

	if (copy_to_user(ubuf, tty->buf, n))
		return -EFAULT;
	consume(tty, n);
	return n;
}

/* ------------------------------------------------------------ file ops */

static ssize_t tty_read(struct file *f, char __user *ubuf, size_t count, u64 *pos)
{
	struct tty_struct *tty = f->private_data;
	bool nonblock = f->f_flags & O_NONBLOCK;
	ssize_t ret;

	if (count == 0)
		return 0;
	if (nonblock) {
		if (!mutex_trylock(&tty->read_lock))
			return -EAGAIN;
	} else {
		mutex_lock(&tty->read_lock);
	}
	for (;;) {
		struct termios t = get_termios(tty);
		bool wait = !nonblock;
		int c;

		sync_mode(tty, &t);
		if (tty->icanon && tty->nr_lines) {
			ret = copy_line(tty, ubuf, count);
			break;
		}
		if (!tty->icanon) {
			if (tty->len) {
				/* take what else has arrived, then return */
				while (tty->len < MIN(count, (size_t)N_TTY_BUF_SIZE) &&
				       (c = tty->ops->getc(tty->arg, false)) >= 0)
					receive_char(tty, &t, c);
				ret = copy_raw(tty, ubuf, count);
				break;
			}
			if (t.c_cc[VMIN] == 0)
				wait = false;	/* poll */
		}
		c = tty->ops->getc(tty->arg, wait);
		if (c < 0) {
			/* nothing waiting, or no device at all (end of file) */
			ret = nonblock ? -EAGAIN : 0;
			break;
		}
		receive_char(tty, &t, c);
	}
	mutex_unlock(&tty->read_lock);
	return ret;
}

static ssize_t tty_write(struct file *f, const char __user *ubuf, size_t count, u64 *pos)
{
	struct tty_struct *tty = f->private_data;
	char kbuf[256];
	size_t done = 0;

	if (count == 0)
		return 0;
	mutex_lock(&tty->write_lock);
	while (done < count) {
		size_t n = MIN(count - done, sizeof(kbuf));
		unsigned long left = copy_from_user(kbuf, ubuf + done, n);

		if (n - left)
			tty->ops->write(tty->arg, kbuf, n - left);
		done += n - left;
		if (left)
			break;
	}
	mutex_unlock(&tty->write_lock);
	return done ? (ssize_t)done : -EFAULT;
}

static long tty_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	struct tty_struct *tty = f->private_data;
	void __user *p = (void __user *)arg;
	struct termios t;
	struct winsize ws;
	int n;

	switch (cmd) {
	case TCGETS:
		t = get_termios(tty);
		return copy_to_user(p, &t, sizeof(t)) ? -EFAULT : 0;
	case TCSETS:
	case TCSETSW:			/* output is synchronous: nothing to drain */
	case TCSETSF:
		if (copy_from_user(&t, p, sizeof(t)))
			return -EFAULT;
		spin_lock(&tty->ctrl_lock);
		tty->termios = t;
		if (cmd == TCSETSF)
			tty->flush_pending = true;
		spin_unlock(&tty->ctrl_lock);
		return 0;
	case TIOCGWINSZ:
		spin_lock(&tty->ctrl_lock);
		ws = tty->winsize;
		spin_unlock(&tty->ctrl_lock);
		return copy_to_user(p, &ws, sizeof(ws)) ? -EFAULT : 0;
	case TIOCSWINSZ:
		if (copy_from_user(&ws, p, sizeof(ws)))
			return -EFAULT;
		spin_lock(&tty->ctrl_lock);
		tty->winsize = ws;
		spin_unlock(&tty->ctrl_lock);
		return 0;
	case FIONREAD:
		/* a snapshot without read_lock (a reader may sleep holding it):
		 * the bytes read() would return now */
		n = READ_ONCE(tty->canon);
		return copy_to_user(p, &n, sizeof(n)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static int tty_getattr(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = TTY_DEV;
	st->ino = TTY_CONSOLE_INO;
	st->rdev = TTY_RDEV;
	st->mode = S_IFCHR | 0620;
	st->nlink = 1;
	st->gid = 5;			/* the "tty" group */
	return 0;
}

const struct file_operations tty_fops = {
	.read = tty_read,
	.write = tty_write,
	.ioctl = tty_ioctl,
	.getattr = tty_getattr,
	.seekable = false,
};

/* ------------------------------------------------------------ ttys */

struct file *tty_open(struct tty_struct *tty, int flags)
{
	return alloc_file(&tty_fops, open_file_flags(flags), tty);
}

struct file *tty_open_console(int flags)
{
	struct tty_struct *tty = &console_tty;

	spin_lock(&tty->ctrl_lock);
	if (!tty->winsize_set) {
		tty->winsize = console_winsize();
		tty->winsize_set = true;
	}
	spin_unlock(&tty->ctrl_lock);
	return tty_open(tty, flags);
}

struct tty_struct *tty_alloc(const struct tty_ops *ops, void *arg)
{
	struct tty_struct *tty = kzalloc(sizeof(*tty), GFP_KERNEL);

	if (!tty)
		return NULL;
	tty->ops = ops;
	tty->arg = arg;
	mutex_init(&tty->read_lock);
	mutex_init(&tty->write_lock);
	spin_lock_init(&tty->ctrl_lock);
	tty->termios = default_termios;
	tty->icanon = true;
	tty->winsize = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	tty->winsize_set = true;
	return tty;
}

void tty_free(struct tty_struct *tty)
{
	if (tty != &console_tty)
		kfree(tty);
}
