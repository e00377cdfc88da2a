/*
 * time - clock_gettime, clock_getres, nanosleep, clock_nanosleep and
 * sched_yield: clocks that move forward, sleeps that last at least as long
 * as asked (and not absurdly longer), and Linux's errors for bad clocks,
 * bad timespecs and bad pointers.
 *
 * The upper bounds are loose (seconds): QEMU without KVM can be slow.
 */
#include "ktap.h"

#include <sched.h>

#define MS 1000000LL

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* the raw system call: musl uses the vDSO on Linux when it can */
static long sys_clock_gettime(clockid_t clk, void *ts)
{
	return syscall(SYS_clock_gettime, clk, ts);
}

TEST(clock_gettime_monotonic)
{
	struct timespec a, b;
	EXPECT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &a), 0);
	EXPECT(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L);
	EXPECT(a.tv_sec >= 0);
	long long prev = ts_ns(&a);
	int backwards = 0, bad_nsec = 0;
	for (int i = 0; i < 2000; i++) {
		if (sys_clock_gettime(CLOCK_MONOTONIC, &b) != 0)
			break;
		if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000L)
			bad_nsec++;
		if (ts_ns(&b) < prev)
			backwards++;
		prev = ts_ns(&b);
	}
	EXPECT_EQ(backwards, 0);
	EXPECT_EQ(bad_nsec, 0);
	/* it does move: spin until it has */
	int moved = 0;
	for (int i = 0; i < 1000000 && !moved; i++) {
		sys_clock_gettime(CLOCK_MONOTONIC, &b);
		moved = ts_ns(&b) > ts_ns(&a);
	}
	EXPECT(moved);
	/* and agrees with musl's clock_gettime */
	struct timespec c;
	EXPECT_EQ(clock_gettime(CLOCK_MONOTONIC, &c), 0);
	EXPECT_GE(ts_ns(&c), ts_ns(&b));
}

TEST(clock_gettime_realtime)
{
	struct timespec a, b;
	EXPECT_EQ(sys_clock_gettime(CLOCK_REALTIME, &a), 0);
	EXPECT(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L);
	EXPECT(a.tv_sec >= 0);
	sleep_ms(20);
	EXPECT_EQ(sys_clock_gettime(CLOCK_REALTIME, &b), 0);
	EXPECT_GE(ts_ns(&b) - ts_ns(&a), 15 * MS);
	EXPECT_GE(time(NULL), 0);
}

TEST(clock_gettime_errors)
{
	struct timespec ts;
	EXPECT_ERRNO(sys_clock_gettime(100, &ts), EINVAL);
	EXPECT_ERRNO(sys_clock_gettime(-100, &ts), EINVAL);
	EXPECT_ERRNO(sys_clock_gettime(CLOCK_MONOTONIC, BAD_PTR), EFAULT);
	EXPECT_ERRNO(sys_clock_gettime(CLOCK_MONOTONIC, KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(sys_clock_gettime(CLOCK_REALTIME, NULL), EFAULT);
}

TEST(clock_getres)
{
	struct timespec res;
	EXPECT_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res), 0);
	EXPECT_EQ(res.tv_sec, 0);
	EXPECT(res.tv_nsec > 0 && res.tv_nsec <= 10 * MS);
	DIAG("CLOCK_MONOTONIC resolution %ld ns", res.tv_nsec);
	EXPECT_EQ(syscall(SYS_clock_getres, CLOCK_REALTIME, &res), 0);
	EXPECT(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10 * MS);
	EXPECT_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0);
	EXPECT_ERRNO(syscall(SYS_clock_getres, 100, &res), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_getres, CLOCK_MONOTONIC, KERNEL_PTR), EFAULT);
}

TEST(nanosleep_duration)
{
	static const long ms[] = { 1, 10, 50, 120 };
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct timespec ts = { 0, ms[i] * MS }, rem = { 99, 99 };
		long long start = now_ns();
		EXPECT_EQ(nanosleep(&ts, &rem), 0);
		long long took = now_ns() - start;
		EXPECT_GE(took, ms[i] * MS);
		EXPECT_LT(took, ms[i] * MS + 3000 * MS);
		DIAG("nanosleep %ld ms took %lld us", ms[i], took / 1000);
	}
	/* zero returns at once */
	struct timespec zero = { 0, 0 };
	long long start = now_ns();
	EXPECT_EQ(nanosleep(&zero, NULL), 0);
	EXPECT_LT(now_ns() - start, 1000 * MS);
	/* a whole second, given in tv_sec */
	struct timespec one = { 1, 0 };
	start = now_ns();
	EXPECT_EQ(nanosleep(&one, NULL), 0);
	EXPECT_GE(now_ns() - start, 1000 * MS);
}

TEST(nanosleep_errors)
{
	struct timespec bad = { 0, 1000000000L }, neg = { -1, 0 }, negns = { 0, -1 };
	EXPECT_ERRNO(syscall(SYS_nanosleep, &bad, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_nanosleep, &neg, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_nanosleep, &negns, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_nanosleep, NULL, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_nanosleep, BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_nanosleep, KERNEL_PTR, NULL), EFAULT);
}

TEST(clock_nanosleep_relative_and_absolute)
{
	struct timespec ts = { 0, 30 * MS };
	long long start = now_ns();
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL), 0);
	EXPECT_GE(now_ns() - start, 30 * MS);

	/* TIMER_ABSTIME: until a point on the clock */
	struct timespec now, until;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long target = ts_ns(&now) + 40 * MS;
	until.tv_sec = target / 1000000000LL;
	until.tv_nsec = target % 1000000000LL;
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
	struct timespec after;
	clock_gettime(CLOCK_MONOTONIC, &after);
	EXPECT_GE(ts_ns(&after), target);
	/* a time in the past returns at once */
	start = now_ns();
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL), 0);
	EXPECT_LT(now_ns() - start, 1000 * MS);
	/* on the realtime clock too */
	ts.tv_nsec = 10 * MS;
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &ts, NULL), 0);
	/* musl's wrapper returns the error number instead of setting errno */
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), 0);
}

TEST(clock_nanosleep_errors)
{
	struct timespec ts = { 0, 1000 }, bad = { 0, 1000000000L };
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 100, 0, &ts, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, NULL, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, KERNEL_PTR, NULL), EFAULT);
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
}

TEST(sched_yield_returns)
{
	for (int i = 0; i < 100; i++)
		if (sched_yield() != 0) {
			FAIL("sched_yield: %s", errname(errno));
			break;
		}
	EXPECT_EQ(syscall(SYS_sched_yield), 0);
}

TEST(sleeping_children_overlap)
{
	/* four children sleep 500 ms each at the same time: the total is
	 * well under the 2 s it would take one after another (sleeping does
	 * not hold the CPU) */
	long long start = now_ns();
	pid_t pids[4];
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sleep_ms(500);
			_exit(0);
		}
		ASSERT(pids[i] > 0);
	}
	for (int i = 0; i < 4; i++)
		EXPECT_EXIT(wait_for(pids[i]), 0);
	long long took = now_ns() - start;
	EXPECT_GE(took, 500 * MS);
	EXPECT_LT(took, 1500 * MS);
	DIAG("4 x 500 ms in parallel took %lld ms", took / MS);
}

static const struct ktap_test tests[] = {
	T(clock_gettime_monotonic),
	T(clock_gettime_realtime),
	T(clock_gettime_errors),
	T(clock_getres),
	T(nanosleep_duration),
	T(nanosleep_errors),
	T(clock_nanosleep_relative_and_absolute),
	T(clock_nanosleep_errors),
	T(sched_yield_returns),
	T(sleeping_children_overlap),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
