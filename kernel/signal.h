/*
 * signal.h - processes' shared signal state and the signal API.
 *
 * A process is a thread group: tasks sharing one struct signal_struct
 * (pending process-directed signals, the exit status, the wait queue its
 * parent sleeps on) and one struct sighand_struct (the actions).  Each
 * task has its own blocked mask and thread-directed pending set.
 *
 * LOCKING: tasklist_lock (irqsave) protects all of it - parent/child and
 * thread lists, exit states, pending sets, actions, masks.  One lock for
 * process relationships and signals is slower than Linux's split, and far
 * easier to reason about; nothing here is hot.
 *
 * Invariant: TIF_SIGPENDING is set on a task whenever a signal it does not
 * block is pending for it or its process (recalc_sigpending); it may be set
 * spuriously, never missing.
 */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

#include "kernel/types.h"
#include "kernel/signal_types.h"
#include "kernel/spinlock.h"
#include "sched/wait.h"

#define SIGHUP		1
#define SIGINT		2
#define SIGQUIT		3
#define SIGILL		4
#define SIGTRAP		5
#define SIGABRT		6
#define SIGBUS		7
#define SIGFPE		8
#define SIGKILL		9
#define SIGUSR1		10
#define SIGSEGV		11
#define SIGUSR2		12
#define SIGPIPE		13
#define SIGALRM		14
#define SIGTERM		15
#define SIGSTKFLT	16
#define SIGCHLD		17
#define SIGCONT		18
#define SIGSTOP		19
#define SIGTSTP		20
#define SIGTTIN		21
#define SIGTTOU		22
#define SIGURG		23
#define SIGXCPU		24
#define SIGXFSZ		25
#define SIGVTALRM	26
#define SIGPROF		27
#define SIGWINCH	28
#define SIGIO		29
#define SIGPWR		30
#define SIGSYS		31
#define SIGRTMIN	32

#define SIG_DFL		0
#define SIG_IGN		1

#define SA_NOCLDSTOP	0x00000001
#define SA_NOCLDWAIT	0x00000002
#define SA_SIGINFO	0x00000004
#define SA_RESTORER	0x04000000
#define SA_ONSTACK	0x08000000
#define SA_RESTART	0x10000000
#define SA_NODEFER	0x40000000
#define SA_RESETHAND	0x80000000

#define SIG_BLOCK	0
#define SIG_UNBLOCK	1
#define SIG_SETMASK	2

#define SS_ONSTACK	1
#define SS_DISABLE	2
#define SS_AUTODISARM	(1U << 31)
#define MINSIGSTKSZ	2048

/* si_code values */
#define SI_USER		0
#define SI_KERNEL	0x80
#define SI_TKILL	(-6)
#define SEGV_MAPERR	1
#define SEGV_ACCERR	2
#define BUS_ADRERR	2
#define ILL_ILLOPN	2
#define ILL_PRVOPC	5
#define FPE_INTDIV	1
#define FPE_FLTDIV	3
#define FPE_FLTOVF	4
#define FPE_FLTUND	5
#define FPE_FLTRES	6
#define FPE_FLTINV	7
#define TRAP_BRKPT	1
#define CLD_EXITED	1
#define CLD_KILLED	2

#define EXIT_ZOMBIE	0x10
#define EXIT_DEAD	0x20

struct task_struct;
struct pt_regs;

struct signal_struct {
	atomic_t count;			/* references: threads, a zombie leader */
	int nr_threads;			/* live threads */
	struct list_head thread_head;	/* tasks, by thread_node */
	struct sigpending shared_pending;
	bool group_exiting;		/* exit_group or a fatal signal */
	int group_exit_code;		/* wait status of the whole group */
	struct wait_queue_head wait_chldexit;	/* this process's wait4() */
	struct task_struct *group_exec_task;	/* de_thread: the one to survive */
};

extern spinlock_t tasklist_lock;

/* sending */
int send_sig_info(int sig, struct kernel_siginfo *info, struct task_struct *p, bool group);
int __send_sig_info(int sig, struct kernel_siginfo *info, struct task_struct *p, bool group);
int kill_pid_info(int sig, struct kernel_siginfo *info, int pid);
void force_sig(int sig);
void recalc_sigpending(struct task_struct *t);	/* tasklist_lock held */
void signal_wake_up(struct task_struct *t);	/* tasklist_lock held */
bool signal_pending(struct task_struct *t);
bool fatal_signal_pending(struct task_struct *t);

/* delivery (exit_to_user_mode) */
void arch_do_signal_or_restart(struct pt_regs *regs);

/* lifetime */
struct signal_struct *alloc_signal_struct(void);
void put_signal_struct(struct signal_struct *sig);
struct sighand_struct *alloc_sighand(const struct sighand_struct *copy);
void put_sighand(struct sighand_struct *sh);
u64 nr_signal_structs(void);

/* process exit */
void __noreturn do_group_exit(int exit_code);
void __noreturn do_exit_task(long code);
struct task_struct *find_task_by_pid(int pid);	/* tasklist_lock held */
void reap_dead_task(struct task_struct *p);
void free_user_task(struct task_struct *p);
void release_exec_leader(struct task_struct *leader);

#endif
