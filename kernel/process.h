/*
 * process.h - what exec, the fault handler and the file code need from
 * the process and signal code (kernel/fork.c, kernel/exit.c,
 * kernel/signal.c, kernel/process.c).
 */
#ifndef KERNEL_PROCESS_H
#define KERNEL_PROCESS_H

#include "kernel/types.h"

struct pt_regs;
struct task_struct;
struct mm_struct;

/* The user register frame of @p: at the top of its kernel stack. */
struct pt_regs *task_pt_regs(struct task_struct *p);

/* exec: make @regs return to ring 3 at @ip with stack @sp, all else 0 */
void start_thread(struct pt_regs *regs, u64 ip, u64 sp);
/* exec: the caller's mm becomes @mm (point of no return), old one dropped */
void exec_mmap(struct mm_struct *mm);
/* exec in a multi-threaded process: end the other threads first */
int de_thread(struct task_struct *tsk);
/* exit or exec: tell the old mm's waiters (clear_child_tid, vfork) */
void mm_release(struct task_struct *tsk, struct mm_struct *mm);
/* exec: handled signals go back to SIG_DFL (ignored ones stay ignored) */
void flush_signal_handlers(struct task_struct *tsk);

/*
 * A synchronous fault in user mode becomes a signal to the current
 * thread: SIGSEGV (SEGV_MAPERR 1, SEGV_ACCERR 2), SIGBUS, SIGILL, SIGFPE,
 * SIGTRAP, with si_addr.  Delivered on the way out to user mode.
 */
void force_sig_fault(int sig, int code, u64 addr);

/* @p becomes the first thread of a new process (kernel/fork.c) */
int make_process(struct task_struct *p, int pid);
void process_init(void);		/* the reaper thread (kernel/exit.c) */
extern bool boot_tests_failed;

/* exec from the kernel (kernel/exec.c): a kernel thread becomes a user
 * process; 0 with task_pt_regs(current) ready for ring 3, or -errno */
int kernel_execve(const char *path, const char *const argv[], const char *const envp[]);

/* The first user process: a kernel thread that execs @path (pid 1). */
int start_init(const char *path, const char *const argv[]);

#endif
