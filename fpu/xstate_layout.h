/*
 * xstate_layout.h - where each XSAVE state component lives in a task's
 * FPU buffer, computed from CPUID leaf 0DH (pure: no hardware access).
 *
 * The FPU code asks CPUID once at boot, through a callback, and gets back
 * one struct xstate_layout that answers every layout question afterwards:
 * which bits go into XCR0 and IA32_XSS, the buffer format, each
 * component's offset, how much the save instruction may write and how big
 * a task buffer is.  The host unit tests feed it CPUID tables recorded on
 * QEMU, Bochs and real CPUs.
 *
 * Some supervisor components (PASID, UINTR) are "emulated": Switchyard
 * models them in software when the CPU lacks them, but keeps their state
 * in the task buffer at a fixed place so the rest of the FPU code treats
 * native and emulated components alike.  xstate_layout.c explains where.
 *
 * Facts: SDM Vol.1 ch.13 (XSAVE feature set), Vol.2 CPUID leaf 0DH,
 * XRSTOR/XRSTORS; summarised in shared/reference/tlb_fpu.md sections 5,6,8.
 */
#ifndef FPU_XSTATE_LAYOUT_H
#define FPU_XSTATE_LAYOUT_H

#include "kernel/types.h"

/* State-component numbers = bit positions in XCR0 / IA32_XSS / XSTATE_BV. */
#define XFEATURE_X87		0
#define XFEATURE_SSE		1
#define XFEATURE_YMM		2
#define XFEATURE_BNDREGS	3
#define XFEATURE_BNDCSR		4
#define XFEATURE_OPMASK		5
#define XFEATURE_ZMM_Hi256	6
#define XFEATURE_Hi16_ZMM	7
#define XFEATURE_PT		8	/* supervisor */
#define XFEATURE_PKRU		9
#define XFEATURE_PASID		10	/* supervisor */
#define XFEATURE_CET_USER	11	/* supervisor (user CET MSRs) */
#define XFEATURE_CET_KERNEL	12	/* supervisor */
#define XFEATURE_UINTR		14	/* supervisor */
#define XFEATURE_LBR		15	/* supervisor (Arch LBR) */
#define XFEATURE_XTILE_CFG	17	/* AMX */
#define XFEATURE_XTILE_DATA	18	/* AMX */
#define XFEATURE_MAX		64

#define XFEATURE_MASK_FP		(1ULL << XFEATURE_X87)
#define XFEATURE_MASK_SSE		(1ULL << XFEATURE_SSE)
#define XFEATURE_MASK_YMM		(1ULL << XFEATURE_YMM)
#define XFEATURE_MASK_BNDREGS		(1ULL << XFEATURE_BNDREGS)
#define XFEATURE_MASK_BNDCSR		(1ULL << XFEATURE_BNDCSR)
#define XFEATURE_MASK_OPMASK		(1ULL << XFEATURE_OPMASK)
#define XFEATURE_MASK_ZMM_Hi256		(1ULL << XFEATURE_ZMM_Hi256)
#define XFEATURE_MASK_Hi16_ZMM		(1ULL << XFEATURE_Hi16_ZMM)
#define XFEATURE_MASK_PT		(1ULL << XFEATURE_PT)
#define XFEATURE_MASK_PKRU		(1ULL << XFEATURE_PKRU)
#define XFEATURE_MASK_PASID		(1ULL << XFEATURE_PASID)
#define XFEATURE_MASK_CET_USER		(1ULL << XFEATURE_CET_USER)
#define XFEATURE_MASK_CET_KERNEL	(1ULL << XFEATURE_CET_KERNEL)
#define XFEATURE_MASK_UINTR		(1ULL << XFEATURE_UINTR)
#define XFEATURE_MASK_LBR		(1ULL << XFEATURE_LBR)
#define XFEATURE_MASK_XTILE_CFG		(1ULL << XFEATURE_XTILE_CFG)
#define XFEATURE_MASK_XTILE_DATA	(1ULL << XFEATURE_XTILE_DATA)
#define XFEATURE_MASK_FPSSE		(XFEATURE_MASK_FP | XFEATURE_MASK_SSE)
#define XFEATURE_MASK_BNDS		(XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR)
#define XFEATURE_MASK_AVX512		(XFEATURE_MASK_OPMASK | XFEATURE_MASK_ZMM_Hi256 | \
					 XFEATURE_MASK_Hi16_ZMM)
#define XFEATURE_MASK_XTILE		(XFEATURE_MASK_XTILE_CFG | XFEATURE_MASK_XTILE_DATA)

/* Supervisor components Switchyard can model in software (sizes in the .c). */
#define XFEATURE_MASK_EMULATABLE	(XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR)

/* The fixed part of every XSAVE area (SDM Vol.1 13.4). */
#define XSAVE_LEGACY_SIZE	512	/* FXSAVE image: x87 + SSE */
#define XSAVE_HDR_OFFSET	512
#define XSAVE_HDR_SIZE		64
#define XSAVE_EXT_OFFSET	576	/* first extended component */
#define XSAVE_ALIGN		64	/* area and aligned components */
#define XSAVE_SSE_OFFSET	160	/* XMM0 in the legacy region */

#define XCOMP_BV_COMPACTED	(1ULL << 63)

/* CPUID.(0DH,1):EAX - which save/restore instructions exist. */
#define XSAVE_CAP_XSAVEOPT	(1u << 0)
#define XSAVE_CAP_XSAVEC	(1u << 1)
#define XSAVE_CAP_XGETBV1	(1u << 2)
#define XSAVE_CAP_XSAVES	(1u << 3)
#define XSAVE_CAP_XFD		(1u << 4)

/* Bytes 512..575 of the area. */
struct xregs_header {
	u64 xfeatures;		/* XSTATE_BV: components not in init state */
	u64 xcomp_bv;		/* bit 63 = compacted; 62:0 = components laid out */
	u64 reserved[6];	/* must be zero or XRSTOR(S) #GPs */
};
_Static_assert(sizeof(struct xregs_header) == XSAVE_HDR_SIZE, "XSAVE header is 64 bytes");

/* CPUID as a callback so the host tests can feed recorded tables. */
typedef void (*xstate_cpuid_fn)(void *ctx, u32 leaf, u32 subleaf,
				u32 *eax, u32 *ebx, u32 *ecx, u32 *edx);

struct xstate_component {
	u32 size;		/* CPUID.(0DH,i):EAX, or the built-in size if emulated */
	u32 std_offset;		/* CPUID.(0DH,i):EBX; 0 for supervisor components */
	bool supervisor;	/* CPUID.(0DH,i):ECX[0]: an IA32_XSS component */
	bool align64;		/* CPUID.(0DH,i):ECX[1]: 64-aligned when compacted */
};

struct xstate_layout {
	u64 hw_user;		/* supported & wanted user components -> XCR0 */
	u64 hw_sup;		/* supported & wanted supervisor components -> IA32_XSS */
	u64 emulated;		/* wanted supervisor components the kernel models */
	u64 features;		/* hw_user | hw_sup | emulated: what a task buffer holds */
	u64 known;		/* components whose comp[] entry is valid */
	bool compacted;		/* buffer format: XSAVEC/XSAVES, else XSAVE/XSAVEOPT */
	bool emulated_at_end;	/* emulated slots sit after hw_size, not at their SDM place */
	u32 xsave_caps;		/* CPUID.(0DH,1):EAX, XSAVE_CAP_* */
	u64 dropped;		/* supported per sub-leaf 0/1 but described as empty:
				 * left disabled (Bochs 2.7 does this for PKRU) */
	struct xstate_component comp[XFEATURE_MAX];
	u32 offset[XFEATURE_MAX];	/* in a task buffer; 0 if not in features */
	u32 hw_size;		/* bytes the save instruction may write */
	u32 size;		/* whole task buffer incl. emulated slots, 64-rounded */
	u32 user_std_size;	/* standard format, hw_user only (signal frames) */
	const char *error;	/* why xstate_layout_init() returned -1 */
	int error_nr;		/* the component it is about, or -1 */
};

/*
 * Fill @l from CPUID leaf 0DH.  @want_user / @want_sup: the components the
 * kernel is prepared to handle (x87 and SSE are always taken).  Returns 0,
 * or -1 with l->error set if the leaf makes no sense.
 */
int xstate_layout_init(struct xstate_layout *l, xstate_cpuid_fn cpuid, void *ctx,
		       u64 want_user, u64 want_sup, bool compacted);

/* Offset of component @nr in a compacted area whose XCOMP_BV is @xcomp_bv
 * (bit 63 ignored), by the SDM rule with l->comp sizes; -1 if @nr is not in
 * @xcomp_bv or @xcomp_bv names a component whose size is not known. */
int xstate_compacted_offset(const struct xstate_layout *l, u64 xcomp_bv, int nr);

/* Size of a compacted area for @xcomp_bv; 0 if it names an unknown component. */
u32 xstate_compacted_size(const struct xstate_layout *l, u64 xcomp_bv);

/* Check an XSAVE header as XRSTOR (standard) or XRSTORS (compacted) would
 * before trusting it, for features @allowed (XCR0, or XCR0|IA32_XSS).
 * Returns 0, or -1 with a short reason in *why (if @why is not NULL). */
int xstate_check_header(const struct xregs_header *h, bool compacted, u64 allowed,
			const char **why);

#endif
