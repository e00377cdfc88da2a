/*
 * stacktrace.h - print where the kernel is and how it got there.
 *
 * The kernel is built with frame pointers, so every function's frame
 * starts with [saved RBP][return address]; following the saved RBPs walks
 * the call chain.  boot/entry.S sets RBP = 0 before kmain to end it.
 */
#ifndef KERNEL_STACKTRACE_H
#define KERNEL_STACKTRACE_H

#include "kernel/types.h"

#define STACKTRACE_MAX_DEPTH	32

void show_stack(u64 ip, u64 bp, const char *loglvl);
void dump_stack(void);
/* Fills @ips with up to @max return addresses starting at frame @bp. */
int save_stack_trace(u64 bp, u64 *ips, int max);

#endif
