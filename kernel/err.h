/*
 * err.h - an error code in a pointer (Linux's ERR_PTR/IS_ERR/PTR_ERR).
 *
 * Functions that return an object or an error return the object, or
 * ERR_PTR(-errno): the top 4095 addresses are never valid objects (they
 * are the last page of the address space, never mapped), so one return
 * value carries both.
 */
#ifndef KERNEL_ERR_H
#define KERNEL_ERR_H

#include "kernel/types.h"

#define MAX_ERRNO	4095

static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr)
{
	return (unsigned long)ptr >= (unsigned long)-MAX_ERRNO;
}
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

#endif
