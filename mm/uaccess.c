/*
 * uaccess.c - checked copies to and from user memory (see uaccess.h).
 */
#include "mm/uaccess.h"
#include "kernel/string.h"
#include "kernel/errno.h"

unsigned long __copy_user(void *to, const void *from, unsigned long n);
unsigned long __clear_user(void *to, unsigned long n);
long __strncpy_from_user(char *dst, const char *src, long count);

/* STAC faults (#UD) on CPUs without SMAP, so only when it is on. */
static inline void stac(void)
{
	if (smap_enabled)
		asm volatile("stac" ::: "memory");
}

static inline void clac(void)
{
	if (smap_enabled)
		asm volatile("clac" ::: "memory");
}

unsigned long copy_from_user(void *to, const void __user *from, unsigned long n)
{
	unsigned long left = n;

	if (access_ok(from, n)) {
		stac();
		left = __copy_user(to, from, n);
		clac();
	}
	/* like Linux: never leave kernel memory uninitialised on failure */
	if (left)
		memset((char *)to + (n - left), 0, left);
	return left;
}

unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	unsigned long left;

	if (!access_ok(to, n))
		return n;
	stac();
	left = __copy_user(to, from, n);
	clac();
	return left;
}

unsigned long clear_user(void __user *to, unsigned long n)
{
	unsigned long left;

	if (!access_ok(to, n))
		return n;
	stac();
	left = __clear_user(to, n);
	clac();
	return left;
}

long strncpy_from_user(char *dst, const char __user *src, long count)
{
	long ret;

	if (count <= 0)
		return 0;
	/* the copy stops at the NUL, so only the start must be a user address;
	 * the count is clipped so it can never run into the kernel half */
	long want = count;

	if (!access_ok(src, 1))
		return -EFAULT;
	if ((u64)src + count > TASK_SIZE_MAX)
		count = TASK_SIZE_MAX - (u64)src;
	stac();
	ret = __strncpy_from_user(dst, src, count);
	clac();
	/* clipped at the end of the user half with no NUL found: the string
	 * runs into kernel space, which is a fault, not a shorter string
	 * (Linux's answer; found by usertests) */
	if (ret >= 0 && ret == count && count < want)
		return -EFAULT;
	return ret;
}
