/*
 * catch.c - arming and firing catch_exception() (see catch.h).
 */
#include "kernel/catch.h"
#include "kernel/traps.h"
#include "kernel/printk.h"

struct catch_ctx {
	u64 sp, ip, bp;			/* offsets used by catch_asm.S */
	struct catch_info *info;
	bool armed;
};

static struct catch_ctx catch_ctx;	/* one CPU runs tests for now */

int __catch_call(void (*fn)(void *), void *arg, void *stack_top, struct catch_ctx *ctx);

int catch_exception(void (*fn)(void *), void *arg, void *stack_top,
		    struct catch_info *info)
{
	int ret;

	if (catch_ctx.armed) {
		pr_err("catch_exception: already armed (nesting is not supported)\n");
		return -2;
	}
	catch_ctx.info = info;
	catch_ctx.armed = true;
	ret = __catch_call(fn, arg, stack_top, &catch_ctx);
	catch_ctx.armed = false;
	return ret;
}

bool catch_exception_fixup(struct pt_regs *regs, u64 cr2)
{
	if (!catch_ctx.armed || user_mode(regs))
		return false;
	catch_ctx.armed = false;	/* a fault in the report itself is fatal */
	report_exception(regs, cr2);
	if (catch_ctx.info) {
		catch_ctx.info->vector = regs->vector;
		catch_ctx.info->error_code = regs->error_code;
		catch_ctx.info->ip = regs->ip;
		catch_ctx.info->sp = regs->sp;
		catch_ctx.info->cr2 = cr2;
	}
	regs->ip = catch_ctx.ip;
	regs->sp = catch_ctx.sp;
	regs->bp = catch_ctx.bp;
	regs->ax = regs->vector;
	return true;
}
