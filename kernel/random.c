/*
 * random.c - get_random_bytes(): RDRAND when the CPU has it, else the TSC
 * through a mixer (see random.h for why that is not cryptographic).
 *
 * Owns one counter.  No lock: callers on different CPUs each take a
 * distinct counter value (one atomic add), and that value, not shared
 * state, is what makes their outputs differ even if their TSCs agree.
 */
#include "kernel/random.h"
#include "kernel/cpu.h"
#include "kernel/atomic.h"
#include "kernel/string.h"

#define CPUID_1_ECX_RDRAND	BIT(30)
#define RDRAND_RETRIES		10	/* Intel's advice: give up after 10 */

static int have_rdrand = -1;		/* -1: not asked CPUID yet */
static atomic64_t mix_counter;

bool random_is_rdrand(void)
{
	int have = READ_ONCE(have_rdrand);

	/* every CPU of the machine answers the same, so a race only asks
	 * CPUID twice (which under a hypervisor is a VM exit: ask once) */
	if (have < 0) {
		have = !!(cpuid(1).ecx & CPUID_1_ECX_RDRAND);
		WRITE_ONCE(have_rdrand, have);
	}
	return have;
}

/* RDRAND sets CF when it delivered a value; it may transiently fail. */
static bool rdrand64(u64 *v)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		bool ok;

		asm volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
		if (ok)
			return true;
	}
	return false;
}

/* splitmix64's finalizer (Steele, Lea, Flood, "Fast splittable
 * pseudorandom number generators", 2014): every input bit affects every
 * output bit, so consecutive TSC values give unrelated-looking words. */
static u64 mix64(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 tsc_word(void)
{
	u64 n = (u64)atomic64_inc_return(&mix_counter);

	return mix64(rdtsc() ^ (n * 0x9e3779b97f4a7c15ULL));
}

void get_random_bytes(void *buf, size_t n)
{
	u8 *p = buf;
	bool hw = random_is_rdrand();

	while (n) {
		u64 v;
		size_t chunk = MIN(n, sizeof(v));

		if (!hw || !rdrand64(&v))
			v = tsc_word();
		memcpy(p, &v, chunk);
		p += chunk;
		n -= chunk;
	}
}
