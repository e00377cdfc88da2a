/*
 * signal.c - sending, blocking and delivering signals; the signal frame
 * and rt_sigreturn; sigaction, sigprocmask, sigaltstack, kill.
 *
 * SENDING puts the signal in a pending set (the thread's, or the
 * process's shared one) and wakes a thread that can take it.  DELIVERY
 * happens only on the way out to ring 3 (exit_to_user_mode, TIF_SIGPENDING):
 * the lowest-numbered unblocked pending signal is taken; its action is to
 * ignore it, to end the process (the default for most), or to run a
 * handler.
 *
 * RUNNING A HANDLER means building a frame on the user stack (or the
 * alternate stack) holding everything needed to resume the interrupted
 * code - registers, signal mask, FPU state - in Linux's x86-64 layout
 * (struct rt_sigframe: return address, ucontext, siginfo, then the FPU
 * image), and pointing the saved registers at the handler.  The handler
 * returns into the SA_RESTORER trampoline, which calls rt_sigreturn, which
 * reads the frame back.
 *
 * THE FRAME IS USER MEMORY, so rt_sigreturn trusts nothing in it: CS and
 * SS are forced to the user selectors, only the arithmetic/direction/trap
 * flags are taken from the saved RFLAGS (never IOPL or IF), RIP must be a
 * canonical user address (an IRETQ to a non-canonical RIP would fault in
 * the kernel), reserved MXCSR bits are refused (FXRSTOR would #GP in the
 * kernel), SIGKILL/SIGSTOP cannot be blocked.  A frame that fails any of
 * this, or cannot be read, kills the process with SIGSEGV - never the
 * kernel.
 *
 * Locking: tasklist_lock (see signal.h).
 */
#include "kernel/signal.h"
#include "kernel/process.h"
#include "kernel/syscall.h"
#include "kernel/errno.h"
#include "kernel/layout.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/traps.h"
#include "fpu/fpu.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "sched/sched.h"

DEFINE_SPINLOCK(tasklist_lock);
static atomic_t live_signal_structs;

#define SIG_KERNEL_ONLY_MASK	(sigmask(SIGKILL) | sigmask(SIGSTOP))
/* default action "ignore": SIGCHLD, SIGCONT, SIGURG, SIGWINCH; and the
 * stop signals, since Switchyard has no job control (docs/syscalls.md) */
#define SIG_KERNEL_IGNORE_MASK	(sigmask(SIGCHLD) | sigmask(SIGCONT) | \
				 sigmask(SIGURG) | sigmask(SIGWINCH) | \
				 sigmask(SIGSTOP) | sigmask(SIGTSTP) | \
				 sigmask(SIGTTIN) | sigmask(SIGTTOU))
#define SYNCHRONOUS_MASK	(sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) | \
				 sigmask(SIGTRAP) | sigmask(SIGFPE) | sigmask(SIGSYS))

static const char *const signal_names[32] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
	[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

static bool valid_signal(long sig)
{
	return sig >= 1 && sig <= _NSIG;
}

/* ------------------------------------------------------------ lifetime */

struct signal_struct *alloc_signal_struct(void)
{
	struct signal_struct *sig = kzalloc(sizeof(*sig), GFP_KERNEL);

	if (!sig)
		return NULL;
	atomic_set(&sig->count, 1);
	INIT_LIST_HEAD(&sig->thread_head);
	init_waitqueue_head(&sig->wait_chldexit);
	atomic_inc(&live_signal_structs);
	return sig;
}

void put_signal_struct(struct signal_struct *sig)
{
	if (atomic_dec_and_test(&sig->count)) {
		kfree(sig);
		atomic_fetch_add(-1, &live_signal_structs);
	}
}

u64 nr_signal_structs(void)
{
	return atomic_read(&live_signal_structs);
}

struct sighand_struct *alloc_sighand(const struct sighand_struct *copy)
{
	struct sighand_struct *sh = kzalloc(sizeof(*sh), GFP_KERNEL);

	if (!sh)
		return NULL;
	if (copy)
		memcpy(sh->action, copy->action, sizeof(sh->action));
	atomic_set(&sh->count, 1);
	return sh;
}

void put_sighand(struct sighand_struct *sh)
{
	if (atomic_dec_and_test(&sh->count))
		kfree(sh);
}

/* ------------------------------------------------------------ pending */

static u64 deliverable(struct task_struct *t)
{
	u64 pend = t->pending.signal.sig;

	if (t->signal)
		pend |= t->signal->shared_pending.signal.sig;
	return pend & ~t->blocked.sig;
}

void recalc_sigpending(struct task_struct *t)
{
	if (deliverable(t))
		__atomic_fetch_or(&t->thread_flags, BIT(TIF_SIGPENDING), __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&t->thread_flags, ~BIT(TIF_SIGPENDING), __ATOMIC_SEQ_CST);
}

bool signal_pending(struct task_struct *t)
{
	return (READ_ONCE(t->thread_flags) >> TIF_SIGPENDING) & 1;
}

bool fatal_signal_pending(struct task_struct *t)
{
	return signal_pending(t) && (t->pending.signal.sig & sigmask(SIGKILL));
}

/* Make @t notice: the flag, a wake-up if it sleeps interruptibly, and a
 * reschedule IPI if it runs elsewhere, whose return path is
 * exit_to_user_mode() if it was in ring 3. */
void signal_wake_up(struct task_struct *t)
{
	int cpu;

	__atomic_fetch_or(&t->thread_flags, BIT(TIF_SIGPENDING), __ATOMIC_SEQ_CST);
	if (wake_up_state(t, TASK_INTERRUPTIBLE))
		return;
	cpu = READ_ONCE(t->cpu);
	if (READ_ONCE(t->on_cpu) && cpu != smp_processor_id())
		smp_send_reschedule(cpu);
}

/* tasklist_lock held.  A thread of the group that does not block @sig,
 * the main thread first; NULL if all block it (it stays pending). */
static struct task_struct *pick_group_thread(struct signal_struct *sig, int signo)
{
	struct task_struct *t;

	list_for_each_entry(t, &sig->thread_head, thread_node)
		if (!(t->blocked.sig & sigmask(signo)))
			return t;
	return NULL;
}

static bool sig_ignored(struct task_struct *t, int sig)
{
	u64 h;

	if (t->blocked.sig & sigmask(sig))
		return false;		/* it may be unblocked with a handler later */
	h = t->sighand->action[sig - 1].handler;
	return h == SIG_IGN || (h == SIG_DFL && (SIG_KERNEL_IGNORE_MASK & sigmask(sig)));
}

/*
 * Queue @sig for @p (its whole process if @group), tasklist_lock held.
 * A standard signal already pending is merged; an ignored one is dropped
 * at once (SIGKILL never is).
 */
int __send_sig_info(int sig, struct kernel_siginfo *info, struct task_struct *p, bool group)
{
	struct sigpending *pending;
	struct task_struct *t = p;

	if (!valid_signal(sig))
		return -EINVAL;
	if (!p->signal || !p->sighand || p->exit_state == EXIT_DEAD)
		return 0;		/* exiting: signals no longer matter */
	if (!group && p->exit_state)
		return 0;
	if (sig != SIGKILL && sig_ignored(p, sig))
		return 0;
	pending = group ? &p->signal->shared_pending : &p->pending;
	if (!(pending->signal.sig & sigmask(sig))) {
		pending->signal.sig |= sigmask(sig);
		if (info)
			pending->info[sig - 1] = *info;
		else
			memset(&pending->info[sig - 1], 0, sizeof(*info));
		pending->info[sig - 1].si_signo = sig;
	}
	if (group) {
		t = pick_group_thread(p->signal, sig);
		if (sig == SIGKILL) {		/* everyone dies */
			struct task_struct *x;

			p->signal->group_exiting = true;
			p->signal->group_exit_code = SIGKILL;
			list_for_each_entry(x, &p->signal->thread_head, thread_node) {
				x->pending.signal.sig |= sigmask(SIGKILL);
				signal_wake_up(x);
			}
		}
	}
	if (t && !t->exit_state && !(t->blocked.sig & sigmask(sig)))
		signal_wake_up(t);
	return 0;
}

int send_sig_info(int sig, struct kernel_siginfo *info, struct task_struct *p, bool group)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&tasklist_lock, flags);
	ret = __send_sig_info(sig, info, p, group);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return ret;
}

/* Must be delivered: a blocked or ignored synchronous signal would send
 * the thread straight back to the faulting instruction forever, so (as in
 * Linux's force_sig_info) it is unblocked and reset to the default. */
static void force_sig_info(int sig, struct kernel_siginfo *info)
{
	struct task_struct *t = current;
	struct k_sigaction *ka = &t->sighand->action[sig - 1];
	unsigned long flags;

	spin_lock_irqsave(&tasklist_lock, flags);
	if (ka->handler == SIG_IGN || (t->blocked.sig & sigmask(sig))) {
		ka->handler = SIG_DFL;
		t->blocked.sig &= ~sigmask(sig);
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	send_sig_info(sig, info, t, false);
}

void force_sig_fault(int sig, int code, u64 addr)
{
	struct kernel_siginfo info;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.fault.addr = addr;
	force_sig_info(sig, &info);
}

/*
 * A handler's frame could not be built (no SA_RESTORER, or an unusable
 * stack): the process dies of SIGSEGV whatever SIGSEGV's action is -
 * if the SIGSEGV handler itself were tried, its frame would fail the same
 * way, forever (Linux's force_sigsegv, found by the syscall fuzzer).
 */
static void force_sigsegv(void)
{
	unsigned long flags;

	spin_lock_irqsave(&tasklist_lock, flags);
	current->sighand->action[SIGSEGV - 1].handler = SIG_DFL;
	current->blocked.sig &= ~sigmask(SIGSEGV);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	force_sig(SIGSEGV);
}

void force_sig(int sig)
{
	struct kernel_siginfo info;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_KERNEL;
	force_sig_info(sig, &info);
}

/* ------------------------------------------------------------ kill */

struct task_struct *find_task_by_pid(int pid);

static void user_info(struct kernel_siginfo *info, int sig, int code)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = code;
	info->kill.pid = current->tgid;
	info->kill.uid = 0;
}

int kill_pid_info(int sig, struct kernel_siginfo *info, int pid)
{
	struct task_struct *p;
	unsigned long flags;

	int ret = 0;

	spin_lock_irqsave(&tasklist_lock, flags);
	p = find_task_by_pid(pid);
	if (p)
		p = p->group_leader;
	if (!p || !p->signal || p->exit_state == EXIT_DEAD ||
	    (p->exit_state == EXIT_ZOMBIE && p->signal->nr_threads == 0))
		ret = -ESRCH;
	else if (sig)			/* 0: only "does it exist?" */
		ret = __send_sig_info(sig, info, p, true);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return ret;
}

int for_each_task(int (*fn)(struct task_struct *p, void *arg), void *arg);

struct kill_all {
	int sig;
	struct kernel_siginfo *info;
	int count;
};

/* tasklist_lock held (then tasks_lock, inside for_each_task) */
static int kill_one(struct task_struct *p, void *arg)
{
	struct kill_all *ka = arg;

	if (p != p->group_leader || !p->signal || p->exit_state ||
	    p->tgid == 1 || p->tgid == current->tgid)
		return 0;
	ka->count++;
	if (ka->sig)
		__send_sig_info(ka->sig, ka->info, p, true);
	return 0;
}

SYSCALL_DEFINE2(kill, int, pid, int, sig)
{
	struct kernel_siginfo info;

	if (sig < 0 || sig > _NSIG)
		return -EINVAL;
	user_info(&info, sig, SI_USER);
	if (pid > 0)
		return kill_pid_info(sig, &info, pid);
	if (pid == 0 || pid == -current->tgid)	/* our process group: us */
		return kill_pid_info(sig, &info, current->tgid);
	if (pid == -1) {	/* every process but init and our own */
		struct kill_all ka = { sig, &info, 0 };
		unsigned long flags;

		spin_lock_irqsave(&tasklist_lock, flags);
		for_each_task(kill_one, &ka);
		spin_unlock_irqrestore(&tasklist_lock, flags);
		return ka.count ? 0 : -ESRCH;
	}
	return -ESRCH;
}

static long do_tkill(int tgid, int tid, int sig)
{
	struct kernel_siginfo info;
	struct task_struct *p;
	unsigned long flags;

	if (tid <= 0 || sig < 0 || sig > _NSIG)
		return -EINVAL;
	int ret = 0;

	user_info(&info, sig, SI_TKILL);
	spin_lock_irqsave(&tasklist_lock, flags);
	p = find_task_by_pid(tid);
	if (!p || !p->signal || p->exit_state || (tgid > 0 && p->tgid != tgid))
		ret = -ESRCH;
	else if (sig)
		ret = __send_sig_info(sig, &info, p, false);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return ret;
}

SYSCALL_DEFINE2(tkill, int, tid, int, sig)
{
	return do_tkill(0, tid, sig);
}

SYSCALL_DEFINE3(tgkill, int, tgid, int, tid, int, sig)
{
	if (tgid <= 0)
		return -EINVAL;
	return do_tkill(tgid, tid, sig);
}

/* ------------------------------------------------------------ actions */

SYSCALL_DEFINE4(rt_sigaction, int, sig, const struct k_sigaction __user *, act,
		struct k_sigaction __user *, oact, size_t, sigsetsize)
{
	struct k_sigaction new, old;
	unsigned long flags;

	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (!valid_signal(sig) || (act && (sigmask(sig) & SIG_KERNEL_ONLY_MASK)))
		return -EINVAL;
	if (act && copy_from_user(&new, act, sizeof(new)))
		return -EFAULT;
	spin_lock_irqsave(&tasklist_lock, flags);
	old = current->sighand->action[sig - 1];
	if (act) {
		new.mask.sig &= ~SIG_KERNEL_ONLY_MASK;
		current->sighand->action[sig - 1] = new;
		/* POSIX: setting SIG_IGN (or a default that ignores) discards
		 * a pending instance */
		if (new.handler == SIG_IGN ||
		    (new.handler == SIG_DFL && (SIG_KERNEL_IGNORE_MASK & sigmask(sig)))) {
			struct task_struct *t;

			current->signal->shared_pending.signal.sig &= ~sigmask(sig);
			list_for_each_entry(t, &current->signal->thread_head, thread_node) {
				t->pending.signal.sig &= ~sigmask(sig);
				recalc_sigpending(t);
			}
		}
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	if (oact && copy_to_user(oact, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static void set_current_blocked(u64 mask)
{
	unsigned long flags;

	spin_lock_irqsave(&tasklist_lock, flags);
	current->blocked.sig = mask & ~SIG_KERNEL_ONLY_MASK;
	recalc_sigpending(current);
	spin_unlock_irqrestore(&tasklist_lock, flags);
}

SYSCALL_DEFINE4(rt_sigprocmask, int, how, const sigset_t __user *, nset,
		sigset_t __user *, oset, size_t, sigsetsize)
{
	sigset_t old = current->blocked, new;

	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (nset) {
		if (copy_from_user(&new, nset, sizeof(new)))
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			new.sig = old.sig | new.sig;
			break;
		case SIG_UNBLOCK:
			new.sig = old.sig & ~new.sig;
			break;
		case SIG_SETMASK:
			break;
		default:
			return -EINVAL;
		}
		set_current_blocked(new.sig);
	}
	if (oset && copy_to_user(oset, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------ altstack */

struct stack_t_64 {		/* stack_t */
	u64 ss_sp;
	int ss_flags;
	int __pad;
	u64 ss_size;
};

static bool on_sig_stack(u64 sp)
{
	struct task_struct *t = current;

	return t->sas_ss_size && sp > t->sas_ss_sp && sp - t->sas_ss_sp <= t->sas_ss_size;
}

static int sas_flags(u64 sp)
{
	if (!current->sas_ss_size)
		return SS_DISABLE;
	return on_sig_stack(sp) ? SS_ONSTACK : 0;
}

static long do_sigaltstack(const struct stack_t_64 *ss, struct stack_t_64 *oss, u64 sp)
{
	struct task_struct *t = current;

	if (oss) {
		memset(oss, 0, sizeof(*oss));
		oss->ss_sp = t->sas_ss_sp;
		oss->ss_size = t->sas_ss_size;
		oss->ss_flags = sas_flags(sp) | (t->sas_ss_flags & SS_AUTODISARM);
	}
	if (ss) {
		unsigned mode = ss->ss_flags & ~SS_AUTODISARM;

		if (on_sig_stack(sp))
			return -EPERM;	/* cannot change the stack we are on */
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			t->sas_ss_sp = 0;
			t->sas_ss_size = 0;
			t->sas_ss_flags = SS_DISABLE;
		} else {
			if (ss->ss_size < MINSIGSTKSZ)
				return -ENOMEM;
			t->sas_ss_sp = ss->ss_sp;
			t->sas_ss_size = ss->ss_size;
			t->sas_ss_flags = ss->ss_flags;
		}
	}
	return 0;
}

long __x64_sys_sigaltstack(const struct pt_regs *regs);
long __x64_sys_sigaltstack(const struct pt_regs *regs)
{
	const struct stack_t_64 __user *uss = (void *)regs->di;
	struct stack_t_64 __user *uoss = (void *)regs->si;
	struct stack_t_64 ss, oss;
	long err;

	if (uss && copy_from_user(&ss, uss, sizeof(ss)))
		return -EFAULT;
	err = do_sigaltstack(uss ? &ss : NULL, &oss, regs->sp);
	if (!err && uoss && copy_to_user(uoss, &oss, sizeof(oss)))
		return -EFAULT;
	return err;
}

/* ------------------------------------------------------------ the frame */

/* struct sigcontext (x86-64), as in Linux's uapi/asm/sigcontext.h */
struct sigcontext_64 {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 di, si, bp, bx, dx, ax, cx, sp, ip, flags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2;
	u64 fpstate;			/* user address of the FPU image */
	u64 reserved1[8];
};

struct ucontext_64 {
	u64 uc_flags;
	u64 uc_link;
	struct stack_t_64 uc_stack;
	struct sigcontext_64 uc_mcontext;
	sigset_t uc_sigmask;
};

struct rt_sigframe {
	u64 pretcode;			/* the handler's return address */
	struct ucontext_64 uc;
	struct kernel_siginfo info;
	/* the FPU image lies above (at higher addresses), 64-byte aligned,
	 * pointed to by uc.uc_mcontext.fpstate */
};

_Static_assert(sizeof(struct sigcontext_64) == 256, "sigcontext layout");
_Static_assert(offsetof(struct rt_sigframe, uc.uc_mcontext) == 48, "rt_sigframe layout");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "rt_sigframe layout");

#define UC_FP_XSTATE		0x1	/* the FPU image has XSAVE data */
#define UC_SIGCONTEXT_SS	0x2
#define UC_STRICT_RESTORE_SS	0x4

/* the flags a signal frame may change (Linux's FIX_EFLAGS) */
#define FIX_EFLAGS (X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF | X86_EFLAGS_TF | \
		    X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF | \
		    X86_EFLAGS_CF | X86_EFLAGS_RF)

struct ksignal {
	int sig;
	struct k_sigaction ka;
	struct kernel_siginfo info;
};

static void fill_sigcontext(struct sigcontext_64 *sc, const struct pt_regs *regs,
			    u64 mask, u64 fpstate)
{
	memset(sc, 0, sizeof(*sc));
	sc->r8 = regs->r8; sc->r9 = regs->r9; sc->r10 = regs->r10; sc->r11 = regs->r11;
	sc->r12 = regs->r12; sc->r13 = regs->r13; sc->r14 = regs->r14; sc->r15 = regs->r15;
	sc->di = regs->di; sc->si = regs->si; sc->bp = regs->bp; sc->bx = regs->bx;
	sc->dx = regs->dx; sc->ax = regs->ax; sc->cx = regs->cx; sc->sp = regs->sp;
	sc->ip = regs->ip; sc->flags = regs->flags;
	sc->cs = regs->cs; sc->ss = regs->ss;
	sc->trapno = regs->vector < 32 ? regs->vector : 0;
	sc->err = regs->vector < 32 ? regs->error_code : 0;
	sc->oldmask = mask;
	sc->fpstate = fpstate;
}

/*
 * Stack layout, from high to low addresses:
 *	interrupted code's stack, then its 128-byte red zone (SysV ABI)
 *	the FPU image (fpu_sigframe_size() bytes, 64-byte aligned;
 *	its format is in fpu/signal.c)
 *	struct rt_sigframe, placed so that at the handler's first
 *	instruction RSP + 8 is 16-byte aligned, as after a CALL
 */
static int setup_rt_frame(struct ksignal *ks, struct pt_regs *regs)
{
	struct rt_sigframe frame;
	u64 sp = regs->sp, fp, fr;

	if (!(ks->ka.flags & SA_RESTORER))
		return -EFAULT;		/* x86-64 has no kernel trampoline */
	if ((ks->ka.flags & SA_ONSTACK) && current->sas_ss_size && !on_sig_stack(sp))
		sp = current->sas_ss_sp + current->sas_ss_size;
	else
		sp -= 128;		/* skip the red zone */
	fp = (sp - fpu_sigframe_size()) & ~63ULL;
	fr = ((fp - sizeof(frame)) & ~15ULL) - 8;

	memset(&frame, 0, sizeof(frame));
	frame.pretcode = ks->ka.restorer;
	frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	if (fpu_sigframe_size() > FXSTATE_SIZE)
		frame.uc.uc_flags |= UC_FP_XSTATE;
	frame.uc.uc_stack.ss_sp = current->sas_ss_sp;
	frame.uc.uc_stack.ss_size = current->sas_ss_size;
	frame.uc.uc_stack.ss_flags = sas_flags(regs->sp);
	fill_sigcontext(&frame.uc.uc_mcontext, regs, current->blocked.sig, fp);
	frame.uc.uc_sigmask = current->blocked;
	frame.info = ks->info;
	if (copy_to_user((void *)fr, &frame, sizeof(frame)) || fpu_sigframe_save(fp))
		return -EFAULT;

	/* the handler: handler(sig, &info, &uc) with RAX = 0 (no vector args) */
	regs->di = ks->sig;
	regs->si = fr + offsetof(struct rt_sigframe, info);
	regs->dx = fr + offsetof(struct rt_sigframe, uc);
	regs->ax = 0;
	regs->sp = fr;
	regs->ip = ks->ka.handler;
	regs->cs = __USER_CS;
	regs->ss = __USER_DS;
	regs->flags &= ~(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF | X86_EFLAGS_AC);
	if (current->sas_ss_flags & SS_AUTODISARM) {
		current->sas_ss_sp = 0;
		current->sas_ss_size = 0;
	}
	return 0;
}

long __x64_sys_rt_sigreturn(const struct pt_regs *cregs);
long __x64_sys_rt_sigreturn(const struct pt_regs *cregs)
{
	struct pt_regs *regs = (struct pt_regs *)cregs;	/* the real frame */
	struct rt_sigframe frame;
	struct sigcontext_64 *sc = &frame.uc.uc_mcontext;
	u64 fr = regs->sp - 8;		/* the handler's RET popped pretcode */

	if (copy_from_user(&frame, (void *)fr, sizeof(frame)))
		goto bad;
	if (sc->ip >= TASK_SIZE_MAX)	/* non-canonical or kernel: refuse */
		goto bad;
	if (sc->fpstate) {
		if (fpu_sigframe_restore(sc->fpstate))
			goto bad;
	} else {
		fpu_clear_user_states();	/* no image: init state, as Linux */
	}
	regs->r8 = sc->r8; regs->r9 = sc->r9; regs->r10 = sc->r10; regs->r11 = sc->r11;
	regs->r12 = sc->r12; regs->r13 = sc->r13; regs->r14 = sc->r14; regs->r15 = sc->r15;
	regs->di = sc->di; regs->si = sc->si; regs->bp = sc->bp; regs->bx = sc->bx;
	regs->dx = sc->dx; regs->ax = sc->ax; regs->cx = sc->cx; regs->sp = sc->sp;
	regs->ip = sc->ip;
	regs->flags = (regs->flags & ~FIX_EFLAGS) | (sc->flags & FIX_EFLAGS);
	regs->cs = __USER_CS;
	regs->ss = __USER_DS;
	set_current_blocked(frame.uc.uc_sigmask.sig);
	do_sigaltstack(&frame.uc.uc_stack, NULL, regs->sp);	/* errors ignored, as Linux */
	return regs->ax;		/* the syscall exit must not clobber RAX */
bad:
	printk(KERN_WARNING "%s[%d]: bad signal frame at %#lx in rt_sigreturn\n",
	       current->comm, current->pid, (unsigned long)fr);
	force_sig(SIGSEGV);
	return regs->ax;
}

/* ------------------------------------------------------------ delivery */

static int dequeue_signal(struct task_struct *t, struct kernel_siginfo *info)
{
	struct sigpending *lists[2] = { &t->pending, &t->signal->shared_pending };

	for (int i = 0; i < 2; i++) {
		u64 pend = lists[i]->signal.sig & ~t->blocked.sig;
		int sig;

		if (!pend)
			continue;
		/* synchronous faults first, then lowest number (Linux) */
		if (pend & SYNCHRONOUS_MASK)
			pend &= SYNCHRONOUS_MASK;
		sig = __builtin_ctzll(pend) + 1;
		lists[i]->signal.sig &= ~sigmask(sig);
		*info = lists[i]->info[sig - 1];
		return sig;
	}
	return 0;
}

static void report_fatal(int sig, const struct kernel_siginfo *info,
			 const struct pt_regs *regs)
{
	const char *name = sig < 32 && signal_names[sig] ? signal_names[sig] : "SIGRT";

	if (sigmask(sig) & SYNCHRONOUS_MASK)
		printk(KERN_WARNING "%s[%d]: killed by %s (signal %d) at rip %#lx, address %#lx\n",
		       current->comm, current->tgid, name, sig, (unsigned long)regs->ip,
		       (unsigned long)info->fault.addr);
	else
		printk(KERN_WARNING "%s[%d]: killed by %s (signal %d) at rip %#lx\n",
		       current->comm, current->tgid, name, sig, (unsigned long)regs->ip);
}

/* The next signal to act on: true with @ks filled in for a handler;
 * ignores are consumed here, fatal ones end the process here. */
static bool get_signal(struct ksignal *ks, struct pt_regs *regs)
{
	struct task_struct *t = current;
	unsigned long flags;

	for (;;) {
		struct k_sigaction *ka;
		int sig;

		spin_lock_irqsave(&tasklist_lock, flags);
		if (t->signal->group_exiting) {
			int code = t->signal->group_exit_code;

			spin_unlock_irqrestore(&tasklist_lock, flags);
			do_group_exit(code);
		}
		sig = dequeue_signal(t, &ks->info);
		recalc_sigpending(t);
		if (!sig) {
			spin_unlock_irqrestore(&tasklist_lock, flags);
			return false;
		}
		ka = &t->sighand->action[sig - 1];
		if (ka->handler == SIG_IGN ||
		    (ka->handler == SIG_DFL && (SIG_KERNEL_IGNORE_MASK & sigmask(sig)))) {
			spin_unlock_irqrestore(&tasklist_lock, flags);
			continue;
		}
		if (sig == SIGKILL && t->signal->group_exec_task &&
		    t->signal->group_exec_task != t) {
			/* another thread is exec'ing: only this one ends */
			spin_unlock_irqrestore(&tasklist_lock, flags);
			do_exit_task(0);
		}
		if (ka->handler == SIG_DFL || sig == SIGKILL) {
			spin_unlock_irqrestore(&tasklist_lock, flags);
			report_fatal(sig, &ks->info, regs);
			do_group_exit(sig);	/* wait status: killed by sig */
		}
		ks->sig = sig;
		ks->ka = *ka;
		if (ka->flags & SA_RESETHAND)
			ka->handler = SIG_DFL;
		spin_unlock_irqrestore(&tasklist_lock, flags);
		return true;
	}
}

void arch_do_signal_or_restart(struct pt_regs *regs)
{
	struct ksignal ks;
	u64 blocked;

	if (!get_signal(&ks, regs))
		return;
	if (setup_rt_frame(&ks, regs)) {
		printk(KERN_WARNING "%s[%d]: cannot build a frame for signal %d (sp %#lx)\n",
		       current->comm, current->pid, ks.sig, (unsigned long)regs->sp);
		force_sigsegv();
		return;
	}
	blocked = current->blocked.sig | ks.ka.mask.sig;
	if (!(ks.ka.flags & SA_NODEFER))
		blocked |= sigmask(ks.sig);
	set_current_blocked(blocked);
}
