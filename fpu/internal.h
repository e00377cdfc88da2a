/*
 * internal.h - what the fpu/ files share and nobody else needs: the save/restore
 * backend, the emulated-component hooks and the init image.
 *
 * One xstate interface (xstate.c owns it):
 *   xstate_save(fps)           registers -> fps, every component in fps
 *   xstate_restore(fps, mask)  fps -> registers; 0, or -1 if the
 *                              instruction (or a component model) faulted
 *   fpu_init_fpstate           the state a new program starts with
 *   fpu_kernel_cfg             the layout (fpu.h)
 * Nothing outside xstate.c knows which instruction does the work.
 */
#ifndef FPU_INTERNAL_H
#define FPU_INTERNAL_H

#include "fpu/fpu.h"

/*
 * A save/restore mechanism.  compacted: buffers are in the compacted
 * format (XSAVEC/XSAVES); supervisor: the instruction handles IA32_XSS
 * components (XSAVES/XRSTORS only, CPL 0).
 */
struct fpu_backend {
	const char *name;
	bool compacted;
	bool supervisor;
	bool xsave;			/* uses an XSAVE area (all but fxsave) */
	void (*save)(struct xregs_state *x, u64 mask);
	int (*restore)(struct xregs_state *x, u64 mask);	/* 0 or -1 (faulted) */
};

/*
 * A supervisor state component the CPU cannot hold (IA32_XSS lacks its
 * bit), modelled by the kernel: its "live" state is per-CPU data of the
 * model (the architectural MSRs in memory), its saved state is the
 * component's slot in the task buffer at the architectural place.
 *   save(slot)          the XSAVES model: write the live state to @slot;
 *                       return false if it is in its init configuration
 *                       (then XSTATE_BV's bit is cleared, as the init
 *                       optimization would).  May change the live state
 *                       (UINTR: XSAVES clears UINV).
 *   restore(slot, init) the XRSTORS model: load @slot (or, with @init,
 *                       the init configuration); return -1 to model the
 *                       #GP the instruction would raise.
 * The PASID and UINTR issues register the real ones; fpu_test.c shows the
 * mechanism with a dummy.
 */
struct xstate_emu_ops {
	int nr;
	const char *name;
	bool (*save)(void *slot);
	int (*restore)(const void *slot, bool init);
};

int xstate_register_emulated(const struct xstate_emu_ops *ops);	/* -EINVAL/-EBUSY */
void xstate_unregister_emulated(const struct xstate_emu_ops *ops);

/* The software XSAVES/XRSTORS (xsaves_model.c). */
void xsaves_model_save(struct xregs_state *x, u64 mask);
int xrstors_model_restore(struct xregs_state *x, u64 mask);

extern const struct fpu_backend *fpu_backend;
extern struct fpstate *fpu_init_fpstate;
extern struct fpu_stats fpu_stats[];

void xstate_save(struct fpstate *fps);
int xstate_restore(struct fpstate *fps);
void *xstate_slot(struct fpstate *fps, int nr);	/* component @nr's bytes, or NULL */
struct fpstate *fpu_sync_fpstate(void);	/* preemption off until fpu_sync_done() */
void fpu_sync_done(void);
void fpstate_init(struct fpstate *fps);		/* copy of the init image */
struct fpstate *fpstate_alloc(void);
void fpstate_free(struct fpstate *fps);

/* Select a backend by name (fpu= on the command line, and the KTAP test
 * that runs every backend).  Only before user tasks exist, or with every
 * user buffer converted - so the test uses its own buffers only. */
const struct fpu_backend *fpu_find_backend(const char *name);
bool fpu_backend_usable(const struct fpu_backend *b);
const struct fpu_backend *fpu_backend_at(unsigned i);	/* best first; NULL past the end */
int fpu_layout_for(const struct fpu_backend *b, struct xstate_layout *l);

#endif
