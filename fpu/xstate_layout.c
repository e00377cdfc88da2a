/*
 * xstate_layout.c - the XSAVE buffer layout, computed from CPUID leaf 0DH.
 *
 * Owns only arithmetic: no CPUID instruction, no XCR0/MSR writes (the
 * caller passes CPUID as a callback and programs XCR0 = hw_user and
 * IA32_XSS = hw_sup itself).  Every CPUID number is checked before it is
 * used, because a wrong layout does not crash here: it makes XSAVE write
 * past the end of a task buffer, or XRSTOR #GP on every context switch.
 *
 * The two formats (SDM Vol.1 13.4):
 *  - standard (XSAVE, XSAVEOPT, XRSTOR): component i >= 2 lives at the
 *    fixed offset CPUID.(0DH,i):EBX, whatever else is enabled; the save
 *    area ends at the largest offset + size among XCR0's components.
 *    Offsets need not grow with the bit number (AMD's PKRU, AMX).
 *  - compacted (XSAVEC, XSAVES, XRSTORS): the components named in XCOMP_BV
 *    are packed in bit order from byte 576, each rounded up to 64 first if
 *    CPUID.(0DH,i):ECX[1] says so.  x87 and SSE always keep their legacy
 *    places in bytes 0..511.  Only the compacted format can hold supervisor
 *    (IA32_XSS) components; XSAVE/XSAVEC never save them.  So hw_sup is
 *    empty unless compacted format was asked for and XSAVES exists.
 *
 * Emulated components (PASID 10, UINTR 14) are state Switchyard models in
 * software on CPUs without them.  Hardware never reads or writes their
 * slots, but keeping them inside the task buffer lets fork, exec and
 * signal code copy "the FPU state" as one block.  Placement rule:
 *  - compacted: the SDM walk over all of `features`, so an emulated
 *    component sits where a CPU that had it would put it.  That only
 *    agrees with what XSAVES writes for XCOMP_BV = hw_user|hw_sup if every
 *    hardware component's bit is below every emulated bit: then adding
 *    the emulated bits changes no hardware offset, and the emulated slots
 *    all land at or beyond hw_size.  If a hardware bit is above an
 *    emulated one (AMX 17/18 native with UINTR 14 emulated), putting the
 *    emulated slot at its SDM place would shift AMX in our view but not
 *    in the CPU's.  Then the emulated components go after hw_size
 *    instead, in bit order with the same alignment rule, and
 *    emulated_at_end is set so the kernel can say so at boot.
 *  - standard: hardware components at their CPUID offsets; emulated ones
 *    after the standard area (hw_size), in bit order, same alignment rule.
 * Either way the buffer header's XCOMP_BV names only hardware components:
 * the offsets of emulated slots come from this layout, not from the header.
 *
 * Numbers for the emulated components are architectural, not read from
 * CPUID (which reports zeros for components a CPU lacks): PASID = the
 * 8-byte IA32_PASID MSR; UINTR = 48 bytes (SDM 13.x, Bochs
 * XSAVE_UINTR_STATE_LEN); neither is 64-byte aligned.
 */
#include "fpu/xstate_layout.h"
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/string.h"
#endif

/* No real component is near this (AMX TILEDATA, the biggest, is 8 KiB);
 * with it, 63 components plus alignment cannot overflow a u32 or an int. */
#define XSTATE_COMP_SIZE_MAX	(1u << 20)

/* Bits 62:0 name components; XCR0[63] and XCOMP_BV[63] mean something else. */
#define XFEATURE_MASK_ALL	(~XCOMP_BV_COMPACTED)

#define XSAVE_SSE_SIZE		256	/* XMM0-15 */

static const struct {
	int nr;
	u32 size;
} emulated_sizes[] = {
	{ XFEATURE_PASID, 8 },		/* IA32_PASID */
	{ XFEATURE_UINTR, 48 },		/* HANDLER, STACKADJUST, MISC, PD, RR, TT */
};

static bool has(u64 mask, int nr)
{
	return (mask >> nr) & 1;
}

static int fail(struct xstate_layout *l, int nr, const char *why)
{
	l->error = why;
	l->error_nr = nr;
	return -1;
}

static u32 emulated_size(int nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(emulated_sizes); i++)
		if (emulated_sizes[i].nr == nr)
			return emulated_sizes[i].size;
	return 0;
}

/*
 * XSETBV #GPs on some combinations even if each bit is supported (SDM
 * Vol.1 13.3; the same checks as KVM's __kvm_set_xcr): x87 must be set,
 * AVX needs SSE, MPX's two components go together, the three AVX-512
 * components go together and need AVX, AMX's two go together.  Wanting
 * half a group means not getting the group.
 */
static u64 xcr0_sanitize(u64 x)
{
	x |= XFEATURE_MASK_FP;
	if (!(x & XFEATURE_MASK_SSE))
		x &= ~XFEATURE_MASK_YMM;
	if ((x & XFEATURE_MASK_BNDS) != XFEATURE_MASK_BNDS)
		x &= ~XFEATURE_MASK_BNDS;
	if ((x & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 || !(x & XFEATURE_MASK_YMM))
		x &= ~XFEATURE_MASK_AVX512;
	if ((x & XFEATURE_MASK_XTILE) != XFEATURE_MASK_XTILE)
		x &= ~XFEATURE_MASK_XTILE;
	return x;
}

/*
 * The SDM compacted walk over @mask: returns the offset of @nr (or, with
 * nr = -1, the end of the last component, i.e. the area's size).  -1 if
 * the mask names a component whose size is unknown.
 */
static s64 compacted_walk(const struct xstate_layout *l, u64 mask, int nr)
{
	u32 off = XSAVE_EXT_OFFSET;

	if (mask & ~l->known)
		return -1;
	for (int i = 2; i < XFEATURE_MAX - 1; i++) {
		if (!has(mask, i))
			continue;
		if (l->comp[i].align64)
			off = ALIGN_UP(off, XSAVE_ALIGN);
		if (i == nr)
			return off;
		off += l->comp[i].size;
	}
	return nr < 0 ? (s64)off : -1;
}

int xstate_compacted_offset(const struct xstate_layout *l, u64 xcomp_bv, int nr)
{
	u64 mask = xcomp_bv & XFEATURE_MASK_ALL;

	if (nr < 0 || nr >= XFEATURE_MAX - 1 || !has(mask, nr) || (mask & ~l->known))
		return -1;
	if (nr == XFEATURE_X87)
		return 0;
	if (nr == XFEATURE_SSE)
		return XSAVE_SSE_OFFSET;
	return (int)compacted_walk(l, mask, nr);
}

u32 xstate_compacted_size(const struct xstate_layout *l, u64 xcomp_bv)
{
	s64 end = compacted_walk(l, xcomp_bv & XFEATURE_MASK_ALL, -1);

	return end < 0 ? 0 : (u32)end;
}

/* Place the emulated components from @off on, in bit order; returns the end. */
static u32 place_emulated(struct xstate_layout *l, u32 off)
{
	for (int i = 2; i < XFEATURE_MAX - 1; i++) {
		if (!has(l->emulated, i))
			continue;
		if (l->comp[i].align64)
			off = ALIGN_UP(off, XSAVE_ALIGN);
		l->offset[i] = off;
		off += l->comp[i].size;
	}
	return off;
}

/* Is the CPUID description of a component we are going to enable sane? */
static int check_component(struct xstate_layout *l, int i, bool user, u32 max_std)
{
	const struct xstate_component *c = &l->comp[i];

	if (c->size == 0)
		return fail(l, i, "enabled component has size 0 in CPUID.(0DH,i)");
	if (c->size > XSTATE_COMP_SIZE_MAX)
		return fail(l, i, "component size in CPUID.(0DH,i) is implausible");
	if (!user) {
		if (!c->supervisor)
			return fail(l, i, "IA32_XSS component not marked supervisor in CPUID.(0DH,i):ECX");
		return 0;
	}
	if (c->supervisor)
		return fail(l, i, "XCR0 component marked supervisor in CPUID.(0DH,i):ECX");
	if (c->std_offset < XSAVE_EXT_OFFSET)
		return fail(l, i, "component offset overlaps the legacy area or header");
	/* written as subtractions: offset + size could wrap */
	if (c->size > max_std || c->std_offset > max_std - c->size)
		return fail(l, i, "component ends beyond CPUID.(0DH,0):ECX");
	return 0;
}

int xstate_layout_init(struct xstate_layout *l, xstate_cpuid_fn cpuid, void *ctx,
		       u64 want_user, u64 want_sup, bool compacted)
{
	u32 eax, ebx, ecx, edx, max_std, end;
	u64 sup_user, sup_sup, hw;

	memset(l, 0, sizeof(*l));
	l->compacted = compacted;
	l->error_nr = -1;

	/* Sub-leaf 0: XCR0-settable bits, and in ECX the standard size with
	 * all of them on (EBX is for the *current* XCR0: useless at boot). */
	cpuid(ctx, 0xd, 0, &eax, &ebx, &ecx, &edx);
	sup_user = (((u64)edx << 32) | eax) & XFEATURE_MASK_ALL;
	max_std = ecx;
	if ((sup_user & XFEATURE_MASK_FPSSE) != XFEATURE_MASK_FPSSE)
		return fail(l, -1, "CPUID.(0DH,0):EAX lacks x87 or SSE (no usable XSAVE leaf)");
	if (max_std < XSAVE_EXT_OFFSET)
		return fail(l, -1, "CPUID.(0DH,0):ECX smaller than legacy area + header");

	/* Sub-leaf 1: instructions, and the IA32_XSS-settable bits.  The MSR
	 * exists only with XSAVES, and only XSAVES saves what it enables. */
	cpuid(ctx, 0xd, 1, &eax, &ebx, &ecx, &edx);
	l->xsave_caps = eax;
	sup_sup = (((u64)edx << 32) | ecx) & XFEATURE_MASK_ALL;
	if (!(eax & XSAVE_CAP_XSAVES))
		sup_sup = 0;
	if (sup_user & sup_sup)
		return fail(l, -1, "a component is both an XCR0 and an IA32_XSS bit");

	/* The legacy region's two pieces: x87 in bytes 0..159 (with holes for
	 * MXCSR), SSE's XMM registers at 160.  The compacted walk skips them. */
	l->comp[XFEATURE_X87] = (struct xstate_component){ .size = XSAVE_SSE_OFFSET };
	l->comp[XFEATURE_SSE] = (struct xstate_component){
		.size = XSAVE_SSE_SIZE, .std_offset = XSAVE_SSE_OFFSET };
	l->known = XFEATURE_MASK_FPSSE;
	for (int i = 2; i < XFEATURE_MAX - 1; i++) {
		if (!has(sup_user | sup_sup, i))
			continue;
		cpuid(ctx, 0xd, i, &eax, &ebx, &ecx, &edx);
		l->comp[i] = (struct xstate_component){
			.size = eax, .std_offset = ebx,
			.supervisor = ecx & 1, .align64 = (ecx >> 1) & 1 };
		if (eax && eax <= XSTATE_COMP_SIZE_MAX)
			l->known |= 1ULL << i;
	}

	/* A component sub-leaf 0 or 1 lists but whose own sub-leaf is all
	 * zero (no size, no offset) cannot be laid out.  Real CPUs do not do
	 * this; Bochs 2.7 does for PKRU.  Leave it disabled rather than
	 * refuse XSAVE altogether; the kernel logs l->dropped. */
	for (int i = 2; i < XFEATURE_MAX - 1; i++) {
		if (has(sup_user | sup_sup, i) && l->comp[i].size == 0 &&
		    l->comp[i].std_offset == 0) {
			l->dropped |= 1ULL << i;
			sup_user &= ~(1ULL << i);
			sup_sup &= ~(1ULL << i);
		}
	}
	l->hw_user = xcr0_sanitize(sup_user & (want_user | XFEATURE_MASK_FPSSE));
	l->hw_sup = compacted ? sup_sup & want_sup : 0;
	l->emulated = want_sup & ~l->hw_sup & XFEATURE_MASK_EMULATABLE;
	l->features = l->hw_user | l->hw_sup | l->emulated;
	hw = l->hw_user | l->hw_sup;

	for (int i = 2; i < XFEATURE_MAX - 1; i++) {
		if (has(hw, i) && check_component(l, i, has(l->hw_user, i), max_std))
			return -1;
	}
	for (int i = 2; i < XFEATURE_MAX - 1; i++) {
		u32 size = emulated_size(i);

		if (!has(l->emulated, i))
			continue;
		/* A CPU that has it but is not asked to save it (standard
		 * format) must agree with the architectural size we model. */
		if (has(sup_sup, i) && l->comp[i].size != size)
			return fail(l, i, "CPUID size of an emulated component differs from the SDM's");
		l->comp[i] = (struct xstate_component){ .size = size, .supervisor = true };
		l->known |= 1ULL << i;
	}

	l->user_std_size = XSAVE_EXT_OFFSET;
	for (int i = 2; i < XFEATURE_MAX - 1; i++) {
		if (has(l->hw_user, i))
			l->user_std_size = MAX(l->user_std_size,
					       l->comp[i].std_offset + l->comp[i].size);
	}

	l->offset[XFEATURE_X87] = 0;
	l->offset[XFEATURE_SSE] = XSAVE_SSE_OFFSET;
	if (compacted) {
		l->hw_size = xstate_compacted_size(l, hw);
		/* highest hardware bit vs lowest emulated bit */
		l->emulated_at_end = l->emulated &&
			63 - __builtin_clzll(hw) > __builtin_ctzll(l->emulated);
		if (!l->emulated_at_end) {
			for (int i = 2; i < XFEATURE_MAX - 1; i++)
				if (has(l->features, i))
					l->offset[i] = (u32)xstate_compacted_offset(l, l->features, i);
			end = xstate_compacted_size(l, l->features);
		} else {
			for (int i = 2; i < XFEATURE_MAX - 1; i++)
				if (has(hw, i))
					l->offset[i] = (u32)xstate_compacted_offset(l, hw, i);
			end = place_emulated(l, l->hw_size);
		}
	} else {
		for (int i = 2; i < XFEATURE_MAX - 1; i++)
			if (has(l->hw_user, i))
				l->offset[i] = l->comp[i].std_offset;
		l->hw_size = l->user_std_size;
		end = place_emulated(l, l->hw_size);
	}
	l->size = ALIGN_UP(end, XSAVE_ALIGN);
	return 0;
}

/*
 * The header rules of XRSTOR / XRSTORS (SDM Vol.2; tlb_fpu.md section 8),
 * checked in software so a bad user-supplied header is refused with a
 * reason instead of a #GP.  One deliberate difference: in standard form
 * XRSTOR only faults on bytes 23:8, but like Linux's UABI check we refuse
 * any non-zero reserved byte, so a header accepted here is also valid in
 * compacted form later.
 */
int xstate_check_header(const struct xregs_header *h, bool compacted, u64 allowed,
			const char **why)
{
	const char *r = NULL;
	u64 comp = h->xcomp_bv & XFEATURE_MASK_ALL;
	bool reserved = false;

	allowed &= XFEATURE_MASK_ALL;
	for (size_t i = 1; i < ARRAY_SIZE(h->reserved); i++)
		reserved |= h->reserved[i] != 0;

	if (!compacted) {
		if (h->xfeatures & ~allowed)
			r = "XSTATE_BV has a component that is not enabled";
		else if (h->xcomp_bv)
			r = "XCOMP_BV is not zero in standard format";
		else if (h->reserved[0])
			r = "header bytes 23:16 are not zero";
		else if (reserved)
			r = "reserved header bytes are not zero";
	} else {
		if (!(h->xcomp_bv & XCOMP_BV_COMPACTED))
			r = "XCOMP_BV[63] is clear in compacted format";
		else if (comp & ~allowed)
			r = "XCOMP_BV has a component that is not enabled";
		else if (h->xfeatures & ~comp)
			r = "XSTATE_BV has a component not in XCOMP_BV";
		else if (h->reserved[0] || reserved)
			r = "reserved header bytes are not zero";
	}
	if (why)
		*why = r;
	return r ? -1 : 0;
}
