/*
 * exit.c - the end of threads and processes: exit, exit_group, wait4,
 * zombies, reparenting, and the reaper.
 *
 * A thread ending (do_exit_task) gives back, in order: its tid word
 * (CLONE_CHILD_CLEARTID: zero it and wake one futex waiter - that is how
 * pthread_join learns), its address space (mmput; the task keeps running
 * on it lazily, like a kernel thread, until its last switch), its fd
 * table, and then tells its process (exit_notify).
 *
 * The process is dead when its last thread is.  Its group leader then
 * becomes a zombie: the struct stays, holding the exit status, until the
 * parent collects it with wait4() - or, if the parent ignores SIGCHLD, it
 * is reaped at once.  Other threads never become zombies: they are
 * reaped as soon as they are off their CPU.  Children of a dead process
 * are handed to init (pid 1), which collects orphans.
 *
 * Who frees a task: never itself (it is running on the stack to free).
 * Zombies: the parent in wait4(); everything else: the reaper kernel
 * thread.  Both wait until the task is off its CPU (on_cpu == 0).
 *
 * When init's process dies, the machine powers off with its status:
 * a teaching kernel has nothing to do without init (Linux panics).
 */
#include "kernel/signal.h"
#include "kernel/process.h"
#include "kernel/file.h"
#include "kernel/syscall.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/machine.h"
#include "kernel/timer.h"
#include "kernel/string.h"
#include "fpu/fpu.h"
#include "mm/mm.h"
#include "mm/uaccess.h"
#include "sched/sched.h"

#define WNOHANG		0x00000001
#define WUNTRACED	0x00000002
#define WCONTINUED	0x00000008
#define __WNOTHREAD	0x20000000
#define __WALL		0x40000000
#define __WCLONE	0x80000000

int futex_wake(u32 __user *uaddr, int nr_wake);	/* kernel/futex.c */

static LIST_HEAD(dead_tasks);			/* for the reaper, tasklist_lock */
static DECLARE_WAIT_QUEUE_HEAD(reaper_wait);
static struct task_struct *reaper;
bool boot_tests_failed;				/* set by kmain for init's exit */

struct task_struct *find_task_by_pid(int pid);

/* ------------------------------------------------------------ freeing */

/* The process structures, FPU image, stack and struct of a task nobody
 * runs: an exited one (below) or a child fork gave up on (kernel/fork.c). */
void free_user_task(struct task_struct *p)
{
	if (p->sighand)
		put_sighand(p->sighand);
	p->sighand = NULL;
	if (p->signal)
		put_signal_struct(p->signal);
	p->signal = NULL;
	fpu_free(p);
	free_task(p);
}

/*
 * Off its CPU and unlinked from everything: free it for good.  A zombie
 * may still be finishing its last switch on another CPU (on_cpu, with
 * interrupts off: a few hundred instructions) - spin for that; if it has
 * not even reached TASK_DEAD, let it run.  (A msleep(1) here cost every
 * fork+exit+wait a tick or two of idle time: make bench showed it.)
 */
void reap_dead_task(struct task_struct *p)
{
	while (__atomic_load_n(&p->on_cpu, __ATOMIC_ACQUIRE) || task_state(p) != TASK_DEAD) {
		if (task_state(p) == TASK_DEAD)
			cpu_relax();
		else
			yield();
	}
	free_user_task(p);
}

static int reaper_fn(void *unused)
{
	for (;;) {
		struct task_struct *p = NULL;
		unsigned long flags;

		wait_event(reaper_wait, !list_empty(&dead_tasks));
		spin_lock_irqsave(&tasklist_lock, flags);
		if (!list_empty(&dead_tasks)) {
			p = list_first_entry(&dead_tasks, struct task_struct, dead_node);
			list_del_init(&p->dead_node);
		}
		spin_unlock_irqrestore(&tasklist_lock, flags);
		if (p)
			reap_dead_task(p);
	}
	return 0;
}

void process_init(void)
{
	reaper = kthread_run(reaper_fn, NULL, "reaper");
	if (!reaper)
		pr_err("exit: no reaper thread: exited threads will leak\n");
}

/* tasklist_lock held */
static void queue_for_reaper(struct task_struct *p)
{
	p->exit_state = EXIT_DEAD;
	list_add_tail(&p->dead_node, &dead_tasks);
}

/* tasklist_lock held: an old group leader replaced by an exec'ing thread */
void release_exec_leader(struct task_struct *leader)
{
	queue_for_reaper(leader);
	wake_up(&reaper_wait);
}

/* ------------------------------------------------------------ exit */

/* Wait status as wait4() reports it (<sys/wait.h>): */
static int exit_status_code(long code) { return (code & 0xff) << 8; }

/*
 * @tsk leaves @mm (exit, or exec replacing it): the mm's other users learn
 * of it.  A thread waiting on our clear_child_tid word sees 0 (that is how
 * pthread_join learns), then a vfork parent sleeping until its child
 * execs or exits may go on.  @mm may be NULL (a kernel thread's exec).
 */
void mm_release(struct task_struct *tsk, struct mm_struct *mm)
{
	if (mm && tsk->clear_child_tid && atomic_read(&mm->mm_users) > 1) {
		u32 zero = 0;

		/* errors ignored, as in Linux: the thread is leaving anyway */
		if (!copy_to_user(tsk->clear_child_tid, &zero, sizeof(zero)))
			futex_wake(tsk->clear_child_tid, 1);
	}
	tsk->clear_child_tid = NULL;
	if (tsk->vfork_done) {
		complete(tsk->vfork_done);
		tsk->vfork_done = NULL;
	}
}

/* The task stops being a user of its mm but runs on it lazily (holding
 * an mm_count as active_mm) until it switches away for the last time. */
static void exit_mm(struct task_struct *tsk)
{
	struct mm_struct *mm = tsk->mm;

	if (!mm)
		return;
	mm_release(tsk, mm);
	mmgrab(mm);
	preempt_disable();
	local_irq_disable();
	tsk->mm = NULL;			/* active_mm stays: the lazy reference */
	local_irq_enable();
	preempt_enable();
	mmput(mm);
}

/* tasklist_lock held: hand @dead's children to init */
static void reparent_children(struct task_struct *dead)
{
	struct task_struct *init = find_task_by_pid(1), *c, *n;

	list_for_each_entry_safe(c, n, &dead->children, sibling) {
		list_del_init(&c->sibling);
		c->real_parent = init && init != dead ? init : NULL;
		if (c->real_parent)
			list_add_tail(&c->sibling, &init->children);
		else if (c->exit_state == EXIT_ZOMBIE)
			queue_for_reaper(c);
	}
	if (init && init != dead)
		wake_up_all(&init->signal->wait_chldexit);
}

/* tasklist_lock held: the process of @leader is dead; tell its parent. */
static void notify_parent(struct task_struct *leader)
{
	struct task_struct *parent = leader->real_parent;
	struct k_sigaction *ka;
	struct kernel_siginfo info;
	int status = leader->signal->group_exit_code;

	if (!parent || !parent->sighand) {
		queue_for_reaper(leader);
		return;
	}
	ka = &parent->sighand->action[SIGCHLD - 1];
	if (ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT)) {
		/* POSIX: nobody will wait, so no zombie */
		list_del_init(&leader->sibling);
		queue_for_reaper(leader);
	}
	if (leader->exit_signal > 0) {
		memset(&info, 0, sizeof(info));
		info.si_signo = leader->exit_signal;
		info.si_code = (status & 0x7f) ? CLD_KILLED : CLD_EXITED;
		info.kill.pid = leader->tgid;
		info.kill.status = (status & 0x7f) ? (status & 0x7f) : (status >> 8) & 0xff;
		__send_sig_info(leader->exit_signal, &info, parent, true);
	}
	wake_up_all(&parent->signal->wait_chldexit);
}

static void __noreturn init_exited(int status)
{
	if (status & 0x7f)
		printk(KERN_NOTICE "init: killed by signal %d\n", status & 0x7f);
	else
		printk(KERN_NOTICE "init: exited with status %d\n", (status >> 8) & 0xff);
	machine_exit(status == 0 && !boot_tests_failed ? EXIT_SUCCESS : EXIT_TESTS_FAILED);
}

static bool exit_notify(struct task_struct *tsk, int status, int *init_status)
{
	struct signal_struct *sig = tsk->signal;
	struct task_struct *leader = tsk->group_leader;
	unsigned long flags;
	bool group_dead, init_dead = false;

	spin_lock_irqsave(&tasklist_lock, flags);
	sig->nr_threads--;
	list_del_init(&tsk->thread_node);
	group_dead = sig->nr_threads == 0;
	/* the process's status is its last thread's, unless exit_group or a
	 * fatal signal already decided it */
	if (!sig->group_exiting && group_dead)
		sig->group_exit_code = status;
	if (tsk == leader)
		tsk->exit_state = EXIT_ZOMBIE;
	else
		queue_for_reaper(tsk);
	if (group_dead) {
		reparent_children(leader);
		if (leader->tgid == 1) {
			init_dead = true;
			*init_status = sig->group_exit_code;
		} else if (leader->exit_state == EXIT_ZOMBIE) {
			notify_parent(leader);
		}
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	wake_up(&reaper_wait);
	return init_dead;
}

/* The end of the calling user thread; @status is a wait status. */
static void __noreturn do_exit_status(int status)
{
	struct task_struct *tsk = current;
	int init_status = 0;

	tsk->flags |= PF_EXITING;
	exit_mm(tsk);
	if (tsk->files)
		put_files(tsk->files);
	tsk->files = NULL;
	if (exit_notify(tsk, status, &init_status))
		init_exited(init_status);
	/* as in kthread.c's do_exit: not preemptible from here to the end */
	preempt_disable();
	set_current_state(TASK_DEAD);
	do_task_dead();
}

void __noreturn do_exit_task(long code)
{
	do_exit_status(exit_status_code(code));
}

/*
 * The whole process ends with @exit_code (a wait status): every other
 * thread gets SIGKILL, which they act on at their next return towards
 * user mode, and this one exits.
 */
void __noreturn do_group_exit(int exit_code)
{
	struct signal_struct *sig = current->signal;
	struct task_struct *t;
	unsigned long flags;

	spin_lock_irqsave(&tasklist_lock, flags);
	if (!sig->group_exiting) {
		sig->group_exiting = true;
		sig->group_exit_code = exit_code;
		list_for_each_entry(t, &sig->thread_head, thread_node) {
			if (t == current)
				continue;
			t->pending.signal.sig |= sigmask(SIGKILL);
			signal_wake_up(t);
		}
	} else {
		exit_code = sig->group_exit_code;
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	do_exit_status(exit_code);
}

SYSCALL_DEFINE1(exit, int, code)
{
	do_exit_task(code);
}

SYSCALL_DEFINE1(exit_group, int, code)
{
	do_group_exit(exit_status_code(code));
}

/* ------------------------------------------------------------ wait4 */

struct rusage_64 {
	long times[4];		/* ru_utime, ru_stime as timevals */
	long fields[14];
};

/* Collect one zombie child; tasklist_lock held on entry, dropped. */
static long reap_zombie(struct task_struct *c, int __user *wstatus,
			struct rusage_64 __user *ru, unsigned long flags)
{
	int status = c->signal->group_exit_code, pid = c->tgid;
	struct rusage_64 zero;

	list_del_init(&c->sibling);
	c->exit_state = EXIT_DEAD;
	spin_unlock_irqrestore(&tasklist_lock, flags);
	reap_dead_task(c);
	if (wstatus && copy_to_user(wstatus, &status, sizeof(status)))
		return -EFAULT;
	if (ru) {
		memset(&zero, 0, sizeof(zero));
		if (copy_to_user(ru, &zero, sizeof(zero)))
			return -EFAULT;
	}
	return pid;
}

/*
 * pid > 0: that child; -1: any child; 0 or < -1: process groups, which
 * Switchyard does not have - every child is in the caller's group, so
 * 0 means any child and -pgid any child if pgid is the caller's.
 */
static bool wait_matches(struct task_struct *c, int pid)
{
	if (pid > 0)
		return c->tgid == pid;
	if (pid < -1)
		return -pid == current->tgid;
	return true;
}

SYSCALL_DEFINE4(wait4, int, pid, int __user *, wstatus, int, options,
		struct rusage_64 __user *, ru)
{
	struct task_struct *me = current->group_leader, *c;
	struct signal_struct *sig = current->signal;
	unsigned long flags;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	for (;;) {
		DEFINE_WAIT(wait);
		bool found = false;

		prepare_to_wait(&sig->wait_chldexit, &wait, TASK_INTERRUPTIBLE);
		spin_lock_irqsave(&tasklist_lock, flags);
		list_for_each_entry(c, &me->children, sibling) {
			if (!wait_matches(c, pid))
				continue;
			found = true;
			if (c->exit_state == EXIT_ZOMBIE && c->signal->nr_threads == 0) {
				finish_wait(&sig->wait_chldexit, &wait);
				return reap_zombie(c, wstatus, ru, flags);
			}
		}
		spin_unlock_irqrestore(&tasklist_lock, flags);
		if (!found || (options & WNOHANG)) {
			finish_wait(&sig->wait_chldexit, &wait);
			return found ? 0 : -ECHILD;
		}
		if (signal_pending(current)) {
			finish_wait(&sig->wait_chldexit, &wait);
			return -EINTR;
		}
		schedule();
		finish_wait(&sig->wait_chldexit, &wait);
	}
}
