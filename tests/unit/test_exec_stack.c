/*
 * test_exec_stack.c - host tests for kernel/exec_stack.c, the initial
 * process stack.
 *
 * Each test builds a stack image in an exact-size heap buffer (so ASan
 * catches a write outside it) and then reads it back the way a C runtime
 * does at _start: argc at [sp], argv after it, envp after argv's NULL,
 * auxv after envp's NULL, every pointer a user address inside the image.
 */
#include <stdlib.h>
#include <stdint.h>
#include "unit.h"
#include "kernel/exec_stack.h"
#include "kernel/errno.h"

#define TOP	0x7fffffffe000ULL

struct strs {
	char buf[EXEC_ARG_MAX + 64];
	size_t len;
	int n;
};

static void add(struct strs *s, const char *str)
{
	size_t n = strlen(str) + 1;

	memcpy(s->buf + s->len, str, n);
	s->len += n;
	s->n++;
}

/* argv's and envp's strings, back to back, as exec gathers them */
static void mk_args(struct exec_stack_args *a, struct strs *s, const char *const *argv,
		    const char *const *envp)
{
	memset(a, 0, sizeof(*a));
	s->len = 0;
	s->n = 0;
	for (; argv && *argv; argv++)
		add(s, *argv);
	a->argc = s->n;
	for (; envp && *envp; envp++)
		add(s, *envp);
	a->envc = s->n - a->argc;
	a->strings = s->buf;
	a->strings_len = s->len;
	a->stack_top = TOP;
	a->execfn = "/bin/prog";
	for (int i = 0; i < 16; i++)
		a->random[i] = (u8)(0xa0 + i);
	a->phdr = 0x400040;
	a->phent = 56;
	a->phnum = 6;
	a->entry = 0x40102b;
	a->hwcap = 0x178bfbff;
}

/* The image and the user address of its first byte. */
struct view {
	u8 *buf;
	size_t size;
	u64 base;
};

static bool in_image(const struct view *v, u64 addr, size_t n)
{
	return addr >= v->base && addr - v->base <= v->size && n <= v->size - (addr - v->base);
}

static u64 word(const struct view *v, u64 addr)
{
	u64 w = 0;

	CHECK(in_image(v, addr, 8));
	if (in_image(v, addr, 8))
		memcpy(&w, v->buf + (addr - v->base), 8);
	return w;
}

static const char *str(const struct view *v, u64 addr)
{
	CHECK(in_image(v, addr, 1));
	if (!in_image(v, addr, 1))
		return "(outside)";
	CHECK(memchr(v->buf + (addr - v->base), 0, v->size - (addr - v->base)) != NULL);
	return (const char *)v->buf + (addr - v->base);
}

static u64 auxval(const struct view *v, u64 auxv, u64 type, int *count)
{
	u64 val = 0;

	*count = 0;
	for (u64 at = auxv;; at += 16) {
		u64 t = word(v, at);

		if (t == type) {
			val = word(v, at + 8);
			(*count)++;
		}
		if (t == AT_NULL || !in_image(v, at + 16, 16))
			break;
	}
	return val;
}

/* Build into an exact-size buffer, parse it back, compare everything. */
static void build_and_parse(const struct exec_stack_args *a, const char *const *argv,
			    const char *const *envp)
{
	struct exec_stack_layout l;
	struct view v;
	size_t size;
	u64 sp, p;
	int argc, n;

	CHECK_EQ(exec_stack_size(a, &size), 0);
	v.buf = malloc(size);
	v.size = size;
	v.base = a->stack_top - size;
	CHECK_EQ(build_exec_stack(v.buf, size, a, &l), 0);
	sp = l.sp;
	CHECK_EQ(sp % 16, 0);				/* the ABI's rule */
	CHECK_EQ(sp, v.base);
	CHECK_EQ(l.size, size);
	/* slack is padding only: less than 16 bytes beyond what is needed */
	CHECK(l.arg_start - (l.auxv + 16 * EXEC_AUXV_ENTRIES) < 16);

	argc = (int)word(&v, sp);
	CHECK_EQ(argc, a->argc);
	CHECK_EQ(l.argv, sp + 8);
	for (int i = 0; i < argc; i++) {
		p = word(&v, l.argv + 8 * i);
		CHECK(p >= l.arg_start && p < l.arg_end);
		CHECK_STR(str(&v, p), argv[i]);
	}
	CHECK_EQ(word(&v, l.argv + 8 * argc), 0);
	CHECK_EQ(l.envp, l.argv + 8 * (argc + 1));
	for (n = 0; word(&v, l.envp + 8 * n); n++) {
		p = word(&v, l.envp + 8 * n);
		CHECK(p >= l.env_start && p < l.env_end);
		CHECK_STR(str(&v, p), envp[n]);
		if (n > a->envc)
			break;
	}
	CHECK_EQ(n, a->envc);
	CHECK_EQ(l.auxv, l.envp + 8 * (n + 1));
	CHECK_EQ(l.arg_end - l.arg_start + l.env_end - l.env_start, a->strings_len);

	/* every entry exactly once, with the values asked for */
	static const struct { u64 type; } must[] = {
		{ AT_PHDR }, { AT_PHENT }, { AT_PHNUM }, { AT_PAGESZ }, { AT_BASE },
		{ AT_FLAGS }, { AT_ENTRY }, { AT_UID }, { AT_EUID }, { AT_GID },
		{ AT_EGID }, { AT_SECURE }, { AT_RANDOM }, { AT_HWCAP }, { AT_CLKTCK },
		{ AT_PLATFORM }, { AT_EXECFN },
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		auxval(&v, l.auxv, must[i].type, &n);
		CHECK_EQ(n, 1);
	}
	CHECK_EQ(word(&v, l.auxv + 16 * (EXEC_AUXV_ENTRIES - 1)), AT_NULL);
	CHECK_EQ(auxval(&v, l.auxv, AT_PHDR, &n), a->phdr);
	CHECK_EQ(auxval(&v, l.auxv, AT_PHENT, &n), 56);
	CHECK_EQ(auxval(&v, l.auxv, AT_PHNUM, &n), a->phnum);
	CHECK_EQ(auxval(&v, l.auxv, AT_ENTRY, &n), a->entry);
	CHECK_EQ(auxval(&v, l.auxv, AT_PAGESZ, &n), 4096);
	CHECK_EQ(auxval(&v, l.auxv, AT_BASE, &n), 0);
	CHECK_EQ(auxval(&v, l.auxv, AT_FLAGS, &n), 0);
	CHECK_EQ(auxval(&v, l.auxv, AT_UID, &n), 0);
	CHECK_EQ(auxval(&v, l.auxv, AT_SECURE, &n), 0);
	CHECK_EQ(auxval(&v, l.auxv, AT_CLKTCK, &n), 100);
	CHECK_EQ(auxval(&v, l.auxv, AT_HWCAP, &n), a->hwcap);
	p = auxval(&v, l.auxv, AT_RANDOM, &n);
	CHECK_EQ(p, l.random);
	CHECK_EQ(p, a->stack_top - 16);			/* top, 16-aligned */
	CHECK(in_image(&v, p, 16) && !memcmp(v.buf + (p - v.base), a->random, 16));
	p = auxval(&v, l.auxv, AT_PLATFORM, &n);
	CHECK_EQ(p, l.platform);
	CHECK_STR(str(&v, p), "x86_64");
	p = auxval(&v, l.auxv, AT_EXECFN, &n);
	CHECK_EQ(p, l.execfn);
	CHECK_STR(str(&v, p), a->execfn);
	free(v.buf);
}

UNIT_TEST(typical_program)
{
	static struct strs s;
	struct exec_stack_args a;
	const char *argv[] = { "prog", "-x", "", "last arg", NULL };
	const char *envp[] = { "HOME=/", "PATH=/bin:/sbin", "TERM=linux", NULL };

	mk_args(&a, &s, argv, envp);
	CHECK_EQ(a.argc, 4);
	CHECK_EQ(a.envc, 3);
	build_and_parse(&a, argv, envp);
}

UNIT_TEST(no_arguments_no_environment)
{
	static struct strs s;
	struct exec_stack_args a;
	const char *none[] = { NULL };

	/* execve(path, NULL, NULL): argc 0, argv[0] NULL, envp empty */
	mk_args(&a, &s, NULL, NULL);
	a.strings = NULL;
	CHECK_EQ(a.argc, 0);
	build_and_parse(&a, none, none);
}

UNIT_TEST(alignment_for_every_shape)
{
	static struct strs s;
	struct exec_stack_args a;
	static char names[40][40];
	const char *argv[41], *envp[41];

	/* all argc/envc parities and string lengths mod 16 */
	for (int na = 0; na < 6; na++)
		for (int ne = 0; ne < 6; ne++)
			for (int len = 0; len < 17; len += 3) {
				for (int i = 0; i < na + ne; i++) {
					memset(names[i], 'a' + i % 26, len + i % 5);
					names[i][len + i % 5] = '\0';
				}
				for (int i = 0; i < na; i++)
					argv[i] = names[i];
				argv[na] = NULL;
				for (int i = 0; i < ne; i++)
					envp[i] = names[na + i];
				envp[ne] = NULL;
				mk_args(&a, &s, argv, envp);
				a.execfn = len & 1 ? "/x" : "/a/longer/path/name";
				build_and_parse(&a, argv, envp);
			}
}

UNIT_TEST(image_sits_at_the_top_of_a_bigger_buffer)
{
	static struct strs s;
	struct exec_stack_args a;
	struct exec_stack_layout l;
	const char *argv[] = { "prog", NULL };
	size_t size, big = 8192;
	u8 *buf = malloc(big);

	mk_args(&a, &s, argv, NULL);
	CHECK_EQ(exec_stack_size(&a, &size), 0);
	memset(buf, 0xaa, big);
	CHECK_EQ(build_exec_stack(buf, big, &a, &l), 0);
	CHECK_EQ(l.size, size);
	CHECK_EQ(l.sp, TOP - size);
	for (size_t i = 0; i < big - size; i++)
		if (buf[i] != 0xaa) {
			CHECK(buf[i] == 0xaa);		/* touched below the image */
			break;
		}
	CHECK_EQ(buf[big - size], 1);			/* argc, little-endian */
	free(buf);
}

UNIT_TEST(e2big_at_the_limit)
{
	static struct strs s;
	struct exec_stack_args a;
	struct exec_stack_layout l;
	size_t size;
	/* one argument string that, with argv[0..1] and envp[0] (3 words),
	 * fills EXEC_ARG_MAX exactly */
	size_t fill = EXEC_ARG_MAX - 3 * 8;
	char *big = malloc(fill);
	const char *argv[] = { big, NULL };
	u8 *buf;

	memset(big, 'x', fill - 1);
	big[fill - 1] = '\0';
	mk_args(&a, &s, argv, NULL);
	CHECK_EQ(exec_stack_size(&a, &size), 0);
	buf = malloc(size);
	CHECK_EQ(build_exec_stack(buf, size, &a, &l), 0);
	free(buf);
	/* one byte more is too much */
	big[fill - 1] = 'x';
	s.buf[s.len - 1] = 'x';
	s.buf[s.len++] = '\0';
	a.strings_len = s.len;
	CHECK_EQ(exec_stack_size(&a, &size), -E2BIG);
	CHECK_EQ(size, 0);
	buf = malloc(1);
	CHECK_EQ(build_exec_stack(buf, 1, &a, &l), -E2BIG);
	free(buf);
	free(big);
}

UNIT_TEST(e2big_many_empty_strings)
{
	static struct strs s;
	struct exec_stack_args a;
	size_t size;
	/* each empty string costs 1 byte + an 8-byte pointer */
	int n = (EXEC_ARG_MAX - 2 * 8) / 9;

	mk_args(&a, &s, NULL, NULL);
	memset(s.buf, 0, n + 1);
	a.strings = s.buf;
	a.argc = n;
	a.strings_len = n;
	CHECK_EQ(exec_stack_size(&a, &size), 0);
	a.argc = n + 1;
	a.strings_len = n + 1;
	CHECK_EQ(exec_stack_size(&a, &size), -E2BIG);
	/* absurd counts fail on the count alone, before any string is read */
	a.argc = 0x7fffffff;
	a.envc = 0x7fffffff;
	a.strings = NULL;
	a.strings_len = 0;
	CHECK_EQ(exec_stack_size(&a, &size), -E2BIG);
}

UNIT_TEST(buffer_too_small)
{
	static struct strs s;
	struct exec_stack_args a;
	struct exec_stack_layout l;
	const char *argv[] = { "prog", NULL };
	size_t size;
	u8 *buf;

	mk_args(&a, &s, argv, NULL);
	CHECK_EQ(exec_stack_size(&a, &size), 0);
	buf = malloc(size - 1);
	CHECK_EQ(build_exec_stack(buf, size - 1, &a, &l), -E2BIG);
	free(buf);
	/* a stack top too low to hold the image */
	a.stack_top = 64;
	CHECK_EQ(exec_stack_size(&a, &size), -E2BIG);
}

UNIT_TEST(malformed_strings_block)
{
	static struct strs s;
	struct exec_stack_args a;
	const char *argv[] = { "a", "bc", NULL };
	size_t size;

	mk_args(&a, &s, argv, NULL);
	a.strings_len--;				/* last NUL cut off */
	CHECK_EQ(exec_stack_size(&a, &size), -EINVAL);
	mk_args(&a, &s, argv, NULL);
	a.argc = 3;					/* more strings than there are */
	CHECK_EQ(exec_stack_size(&a, &size), -EINVAL);
	mk_args(&a, &s, argv, NULL);
	a.argc = 1;					/* bytes left over */
	CHECK_EQ(exec_stack_size(&a, &size), -EINVAL);
	mk_args(&a, &s, argv, NULL);
	a.argc = -1;
	CHECK_EQ(exec_stack_size(&a, &size), -EINVAL);
	mk_args(&a, &s, argv, NULL);
	a.stack_top = TOP - 8;				/* not 16-aligned */
	CHECK_EQ(exec_stack_size(&a, &size), -EINVAL);
	mk_args(&a, &s, argv, NULL);
	a.strings = NULL;
	CHECK_EQ(exec_stack_size(&a, &size), -EINVAL);
}

UNIT_TEST(execfn_too_long)
{
	static struct strs s;
	static char path[EXEC_PATH_MAX + 1];
	struct exec_stack_args a;
	size_t size;

	mk_args(&a, &s, NULL, NULL);
	memset(path, 'p', EXEC_PATH_MAX - 1);
	a.execfn = path;				/* 4095 chars + NUL: fine */
	CHECK_EQ(exec_stack_size(&a, &size), 0);
	path[EXEC_PATH_MAX - 1] = 'p';
	CHECK_EQ(exec_stack_size(&a, &size), -E2BIG);
}

int main(void)
{
	return unit_run_all();
}
