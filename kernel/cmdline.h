/*
 * cmdline.h - the kernel command line ("switchyard ktest=all loglevel=8 ...").
 *
 * Words are separated by spaces; a word is either "name" or "name=value".
 * cmdline_get("ktest") returns the value ("" for a bare word) or NULL.
 * Values cannot contain spaces (quoting is not supported).
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "kernel/types.h"

void cmdline_init(const char *s);
const char *cmdline_raw(void);
const char *cmdline_get(const char *name);	/* NULL when absent */
bool cmdline_has(const char *name);
long cmdline_get_long(const char *name, long dflt);

#endif
