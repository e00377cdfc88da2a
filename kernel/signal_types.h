/*
 * signal_types.h - signal data in Linux's x86-64 user-visible layouts
 * (what rt_sigaction, rt_sigprocmask, wait4 and signal frames exchange
 * with user space), and the kernel's per-task and per-process records.
 *
 * Signals 1..31 are standard: at most one of each is pending (a second
 * one while the first is pending is merged, as in Linux).  Real-time
 * signals 32..64 are accepted but, unlike Linux, not queued: one pending
 * instance each (docs/syscalls.md lists this deviation).
 */
#ifndef KERNEL_SIGNAL_TYPES_H
#define KERNEL_SIGNAL_TYPES_H

#include "kernel/types.h"
#include "kernel/list.h"
#include "kernel/atomic.h"

#define _NSIG		64

typedef struct {
	u64 sig;			/* bit (signo - 1) */
} sigset_t;

#define sigmask(sig)	(1ULL << ((sig) - 1))

/* siginfo_t, 128 bytes, Linux's layout (include/uapi/asm-generic/siginfo.h) */
struct kernel_siginfo {
	int si_signo;
	int si_errno;
	int si_code;
	int __pad0;
	union {
		struct {		/* kill, tkill, SIGCHLD */
			int pid;
			unsigned uid;
			int status;	/* SIGCHLD: exit code or signal */
			int __pad;
			long utime, stime;
		} kill;
		struct {		/* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
			u64 addr;
			short addr_lsb;
		} fault;
		char __pad[128 - 16];
	};
};
_Static_assert(sizeof(struct kernel_siginfo) == 128, "siginfo_t is 128 bytes");

struct sigpending {
	sigset_t signal;
	struct kernel_siginfo info[_NSIG];	/* info[sig - 1] while pending */
};

/* struct sigaction as rt_sigaction(2) passes it on x86-64 */
struct k_sigaction {
	u64 handler;			/* SIG_DFL 0, SIG_IGN 1, or an address */
	u64 flags;			/* SA_* */
	u64 restorer;			/* SA_RESTORER: returns into rt_sigreturn */
	sigset_t mask;
};

struct sighand_struct {
	atomic_t count;			/* tasks sharing it (CLONE_SIGHAND) */
	struct k_sigaction action[_NSIG];
};

#endif
