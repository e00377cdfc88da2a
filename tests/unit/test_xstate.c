/*
 * test_xstate.c - host tests for fpu/xstate_layout.c, the XSAVE layout.
 *
 * CPUID leaf 0DH is fed from tables.  Where a table is a verbatim
 * recording it says so; the emulator tables combine the sub-leaf 0/1
 * values we observed (shared/reference/platform.md) with the per-component
 * sizes and standard offsets every Intel CPU reports (SDM Vol.1 13.4
 * table "XSAVE state components"), since those do not vary by model.
 *
 * Expected offsets are worked out by hand in comments with the SDM
 * compacted rule: start at 576, for each bit set in XCOMP_BV from 2 up,
 * round up to 64 if CPUID.(0DH,i):ECX[1] is set, place, add the size.
 */
#include "unit.h"
#include "fpu/xstate_layout.h"

#define M(n)	(1ULL << (n))

/* One recorded CPUID leaf 0DH: sub-leaf -> EAX, EBX, ECX, EDX. */
struct leaf_d {
	u32 sub, eax, ebx, ecx, edx;
};

/* QEMU 7.2 -cpu max (TCG).  Sub-leaves 0/1 EAX/ECX as observed; EBX of
 * sub-leaf 0 taken with every supported bit in XCR0 (= ECX). */
static const struct leaf_d qemu72_max[] = {
	{ 0, 0x21f, 2696, 2696, 0 },	/* x87 SSE AVX BNDREGS BNDCSR PKRU */
	{ 1, 0x5, 0, 0, 0 },		/* XSAVEOPT, XGETBV1: no XSAVEC/XSAVES */
	{ 2, 256, 576, 0, 0 },		/* AVX (YMM_Hi128) */
	{ 3, 64, 960, 0, 0 },		/* BNDREGS */
	{ 4, 64, 1024, 0, 0 },		/* BNDCSR */
	{ 9, 8, 2688, 0, 0 },		/* PKRU */
};

/* Bochs 2.7 cpu: model=tigerlake.  XSAVES exists but no XSS bit does. */
static const struct leaf_d bochs27_tigerlake[] = {
	{ 0, 0x2e7, 2696, 2696, 0 },	/* x87 SSE AVX opmask ZMM_Hi256 Hi16_ZMM PKRU */
	{ 1, 0xf, 0, 0, 0 },		/* XSAVEOPT XSAVEC XGETBV1 XSAVES */
	{ 2, 256, 576, 0, 0 },
	{ 5, 64, 1088, 0, 0 },		/* opmask k0-k7 */
	{ 6, 512, 1152, 0, 0 },		/* ZMM_Hi256 */
	{ 7, 1024, 1664, 0, 0 },	/* Hi16_ZMM */
	{ 9, 8, 2688, 0, 0 },
};

/* What Bochs 2.7 (Debian 12) really answers: sub-leaf 9 is empty although
 * sub-leaf 0 lists PKRU (seen on the boot log: fpu_init_system reported
 * component 9 with size 0). */
static const struct leaf_d bochs27_observed[] = {
	{ 0, 0x2e7, 576, 2696, 0 },
	{ 1, 0xf, 576, 0, 0 },
	{ 2, 256, 576, 0, 0 },
	{ 5, 64, 1088, 0, 0 },
	{ 6, 512, 1152, 0, 0 },
	{ 7, 1024, 1664, 0, 0 },
};

/*
 * A Sapphire-Rapids-class Intel host, verbatim from Yang Zhong's reply
 * "Re: [PULL 15/22] x86: Grant AMX permission for guest", qemu-devel,
 * 2022-03-22, <20220322082652.GA30793@yangzhon-Virtual>.  XSS bits
 * 0xdd00 = PT 8, PASID 10, CET_U 11, CET_S 12, UINTR 14, Arch LBR 15.
 * Sub-leaf 0 EBX 0x2b00 is the standard size for XCR0 = 0x602e7;
 * sub-leaf 1 EBX 0x2d00 the compacted size for that host's XCR0|XSS.
 */
static const struct leaf_d spr_recorded[] = {
	{ 0x00, 0x000602e7, 0x00002b00, 0x00002b00, 0 },
	{ 0x01, 0x0000001f, 0x00002d00, 0x0000dd00, 0 },
	{ 0x02, 0x00000100, 0x00000240, 0x00000000, 0 },
	{ 0x05, 0x00000040, 0x00000440, 0x00000000, 0 },
	{ 0x06, 0x00000200, 0x00000480, 0x00000000, 0 },
	{ 0x07, 0x00000400, 0x00000680, 0x00000000, 0 },
	{ 0x08, 0x00000080, 0x00000000, 0x00000001, 0 },
	{ 0x09, 0x00000008, 0x00000a80, 0x00000000, 0 },
	{ 0x0a, 0x00000008, 0x00000000, 0x00000001, 0 },
	{ 0x0b, 0x00000010, 0x00000000, 0x00000001, 0 },
	{ 0x0c, 0x00000018, 0x00000000, 0x00000001, 0 },
	{ 0x0e, 0x00000030, 0x00000000, 0x00000001, 0 },
	{ 0x0f, 0x00000328, 0x00000000, 0x00000001, 0 },
	{ 0x11, 0x00000040, 0x00000ac0, 0x00000002, 0 },
	{ 0x12, 0x00002000, 0x00000b00, 0x00000006, 0 },
};

/* An AMD EPYC 7402P host from the same mail: PKRU is 64 bytes at 832 in
 * standard format there (8 bytes at 2688 on Intel).  EBX values are for
 * that host's XCR0 = 7. */
static const struct leaf_d amd_epyc7402p[] = {
	{ 0x00, 0x00000207, 0x00000340, 0x00000380, 0 },
	{ 0x01, 0x0000000f, 0x00000340, 0x00000000, 0 },
	{ 0x02, 0x00000100, 0x00000240, 0x00000000, 0 },
	{ 0x09, 0x00000040, 0x00000340, 0x00000000, 0 },
};

/* A mutable copy of a table, so a test can remove or break a component. */
struct fake_cpu {
	u32 r[XFEATURE_MAX][4];
	int bad_calls;		/* CPUID for a leaf other than 0DH */
};

static void fake_load(struct fake_cpu *f, const struct leaf_d *t, size_t n)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		f->r[t[i].sub][0] = t[i].eax;
		f->r[t[i].sub][1] = t[i].ebx;
		f->r[t[i].sub][2] = t[i].ecx;
		f->r[t[i].sub][3] = t[i].edx;
	}
}
#define FAKE_LOAD(f, t)	fake_load((f), (t), sizeof(t) / sizeof((t)[0]))

/* Make the fake CPU lack component @nr, as a real one would report it. */
static void fake_hide(struct fake_cpu *f, int nr)
{
	u32 lo = nr < 32 ? ~(1u << nr) : ~0u, hi = nr >= 32 ? ~(1u << (nr - 32)) : ~0u;

	f->r[0][0] &= lo;
	f->r[0][3] &= hi;
	f->r[1][2] &= lo;
	f->r[1][3] &= hi;
	if (nr >= 2)
		memset(f->r[nr], 0, sizeof(f->r[nr]));
}

static void fake_cpuid(void *ctx, u32 leaf, u32 subleaf, u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	struct fake_cpu *f = ctx;

	*eax = *ebx = *ecx = *edx = 0;
	if (leaf != 0xd) {
		f->bad_calls++;
		return;
	}
	if (subleaf >= XFEATURE_MAX)
		return;
	*eax = f->r[subleaf][0];
	*ebx = f->r[subleaf][1];
	*ecx = f->r[subleaf][2];
	*edx = f->r[subleaf][3];
}

static struct fake_cpu cpu;
static struct xstate_layout L;

static int init(u64 want_user, u64 want_sup, bool compacted)
{
	int r = xstate_layout_init(&L, fake_cpuid, &cpu, want_user, want_sup, compacted);

	if (r)
		printf("    # init failed: %s (component %d)\n", L.error, L.error_nr);
	CHECK_EQ(cpu.bad_calls, 0);
	return r;
}

/* Every hardware component's offset must be what the CPU itself uses:
 * the CPUID offset in standard format, the SDM walk over hw_user|hw_sup
 * in compacted format.  And nothing may overlap or pass l->size. */
static void check_consistent(const struct xstate_layout *l)
{
	u64 hw = l->hw_user | l->hw_sup;

	CHECK_EQ(l->features, hw | l->emulated);
	CHECK_EQ(l->hw_user & l->hw_sup, 0);
	CHECK_EQ(l->hw_sup & l->emulated, 0);
	CHECK_EQ(l->size % 64, 0);
	CHECK(l->hw_size <= l->size);
	for (int i = 2; i < 63; i++) {
		if (!(l->features & M(i))) {
			CHECK_EQ(l->offset[i], 0);
			continue;
		}
		if (hw & M(i))
			CHECK_EQ(l->offset[i], l->compacted ? (u32)xstate_compacted_offset(l, hw, i)
							    : l->comp[i].std_offset);
		else
			CHECK(l->offset[i] >= l->hw_size);	/* emulated: out of the CPU's way */
		if (l->comp[i].align64)
			CHECK_EQ(l->offset[i] % 64, 0);
		CHECK(l->offset[i] >= XSAVE_EXT_OFFSET);
		CHECK(l->offset[i] + l->comp[i].size <= l->size);
		for (int j = i + 1; j < 63; j++) {
			if (!(l->features & M(j)))
				continue;
			CHECK(l->offset[i] + l->comp[i].size <= l->offset[j] ||
			      l->offset[j] + l->comp[j].size <= l->offset[i]);
		}
	}
}

/* ------------------------------------------------------------ QEMU 7.2 */

UNIT_TEST(qemu_standard)
{
	FAKE_LOAD(&cpu, qemu72_max);
	if (init(~0ULL, XFEATURE_MASK_EMULATABLE, false))
		return;
	CHECK_EQ(L.hw_user, 0x21f);
	CHECK_EQ(L.hw_sup, 0);
	CHECK_EQ(L.emulated, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR);
	CHECK_EQ(L.features, 0x461f);
	CHECK(!(L.xsave_caps & XSAVE_CAP_XSAVEC));
	CHECK(!(L.xsave_caps & XSAVE_CAP_XSAVES));
	CHECK_EQ(L.offset[XFEATURE_X87], 0);
	CHECK_EQ(L.offset[XFEATURE_SSE], 160);
	CHECK_EQ(L.offset[XFEATURE_YMM], 576);
	CHECK_EQ(L.offset[XFEATURE_BNDREGS], 960);
	CHECK_EQ(L.offset[XFEATURE_BNDCSR], 1024);
	CHECK_EQ(L.offset[XFEATURE_PKRU], 2688);
	/* what XSAVE writes = CPUID.(0DH,0):EBX with XCR0 = 0x21f */
	CHECK_EQ(L.hw_size, 2696);
	CHECK_EQ(L.user_std_size, 2696);
	/* emulated after the standard area: PASID 2696..2704, UINTR
	 * 2704..2752; 2752 = 43 * 64, so no padding */
	CHECK(!L.emulated_at_end);
	CHECK_EQ(L.offset[XFEATURE_PASID], 2696);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 2704);
	CHECK_EQ(L.comp[XFEATURE_UINTR].size, 48);
	CHECK_EQ(L.comp[XFEATURE_PASID].size, 8);
	CHECK_EQ(L.size, 2752);
	check_consistent(&L);
}

/*
 * QEMU has no XSAVEC, so the kernel never asks it for the compacted
 * format; if asked, the arithmetic is still done (no XSAVES either, so
 * nothing goes to IA32_XSS).  Worked example, features 0x461f:
 *   AVX 576 + 256 = 832; BNDREGS 832 + 64 = 896; BNDCSR 896 + 64 = 960;
 *   PKRU 960 + 8 = 968 = hw_size; PASID 968 + 8 = 976; UINTR 976 + 48 =
 *   1024 = size.  Highest hw bit 9 < lowest emulated bit 10: SDM places.
 */
UNIT_TEST(qemu_compacted_just_computes)
{
	FAKE_LOAD(&cpu, qemu72_max);
	if (init(~0ULL, XFEATURE_MASK_EMULATABLE, true))
		return;
	CHECK_EQ(L.hw_sup, 0);
	CHECK_EQ(L.emulated, XFEATURE_MASK_EMULATABLE);
	CHECK_EQ(L.offset[XFEATURE_YMM], 576);
	CHECK_EQ(L.offset[XFEATURE_BNDREGS], 832);
	CHECK_EQ(L.offset[XFEATURE_BNDCSR], 896);
	CHECK_EQ(L.offset[XFEATURE_PKRU], 960);
	CHECK_EQ(L.hw_size, 968);
	CHECK(!L.emulated_at_end);
	CHECK_EQ(L.offset[XFEATURE_PASID], 968);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 976);
	CHECK_EQ(L.size, 1024);
	CHECK_EQ(L.user_std_size, 2696);	/* signal frames are standard format */
	check_consistent(&L);
}

/* XSETBV refuses half of MPX (SDM Vol.1 13.3), so wanting only BNDREGS
 * means getting neither; XCR0 = 7 is the classic 832-byte area. */
UNIT_TEST(qemu_xcr0_groups)
{
	FAKE_LOAD(&cpu, qemu72_max);
	if (init(~XFEATURE_MASK_BNDCSR, 0, false))
		return;
	CHECK_EQ(L.hw_user, 0x207);
	CHECK_EQ(L.emulated, 0);
	CHECK_EQ(L.offset[XFEATURE_BNDREGS], 0);
	CHECK_EQ(L.hw_size, 2696);
	CHECK_EQ(L.size, 2752);	/* 2696 rounded up to 64 */

	if (init(XFEATURE_MASK_YMM, 0, false))
		return;
	CHECK_EQ(L.hw_user, 7);		/* x87 and SSE are always taken */
	CHECK_EQ(L.hw_size, 832);
	CHECK_EQ(L.user_std_size, 832);
	CHECK_EQ(L.size, 832);
	if (init(XFEATURE_MASK_YMM, 0, true))
		return;
	CHECK_EQ(L.hw_size, 832);	/* 7 gives 832 in either format */

	if (init(0, 0, false))
		return;
	CHECK_EQ(L.hw_user, XFEATURE_MASK_FPSSE);
	CHECK_EQ(L.hw_size, 576);
	CHECK_EQ(L.size, 576);
}

/* ------------------------------------------------------------ Bochs 2.7 */

UNIT_TEST(bochs_standard)
{
	FAKE_LOAD(&cpu, bochs27_tigerlake);
	if (init(~0ULL, XFEATURE_MASK_EMULATABLE, false))
		return;
	CHECK_EQ(L.hw_user, 0x2e7);
	CHECK_EQ(L.hw_sup, 0);
	CHECK_EQ(L.offset[XFEATURE_YMM], 576);
	CHECK_EQ(L.offset[XFEATURE_OPMASK], 1088);
	CHECK_EQ(L.offset[XFEATURE_ZMM_Hi256], 1152);
	CHECK_EQ(L.offset[XFEATURE_Hi16_ZMM], 1664);
	CHECK_EQ(L.offset[XFEATURE_PKRU], 2688);
	CHECK_EQ(L.hw_size, 2696);
	CHECK_EQ(L.offset[XFEATURE_PASID], 2696);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 2704);
	CHECK_EQ(L.size, 2752);
	check_consistent(&L);
}

/* An empty sub-leaf for a listed component: leave it out, do not fail. */
UNIT_TEST(bochs_observed_empty_pkru_subleaf)
{
	FAKE_LOAD(&cpu, bochs27_observed);
	if (init(~0ULL, XFEATURE_MASK_EMULATABLE, true))
		return;
	CHECK_EQ(L.dropped, XFEATURE_MASK_PKRU);
	CHECK_EQ(L.hw_user, 0xe7);
	CHECK_EQ(L.offset[XFEATURE_Hi16_ZMM], 1408);
	CHECK_EQ(L.hw_size, 2432);			/* 1408 + 1024 */
	CHECK_EQ(L.offset[XFEATURE_PASID], 2432);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 2440);
	CHECK_EQ(L.size, 2496);				/* 2488 rounded to 64 */
	check_consistent(&L);
}

/*
 * Worked example, Bochs tigerlake compacted with PASID and UINTR emulated
 * (no component here sets ECX[1], so nothing is 64-aligned):
 *   AVX        576 + 256  =  832
 *   opmask     832 + 64   =  896
 *   ZMM_Hi256  896 + 512  = 1408
 *   Hi16_ZMM  1408 + 1024 = 2432
 *   PKRU      2432 + 8    = 2440   <- hw_size: what XSAVES writes
 *   PASID     2440 + 8    = 2448   (emulated, its SDM place)
 *   UINTR     2448 + 48   = 2496   <- size (2496 = 39 * 64)
 */
UNIT_TEST(bochs_compacted_worked_example)
{
	FAKE_LOAD(&cpu, bochs27_tigerlake);
	if (init(~0ULL, XFEATURE_MASK_EMULATABLE, true))
		return;
	CHECK(L.xsave_caps & XSAVE_CAP_XSAVES);
	CHECK_EQ(L.hw_sup, 0);			/* CPUID.(0DH,1):ECX = 0 */
	CHECK_EQ(L.emulated, XFEATURE_MASK_EMULATABLE);
	CHECK_EQ(L.features, 0x46e7);
	CHECK(!L.comp[XFEATURE_OPMASK].align64);
	CHECK_EQ(L.offset[XFEATURE_YMM], 576);
	CHECK_EQ(L.offset[XFEATURE_OPMASK], 832);
	CHECK_EQ(L.offset[XFEATURE_ZMM_Hi256], 896);
	CHECK_EQ(L.offset[XFEATURE_Hi16_ZMM], 1408);
	CHECK_EQ(L.offset[XFEATURE_PKRU], 2432);
	CHECK_EQ(L.hw_size, 2440);
	CHECK(!L.emulated_at_end);
	CHECK_EQ(L.offset[XFEATURE_PASID], 2440);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 2448);
	CHECK_EQ(L.size, 2496);
	CHECK_EQ(L.user_std_size, 2696);
	/* the emulated slots are where the SDM rule puts them */
	CHECK_EQ(xstate_compacted_offset(&L, L.features, XFEATURE_PASID), 2440);
	CHECK_EQ(xstate_compacted_offset(&L, L.features, XFEATURE_UINTR), 2448);
	CHECK_EQ(xstate_compacted_size(&L, L.features), 2496);
	check_consistent(&L);
}

/* ------------------------------------------------------ Sapphire Rapids */

/*
 * The recorded host has UINTR and PASID natively, so nothing is emulated.
 * Worked example, XCOMP_BV = 0x606e7 | 0x4000:
 *   AVX 576..832, opmask 832..896, ZMM_Hi256 896..1408, Hi16_ZMM
 *   1408..2432, PKRU 2432..2440, PASID 2440..2448, UINTR 2448..2496;
 *   TILECFG (ECX[1]=1) rounds 2496 to 2496 -> 2560; TILEDATA (ECX[1]=1)
 *   2560 -> 2560 + 8192 = 10752.
 */
UNIT_TEST(spr_recorded_compacted)
{
	FAKE_LOAD(&cpu, spr_recorded);
	if (init(~0ULL, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR, true))
		return;
	CHECK_EQ(L.hw_user, 0x602e7);
	CHECK_EQ(L.hw_sup, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR);
	CHECK_EQ(L.emulated, 0);
	CHECK(!L.emulated_at_end);
	CHECK(L.xsave_caps & XSAVE_CAP_XFD);
	CHECK(L.comp[XFEATURE_XTILE_CFG].align64);
	CHECK(L.comp[XFEATURE_XTILE_DATA].align64);
	CHECK(L.comp[XFEATURE_PASID].supervisor);
	CHECK_EQ(L.comp[XFEATURE_UINTR].size, 48);	/* CPUID agrees with the SDM */
	CHECK_EQ(L.comp[XFEATURE_LBR].size, 808);
	CHECK_EQ(L.offset[XFEATURE_PKRU], 2432);
	CHECK_EQ(L.offset[XFEATURE_PASID], 2440);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 2448);
	CHECK_EQ(L.offset[XFEATURE_XTILE_CFG], 2496);
	CHECK_EQ(L.offset[XFEATURE_XTILE_DATA], 2560);
	CHECK_EQ(L.hw_size, 10752);
	CHECK_EQ(L.size, 10752);
	/* standard: TILEDATA ends at 0xb00 + 0x2000 = 0x2b00 = the host's EBX */
	CHECK_EQ(L.user_std_size, 0x2b00);
	/*
	 * Cross-check against the CPU itself: that host's CPUID.(0DH,1):EBX
	 * was 0x2d00 = 11520, which the rule reproduces if its IA32_XSS held
	 * Arch LBR (as Linux enables it): ... PKRU ..2440, PASID ..2448,
	 * LBR 2448 + 808 = 3256, TILECFG at 3264 ..3328, TILEDATA ..11520.
	 * (Without PASID the same: LBR ends at 3248, rounds to 3264.)
	 */
	CHECK_EQ(xstate_compacted_size(&L, 0x602e7 | XFEATURE_MASK_PASID | XFEATURE_MASK_LBR), 0x2d00);
	CHECK_EQ(xstate_compacted_size(&L, 0x602e7 | XFEATURE_MASK_LBR), 0x2d00);
	check_consistent(&L);
}

/*
 * The same host without UINTR (ECX = 0x9d00: PT, PASID, CET_U, CET_S,
 * Arch LBR): PASID native, UINTR emulated.  UINTR's bit 14 is below the
 * native AMX bits 17/18, so its SDM place would be inside the hardware
 * area: it goes after hw_size instead.
 *   hardware (XCOMP_BV 0x606e7): ... PASID 2440..2448, TILECFG 2496,
 *   TILEDATA 2560..10752 = hw_size; UINTR 10752..10800; size 10816.
 */
UNIT_TEST(spr_no_uintr_emulated_at_end)
{
	FAKE_LOAD(&cpu, spr_recorded);
	fake_hide(&cpu, XFEATURE_UINTR);
	if (init(~0ULL, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR, true))
		return;
	CHECK_EQ(L.hw_sup, XFEATURE_MASK_PASID);
	CHECK_EQ(L.emulated, XFEATURE_MASK_UINTR);
	CHECK(L.emulated_at_end);
	CHECK_EQ(L.offset[XFEATURE_PASID], 2440);
	CHECK_EQ(L.offset[XFEATURE_XTILE_CFG], 2496);
	CHECK_EQ(L.offset[XFEATURE_XTILE_DATA], 2560);
	CHECK_EQ(L.hw_size, 10752);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 10752);
	CHECK_EQ(L.size, 10816);
	check_consistent(&L);

	/*
	 * Above, UINTR would have fitted in TILECFG's alignment padding by
	 * luck.  With Arch LBR native too it does not: the SDM walk over
	 * features would put LBR at 2496, but XSAVES (XCOMP_BV without bit
	 * 14) writes it at 2448.  The layout must follow the hardware.
	 *   hardware: PASID ..2448, LBR 2448..3256, TILECFG 3264..3328,
	 *   TILEDATA 3328..11520 = hw_size; UINTR 11520..11568; size 11584.
	 */
	if (init(~0ULL, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR | XFEATURE_MASK_LBR, true))
		return;
	CHECK(L.emulated_at_end);
	CHECK_EQ(xstate_compacted_offset(&L, L.features, XFEATURE_LBR), 2496);
	CHECK_EQ(L.offset[XFEATURE_LBR], 2448);
	CHECK_EQ(L.offset[XFEATURE_XTILE_CFG], 3264);
	CHECK_EQ(L.offset[XFEATURE_XTILE_DATA], 3328);
	CHECK_EQ(L.hw_size, 11520);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 11520);
	CHECK_EQ(L.size, 11584);
	check_consistent(&L);

	/* without AMX the hardware bits (<= 10) are all below 14 again */
	if (init(~XFEATURE_MASK_XTILE, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR, true))
		return;
	CHECK(!L.emulated_at_end);
	CHECK_EQ(L.hw_size, 2448);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 2448);
	CHECK_EQ(L.size, 2496);
	check_consistent(&L);
}

/* Standard format cannot hold supervisor state (XSAVE ignores IA32_XSS),
 * so PASID and UINTR are both modelled, after 0x2b00 = 11008:
 * PASID 11008..11016, UINTR 11016..11064, size 11072 = 173 * 64. */
UNIT_TEST(spr_standard)
{
	FAKE_LOAD(&cpu, spr_recorded);
	if (init(~0ULL, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR, false))
		return;
	CHECK_EQ(L.hw_sup, 0);
	CHECK_EQ(L.emulated, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR);
	CHECK_EQ(L.offset[XFEATURE_PKRU], 2688);
	CHECK_EQ(L.offset[XFEATURE_XTILE_CFG], 2752);
	CHECK_EQ(L.offset[XFEATURE_XTILE_DATA], 2816);
	CHECK_EQ(L.hw_size, 11008);
	CHECK_EQ(L.offset[XFEATURE_PASID], 11008);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 11016);
	CHECK_EQ(L.size, 11072);
	check_consistent(&L);

	/* half of AMX is no AMX */
	if (init(~XFEATURE_MASK_XTILE_DATA, 0, false))
		return;
	CHECK_EQ(L.hw_user, 0x2e7);
	CHECK_EQ(L.hw_size, 2696);
}

/* AMD: standard offsets do not follow the Intel table (PKRU 64 bytes at
 * 832), which is why offsets always come from CPUID. */
UNIT_TEST(amd_recorded)
{
	FAKE_LOAD(&cpu, amd_epyc7402p);
	if (init(~0ULL, XFEATURE_MASK_EMULATABLE, false))
		return;
	CHECK_EQ(L.hw_user, 0x207);
	CHECK_EQ(L.offset[XFEATURE_PKRU], 832);
	CHECK_EQ(L.hw_size, 0x380);		/* = CPUID.(0DH,0):ECX */
	CHECK_EQ(L.offset[XFEATURE_PASID], 896);
	CHECK_EQ(L.offset[XFEATURE_UINTR], 904);
	CHECK_EQ(L.size, 960);			/* 952 rounded up */
	check_consistent(&L);
	if (init(~0ULL, 0, true))
		return;
	CHECK_EQ(L.offset[XFEATURE_PKRU], 832);
	CHECK_EQ(L.hw_size, 896);
	/* the host ran with XCR0 = 7: both EBX values say 0x340 */
	CHECK_EQ(xstate_compacted_size(&L, 7), 0x340);
}

/* ------------------------------------------- offsets for other masks */

UNIT_TEST(compacted_offset_and_size)
{
	FAKE_LOAD(&cpu, spr_recorded);
	if (init(~0ULL, XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR, true))
		return;

	/* legacy components keep their places; a bare area is 576 bytes */
	CHECK_EQ(xstate_compacted_offset(&L, XFEATURE_MASK_FPSSE, XFEATURE_X87), 0);
	CHECK_EQ(xstate_compacted_offset(&L, XFEATURE_MASK_FPSSE, XFEATURE_SSE), 160);
	CHECK_EQ(xstate_compacted_size(&L, XFEATURE_MASK_FPSSE), 576);
	CHECK_EQ(xstate_compacted_size(&L, 0), 576);

	/* 7: AVX 576..832; bit 63 is the format flag, not a component */
	CHECK_EQ(xstate_compacted_offset(&L, 7 | XCOMP_BV_COMPACTED, XFEATURE_YMM), 576);
	CHECK_EQ(xstate_compacted_size(&L, 7 | XCOMP_BV_COMPACTED), 832);

	/* PKRU 576..584; TILECFG rounds 584 up to 640, ends 704 */
	u64 m = XFEATURE_MASK_FPSSE | XFEATURE_MASK_PKRU | XFEATURE_MASK_XTILE_CFG;
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_PKRU), 576);
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_XTILE_CFG), 640);
	CHECK_EQ(xstate_compacted_size(&L, m), 704);

	/* AVX 576..832, PASID 832..840, TILEDATA rounds to 896, ends 9088 */
	m = XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM | XFEATURE_MASK_PASID | XFEATURE_MASK_XTILE_DATA;
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_PASID), 832);
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_XTILE_DATA), 896);
	CHECK_EQ(xstate_compacted_size(&L, m), 9088);

	/* CET_U 576..592, CET_S 592..616, UINTR 616..664, LBR 664..1472:
	 * supervisor components the layout does not enable still have sizes */
	m = XFEATURE_MASK_FPSSE | XFEATURE_MASK_CET_USER | XFEATURE_MASK_CET_KERNEL |
	    XFEATURE_MASK_UINTR | XFEATURE_MASK_LBR;
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_UINTR), 616);
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_LBR), 664);
	CHECK_EQ(xstate_compacted_size(&L, m), 1472);

	/* not in the mask, or out of range */
	CHECK_EQ(xstate_compacted_offset(&L, 7, XFEATURE_PKRU), -1);
	CHECK_EQ(xstate_compacted_offset(&L, 7 | XCOMP_BV_COMPACTED, 63), -1);
	CHECK_EQ(xstate_compacted_offset(&L, 7, -1), -1);
	CHECK_EQ(xstate_compacted_offset(&L, 7, 64), -1);
	CHECK_EQ(xstate_compacted_offset(&L, 0, XFEATURE_X87), -1);

	/* bit 13 (HDC) is not enumerated: no size, so no answer at all */
	CHECK_EQ(xstate_compacted_offset(&L, 7 | M(13), XFEATURE_YMM), -1);
	CHECK_EQ(xstate_compacted_offset(&L, 7 | M(13), 13), -1);
	CHECK_EQ(xstate_compacted_size(&L, 7 | M(13)), 0);
	CHECK_EQ(xstate_compacted_size(&L, ~0ULL), 0);

	/* emulated components have known sizes on a CPU without them */
	FAKE_LOAD(&cpu, bochs27_tigerlake);
	if (init(~0ULL, XFEATURE_MASK_EMULATABLE, true))
		return;
	m = XFEATURE_MASK_FPSSE | XFEATURE_MASK_PKRU | XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR;
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_PASID), 584);
	CHECK_EQ(xstate_compacted_offset(&L, m, XFEATURE_UINTR), 592);
	CHECK_EQ(xstate_compacted_size(&L, m), 640);
	/* ... but not a supervisor component nobody models */
	CHECK_EQ(xstate_compacted_size(&L, m | XFEATURE_MASK_CET_USER), 0);
}

/* -------------------------------------------------------- the header */

static struct xregs_header hdr(u64 xfeatures, u64 xcomp_bv)
{
	return (struct xregs_header){ .xfeatures = xfeatures, .xcomp_bv = xcomp_bv };
}

static const char *reject(struct xregs_header h, bool compacted, u64 allowed)
{
	const char *why = "(not set)";

	if (xstate_check_header(&h, compacted, allowed, &why) == 0)
		return "accepted";
	CHECK(why != NULL);
	return why ? why : "";
}

UNIT_TEST(header_standard)
{
	u64 xcr0 = 0x2e7;
	struct xregs_header h;

	CHECK_STR(reject(hdr(0, 0), false, xcr0), "accepted");
	CHECK_STR(reject(hdr(0x2e7, 0), false, xcr0), "accepted");
	/* XSTATE_BV outside XCR0 (here a supervisor bit) */
	CHECK_STR(reject(hdr(3 | XFEATURE_MASK_PASID, 0), false, xcr0),
		  "XSTATE_BV has a component that is not enabled");
	CHECK_STR(reject(hdr(M(63), 0), false, xcr0),
		  "XSTATE_BV has a component that is not enabled");
	/* any XCOMP_BV, including a compacted-looking one and the all-ones
	 * of CVE-2017-15537 */
	CHECK_STR(reject(hdr(3, XCOMP_BV_COMPACTED | 3), false, xcr0),
		  "XCOMP_BV is not zero in standard format");
	CHECK_STR(reject(hdr(3, ~0ULL), false, xcr0), "XCOMP_BV is not zero in standard format");
	/* bytes 23:16: XRSTOR's own rule */
	h = hdr(3, 0);
	h.reserved[0] = 1;
	CHECK_STR(reject(h, false, xcr0), "header bytes 23:16 are not zero");
	/* bytes 63:24: stricter than XRSTOR, like Linux's UABI check */
	h = hdr(3, 0);
	h.reserved[5] = 1ULL << 63;
	CHECK_STR(reject(h, false, xcr0), "reserved header bytes are not zero");
	/* a NULL why is allowed */
	CHECK_EQ(xstate_check_header(&h, false, xcr0, NULL), -1);
	h = hdr(3, 0);
	CHECK_EQ(xstate_check_header(&h, false, xcr0, NULL), 0);
}

UNIT_TEST(header_compacted)
{
	u64 allowed = 0x2e7 | XFEATURE_MASK_PASID;	/* XCR0 | IA32_XSS */
	struct xregs_header h;

	CHECK_STR(reject(hdr(0, XCOMP_BV_COMPACTED | allowed), true, allowed), "accepted");
	CHECK_STR(reject(hdr(3 | XFEATURE_MASK_PASID, XCOMP_BV_COMPACTED | 0x403), true, allowed),
		  "accepted");
	/* a subset XCOMP_BV is fine (XSAVEC with a smaller RFBM) */
	CHECK_STR(reject(hdr(3, XCOMP_BV_COMPACTED | 3), true, allowed), "accepted");
	/* allowed's bit 63 is not a component */
	CHECK_STR(reject(hdr(3, XCOMP_BV_COMPACTED | 3), true, allowed | M(63)), "accepted");
	/* no standard form for XRSTORS */
	CHECK_STR(reject(hdr(3, 3), true, allowed), "XCOMP_BV[63] is clear in compacted format");
	CHECK_STR(reject(hdr(0, 0), true, allowed), "XCOMP_BV[63] is clear in compacted format");
	/* XCOMP_BV outside XCR0|XSS */
	CHECK_STR(reject(hdr(3, XCOMP_BV_COMPACTED | 3 | XFEATURE_MASK_UINTR), true, allowed),
		  "XCOMP_BV has a component that is not enabled");
	CHECK_STR(reject(hdr(3, ~0ULL), true, allowed), "XCOMP_BV has a component that is not enabled");
	/* XSTATE_BV outside XCOMP_BV, even if enabled; bit 63 is not in it */
	CHECK_STR(reject(hdr(XFEATURE_MASK_PKRU | 3, XCOMP_BV_COMPACTED | 7), true, allowed),
		  "XSTATE_BV has a component not in XCOMP_BV");
	CHECK_STR(reject(hdr(M(63) | 3, XCOMP_BV_COMPACTED | 7), true, allowed),
		  "XSTATE_BV has a component not in XCOMP_BV");
	/* bytes 63:16, each of them */
	for (int i = 0; i < 6; i++) {
		h = hdr(3, XCOMP_BV_COMPACTED | 7);
		h.reserved[i] = 1ULL << (i * 8);
		CHECK_STR(reject(h, true, allowed), "reserved header bytes are not zero");
	}
}

/* ------------------------------------------------- bad CPUID tables */

static void check_init_fails(u64 want_sup, bool compacted, int nr, const char *why)
{
	int r = xstate_layout_init(&L, fake_cpuid, &cpu, ~0ULL, want_sup, compacted);

	CHECK_EQ(r, -1);
	CHECK(L.error != NULL);
	if (L.error)
		CHECK_STR(L.error, why);
	CHECK_EQ(L.error_nr, nr);
}

UNIT_TEST(bad_cpuid)
{
	/* no SSE in sub-leaf 0 */
	FAKE_LOAD(&cpu, qemu72_max);
	fake_hide(&cpu, XFEATURE_SSE);
	check_init_fails(0, false, -1, "CPUID.(0DH,0):EAX lacks x87 or SSE (no usable XSAVE leaf)");
	/* no x87 */
	FAKE_LOAD(&cpu, qemu72_max);
	fake_hide(&cpu, XFEATURE_X87);
	check_init_fails(0, false, -1, "CPUID.(0DH,0):EAX lacks x87 or SSE (no usable XSAVE leaf)");
	/* leaf all zero, as on a CPU without XSAVE */
	memset(&cpu, 0, sizeof(cpu));
	check_init_fails(0, true, -1, "CPUID.(0DH,0):EAX lacks x87 or SSE (no usable XSAVE leaf)");

	/* ECX of sub-leaf 0 too small for PKRU's 2688 + 8 */
	FAKE_LOAD(&cpu, qemu72_max);
	cpu.r[0][2] = 2692;
	check_init_fails(0, false, XFEATURE_PKRU, "component ends beyond CPUID.(0DH,0):ECX");
	/* ... and an offset + size that would wrap a u32 */
	FAKE_LOAD(&cpu, qemu72_max);
	cpu.r[9][1] = 0xfffffffc;
	check_init_fails(0, false, XFEATURE_PKRU, "component ends beyond CPUID.(0DH,0):ECX");
	/* ECX below the fixed part */
	FAKE_LOAD(&cpu, qemu72_max);
	cpu.r[0][2] = 512;
	check_init_fails(0, false, -1, "CPUID.(0DH,0):ECX smaller than legacy area + header");

	/* an enabled component with no size */
	FAKE_LOAD(&cpu, qemu72_max);
	cpu.r[2][0] = 0;
	check_init_fails(0, false, XFEATURE_YMM, "enabled component has size 0 in CPUID.(0DH,i)");
	/* ... or an absurd one */
	FAKE_LOAD(&cpu, qemu72_max);
	cpu.r[2][0] = 1u << 30;
	check_init_fails(0, false, XFEATURE_YMM, "component size in CPUID.(0DH,i) is implausible");
	/* a user component placed over the header */
	FAKE_LOAD(&cpu, qemu72_max);
	cpu.r[3][1] = 512;
	check_init_fails(0, false, XFEATURE_BNDREGS,
			 "component offset overlaps the legacy area or header");
	/* supervisor flag wrong either way */
	FAKE_LOAD(&cpu, qemu72_max);
	cpu.r[9][2] = 1;
	check_init_fails(0, false, XFEATURE_PKRU,
			 "XCR0 component marked supervisor in CPUID.(0DH,i):ECX");
	FAKE_LOAD(&cpu, spr_recorded);
	cpu.r[XFEATURE_PASID][2] = 0;
	check_init_fails(XFEATURE_MASK_PASID, true, XFEATURE_PASID,
			 "IA32_XSS component not marked supervisor in CPUID.(0DH,i):ECX");
	/* a bit in both XCR0 and IA32_XSS sets */
	FAKE_LOAD(&cpu, spr_recorded);
	cpu.r[1][2] |= XFEATURE_MASK_PKRU;
	check_init_fails(0, true, -1, "a component is both an XCR0 and an IA32_XSS bit");
	/* a CPU whose UINTR size disagrees with the one we model */
	FAKE_LOAD(&cpu, spr_recorded);
	cpu.r[XFEATURE_UINTR][0] = 64;
	check_init_fails(XFEATURE_MASK_UINTR, false, XFEATURE_UINTR,
			 "CPUID size of an emulated component differs from the SDM's");

	/* broken data for a component nobody enables is not fatal */
	FAKE_LOAD(&cpu, spr_recorded);
	cpu.r[XFEATURE_CET_KERNEL][0] = 0;
	CHECK_EQ(init(~0ULL, XFEATURE_MASK_PASID, true), 0);
	CHECK(!(L.known & XFEATURE_MASK_CET_KERNEL));
}

int main(void)
{
	return unit_run_all();
}
