/*
 * mm_syscalls.c - the memory system calls: mmap, munmap, mprotect, brk,
 * madvise (Linux's x86-64 ABI and numbers, kernel/syscall_list.h).
 *
 * Only the user-facing layer lives here: registers to arguments, the fd
 * to a struct file, current's mm.  Each body is a kernel function of
 * mm/mmap.c that works on any mm and takes its mmap_lock (vm_mmap,
 * do_munmap, do_mprotect, do_brk, do_madvise), so the in-kernel tests
 * (mm/mm_user_test.c) exercise exactly what ring 3 gets, without ring 3.
 *
 * The argument types are Linux's: prot and flags are unsigned long, so
 * stray high bits are seen (and refused) instead of truncated away.
 */
#include "kernel/syscall.h"
#include "kernel/file.h"
#include "kernel/errno.h"
#include "mm/mm.h"
#include "sched/sched.h"

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len, unsigned long, prot,
		unsigned long, flags, unsigned long, fd, unsigned long, off)
{
	struct file *file = NULL;
	long ret;

	/* Linux's order: the offset is checked before the fd */
	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		file = fget((int)fd);
		if (!file)
			return -EBADF;
	}
	ret = vm_mmap(current->mm, file, addr, len, prot, flags, off);
	if (file)
		fput(file);		/* the VMA holds its own reference */
	return ret;
}

SYSCALL_DEFINE2(munmap, unsigned long, addr, size_t, len)
{
	return do_munmap(current->mm, addr, len);
}

SYSCALL_DEFINE3(mprotect, unsigned long, start, size_t, len, unsigned long, prot)
{
	return do_mprotect(current->mm, start, len, prot);
}

/* returns the new break, or the unchanged one: never an errno */
SYSCALL_DEFINE1(brk, unsigned long, brk)
{
	return (long)do_brk(current->mm, brk);
}

SYSCALL_DEFINE3(madvise, unsigned long, start, size_t, len, int, behavior)
{
	return do_madvise(current->mm, start, len, behavior);
}
