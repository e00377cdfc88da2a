/*
 * kthread.c - kernel threads: create, bind, run, stop, join, exit.
 *
 * A kernel thread is a task with no mm of its own that runs one function.
 * kthread_create() builds it stopped (TASK_NEW) so the creator can bind it
 * to a CPU or change its nice level first; wake_up_new_task() (kthread_run
 * does both) makes it runnable.  Its function returning, or do_exit(),
 * ends it: the exit code is kept and the task waits, TASK_DEAD, for its
 * creator to collect it with kthread_join() or kthread_stop() - like a
 * joinable pthread.  The creator must collect every thread it creates
 * (the leak checks count tasks and kernel stacks).
 *
 * Why the creator frees and not the dying thread: a task cannot free the
 * stack it is running on.  Its last schedule() switches away on that
 * stack, and only after the switch (on_cpu == 0, finish_task_switch) is the
 * stack free to go.  kthread_join() waits for exactly that.
 */
#include "sched/sched.h"
#include "mm/kstack.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "kernel/vsnprintf.h"
#include "kernel/panic.h"
#include "kernel/errno.h"
#include "kernel/process.h"
#include "kernel/signal.h"

extern char ret_from_fork[];

/* Every kernel thread's first C frame (ret_from_fork calls it). */
static void __noreturn kthread_entry(struct task_struct *self)
{
	do_exit(self->threadfn(self->data));
}

/* The frame __switch_to_asm will pop the first time it switches to @p
 * (kernel threads here, forked user tasks in kernel/fork.c):
 * callee-saved registers with the function in rbx and the argument in
 * r12, RFLAGS with only the reserved bit 1, and ret_from_fork to return
 * to.  16-byte aligned so ret_from_fork's calls see an ABI-aligned stack;
 * rbp = 0 ends backtraces there. */
void copy_thread(struct task_struct *p, void (*entry)(struct task_struct *))
{
	/* below the pt_regs area every task reserves at the top of its
	 * stack (a user task's entry frame; kept free in kernel threads too,
	 * so one of them can exec and become a user task) */
	u64 top = (u64)task_pt_regs(p) - 16;
	struct inactive_task_frame *frame = (void *)(top - sizeof(*frame));

	frame->r15 = frame->r14 = frame->r13 = 0;
	frame->r12 = (u64)p;
	frame->rbx = (u64)entry;
	frame->rbp = 0;
	frame->flags = 0x2;
	frame->ret_addr = (u64)ret_from_fork;
	p->thread.sp = (u64)frame;
}

struct task_struct *__kthread_create(int (*fn)(void *), void *arg, const char *name)
{
	struct task_struct *p = alloc_task(name);

	if (!p)
		return NULL;
	p->flags |= PF_KTHREAD;
	p->threadfn = fn;
	p->data = arg;
	copy_thread(p, kthread_entry);
	return p;
}

struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *namefmt, ...)
{
	char name[TASK_COMM_LEN];
	va_list ap;

	va_start(ap, namefmt);
	vsnprintf(name, sizeof(name), namefmt, ap);
	va_end(ap);
	return __kthread_create(threadfn, data, name);
}

/* Before the first wake-up only: pin @p to @cpu. */
void kthread_bind(struct task_struct *p, int cpu)
{
	BUG_ON(task_state(p) != TASK_NEW);
	p->cpus_allowed.bits = BIT(cpu);
	p->cpu = cpu;
}

struct task_struct *kthread_run_on_cpu(int (*threadfn)(void *data), void *data,
				       int cpu, const char *name)
{
	struct task_struct *p;

	if (cpu < 0 || cpu >= NR_CPUS || !cpumask_test_cpu(cpu, cpu_online_mask))
		return NULL;
	p = kthread_create(threadfn, data, "%s", name);
	if (!p)
		return NULL;
	kthread_bind(p, cpu);
	wake_up_new_task(p);
	return p;
}

bool kthread_should_stop(void)
{
	return READ_ONCE(current->should_stop);
}

/*
 * The end of a task.  Preemption goes off before TASK_DEAD is set and
 * stays off: from here until its last switch the task must not be
 * preempted, or kthread_join() could see it off-CPU (on_cpu == 0) while
 * it still has code to run on the stack about to be freed.
 */
void __noreturn do_exit(int code)
{
	struct task_struct *tsk = current;

	if (tsk->signal)		/* a user process's thread */
		do_exit_task(code);
	if (tsk->mm)
		unuse_mm(tsk->mm);
	tsk->exit_code = code;
	tsk->flags |= PF_EXITING;
	preempt_disable();
	set_current_state(TASK_DEAD);
	complete(&tsk->exited);
	do_task_dead();
}

/* Wait until @p has exited and is off its CPU, then free it. */
int kthread_join(struct task_struct *p)
{
	int code;

	wait_for_completion(&p->exited);
	while (__atomic_load_n(&p->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
	code = p->exit_code;
	free_task(p);
	return code;
}

/*
 * Ask @p to stop (kthread_should_stop() turns true), wake it in case it
 * sleeps, and join it.  A thread never woken is freed without running,
 * and the result is -EINTR, as in Linux.
 */
int kthread_stop(struct task_struct *p)
{
	WRITE_ONCE(p->should_stop, true);
	if (task_state(p) == TASK_NEW) {
		free_task(p);
		return -EINTR;
	}
	wake_up_process(p);
	return kthread_join(p);
}
