/*
 * fuzz_xstate.c - libFuzzer target for xstate_check_header()
 * (fpu/xstate_layout.c), the check a signal return runs on the XSAVE
 * header user space hands back before XRSTOR(S) may see it.
 *
 * Input: one flags byte (bit 0: compacted format), the u64 feature mask
 * the kernel allows (XCR0, or XCR0 | IA32_XSS), then the 64-byte header.
 *
 * The invariant is soundness against the hardware: a header the check
 * accepts must not make XRSTOR / XRSTORS raise #GP, by the SDM's rules
 * written out again here (Vol.1 13.8.1 standard form, 13.8.2 compacted
 * form, 13.12 XRSTORS).  The check may be stricter than the hardware
 * (it also refuses reserved bytes XRSTOR ignores), never looser.  A
 * rejection must come with a reason, an acceptance without one.
 */
#include "fuzz.h"
#include "fpu/xstate_layout.h"

#define BIT63	(1ULL << 63)

/* Would the CPU fault on this header, with @enabled the components set in
 * XCR0 (standard) or XCR0 | IA32_XSS (compacted)? */
static int hw_gp(const struct xregs_header *h, bool compacted, u64 enabled)
{
	enabled &= ~BIT63;
	if (!compacted)	/* XRSTOR with XCOMP_BV[63] = 0 */
		return (h->xfeatures & ~enabled) || h->xcomp_bv || h->reserved[0];
	/* XRSTORS */
	if (!(h->xcomp_bv & BIT63) || (h->xcomp_bv & ~BIT63 & ~enabled))
		return 1;
	if (h->xfeatures & ~(h->xcomp_bv & ~BIT63))
		return 1;
	for (int i = 0; i < 6; i++)	/* bytes 63:16 */
		if (h->reserved[i])
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xregs_header *h;
	const char *why = "unset";
	bool compacted;
	u64 allowed;
	int r;

	if (size < 1 + 8 + sizeof(*h))
		return 0;
	compacted = data[0] & 1;
	memcpy(&allowed, data + 1, 8);
	h = (struct xregs_header *)fuzz_copy(data + 9, sizeof(*h));

	r = xstate_check_header(h, compacted, allowed, &why);
	FUZZ_ASSERT(r == 0 || r == -1);
	FUZZ_ASSERT((r == 0) == (why == NULL));
	FUZZ_ASSERT(r == 0 || why[0] != '\0');
	if (r == 0)
		FUZZ_ASSERT(!hw_gp(h, compacted, allowed));
	/* the same answer without a reason pointer */
	FUZZ_ASSERT(xstate_check_header(h, compacted, allowed, NULL) == r);
	free(h);
	return 0;
}
