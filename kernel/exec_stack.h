/*
 * exec_stack.h - the initial user stack of a new program (SysV x86-64 ABI,
 * "Process Initialization"; Linux's fs/binfmt_elf.c create_elf_tables).
 *
 * build_exec_stack() writes the image into a kernel buffer that stands
 * for the top of the user stack: buffer byte bufsize-1 is user address
 * stack_top-1.  exec then copies it into the new address space.  From the
 * top down (docs/exec.md draws it with addresses):
 *
 *	stack_top ->	16 random bytes			<- AT_RANDOM
 *			"x86_64\0"			<- AT_PLATFORM
 *			execfn "\0"			<- AT_EXECFN (the path execve got)
 *			argv strings, then envp strings	(each NUL-terminated)
 *			padding to 16 bytes
 *			auxv: (type, value) pairs, AT_NULL last
 *			envp[0..envc-1], NULL
 *			argv[0..argc-1], NULL
 *	sp ->		argc				(rsp % 16 == 0)
 *
 * The builder is pure (the host tests parse the image back).  The caller
 * gathers the strings: argv's then envp's, each NUL-terminated, back to
 * back in one block, as exec copies them from user space.
 *
 * Limit: the strings plus their pointer slots (argc + envc + 2 words) may
 * not exceed EXEC_ARG_MAX, else -E2BIG (Linux counts the pointers too,
 * against a quarter of the stack rlimit; here a fixed 128 KiB).
 */
#ifndef KERNEL_EXEC_STACK_H
#define KERNEL_EXEC_STACK_H

#include "kernel/types.h"

#define EXEC_ARG_MAX		(128 * 1024)
#define EXEC_PATH_MAX		4096		/* PATH_MAX, with the NUL */
#define EXEC_PLATFORM		"x86_64"
#define EXEC_CLKTCK		100		/* USER_HZ: times() ticks */

/* auxiliary vector types (Linux's include/uapi/linux/auxvec.h) */
#define AT_NULL		0
#define AT_IGNORE	1
#define AT_PHDR		3
#define AT_PHENT	4
#define AT_PHNUM	5
#define AT_PAGESZ	6
#define AT_BASE		7
#define AT_FLAGS	8
#define AT_ENTRY	9
#define AT_UID		11
#define AT_EUID		12
#define AT_GID		13
#define AT_EGID		14
#define AT_PLATFORM	15
#define AT_HWCAP	16
#define AT_CLKTCK	17
#define AT_SECURE	23
#define AT_RANDOM	25
#define AT_EXECFN	31

#define EXEC_AUXV_ENTRIES	18	/* pairs written, AT_NULL included */

struct exec_stack_args {
	u64 stack_top;		/* user address just above the image; 16-aligned */
	const char *strings;	/* argc + envc strings, argv's first */
	size_t strings_len;	/* bytes in @strings, every NUL included */
	int argc, envc;
	const char *execfn;	/* AT_EXECFN, NUL-terminated */
	u8 random[16];		/* AT_RANDOM's bytes */
	/* auxv values that describe the program (elf_info) or the CPU */
	u64 phdr, phent, phnum, entry;
	u64 hwcap;		/* CPUID.1:EDX, as Linux's ELF_HWCAP */
};

/* User addresses of what was built (for mm->arg_start and friends). */
struct exec_stack_layout {
	u64 sp;			/* the initial RSP: points at argc */
	u64 argv, envp, auxv;	/* the three arrays */
	u64 arg_start, arg_end;	/* argv strings */
	u64 env_start, env_end;	/* envp strings */
	u64 execfn, platform, random;
	size_t size;		/* stack_top - sp: the image is the top @size bytes */
};

/* Bytes the image will take (0 and -E2BIG/-EINVAL as build would fail). */
int exec_stack_size(const struct exec_stack_args *a, size_t *size);

/*
 * Build the image in the top of @buf (bufsize bytes standing for
 * [stack_top - bufsize, stack_top)).  Returns 0 and fills @out, -E2BIG
 * when the arguments exceed EXEC_ARG_MAX or the buffer, -EINVAL when the
 * strings block does not hold exactly argc + envc strings or stack_top is
 * not 16-aligned.
 */
int build_exec_stack(void *buf, size_t bufsize, const struct exec_stack_args *a,
		     struct exec_stack_layout *out);

#endif
