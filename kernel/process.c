/*
 * process.c - the register frame of a user task, and what exec needs
 * from the process side: a clean frame, a new mm, a single thread, default
 * signal actions.  Also the first user process (start_init).
 *
 * Every task reserves a struct pt_regs at the very top of its kernel
 * stack (kernel threads too, see copy_thread): the CPU (TSS.rsp0) and the
 * SYSCALL entry (percpu.top_of_stack) both build a ring-3 entry frame
 * there, so task_pt_regs() finds a user task's registers without a
 * pointer.
 */
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/file.h"
#include "kernel/syscall.h"
#include "kernel/layout.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/asm-offsets.h"
#include "kernel/vsnprintf.h"
#include "kernel/cmdline.h"
#include "kernel/timer.h"
#include "fpu/fpu.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "mm/kstack.h"
#include "sched/sched.h"

_Static_assert(sizeof(struct pt_regs) == PTREGS_SIZE, "asm-offsets: pt_regs");

struct pt_regs *task_pt_regs(struct task_struct *p)
{
	return (struct pt_regs *)((u64)p->stack + THREAD_SIZE) - 1;
}

/* Ring 3 at @ip with stack @sp; every general register 0 (the ELF ABI
 * leaves them unspecified - zero leaks nothing of the old image), IF on,
 * FS/GS bases 0. */
void start_thread(struct pt_regs *regs, u64 ip, u64 sp)
{
	memset(regs, 0, sizeof(*regs));
	regs->ip = ip;
	regs->sp = sp;
	regs->cs = __USER_CS;
	regs->ss = __USER_DS;
	regs->flags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	regs->vector = SYSCALL_VECTOR_MARK;
	current->thread.fsbase = 0;
	current->thread.gsbase = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);		/* the user's GS while in the kernel */
	fpu_flush_thread();
}

/*
 * exec's point of no return: @mm replaces the caller's address space.
 * Like use_mm() for a kernel thread becoming a user task (start_init),
 * or a plain replacement for a process: the old mm loses this user.
 */
void exec_mmap(struct mm_struct *mm)
{
	struct task_struct *tsk = current;
	struct mm_struct *old_mm = tsk->mm, *old_active;

	preempt_disable();
	local_irq_disable();
	old_active = tsk->active_mm;
	tsk->mm = mm;
	tsk->active_mm = mm;
	switch_mm(old_active, mm);
	local_irq_enable();
	preempt_enable();
	if (old_mm)
		mmput(old_mm);
	else
		mmdrop(old_active);	/* a kernel thread's lazy reference */
	tsk->flags &= ~PF_KTHREAD;
}

/* The last thread left, not the leader: become it (see de_thread). */
static void take_over_leader(struct task_struct *tsk)
{
	struct task_struct *leader = tsk->group_leader, *c;
	unsigned long flags;
	int pid;

	spin_lock_irqsave(&tasklist_lock, flags);
	pid = tsk->pid;
	tsk->pid = leader->pid;			/* == tgid */
	leader->pid = pid;
	tsk->group_leader = tsk;
	leader->group_leader = tsk;
	tsk->real_parent = leader->real_parent;
	tsk->exit_signal = leader->exit_signal;
	list_add(&tsk->sibling, &leader->sibling);
	list_del_init(&leader->sibling);
	list_for_each_entry(c, &leader->children, sibling)
		c->real_parent = tsk;
	list_splice_init(&leader->children, &tsk->children);
	release_exec_leader(leader);		/* kernel/exit.c: to the reaper */
	spin_unlock_irqrestore(&tasklist_lock, flags);
}

/*
 * exec in a process with several threads: the others must go (the new
 * image starts single-threaded).  Each gets SIGKILL and, because
 * group_exec_task names us, exits alone instead of taking the whole
 * process down (kernel/signal.c, get_signal).  If the exec'ing thread is
 * not the group leader, it then takes the leader's place, as in Linux:
 * its pid becomes the process's pid, it inherits the parent link and the
 * children, and the old leader (now a zombie with no process behind it)
 * is reaped.
 */
int de_thread(struct task_struct *tsk)
{
	struct signal_struct *sig = tsk->signal;
	struct task_struct *t;
	unsigned long flags;

	spin_lock_irqsave(&tasklist_lock, flags);
	if (sig->nr_threads == 1) {
		spin_unlock_irqrestore(&tasklist_lock, flags);
		return 0;
	}
	if (sig->group_exiting || sig->group_exec_task) {
		spin_unlock_irqrestore(&tasklist_lock, flags);
		return sig->group_exiting ? -EINTR : -EAGAIN;
	}
	sig->group_exec_task = tsk;
	list_for_each_entry(t, &sig->thread_head, thread_node) {
		if (t == tsk)
			continue;
		t->pending.signal.sig |= sigmask(SIGKILL);
		signal_wake_up(t);
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	while (READ_ONCE(sig->nr_threads) > 1) {
		if (fatal_signal_pending(tsk)) {
			WRITE_ONCE(sig->group_exec_task, NULL);
			return -EINTR;
		}
		msleep(1);
	}
	if (tsk != tsk->group_leader)
		take_over_leader(tsk);
	WRITE_ONCE(sig->group_exec_task, NULL);
	return 0;
}

void flush_signal_handlers(struct task_struct *tsk)
{
	unsigned long flags;

	spin_lock_irqsave(&tasklist_lock, flags);
	for (int i = 0; i < _NSIG; i++) {
		struct k_sigaction *ka = &tsk->sighand->action[i];

		if (ka->handler != SIG_IGN)
			ka->handler = SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask.sig = 0;
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
}

/* ------------------------------------------------------------ init */

static const char *init_path;
static const char *const *init_argv;

static const char *const init_envp[] = {
	"HOME=/", "TERM=linux", "PATH=/bin", NULL /* SWITCHYARD_CMDLINE */, NULL,
};


static char cmdline_env[600];

/* The kernel thread that becomes pid 1: a process of its own (signal,
 * sighand, files), then exec, then ring 3. */
static int init_thread(void *unused)
{
	struct task_struct *tsk = current;
	const char *envp[ARRAY_SIZE(init_envp)];
	int err;

	memcpy(envp, init_envp, sizeof(envp));
	snprintf(cmdline_env, sizeof(cmdline_env), "SWITCHYARD_CMDLINE=%s", cmdline_raw());
	envp[3] = cmdline_env;
	tsk->files = files_alloc_console();
	if (!tsk->files || !tsk->signal || !tsk->sighand)
		panic("init: no memory for the first process");
	err = kernel_execve(init_path, init_argv, envp);
	if (err)
		panic("init: cannot run %s (error %d)", init_path, err);
	local_irq_disable();
	exit_to_user_mode(task_pt_regs(tsk));
	ret_to_user(task_pt_regs(tsk));
}

int start_init(const char *path, const char *const argv[])
{
	struct task_struct *p;

	init_path = path;
	init_argv = argv;
	p = kthread_create(init_thread, NULL, "init");
	if (!p)
		return -ENOMEM;
	if (make_process(p, 1))
		return -ENOMEM;
	wake_up_new_task(p);
	return 0;
}
