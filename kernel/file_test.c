/*
 * file_test.c - in-kernel tests of the file layer: the initrd tree,
 * filp_open/kernel_read, fd tables and their reference counts, the tty
 * line discipline, /proc, and the file system calls end to end.
 *
 * They run at boot, before any user process, in kmain's task (a kernel
 * thread without an fd table).  Tests that need one install their own
 * (files_alloc_console() or dup_files(NULL)) in current->files and put
 * the old value back.  Tests that need known files build a small newc
 * archive in memory and make it the root with initrd_set_root(), so they
 * do not depend on what the boot initrd holds; the boot initrd's own test
 * skips when there is none.  System calls are called through their
 * __x64_sys_* entry points with a pt_regs, on user memory of a private
 * mm (use_mm), so copy_*_user does what it does for a real process.
 *
 * Every test compares nr_open_files() and mem_snapshot() before and after.
 */
#include "kernel/ktest.h"
#include "kernel/fs_internal.h"
#include "kernel/cpio.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/printk.h"
#include "kernel/vsnprintf.h"
#include "kernel/traps.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "mm/leakcheck.h"
#include "sched/sched.h"

#define __SYSCALL(nr, name) long __x64_sys_##name(const struct pt_regs *regs);
#include "kernel/syscall_list.h"
#undef __SYSCALL

#define UBASE		0x600000UL	/* the test's user memory */
#define UPAGES		8
#define KERNEL_PTR	((u64)&boot_info_for_tests)

static u64 boot_info_for_tests;		/* any kernel address */

/* ------------------------------------------------------------ an archive */

struct test_ar {
	char *buf;
	size_t len, cap;
};

static void ar_add(struct test_ar *a, const char *name, u32 mode, const void *data, size_t size)
{
	size_t namesize = strlen(name) + 1;

	if (a->len + 110 + namesize + size + 8 > a->cap)
		return;
	snprintf(a->buf + a->len, 111, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 0u, mode, 0u, 0u, 1u, 1700000000u, (u32)size, 0u, 0u, 0u, 0u, (u32)namesize, 0u);
	a->len += 110;
	memcpy(a->buf + a->len, name, namesize);
	a->len = ALIGN_UP(a->len + namesize, 4);
	if (size)
		memcpy(a->buf + a->len, data, size);
	a->len = ALIGN_UP(a->len + size, 4);
}

#define DATA_SIZE	10000

static u8 data_byte(size_t i)
{
	return (u8)(i * 7 + i / 251);
}

/* The tree every test below knows: see the expectations in
 * initrd_tree_from_archive. */
static bool build_test_archive(struct test_ar *a)
{
	static u8 data[DATA_SIZE];

	for (size_t i = 0; i < DATA_SIZE; i++)
		data[i] = data_byte(i);
	a->cap = 32768;
	a->len = 0;
	a->buf = kzalloc(a->cap, GFP_KERNEL);
	if (!a->buf)
		return false;
	ar_add(a, ".", S_IFDIR | 0755, NULL, 0);
	ar_add(a, "bin", S_IFDIR | 0755, NULL, 0);
	ar_add(a, "bin/sh", S_IFREG | 0755, "#!sh\n", 5);
	ar_add(a, "./etc/motd", S_IFREG | 0644, "first\n", 6);	/* etc/ is implied */
	ar_add(a, "etc/link", S_IFLNK | 0777, "motd", 4);		/* ignored */
	ar_add(a, "etc/motd", S_IFREG | 0644, "second\n", 7);	/* replaces */
	ar_add(a, "data", S_IFREG | 0600, data, DATA_SIZE);
	ar_add(a, "x/y/z/deep", S_IFREG | 0444, "deep\n", 5);
	ar_add(a, "bin/sh/oops", S_IFREG | 0644, "no", 2);	/* sh is a file: ignored */
	ar_add(a, "TRAILER!!!", 0, NULL, 0);
	return true;
}

/* ------------------------------------------------------------ the setting */

struct env {
	struct test_ar ar;
	struct initrd_fs fs, *old_root;
	struct files_struct *old_files;
	struct mm_struct *mm;
	u64 files_before;
	struct mem_snapshot snap;
};

static bool env_setup(struct ktest_ctx *t, struct env *e, bool with_files, bool with_mm)
{
	memset(e, 0, sizeof(*e));
	e->files_before = nr_open_files();
	mem_snapshot(&e->snap);
	if (!build_test_archive(&e->ar))
		return false;
	if (initrd_fs_build(&e->fs, e->ar.buf, e->ar.len, NULL, NULL)) {
		kfree(e->ar.buf);
		return false;
	}
	e->old_root = initrd_set_root(&e->fs);
	e->old_files = current->files;
	current->files = NULL;
	if (with_files)
		current->files = files_alloc_console();
	if (with_mm) {
		e->mm = mm_alloc();
		if (e->mm && do_mmap_anon(e->mm, UBASE, UPAGES * PAGE_SIZE,
					  PROT_READ | PROT_WRITE, true) < 0) {
			mmput(e->mm);
			e->mm = NULL;
		}
		if (e->mm)
			use_mm(e->mm);
	}
	return (!with_files || current->files) && (!with_mm || e->mm);
}

static void env_teardown(struct ktest_ctx *t, struct env *e)
{
	struct mem_snapshot after;

	if (e->mm) {
		unuse_mm(e->mm);
		mmput(e->mm);
	}
	put_files(current->files);
	current->files = e->old_files;
	initrd_set_root(e->old_root);
	if (e->fs.root)
		initrd_fs_free(&e->fs);
	kfree(e->ar.buf);
	KEXPECT_EQ(nr_open_files(), e->files_before);
	mem_snapshot(&after);
	KEXPECT(mem_snapshot_same(&e->snap, &after));
}

/* user memory: a string or bytes at offset @off of the test's pages */
static u64 uput(u64 off, const void *p, size_t n)
{
	if (copy_to_user((void __user *)(UBASE + off), p, n))
		return 0;
	return UBASE + off;
}

static u64 ustr(u64 off, const char *s)
{
	return uput(off, s, strlen(s) + 1);
}

static long sys(long (*fn)(const struct pt_regs *), u64 a, u64 b, u64 c, u64 d)
{
	struct pt_regs r = { .di = a, .si = b, .dx = c, .r10 = d };

	return fn(&r);
}

/* ------------------------------------------------------------ the tree */

KTEST(initrd_tree_from_archive)
{
	struct test_ar ar;
	struct initrd_fs fs, *old;
	struct initrd_entry *e;
	struct mem_snapshot a, b;
	char path[64];

	mem_snapshot(&a);
	KASSERT(build_test_archive(&ar));
	KASSERT(initrd_fs_build(&fs, ar.buf, ar.len, NULL, NULL) == 0);
	/* files: sh, motd, data, deep; dirs: / bin etc x x/y x/y/z proc */
	KEXPECT_EQ(fs.nr_files, 4);
	KEXPECT_EQ(fs.nr_dirs, 7);
	KEXPECT_EQ(fs.nr_ignored, 2);		/* the symlink, bin/sh/oops */
	KEXPECT_EQ(fs.file_bytes, 5 + 7 + DATA_SIZE + 5);
	old = initrd_set_root(&fs);

	KEXPECT_EQ(initrd_resolve("/", &e), 0);
	KEXPECT(S_ISDIR(e->mode));
	KEXPECT_EQ(e->ino, 1);
	KEXPECT_EQ(e->nr_subdirs, 4);		/* bin etc x proc */
	KEXPECT_EQ(initrd_resolve("/etc/motd", &e), 0);
	KEXPECT_EQ(e->size, 7);
	KEXPECT(!memcmp(e->data, "second\n", 7));
	KEXPECT_EQ(e->mode, S_IFREG | 0644);
	KEXPECT_EQ(e->mtime, 1700000000);
	KEXPECT_EQ(initrd_resolve("/etc", &e), 0);
	KEXPECT_EQ(e->mode, S_IFDIR | 0755);	/* implied */
	KEXPECT_EQ(initrd_resolve("/x/y/z/deep", &e), 0);
	KEXPECT_EQ(initrd_path(e, path, sizeof(path)), 11);
	KEXPECT(!strcmp(path, "/x/y/z/deep"));
	KEXPECT_EQ(initrd_path(e, path, 11), -ENAMETOOLONG);
	KEXPECT_EQ(initrd_resolve("/proc", &e), 0);
	KEXPECT_EQ(initrd_path(fs.root, path, sizeof(path)), 1);
	KEXPECT(!strcmp(path, "/"));
	KEXPECT_EQ(initrd_resolve("/etc/link", &e), -ENOENT);
	KEXPECT_EQ(initrd_resolve("/bin/sh/oops", &e), -ENOTDIR);
	KEXPECT_EQ(initrd_resolve("/nope/x", &e), -ENOENT);
	KEXPECT_EQ(initrd_resolve("/data", &e), 0);
	KEXPECT_EQ(e->data[1234], data_byte(1234));
	/* the data points into the archive: nothing was copied */
	KEXPECT((const char *)e->data > ar.buf && (const char *)e->data < ar.buf + ar.len);

	initrd_set_root(old);
	initrd_fs_free(&fs);
	KEXPECT(fs.root == NULL);
	kfree(ar.buf);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(initrd_malformed_archive_rejected)
{
	struct test_ar ar;
	struct initrd_fs fs;
	struct mem_snapshot a, b;
	const char *why = NULL;
	size_t where = 0;

	mem_snapshot(&a);
	KASSERT(build_test_archive(&ar));
	/* cut in the middle of "data": the parser stops, nothing is kept */
	KEXPECT_EQ(initrd_fs_build(&fs, ar.buf, 1000, &why, &where), -EINVAL);
	KEXPECT(why != NULL && strstr(why, "past the end") != NULL);
	KEXPECT(where > 0 && where < 1000);
	KEXPECT(fs.root == NULL);
	ar.buf[ar.len / 2] ^= 0x55;
	ar.buf[0] = 'X';			/* bad magic */
	KEXPECT_EQ(initrd_fs_build(&fs, ar.buf, ar.len, &why, &where), -EINVAL);
	KEXPECT(strstr(why, "magic") != NULL);
	KEXPECT_EQ(where, 0);
	/* no archive: "/" and "/proc" only */
	KEXPECT_EQ(initrd_fs_build(&fs, NULL, 0, NULL, NULL), 0);
	KEXPECT_EQ(fs.nr_dirs, 2);
	KEXPECT_EQ(fs.nr_files, 0);
	initrd_fs_free(&fs);
	kfree(ar.buf);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(initrd_boot_module)
{
	struct initrd_entry *e, *root;
	struct file *f;
	u8 magic[4];

	KASSERT(initrd_resolve("/", &root) == 0);
	KEXPECT(S_ISDIR(root->mode));
	KEXPECT_EQ(initrd_resolve("/proc", &e), 0);
	if (root->children == e && !e->next)
		KSKIP("no initrd module (only / and /proc)");
	/* the ISO's initrd (scripts/mkinitrd.sh) starts with /bin/init */
	if (initrd_resolve("/bin/init", &e))
		KSKIP("the initrd has no /bin/init");
	KEXPECT(S_ISREG(e->mode));
	KEXPECT(e->mode & 0100);
	f = filp_open("/bin/init", O_RDONLY);
	KASSERT(!IS_ERR(f));
	KEXPECT_EQ(kernel_read(f, magic, 4, 0), 4);
	KEXPECT(!memcmp(magic, "\177ELF", 4));
	fput(f);
}

/* ------------------------------------------------------------ filp_open */

KTEST(filp_open_errors_and_kernel_read)
{
	struct env e;
	struct file *f;
	char buf[64], *big;

	KASSERT(env_setup(t, &e, false, false));
	f = filp_open("/etc/motd", O_RDONLY);
	KASSERT(!IS_ERR(f));
	KEXPECT_EQ(f->f_flags, O_RDONLY | O_LARGEFILE);
	KEXPECT_EQ(kernel_read(f, buf, sizeof(buf), 0), 7);
	KEXPECT(!memcmp(buf, "second\n", 7));
	KEXPECT_EQ(kernel_read(f, buf, 3, 4), 3);	/* "nd\n" */
	KEXPECT(!memcmp(buf, "nd\n", 3));
	KEXPECT_EQ(kernel_read(f, buf, sizeof(buf), 7), 0);	/* at the end */
	KEXPECT_EQ(kernel_read(f, buf, sizeof(buf), ~0ULL), 0);	/* far past it */
	KEXPECT_EQ(kernel_read(f, buf, 0, 0), 0);
	fput(f);

	f = filp_open("data", O_RDONLY);		/* relative: under "/" */
	KASSERT(!IS_ERR(f));
	big = kmalloc(DATA_SIZE, GFP_KERNEL);
	KASSERT(big != NULL);
	KEXPECT_EQ(kernel_read(f, big, ~0UL, 0), DATA_SIZE);	/* clamped count */
	KEXPECT_EQ(big[DATA_SIZE - 1], (char)data_byte(DATA_SIZE - 1));
	KEXPECT_EQ(kernel_read(f, big, 100, DATA_SIZE - 10), 10);
	kfree(big);
	fput(f);

	f = filp_open("/bin", O_RDONLY);		/* a directory opens... */
	KASSERT(!IS_ERR(f));
	KEXPECT_EQ(kernel_read(f, buf, 4, 0), -EISDIR);	/* ...but has no bytes */
	fput(f);
	f = filp_open("/proc/meminfo", O_RDONLY);
	KASSERT(!IS_ERR(f));
	KEXPECT(kernel_read(f, buf, sizeof(buf) - 1, 0) > 20);
	KEXPECT(!memcmp(buf, "MemTotal:", 9));
	fput(f);

	KEXPECT_EQ(PTR_ERR(filp_open("", O_RDONLY)), -ENOENT);
	KEXPECT_EQ(PTR_ERR(filp_open("/missing", O_RDONLY)), -ENOENT);
	KEXPECT_EQ(PTR_ERR(filp_open("/missing/x", O_RDONLY | O_CREAT)), -ENOENT);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/new", O_RDONLY | O_CREAT)), -EROFS);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/motd", O_WRONLY)), -EROFS);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/motd", O_RDWR)), -EROFS);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/motd", O_RDONLY | O_TRUNC)), -EROFS);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/motd", O_CREAT | O_EXCL)), -EEXIST);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/motd", O_DIRECTORY)), -ENOTDIR);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/motd/", O_RDONLY)), -ENOTDIR);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc/motd/x", O_RDONLY)), -ENOTDIR);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc", O_WRONLY)), -EISDIR);
	KEXPECT_EQ(PTR_ERR(filp_open("/etc", O_CREAT)), -EISDIR);
	KEXPECT_EQ(PTR_ERR(filp_open("/proc/meminfo", O_WRONLY)), -EACCES);
	KEXPECT_EQ(PTR_ERR(filp_open("/proc/none", O_RDONLY)), -ENOENT);
	KEXPECT_EQ(PTR_ERR(filp_open("/proc/meminfo/x", O_RDONLY)), -ENOTDIR);
	/* O_PATH: no access, so no -EROFS, but read and write are refused */
	f = filp_open("/etc/motd", O_PATH | O_RDWR);
	KASSERT(!IS_ERR(f));
	KEXPECT_EQ(kernel_read(f, buf, 4, 0), -EBADF);
	fput(f);
	/* a component over NAME_MAX, a path over PATH_MAX */
	big = kmalloc(PATH_MAX + 1, GFP_KERNEL);
	KASSERT(big != NULL);
	memset(big, 'a', PATH_MAX);
	big[0] = '/';
	big[300] = '\0';
	KEXPECT_EQ(PTR_ERR(filp_open(big, O_RDONLY)), -ENAMETOOLONG);
	for (int i = 100; i < PATH_MAX; i += 100)
		big[i] = '/';
	big[PATH_MAX] = '\0';
	KEXPECT_EQ(PTR_ERR(filp_open(big, O_RDONLY)), -ENAMETOOLONG);
	kfree(big);
	env_teardown(t, &e);
}

/* ------------------------------------------------------------ fd tables */

KTEST(fd_table_refcounts)
{
	struct env e;
	struct files_struct *files, *copy;
	struct file *f, *g;
	int fd;

	KASSERT(env_setup(t, &e, false, false));
	files = dup_files(NULL);		/* an empty table */
	KASSERT(files != NULL);
	KEXPECT_EQ(files_count_open(files), 0);
	f = filp_open("/etc/motd", O_RDONLY);
	KASSERT(!IS_ERR(f));
	KEXPECT_EQ(nr_open_files(), e.files_before + 1);
	KEXPECT_EQ(files_install(files, f, 0, false), 0);	/* the reference moved */
	KEXPECT_EQ(atomic_read(&f->f_count), 1);
	KEXPECT_EQ(files_dup2(files, 0, 5, true), 5);
	KEXPECT_EQ(atomic_read(&f->f_count), 2);
	KEXPECT_EQ(files_get_cloexec(files, 5), 1);
	KEXPECT_EQ(files_get_cloexec(files, 0), 0);
	KEXPECT_EQ(files_get_cloexec(files, 1), -EBADF);

	g = files_fget(files, 5);		/* a syscall's temporary reference */
	KEXPECT(g == f);
	KEXPECT_EQ(atomic_read(&f->f_count), 3);
	fput(g);
	KEXPECT(files_fget(files, 1) == NULL);
	KEXPECT(files_fget(files, -1) == NULL);
	KEXPECT(files_fget(files, NR_OPEN_DEFAULT) == NULL);

	copy = dup_files(files);		/* fork */
	KASSERT(copy != NULL);
	KEXPECT_EQ(atomic_read(&f->f_count), 4);
	KEXPECT_EQ(files_get_cloexec(copy, 5), 1);
	do_close_on_exec(copy);			/* exec in the child */
	KEXPECT_EQ(atomic_read(&f->f_count), 3);
	KEXPECT_EQ(files_get_cloexec(copy, 5), -EBADF);
	get_files(copy);			/* CLONE_FILES: two users */
	put_files(copy);
	KEXPECT_EQ(atomic_read(&f->f_count), 3);
	put_files(copy);			/* the last one closes */
	KEXPECT_EQ(atomic_read(&f->f_count), 2);

	/* dup2 onto an open fd closes what was there */
	g = filp_open("/bin/sh", O_RDONLY);
	KASSERT(!IS_ERR(g));
	KEXPECT_EQ(files_install(files, g, 3, false), 3);
	KEXPECT_EQ(files_dup2(files, 3, 5, false), 5);
	KEXPECT_EQ(atomic_read(&f->f_count), 1);
	KEXPECT_EQ(atomic_read(&g->f_count), 2);
	KEXPECT_EQ(files_dup2(files, 9, 5, false), -EBADF);
	KEXPECT_EQ(files_dup2(files, 3, NR_OPEN_DEFAULT, false), -EBADF);

	KEXPECT_EQ(files_close(files, 0), 0);	/* f's last reference */
	KEXPECT_EQ(files_close(files, 0), -EBADF);
	KEXPECT_EQ(files_close(files, -3), -EBADF);
	KEXPECT_EQ(nr_open_files(), e.files_before + 1);	/* g only */

	/* fill the table: lowest free first, then -EMFILE */
	for (fd = 0; fd < NR_OPEN_DEFAULT; fd++) {
		struct file *x = files_fget(files, fd);

		if (x)
			fput(x);
		else
			KEXPECT_EQ(files_install(files, get_file(g), 0, false), fd);
	}
	KEXPECT_EQ(files_count_open(files), NR_OPEN_DEFAULT);
	KEXPECT_EQ(files_install(files, g, 0, false), -EMFILE);
	KEXPECT_EQ(files_install(files, g, NR_OPEN_DEFAULT, false), -EINVAL);
	KEXPECT_EQ(atomic_read(&g->f_count), NR_OPEN_DEFAULT);
	put_files(files);
	KEXPECT_EQ(nr_open_files(), e.files_before);
	env_teardown(t, &e);
}

KTEST(files_alloc_console_shares_one_file)
{
	struct env e;
	struct file *f;

	KASSERT(env_setup(t, &e, true, false));
	f = fget(0);
	KASSERT(f != NULL);
	KEXPECT(f->f_op == &tty_fops);
	KEXPECT_EQ(f->f_flags & O_ACCMODE, O_RDWR);
	KEXPECT_EQ(atomic_read(&f->f_count), 4);	/* fds 0, 1, 2 and ours */
	KEXPECT(current->files->fd[1] == f && current->files->fd[2] == f);
	KEXPECT(fget(3) == NULL);
	fput(f);
	KEXPECT_EQ(nr_open_files(), e.files_before + 1);
	env_teardown(t, &e);
}

/* ------------------------------------------------------------ the tty */

struct script {
	const char *in;
	size_t len, pos;
	char out[256];
	size_t out_len;
};

static int script_getc(void *arg, bool wait)
{
	struct script *s = arg;

	return s->pos < s->len ? (u8)s->in[s->pos++] : -1;
}

static void script_write(void *arg, const char *p, size_t n)
{
	struct script *s = arg;

	n = MIN(n, sizeof(s->out) - 1 - s->out_len);
	memcpy(s->out + s->out_len, p, n);
	s->out_len += n;
	s->out[s->out_len] = '\0';
}

static const struct tty_ops script_ops = { .getc = script_getc, .write = script_write };

static void feed(struct script *s, const char *in)
{
	s->in = in;
	s->len = strlen(in);
	s->pos = 0;
	s->out_len = 0;
	s->out[0] = '\0';
}

/* read(2) of the tty into user memory; the bytes into @out (NUL-ended) */
static long tty_rd(struct file *f, char *out, size_t count)
{
	u64 pos = 0;
	long n = f->f_op->read(f, (char __user *)UBASE, count, &pos);

	out[0] = '\0';
	if (n > 0 && !copy_from_user(out, (void __user *)UBASE, n))
		out[n] = '\0';
	return n;
}

KTEST(tty_line_discipline)
{
	struct env e;
	struct script s;
	struct tty_struct *tty;
	struct file *f;
	char out[128];

	KASSERT(env_setup(t, &e, false, true));
	tty = tty_alloc(&script_ops, &s);
	KASSERT(tty != NULL);
	f = tty_open(tty, O_RDWR);
	KASSERT(!IS_ERR(f));

	feed(&s, "ab\x7f" "c\r");		/* DEL erases, CR is Enter */
	KEXPECT_EQ(tty_rd(f, out, 64), 3);
	KEXPECT(!strcmp(out, "ac\n"));
	KEXPECT(!strcmp(s.out, "ab\b \bc\n"));

	feed(&s, "x\by\n");			/* ^H erases too */
	KEXPECT_EQ(tty_rd(f, out, 64), 2);
	KEXPECT(!strcmp(out, "y\n"));

	feed(&s, "hello\n");			/* a short read leaves the rest */
	KEXPECT_EQ(tty_rd(f, out, 2), 2);
	KEXPECT(!strcmp(out, "he"));
	KEXPECT_EQ(tty_rd(f, out, 64), 4);
	KEXPECT(!strcmp(out, "llo\n"));

	feed(&s, "1\n2\n");			/* one line per read */
	KEXPECT_EQ(tty_rd(f, out, 64), 2);
	KEXPECT(!strcmp(out, "1\n"));
	KEXPECT_EQ(tty_rd(f, out, 64), 2);
	KEXPECT(!strcmp(out, "2\n"));

	feed(&s, "\x04");			/* ^D at the start: end of file */
	KEXPECT_EQ(tty_rd(f, out, 64), 0);
	feed(&s, "abc\x04");			/* inside a line: the line, no '\n' */
	KEXPECT_EQ(tty_rd(f, out, 64), 3);
	KEXPECT(!strcmp(out, "abc"));
	feed(&s, "abc\n\x04");			/* a line, then end of file */
	KEXPECT_EQ(tty_rd(f, out, 64), 4);
	KEXPECT_EQ(tty_rd(f, out, 64), 0);
	KEXPECT(!strcmp(s.out, "abc\n"));	/* ^D is not echoed */

	feed(&s, "junk\x15ok\n");		/* ^U kills the line */
	KEXPECT_EQ(tty_rd(f, out, 64), 3);
	KEXPECT(!strcmp(out, "ok\n"));
	feed(&s, "junk\x03ok\n");		/* ^C throws it away */
	KEXPECT_EQ(tty_rd(f, out, 64), 3);
	KEXPECT(!strcmp(out, "ok\n"));
	KEXPECT(strstr(s.out, "^C\n") != NULL);

	feed(&s, "a\xc3\xa9\x7f\n");		/* one erase takes all of "é" */
	KEXPECT_EQ(tty_rd(f, out, 64), 2);
	KEXPECT(!strcmp(out, "a\n"));
	feed(&s, "\x01\x7f\x01\n");		/* ^A echoes as two columns */
	KEXPECT_EQ(tty_rd(f, out, 64), 2);
	KEXPECT(!strcmp(out, "\x01\n"));
	KEXPECT(!strcmp(s.out, "^A\b \b\b \b^A\n"));

	feed(&s, "\x7f\x7fq\n");		/* erasing nothing is harmless */
	KEXPECT_EQ(tty_rd(f, out, 64), 2);
	feed(&s, "");				/* no device or no input: EOF */
	KEXPECT_EQ(tty_rd(f, out, 64), 0);
	feed(&s, "zz\n");
	KEXPECT_EQ(tty_rd(f, out, 0), 0);	/* count 0 reads nothing */
	KEXPECT_EQ(s.pos, 0);
	KEXPECT_EQ(f->f_op->read(f, (char __user *)KERNEL_PTR, 8, &(u64){ 0 }), -EFAULT);
	KEXPECT_EQ(tty_rd(f, out, 64), 3);	/* the line survived the fault */

	f->f_flags |= O_NONBLOCK;
	feed(&s, "");
	KEXPECT_EQ(tty_rd(f, out, 64), -EAGAIN);
	feed(&s, "nb\n");
	KEXPECT_EQ(tty_rd(f, out, 64), 3);
	f->f_flags &= ~O_NONBLOCK;

	/* writes go to the output, whatever the position */
	feed(&s, "");
	KASSERT(uput(0, "out put", 7));
	KEXPECT_EQ(f->f_op->write(f, (const char __user *)UBASE, 7, &(u64){ 0 }), 7);
	KEXPECT(!strcmp(s.out, "out put"));
	KEXPECT_EQ(f->f_op->write(f, (const char __user *)KERNEL_PTR, 7, &(u64){ 0 }), -EFAULT);
	fput(f);
	tty_free(tty);
	env_teardown(t, &e);
}

KTEST(tty_ioctls_and_raw_mode)
{
	struct env e;
	struct script s;
	struct tty_struct *tty;
	struct file *f;
	struct termios tio;
	struct winsize ws;
	struct kstat st;
	char out[64];
	int n;

	KASSERT(env_setup(t, &e, false, true));
	tty = tty_alloc(&script_ops, &s);
	KASSERT(tty != NULL);
	f = tty_open(tty, O_RDWR);
	KASSERT(!IS_ERR(f));

	KEXPECT_EQ(f->f_op->ioctl(f, TIOCGWINSZ, UBASE), 0);
	KEXPECT(!copy_from_user(&ws, (void __user *)UBASE, sizeof(ws)));
	KEXPECT_EQ(ws.ws_row, 24);
	KEXPECT_EQ(ws.ws_col, 80);
	KEXPECT_EQ(f->f_op->ioctl(f, TCGETS, UBASE), 0);
	KEXPECT(!copy_from_user(&tio, (void __user *)UBASE, sizeof(tio)));
	KEXPECT(tio.c_lflag & ICANON);
	KEXPECT(tio.c_lflag & ECHO);
	KEXPECT(tio.c_iflag & ICRNL);
	KEXPECT_EQ(tio.c_cc[VERASE], 0x7f);
	KEXPECT_EQ(tio.c_cc[VEOF], 0x04);
	KEXPECT_EQ(tio.c_cc[VMIN], 1);
	KEXPECT_EQ(f->f_op->ioctl(f, TCGETS, KERNEL_PTR), -EFAULT);
	KEXPECT_EQ(f->f_op->ioctl(f, TIOCGWINSZ, 0), -EFAULT);
	KEXPECT_EQ(f->f_op->ioctl(f, 0x5432, UBASE), -ENOTTY);
	KEXPECT_EQ(vfs_getattr(f, &st), 0);
	KEXPECT_EQ(st.mode, S_IFCHR | 0620);

	/* a short read leaves the rest of the line buffered */
	feed(&s, "abc\n");
	KEXPECT_EQ(tty_rd(f, out, 1), 1);
	KEXPECT_EQ(f->f_op->ioctl(f, FIONREAD, UBASE), 0);
	KEXPECT(!copy_from_user(&n, (void __user *)UBASE, sizeof(n)));
	KEXPECT_EQ(n, 3);				/* "bc\n" */

	/* raw mode: what is buffered is plain bytes now */
	tio.c_lflag &= ~(ICANON | ECHO);
	KASSERT(uput(0, &tio, sizeof(tio)));
	KEXPECT_EQ(f->f_op->ioctl(f, TCSETS, UBASE), 0);
	feed(&s, "");
	KEXPECT_EQ(tty_rd(f, out, 1), 1);
	KEXPECT(!strcmp(out, "b"));
	/* and back: raw leftovers become one line */
	tio.c_lflag |= ICANON | ECHO;
	KASSERT(uput(0, &tio, sizeof(tio)));
	KEXPECT_EQ(f->f_op->ioctl(f, TCSETS, UBASE), 0);
	KEXPECT_EQ(tty_rd(f, out, 64), 2);
	KEXPECT(!strcmp(out, "c\n"));

	/* raw: no editing, no echo, what has arrived is returned at once */
	tio.c_lflag &= ~(ICANON | ECHO);
	KASSERT(uput(0, &tio, sizeof(tio)));
	KEXPECT_EQ(f->f_op->ioctl(f, TCSETS, UBASE), 0);
	feed(&s, "x\x7fy");
	KEXPECT_EQ(tty_rd(f, out, 64), 3);
	KEXPECT(!strcmp(out, "x\x7fy"));
	KEXPECT_EQ(s.out_len, 0);
	feed(&s, "pq");
	KEXPECT_EQ(tty_rd(f, out, 1), 1);		/* VMIN 1: one byte is enough */
	KEXPECT(!strcmp(out, "p"));
	KEXPECT_EQ(tty_rd(f, out, 64), 1);
	tio.c_cc[VMIN] = 0;				/* polling */
	KASSERT(uput(0, &tio, sizeof(tio)));
	KEXPECT_EQ(f->f_op->ioctl(f, TCSETS, UBASE), 0);
	feed(&s, "");
	KEXPECT_EQ(tty_rd(f, out, 64), 0);

	/* TCSETSF drops what was typed ahead */
	tio.c_lflag |= ICANON | ECHO;
	tio.c_cc[VMIN] = 1;
	KASSERT(uput(0, &tio, sizeof(tio)));
	KEXPECT_EQ(f->f_op->ioctl(f, TCSETS, UBASE), 0);
	feed(&s, "lost\n");
	KEXPECT_EQ(tty_rd(f, out, 1), 1);		/* "ost\n" is buffered */
	KEXPECT_EQ(f->f_op->ioctl(f, TCSETSF, UBASE), 0);
	feed(&s, "kept\n");
	KEXPECT_EQ(tty_rd(f, out, 64), 5);
	KEXPECT(!strcmp(out, "kept\n"));
	fput(f);
	tty_free(tty);

	/* the console tty: a real size, and no position */
	f = tty_open_console(O_RDWR);
	KASSERT(!IS_ERR(f));
	KEXPECT_EQ(f->f_op->ioctl(f, TIOCGWINSZ, UBASE), 0);
	KEXPECT(!copy_from_user(&ws, (void __user *)UBASE, sizeof(ws)));
	KEXPECT(ws.ws_row >= 24 && ws.ws_col >= 80);
	KEXPECT(!f->f_op->seekable);
	fput(f);
	env_teardown(t, &e);
}

/* ------------------------------------------------------------ syscalls */

KTEST(file_syscalls_end_to_end)
{
	struct env e;
	struct stat st;
	char buf[256];
	u64 p, ubuf = UBASE + 2048, ustat = UBASE + 4096;
	long fd, dfd, n;

	KASSERT(env_setup(t, &e, true, true));
	p = ustr(0, "/etc/motd");
	fd = sys(__x64_sys_open, p, O_RDONLY, 0, 0);
	KEXPECT_EQ(fd, 3);				/* 0, 1, 2: the console */
	KEXPECT_EQ(sys(__x64_sys_read, fd, ubuf, 3, 0), 3);
	KEXPECT_EQ(sys(__x64_sys_read, fd, ubuf + 3, 100, 0), 4);
	KEXPECT(!copy_from_user(buf, (void __user *)ubuf, 7) && !memcmp(buf, "second\n", 7));
	KEXPECT_EQ(sys(__x64_sys_read, fd, ubuf, 100, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_read, fd, KERNEL_PTR, 1, 0), -EFAULT);
	KEXPECT_EQ(sys(__x64_sys_write, fd, ubuf, 1, 0), -EBADF);	/* read-only fd */
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, 1, SEEK_SET, 0), 1);
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, -2, SEEK_END, 0), 5);
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, -6, SEEK_CUR, 0), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, 0, 7, 0), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, 3, SEEK_DATA, 0), 3);
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, 3, SEEK_HOLE, 0), 7);
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, 7, SEEK_DATA, 0), -ENXIO);
	KEXPECT_EQ(sys(__x64_sys_pread64, fd, ubuf, 3, 1), 3);
	KEXPECT_EQ(sys(__x64_sys_pread64, fd, ubuf, 3, -1), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_lseek, fd, 0, SEEK_CUR, 0), 7);	/* pread kept it */

	/* readv: 2 + 0 + 3 bytes, then the position moved */
	{
		u64 iov[6] = { ubuf, 2, 0, 0, ubuf + 16, 3 };

		KEXPECT_EQ(sys(__x64_sys_lseek, fd, 0, SEEK_SET, 0), 0);
		KASSERT(uput(1024, iov, sizeof(iov)));
		KEXPECT_EQ(sys(__x64_sys_readv, fd, UBASE + 1024, 3, 0), 5);
		KEXPECT(!copy_from_user(buf, (void __user *)(ubuf + 16), 3) &&
			!memcmp(buf, "con", 3));
		KEXPECT_EQ(sys(__x64_sys_readv, fd, UBASE + 1024, 1025, 0), -EINVAL);
		KEXPECT_EQ(sys(__x64_sys_readv, fd, KERNEL_PTR, 1, 0), -EFAULT);
		iov[1] = 1UL << 63;			/* negative as ssize_t */
		KASSERT(uput(1024, iov, sizeof(iov)));
		KEXPECT_EQ(sys(__x64_sys_readv, fd, UBASE + 1024, 3, 0), -EINVAL);
		iov[0] = KERNEL_PTR;
		iov[1] = 4;
		KASSERT(uput(1024, iov, sizeof(iov)));
		KEXPECT_EQ(sys(__x64_sys_readv, fd, UBASE + 1024, 1, 0), -EFAULT);
	}

	/* fstat and stat */
	KEXPECT_EQ(sys(__x64_sys_fstat, fd, ustat, 0, 0), 0);
	KEXPECT(!copy_from_user(&st, (void __user *)ustat, sizeof(st)));
	KEXPECT_EQ(st.st_size, 7);
	KEXPECT_EQ(st.st_mode, S_IFREG | 0644);
	KEXPECT_EQ(st.st_nlink, 1);
	KEXPECT_EQ(st.st_blocks, 1);
	KEXPECT_EQ(st.st_blksize, 4096);
	KEXPECT_EQ(st.st_mtime, 1700000000);
	KEXPECT_EQ(sys(__x64_sys_stat, ustr(0, "/bin/"), ustat, 0, 0), 0);
	KEXPECT(!copy_from_user(&st, (void __user *)ustat, sizeof(st)));
	KEXPECT(S_ISDIR(st.st_mode));
	KEXPECT_EQ(st.st_nlink, 2);
	KEXPECT_EQ(sys(__x64_sys_stat, ustr(0, "/"), ustat, 0, 0), 0);
	KEXPECT(!copy_from_user(&st, (void __user *)ustat, sizeof(st)));
	KEXPECT_EQ(st.st_ino, 1);
	KEXPECT_EQ(st.st_nlink, 2 + 4);
	KEXPECT_EQ(sys(__x64_sys_stat, ustr(0, "/etc/motd/"), ustat, 0, 0), -ENOTDIR);
	KEXPECT_EQ(sys(__x64_sys_stat, ustr(0, "/etc/motd"), KERNEL_PTR, 0, 0), -EFAULT);
	KEXPECT_EQ(sys(__x64_sys_fstat, 1, ustat, 0, 0), 0);
	KEXPECT(!copy_from_user(&st, (void __user *)ustat, sizeof(st)));
	KEXPECT_EQ(st.st_mode, S_IFCHR | 0620);
	KEXPECT_EQ(sys(__x64_sys_fstat, 64, ustat, 0, 0), -EBADF);

	/* relative to a directory fd; AT_EMPTY_PATH */
	dfd = sys(__x64_sys_openat, AT_FDCWD, ustr(0, "x/y"), O_RDONLY | O_DIRECTORY, 0);
	KEXPECT_EQ(dfd, 4);
	n = sys(__x64_sys_openat, dfd, ustr(0, "z/../z/deep"), O_RDONLY | O_CLOEXEC, 0);
	KEXPECT_EQ(n, 5);
	KEXPECT_EQ(sys(__x64_sys_fcntl, n, F_GETFD, 0, 0), FD_CLOEXEC);
	KEXPECT_EQ(sys(__x64_sys_close, n, 0, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_newfstatat, dfd, ustr(0, "z"), ustat, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_newfstatat, dfd, ustr(0, ""), ustat, AT_EMPTY_PATH), 0);
	KEXPECT(!copy_from_user(&st, (void __user *)ustat, sizeof(st)));
	KEXPECT(S_ISDIR(st.st_mode));
	KEXPECT_EQ(sys(__x64_sys_newfstatat, dfd, ustr(0, ""), ustat, 0), -ENOENT);
	KEXPECT_EQ(sys(__x64_sys_newfstatat, fd, ustr(0, "x"), ustat, 0), -ENOTDIR);
	KEXPECT_EQ(sys(__x64_sys_newfstatat, 40, ustr(0, "x"), ustat, 0), -EBADF);
	KEXPECT_EQ(sys(__x64_sys_newfstatat, 40, ustr(0, "/data"), ustat, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_newfstatat, dfd, ustr(0, "z"), ustat, 0x4000), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_read, dfd, ubuf, 8, 0), -EISDIR);

	/* getdents64 of "/": ".", "..", then archive order, "proc" last */
	{
		static const char *const want[] = { ".", "..", "bin", "etc", "data", "x", "proc" };
		size_t off = 0, i = 0;
		long root = sys(__x64_sys_open, ustr(0, "/"), O_RDONLY | O_DIRECTORY, 0, 0);
		char *d = kmalloc(1024, GFP_KERNEL);

		KASSERT(d != NULL);
		KEXPECT_EQ(sys(__x64_sys_getdents64, root, ubuf, 10, 0), -EINVAL);
		n = sys(__x64_sys_getdents64, root, ubuf, 1024, 0);
		KEXPECT(n > 0 && n <= 1024);
		KEXPECT(!copy_from_user(d, (void __user *)ubuf, n));
		while (n > 0 && off < (size_t)n && i < ARRAY_SIZE(want)) {
			u16 reclen;
			s64 d_off;

			memcpy(&reclen, d + off + 16, 2);
			memcpy(&d_off, d + off + 8, 8);
			KEXPECT_EQ(reclen % 8, 0);
			KEXPECT(!strcmp(d + off + 19, want[i]));
			KEXPECT_EQ(d_off, (s64)i + 1);
			KEXPECT_EQ((u8)d[off + 18], i == 4 ? DT_REG : DT_DIR);
			off += reclen;
			i++;
		}
		KEXPECT_EQ(i, ARRAY_SIZE(want));
		KEXPECT_EQ(off, (size_t)n);
		KEXPECT_EQ(sys(__x64_sys_getdents64, root, ubuf, 1024, 0), 0);	/* the end */
		KEXPECT_EQ(sys(__x64_sys_lseek, root, 0, SEEK_SET, 0), 0);	/* rewinddir */
		KEXPECT_EQ(sys(__x64_sys_lseek, root, 0, SEEK_END, 0), -EINVAL);
		KEXPECT_EQ(sys(__x64_sys_getdents64, root, ubuf, 24, 0), 24);	/* "." alone */
		KEXPECT_EQ(sys(__x64_sys_getdents64, root, KERNEL_PTR, 1024, 0), -EFAULT);
		KEXPECT_EQ(sys(__x64_sys_getdents64, fd, ubuf, 1024, 0), -ENOTDIR);
		KEXPECT_EQ(sys(__x64_sys_getdents64, 50, ubuf, 1024, 0), -EBADF);
		sys(__x64_sys_close, root, 0, 0, 0);

		/* /proc lists its two files */
		root = sys(__x64_sys_open, ustr(0, "/proc"), O_RDONLY, 0, 0);
		KEXPECT(root >= 0);
		n = sys(__x64_sys_getdents64, root, ubuf, 1024, 0);
		KEXPECT(!copy_from_user(d, (void __user *)ubuf, n > 0 ? n : 0));
		KEXPECT_EQ(n, 24 + 24 + 32 + 32);	/* . .. meminfo switchyard */
		KEXPECT(!strcmp(d + 48 + 19, "meminfo"));
		KEXPECT(!strcmp(d + 80 + 19, "switchyard"));
		sys(__x64_sys_close, root, 0, 0, 0);
		kfree(d);
	}

	/* /proc/switchyard: generated at open */
	n = sys(__x64_sys_open, ustr(0, "/proc/switchyard"), O_RDONLY, 0, 0);
	KEXPECT(n >= 0);
	KEXPECT(sys(__x64_sys_read, n, ubuf, 255, 0) > 40);
	KEXPECT(!copy_from_user(buf, (void __user *)ubuf, 255));
	buf[255] = '\0';
	KEXPECT(strstr(buf, "tasks:") != NULL && strstr(buf, "switches") != NULL);
	sys(__x64_sys_close, n, 0, 0, 0);

	/* dup, dup2, fcntl */
	KEXPECT_EQ(sys(__x64_sys_dup, fd, 0, 0, 0), 5);
	KEXPECT_EQ(sys(__x64_sys_dup2, fd, 20, 0, 0), 20);
	KEXPECT_EQ(sys(__x64_sys_dup2, 20, 20, 0, 0), 20);
	KEXPECT_EQ(sys(__x64_sys_dup2, 21, 21, 0, 0), -EBADF);
	KEXPECT_EQ(sys(__x64_sys_dup2, fd, 64, 0, 0), -EBADF);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_DUPFD, 20, 0), 21);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_DUPFD_CLOEXEC, 0, 0), 6);
	KEXPECT_EQ(sys(__x64_sys_fcntl, 6, F_GETFD, 0, 0), FD_CLOEXEC);
	KEXPECT_EQ(sys(__x64_sys_fcntl, 6, F_SETFD, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_fcntl, 6, F_GETFD, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_DUPFD, 64, 0), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_DUPFD, -1, 0), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_GETFL, 0, 0), O_RDONLY | O_LARGEFILE);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_SETFL, O_NONBLOCK | O_RDWR, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_GETFL, 0, 0), O_RDONLY | O_LARGEFILE | O_NONBLOCK);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, 12345, 0, 0), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_fcntl, 63, F_GETFD, 0, 0), -EBADF);
	KEXPECT_EQ(files_count_open(current->files), 3 + 6);
	for (long i = 5; i <= 21; i++)
		sys(__x64_sys_close, i, 0, 0, 0);
	KEXPECT_EQ(sys(__x64_sys_close, 21, 0, 0, 0), -EBADF);

	/* the console: no position, and ioctls answered */
	KEXPECT_EQ(sys(__x64_sys_lseek, 1, 0, SEEK_CUR, 0), -ESPIPE);
	KEXPECT_EQ(sys(__x64_sys_pread64, 0, ubuf, 1, 0), -ESPIPE);
	KEXPECT_EQ(sys(__x64_sys_ioctl, 1, TIOCGWINSZ, ubuf, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_ioctl, fd, TIOCGWINSZ, ubuf, 0), -ENOTTY);
	KEXPECT_EQ(sys(__x64_sys_ioctl, 1, TCGETS, KERNEL_PTR, 0), -EFAULT);
	KEXPECT_EQ(sys(__x64_sys_ioctl, 30, TCGETS, ubuf, 0), -EBADF);
	KEXPECT_EQ(sys(__x64_sys_ioctl, fd, FIOCLEX, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_fcntl, fd, F_GETFD, 0, 0), FD_CLOEXEC);
	{
		static const char msg[] = "# file_syscalls_end_to_end: a line written to fd 1\n";
		long len = sizeof(msg) - 1;
		u64 iov[4];

		p = ustr(0, msg);
		KEXPECT_EQ(sys(__x64_sys_write, 1, p, len, 0), len);
		iov[0] = p;
		iov[1] = 2;
		iov[2] = p + 2;
		iov[3] = len - 2;
		KASSERT(uput(1024, iov, sizeof(iov)));
		KEXPECT_EQ(sys(__x64_sys_writev, 2, UBASE + 1024, 2, 0), len);
		KEXPECT_EQ(sys(__x64_sys_writev, 2, UBASE + 1024, 0, 0), 0);
		KEXPECT_EQ(sys(__x64_sys_writev, 2, UBASE + 1024, -1L, 0), -EINVAL);
	}
	KEXPECT_EQ(sys(__x64_sys_write, 1, KERNEL_PTR, 4, 0), -EFAULT);

	/* access, getcwd, open errors */
	KEXPECT_EQ(sys(__x64_sys_access, ustr(0, "/bin/sh"), X_OK | R_OK, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_access, ustr(0, "/etc/motd"), X_OK, 0, 0), -EACCES);
	KEXPECT_EQ(sys(__x64_sys_access, ustr(0, "/etc/motd"), W_OK, 0, 0), -EROFS);
	KEXPECT_EQ(sys(__x64_sys_access, ustr(0, "/proc/meminfo"), W_OK, 0, 0), -EACCES);
	KEXPECT_EQ(sys(__x64_sys_access, ustr(0, "/etc"), X_OK, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_access, ustr(0, "/nope"), F_OK, 0, 0), -ENOENT);
	KEXPECT_EQ(sys(__x64_sys_access, ustr(0, "/etc"), 8, 0, 0), -EINVAL);
	KEXPECT_EQ(sys(__x64_sys_access, KERNEL_PTR, F_OK, 0, 0), -EFAULT);
	KEXPECT_EQ(sys(__x64_sys_getcwd, ubuf, 100, 0, 0), 2);
	KEXPECT(!copy_from_user(buf, (void __user *)ubuf, 2) && !strcmp(buf, "/"));
	KEXPECT_EQ(sys(__x64_sys_getcwd, ubuf, 1, 0, 0), -ERANGE);
	KEXPECT_EQ(sys(__x64_sys_getcwd, KERNEL_PTR, 100, 0, 0), -EFAULT);
	KEXPECT_EQ(sys(__x64_sys_open, KERNEL_PTR, O_RDONLY, 0, 0), -EFAULT);
	KEXPECT_EQ(sys(__x64_sys_open, 0x10000000, O_RDONLY, 0, 0), -EFAULT);
	KEXPECT_EQ(sys(__x64_sys_open, ustr(0, "/etc/motd"), O_WRONLY, 0, 0), -EROFS);
	KEXPECT_EQ(sys(__x64_sys_open, ustr(0, "/etc/new"), O_WRONLY | O_CREAT, 0644, 0), -EROFS);
	KEXPECT_EQ(sys(__x64_sys_openat, 3, ustr(0, "x"), O_RDONLY, 0), -ENOTDIR);
	KEXPECT_EQ(sys(__x64_sys_openat, -5, ustr(0, "data"), O_RDONLY, 0), -EBADF);
	KEXPECT_EQ(sys(__x64_sys_openat, -5, ustr(0, "/data"), O_RDONLY, 0), 5);
	KEXPECT_EQ(sys(__x64_sys_close, 5, 0, 0, 0), 0);
	{
		/* a path with no NUL before the end of the mapping */
		u64 end = UBASE + UPAGES * PAGE_SIZE;
		char a[64];

		memset(a, 'a', sizeof(a));
		KASSERT(uput(end - UBASE - sizeof(a), a, sizeof(a)));
		KEXPECT_EQ(sys(__x64_sys_open, end - sizeof(a), O_RDONLY, 0, 0), -EFAULT);
	}

	KEXPECT_EQ(sys(__x64_sys_close, dfd, 0, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_close, fd, 0, 0, 0), 0);
	KEXPECT_EQ(sys(__x64_sys_close, fd, 0, 0, 0), -EBADF);
	KEXPECT_EQ(files_count_open(current->files), 3);
	env_teardown(t, &e);
}

KTEST(proc_meminfo_numbers)
{
	struct file *f = filp_open("/proc/meminfo", O_RDONLY);
	char *buf, *p;
	struct kstat st;
	unsigned long total = 0, free = 0;
	ssize_t n;

	KASSERT(!IS_ERR(f));
	buf = kzalloc(1024, GFP_KERNEL);
	KASSERT(buf != NULL);
	n = kernel_read(f, buf, 1023, 0);
	KEXPECT(n > 0);
	KEXPECT_EQ(vfs_getattr(f, &st), 0);
	KEXPECT_EQ(st.size, n);
	KEXPECT_EQ(st.mode, S_IFREG | 0444);
	p = strstr(buf, "MemTotal:");
	KASSERT(p != NULL);
	for (p += 9; *p == ' '; p++)
		;
	while (*p >= '0' && *p <= '9')
		total = total * 10 + (*p++ - '0');
	p = strstr(buf, "MemFree:");
	KASSERT(p != NULL);
	for (p += 8; *p == ' '; p++)
		;
	while (*p >= '0' && *p <= '9')
		free = free * 10 + (*p++ - '0');
	KEXPECT(!strncmp(p, " kB\n", 4));
	KEXPECT(total >= 16 * 1024);			/* the smallest machine we boot */
	KEXPECT(free > 0 && free <= total);
	kfree(buf);
	fput(f);
}
