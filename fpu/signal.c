/*
 * signal.c - the FPU part of a signal frame, in Linux's x86-64 format, so
 * that glibc/musl, debuggers and test programs read it unchanged.
 *
 * The image at uc_mcontext.fpstate (64-byte aligned):
 *
 *   0    legacy region: the FXSAVE image (x87, MXCSR, XMM0-15)
 *   464    its software-reserved bytes hold struct fpx_sw_bytes:
 *          magic1 = FP_XSTATE_MAGIC1, extended_size, xfeatures, xstate_size
 *   512  XSAVE header: XSTATE_BV; XCOMP_BV = 0 (the user ABI is always the
 *        standard format, whatever the kernel uses inside)
 *   576  extended region: each user component at its CPUID standard offset
 *   xstate_size: FP_XSTATE_MAGIC2 (4 bytes) - proves the area is complete
 *
 * With FXSAVE only (no XSAVE), the image is just the 512-byte legacy
 * region and the software bytes are zero.
 *
 * rt_sigreturn trusts nothing in it.  Linux's rules:
 *   - magic1 wrong, sizes implausible or magic2 missing: not an error, the
 *     image is FXSAVE-only - x87/SSE from it, other components to init;
 *   - a header XRSTOR would #GP on (reserved bytes, XCOMP_BV != 0, a bit
 *     outside XCR0) or an MXCSR with reserved bits: SIGSEGV and a log line.
 * The checks happen here, before anything reaches the task's buffer, so
 * the XRSTOR* on the way out cannot fault on user-chosen bytes (CVE-2017-
 * 15537 was a path where it could, and the next task ran with the
 * previous one's registers).
 */
#include "fpu/internal.h"
#include "sched/sched.h"
#include "mm/uaccess.h"
#include "kernel/string.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "mm/slab.h"

#define FP_XSTATE_MAGIC1	0x46505853U	/* "FPXS" */
#define FP_XSTATE_MAGIC2	0x46505845U	/* "FPXE" */
#define FP_XSTATE_MAGIC2_SIZE	4

/* Linux's struct _fpx_sw_bytes, in fxregs_state.sw_reserved */
struct fpx_sw_bytes {
	u32 magic1;
	u32 extended_size;		/* xstate_size + FP_XSTATE_MAGIC2_SIZE */
	u64 xfeatures;			/* what the image may hold */
	u32 xstate_size;		/* legacy + header + extended region */
	u32 padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "fpx_sw_bytes is 48 bytes");

u32 fpu_sigframe_size(void)
{
	if (!fpu_backend->xsave)
		return XSAVE_LEGACY_SIZE;
	return fpu_kernel_cfg.user_std_size + FP_XSTATE_MAGIC2_SIZE;
}

static void reset_x87(struct fxregs_state *fx)
{
	const struct fxregs_state *init = &fpu_init_fpstate->regs.i387;

	fx->cwd = init->cwd; fx->swd = init->swd; fx->twd = init->twd; fx->fop = init->fop;
	fx->rip = 0; fx->rdp = 0;
	memset(fx->st_space, 0, sizeof(fx->st_space));
}

/* Kernel buffer (either format) -> user image (standard format). */
static void build_user_image(u8 *img, const struct fpstate *fps)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct xregs_state *u = (struct xregs_state *)img;
	struct fpx_sw_bytes *sw = (struct fpx_sw_bytes *)u->i387.sw_reserved;
	u64 bv = fps->regs.header.xfeatures;

	memcpy(&u->i387, &fps->regs.i387, sizeof(u->i387));
	memset(u->i387.sw_reserved, 0, sizeof(u->i387.sw_reserved));
	if (!fpu_backend->xsave)
		return;
	/* XSAVEC/XSAVES skip components in their init state: the legacy
	 * bytes of an init x87 or SSE are stale, so write the init values. */
	if (!(bv & XFEATURE_MASK_FP))
		reset_x87(&u->i387);
	if (!(bv & XFEATURE_MASK_SSE))
		memset(u->i387.xmm_space, 0, sizeof(u->i387.xmm_space));
	memset(&u->header, 0, sizeof(u->header));
	u->header.xfeatures = (bv & l->hw_user) | XFEATURE_MASK_FPSSE;
	for (u64 m = l->hw_user & ~XFEATURE_MASK_FPSSE; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);

		if (bv & BIT(nr))
			memcpy(img + l->comp[nr].std_offset,
			       (const u8 *)&fps->regs + l->offset[nr], l->comp[nr].size);
	}
	sw->magic1 = FP_XSTATE_MAGIC1;
	sw->xstate_size = l->user_std_size;
	sw->extended_size = l->user_std_size + FP_XSTATE_MAGIC2_SIZE;
	sw->xfeatures = l->hw_user;
	*(u32 *)(img + l->user_std_size) = FP_XSTATE_MAGIC2;
}

/*
 * Signal delivery: current's registers -> the image at @ufp, then the
 * handler starts with the init state (Linux does the same), supervisor
 * components untouched.
 */
int fpu_sigframe_save(u64 ufp)
{
	u32 size = fpu_sigframe_size();
	u8 *img = kzalloc(size, GFP_KERNEL);
	struct fpstate *fps;
	int err = 0;

	if (!img)
		return -ENOMEM;
	fps = fpu_sync_fpstate();
	build_user_image(img, fps);
	fpu_sync_done();
	if (copy_to_user((void *)ufp, img, size))
		err = -EFAULT;
	kfree(img);
	if (!err)
		fpu_clear_user_states();
	return err;
}

static int bad_image(const char *why)
{
	pr_warn("fpu: %s[%d]: bad FPU state in rt_sigreturn frame: %s\n",
		current->comm, current->pid, why);
	return -EINVAL;
}

/*
 * How much of the user image is XSAVE data: the features it carries, or
 * 0 for an FXSAVE-only image.  Reads the rest of the image into @img.
 */
static int read_user_image(u8 *img, u64 ufp, u64 *features)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct fpx_sw_bytes *sw = (struct fpx_sw_bytes *)((struct fxregs_state *)img)->sw_reserved;
	u32 magic2;

	*features = 0;
	if (copy_from_user(img, (void *)ufp, XSAVE_LEGACY_SIZE))
		return -EFAULT;
	if (!fpu_backend->xsave || sw->magic1 != FP_XSTATE_MAGIC1 ||
	    sw->xstate_size < XSAVE_EXT_OFFSET || sw->xstate_size > l->user_std_size ||
	    sw->xstate_size > sw->extended_size)
		return 0;
	if (copy_from_user(&magic2, (void *)(ufp + sw->xstate_size), sizeof(magic2)))
		return -EFAULT;
	if (magic2 != FP_XSTATE_MAGIC2)
		return 0;
	if (copy_from_user(img + XSAVE_HDR_OFFSET, (void *)(ufp + XSAVE_HDR_OFFSET),
			   sw->xstate_size - XSAVE_HDR_OFFSET))
		return -EFAULT;
	*features = sw->xfeatures & l->hw_user;
	return 0;
}

/* rt_sigreturn: the image at @ufp -> current's buffer, loaded on exit. */
int fpu_sigframe_restore(u64 ufp)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	u8 *img = kzalloc(l->user_std_size + FP_XSTATE_MAGIC2_SIZE, GFP_KERNEL);
	struct xregs_state *u = (struct xregs_state *)img;
	struct fpstate *fps;
	const char *why;
	u64 take = XFEATURE_MASK_FPSSE, sup;
	int err;

	if (!img)
		return -ENOMEM;
	err = read_user_image(img, ufp, &take);
	if (err)
		goto out;
	if (take) {
		if (xstate_check_header(&u->header, false, l->hw_user, &why)) {
			err = bad_image(why);
			goto out;
		}
		take &= u->header.xfeatures;
	} else {
		take = XFEATURE_MASK_FPSSE;	/* FXSAVE-only image */
	}
	if (u->i387.mxcsr & ~fpu_mxcsr_mask()) {
		err = bad_image("reserved MXCSR bits set");
		goto out;
	}
	memset(u->i387.sw_reserved, 0, sizeof(u->i387.sw_reserved));
	if (!(take & XFEATURE_MASK_FP))
		reset_x87(&u->i387);
	if (!(take & XFEATURE_MASK_SSE))
		memset(u->i387.xmm_space, 0, sizeof(u->i387.xmm_space));

	fps = fpu_sync_fpstate();	/* keeps the supervisor components */
	sup = fps->regs.header.xfeatures & (l->hw_sup | l->emulated);
	memcpy(&fps->regs.i387, &u->i387, sizeof(u->i387));
	fps->regs.header.xfeatures = sup | XFEATURE_MASK_FPSSE;
	for (u64 m = l->hw_user & ~XFEATURE_MASK_FPSSE; m; m &= m - 1) {
		int nr = __builtin_ctzll(m);

		if (!(take & BIT(nr)))
			continue;		/* init: XSTATE_BV bit clear */
		memcpy((u8 *)&fps->regs + l->offset[nr], img + l->comp[nr].std_offset,
		       l->comp[nr].size);
		fps->regs.header.xfeatures |= BIT(nr);
	}
	/*
	 * The buffer changed under registers that may still be "valid" by
	 * the skip rule (owner == us, last_cpu == this CPU): forget that, or
	 * fpu_exit_to_user() keeps the handler's registers and the edit is
	 * lost.  Linux's __fpu_invalidate_fpregs_state(); forgetting it after
	 * a failed restore was bbc55341b9c6.  BUG=fpu-edit-no-invalidate.
	 */
#ifndef BUG_FPU_EDIT_NO_INVALIDATE
	current->thread.fpu.last_cpu = -1;
#endif
	set_tsk_thread_flag(current, TIF_NEED_FPU_LOAD);
	fpu_sync_done();
out:
	kfree(img);
	return err;
}
