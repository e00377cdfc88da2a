/*
 * exec_stack.c - build a new program's initial stack (see exec_stack.h).
 *
 * Owns the layout and nothing else: addresses are computed once, top down,
 * by stack_layout(), and both exec_stack_size() and build_exec_stack() use
 * that one computation, so the size exec allocates and the image it gets
 * can never disagree.
 *
 * Why the order: the ABI fixes only the part from argc up to AT_NULL
 * (argc at [rsp], argv right above it, then envp, then auxv) and requires
 * rsp % 16 == 0 at entry.  Everything above is pointed to, so its order is
 * free; we keep Linux's (strings highest, 16 random bytes at the very top
 * where they stay 16-aligned) so a stack dump looks the same as on Linux.
 * The padding goes between the strings and auxv: that is the only place
 * where slack does not move argc away from an aligned address.
 */
#include "kernel/exec_stack.h"
#include "kernel/errno.h"
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/string.h"
#endif

#define EXEC_PAGESZ	4096		/* AT_PAGESZ */

/*
 * The strings block must hold exactly argc + envc NUL-terminated strings
 * and nothing after them; *@argv_bytes gets the size of argv's part.
 */
static int walk_strings(const struct exec_stack_args *a, size_t *argv_bytes)
{
	size_t pos = 0;
	int n = a->argc + a->envc;

	*argv_bytes = 0;
	for (int i = 0; i < n; i++) {
		size_t len;

		if (pos >= a->strings_len)
			return -EINVAL;		/* fewer strings than counted */
		len = strnlen(a->strings + pos, a->strings_len - pos);
		if (len == a->strings_len - pos)
			return -EINVAL;		/* last string unterminated */
		pos += len + 1;
		if (i == a->argc - 1)
			*argv_bytes = pos;
	}
	return pos == a->strings_len ? 0 : -EINVAL;
}

static int stack_layout(const struct exec_stack_args *a, struct exec_stack_layout *l)
{
	size_t execfn_len, argv_bytes;
	u64 words, need, p;
	int err;

	if (a->argc < 0 || a->envc < 0 || (a->stack_top & 15) || !a->execfn)
		return -EINVAL;
	if (a->strings_len && !a->strings)
		return -EINVAL;
	/* the limit first: a huge count must not make us walk anything */
	if ((u64)a->strings_len + ((u64)a->argc + a->envc + 2) * 8 > EXEC_ARG_MAX)
		return -E2BIG;
	err = walk_strings(a, &argv_bytes);
	if (err)
		return err;
	execfn_len = strnlen(a->execfn, EXEC_PATH_MAX);
	if (execfn_len == EXEC_PATH_MAX)
		return -E2BIG;

	/* argc, argv + NULL, envp + NULL, auxv pairs */
	words = 1 + (u64)a->argc + 1 + (u64)a->envc + 1 + 2 * EXEC_AUXV_ENTRIES;
	need = 16 + sizeof(EXEC_PLATFORM) + execfn_len + 1 + a->strings_len +
	       words * 8 + 15;
	if (need > a->stack_top)
		return -E2BIG;		/* cannot happen for a real stack top */

	p = a->stack_top - 16;
	l->random = p;
	p -= sizeof(EXEC_PLATFORM);
	l->platform = p;
	p -= execfn_len + 1;
	l->execfn = p;
	p -= a->strings_len;
	l->arg_start = p;
	l->arg_end = l->env_start = p + argv_bytes;
	l->env_end = p + a->strings_len;
	l->sp = ALIGN_DOWN(p - words * 8, 16);
	l->argv = l->sp + 8;
	l->envp = l->argv + ((u64)a->argc + 1) * 8;
	l->auxv = l->envp + ((u64)a->envc + 1) * 8;
	l->size = a->stack_top - l->sp;
	return 0;
}

int exec_stack_size(const struct exec_stack_args *a, size_t *size)
{
	struct exec_stack_layout l;
	int err = stack_layout(a, &l);

	*size = err ? 0 : l.size;
	return err;
}

struct image {
	u8 *buf;
	u64 base;			/* the user address of buf[0] */
};

static void put_bytes(struct image *im, u64 uaddr, const void *src, size_t n)
{
	memcpy(im->buf + (uaddr - im->base), src, n);
}

static void put_word(struct image *im, u64 uaddr, u64 val)
{
	put_bytes(im, uaddr, &val, 8);	/* memcpy: no alignment assumed */
}

/* The auxiliary vector: what the program learns from the kernel at entry
 * (musl reads AT_PHDR/AT_PHNUM for its TLS, AT_RANDOM for the stack
 * protector canary, AT_PAGESZ, AT_HWCAP, AT_SECURE, AT_EXECFN). */
static void put_auxv(struct image *im, const struct exec_stack_args *a,
		     const struct exec_stack_layout *l)
{
	const u64 auxv[][2] = {
		{ AT_HWCAP, a->hwcap },
		{ AT_PAGESZ, EXEC_PAGESZ },
		{ AT_CLKTCK, EXEC_CLKTCK },
		{ AT_PHDR, a->phdr },
		{ AT_PHENT, a->phent },
		{ AT_PHNUM, a->phnum },
		{ AT_BASE, 0 },			/* no interpreter */
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, a->entry },
		{ AT_UID, 0 },			/* everyone is root */
		{ AT_EUID, 0 },
		{ AT_GID, 0 },
		{ AT_EGID, 0 },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, l->random },
		{ AT_EXECFN, l->execfn },
		{ AT_PLATFORM, l->platform },
		{ AT_NULL, 0 },			/* last */
	};

	u64 at = l->auxv;

	_Static_assert(ARRAY_SIZE(auxv) == EXEC_AUXV_ENTRIES,
		       "stack_layout reserves EXEC_AUXV_ENTRIES auxv pairs");
	for (size_t i = 0; i < ARRAY_SIZE(auxv); i++, at += 16) {
		put_word(im, at, auxv[i][0]);
		put_word(im, at + 8, auxv[i][1]);
	}
}

int build_exec_stack(void *buf, size_t bufsize, const struct exec_stack_args *a,
		     struct exec_stack_layout *out)
{
	struct exec_stack_layout l;
	struct image im;
	size_t pos;
	int err = stack_layout(a, &l);

	if (err)
		return err;
	if (l.size > bufsize)
		return -E2BIG;
	im.buf = buf;
	im.base = a->stack_top - bufsize;
	/* the padding (and each string's NUL, below): zeros, not stale bytes */
	memset(im.buf + (bufsize - l.size), 0, l.size);

	put_bytes(&im, l.random, a->random, 16);
	put_bytes(&im, l.platform, EXEC_PLATFORM, sizeof(EXEC_PLATFORM));
	put_bytes(&im, l.execfn, a->execfn, l.platform - l.execfn - 1);
	/* (the NUL after execfn is already there from the memset) */
	if (a->strings_len)
		put_bytes(&im, l.arg_start, a->strings, a->strings_len);

	put_word(&im, l.sp, (u64)a->argc);
	/* one pointer per string, in block order: argv's, then envp's */
	pos = 0;
	for (int i = 0; i < a->argc + a->envc; i++) {
		u64 slot = i < a->argc ? l.argv + (u64)i * 8
				       : l.envp + (u64)(i - a->argc) * 8;

		put_word(&im, slot, l.arg_start + pos);
		pos += strlen(a->strings + pos) + 1;
	}
	put_word(&im, l.argv + (u64)a->argc * 8, 0);
	put_word(&im, l.envp + (u64)a->envc * 8, 0);

	put_auxv(&im, a, &l);

	*out = l;
	return 0;
}
