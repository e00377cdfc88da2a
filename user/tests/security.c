/*
 * security - ring 3 attacking the kernel half: every attempt must fail
 * with the right signal or errno, the same way on Switchyard and on Linux.
 *
 *   - read, write and execute kernel addresses: the kernel image, the
 *     direct map of physical memory (Switchyard's 0xffff800000000000 and
 *     Linux's 0xffff888000000000), the top page; SIGSEGV with si_addr the
 *     address and si_code SEGV_MAPERR or SEGV_ACCERR (what Linux reports
 *     for a kernel address), and for a non-canonical address the #GP
 *     report: SI_KERNEL with si_addr 0;
 *   - a kernel or non-canonical FS/GS base through arch_prctl (EPERM), and
 *     through WRFSBASE/WRGSBASE: #UD (SIGILL) unless the kernel turned
 *     CR4.FSGSBASE on and says so in AT_HWCAP2, and then #GP for a
 *     non-canonical base; no segment selector ring 3 can load names a
 *     descriptor of privilege level 0 (checked against LAR);
 *   - kernel pointers for every pointer argument of every system call
 *     kernel/syscall_list.h lists: EFAULT.  usertests.c already throws
 *     NULL, 0xffffffff80000000, 0xffff800000000000 and non-canonical
 *     pointers at them; here the pointers are ones that are *mapped* in
 *     the kernel (its text and data around the 1 MiB load address, the
 *     direct map of that memory) and the ones Linux has mapped, where a
 *     kernel that forgot its range check would quietly succeed.  Calls
 *     that only store a pointer for later (set_tid_address,
 *     set_robust_list, clone's tid pointers) must succeed or fail with
 *     EFAULT, and the later use must not hurt: the process still exits
 *     and is reaped normally.
 *
 * Each attack runs in a forked child, so a kernel that gets one wrong
 * still lets this program report the rest.
 */
#include "ktap.h"

#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#define PAGE		4096UL
#define USER_TOP	0x800000000000UL	/* first address past user space */
#ifndef SI_KERNEL
#define SI_KERNEL	0x80
#endif
#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004
#define HWCAP2_FSGSBASE	(1UL << 1)
#define FUTEX_WAIT	0
#define FUTEX_WAKE	1
#define FUTEX_REQUEUE	3
#define FUTEX_PRIVATE	128

/* Kernel-half addresses (all canonical). */
static const struct {
	const char *name;
	uintptr_t addr;
} kaddrs[] = {
	{ "kernel image 0xffffffff80100000", 0xffffffff80100000UL },
	{ "kernel image 0xffffffff80200000", 0xffffffff80200000UL },
	{ "Linux text 0xffffffff81000000", 0xffffffff81000000UL },
	{ "direct map 0xffff800000100000", 0xffff800000100000UL },
	{ "Linux direct map 0xffff888000000000", 0xffff888000000000UL },
	{ "Linux direct map 0xffff888000100000", 0xffff888000100000UL },
	{ "top page 0xfffffffffffff000", 0xfffffffffffff000UL },
};
#define NR_KADDRS	KTAP_COUNT(kaddrs)

/* Non-canonical: bits 63:47 not all equal. */
static const uintptr_t noncanon[] = {
	0x0000800000000000UL, 0x8000000000000000UL, 0x7fff000000000000UL,
	0xfff7000000000000UL,
};

/* Run FN(ARG) in a forked child that must exit 0 within 20 s. */
static void in_child(void (*fn)(void *), void *arg, const char *what)
{
	pid_t pid = fork();
	if (pid == 0) {
		ktap.failed = 0;
		fn(arg);
		CHILD_EXIT();
	}
	if (pid < 0) {
		FAIL("%s: fork: %s", what, errname(errno));
		return;
	}
	long long end = now_ns() + 20000 * 1000000LL;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (now_ns() > end) {
			FAIL("%s: child still running after 20 s, killing it", what);
			kill(pid, SIGKILL);
			status = wait_for(pid);
			break;
		}
		sleep_ms(2);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char d[96];
		ktap_describe_status(d, sizeof(d), status);
		FAIL("%s: child %s", what, d);
	}
}

/* ------------------------------------------------------------ memory */

static void check_kernel_fault(const char *how, const char *name, uintptr_t a, int sig)
{
	if (sig != SIGSEGV) {
		FAIL("%s %s: expected SIGSEGV, got %s", how, name,
		     sig ? strsignal(sig) : "no fault (the access worked!)");
		return;
	}
	if (ktap_probe_code != SEGV_MAPERR && ktap_probe_code != SEGV_ACCERR)
		FAIL("%s %s: si_code %d, expected SEGV_MAPERR or SEGV_ACCERR",
		     how, name, ktap_probe_code);
	if ((uintptr_t)ktap_probe_addr != a)
		FAIL("%s %s: si_addr %p, expected %#lx", how, name, ktap_probe_addr,
		     (unsigned long)a);
}

static void kernel_memory_body(void *arg)
{
	(void)arg;
	for (int i = 0; i < NR_KADDRS; i++) {
		uintptr_t a = kaddrs[i].addr;

		check_kernel_fault("read", kaddrs[i].name, a, probe_read(a));
		check_kernel_fault("write", kaddrs[i].name, a, probe_write(a));
		check_kernel_fault("execute", kaddrs[i].name, a, probe_exec(a));
	}
	for (int i = 0; i < KTAP_COUNT(noncanon); i++) {
		for (int how = 0; how < 3; how++) {
			int sig = ktap_probe((void *)noncanon[i], how == 1, how == 2);
			/* #GP, not #PF: no address to report.  An instruction
			 * fetch from a non-canonical RIP faults on the jump
			 * itself (Linux: #GP too, si_addr 0). */
			if (sig != SIGSEGV || ktap_probe_code != SI_KERNEL || ktap_probe_addr)
				FAIL("%s non-canonical %#lx: %s si_code %d si_addr %p, "
				     "expected SIGSEGV/SI_KERNEL/NULL",
				     how == 0 ? "read" : how == 1 ? "write" : "execute",
				     (unsigned long)noncanon[i], sig ? strsignal(sig) : "no fault",
				     ktap_probe_code, ktap_probe_addr);
		}
	}
}

TEST(kernel_memory_read_write_execute)
{
	in_child(kernel_memory_body, NULL, "kernel_memory");
}

/* ------------------------------------------------------------ FS and GS */

static void fsgs_arch_prctl_body(void *arg)
{
	(void)arg;
	unsigned long fs = 0, gs = 0, now = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);

	for (int i = 0; i < NR_KADDRS; i++) {
		EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_FS, kaddrs[i].addr), EPERM);
		EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_GS, kaddrs[i].addr), EPERM);
	}
	for (int i = 0; i < KTAP_COUNT(noncanon); i++) {
		EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_FS, noncanon[i]), EPERM);
		EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_GS, noncanon[i]), EPERM);
	}
	/* TASK_SIZE_MAX itself is refused, the last good byte is not */
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_GS, USER_TOP - PAGE), EPERM);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, USER_TOP - PAGE - 1), 0);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, gs), 0);

	/* the refusals changed nothing (FS is musl's thread pointer: this
	 * line running at all says most of it) */
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &now), 0);
	EXPECT_EQ(now, fs);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &now), 0);
	EXPECT_EQ(now, gs);
}

TEST(fs_gs_base_arch_prctl)
{
	in_child(fsgs_arch_prctl_body, NULL, "arch_prctl");
}

static volatile uintptr_t wr_value;

static void do_wrgsbase(void)
{
	asm volatile("wrgsbase %0" :: "r"(wr_value) : "memory");
}

static void do_wrfsbase_same(void)
{
	/* rewrite FS with its own value: harmless if it works */
	uintptr_t fs;
	asm volatile("rdfsbase %0" : "=r"(fs));
	asm volatile("wrfsbase %0" :: "r"(fs) : "memory");
}

/* Run FN under the probe handler, also catching SIGILL. */
static int probe_insn(void (*fn)(void))
{
	struct sigaction sa, old_ill;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ktap_probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGILL, &sa, &old_ill);
	int sig = ktap_probe((void *)fn, 0, 1);	/* "execute" = call fn */
	sigaction(SIGILL, &old_ill, NULL);
	return sig;
}

static void fsgs_instructions_body(void *arg)
{
	(void)arg;
	if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)) {
		/* CR4.FSGSBASE off: the instructions are #UD in ring 3, so a
		 * kernel address can reach GS base only through arch_prctl */
		DIAG("no FSGSBASE for user space: WR*BASE must be #UD");
		EXPECT_EQ(probe_insn(do_wrfsbase_same), SIGILL);
		wr_value = 0xffffffff80100000UL;
		EXPECT_EQ(probe_insn(do_wrgsbase), SIGILL);
		return;
	}
	/* FSGSBASE on (Linux 5.9+ on a CPU that has it): a non-canonical
	 * base is #GP; a kernel address is the kernel's problem to survive
	 * (its entry code must not trust GS), which Linux does. */
	DIAG("FSGSBASE available to user space");
	EXPECT_EQ(probe_insn(do_wrfsbase_same), 0);
	for (int i = 0; i < KTAP_COUNT(noncanon); i++) {
		wr_value = noncanon[i];
		EXPECT_EQ(probe_insn(do_wrgsbase), SIGSEGV);
	}
	wr_value = 0xffffffff80100000UL;
	EXPECT_EQ(probe_insn(do_wrgsbase), 0);
	/* and a system call with that GS base still works */
	EXPECT_EQ(syscall(SYS_getpid), getpid());
}

TEST(fs_gs_base_instructions)
{
	in_child(fsgs_instructions_body, NULL, "wrfsbase/wrgsbase");
}

static volatile unsigned short sel_value;

static void do_load_gs(void)
{
	asm volatile("movw %0, %%gs" :: "r"((unsigned short)sel_value) : "memory");
	/* back to the null selector at once; the base does not matter here */
	asm volatile("movw %0, %%gs" :: "r"((unsigned short)0) : "memory");
}

static void selectors_body(void *arg)
{
	(void)arg;
	int loaded = 0;

	for (unsigned int idx = 1; idx < 32; idx++) {
		unsigned short sel = (unsigned short)(idx << 3 | 3);	/* GDT, RPL 3 */
		unsigned int ar = 0;
		unsigned char ok;

		/* LAR: ZF set if the descriptor is visible at CPL 3 / RPL 3 */
		asm volatile("lar %2, %0; setz %1" : "=r"(ar), "=q"(ok) : "r"((unsigned int)sel) : "cc");
		sel_value = sel;
		int sig = probe_insn(do_load_gs);
		unsigned int dpl = (ar >> 13) & 3;

		if (sig == 0) {
			loaded++;
			if (!ok || dpl != 3)
				FAIL("selector %#x loaded into GS from ring 3: LAR %s, DPL %u",
				     sel, ok ? "visible" : "not visible", dpl);
		} else if (sig != SIGSEGV && sig != SIGBUS) {
			FAIL("selector %#x: loading it gave %s, expected SIGSEGV (#GP) or SIGBUS (#NP)",
			     sel, strsignal(sig));
		} else if (ok && dpl == 3 && ((ar >> 8) & 0x18) == 0x10) {
			FAIL("selector %#x: a DPL 3 data segment could not be loaded", sel);
		}
	}
	DIAG("%d of 31 GDT selectors loadable from ring 3", loaded);
}

TEST(no_kernel_segment_loadable)
{
	in_child(selectors_body, NULL, "segment selectors");
}

/* ------------------------------------------------------------ system calls */

static int file_fd, dir_fd;
static char path_buf[256];

/*
 * CALL, evaluated with `p` set to each kernel address in turn, must fail
 * with EFAULT.
 */
#define FOR_KADDR(call) do {						\
	for (int _i = 0; _i < NR_KADDRS; _i++) {			\
		void *p = (void *)kaddrs[_i].addr;			\
		errno = 0;						\
		long _r = (long)(call);					\
		int _e = errno;						\
		if (_r != -1 || _e != EFAULT)				\
			FAIL("%s with p = %s: expected -1/EFAULT, got %ld/%s", \
			     #call, kaddrs[_i].name, _r, errname(_e));	\
	}								\
} while (0)

static void open_fds(void)
{
	snprintf(path_buf, sizeof(path_buf), "%s", ktap.argv0);
	file_fd = open(path_buf, O_RDONLY);
	dir_fd = open("/", O_RDONLY | O_DIRECTORY);
}

static void syscalls_files_body(void *arg)
{
	(void)arg;
	struct stat st;
	char buf[64];

	open_fds();
	ASSERT(file_fd >= 0 && dir_fd >= 0);

	FOR_KADDR(syscall(SYS_read, file_fd, p, 16));
	FOR_KADDR(syscall(SYS_pread64, file_fd, p, 16, 0));
	/* a kernel that copied from p would print kernel bytes on the console
	 * (no pipe(): Switchyard has none, and tests/user.py's strace check
	 * refuses calls it lacks) */
	FOR_KADDR(syscall(SYS_write, 1, p, 16));
	FOR_KADDR(syscall(SYS_open, p, O_RDONLY));
	FOR_KADDR(syscall(SYS_openat, dir_fd, p, O_RDONLY));
	FOR_KADDR(syscall(SYS_stat, p, &st));
	FOR_KADDR(syscall(SYS_lstat, p, &st));
	FOR_KADDR(syscall(SYS_access, p, F_OK));
	FOR_KADDR(syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0));
	FOR_KADDR(syscall(SYS_stat, path_buf, p));
	FOR_KADDR(syscall(SYS_lstat, path_buf, p));
	FOR_KADDR(syscall(SYS_fstat, file_fd, p));
	FOR_KADDR(syscall(SYS_newfstatat, AT_FDCWD, path_buf, p, 0));
	FOR_KADDR(syscall(SYS_getdents64, dir_fd, p, 256));
	FOR_KADDR(syscall(SYS_getcwd, p, 64));

	/* the iovec array, and a good array whose buffer is in the kernel */
	FOR_KADDR(syscall(SYS_readv, file_fd, p, 1));
	FOR_KADDR(syscall(SYS_writev, 1, p, 1));
	{
		struct iovec iov[2] = { { buf, 8 }, { NULL, 16 } };
		FOR_KADDR((iov[0].iov_base = p, syscall(SYS_readv, file_fd, iov, 1)));
		FOR_KADDR((iov[0].iov_base = p, syscall(SYS_writev, 1, iov, 1)));
	}
	close(file_fd);
	close(dir_fd);
}

TEST(kernel_pointers_file_syscalls)
{
	in_child(syscalls_files_body, NULL, "file system calls");
}

static void syscalls_process_body(void *arg)
{
	(void)arg;
	int word = 1;

	FOR_KADDR(syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8));
	FOR_KADDR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8));
	FOR_KADDR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8));
	FOR_KADDR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8));
	FOR_KADDR(syscall(SYS_sigaltstack, p, NULL));
	FOR_KADDR(syscall(SYS_sigaltstack, NULL, p));
	FOR_KADDR(syscall(SYS_uname, p));
	FOR_KADDR(syscall(SYS_arch_prctl, ARCH_GET_FS, p));
	FOR_KADDR(syscall(SYS_arch_prctl, ARCH_GET_GS, p));
	FOR_KADDR(syscall(SYS_sched_getaffinity, 0, 128, p));
	FOR_KADDR(syscall(SYS_sched_setaffinity, 0, 8, p));
	FOR_KADDR(syscall(SYS_getcpu, p, NULL, NULL));
	FOR_KADDR(syscall(SYS_getcpu, NULL, p, NULL));
	FOR_KADDR(syscall(SYS_getrandom, p, 16, 0));
	FOR_KADDR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p));
	FOR_KADDR(syscall(SYS_clock_getres, CLOCK_MONOTONIC, p));
	FOR_KADDR(syscall(SYS_nanosleep, p, NULL));
	FOR_KADDR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, NULL));
	/* wait4's status word: EFAULT, and the child is reaped all the same */
	for (int i = 0; i < NR_KADDRS; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(3);
		ASSERT(pid > 0);
		errno = 0;
		long r = syscall(SYS_wait4, pid, kaddrs[i].addr, 0, NULL);
		if (r != -1 || errno != EFAULT)
			FAIL("wait4(status = %s): %ld/%s", kaddrs[i].name, r, errname(errno));
		EXPECT_ERRNO(syscall(SYS_wait4, pid, NULL, WNOHANG, NULL), ECHILD);
	}
	FOR_KADDR(syscall(SYS_futex, p, FUTEX_WAIT, 0, NULL, NULL, 0));
	FOR_KADDR(syscall(SYS_futex, p, FUTEX_WAIT | FUTEX_PRIVATE, 0, NULL, NULL, 0));
	FOR_KADDR(syscall(SYS_futex, p, FUTEX_WAKE, 1, NULL, NULL, 0));
	FOR_KADDR(syscall(SYS_futex, &word, FUTEX_WAIT, 0, p, NULL, 0));	/* 1 != 0 */
	FOR_KADDR(syscall(SYS_execve, p, NULL, NULL));

	/* the signal mask and disposition survived all that */
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	EXPECT_EQ(sigismember(&cur, SIGUSR1), 0);

	/* an mmap hint in the kernel half is ignored; MAP_FIXED there fails */
	for (int i = 0; i < NR_KADDRS; i++) {
		void *m = mmap((void *)kaddrs[i].addr, PAGE, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || (uintptr_t)m >= USER_TOP)
			FAIL("mmap(hint %s): %p", kaddrs[i].name, m);
		else
			munmap(m, PAGE);
		EXPECT_ERRNO2(mmap((void *)kaddrs[i].addr, PAGE, PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM, EINVAL);
	}
}

TEST(kernel_pointers_process_syscalls)
{
	in_child(syscalls_process_body, NULL, "process system calls");
}

/* execve's argv and envp arrays, and a good array holding a kernel pointer */
static void execve_arrays_body(void *arg)
{
	(void)arg;
	const char *hello = bin_path("hello");
	for (int i = 0; i < NR_KADDRS; i++) {
		for (int which = 0; which < 4; which++) {
			pid_t pid = fork();
			if (pid == 0) {
				char *kp = (char *)kaddrs[i].addr;
				char *args[] = { (char *)"hello", NULL };
				char *in_array[] = { (char *)"hello", kp, NULL };
				long r;
				errno = 0;
				if (which == 0)
					r = syscall(SYS_execve, hello, kp, NULL);
				else if (which == 1)
					r = syscall(SYS_execve, hello, args, kp);
				else if (which == 2)
					r = syscall(SYS_execve, hello, in_array, NULL);
				else
					r = syscall(SYS_execve, hello, args, in_array + 1);
				_exit(r == -1 && errno == EFAULT ? 0 : 10 + errno % 100);
			}
			if (pid < 0) {
				FAIL("fork: %s", errname(errno));
				return;
			}
			int st = wait_for(pid);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				char d[96];
				ktap_describe_status(d, sizeof(d), st);
				FAIL("execve with %s %s: expected EFAULT, child %s",
				     which == 0 ? "argv =" : which == 1 ? "envp =" :
				     which == 2 ? "argv[1] =" : "envp[0] =",
				     kaddrs[i].name, d);
			}
		}
	}
}

TEST(kernel_pointers_execve_arrays)
{
	in_child(execve_arrays_body, NULL, "execve arrays");
}

/*
 * Pointers the kernel keeps for later: set_tid_address's word (cleared
 * and futex-woken at exit), the robust futex list (walked at exit),
 * clone's parent/child tid words.  Linux stores them without checking and
 * ignores the failed access later; Switchyard may refuse at once with
 * EFAULT.  Either way the exit that uses them must be an ordinary exit.
 */
static void deferred_body(void *arg)
{
	(void)arg;
	for (int i = 0; i < NR_KADDRS; i++) {
		void *kp = (void *)kaddrs[i].addr;
		for (int which = 0; which < 4; which++) {
			pid_t pid = fork();
			if (pid == 0) {
				long r = 0;
				errno = 0;
				if (which == 0) {
					r = syscall(SYS_set_tid_address, kp);
					r = r > 0 ? 0 : r;
				} else if (which == 1) {
					r = syscall(SYS_set_robust_list, kp, 24);
				} else {
					/* fork-like clone that writes the tid to kp */
					unsigned long flags = SIGCHLD | (which == 2 ?
						0x00100000 /* CLONE_PARENT_SETTID */ :
						0x01000000 /* CLONE_CHILD_SETTID */ |
						0x00200000 /* CLONE_CHILD_CLEARTID */);
					r = syscall(SYS_clone, flags, NULL, kp, kp, 0);
					if (r == 0)
						_exit(0);	/* the grandchild */
					if (r > 0) {
						int st = wait_for((pid_t)r);
						_exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 3);
					}
				}
				if (r == -1 && errno != EFAULT)
					_exit(2);
				_exit(0);	/* the exit uses the pointer */
			}
			if (pid < 0) {
				FAIL("fork: %s", errname(errno));
				return;
			}
			int st = wait_for(pid);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				char d[96];
				ktap_describe_status(d, sizeof(d), st);
				FAIL("%s(%s): child %s",
				     which == 0 ? "set_tid_address" : which == 1 ? "set_robust_list" :
				     which == 2 ? "clone(CLONE_PARENT_SETTID)" :
				     "clone(CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID)",
				     kaddrs[i].name, d);
			}
		}
	}
}

TEST(kernel_pointers_kept_for_later)
{
	in_child(deferred_body, NULL, "deferred pointers");
}

/* rt_sigreturn with the stack pointer in the kernel: no frame to read */
static void sigreturn_body(void *arg)
{
	(void)arg;
	for (int i = 0; i < NR_KADDRS; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			asm volatile("mov %0, %%rsp; mov %1, %%eax; syscall"
				     :: "r"(kaddrs[i].addr), "i"(SYS_rt_sigreturn) : "memory");
			_exit(1);	/* not reached */
		}
		if (pid < 0) {
			FAIL("fork: %s", errname(errno));
			return;
		}
		int st = wait_for(pid);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV) {
			char d[96];
			ktap_describe_status(d, sizeof(d), st);
			FAIL("rt_sigreturn with rsp = %s: expected SIGSEGV, child %s",
			     kaddrs[i].name, d);
		}
	}
}

TEST(kernel_pointers_rt_sigreturn)
{
	in_child(sigreturn_body, NULL, "rt_sigreturn");
}

static const struct ktap_test tests[] = {
	T(kernel_memory_read_write_execute),
	T(fs_gs_base_arch_prctl),
	T(fs_gs_base_instructions),
	T(no_kernel_segment_loadable),
	T(kernel_pointers_file_syscalls),
	T(kernel_pointers_process_syscalls),
	T(kernel_pointers_execve_arrays),
	T(kernel_pointers_kept_for_later),
	T(kernel_pointers_rt_sigreturn),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
