/*
 * xstate.c - which XSAVE state components exist, where they live, and the
 * one save/restore interface over five instruction families.
 *
 * Boot (fpu_init_system, boot CPU, once):
 *   1. choose a backend: the best the CPU reports, in the order
 *      XSAVES/XRSTORS > XSAVEC/XRSTOR > XSAVEOPT/XRSTOR > XSAVE/XRSTOR >
 *      FXSAVE/FXRSTOR, or the one `fpu=NAME` on the command line names
 *      (labs and benchmarks compare them; `fpu=xsaves-model` is the
 *      software XSAVES of xsaves_model.c), and check that a compacted save
 *      really lands where the SDM says (Bochs 2.7's does not);
 *   2. compute the layout from CPUID leaf 0DH (xstate_layout.c: pure and
 *      host-tested): XCR0 = the user components Switchyard handles,
 *      IA32_XSS = the supervisor ones the CPU has (XSAVES only), and slots
 *      for the supervisor components the kernel models instead (PASID,
 *      UINTR) at their architectural compacted place;
 *   3. capture the init image, as Linux does: XRSTOR(S) a header with
 *      XSTATE_BV = 0, which puts every component into its init
 *      configuration, then FXSAVE, because the x87 control word (037FH) and
 *      MXCSR (1F80H) are not zero in it and XSAVEOPT/C/S would skip the
 *      init components (SDM Vol. 1, 13.6 "init optimization").
 *
 * Invariants:
 *   - Every task buffer has the same layout; its XCOMP_BV (compacted
 *     format) is features | bit 63, always - so XSAVES's mask equals the
 *     XCOMP_BV the buffer was restored with, which the modified
 *     optimization requires (SDM Vol. 1, 13.11).
 *   - Emulated components' bits live in the header like the others, but
 *     the CPU must never see them: XRSTOR(S) would #GP on a bit outside
 *     XCR0 | IA32_XSS.  xstate_restore() hides them from the instruction
 *     and hands them to the component's model.
 *   - Buffers are 64-byte aligned (a kmem_cache with that alignment):
 *     every XSAVE-family instruction #GPs otherwise.
 */
#include "fpu/internal.h"
#include "kernel/cpu.h"
#include "kernel/cpufeature.h"
#include "kernel/cmdline.h"
#include "kernel/string.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/extable.h"
#include "kernel/smp.h"
#include "mm/slab.h"

#define MSR_IA32_XSS	0x00000da0

/* What Switchyard knows how to handle.  User: x87, SSE, AVX, AVX-512,
 * PKRU - not MPX (Linux removed it) and not AMX (needs XFD's dynamic
 * buffers).  Supervisor: the two components later issues use. */
#define XFEATURES_USER_SUPPORTED (XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM | \
				  XFEATURE_MASK_AVX512 | XFEATURE_MASK_PKRU)
#define XFEATURES_SUP_SUPPORTED  (XFEATURE_MASK_PASID | XFEATURE_MASK_UINTR)

struct xstate_layout fpu_kernel_cfg;
const struct fpu_backend *fpu_backend;
struct fpstate *fpu_init_fpstate;
static struct kmem_cache *fpstate_cache;
static const struct xstate_emu_ops *emu_ops[XFEATURE_MAX];

/* ---------------------------------------------------- the instructions */

/* EDX:EAX = mask, the requested-feature bitmap (RFBM = mask & (XCR0|XSS)). */
#define XSTATE_OP(insn, x, mask)					\
	asm volatile(insn " %0" : "+m"(*(x))				\
		     : "a"((u32)(mask)), "d"((u32)((mask) >> 32)) : "memory")

/*
 * A restore that may fault (#GP on a bad header or MXCSR, SDM Vol. 2
 * XRSTOR/XRSTORS): the exception table resumes after it with err still -1;
 * without a fault the XOR clears it.
 */
#define XSTATE_RESTORE(insn, x, mask) ({				\
	int __err = -1;							\
	asm volatile("1: " insn " %1\n\t"				\
		     "xorl %0, %0\n"					\
		     "2:\n\t"						\
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_DEFAULT)		\
		     : "+r"(__err) : "m"(*(x)), "a"((u32)(mask)),	\
		       "d"((u32)((mask) >> 32)) : "memory");		\
	__err; })

static void xsaves_save(struct xregs_state *x, u64 m)   { XSTATE_OP("xsaves64", x, m); }
static void xsavec_save(struct xregs_state *x, u64 m)   { XSTATE_OP("xsavec64", x, m); }
static void xsaveopt_save(struct xregs_state *x, u64 m) { XSTATE_OP("xsaveopt64", x, m); }
static void xsave_save(struct xregs_state *x, u64 m)    { XSTATE_OP("xsave64", x, m); }
static int xrstors_restore(struct xregs_state *x, u64 m) { return XSTATE_RESTORE("xrstors64", x, m); }
static int xrstor_restore(struct xregs_state *x, u64 m)  { return XSTATE_RESTORE("xrstor64", x, m); }

static void fxsave_save(struct xregs_state *x, u64 m)
{
	asm volatile("fxsaveq %0" : "=m"(x->i387));
}

static int fxrstor_restore(struct xregs_state *x, u64 m)
{
	int err = -1;

	asm volatile("1: fxrstorq %1\n\t"
		     "xorl %0, %0\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_DEFAULT)
		     : "+r"(err) : "m"(x->i387) : "memory");
	return err;
}

/* Best first: fpu_init_system() takes the first the CPU supports.  The
 * software model (xsaves_model.c) comes last: only fpu=xsaves-model picks it. */
static const struct fpu_backend backends[] = {
	{ "xsaves",   true,  true,  true,  xsaves_save,   xrstors_restore },
	{ "xsavec",   true,  false, true,  xsavec_save,   xrstor_restore },
	{ "xsaveopt", false, false, true,  xsaveopt_save, xrstor_restore },
	{ "xsave",    false, false, true,  xsave_save,    xrstor_restore },
	{ "fxsave",   false, false, false, fxsave_save,   fxrstor_restore },
	{ "xsaves-model", true, false, true, xsaves_model_save, xrstors_model_restore },
};
#define FXSAVE_BACKEND	(&backends[ARRAY_SIZE(backends) - 2])

static bool backend_broken[ARRAY_SIZE(backends)];	/* failed the boot self-test */

bool fpu_backend_usable(const struct fpu_backend *b)
{
	if (backend_broken[b - backends])
		return false;
	if (!strcmp(b->name, "xsaves"))
		return boot_cpu_has(X86_FEATURE_XSAVES);
	if (!strcmp(b->name, "xsavec"))
		return boot_cpu_has(X86_FEATURE_XSAVEC);
	if (!strcmp(b->name, "xsaveopt"))
		return boot_cpu_has(X86_FEATURE_XSAVEOPT);
	if (!strcmp(b->name, "xsave") || !strcmp(b->name, "xsaves-model"))
		return boot_cpu_has(X86_FEATURE_XSAVE);
	return true;			/* FXSAVE: every x86-64 CPU */
}

const struct fpu_backend *fpu_find_backend(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		if (!strcmp(backends[i].name, name))
			return &backends[i];
	return NULL;
}

const struct fpu_backend *fpu_backend_at(unsigned i)
{
	return i < ARRAY_SIZE(backends) ? &backends[i] : NULL;
}

const char *fpu_backend_name(void)
{
	return fpu_backend ? fpu_backend->name : "none";
}

/* ------------------------------------------------------------ the layout */

static const char *xfeature_name(int nr)
{
	static const char *const names[] = {
		"x87", "SSE", "AVX", "BNDREGS", "BNDCSR", "opmask", "ZMM_Hi256",
		"Hi16_ZMM", "PT", "PKRU", "PASID", "CET_U", "CET_S", "HDC", "UINTR",
		"LBR", "HWP", "TILECFG", "TILEDATA",
	};

	return nr < (int)ARRAY_SIZE(names) ? names[nr] : "?";
}

static void cpuid_hw(void *ctx, u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	struct cpuid_regs r = cpuid_count(leaf, sub);

	*a = r.eax; *b = r.ebx; *c = r.ecx; *d = r.edx;
}

/* The same CPU seen without IA32_XSS components (sub-leaf 1 ECX:EDX). */
static void cpuid_no_xss(void *ctx, u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	cpuid_hw(ctx, leaf, sub, a, b, c, d);
	if (leaf == 0xd && sub == 1)
		*c = *d = 0;
}

static void xsetbv(u32 index, u64 value)
{
	asm volatile("xsetbv" : : "c"(index), "a"((u32)value), "d"((u32)(value >> 32))
		     : "memory");
}

/* FXSAVE alone: a legacy region, and a header only Switchyard reads
 * (the emulated components still need a home and XSTATE_BV bits). */
static void layout_fxsave(struct xstate_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->hw_user = XFEATURE_MASK_FPSSE;
	l->features = XFEATURE_MASK_FPSSE;
	l->known = XFEATURE_MASK_FPSSE;
	l->offset[XFEATURE_SSE] = XSAVE_SSE_OFFSET;
	l->hw_size = XSAVE_LEGACY_SIZE;
	l->size = XSAVE_EXT_OFFSET;
	l->user_std_size = XSAVE_LEGACY_SIZE;
}

/* The layout task buffers get with backend @b on this CPU; 0 or -1. */
int fpu_layout_for(const struct fpu_backend *b, struct xstate_layout *l)
{
	if (!b->xsave) {
		layout_fxsave(l);
		return 0;
	}
	if (xstate_layout_init(l, cpuid_hw, NULL, XFEATURES_USER_SUPPORTED,
			       XFEATURES_SUP_SUPPORTED, b->compacted))
		return -1;
	/* Only XSAVES/XRSTORS handle IA32_XSS components: with any other
	 * instruction, model them like a CPU that lacks them (want_sup = 0
	 * for the hardware, the emulated slots stay). */
	if (!b->supervisor && l->hw_sup)
		return xstate_layout_init(l, cpuid_no_xss, NULL, XFEATURES_USER_SUPPORTED,
					  XFEATURES_SUP_SUPPORTED, b->compacted);
	return 0;
}

static void layout_init(const struct fpu_backend *b)
{
	if (fpu_layout_for(b, &fpu_kernel_cfg))
		panic("fpu: CPUID leaf 0DH makes no sense: %s (component %d)",
		      fpu_kernel_cfg.error, fpu_kernel_cfg.error_nr);
}

/* ---------------------------------------------------- emulated components */

int xstate_register_emulated(const struct xstate_emu_ops *ops)
{
	if (ops->nr <= 0 || ops->nr >= XFEATURE_MAX ||
	    !(fpu_kernel_cfg.emulated & BIT(ops->nr)))
		return -EINVAL;
	if (__atomic_load_n(&emu_ops[ops->nr], __ATOMIC_ACQUIRE))
		return -EBUSY;
	__atomic_store_n(&emu_ops[ops->nr], ops, __ATOMIC_RELEASE);
	return 0;
}

void xstate_unregister_emulated(const struct xstate_emu_ops *ops)
{
	if (ops->nr > 0 && ops->nr < XFEATURE_MAX && emu_ops[ops->nr] == ops)
		__atomic_store_n(&emu_ops[ops->nr], NULL, __ATOMIC_RELEASE);
}

void *xstate_slot(struct fpstate *fps, int nr)
{
	if (nr < 0 || nr >= XFEATURE_MAX || !(fps->xfeatures & BIT(nr)))
		return NULL;
	return (u8 *)&fps->regs + fpu_kernel_cfg.offset[nr];
}

/* --------------------------------------------------- the one interface */

/*
 * Registers -> @fps.  Interrupts or preemption off: the registers must be
 * this task's for the whole save.  The hardware writes its components
 * and the header (XSAVEC/XSAVES rewrite XSTATE_BV and XCOMP_BV from
 * scratch); then each emulated component's model adds its slot and bit.
 */
void xstate_save(struct fpstate *fps)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct xregs_header *h = &fps->regs.header;
	int cpu = smp_processor_id();

	fpu_backend->save(&fps->regs, l->hw_user | l->hw_sup);
	if (!fpu_backend->xsave)
		h->xfeatures |= XFEATURE_MASK_FPSSE;	/* FXSAVE: always "in use" */
	for (u64 m = l->emulated; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);
		const struct xstate_emu_ops *ops = __atomic_load_n(&emu_ops[nr], __ATOMIC_ACQUIRE);

		if (ops && ops->save((u8 *)&fps->regs + l->offset[nr])) {
			h->xfeatures |= BIT(nr);
			fpu_stats[cpu].emulated_saves++;
		} else {
			h->xfeatures &= ~BIT(nr);
		}
	}
	if (l->compacted)
		h->xcomp_bv = l->features | XCOMP_BV_COMPACTED;
}

/*
 * @fps -> registers.  The instruction sees the header without the
 * emulated bits, which the models get instead; a fault anywhere (a header
 * or MXCSR the checks upstream should have refused, or a model's #GP)
 * returns -1 and the caller loads the init image.  A partial restore can
 * leave registers half old and half new (SDM Vol. 1, 13.12), so the
 * caller must also forget whose state the registers hold.
 */
int xstate_restore(struct fpstate *fps)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct xregs_header *h = &fps->regs.header;
	u64 bv = h->xfeatures, comp = h->xcomp_bv;
	int err;

	h->xfeatures = bv & ~l->emulated;
	h->xcomp_bv = comp & ~l->emulated;
	err = fpu_backend->restore(&fps->regs, l->hw_user | l->hw_sup);
	h->xfeatures = bv;
	h->xcomp_bv = comp;
	for (u64 m = l->emulated; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);
		const struct xstate_emu_ops *ops = __atomic_load_n(&emu_ops[nr], __ATOMIC_ACQUIRE);

		if (ops && ops->restore((u8 *)&fps->regs + l->offset[nr], !(bv & BIT(nr))))
			err = -1;
	}
	return err;
}

/* ------------------------------------------------------- task buffers */

struct fpstate *fpstate_alloc(void)
{
	return kmem_cache_alloc(fpstate_cache);
}

void fpstate_free(struct fpstate *fps)
{
	if (fps)
		kmem_cache_free(fpstate_cache, fps);
}

void fpstate_init(struct fpstate *fps)
{
	memcpy(fps, fpu_init_fpstate, offsetof(struct fpstate, regs) + fpu_kernel_cfg.size);
}

/* --------------------------------------------------------------- boot */

static void capture_init_image(void)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct fpstate *init = fpu_init_fpstate;

	memset(init, 0, offsetof(struct fpstate, regs) + l->size);
	init->size = l->size;
	init->xfeatures = l->features;
	if (l->compacted)
		init->regs.header.xcomp_bv = l->features | XCOMP_BV_COMPACTED;
	/* XRSTOR loads MXCSR from memory even when SSE is "init" (RFBM[1]) */
	init->regs.i387.mxcsr = 0x1f80;
	if (xstate_restore(init))
		panic("fpu: %s of the init image faulted", fpu_backend->name);
	if (!fpu_backend->xsave) {
		/* FXRSTOR has no "init" bits: it loaded the zeroes (XMM = 0
		 * is right, FCW = 0 is not); FNINIT and LDMXCSR set the rest. */
		asm volatile("fninit");
		asm volatile("ldmxcsr %0" : : "m"(init->regs.i387.mxcsr));
	}
	asm volatile("fxsaveq %0" : "=m"(init->regs.i387));
	/* What FXSAVE wrote is in use for x87/SSE as far as a restore goes:
	 * mark both so the legacy values (FCW 037FH, MXCSR 1F80H) load. */
	init->regs.header.xfeatures = fpu_backend->xsave ? 0 : XFEATURE_MASK_FPSSE;
}

static const struct fpu_backend *choose_backend(void)
{
	const char *want = cmdline_get("fpu");

	if (want && *want) {
		const struct fpu_backend *b = fpu_find_backend(want);

		if (!b)
			pr_warn("fpu: unknown fpu=%s (xsaves|xsavec|xsaveopt|xsave|fxsave|xsaves-model)\n",
				want);
		else if (!fpu_backend_usable(b))
			pr_warn("fpu: fpu=%s: not usable on this CPU\n", want);
		else
			return b;
	}
	/* The CPU says XSAVES but gets it wrong (Bochs 2.7): the model of
	 * the same instruction, rather than a lesser real one - the
	 * compacted layout and the supervisor-state rules are what the
	 * kernel needs XSAVES for. */
	if (boot_cpu_has(X86_FEATURE_XSAVES) && backend_broken[0] &&
	    boot_cpu_has(X86_FEATURE_XSAVE))
		return &backends[ARRAY_SIZE(backends) - 1];
	for (const struct fpu_backend *b = backends; b < FXSAVE_BACKEND; b++)
		if (fpu_backend_usable(b))
			return b;
	return FXSAVE_BACKEND;
}

/*
 * Trust, but verify: does a compacted save put the first extended
 * component where the SDM's rule (and CPUID.(0DH,1).EBX) say?  Load a
 * pattern with a standard-format XRSTOR, save it with @b, look.  Bochs
 * 2.7's XSAVEC/XSAVES fail this: they start the walk at byte 160 (+256
 * when SSE is saved), so AVX lands at 416, and the header written at 512
 * then overwrites part of it - state would be lost at every switch.
 * Runs once at boot, before any task has FPU state.
 */
static bool compacted_save_selftest(const struct fpu_backend *b, const struct xstate_layout *l)
{
	static u8 scratch[2][4096] __aligned(64);
	struct xregs_state *in = (void *)scratch[0], *out = (void *)scratch[1];
	u64 ext = l->hw_user & ~XFEATURE_MASK_FPSSE & ~XFEATURE_MASK_PKRU;
	int nr;
	u32 n;

	if (!b->compacted || !ext || l->hw_size > sizeof(scratch[0]))
		return true;
	nr = __builtin_ctzll(ext);		/* lowest: AVX, usually */
	n = MIN(l->comp[nr].size, 64u);
	memset(scratch, 0, sizeof(scratch));
	in->i387.mxcsr = 0x1f80;
	in->header.xfeatures = BIT(nr);
	for (u32 i = 0; i < n; i++)
		((u8 *)in)[l->comp[nr].std_offset + i] = (u8)(0xa5 ^ i);
	if (xrstor_restore(in, l->hw_user))		/* standard format */
		return false;
	b->save(out, l->hw_user | l->hw_sup);
	asm volatile("fninit");				/* leave nothing behind */
	xrstor_restore(in, 0);
	for (u32 i = 0; i < n; i++)
		if (((u8 *)out)[l->offset[nr] + i] != (u8)(0xa5 ^ i)) {
			pr_warn("fpu: %s does not save component %d at offset %u as the SDM's "
				"compacted layout says: not using it\n", b->name, nr, l->offset[nr]);
			return false;
		}
	return true;
}

void fpu_init_system(void)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	const struct fpu_backend *b;

	/* Every compacted save the CPU claims is checked before anything
	 * (fpu= included) may choose it. */
	for (b = backends; b < FXSAVE_BACKEND; b++) {
		if (!b->compacted || !fpu_backend_usable(b))
			continue;
		fpu_backend = b;
		layout_init(b);
		fpu_init_cpu();		/* XCR0 and IA32_XSS for this layout */
		if (!compacted_save_selftest(b, l))
			backend_broken[b - backends] = true;
	}
	fpu_backend = b = choose_backend();
	layout_init(b);
	fpu_init_cpu();
	fpstate_cache = kmem_cache_create("fpstate", offsetof(struct fpstate, regs) + l->size,
					  XSAVE_ALIGN);
	fpu_init_fpstate = fpstate_cache ? fpstate_alloc() : NULL;
	if (!fpu_init_fpstate)
		panic("fpu: no memory for the init image");
	_Static_assert(offsetof(struct fpstate, regs) % XSAVE_ALIGN == 0, "fpstate: regs 64-aligned");
	capture_init_image();
	pr_info("fpu: %s, xfeatures %#llx (XCR0 %#llx, XSS %#llx, emulated %#llx), "
		"buffer %u bytes %s%s\n", fpu_backend->name, (unsigned long long)l->features,
		(unsigned long long)l->hw_user, (unsigned long long)l->hw_sup,
		(unsigned long long)l->emulated, l->size,
		l->compacted ? "compacted" : "standard",
		l->emulated_at_end ? " (emulated slots after the hardware area)" : "");
	for (u64 m = l->features & ~XFEATURE_MASK_FPSSE; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);

		pr_info("fpu:   component %2d %-10s %4u bytes at %4u%s\n", nr, xfeature_name(nr),
			l->comp[nr].size, l->offset[nr],
			(l->emulated & BIT(nr)) ? " (emulated)" : "");
	}
	if (l->dropped)
		pr_warn("fpu: CPUID lists components %#llx but describes them as empty in "
			"CPUID.(0DH,i): left disabled\n", (unsigned long long)l->dropped);
}

/*
 * Per CPU.  CR0: EM = 0 (no x87 emulation), MP = 1, TS = 0 (no #NM: the
 * state is never switched with CR0.TS - see core.c on LazyFP), NE = 1 (x87
 * errors as #MF).  CR4: OSFXSR, OSXMMEXCPT (SIMD errors as #XM), OSXSAVE
 * (XGETBV/XSETBV and the XSAVE family; SDM Vol. 3A, 2.6), PKE if the CPU
 * has protection keys (then PKRU is a real user register, component 9).
 * XCR0 must be written before IA32_XSS matters; XCR0[0] is always 1 and
 * SSE must be set if AVX is (XSETBV #GPs otherwise).
 */
void fpu_init_cpu(void)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	u64 cr4 = read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	write_cr0((read_cr0() & ~(X86_CR0_EM | X86_CR0_TS)) | X86_CR0_MP | X86_CR0_NE);
	if (fpu_backend->xsave)
		cr4 |= X86_CR4_OSXSAVE;
	if (fpu_backend->xsave && (l->hw_user & XFEATURE_MASK_PKRU))
		cr4 |= X86_CR4_PKE;
	write_cr4(cr4);
	if (fpu_backend->xsave)
		xsetbv(0, l->hw_user);
	if (fpu_backend->supervisor)
		wrmsr(MSR_IA32_XSS, l->hw_sup);
	asm volatile("fninit");
	if (fpu_init_fpstate && fpu_init_fpstate->regs.i387.cwd)
		xstate_restore(fpu_init_fpstate);
	this_cpu_write(fpu_owner, NULL);
}

u32 fpu_mxcsr_mask(void)
{
	u32 m = fpu_init_fpstate ? fpu_init_fpstate->regs.i387.mxcsr_mask : 0;

	return m ? m : 0x0000ffbf;	/* FXSAVE writes 0 on old CPUs: SDM 10.5.1.2 */
}
