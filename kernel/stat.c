/*
 * stat.c - stat, lstat, fstat, newfstatat: a file's attributes in
 * Linux's x86-64 struct stat (kernel/stat.h).
 *
 * Each file type fills a struct kstat through ->getattr; cp_new_stat()
 * alone knows the user layout.  What the fields hold here:
 *   st_dev    which tree: 0:1 the initrd, 0:4 /proc, 0:5 the console
 *   st_ino    initrd: numbered in archive order, the root is 1
 *   st_nlink  directories 2 + subdirectories, files 1 (no hard links)
 *   st_mode   from the archive; /proc 0444 / 0555; the tty S_IFCHR|0620
 *   st_rdev   the tty: 5:1 (/dev/console)
 *   st_size   file bytes; a /proc file's snapshot size (Linux shows 0)
 *   times     the archive's mtime, also as atime and ctime
 *   st_blksize 4096, st_blocks = size in 512-byte units, rounded up
 *
 * There are no symlinks, so lstat and AT_SYMLINK_NOFOLLOW are stat.
 */
#include "kernel/fs_internal.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "mm/uaccess.h"

int vfs_getattr(struct file *f, struct kstat *st)
{
	if (!f->f_op->getattr)
		return -EINVAL;
	return f->f_op->getattr(f, st);
}

static long cp_new_stat(const struct kstat *k, struct stat __user *ubuf)
{
	struct stat st;

	memset(&st, 0, sizeof(st));		/* padding and __unused too */
	st.st_dev = k->dev;
	st.st_ino = k->ino;
	st.st_nlink = k->nlink;
	st.st_mode = k->mode;
	st.st_uid = k->uid;
	st.st_gid = k->gid;
	st.st_rdev = k->rdev;
	st.st_size = k->size;
	st.st_blksize = 4096;
	st.st_blocks = (k->size + 511) / 512;
	st.st_atime = st.st_mtime = st.st_ctime = k->mtime;
	return copy_to_user(ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

static long stat_file(struct file *f, struct stat __user *statbuf)
{
	struct kstat k;
	long err = vfs_getattr(f, &k);

	if (!err)
		err = cp_new_stat(&k, statbuf);
	return err;
}

static long do_fstatat(int dfd, const char __user *filename, struct stat __user *statbuf,
		       int flag)
{
	struct file *f;
	long err;

	if (flag & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	/* O_PATH: look, do not open for reading (no /proc text is made) */
	f = user_path_open(dfd, filename, O_PATH, flag & AT_EMPTY_PATH);
	if (IS_ERR(f))
		return PTR_ERR(f);
	err = stat_file(f, statbuf);
	fput(f);
	return err;
}

SYSCALL_DEFINE2(stat, const char __user *, filename, struct stat __user *, statbuf)
{
	return do_fstatat(AT_FDCWD, filename, statbuf, 0);
}

SYSCALL_DEFINE2(lstat, const char __user *, filename, struct stat __user *, statbuf)
{
	return do_fstatat(AT_FDCWD, filename, statbuf, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE2(fstat, unsigned int, fd, struct stat __user *, statbuf)
{
	struct file *f = fget(fd);
	long err;

	if (!f)
		return -EBADF;
	err = stat_file(f, statbuf);
	fput(f);
	return err;
}

SYSCALL_DEFINE4(newfstatat, int, dfd, const char __user *, filename,
		struct stat __user *, statbuf, int, flag)
{
	return do_fstatat(dfd, filename, statbuf, flag);
}
