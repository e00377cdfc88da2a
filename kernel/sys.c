/*
 * sys.c - the small system calls: ids, uname, time and sleeping,
 * scheduling and affinity, thread-area and tid bookkeeping, getrandom.
 *
 * Time: CLOCK_MONOTONIC (and _RAW, _COARSE, BOOTTIME) is ktime_get_ns(),
 * nanoseconds since boot.  CLOCK_REALTIME is that plus the wall-clock time
 * read once from the CMOS RTC at boot (kernel/rtc.c); nothing sets it
 * later (no settimeofday), so it drifts exactly like the monotonic clock.
 * Sleeps run on the tick (kernel/timer.c): they end on the first tick at
 * or after the deadline, never early.
 */
#include "kernel/syscall.h"
#include "kernel/signal.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/cpu.h"
#include "kernel/layout.h"
#include "kernel/random.h"
#include "mm/uaccess.h"
#include "sched/sched.h"

#define CLOCK_REALTIME		0
#define CLOCK_MONOTONIC		1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID	3
#define CLOCK_MONOTONIC_RAW	4
#define CLOCK_REALTIME_COARSE	5
#define CLOCK_MONOTONIC_COARSE	6
#define CLOCK_BOOTTIME		7
#define TIMER_ABSTIME		1

#define NSEC_PER_SEC		1000000000LL

struct timespec_64 {
	s64 tv_sec;
	s64 tv_nsec;
};

u64 rtc_boot_seconds(void);		/* kernel/rtc.c */

/* ------------------------------------------------------------ ids */

SYSCALL_DEFINE0(getpid)  { return current->tgid; }
SYSCALL_DEFINE0(gettid)  { return current->pid; }
SYSCALL_DEFINE0(getuid)  { return 0; }
SYSCALL_DEFINE0(getgid)  { return 0; }
SYSCALL_DEFINE0(geteuid) { return 0; }
SYSCALL_DEFINE0(getegid) { return 0; }

SYSCALL_DEFINE0(getppid)
{
	struct task_struct *parent = READ_ONCE(current->group_leader->real_parent);

	return parent ? parent->tgid : 0;
}

struct new_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65],
	     domainname[65];
};

SYSCALL_DEFINE1(uname, struct new_utsname __user *, name)
{
	struct new_utsname u;

	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, "Switchyard", sizeof(u.sysname));
	strlcpy(u.nodename, "switchyard", sizeof(u.nodename));
	strlcpy(u.release, "0.6", sizeof(u.release));
	strlcpy(u.version, "#1 SMP PREEMPT", sizeof(u.version));
	strlcpy(u.machine, "x86_64", sizeof(u.machine));
	strlcpy(u.domainname, "(none)", sizeof(u.domainname));
	return copy_to_user(name, &u, sizeof(u)) ? -EFAULT : 0;
}

/* ------------------------------------------------------------ time */

static bool clock_valid(int clk)
{
	return clk >= CLOCK_REALTIME && clk <= CLOCK_BOOTTIME;
}

static s64 clock_now_ns(int clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return (s64)rtc_boot_seconds() * NSEC_PER_SEC + (s64)ktime_get_ns();
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_PROCESS_CPUTIME_ID:	/* the thread's: per-process sums are not kept */
		return (s64)task_sum_exec_runtime(current);
	default:
		return (s64)ktime_get_ns();
	}
}

SYSCALL_DEFINE2(clock_gettime, int, clk, struct timespec_64 __user *, tp)
{
	struct timespec_64 ts;
	s64 ns;

	if (!clock_valid(clk))
		return -EINVAL;
	ns = clock_now_ns(clk);
	ts.tv_sec = ns / NSEC_PER_SEC;
	ts.tv_nsec = ns % NSEC_PER_SEC;
	return copy_to_user(tp, &ts, sizeof(ts)) ? -EFAULT : 0;
}

SYSCALL_DEFINE2(clock_getres, int, clk, struct timespec_64 __user *, tp)
{
	struct timespec_64 ts = { 0, 1 };

	if (!clock_valid(clk))
		return -EINVAL;
	if (clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE)
		ts.tv_nsec = NSEC_PER_SEC / HZ;
	if (tp && copy_to_user(tp, &ts, sizeof(ts)))
		return -EFAULT;
	return 0;
}

/* Jiffies until @ts (absolute on @clk, or relative), rounded up, plus one
 * for the partial tick now running: never early. */
long timespec_to_timeout(const struct timespec_64 *ts, bool absolute, int clk);
long timespec_to_timeout(const struct timespec_64 *ts, bool absolute, int clk)
{
	s64 ns = ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
	s64 tick = NSEC_PER_SEC / HZ;

	if (ts->tv_sec > (s64)(MAX_SCHEDULE_TIMEOUT / HZ / 2))
		return MAX_SCHEDULE_TIMEOUT;
	if (absolute)
		ns -= clock_now_ns(clk);
	if (ns <= 0)
		return 0;
	return (ns + tick - 1) / tick + 1;
}

/*
 * Interruptible: a signal ends the sleep with -EINTR and the time left.
 * The tick only approximates the clock user space reads (the APIC timer's
 * calibration against the TSC is a few percent off under TCG), so the
 * sleep is re-armed until the clock itself says the deadline has passed:
 * a sleep is never early by the clock it was measured against.
 */
static long do_nanosleep(const struct timespec_64 *req, bool absolute, int clk,
			 struct timespec_64 __user *rem)
{
	s64 deadline = req->tv_sec * NSEC_PER_SEC + req->tv_nsec;
	u64 start = ktime_get_ns();

	if (req->tv_sec > (s64)(MAX_SCHEDULE_TIMEOUT / HZ / 2))
		deadline = (s64)(~0ULL >> 2);	/* forever, in practice */
	else if (!absolute)
		deadline += clock_now_ns(clk);
	for (;;) {
		struct timespec_64 left_ts;
		s64 left = deadline - clock_now_ns(clk);

		if (left <= 0)
			return 0;
		left_ts.tv_sec = left / NSEC_PER_SEC;
		left_ts.tv_nsec = left % NSEC_PER_SEC;
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending(current)) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule_timeout(timespec_to_timeout(&left_ts, false, clk));
		if (signal_pending(current))
			break;
	}
	if (rem && !absolute) {
		s64 left = req->tv_sec * NSEC_PER_SEC + req->tv_nsec -
			   (s64)(ktime_get_ns() - start);
		struct timespec_64 r = { 0, 0 };

		if (left > 0) {
			r.tv_sec = left / NSEC_PER_SEC;
			r.tv_nsec = left % NSEC_PER_SEC;
		}
		if (copy_to_user(rem, &r, sizeof(r)))
			return -EFAULT;
	}
	return -EINTR;
}

static int get_timespec(const struct timespec_64 __user *u, struct timespec_64 *ts)
{
	if (copy_from_user(ts, u, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

SYSCALL_DEFINE2(nanosleep, const struct timespec_64 __user *, req,
		struct timespec_64 __user *, rem)
{
	struct timespec_64 ts;
	int err = get_timespec(req, &ts);

	return err ? err : do_nanosleep(&ts, false, CLOCK_MONOTONIC, rem);
}

SYSCALL_DEFINE4(clock_nanosleep, int, clk, int, flags,
		const struct timespec_64 __user *, req, struct timespec_64 __user *, rem)
{
	struct timespec_64 ts;
	int err;

	if (!clock_valid(clk) || clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (clk == CLOCK_PROCESS_CPUTIME_ID)
		return -EOPNOTSUPP;		/* Linux sleeps on it; we do not */
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	err = get_timespec(req, &ts);
	return err ? err : do_nanosleep(&ts, flags & TIMER_ABSTIME, clk, rem);
}

/* ------------------------------------------------------------ scheduling */

SYSCALL_DEFINE0(sched_yield)
{
	yield();
	return 0;
}

static struct task_struct *task_for_pid(int pid)
{
	struct task_struct *p;
	unsigned long flags;

	if (pid == 0)
		return current;
	spin_lock_irqsave(&tasklist_lock, flags);
	p = find_task_by_pid(pid);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return p;
}

SYSCALL_DEFINE3(sched_setaffinity, int, pid, unsigned, len, const u64 __user *, umask)
{
	struct task_struct *p;
	cpumask_t mask = CPU_MASK_NONE;
	u64 bits = 0;

	if (pid < 0)
		return -EINVAL;
	/* shorter than a cpumask: Linux zero-fills the rest */
	if (copy_from_user(&bits, umask, len < sizeof(bits) ? len : sizeof(bits)))
		return -EFAULT;
	mask.bits = bits & (~0ULL >> (64 - NR_CPUS));
	p = task_for_pid(pid);
	if (!p)
		return -ESRCH;
	return set_cpus_allowed_ptr(p, &mask);
}

/* Linux returns the size of its cpumask in bytes (here 8). */
SYSCALL_DEFINE3(sched_getaffinity, int, pid, unsigned, len, u64 __user *, umask)
{
	struct task_struct *p;
	u64 bits;

	if (pid < 0 || len < sizeof(u64) || (len & (sizeof(long) - 1)))
		return -EINVAL;
	p = task_for_pid(pid);
	if (!p)
		return -ESRCH;
	bits = p->cpus_allowed.bits & cpu_online_mask->bits;
	if (copy_to_user(umask, &bits, sizeof(bits)))
		return -EFAULT;
	return sizeof(u64);
}

SYSCALL_DEFINE3(getcpu, unsigned __user *, cpup, unsigned __user *, nodep, void *, unused)
{
	unsigned cpu = (unsigned)smp_processor_id(), node = 0;

	if (cpup && copy_to_user(cpup, &cpu, sizeof(cpu)))
		return -EFAULT;
	if (nodep && copy_to_user(nodep, &node, sizeof(node)))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------ threads */

#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004

/*
 * The user's FS base (TLS: %fs:0 is the thread pointer in the x86-64 ABI)
 * and GS base.  Written with WRMSR: CR4.FSGSBASE stays off so ring 3
 * cannot set a kernel address in GS (kernel/entry.S, paranoid entries).
 * While the kernel runs, the user's GS base is in MSR_KERNEL_GS_BASE.
 */
long __x64_sys_arch_prctl(const struct pt_regs *regs);
long __x64_sys_arch_prctl(const struct pt_regs *regs)
{
	int code = (int)regs->di;
	u64 addr = regs->si, val;

	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= TASK_SIZE_MAX)
			return -EPERM;
		preempt_disable();
		if (code == ARCH_SET_FS) {
			current->thread.fsbase = addr;
			wrmsr(MSR_FS_BASE, addr);
		} else {
			current->thread.gsbase = addr;
			wrmsr(MSR_KERNEL_GS_BASE, addr);
		}
		preempt_enable();
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		val = code == ARCH_GET_FS ? current->thread.fsbase : current->thread.gsbase;
		return copy_to_user((void *)addr, &val, sizeof(val)) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

SYSCALL_DEFINE1(set_tid_address, int __user *, tidptr)
{
	current->clear_child_tid = tidptr;
	return current->pid;
}

/* Recorded, not walked at exit: robust futexes of a dying thread are not
 * released (docs/syscalls.md). */
SYSCALL_DEFINE2(set_robust_list, void __user *, head, size_t, len)
{
	if (len != 24)		/* sizeof(struct robust_list_head) */
		return -EINVAL;
	current->robust_list = head;
	current->robust_list_len = len;
	return 0;
}

/* ------------------------------------------------------------ random */

#define GRND_NONBLOCK	0x0001
#define GRND_RANDOM	0x0002
#define GRND_INSECURE	0x0004

SYSCALL_DEFINE3(getrandom, void __user *, buf, size_t, count, unsigned, flags)
{
	u8 chunk[256];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (count > 0x1ffffff)		/* Linux's cap: 32 MiB - 1 */
		count = 0x1ffffff;
	while (done < count) {
		size_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);

		get_random_bytes(chunk, n);
		if (copy_to_user((u8 *)buf + done, chunk, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return done;
}

/* ------------------------------------------------------------ the frame */

/* Every thread's FS base is per task: load next's on a switch (called
 * from __switch_to, interrupts off).  GS: the user value lives in
 * MSR_KERNEL_GS_BASE while in the kernel. */
void switch_user_bases(struct task_struct *prev, struct task_struct *next);
void switch_user_bases(struct task_struct *prev, struct task_struct *next)
{
	if (!next->mm)
		return;			/* kernel threads do not use them */
	if (prev->thread.fsbase != next->thread.fsbase || !prev->mm)
		wrmsr(MSR_FS_BASE, next->thread.fsbase);
	if (prev->thread.gsbase != next->thread.gsbase || !prev->mm)
		wrmsr(MSR_KERNEL_GS_BASE, next->thread.gsbase);
}
