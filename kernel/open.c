/*
 * open.c - names to files: the path walk, open/openat, close, dup, dup2,
 * fcntl, access, getcwd and getdents64.
 *
 * THE PATH WALK (user_path_open, filp_open): there is one directory tree,
 * read-only, and no chdir, so the working directory is always "/".  A
 * path is made absolute (relative paths go under the dirfd's directory,
 * or "/"), normalised lexically by path_normalize() ("//", "." and ".."
 * resolved on the string), and then looked up: "/proc..." in proc.c,
 * everything else in the initrd tree.  Lexical ".." differs from Linux
 * only when a non-directory is on the way ("/bin/sh/../ls" opens /bin/ls
 * here and fails with ENOTDIR on Linux); there are no symlinks to make it
 * matter otherwise.
 *
 * Errors follow Linux's order: -EFAULT (bad pointer) and -ENAMETOOLONG
 * (PATH_MAX, or a component over NAME_MAX) before the lookup; -ENOENT,
 * -ENOTDIR during it; then may_open()'s checks (-EEXIST, -EISDIR,
 * -ENOTDIR, -EROFS).  Nothing can be created or written: O_CREAT of a
 * new name in an existing directory is -EROFS, as on a read-only mount.
 *
 * Kernel pointers passed as user pointers fail in copy_from_user /
 * strncpy_from_user (mm/uaccess.c checks the whole range lies in the user
 * half before touching it), so every syscall here returns -EFAULT for them.
 */
#include "kernel/fs_internal.h"
#include "kernel/cpio.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "sched/sched.h"

/* ------------------------------------------------------------ the walk */

int may_open(u32 mode, int flags, bool dir_only, int write_err)
{
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);

	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	if (S_ISDIR(mode)) {
		if (flags & O_PATH)
			return 0;
		if ((flags & O_CREAT) || writes)
			return -EISDIR;
		return 0;
	}
	if (dir_only || (flags & O_DIRECTORY))
		return -ENOTDIR;
	if (flags & O_PATH)
		return 0;
	return writes ? write_err : 0;
}

static struct file *open_normalized(const char *path, int flags, bool dir_only)
{
	if (is_proc_path(path))
		return proc_open(path, flags, dir_only);
	return initrd_open(path, flags, dir_only);
}

/* O_PATH keeps only the flags that mean something without access (Linux) */
static int build_open_flags(int flags)
{
	if (flags & O_PATH)
		flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
	return flags;
}

struct file *filp_open(const char *path, int flags)
{
	size_t len = strnlen(path, PATH_MAX);
	struct file *f;
	bool dir_only;
	char *buf;
	long n;

	if (len == PATH_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	if (len == 0)
		return ERR_PTR(-ENOENT);
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	n = path_normalize(buf, PATH_MAX, path, len, &dir_only);
	f = n < 0 ? ERR_PTR(n) : open_normalized(buf, build_open_flags(flags), dir_only);
	kfree(buf);
	return f;
}

/* The absolute path of a directory file (a dirfd). */
static long dir_path(struct file *f, char *buf, size_t size)
{
	if (f->f_op == &initrd_dir_fops)
		return initrd_path(f->private_data, buf, size);
	if (f->f_op == &proc_dir_fops) {
		if (size < sizeof("/proc"))
			return -ENAMETOOLONG;
		memcpy(buf, "/proc", sizeof("/proc"));
		return 5;
	}
	return -ENOTDIR;
}

struct file *user_path_open(int dfd, const char __user *upath, int flags, bool empty_ok)
{
	char *a, *b, *src, *dst;
	struct file *f;
	long len, n;
	bool dir_only;

	a = kmalloc(2 * PATH_MAX, GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	b = a + PATH_MAX;
	src = a;
	dst = b;
	len = strncpy_from_user(a, upath, PATH_MAX);
	if (len < 0) {
		f = ERR_PTR(-EFAULT);
		goto out;
	}
	if (len == PATH_MAX) {
		f = ERR_PTR(-ENAMETOOLONG);
		goto out;
	}
	if (len == 0) {
		if (!empty_ok)
			f = ERR_PTR(-ENOENT);
		else if (dfd == AT_FDCWD)
			f = open_normalized("/", build_open_flags(flags), true);
		else if (!(f = fget(dfd)))
			f = ERR_PTR(-EBADF);
		goto out;
	}
	if (a[0] != '/' && dfd != AT_FDCWD) {
		struct file *dir = fget(dfd);

		if (!dir) {
			f = ERR_PTR(-EBADF);
			goto out;
		}
		n = dir_path(dir, b, PATH_MAX);
		fput(dir);
		if (n >= 0 && n + 1 + len >= PATH_MAX)
			n = -ENAMETOOLONG;
		if (n < 0) {
			f = ERR_PTR(n);
			goto out;
		}
		b[n] = '/';
		memcpy(b + n + 1, a, len + 1);
		len += n + 1;
		src = b;
		dst = a;
	}
	n = path_normalize(dst, PATH_MAX, src, len, &dir_only);
	f = n < 0 ? ERR_PTR(n) : open_normalized(dst, build_open_flags(flags), dir_only);
out:
	kfree(a);
	return f;
}

/* ------------------------------------------------------------ open, close */

static long do_sys_openat(int dfd, const char __user *filename, int flags)
{
	struct file *f = user_path_open(dfd, filename, flags, false);
	int fd;

	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = files_install(current->files, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		fput(f);
	return fd;
}

SYSCALL_DEFINE3(open, const char __user *, filename, int, flags, unsigned int, mode)
{
	return do_sys_openat(AT_FDCWD, filename, flags);
}

SYSCALL_DEFINE4(openat, int, dfd, const char __user *, filename, int, flags,
		unsigned int, mode)
{
	return do_sys_openat(dfd, filename, flags);
}

SYSCALL_DEFINE1(close, unsigned int, fd)
{
	return files_close(current->files, fd);
}

/* ------------------------------------------------------------ dup, fcntl */

static long do_dupfd(unsigned int fd, unsigned int from, bool cloexec)
{
	struct file *f = fget(fd);
	int newfd;

	if (!f)
		return -EBADF;
	newfd = files_install(current->files, f, from, cloexec);
	if (newfd < 0)
		fput(f);
	return newfd;
}

SYSCALL_DEFINE1(dup, unsigned int, fildes)
{
	return do_dupfd(fildes, 0, false);
}

SYSCALL_DEFINE2(dup2, unsigned int, oldfd, unsigned int, newfd)
{
	if (oldfd == newfd) {
		/* nothing to do, but oldfd must be open */
		struct file *f = fget(oldfd);

		if (!f)
			return -EBADF;
		fput(f);
		return newfd;
	}
	return files_dup2(current->files, oldfd, newfd, false);
}

/* the status flags F_SETFL may change (Linux's SETFL_MASK) */
#define SETFL_MASK	(O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

SYSCALL_DEFINE3(fcntl, unsigned int, fd, unsigned int, cmd, unsigned long, arg)
{
	struct file *f = fget(fd);
	long ret;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		/* Linux: (int)arg as unsigned, so a negative one is too big */
		ret = do_dupfd(fd, (unsigned int)(int)arg, cmd == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		ret = files_get_cloexec(current->files, fd);
		if (ret > 0)
			ret = FD_CLOEXEC;
		break;
	case F_SETFD:
		ret = files_set_cloexec(current->files, fd, arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		ret = f->f_flags;
		break;
	case F_SETFL:
		if (f->f_flags & O_PATH) {
			ret = -EBADF;
			break;
		}
		/* a plain store: another thread's FIONBIO may be lost (Linux
		 * takes f_lock); the access mode is never touched */
		WRITE_ONCE(f->f_flags, (f->f_flags & ~SETFL_MASK) | (arg & SETFL_MASK));
		ret = 0;
		break;
	default:
		ret = -EINVAL;
		break;
	}
	fput(f);
	return ret;
}

/* ------------------------------------------------------------ access */

SYSCALL_DEFINE2(access, const char __user *, filename, int, mode)
{
	struct kstat st;
	struct file *f;
	int err;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	f = user_path_open(AT_FDCWD, filename, O_PATH, false);
	if (IS_ERR(f))
		return PTR_ERR(f);
	err = vfs_getattr(f, &st);
	/* we are root: reading is always allowed; executing needs an x bit
	 * on a file; writing is refused by the file system */
	if (!err && (mode & W_OK))
		err = (f->f_op == &initrd_file_fops || f->f_op == &initrd_dir_fops) ?
		      -EROFS : -EACCES;
	if (!err && (mode & X_OK) && !S_ISDIR(st.mode) && !(st.mode & S_IXUGO))
		err = -EACCES;
	fput(f);
	return err;
}

/* ------------------------------------------------------------ getcwd */

SYSCALL_DEFINE2(getcwd, char __user *, buf, unsigned long, size)
{
	/* no chdir: always the root.  Like Linux, the length with the NUL. */
	if (size < 2)
		return -ERANGE;
	if (copy_to_user(buf, "/", 2))
		return -EFAULT;
	return 2;
}

/* ------------------------------------------------------------ getdents64 */

int iterate_dir(struct file *f, struct dir_context *ctx)
{
	if (f->f_op == &initrd_dir_fops)
		return initrd_iterate(f, ctx);
	if (f->f_op == &proc_dir_fops)
		return proc_iterate(f, ctx);
	return -ENOTDIR;
}

struct linux_dirent64 {
	u64 d_ino;
	s64 d_off;		/* the position after this entry (telldir) */
	u16 d_reclen;		/* this record, 8-byte aligned */
	u8 d_type;
	char d_name[];
};
_Static_assert(__builtin_offsetof(struct linux_dirent64, d_name) == 19, "d_name at 19");

#define DIRENT_MAX	ALIGN_UP(19 + NAME_MAX + 1, 8)

struct getdents_callback {
	struct dir_context ctx;		/* first: the actor casts back */
	char __user *cur;
	size_t left;
	size_t written;
	int error;
};

static bool filldir64(struct dir_context *ctx, const char *name, size_t len, u64 ino,
		      unsigned type)
{
	struct getdents_callback *g = (struct getdents_callback *)ctx;
	size_t reclen = ALIGN_UP(19 + len + 1, 8);
	u8 rec[DIRENT_MAX] __aligned(8);
	struct linux_dirent64 *d = (struct linux_dirent64 *)rec;

	if (len > NAME_MAX) {
		g->error = -EIO;		/* cannot happen: names are checked when the tree is built */
		return false;
	}
	if (reclen > g->left) {
		if (!g->written)
			g->error = -EINVAL;	/* not even one entry fits */
		return false;
	}
	memset(rec, 0, reclen);			/* no kernel stack bytes in the padding */
	d->d_ino = ino;
	d->d_off = ctx->pos + 1;
	d->d_reclen = reclen;
	d->d_type = type;
	memcpy(d->d_name, name, len);
	if (copy_to_user(g->cur, rec, reclen)) {
		g->error = -EFAULT;
		return false;
	}
	g->cur += reclen;
	g->left -= reclen;
	g->written += reclen;
	return true;
}

SYSCALL_DEFINE3(getdents64, unsigned int, fd, void __user *, dirent, unsigned int, count)
{
	struct getdents_callback g = {
		.ctx.actor = filldir64, .cur = dirent, .left = count,
	};
	struct file *f;
	long ret;

	if (!access_ok(dirent, count))
		return -EFAULT;
	f = fget(fd);
	if (!f)
		return -EBADF;
	if ((int)count < 0) {		/* Linux keeps the count in an int */
		fput(f);
		return -EINVAL;
	}
	if (f->f_flags & O_PATH) {
		fput(f);
		return -EBADF;
	}
	g.ctx.pos = f->f_pos;
	ret = iterate_dir(f, &g.ctx);
	if (!ret) {
		f->f_pos = g.ctx.pos;
		ret = g.written ? (long)g.written : g.error;
	}
	fput(f);
	return ret;
}
