/*
 * uaccess.h - the only way the kernel touches user memory.
 *
 * Every user pointer is checked to lie entirely in the user half
 * (access_ok) before it is used, and every access runs with an
 * EX_TYPE_UACCESS exception-table entry: a fault on an unmapped-but-allowed
 * page is demand-paged and retried, any other fault ends the copy early.
 * With SMAP on, STAC/CLAC bracket the access (SDM Vol. 1, "Supervisor-Mode
 * Access Prevention": supervisor data accesses to user pages fault unless
 * RFLAGS.AC = 1).
 *
 * Return values follow Linux: copy_{from,to}_user and clear_user return the
 * number of bytes NOT copied (0 = success); callers turn a non-zero result
 * into -EFAULT.  strncpy_from_user returns the string length or -EFAULT.
 */
#ifndef MM_UACCESS_H
#define MM_UACCESS_H

#include "kernel/types.h"
#include "mm/pgtable.h"

#define __user

static inline bool access_ok(const void __user *ptr, u64 size)
{
	u64 addr = (u64)ptr;

	return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}

unsigned long copy_from_user(void *to, const void __user *from, unsigned long n);
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long clear_user(void __user *to, unsigned long n);
long strncpy_from_user(char *dst, const char __user *src, long count);

#endif
