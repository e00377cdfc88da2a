/*
 * calib - checks that a TSC delta is an instruction count, and says what
 * this boot is (backend names and features the other rows depend on).
 *
 * The loop below is exactly two instructions per turn (DEC, JNZ), so K
 * turns are 2K instructions plus the fixed cost of the measurement, which
 * an empty measurement gives.  Under QEMU -icount shift=0 and in Bochs the
 * error should be 0; the smallest of several runs is taken, so a timer
 * interrupt landing inside one run does not count.  On real hardware the
 * "error" is the ratio of cycles to instructions and means nothing.
 *
 *   bench: calib turns=K expected=E measured=M error=P%
 *   bench: info fpu=NAME pti=on|off|n/a pcid=on|off|n/a cpus=N
 */
#include "bench.h"

static uint64_t loop(uint64_t turns)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1: dec %0; jnz 1b" : "+r"(turns) :: "cc");
	uint64_t t1 = rdtsc();
	return t1 - t0;
}

int main(int argc, char **argv)
{
	bench_init(argc, argv, "calib");
	bench_overhead();

	char fpu[32], pti[32], pcid[32];
	switchyard_word("fpu", fpu, sizeof(fpu));
	switchyard_word("pti", pti, sizeof(pti));
	switchyard_word("pcid", pcid, sizeof(pcid));
	say("bench: info fpu=%s pti=%s pcid=%s cpus=%d overhead=%llu", fpu, pti, pcid,
	    online_cpus(), (unsigned long long)overhead);

	static const uint64_t lengths[] = { 1000, 100000, 1000000 };
	for (int l = 0; l < 3; l++) {
		uint64_t turns = bench_quick ? 10 : lengths[l];
		uint64_t best = UINT64_MAX;
		for (int r = 0; r < iters(5); r++) {
			uint64_t d = loop(turns);
			if (d < best)
				best = d;
		}
		uint64_t measured = best > overhead ? best - overhead : 0;
		uint64_t expected = 2 * turns;
		double err = 100.0 * ((double)measured - (double)expected) / (double)expected;
		say("bench: calib turns=%llu expected=%llu measured=%llu error=%.4f%%",
		    (unsigned long long)turns, (unsigned long long)expected,
		    (unsigned long long)measured, err);
		if (bench_quick)
			break;
	}
	return 0;
}
