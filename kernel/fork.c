/*
 * fork.c - new processes and threads: fork(), clone(), and the process
 * half of a task's creation.
 *
 * copy_process() builds the child from the caller, one resource at a time,
 * each either copied or shared by a clone flag (Linux's flags and rules):
 *
 *   resource        shared with            copied otherwise
 *   address space   CLONE_VM (threads)     dup_mm: copy-on-write
 *   fd table        CLONE_FILES            dup_files
 *   signal actions  CLONE_SIGHAND          a copy of the caller's
 *   thread group    CLONE_THREAD           a new process (new tgid)
 *
 * The child gets a copy of the caller's user register frame with RAX = 0
 * (fork returns 0 in the child) and, if given, the new stack; it starts in
 * ret_from_fork (sched/switch.S), which calls ret_from_fork_user() here and
 * leaves for ring 3 by IRETQ.
 *
 * Invariant: a task is linked into its parent's children and its group's
 * thread list, under tasklist_lock, before it can run; if anything fails
 * before that, everything allocated is freed and nothing is visible.
 */
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/file.h"
#include "kernel/syscall.h"
#include "kernel/errno.h"
#include "kernel/err.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "fpu/fpu.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "sched/sched.h"

#define CSIGNAL			0x000000ff
#define CLONE_VM		0x00000100
#define CLONE_FS		0x00000200
#define CLONE_FILES		0x00000400
#define CLONE_SIGHAND		0x00000800
#define CLONE_VFORK		0x00004000
#define CLONE_THREAD		0x00010000
#define CLONE_SYSVSEM		0x00040000
#define CLONE_SETTLS		0x00080000
#define CLONE_PARENT_SETTID	0x00100000
#define CLONE_CHILD_CLEARTID	0x00200000
#define CLONE_DETACHED		0x00400000
#define CLONE_CHILD_SETTID	0x01000000

#define CLONE_SUPPORTED (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
			 CLONE_VFORK | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | \
			 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | \
			 CLONE_CHILD_SETTID)

struct mm_struct *dup_mm(struct mm_struct *old);	/* mm/fork.c */
int copy_to_mm(struct mm_struct *mm, u64 addr, const void *src, size_t len);

/* A forked task's first C code: the frame is ready, go to ring 3. */
static void __noreturn ret_from_fork_user(struct task_struct *self)
{
	struct pt_regs *regs = task_pt_regs(self);

	local_irq_disable();
	exit_to_user_mode(regs);
	ret_to_user(regs);
}

/*
 * Give task @p the process structures of a new thread group of its own,
 * with tgid = pid (@pid overrides the allocated pid: init is 1).
 */
int make_process(struct task_struct *p, int pid)
{
	p->signal = alloc_signal_struct();
	p->sighand = alloc_sighand(NULL);
	if (!p->signal || !p->sighand) {
		if (p->signal)
			put_signal_struct(p->signal);
		if (p->sighand)
			put_sighand(p->sighand);
		p->signal = NULL;
		p->sighand = NULL;
		return -ENOMEM;
	}
	if (pid)
		p->pid = pid;
	p->tgid = p->pid;
	p->group_leader = p;
	p->exit_signal = SIGCHLD;
	INIT_LIST_HEAD(&p->children);
	INIT_LIST_HEAD(&p->sibling);
	p->signal->nr_threads = 1;
	list_add_tail(&p->thread_node, &p->signal->thread_head);
	return 0;
}

static int check_clone_flags(u64 flags)
{
	if (flags & ~(u64)CLONE_SUPPORTED)
		return -EINVAL;
	/* Linux's rules: a thread shares signal actions, which need a
	 * shared address space (the handlers' addresses mean nothing in
	 * another one) */
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	return 0;
}

/* Undo a half-built child (never linked, never ran). */
static void abort_child(struct task_struct *p)
{
	if (p->mm)
		mmput(p->mm);
	p->mm = NULL;
	p->active_mm = NULL;
	if (p->files)
		put_files(p->files);
	p->files = NULL;
	free_user_task(p);
}

static struct task_struct *copy_process(u64 flags, u64 newsp, int __user *parent_tid,
					 int __user *child_tid, u64 tls,
					 const struct pt_regs *regs)
{
	struct task_struct *me = current, *p;
	unsigned long irqflags;
	int err = check_clone_flags(flags);

	if (err)
		return ERR_PTR(err);
	if (!me->mm || !me->signal)
		return ERR_PTR(-EINVAL);	/* kernel threads use kthread_create */
	p = alloc_task(me->comm);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->nice = me->nice;
	init_entity(&p->se, me->nice);
	p->cpus_allowed = me->cpus_allowed;
	p->blocked = me->blocked;
	INIT_LIST_HEAD(&p->children);
	INIT_LIST_HEAD(&p->sibling);
	INIT_LIST_HEAD(&p->thread_node);
	INIT_LIST_HEAD(&p->dead_node);

	err = -ENOMEM;
	if (fpu_clone(p))
		goto fail;
	p->thread.fsbase = (flags & CLONE_SETTLS) ? tls : me->thread.fsbase;
	p->thread.gsbase = me->thread.gsbase;

	if (flags & CLONE_VM) {
		mmget(me->mm);
		p->mm = me->mm;
	} else {
		p->mm = dup_mm(me->mm);
		if (!p->mm)
			goto fail;
	}
	p->active_mm = p->mm;

	if (flags & CLONE_FILES) {
		get_files(me->files);
		p->files = me->files;
	} else {
		p->files = dup_files(me->files);
		if (!p->files)
			goto fail;
	}

	if (flags & CLONE_SIGHAND) {
		atomic_inc(&me->sighand->count);
		p->sighand = me->sighand;
	} else {
		p->sighand = alloc_sighand(me->sighand);
		if (!p->sighand)
			goto fail;
	}

	if (flags & CLONE_THREAD) {
		atomic_inc(&me->signal->count);
		p->signal = me->signal;
		p->tgid = me->tgid;
		p->group_leader = me->group_leader;
		p->exit_signal = -1;
	} else {
		p->signal = alloc_signal_struct();
		if (!p->signal)
			goto fail;
		p->tgid = p->pid;
		p->group_leader = p;
		p->exit_signal = flags & CSIGNAL;
	}
	if (flags & CLONE_CHILD_SETTID)
		p->set_child_tid = child_tid;
	if (flags & CLONE_CHILD_CLEARTID)
		p->clear_child_tid = child_tid;

	/* the child's registers: ours, returning 0, maybe on a new stack */
	*task_pt_regs(p) = *regs;
	task_pt_regs(p)->ax = 0;
	if (newsp)
		task_pt_regs(p)->sp = newsp;
	copy_thread(p, ret_from_fork_user);

	/* CLONE_*SETTID: before the child can run, so both sides see it */
	if ((flags & CLONE_PARENT_SETTID) &&
	    copy_to_user(parent_tid, &p->pid, sizeof(int))) {
		err = -EFAULT;
		goto fail;
	}
	if (flags & CLONE_CHILD_SETTID) {
		err = (flags & CLONE_VM) ?
		      (copy_to_user(child_tid, &p->pid, sizeof(int)) ? -EFAULT : 0) :
		      copy_to_mm(p->mm, (u64)child_tid, &p->pid, sizeof(int));
		if (err)
			goto fail;
	}

	spin_lock_irqsave(&tasklist_lock, irqflags);
	if (me->signal->group_exiting) {	/* an exit_group raced with us */
		spin_unlock_irqrestore(&tasklist_lock, irqflags);
		err = -EINTR;
		goto fail;
	}
	if (flags & CLONE_THREAD) {
		p->real_parent = me->real_parent;
	} else {
		p->real_parent = me->group_leader;
		list_add_tail(&p->sibling, &me->group_leader->children);
	}
	p->signal->nr_threads++;
	list_add_tail(&p->thread_node, &p->signal->thread_head);
	spin_unlock_irqrestore(&tasklist_lock, irqflags);
	return p;
fail:
	abort_child(p);
	return ERR_PTR(err);
}

static long do_fork(u64 flags, u64 newsp, int __user *parent_tid, int __user *child_tid,
		    u64 tls, const struct pt_regs *regs)
{
	struct completion vfork;
	struct task_struct *p;
	int pid;

	p = copy_process(flags, newsp, parent_tid, child_tid, tls, regs);
	if (IS_ERR(p))
		return PTR_ERR(p);
	pid = p->pid;
	if (flags & CLONE_VFORK) {
		init_completion(&vfork);
		p->vfork_done = &vfork;
	}
	wake_up_new_task(p);
	/* vfork: the parent sleeps until the child execs or exits, since
	 * the child runs on the parent's memory, stack included */
	if (flags & CLONE_VFORK)
		wait_for_completion(&vfork);
	return pid;
}

long __x64_sys_fork(const struct pt_regs *regs);
long __x64_sys_fork(const struct pt_regs *regs)
{
	return do_fork(SIGCHLD, 0, NULL, NULL, 0, regs);
}

/* x86-64 argument order: flags, newsp, parent_tid, child_tid, tls */
long __x64_sys_clone(const struct pt_regs *regs);
long __x64_sys_clone(const struct pt_regs *regs)
{
	return do_fork(regs->di, regs->si, (int __user *)regs->dx,
		       (int __user *)regs->r10, regs->r8, regs);
}
