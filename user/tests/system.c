/*
 * system - the remaining calls: uname, the user and group ids, arch_prctl
 * (the FS base), sched_getaffinity/sched_setaffinity and getcpu, getrandom,
 * and -ENOSYS for system-call numbers no kernel implements.
 */
#include "ktap.h"

#include <pthread.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/utsname.h>

#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004

static int field_ok(const char *s, size_t size)
{
	size_t len = strnlen(s, size);
	return len > 0 && len < size;
}

TEST(uname_fields)
{
	struct utsname u;
	memset(&u, 0xff, sizeof(u));
	EXPECT_EQ(uname(&u), 0);
	EXPECT(field_ok(u.sysname, sizeof(u.sysname)));
	EXPECT(field_ok(u.release, sizeof(u.release)));
	EXPECT(field_ok(u.version, sizeof(u.version)));
	EXPECT(field_ok(u.machine, sizeof(u.machine)));
	EXPECT(strnlen(u.nodename, sizeof(u.nodename)) < sizeof(u.nodename));
	EXPECT(strnlen(u.domainname, sizeof(u.domainname)) < sizeof(u.domainname));
	EXPECT_STREQ(u.machine, "x86_64");
	DIAG("%s %s %s", u.sysname, u.release, u.machine);
	EXPECT_ERRNO(syscall(SYS_uname, BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_uname, KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_uname, NULL), EFAULT);
}

TEST(user_and_group_ids)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	EXPECT_EQ(geteuid(), uid);
	EXPECT_EQ(getegid(), gid);
	EXPECT_EQ(syscall(SYS_getuid), uid);
	EXPECT_EQ(syscall(SYS_geteuid), uid);
	EXPECT_EQ(syscall(SYS_getgid), gid);
	EXPECT_EQ(syscall(SYS_getegid), gid);
	/* a forked child has the same ids */
	pid_t pid = fork();
	if (pid == 0)
		_exit(getuid() == uid && getgid() == gid ? 0 : 1);
	EXPECT_EXIT(wait_for(pid), 0);
}

/* Raw arch_prctl with no libc in between: while FS is not musl's, musl
 * functions that touch thread-local data (errno!) must not run. */
static long raw_arch_prctl(long code, unsigned long arg)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"((long)SYS_arch_prctl), "D"(code), "S"(arg)
			 : "rcx", "r11", "memory");
	return ret;
}

static long raw_sched_yield(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_sched_yield)
			 : "rcx", "r11", "memory");
	return ret;
}

TEST(arch_prctl_fs)
{
	unsigned long fs = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	/* musl's thread pointer is the FS base and points at itself */
	EXPECT_EQ(fs, (unsigned long)pthread_self());
	unsigned long self;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	EXPECT_EQ(self, fs);

	/* a private thread-control block: %fs:0 reads its first word */
	static unsigned long block[64] __attribute__((aligned(64)));
	block[0] = 0x5eed5eed;
	block[1] = 0xabcdef;
	unsigned long got0 = 0, got1 = 0, readback = 0;
	long set = raw_arch_prctl(ARCH_SET_FS, (unsigned long)block);
	long get = raw_arch_prctl(ARCH_GET_FS, (unsigned long)&readback);
	__asm__ volatile("mov %%fs:0, %0; mov %%fs:8, %1" : "=r"(got0), "=r"(got1));
	/* survives a trip through the scheduler (and other CPUs) */
	for (int i = 0; i < 20; i++)
		raw_sched_yield();
	unsigned long after = 0;
	__asm__ volatile("mov %%fs:8, %0" : "=r"(after));
	long restore = raw_arch_prctl(ARCH_SET_FS, fs);
	/* musl's TLS is back: checks and errno work again */
	EXPECT_EQ(set, 0);
	EXPECT_EQ(get, 0);
	EXPECT_EQ(restore, 0);
	EXPECT_EQ(readback, (unsigned long)block);
	EXPECT_EQ(got0, 0x5eed5eed);
	EXPECT_EQ(got1, 0xabcdef);
	EXPECT_EQ(after, 0xabcdef);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	EXPECT_EQ(self, fs);
}

TEST(arch_prctl_errors)
{
	unsigned long fs;
	ASSERT(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) == 0);
	/* the base must be a user address: non-canonical or kernel ones are
	 * refused with EPERM, and the old base stays */
	EXPECT_EQ(raw_arch_prctl(ARCH_SET_FS, (unsigned long)NONCANON_PTR), -EPERM);
	EXPECT_EQ(raw_arch_prctl(ARCH_SET_FS, (unsigned long)KERNEL_PTR), -EPERM);
	EXPECT_EQ(raw_arch_prctl(ARCH_SET_FS, 0x800000000000UL), -EPERM);
	unsigned long now = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &now), 0);
	EXPECT_EQ(now, fs);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_FS, BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_FS, KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, 0, 0), EINVAL);
}

TEST(arch_prctl_fs_per_process)
{
	/* a child's FS base is its own: changing it leaves the parent's */
	unsigned long fs;
	ASSERT(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		static unsigned long block[8] = { 77 };
		unsigned long v = 0;
		raw_arch_prctl(ARCH_SET_FS, (unsigned long)block);
		__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
		raw_arch_prctl(ARCH_SET_FS, fs);
		_exit(v == 77 ? 0 : 1);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	unsigned long now = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &now), 0);
	EXPECT_EQ(now, fs);
}

static int count_cpus(const cpu_set_t *set)
{
	return CPU_COUNT(set);
}

TEST(sched_affinity)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	/* the raw call returns the size of the kernel's mask in bytes */
	long size = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	EXPECT_GT(size, 0);
	EXPECT_EQ(size % 8, 0);
	int n = count_cpus(&set);
	EXPECT_GE(n, 1);
	DIAG("%d CPUs in the affinity mask (%ld bytes)", n, size);
	cpu_set_t mine;
	EXPECT_EQ(sched_getaffinity(getpid(), sizeof(mine), &mine), 0);
	EXPECT(CPU_EQUAL(&mine, &set));

	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 7, &set), EINVAL);	/* not a multiple of 8 */
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof(set), BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof(set), KERNEL_PTR), EFAULT);
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	wait_for(gone);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, gone, sizeof(set), &set), ESRCH);
}

TEST(setaffinity_moves_to_each_cpu)
{
	cpu_set_t all;
	ASSERT(sched_getaffinity(0, sizeof(all), &all) == 0);
	int visited = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		EXPECT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
		/* after the call returns the thread runs on that CPU */
		unsigned int now = 9999, node = 9999;
		EXPECT_EQ(syscall(SYS_getcpu, &now, &node, NULL), 0);
		EXPECT_EQ(now, cpu);
		sched_yield();
		EXPECT_EQ(syscall(SYS_getcpu, &now, NULL, NULL), 0);
		EXPECT_EQ(now, cpu);
		cpu_set_t back;
		EXPECT_EQ(sched_getaffinity(0, sizeof(back), &back), 0);
		EXPECT(CPU_EQUAL(&back, &one));
		visited++;
	}
	EXPECT_EQ(sched_setaffinity(0, sizeof(all), &all), 0);
	EXPECT_EQ(visited, CPU_COUNT(&all));

	/* an empty mask, or one with only CPUs that do not exist */
	cpu_set_t none;
	CPU_ZERO(&none);
	EXPECT_ERRNO(sched_setaffinity(0, sizeof(none), &none), EINVAL);
	cpu_set_t far;
	CPU_ZERO(&far);
	CPU_SET(CPU_SETSIZE - 1, &far);
	EXPECT_ERRNO(sched_setaffinity(0, sizeof(far), &far), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_setaffinity, 0, sizeof(all), BAD_PTR), EFAULT);
	cpu_set_t check;
	EXPECT_EQ(sched_getaffinity(0, sizeof(check), &check), 0);
	EXPECT(CPU_EQUAL(&check, &all));
}

TEST(getcpu_in_mask)
{
	cpu_set_t all;
	ASSERT(sched_getaffinity(0, sizeof(all), &all) == 0);
	for (int i = 0; i < 50; i++) {
		unsigned int cpu = 9999, node = 9999;
		EXPECT_EQ(syscall(SYS_getcpu, &cpu, &node, NULL), 0);
		EXPECT(cpu < CPU_SETSIZE && CPU_ISSET((int)cpu, &all));
		EXPECT_EQ(node, 0);
		EXPECT_GE(sched_getcpu(), 0);
		if (ktap.failed)
			break;
		sched_yield();
	}
	EXPECT_EQ(syscall(SYS_getcpu, NULL, NULL, NULL), 0);
	EXPECT_ERRNO(syscall(SYS_getcpu, KERNEL_PTR, NULL, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getcpu, NULL, BAD_PTR, NULL), EFAULT);
}

TEST(getrandom_bytes)
{
	unsigned char a[64], b[64];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	EXPECT_EQ(getrandom(a, sizeof(a), 0), (ssize_t)sizeof(a));
	EXPECT_EQ(getrandom(b, sizeof(b), GRND_NONBLOCK), (ssize_t)sizeof(b));
	EXPECT(memcmp(a, b, sizeof(a)) != 0);
	int zero = 0;
	for (size_t i = 0; i < sizeof(a); i++)
		zero += a[i] == 0;
	EXPECT_LT(zero, 16);
	EXPECT_EQ(getrandom(a, 0, 0), 0);
	/* a big request may come back short, never empty */
	size_t big = 1 << 20;
	unsigned char *p = malloc(big);
	ASSERT(p);
	long n = syscall(SYS_getrandom, p, big, 0);
	EXPECT_GT(n, 0);
	free(p);

	EXPECT_ERRNO(syscall(SYS_getrandom, a, sizeof(a), 0x100), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrandom, a, sizeof(a), -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrandom, BAD_PTR, 16, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getrandom, KERNEL_PTR, 16, 0), EFAULT);
}

TEST(unknown_syscalls_enosys)
{
	EXPECT_ERRNO(syscall(400), ENOSYS);	/* a hole in Linux's table */
	EXPECT_ERRNO(syscall(1000), ENOSYS);
	EXPECT_ERRNO(syscall(100000), ENOSYS);
	EXPECT_ERRNO(syscall(-1), ENOSYS);
	EXPECT_ERRNO(syscall(0x7fffffff), ENOSYS);
	/* the process is intact after them */
	EXPECT_EQ(gettid(), getpid());
}

static const struct ktap_test tests[] = {
	T(uname_fields),
	T(user_and_group_ids),
	T(arch_prctl_fs),
	T(arch_prctl_errors),
	T(arch_prctl_fs_per_process),
	T(sched_affinity),
	T(setaffinity_moves_to_each_cpu),
	T(getcpu_in_mask),
	T(getrandom_bytes),
	T(unknown_syscalls_enosys),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
