/*
 * atomic.h - atomic counters (Linux's atomic_t / atomic64_t API).
 *
 * LOCK-prefixed read-modify-write instructions are atomic with respect to
 * all CPUs (SDM Vol. 3A, "Locked Atomic Operations") and are full memory
 * barriers on x86, which the reference counts in mm/ rely on: the last
 * mmput() must see every store made by the other users before tearing down.
 */
#ifndef KERNEL_ATOMIC_H
#define KERNEL_ATOMIC_H

#include "kernel/types.h"

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;

#define ATOMIC_INIT(i)	{ (i) }

static inline int atomic_read(const atomic_t *v) { return READ_ONCE(v->counter); }
static inline void atomic_set(atomic_t *v, int i) { WRITE_ONCE(v->counter, i); }

static inline void atomic_inc(atomic_t *v)
{
	asm volatile("lock incl %0" : "+m"(v->counter) : : "memory");
}

/* returns true when the new value is 0 */
static inline bool atomic_dec_and_test(atomic_t *v)
{
	bool zero;

	asm volatile("lock decl %0; sete %1" : "+m"(v->counter), "=qm"(zero) : : "memory");
	return zero;
}

static inline int atomic_fetch_add(int i, atomic_t *v)
{
	asm volatile("lock xaddl %0, %1" : "+r"(i), "+m"(v->counter) : : "memory");
	return i;
}

static inline s64 atomic64_read(const atomic64_t *v) { return READ_ONCE(v->counter); }
static inline void atomic64_set(atomic64_t *v, s64 i) { WRITE_ONCE(v->counter, i); }

static inline s64 atomic64_inc_return(atomic64_t *v)
{
	s64 i = 1;

	asm volatile("lock xaddq %0, %1" : "+r"(i), "+m"(v->counter) : : "memory");
	return i + 1;
}

#endif
