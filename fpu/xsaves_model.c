/*
 * xsaves_model.c - XSAVES/XRSTORS done in software, for CPUs that lack
 * them (QEMU 7.2) or get them wrong (Bochs 2.7: see the self-test in
 * xstate.c).  `fpu=xsaves-model` selects it; it is never the default.
 *
 * Why have it: the compacted format, XCOMP_BV, the init optimization and
 * the XRSTORS fault rules are what the PASID and UINTR issues build on.
 * With the model they run - and are tested - on every machine here, with
 * the same buffers the real instructions would produce.
 *
 * How: the CPU's own standard-format XSAVE/XRSTOR move the registers
 * through a per-CPU scratch area; the model converts between that and the
 * compacted image, following the SDM (Vol. 1, 13.9-13.12):
 *   save (XSAVES with RFBM = mask & XCR0; the model has no IA32_XSS bits -
 *   the kernel's emulated components go through xstate.c's hooks):
 *     XSTATE_BV = XINUSE & RFBM (what XSAVE reports into a zeroed header),
 *       plus SSE if MXCSR is not 1F80H (the SDM's MXCSR rule);
 *     XCOMP_BV = RFBM | bit 63; header bytes 16-63 are not written;
 *     components in RFBM but in their init state are not written.
 *   restore (XRSTORS): #GP - returned as -1, nothing loaded - if XCOMP_BV
 *     bit 63 is clear, XCOMP_BV names a component outside XCR0, XSTATE_BV
 *     is not a subset of XCOMP_BV, header bytes 16-63 are not zero, or
 *     MXCSR has reserved bits; otherwise each component in RFBM loads from
 *     its compacted offset (for this image's XCOMP_BV) if its XSTATE_BV bit
 *     is set, else goes to its init state.
 * Not modelled: the modified optimization (an optimization the SDM says a
 * CPU *may* apply; leaving it out changes no result) and CPL checks (the
 * model is called only from the kernel).
 *
 * Runs with preemption or interrupts off, like every backend: the scratch
 * is per CPU.
 */
#include "fpu/internal.h"
#include "kernel/smp.h"
#include "kernel/percpu.h"
#include "kernel/string.h"

#define SCRATCH_SIZE	4096		/* the standard area for XCR0 <= 0x2ff */

static u8 scratch[NR_CPUS][SCRATCH_SIZE] __aligned(64);

/* The plain XSAVE/XRSTOR backend of xstate.c: the instructions live there. */
static const struct fpu_backend *std(void)
{
	static const struct fpu_backend *b;

	if (!b)
		b = fpu_find_backend("xsave");
	return b;
}

static struct xregs_state *this_scratch(void)
{
	return (struct xregs_state *)scratch[smp_processor_id()];
}

void xsaves_model_save(struct xregs_state *x, u64 mask)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct xregs_state *s = this_scratch();
	u64 rfbm = mask & l->hw_user, bv;

	memset(&s->header, 0, sizeof(s->header));
	std()->save(s, rfbm);		/* XSTATE_BV = XINUSE & RFBM in s */
	bv = s->header.xfeatures & rfbm;
	if ((rfbm & XFEATURE_MASK_SSE) && s->i387.mxcsr != 0x1f80)
		bv |= XFEATURE_MASK_SSE;
	if (bv & XFEATURE_MASK_FP) {	/* x87: bytes 0-23 and 32-159 */
		memcpy(&x->i387, &s->i387, offsetof(struct fxregs_state, mxcsr));
		memcpy(x->i387.st_space, s->i387.st_space, sizeof(s->i387.st_space));
	}
	if (rfbm & (XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)) {
		x->i387.mxcsr = s->i387.mxcsr;
		x->i387.mxcsr_mask = s->i387.mxcsr_mask;
	}
	if (bv & XFEATURE_MASK_SSE)
		memcpy(x->i387.xmm_space, s->i387.xmm_space, sizeof(s->i387.xmm_space));
	for (u64 m = bv & ~XFEATURE_MASK_FPSSE; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);

		memcpy((u8 *)x + xstate_compacted_offset(l, rfbm, nr),
		       (u8 *)s + l->comp[nr].std_offset, l->comp[nr].size);
	}
	x->header.xfeatures = bv;
	x->header.xcomp_bv = rfbm | XCOMP_BV_COMPACTED;
}

int xrstors_model_restore(struct xregs_state *x, u64 mask)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct xregs_state *s = this_scratch();
	u64 rfbm = mask & l->hw_user, bv = x->header.xfeatures, comp = x->header.xcomp_bv;

	if (xstate_check_header(&x->header, true, l->hw_user, NULL))
		return -1;				/* #GP(0) */
	if ((rfbm & (XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)) &&
	    (x->i387.mxcsr & ~fpu_mxcsr_mask()))
		return -1;				/* #GP(0) */
	memcpy(&s->i387, &x->i387, sizeof(s->i387));
	memset(&s->header, 0, sizeof(s->header));
	s->header.xfeatures = bv & rfbm;
	for (u64 m = bv & rfbm & ~XFEATURE_MASK_FPSSE; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);

		memcpy((u8 *)s + l->comp[nr].std_offset,
		       (u8 *)x + xstate_compacted_offset(l, comp & ~XCOMP_BV_COMPACTED, nr),
		       l->comp[nr].size);
	}
	return std()->restore(s, rfbm);		/* bits clear in XSTATE_BV: init */
}
