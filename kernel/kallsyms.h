/*
 * kallsyms.h - address -> "function+offset/size", for backtraces.
 *
 * The table is generated from the kernel's own `nm` output by a two-pass
 * link (Makefile, scripts/gen-ksyms.sh) and linked into .ksyms.
 */
#ifndef KERNEL_KALLSYMS_H
#define KERNEL_KALLSYMS_H

#include "kernel/types.h"

/* Returns the symbol name containing @addr (NULL if none); fills *offset and
 * *size (distance to the next symbol) when non-NULL. */
const char *kallsyms_lookup(u64 addr, u64 *offset, u64 *size);
/* Returns the address of the text symbol @name, or 0. */
u64 kallsyms_lookup_name(const char *name);
/* Formats "name+0xoff/0xsize" (or the bare hex address) into buf. */
int sprint_symbol(char *buf, size_t size, u64 addr);

#endif
