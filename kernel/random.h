/*
 * random.h - random bytes for user space: AT_RANDOM at exec, getrandom().
 *
 * NOT CRYPTOGRAPHIC unless the CPU has RDRAND.  With RDRAND (CPUID.1:ECX
 * bit 30) every byte comes from the CPU's DRBG.  Without it the bytes are
 * the time-stamp counter run through a mixing function: unpredictable
 * enough that two programs (or two boots) get different stack canaries and
 * hash seeds, but an attacker who can estimate the TSC can guess them.
 * Linux would use its entropy pool; a teaching kernel has none.
 */
#ifndef KERNEL_RANDOM_H
#define KERNEL_RANDOM_H

#include "kernel/types.h"

void get_random_bytes(void *buf, size_t n);
bool random_is_rdrand(void);		/* for the boot log and getrandom */

#endif
