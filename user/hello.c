/*
 * hello - the first user program: prints a greeting and its arguments.
 *
 *   $ hello a b
 *   hello, world
 *   argv[0] = "/bin/hello"
 *   argv[1] = "a"
 *   argv[2] = "b"
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello, world\n");
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = \"%s\"\n", i, argv[i]);
	return 0;
}
