/*
 * vsnprintf.c - the formatter behind printk and snprintf.
 *
 * Pure code (no kernel state), so tests/unit/test_vsnprintf.c checks it on the
 * host against the C library's printf under ASan/UBSan.
 *
 * Invariant: never writes more than size bytes, always NUL-terminates when
 * size > 0, and returns the length the full output would have had (C99).
 */
#include "kernel/vsnprintf.h"
#include <stdint.h>
#include <stdbool.h>

struct out {
	char *buf;
	size_t size;
	size_t len;		/* bytes produced so far, even if not stored */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, alt, plus, space;
	int width, prec;	/* prec < 0: none given */
};

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
	int len = 0;

	if (!s)
		s = "(null)";
	while (s[len] && (sp->prec < 0 || len < sp->prec))
		len++;
	if (!sp->left)
		pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

static void put_num(struct out *o, uintmax_t v, bool neg, unsigned base,
		    bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, prefix_len = 0, zeros, total;
	const char *prefix = "";

	if (v == 0 && sp->prec == 0)
		n = 0;		/* "%.0d" of 0 prints nothing */
	else
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v);

	if (neg)
		prefix = "-";
	else if (sp->plus && base == 10)
		prefix = "+";
	else if (sp->space && base == 10)
		prefix = " ";
	else if (sp->alt && base == 16 && n && !(n == 1 && tmp[0] == '0'))
		prefix = upper ? "0X" : "0x";
	else if (sp->alt && base == 8 && (n == 0 || tmp[n - 1] != '0'))
		prefix = "0";
	while (prefix[prefix_len])
		prefix_len++;

	zeros = sp->prec > n ? sp->prec - n : 0;
	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > n + prefix_len)
		zeros = sp->width - n - prefix_len;
	total = prefix_len + zeros + n;

	if (!sp->left)
		pad(o, ' ', sp->width - total);
	for (int i = 0; i < prefix_len; i++)
		put(o, prefix[i]);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

static int parse_int(const char **fmt)
{
	int v = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		if (v < 100000)
			v = v * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return v;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		struct spec sp = { .prec = -1 };
		int lng = 0;		/* -2 hh, -1 h, 1 l, 2 ll/z/j/t */
		uintmax_t u;
		intmax_t s;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (;;) {
			char f = *++fmt;

			if (f == '-') sp.left = true;
			else if (f == '0') sp.zero = true;
			else if (f == '#') sp.alt = true;
			else if (f == '+') sp.plus = true;
			else if (f == ' ') sp.space = true;
			else break;
		}
		if (*fmt == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width = -sp.width;
			}
			fmt++;
		} else {
			sp.width = parse_int(&fmt);
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				sp.prec = va_arg(ap, int);
				fmt++;
			} else {
				sp.prec = parse_int(&fmt);
			}
		}
		for (;; fmt++) {
			if (*fmt == 'h') lng = lng < 0 ? -2 : -1;
			else if (*fmt == 'l') lng++;
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't') lng = 2;
			else break;
		}

		switch (*fmt) {
		case 'd':
		case 'i':
			if (lng >= 1)
				s = lng == 1 ? va_arg(ap, long) : va_arg(ap, long long);
			else
				s = va_arg(ap, int);
			if (lng == -1) s = (short)s;
			if (lng == -2) s = (signed char)s;
			u = s < 0 ? -(uintmax_t)s : (uintmax_t)s;
			put_num(&o, u, s < 0, 10, false, &sp);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (lng >= 1)
				u = lng == 1 ? va_arg(ap, unsigned long)
					     : va_arg(ap, unsigned long long);
			else
				u = va_arg(ap, unsigned int);
			if (lng == -1) u = (unsigned short)u;
			if (lng == -2) u = (unsigned char)u;
			put_num(&o, u, false, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16,
				*fmt == 'X', &sp);
			break;
		case 'p':
			sp.alt = true;
			put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, &sp);
			break;
		case 's':
			put_str(&o, va_arg(ap, const char *), &sp);
			break;
		case 'c': {
			char c[2] = { (char)va_arg(ap, int), 0 };

			sp.prec = 1;
			if (!c[0]) {		/* a NUL char still counts */
				if (!sp.left) pad(&o, ' ', sp.width - 1);
				put(&o, 0);
				if (sp.left) pad(&o, ' ', sp.width - 1);
			} else {
				put_str(&o, c, &sp);
			}
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':		/* lone '%' at the end: print it, stop */
			put(&o, '%');
			fmt--;
			break;
		default:		/* unknown conversion: show it verbatim */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
