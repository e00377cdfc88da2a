/*
 * sched.h - tasks and the scheduler's interface (Linux's names).
 *
 * A task is one thread of execution: its own kernel stack, the registers
 * saved when it is switched out (callee-saved ones on that stack, RSP in
 * thread.sp), a state, the CPUs it may run on, its scheduling entity for
 * the fair policy (sched/fair.h), and its address space.
 *
 * ADDRESS SPACES (the lazy-mm rule; docs/scheduler.md has the timeline):
 *   mm         the task's own address space, NULL for a kernel thread.
 *   active_mm  the one it runs on.  For a task with an mm, active_mm == mm.
 *              A kernel thread has none of its own and runs on whatever
 *              the CPU had loaded: context_switch() sets its active_mm to
 *              the previous task's and takes an mm_count on it (mmgrab),
 *              and no CR3 write happens.  The reference is dropped when the
 *              kernel thread is switched out (finish_task_switch).  If the
 *              next task has that same mm, switch_mm() sees the mm is
 *              already loaded and writes no CR3 either.  Per CPU,
 *              cpu_tlbstate.loaded_mm (mm/tlb.c) records what is in CR3 and
 *              holds its own mm_count until the CPU loads another mm.
 *
 * STATES: TASK_RUNNING means runnable (queued or on a CPU).  A task sets
 * TASK_(UN)INTERRUPTIBLE itself, then calls schedule(), which takes it off
 * the run queue unless a waker has set it back to TASK_RUNNING meanwhile
 * (sched/wait.h has the pattern).  TASK_NEW: created, never woken.
 * TASK_DEAD: exited, waiting for kthread_join()/kthread_stop() to free it.
 *
 * LOCKING: p->pi_lock serialises wake-ups of p; rq->lock protects a run
 * queue and the on_rq/cpu fields of its tasks.  Order: pi_lock, then rq
 * locks, two rq locks in CPU order.  Both with interrupts off: the tick
 * and the reschedule IPI take rq locks.
 *
 * Invariants:
 *   - current (this CPU's percpu.current_task) is never NULL after
 *     percpu_init_cpu(): CPU 0 starts as init_task, an AP as its idle task;
 *   - a task runs only on CPUs in cpus_allowed (the idle tasks: their own);
 *   - on_cpu is 1 from the moment a CPU picks the task until the switch
 *     away from it is complete; its stack is in use all that time, so a
 *     task is woken elsewhere, or freed, only after on_cpu is 0.
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include "kernel/types.h"
#include "kernel/list.h"
#include "kernel/atomic.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/preempt.h"
#include "sched/fair.h"
#include "sched/completion.h"
#include "kernel/signal_types.h"
#include "fpu/fpu.h"

#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_NORMAL		(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define TASK_DEAD		0x0080
#define TASK_NEW		0x0800

/* task->flags */
#define PF_IDLE		0x00000002	/* a CPU's idle task */
#define PF_EXITING	0x00000004
#define PF_KTHREAD	0x00200000

/* task->thread_flags: bits, changed atomically (other CPUs set them) */
#define TIF_SIGPENDING		2	/* a signal to look at before ring 3 */
#define TIF_NEED_RESCHED	3	/* switch at the next chance */
#define TIF_NEED_FPU_LOAD	14	/* user FPU registers not loaded (fpu/fpu.h) */

#define TASK_COMM_LEN	16
#define MAX_NICE	19
#define MIN_NICE	(-20)

struct mm_struct;

/* What switch_to needs: the stack pointer of a switched-out task.  The
 * callee-saved registers are on that stack (struct inactive_task_frame). */
struct thread_struct {
	u64 sp;
	u64 fsbase;			/* user FS.base (TLS), ARCH_SET_FS */
	u64 gsbase;			/* user GS.base, ARCH_SET_GS */
	struct fpu fpu;			/* user FPU/vector state (fpu/fpu.h) */
};

/* The stack of a switched-out task, from thread.sp up: what
 * __switch_to_asm pushed, then its return address (sched/switch.S). */
struct inactive_task_frame {
	u64 r15, r14, r13, r12, rbx, rbp;
	u64 flags;
	u64 ret_addr;
};

struct task_struct {
	struct thread_struct thread;	/* first: switch.S uses offset 0 */
	volatile long __state;		/* TASK_* above */
	unsigned long thread_flags;	/* TIF_* */
	unsigned flags;			/* PF_* */
	int on_rq;			/* queued or running (rq->lock) */
	int on_cpu;			/* picked and not yet switched away */
	int cpu;			/* the CPU whose rq it is (last) on */
	int nice;
	bool migrate_pending;		/* running where cpus_allowed forbids */
	cpumask_t cpus_allowed;
	struct sched_entity se;

	struct mm_struct *mm;		/* NULL for a kernel thread */
	struct mm_struct *active_mm;	/* what it runs on (see above) */

	void *stack;			/* lowest address, THREAD_SIZE bytes */
	int pid, tgid;
	char comm[TASK_COMM_LEN];
	spinlock_t pi_lock;		/* serialises wake-ups */
	struct list_head tasks;		/* on the all-tasks list */

	/* kernel threads (sched/kthread.c) */
	int (*threadfn)(void *data);
	void *data;
	bool should_stop;
	int exit_code;
	struct completion exited;

	/* processes and threads (kernel/fork.c, kernel/exit.c) */
	struct task_struct *group_leader;	/* tgid's first thread */
	struct task_struct *real_parent;	/* gets SIGCHLD and wait4()s */
	struct list_head children;	/* threads leaders of child processes */
	struct list_head sibling;	/* on real_parent->children */
	struct list_head thread_node;	/* on signal->thread_head */
	struct signal_struct *signal;	/* shared by the thread group */
	struct sighand_struct *sighand;	/* signal actions, shared by CLONE_SIGHAND */
	struct files_struct *files;	/* fd table (kernel/file.c) */
	int exit_state;			/* EXIT_ZOMBIE, EXIT_DEAD */
	int exit_signal;		/* to the parent at exit (SIGCHLD) */
	sigset_t blocked;		/* signal mask */
	struct sigpending pending;	/* directed at this thread */
	u64 sas_ss_sp, sas_ss_size;	/* sigaltstack */
	int sas_ss_flags;
	void *set_child_tid, *clear_child_tid;	/* user addresses */
	void *robust_list;
	u64 robust_list_len;
	struct completion *vfork_done;	/* CLONE_VFORK: the parent waits on it */
	struct list_head dead_node;	/* on the reaper's list (kernel/exit.c) */

	/* statistics */
	u64 nvcsw, nivcsw;		/* voluntary / involuntary switches */
	u64 nr_migrations;
};

/* One run queue per CPU. */
struct rq {
	spinlock_t lock;
	int cpu;
	struct cfs_rq cfs;		/* the fair policy's queue (fair.h) */
	struct task_struct *curr, *idle;
	u64 clock;			/* ns, updated under lock */
	struct mm_struct *prev_mm;	/* lazy mm to drop after a switch */
	u64 next_balance;		/* jiffies */
	/* counters (docs/scheduler.md; monitor "sched") */
	u64 nr_switches;
	u64 nr_migrations;		/* tasks moved onto this CPU */
	u64 idle_ns;			/* time the idle task ran */
	u64 idle_start;
	u64 nr_ticks;
};

static inline struct task_struct *get_current(void)
{
	return this_cpu_read(current_task);
}
#define current	get_current()

static inline long task_state(const struct task_struct *p)
{
	return READ_ONCE(p->__state);
}

/* XCHG: a full barrier, so the store is visible before the sleeper's
 * next load of its wait condition (sched/wait.h explains the race). */
#define set_current_state(state) do {					\
	long __s = (state);						\
	asm volatile("xchgq %0, %1" : "+r"(__s), "+m"(current->__state) \
		     : : "memory");					\
} while (0)
#define __set_current_state(state) WRITE_ONCE(current->__state, (state))

static inline bool test_tsk_need_resched(struct task_struct *p)
{
	return (READ_ONCE(p->thread_flags) >> TIF_NEED_RESCHED) & 1;
}
void set_tsk_need_resched(struct task_struct *p);
void clear_tsk_need_resched(struct task_struct *p);

/* Any TIF_ bit: atomic, because other CPUs set bits in the same word. */
static inline void set_tsk_thread_flag(struct task_struct *p, int flag)
{
	__atomic_fetch_or(&p->thread_flags, BIT(flag), __ATOMIC_SEQ_CST);
}

static inline void clear_tsk_thread_flag(struct task_struct *p, int flag)
{
	__atomic_fetch_and(&p->thread_flags, ~BIT(flag), __ATOMIC_SEQ_CST);
}

static inline bool test_tsk_thread_flag(struct task_struct *p, int flag)
{
	return (READ_ONCE(p->thread_flags) >> flag) & 1;
}

/* sched/core.c */
extern struct task_struct init_task;	/* CPU 0's boot context: kmain */
void sched_init(void);				/* on CPU 0, early */
struct task_struct *fork_idle(int cpu, void *stack);	/* AP idle task */
void __noreturn cpu_startup_entry(void);	/* a CPU's last call: idle */
void schedule(void);
void schedule_idle(void);
void preempt_schedule_irq(void);
void scheduler_tick(void);
void yield(void);
int wake_up_process(struct task_struct *p);
int wake_up_state(struct task_struct *p, unsigned state);
void wake_up_new_task(struct task_struct *p);
int set_cpus_allowed_ptr(struct task_struct *p, const cpumask_t *mask);
int set_user_nice(struct task_struct *p, int nice);
int sched_task_cpu(const struct task_struct *p);
u64 task_sum_exec_runtime(struct task_struct *p);
void sched_show_stats(void);
struct rq *cpu_rq(int cpu);

/* per-CPU counters for tests and the monitor */
struct sched_cpu_stats {
	u64 nr_switches, nr_migrations, idle_ns, cr3_loads, nr_running;
};
void sched_cpu_stats(int cpu, struct sched_cpu_stats *st);

/* task lifetime (sched/core.c) */
struct task_struct *alloc_task(const char *name);
void free_task(struct task_struct *p);
u64 nr_tasks(void);			/* live task_structs, for leak checks */

/* kernel threads (sched/kthread.c) */
struct task_struct *__kthread_create(int (*fn)(void *), void *arg, const char *name);
void copy_thread(struct task_struct *p, void (*entry)(struct task_struct *));
struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *namefmt, ...) __printf(3, 4);
void kthread_bind(struct task_struct *p, int cpu);
struct task_struct *kthread_run_on_cpu(int (*threadfn)(void *data), void *data,
				       int cpu, const char *name);
#define kthread_run(fn, data, ...) ({					\
	struct task_struct *__k = kthread_create((fn), (data), __VA_ARGS__); \
	if (__k)							\
		wake_up_new_task(__k);					\
	__k;								\
})
bool kthread_should_stop(void);
int kthread_stop(struct task_struct *p);	/* ask, wait, free; exit code */
int kthread_join(struct task_struct *p);	/* wait, free; exit code */
void __noreturn do_exit(int code);
void __noreturn do_task_dead(void);

/* exit_to_user_mode(): kernel/entry_common.c */
struct pt_regs;
void irqentry_exit(struct pt_regs *regs);
void exit_to_user_mode(struct pt_regs *regs);

#endif
