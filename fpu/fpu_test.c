/*
 * fpu_test.c - in-kernel tests of the xstate interface: the layout agrees
 * with what the CPU reports for the XCR0/IA32_XSS now programmed, the init
 * image, a register round trip through every backend this CPU has, and
 * the emulated-component hooks with a dummy model that follows the UINTR
 * component's XSAVES/XRSTORS rules (seed 002).
 *
 * The ring-3 side (registers surviving switches, signal frames, fork and
 * exec, and the lazy rule's counters) is in user/tests/fpu.c and
 * user/tests/switchyard.c.  Tests that load registers run between
 * kernel_fpu_begin() and kernel_fpu_end(), which make them the kernel's.
 */
#include "kernel/ktest.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/printk.h"
#include "kernel/errno.h"
#include "kernel/preempt.h"
#include "mm/slab.h"
#include "fpu/internal.h"

KTEST(fpu_layout_matches_cpuid)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;

	if (!fpu_backend->xsave)
		KSKIP("fpu=fxsave: no XSAVE area");
	/* CPUID.(0DH,0).EBX: standard size for the XCR0 now set;
	 * CPUID.(0DH,1).EBX: compacted size for XCR0 | IA32_XSS (SDM CPUID). */
	if (l->compacted && !strcmp(fpu_backend->name, "xsaves-model"))
		KEXPECT_EQ(l->hw_size, xstate_compacted_size(l, l->hw_user));
	else if (l->compacted)
		KEXPECT_EQ(l->hw_size, cpuid_count(0xd, 1).ebx);
	else
		KEXPECT_EQ(l->hw_size, cpuid_count(0xd, 0).ebx);
	KEXPECT_EQ(l->features, l->hw_user | l->hw_sup | l->emulated);
	KEXPECT(l->size % 64 == 0 && l->size >= l->hw_size);
	for (u64 m = l->emulated; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);

		/* an emulated slot never overlaps what the CPU writes */
		KEXPECT(l->offset[nr] >= l->hw_size);
		KEXPECT(l->offset[nr] + l->comp[nr].size <= l->size);
	}
}

KTEST(fpu_init_image)
{
	const struct fpstate *init = fpu_init_fpstate;

	KEXPECT_EQ(init->regs.i387.cwd, 0x37f);
	KEXPECT_EQ(init->regs.i387.mxcsr, 0x1f80);
	KEXPECT_EQ((u64)&init->regs % 64, 0);
	if (fpu_backend->xsave) {
		KEXPECT_EQ(init->regs.header.xfeatures, 0);	/* everything init */
		KEXPECT_EQ(init->regs.header.xcomp_bv, fpu_kernel_cfg.compacted ?
			   (fpu_kernel_cfg.features | XCOMP_BV_COMPACTED) : 0);
	}
}

/* A recognisable value for byte @i of component @nr. */
static u8 pattern(int nr, u32 i)
{
	return (u8)(0x5a ^ (nr * 37) ^ (i * 13));
}

/*
 * Fill every hardware user component of a buffer in layout @l with the
 * pattern (x87 only in its register bytes; MXCSR a valid value).
 */
static void fill_pattern(struct xregs_state *x, const struct xstate_layout *l)
{
	struct fxregs_state *fx = &x->i387;

	memset(fx, 0, sizeof(*fx));
	fx->cwd = 0x27f;		/* 53-bit precision: not the init value */
	fx->mxcsr = 0x3f80;		/* round down, all masked */
	for (u32 i = 0; i < sizeof(fx->st_space); i++)
		if (i % 16 < 10)	/* 80-bit registers in 16-byte slots */
			((u8 *)fx->st_space)[i] = pattern(0, i);
	for (u32 i = 0; i < sizeof(fx->xmm_space); i++)
		((u8 *)fx->xmm_space)[i] = pattern(1, i);
	if (!l->features || l->hw_user == XFEATURE_MASK_FPSSE)
		return;
	memset(&x->header, 0, sizeof(x->header));
	x->header.xfeatures = l->hw_user;
	if (l->compacted)
		x->header.xcomp_bv = (l->hw_user | l->hw_sup) | XCOMP_BV_COMPACTED;
	for (u64 m = l->hw_user & ~XFEATURE_MASK_FPSSE; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);
		u8 *p = (u8 *)x + l->offset[nr];

		for (u32 i = 0; i < l->comp[nr].size; i++)
			p[i] = pattern(nr, i);
		if (nr == XFEATURE_PKRU)
			memset(p, 0, l->comp[nr].size);	/* keep every key accessible */
	}
}

static int compare_components(struct ktest_ctx *t, const char *be, const struct xregs_state *a,
			      const struct xregs_state *b, const struct xstate_layout *l)
{
	int bad = 0;

	if (memcmp(a->i387.st_space, b->i387.st_space, sizeof(a->i387.st_space)) ||
	    memcmp(a->i387.xmm_space, b->i387.xmm_space, sizeof(a->i387.xmm_space)) ||
	    a->i387.mxcsr != b->i387.mxcsr || a->i387.cwd != b->i387.cwd) {
		ktest_fail(t, __FILE__, __LINE__, "%s: x87/SSE state differs after the round trip", be);
		bad++;
	}
	for (u64 m = l->hw_user & ~XFEATURE_MASK_FPSSE; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);

		if (memcmp((const u8 *)a + l->offset[nr], (const u8 *)b + l->offset[nr],
			   l->comp[nr].size)) {
			int found = -1;

			for (u32 o = 0; o + 16 <= 8192 && found < 0; o += 8)
				if (!memcmp((const u8 *)b + o, (const u8 *)a + l->offset[nr], 16))
					found = (int)o;
			ktest_fail(t, __FILE__, __LINE__, "%s: component %d differs (expected at %u, found at %d)",
				   be, nr, l->offset[nr], found);
			bad++;
		}
	}
	return bad;
}

/*
 * Each backend: restore a patterned buffer into the registers, wipe them
 * with the init state, restore the pattern again, save with the backend
 * into a fresh buffer, compare.  A backend that saved or restored the
 * wrong bytes, or skipped a component, shows up as a difference.
 */
KTEST(fpu_backends_round_trip)
{
	struct xstate_layout *l = kzalloc(sizeof(*l), GFP_KERNEL);
	void *in_mem = kzalloc(8192 + 64, GFP_KERNEL), *out_mem = kzalloc(8192 + 64, GFP_KERNEL);
	void *in = (void *)ALIGN_UP((u64)in_mem, 64), *out = (void *)ALIGN_UP((u64)out_mem, 64);
	int tested = 0;

	KASSERT(l && in_mem && out_mem);	/* kmalloc: 16-aligned; XSAVE needs 64 */
	for (unsigned i = 0; fpu_backend_at(i); i++) {
		const struct fpu_backend *b = fpu_backend_at(i);
		struct xregs_state *xin = in, *xout = out;
		u64 mask;

		if (!fpu_backend_usable(b) || (b->xsave && !fpu_backend->xsave)) {
			/* the CPU lacks it, it failed the boot self-test, or XSAVE is off */
			printk("    # %s: not usable here, skipped\n", b->name);
			continue;
		}
		if (fpu_layout_for(b, l) || l->size > 8192) {
			ktest_fail(t, __FILE__, __LINE__, "%s: no layout", b->name);
			continue;
		}
		mask = l->hw_user | l->hw_sup;
		fill_pattern(xin, l);
		memset(out, 0, 8192);
		kernel_fpu_begin();
		if (b->restore(xin, mask))
			ktest_fail(t, __FILE__, __LINE__, "%s: restoring the pattern faulted", b->name);
		fpu_backend->restore(&fpu_init_fpstate->regs, fpu_kernel_cfg.hw_user |
				     fpu_kernel_cfg.hw_sup);
		b->restore(xin, mask);
		b->save(xout, mask);
		kernel_fpu_end();
		/* every patterned component is in use; PKRU = 0 is its init value */
		if (b->xsave && (xout->header.xfeatures & l->hw_user & ~XFEATURE_MASK_PKRU) !=
		    (l->hw_user & ~XFEATURE_MASK_PKRU))
			ktest_fail(t, __FILE__, __LINE__, "%s: XSTATE_BV %#llx lacks components",
				   b->name, (unsigned long long)xout->header.xfeatures);
		if (b->compacted)
			KEXPECT(xout->header.xcomp_bv & XCOMP_BV_COMPACTED);
		compare_components(t, b->name, xin, xout, l);
		printk("    # %s: round trip of %u bytes, xfeatures %#llx\n", b->name,
		       l->hw_size, (unsigned long long)l->hw_user);
		tested++;
	}
	KEXPECT(tested >= 1);
	kfree(l);
	kfree(in_mem);
	kfree(out_mem);
}

/* ------------------------------------------- a dummy emulated component */

/*
 * A model shaped like UINTR's component 14 (uintr.md section 4): 48 bytes,
 * MISC at byte 16 with UINV in bits 39:32.  Per-CPU "live" MSRs.
 *   XSAVES: writes the state, then clears the live UINV.
 *   XRSTORS: #GP if the live UINV is not 0, checked before loading.
 */
struct dummy_uintr {
	u64 handler, stack_adjust, misc, upid, uirr, uitt;
};
#define DUMMY_UINV(misc)	(((misc) >> 32) & 0xff)

static struct dummy_uintr dummy_live[NR_CPUS];
static int dummy_saves, dummy_restores, dummy_gps;

static bool dummy_save(void *slot)
{
	struct dummy_uintr *live = &dummy_live[smp_processor_id()];

	memcpy(slot, live, sizeof(*live));
	live->misc &= ~(0xffULL << 32);		/* the rule: saving disarms UINV */
	dummy_saves++;
	return live->handler || live->uirr || ((struct dummy_uintr *)slot)->misc;
}

static int dummy_restore(const void *slot, bool init)
{
	struct dummy_uintr *live = &dummy_live[smp_processor_id()];

	if (DUMMY_UINV(live->misc)) {
		dummy_gps++;
		return -1;			/* #GP before anything is loaded */
	}
	if (init)
		memset(live, 0, sizeof(*live));
	else
		memcpy(live, slot, sizeof(*live));
	dummy_restores++;
	return 0;
}

static const struct xstate_emu_ops dummy_ops = {
	.nr = XFEATURE_UINTR, .name = "dummy-uintr",
	.save = dummy_save, .restore = dummy_restore,
};

KTEST(fpu_emulated_component_hooks)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct fpstate *fps;
	struct dummy_uintr *slot, *live;
	int err1, err2, err3;

	if (!(l->emulated & XFEATURE_MASK_UINTR))
		KSKIP("UINTR is not an emulated component here");
	KASSERT(xstate_register_emulated(&dummy_ops) == 0);
	KEXPECT_EQ(xstate_register_emulated(&dummy_ops), -EBUSY);
	fps = fpstate_alloc();
	KASSERT(fps);
	fpstate_init(fps);
	slot = (void *)((u8 *)&fps->regs + l->offset[XFEATURE_UINTR]);
	dummy_saves = dummy_restores = dummy_gps = 0;

	kernel_fpu_begin();
	live = &dummy_live[smp_processor_id()];
	*live = (struct dummy_uintr){ .handler = 0x401000, .misc = (0xecULL << 32) | 16,
				      .upid = 0xffff888000100000, .uirr = 4 };
	xstate_save(fps);			/* hardware part + the model */
	KEXPECT(fps->regs.header.xfeatures & XFEATURE_MASK_UINTR);
	KEXPECT_EQ(slot->handler, 0x401000);
	KEXPECT_EQ(DUMMY_UINV(slot->misc), 0xec);	/* the image keeps UINV... */
	KEXPECT_EQ(DUMMY_UINV(live->misc), 0);		/* ...the CPU does not */
	if (l->compacted)
		KEXPECT(fps->regs.header.xcomp_bv & XFEATURE_MASK_UINTR);
	err1 = xstate_restore(fps);		/* live UINV is 0: fine */
	err2 = xstate_restore(fps);		/* UINV now armed: #GP (seed 002) */
	/* tglx's fix: zero UINV in the image after every save */
	xstate_save(fps);
	slot->misc &= ~(0xffULL << 32);
	err3 = xstate_restore(fps) | xstate_restore(fps);
	kernel_fpu_end();

	KEXPECT_EQ(err1, 0);
	KEXPECT_EQ(err2, -1);
	KEXPECT_EQ(dummy_gps, 1);
	KEXPECT_EQ(err3, 0);
	KEXPECT_EQ(dummy_saves, 2);
	KEXPECT_EQ(dummy_restores, 3);
	/* the header the CPU saw never carried the emulated bit, and it is back */
	KEXPECT(fps->regs.header.xfeatures & XFEATURE_MASK_UINTR);
	xstate_unregister_emulated(&dummy_ops);
	fpstate_free(fps);
	memset(dummy_live, 0, sizeof(dummy_live));
}

KTEST(fpu_kernel_fpu_section)
{
	struct fpu_stats before, after;
	u32 mxcsr = 0;
	int cpu;

	preempt_disable();
	cpu = smp_processor_id();
	fpu_get_stats(cpu, &before);
	kernel_fpu_begin();
	KEXPECT(this_cpu_read(fpu_owner) == NULL);	/* registers are nobody's */
	asm volatile("stmxcsr %0" : "=m"(mxcsr));
	kernel_fpu_end();
	fpu_get_stats(cpu, &after);
	preempt_enable();
	KEXPECT_EQ(mxcsr, 0x1f80);
	KEXPECT_EQ(after.kernel_fpu - before.kernel_fpu, 1);
}

/* fpu=NAME on the command line picks the backend, if this CPU has it. */
KTEST(fpu_cmdline_selects_backend)
{
	const char *want = cmdline_get("fpu");
	const struct fpu_backend *b;

	if (!want || !*want)
		KSKIP("no fpu= on the command line");
	b = fpu_find_backend(want);
	if (!b || !fpu_backend_usable(b))
		KSKIP("this CPU cannot run the backend asked for");
	KEXPECT(fpu_backend == b);
}

/*
 * The software XRSTORS refuses what the real one #GPs on (SDM XRSTORS,
 * "Protected Mode Exceptions"), before loading anything.
 */
KTEST(fpu_xsaves_model_fault_rules)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	u8 *mem = kzalloc(4096 + 64, GFP_KERNEL);
	struct xregs_state *x = (void *)ALIGN_UP((u64)mem, 64);
	u64 ok_comp = l->hw_user | XCOMP_BV_COMPACTED;

	KASSERT(mem);
	if (!fpu_backend->xsave || !strcmp(fpu_backend->name, "fxsave"))
		KSKIP("no XSAVE enabled: the model needs XCR0");
	x->i387.mxcsr = 0x1f80;
	kernel_fpu_begin();
	x->header.xcomp_bv = ok_comp;
	KEXPECT_EQ(xrstors_model_restore(x, l->hw_user), 0);	/* all init: fine */
	x->header.xcomp_bv = l->hw_user;			/* bit 63 clear */
	KEXPECT_EQ(xrstors_model_restore(x, l->hw_user), -1);
	x->header.xcomp_bv = ok_comp | BIT(62);			/* not in XCR0 */
	KEXPECT_EQ(xrstors_model_restore(x, l->hw_user), -1);
	x->header.xcomp_bv = ok_comp & ~XFEATURE_MASK_SSE;
	x->header.xfeatures = XFEATURE_MASK_SSE;		/* BV not in XCOMP_BV */
	KEXPECT_EQ(xrstors_model_restore(x, l->hw_user), -1);
	x->header.xcomp_bv = ok_comp;
	x->header.xfeatures = 0;
	x->header.reserved[2] = 1;				/* bytes 16-63 */
	KEXPECT_EQ(xrstors_model_restore(x, l->hw_user), -1);
	x->header.reserved[2] = 0;
	x->i387.mxcsr = 0xffff0000;				/* reserved MXCSR bits */
	KEXPECT_EQ(xrstors_model_restore(x, l->hw_user), -1);
	x->i387.mxcsr = 0x1f80;
	/* a save writes the header: XCOMP_BV = RFBM | bit 63, XSTATE_BV within
	 * RFBM (which components count as in use after an init restore is
	 * up to the CPU: QEMU's TCG says all of them) */
	KEXPECT_EQ(xrstors_model_restore(x, l->hw_user), 0);
	memset(x, 0xcc, 1024);
	xsaves_model_save(x, l->hw_user);
	kernel_fpu_end();
	KEXPECT_EQ(x->header.xcomp_bv, ok_comp);
	KEXPECT_EQ(x->header.xfeatures & ~l->hw_user, 0);
	KEXPECT_EQ(x->header.reserved[0], 0xcccccccccccccccc);	/* bytes 16-23 untouched */
	kfree(mem);
}
