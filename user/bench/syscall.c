/*
 * syscall - the null system call: getpid(), entry to exit with nothing in
 * between but the dispatch.  The floor is SYSCALL, SWAPGS, the stack
 * switch, the register save and restore, SWAPGS, SYSRET
 * (docs/performance.md); with pti=on add two CR3 writes.
 */
#include "bench.h"
#include <sys/syscall.h>

static void op_getpid(void *arg)
{
	syscall(SYS_getpid);
}

int main(int argc, char **argv)
{
	bench_init(argc, argv, "syscall");
	bench_run("getpid", iters(2000), 100, op_getpid, NULL);
	return 0;
}
