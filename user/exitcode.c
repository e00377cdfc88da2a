/*
 * exitcode N - exits with status N (0..255), for the tests of exit-status
 * propagation: ./run-qemu.sh --run "/bin/exitcode 3" must exit with 3.
 */
#include <stdlib.h>

int main(int argc, char **argv)
{
	return argc > 1 ? atoi(argv[1]) & 0xff : 0;
}
