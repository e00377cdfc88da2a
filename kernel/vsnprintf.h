/*
 * vsnprintf.h - printf-style formatting into a bounded buffer.
 * Supported: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '#' ' ' '+',
 * field width and precision (also '*'), length modifiers hh h l ll z t j.
 * No floating point (kernel code is built without SSE).
 */
#ifndef KERNEL_VSNPRINTF_H
#define KERNEL_VSNPRINTF_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
