/*
 * vgacon.c - VGA text-mode console, the fallback when the boot loader left
 * the display in 80x25 text mode (BIOS boot with no framebuffer tag, or a
 * tag of type EGA text).
 *
 * Owns the colour text buffer at physical 0xb8000 and the CRT controller's
 * cursor registers.  Each cell is a 16-bit word: character code in the low
 * byte, attribute in the high byte (0x07: light grey on black).  The
 * adapter's built-in font is code page 437, which agrees with ASCII only, so
 * every non-ASCII UTF-8 character is shown as one '?'.
 *
 * Invariants:
 *  - 0 <= cy < VGA_ROWS and 0 <= cx <= VGA_COLS; cx == VGA_COLS means the
 *    last column was written and the next character wraps (as in fbcon.c).
 *  - The hardware cursor is moved once per write(), not once per byte:
 *    every move is four port writes, which are slow (trapping) under a VM.
 *  - write() never allocates and never calls printk (see console.h).
 */
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/io.h"
#include "kernel/layout.h"
#include "kernel/types.h"

#define VGA_TEXT_PHYS	0xb8000
#define VGA_COLS	80
#define VGA_ROWS	25
#define VGA_ATTR	0x07
#define VGA_BLANK	(VGA_ATTR << 8 | ' ')
#define ESC_MAX		32

/*
 * The CRT controller answers at 0x3d4/0x3d5 only while the Miscellaneous
 * Output register's I/O address select bit is 1 (colour emulation); with it
 * clear the registers move to 0x3b4/0x3b5 and the buffer to 0xb0000.
 */
#define VGA_MISC_READ	0x3cc
#define VGA_MISC_IOAS	0x01
#define CRTC_INDEX	0x3d4
#define CRTC_DATA	0x3d5
#define CRTC_MAX_SCAN	0x09	/* bits 0-4: character height - 1 */
#define CRTC_CUR_START	0x0a	/* bit 5: cursor off; bits 0-4: first scan line */
#define CRTC_CUR_END	0x0b	/* bits 0-4: last scan line */
#define CRTC_CUR_HIGH	0x0e	/* cursor cell index, bits 15-8 */
#define CRTC_CUR_LOW	0x0f	/* cursor cell index, bits 7-0 */

static struct {
	volatile u16 *buf;
	u32 cx, cy;
	bool in_esc, in_csi;
	u32 esc_len;
} vga;

static void vgacon_write(struct console *con, const char *s, size_t n);

static struct console vgacon_console = {
	.name = "vgacon",
	.write = vgacon_write,
};

static u8 crtc_read(u8 reg)
{
	outb(CRTC_INDEX, reg);
	return inb(CRTC_DATA);
}

static void crtc_write(u8 reg, u8 v)
{
	outb(CRTC_INDEX, reg);
	outb(CRTC_DATA, v);
}

/* An underline cursor on the cell's last two scan lines. */
static void cursor_enable(void)
{
	u8 last = crtc_read(CRTC_MAX_SCAN) & 0x1f;
	u8 first = last > 0 ? last - 1 : 0;

	crtc_write(CRTC_CUR_START, (crtc_read(CRTC_CUR_START) & 0xc0) | first);
	crtc_write(CRTC_CUR_END, (crtc_read(CRTC_CUR_END) & 0xe0) | last);
}

static void cursor_move(void)
{
	u16 pos = vga.cy * VGA_COLS + MIN(vga.cx, VGA_COLS - 1);

	crtc_write(CRTC_CUR_LOW, pos & 0xff);
	crtc_write(CRTC_CUR_HIGH, pos >> 8);
}

static void clear_row(u32 row)
{
	u32 x;

	for (x = 0; x < VGA_COLS; x++)
		vga.buf[row * VGA_COLS + x] = VGA_BLANK;
}

static void scroll_up(void)
{
	u32 i;

	for (i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
		vga.buf[i] = vga.buf[i + VGA_COLS];
	clear_row(VGA_ROWS - 1);
}

static void newline(void)
{
	vga.cx = 0;
	if (vga.cy + 1 < VGA_ROWS)
		vga.cy++;
	else
		scroll_up();
}

static void put_char(u8 c)
{
	if (vga.cx >= VGA_COLS)
		newline();
	vga.buf[vga.cy * VGA_COLS + vga.cx] = VGA_ATTR << 8 | c;
	vga.cx++;
}

/* ECMA-48 escape sequences are skipped; see escape_eats() in fbcon.c. */
static bool escape_eats(u8 c)
{
	if (c < 0x20 || c > 0x7e || ++vga.esc_len > ESC_MAX) {
		vga.in_esc = false;
		return false;
	}
	if (!vga.in_csi && c == '[')
		vga.in_csi = true;
	else if (c >= (vga.in_csi ? 0x40 : 0x30))
		vga.in_esc = false;
	return true;
}

static void vgacon_putc(u8 c)
{
	if (vga.in_esc && escape_eats(c))
		return;
	switch (c) {
	case '\n':
		newline();
		break;
	case '\r':
		vga.cx = 0;
		break;
	case '\t':
		if (vga.cx >= VGA_COLS)
			newline();
		vga.cx = MIN(ALIGN_UP(vga.cx + 1, 8), (u32)VGA_COLS);
		break;
	case '\b':
		if (vga.cx > 0)
			vga.cx--;
		break;
	case 0x1b:
		vga.in_esc = true;
		vga.in_csi = false;
		vga.esc_len = 0;
		break;
	default:
		if (c >= 0x20 && c < 0x7f)
			put_char(c);
		else if (c >= 0xc0)
			put_char('?');	/* UTF-8 lead byte; continuations draw nothing */
		break;
	}
}

static void vgacon_write(struct console *con, const char *s, size_t n)
{
	while (n--)
		vgacon_putc((u8)*s++);
	cursor_move();
}

/*
 * -ENODEV when the adapter is not in colour mode or nothing holds a value
 * written to 0xb8000 (no VGA: the bus reads back all-ones).  The probe cannot
 * tell RAM from a text buffer, so callers only use this console when the boot
 * loader said the display is in text mode or gave no framebuffer under BIOS.
 */
int vgacon_init(void)
{
	u32 row;
	u16 old;

	if (vga.buf)
		return -EBUSY;
	if (!(inb(VGA_MISC_READ) & VGA_MISC_IOAS))
		return -ENODEV;
	vga.buf = phys_to_virt(VGA_TEXT_PHYS);
	old = vga.buf[0];
	vga.buf[0] = 0x5aa5;
	if (vga.buf[0] != 0x5aa5) {
		vga.buf = NULL;
		return -ENODEV;
	}
	vga.buf[0] = old;

	for (row = 0; row < VGA_ROWS; row++)
		clear_row(row);
	vga.cx = vga.cy = 0;
	cursor_enable();
	cursor_move();
	register_console(&vgacon_console);
	return 0;
}
