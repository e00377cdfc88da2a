/*
 * monitor.h - the kernel's interactive prompt on the serial console.
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

void __attribute__((noreturn)) monitor_run(void);
int monitor_exec(char *line);	/* run one command line; 0 if known */

#endif
