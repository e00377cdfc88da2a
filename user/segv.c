/*
 * segv - dereferences a null pointer.  The kernel must turn the page fault
 * into SIGSEGV for this process only: its parent sees "killed by signal
 * 11" (the shell prints it, run-qemu.sh --run exits with 139) and the
 * machine carries on.
 */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;

	printf("segv: writing to address 0\n");
	fflush(stdout);
	*p = 42;
	printf("segv: still alive?\n");
	return 1;
}
