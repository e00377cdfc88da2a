/*
 * fbcon.c - text console on the linear framebuffer the boot loader set up.
 *
 * Owns the framebuffer described by the multiboot2 framebuffer tag (type
 * RGB, 16/24/32 bits per pixel) and the text cursor on it.  Glyphs come
 * from the build-time font (kernel/font.h); text is light grey on black.
 * Bytes are decoded as UTF-8: code points 0..255 use the font's Latin-1
 * map, anything else shows as '?'.  ANSI escape sequences are skipped.
 *
 * Invariants:
 *  - fbc.base .. fbc.base + pitch * height lies inside the boot direct map
 *    (fbcon_init refuses anything else), so every access below is mapped.
 *  - 0 <= cy < rows and 0 <= cx <= cols.  cx == cols means "wrap pending":
 *    the last column was just written and the next printable character
 *    starts a new line.  Wrapping lazily (as a VT100 does) keeps a line of
 *    exactly cols characters followed by '\n' from leaving a blank line.
 *  - The cursor (an underline drawn by XOR) is on screen only between
 *    write() calls; XOR twice restores the pixels exactly, whatever the
 *    glyph under it.
 *  - write() never allocates and never calls printk (see console.h).
 */
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/font.h"
#include "kernel/layout.h"
#include "kernel/multiboot2.h"
#include "kernel/types.h"

#define FB_MAX_DIM	16384	/* larger than any real mode: rejects junk tags */
#define FG_LEVEL	0xaa	/* VGA "light grey" (palette entry 7) per channel */
#define CURSOR_ROWS	2	/* underline height in pixel rows */
#define ESC_MAX		32	/* give up on an escape sequence this long */

enum esc_state { ESC_NONE, ESC_SEEN, ESC_CSI };

static struct {
	u8 *base;			/* virtual address of pixel (0, 0) */
	u32 pitch;			/* bytes from one pixel row to the next */
	u32 width, height;		/* pixels */
	u32 bypp;			/* bytes per pixel: 2, 3 or 4 */
	u32 cols, rows;			/* text cells */
	u32 cx, cy;			/* cursor cell */
	u32 fg, bg;			/* pixel values in the framebuffer's format */
	enum esc_state esc;
	u32 esc_len;
	u32 utf8_cp, utf8_left;		/* partial UTF-8 character */
	bool cursor_on;
	u32 cursor_x, cursor_y;		/* where the XOR underline is drawn */
} fbc;

static void fbcon_write(struct console *con, const char *s, size_t n);

static struct console fbcon_console = {
	.name = "fbcon",
	.write = fbcon_write,
};

/* ---------------------------------------------------------------- pixels */

/*
 * Multiboot2 describes each colour channel by its bit position and size
 * within the little-endian pixel value (spec 3.6.12).  Scale an 8-bit level
 * to the channel's size, so RGB, BGR, 5:6:5 and 10-bit layouts all work.
 */
static u32 channel(u32 level, u8 pos, u8 size)
{
	u32 v = size >= 8 ? level << (size - 8) : level >> (8 - size);

	return v << pos;
}

static u32 rgb_pixel(const struct boot_fb *fb, u32 r, u32 g, u32 b)
{
	return channel(r, fb->red_pos, fb->red_size) |
	       channel(g, fb->green_pos, fb->green_size) |
	       channel(b, fb->blue_pos, fb->blue_size);
}

/* volatile: these bytes are read by the display, not by this program */
static void put_pixel(u8 *p, u32 v)
{
	switch (fbc.bypp) {
	case 4:
		*(volatile u32 *)p = v;
		break;
	case 3:
		((volatile u8 *)p)[0] = v;
		((volatile u8 *)p)[1] = v >> 8;
		((volatile u8 *)p)[2] = v >> 16;
		break;
	default:
		*(volatile u16 *)p = v;
		break;
	}
}

static u32 get_pixel(const u8 *p)
{
	switch (fbc.bypp) {
	case 4:
		return *(const volatile u32 *)p;
	case 3:
		return ((const volatile u8 *)p)[0] |
		       ((const volatile u8 *)p)[1] << 8 |
		       ((const volatile u8 *)p)[2] << 16;
	default:
		return *(const volatile u16 *)p;
	}
}

static u8 *pixel_addr(u32 x, u32 y)
{
	return fbc.base + (size_t)y * fbc.pitch + (size_t)x * fbc.bypp;
}

/* Paint pixel rows y .. y + n - 1 (the full width) with the background. */
static void clear_rows(u32 y, u32 n)
{
	u32 row, x;

	for (row = y; row < y + n; row++) {
		u8 *p = pixel_addr(0, row);

		for (x = 0; x < fbc.width; x++, p += fbc.bypp)
			put_pixel(p, fbc.bg);
	}
}

/*
 * Copy n bytes from src down to dst (dst < src, possibly overlapping).
 * Copying forwards is safe for that overlap.  64-bit words make an eighth
 * of the bus transactions of a byte loop, which matters because a scroll
 * moves the whole screen (3 MiB at 1024x768x32) and framebuffer reads are
 * uncached on real hardware.  src - dst is a whole number of text rows,
 * a multiple of 16 bytes, so both sides share one alignment.
 */
static void copy_down(u8 *dst, const u8 *src, size_t n)
{
	volatile u64 *d = (volatile u64 *)dst;
	const volatile u64 *s = (const volatile u64 *)src;
	size_t i;

	for (i = 0; i < n / 8; i++)
		d[i] = s[i];
	for (i = n & ~(size_t)7; i < n; i++)
		((volatile u8 *)dst)[i] = ((const volatile u8 *)src)[i];
}

/* ---------------------------------------------------------------- cells */

static void draw_glyph(u32 col, u32 row, u32 glyph)
{
	const u8 *bits = font_data + (size_t)glyph * font_height * font_bytes_per_row;
	u8 *line = pixel_addr(col * font_width, row * font_height);
	u32 y, x;

	for (y = 0; y < font_height; y++, line += fbc.pitch, bits += font_bytes_per_row) {
		u8 *p = line;

		for (x = 0; x < font_width; x++, p += fbc.bypp) {
			bool on = bits[x / 8] & (0x80 >> (x % 8));

			put_pixel(p, on ? fbc.fg : fbc.bg);
		}
	}
}

/* XOR with fg ^ bg swaps foreground and background pixels: its own inverse. */
static void cursor_flip(u32 col, u32 row)
{
	u32 h = MIN((u32)CURSOR_ROWS, font_height);
	u32 mask = fbc.fg ^ fbc.bg;
	u32 y, x;

	for (y = font_height - h; y < font_height; y++) {
		u8 *p = pixel_addr(col * font_width, row * font_height + y);

		for (x = 0; x < font_width; x++, p += fbc.bypp)
			put_pixel(p, get_pixel(p) ^ mask);
	}
}

static void cursor_show(void)
{
	fbc.cursor_x = MIN(fbc.cx, fbc.cols - 1);	/* wrap pending: last column */
	fbc.cursor_y = fbc.cy;
	cursor_flip(fbc.cursor_x, fbc.cursor_y);
	fbc.cursor_on = true;
}

static void cursor_hide(void)
{
	if (fbc.cursor_on)
		cursor_flip(fbc.cursor_x, fbc.cursor_y);
	fbc.cursor_on = false;
}

static void scroll_up(void)
{
	size_t text_row = (size_t)font_height * fbc.pitch;

	copy_down(fbc.base, fbc.base + text_row, (fbc.rows - 1) * text_row);
	clear_rows((fbc.rows - 1) * font_height, font_height);
}

static void newline(void)
{
	fbc.cx = 0;
	if (fbc.cy + 1 < fbc.rows)
		fbc.cy++;
	else
		scroll_up();
}

static void put_glyph(u32 glyph)
{
	if (fbc.cx >= fbc.cols)
		newline();
	draw_glyph(fbc.cx, fbc.cy, glyph);
	fbc.cx++;
}

static void put_codepoint(u32 cp)
{
	put_glyph(cp < 256 ? font_ascii_map[cp] : font_ascii_map['?']);
}

/* ---------------------------------------------------------------- bytes */

/*
 * Escape sequences (ECMA-48): ESC, then either '[' parameter bytes
 * (0x20-0x3f) and one final byte (0x40-0x7e) - a CSI sequence such as
 * "\033[1;31m" - or intermediate bytes (0x20-0x2f) and one final byte
 * (0x30-0x7e).  Returns true when c was part of a sequence.  A control
 * character or an overlong sequence abandons it, so a stray ESC cannot
 * swallow the rest of the output.
 */
static bool escape_eats(u8 c)
{
	if (c < 0x20 || c > 0x7e || ++fbc.esc_len > ESC_MAX) {
		fbc.esc = ESC_NONE;
		return false;
	}
	if (fbc.esc == ESC_SEEN) {
		if (c == '[')
			fbc.esc = ESC_CSI;
		else if (c >= 0x30)
			fbc.esc = ESC_NONE;
	} else if (c >= 0x40) {
		fbc.esc = ESC_NONE;
	}
	return true;
}

static void put_control(u8 c)
{
	switch (c) {
	case '\n':
		newline();
		break;
	case '\r':
		fbc.cx = 0;
		break;
	case '\t':
		if (fbc.cx >= fbc.cols)
			newline();
		fbc.cx = MIN(ALIGN_UP(fbc.cx + 1, 8), fbc.cols);
		break;
	case '\b':
		/* move left without erasing; shells echo "\b \b" to erase */
		if (fbc.cx > 0)
			fbc.cx--;
		break;
	case 0x1b:
		fbc.esc = ESC_SEEN;
		fbc.esc_len = 0;
		break;
	default:
		break;		/* BEL and the rest draw nothing */
	}
}

/* UTF-8 (RFC 3629): lead byte 110xxxxx, 1110xxxx or 11110xxx, then 10xxxxxx. */
static void fbcon_putc(u8 c)
{
	if (fbc.esc != ESC_NONE && escape_eats(c))
		return;
	if (fbc.utf8_left) {
		if ((c & 0xc0) == 0x80) {
			fbc.utf8_cp = fbc.utf8_cp << 6 | (c & 0x3f);
			if (--fbc.utf8_left == 0)
				put_codepoint(fbc.utf8_cp);
			return;
		}
		fbc.utf8_left = 0;	/* cut short: mark it, then take c afresh */
		put_codepoint('?');
	}
	if (c >= 0xc2 && c <= 0xdf) {
		fbc.utf8_cp = c & 0x1f;
		fbc.utf8_left = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		fbc.utf8_cp = c & 0x0f;
		fbc.utf8_left = 2;
	} else if (c >= 0xf0 && c <= 0xf4) {
		fbc.utf8_cp = c & 0x07;
		fbc.utf8_left = 3;
	} else if (c >= 0x80) {
		put_codepoint('?');	/* stray continuation or invalid byte */
	} else if (c < 0x20 || c == 0x7f) {
		put_control(c);
	} else {
		put_codepoint(c);
	}
}

static void fbcon_write(struct console *con, const char *s, size_t n)
{
	cursor_hide();
	while (n--)
		fbcon_putc((u8)*s++);
	cursor_show();
}

/* ---------------------------------------------------------------- setup */

static bool channel_ok(u8 pos, u8 size, u8 bpp)
{
	return size >= 1 && size <= 16 && pos + size <= bpp;
}

/*
 * -ENODEV: not an RGB framebuffer (indexed colour or EGA text);
 * -ERANGE: not entirely inside the 4 GiB the boot page tables map;
 * -EINVAL: a geometry or pixel format this console cannot draw on.
 */
static int fb_check(const struct boot_fb *fb)
{
	u32 bypp;
	u64 size;

	if (!fb)
		return -EINVAL;
	if (fb->type != BOOT_FB_RGB)
		return -ENODEV;
	if (fb->bpp != 16 && fb->bpp != 24 && fb->bpp != 32)
		return -EINVAL;
	bypp = fb->bpp / 8;
	if (fb->width < font_width || fb->width > FB_MAX_DIM ||
	    fb->height < font_height || fb->height > FB_MAX_DIM)
		return -EINVAL;
	if (fb->pitch < fb->width * bypp)
		return -EINVAL;
	if (!channel_ok(fb->red_pos, fb->red_size, fb->bpp) ||
	    !channel_ok(fb->green_pos, fb->green_size, fb->bpp) ||
	    !channel_ok(fb->blue_pos, fb->blue_size, fb->bpp))
		return -EINVAL;
	size = (u64)fb->pitch * fb->height;
	if (fb->addr == 0 || fb->addr >= BOOT_DIRECT_MAP_SIZE ||
	    size > BOOT_DIRECT_MAP_SIZE - fb->addr)
		return -ERANGE;
	return 0;
}

int fbcon_init(const struct boot_fb *fb)
{
	int err;

	if (fbc.base)
		return -EBUSY;
	err = fb_check(fb);
	if (err)
		return err;

	fbc.base = phys_to_virt(fb->addr);
	fbc.pitch = fb->pitch;
	fbc.width = fb->width;
	fbc.height = fb->height;
	fbc.bypp = fb->bpp / 8;
	fbc.cols = fb->width / font_width;
	fbc.rows = fb->height / font_height;
	fbc.fg = rgb_pixel(fb, FG_LEVEL, FG_LEVEL, FG_LEVEL);
	fbc.bg = rgb_pixel(fb, 0, 0, 0);

	/* GRUB's menu may still be on screen; the slack below the last text
	 * row is cleared here once and never drawn again */
	clear_rows(0, fbc.height);
	cursor_show();
	register_console(&fbcon_console);
	return 0;
}
