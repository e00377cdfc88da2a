/*
 * host_shim.h - what pure kernel files need when built for the host.
 *
 * Kernel files shared with host tests include kernel/printk.h, kernel/types.h
 * and kernel/list.h only (plus <string.h> under HOST_TEST).  tests/unit/
 * host_shim.c implements printk() on stdio, counting error-level messages
 * so a test can assert that a bad call was reported: host_printk_errors.
 */
#ifndef HOST_SHIM_H
#define HOST_SHIM_H

extern int host_printk_errors;		/* KERN_ERR or worse since reset */
extern char host_printk_last[512];	/* text of the last message */
void host_printk_reset(void);

#endif
