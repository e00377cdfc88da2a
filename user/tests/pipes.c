/*
 * pipes - pipe(2) and pipe2(2) as pipe(7) describes them: bytes in order,
 * end of file when the last writer closes, SIGPIPE/EPIPE when the last
 * reader has, O_NONBLOCK's EAGAIN, atomic writes of up to PIPE_BUF bytes,
 * EINTR for a blocked reader, and the bad-argument errors.  Runs under
 * Switchyard and natively on Linux.
 */
#include "ktap.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PIPE_BUF_BYTES 4096

TEST(bytes_in_order)
{
	int p[2];
	char buf[64];

	ASSERT(pipe(p) == 0);
	EXPECT_EQ(write(p[1], "hello, ", 7), 7);
	EXPECT_EQ(write(p[1], "pipe", 4), 4);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 11);
	EXPECT(memcmp(buf, "hello, pipe", 11) == 0);
	struct stat st;
	EXPECT_EQ(fstat(p[0], &st), 0);
	EXPECT(S_ISFIFO(st.st_mode));
	EXPECT_ERRNO(write(p[0], "x", 1), EBADF);	/* the read end */
	EXPECT_ERRNO(read(p[1], buf, 1), EBADF);	/* the write end */
	close(p[0]);
	close(p[1]);
}

TEST(eof_after_last_writer)
{
	int p[2];
	char c;

	ASSERT(pipe(p) == 0);
	int w2 = dup(p[1]);
	EXPECT_EQ(write(w2, "z", 1), 1);
	close(p[1]);
	EXPECT_EQ(read(p[0], &c, 1), 1);	/* data first */
	close(w2);
	EXPECT_EQ(read(p[0], &c, 1), 0);	/* then end of file */
	close(p[0]);
}

TEST(epipe_and_sigpipe)
{
	int p[2];

	ASSERT(pipe(p) == 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		write(p[1], "x", 1);		/* default action: killed */
		_exit(0);
	}
	int st = 0;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
	close(p[1]);
}

TEST(nonblocking_eagain)
{
	int p[2];
	char buf[4096];

	ASSERT(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
	EXPECT(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	EXPECT(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	EXPECT_ERRNO(read(p[0], buf, 1), EAGAIN);
	memset(buf, 'a', sizeof(buf));
	long total = 0, n;
	while ((n = write(p[1], buf, sizeof(buf))) > 0)
		total += n;
	EXPECT_EQ(n, -1);
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_GE(total, PIPE_BUF_BYTES);		/* some capacity */
	DIAG("capacity %ld bytes", total);
	close(p[0]);
	close(p[1]);
	EXPECT_ERRNO(pipe2(p, 0x12345), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pipe, (void *)8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pipe2, (void *)0xffff800000000000UL, 0), EFAULT);
}

/* Four writers send 1000-byte records; each must arrive whole. */
TEST(small_writes_are_atomic)
{
	int p[2];

	ASSERT(pipe(p) == 0);
	for (int w = 0; w < 4; w++) {
		pid_t pid = fork();
		ASSERT(pid >= 0);
		if (pid == 0) {
			char rec[1000];
			close(p[0]);
			memset(rec, 'A' + w, sizeof(rec));
			for (int i = 0; i < 50; i++)
				if (write(p[1], rec, sizeof(rec)) != sizeof(rec))
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	char rec[1000];
	long records = 0, bad = 0;
	size_t have = 0;
	ssize_t n;
	while ((n = read(p[0], rec + have, sizeof(rec) - have)) > 0) {
		have += (size_t)n;
		if (have < sizeof(rec))
			continue;
		for (size_t i = 1; i < sizeof(rec); i++)
			bad += rec[i] != rec[0];
		records++;
		have = 0;
	}
	EXPECT_EQ(records, 200);
	EXPECT_EQ(bad, 0);
	for (int w = 0; w < 4; w++) {
		int st = 0;
		EXPECT(wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	close(p[0]);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(blocked_read_gets_eintr)
{
	int p[2];
	char c;
	struct sigaction sa;

	ASSERT(pipe(p) == 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;		/* no SA_RESTART */
	ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	EXPECT_ERRNO(read(p[0], &c, 1), EINTR);
	waitpid(pid, NULL, 0);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

/* Parent and child pass a counter back and forth. */
TEST(ping_pong_between_processes)
{
	int a[2], b[2];

	ASSERT(pipe(a) == 0 && pipe(b) == 0);
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		int v;
		close(a[1]);		/* else its own copy keeps EOF away */
		close(b[0]);
		while (read(a[0], &v, sizeof(v)) == sizeof(v)) {
			v++;
			if (write(b[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
		}
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	int v = 0;
	for (int i = 0; i < 500; i++) {
		EXPECT_EQ(write(a[1], &v, sizeof(v)), (long)sizeof(v));
		EXPECT_EQ(read(b[0], &v, sizeof(v)), (long)sizeof(v));
	}
	EXPECT_EQ(v, 500);
	close(a[1]);				/* the child sees EOF */
	int st = 0;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(b[0]);
}

static const struct ktap_test tests[] = {
	T(bytes_in_order),
	T(eof_after_last_writer),
	T(epipe_and_sigpipe),
	T(nonblocking_eagain),
	T(small_writes_are_atomic),
	T(blocked_read_gets_eintr),
	T(ping_pong_between_processes),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
