/*
 * read_write.c - moving bytes: read, write, readv, writev, pread64, lseek,
 * and kernel_read() for exec and file-backed mappings.
 *
 * The checks come in Linux's order (fs/read_write.c), because programs and
 * test suites see which error wins: the fd (-EBADF), then the file's
 * access mode (-EBADF: reading a write-only fd is a bad fd, not a
 * permission problem), then the type (-EINVAL without the operation,
 * -EISDIR from a directory's ->read, -ESPIPE for a positioned read of a
 * tty), then the buffer (-EFAULT if it is not all in the user half).  A
 * count is clamped to MAX_RW_COUNT (INT_MAX rounded down to a page), so a
 * huge count is not an error, just a short transfer.
 *
 * The file position: read/write take f_pos, let the file advance a copy,
 * and store it back.  Linux serialises that with f_pos_lock for files
 * shared between threads; here two threads reading one fd at once may
 * read the same bytes (as Linux did before 3.14).  The tty has no
 * position at all.
 */
#include "kernel/fs_internal.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "mm/uaccess.h"
#include "mm/slab.h"

ssize_t kernel_read(struct file *f, void *buf, size_t count, u64 pos)
{
	if (!file_readable(f))
		return -EBADF;
	if (!f->f_op->read_kernel)
		return -EINVAL;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	return f->f_op->read_kernel(f, buf, count, pos);
}

static ssize_t vfs_read(struct file *f, char __user *buf, size_t count, u64 *pos)
{
	if (!file_readable(f))
		return -EBADF;
	if (!f->f_op->read)
		return -EINVAL;
	if (!access_ok(buf, count))
		return -EFAULT;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	return f->f_op->read(f, buf, count, pos);
}

static ssize_t vfs_write(struct file *f, const char __user *buf, size_t count, u64 *pos)
{
	if (!file_writable(f))
		return -EBADF;
	if (!f->f_op->write)
		return -EINVAL;
	if (!access_ok(buf, count))
		return -EFAULT;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	return f->f_op->write(f, buf, count, pos);
}

SYSCALL_DEFINE3(read, unsigned int, fd, char __user *, buf, size_t, count)
{
	struct file *f = fget(fd);
	ssize_t ret;
	u64 pos;

	if (!f)
		return -EBADF;
	pos = READ_ONCE(f->f_pos);
	ret = vfs_read(f, buf, count, &pos);
	if (ret > 0 && f->f_op->seekable)
		WRITE_ONCE(f->f_pos, pos);
	fput(f);
	return ret;
}

SYSCALL_DEFINE3(write, unsigned int, fd, const char __user *, buf, size_t, count)
{
	struct file *f = fget(fd);
	ssize_t ret;
	u64 pos;

	if (!f)
		return -EBADF;
	pos = READ_ONCE(f->f_pos);
	ret = vfs_write(f, buf, count, &pos);
	if (ret > 0 && f->f_op->seekable)
		WRITE_ONCE(f->f_pos, pos);
	fput(f);
	return ret;
}

SYSCALL_DEFINE4(pread64, unsigned int, fd, char __user *, buf, size_t, count, long, pos)
{
	struct file *f;
	ssize_t ret;
	u64 p = pos;

	if (pos < 0)			/* before the fd, as in Linux */
		return -EINVAL;
	f = fget(fd);
	if (!f)
		return -EBADF;
	ret = f->f_op->seekable ? vfs_read(f, buf, count, &p) : -ESPIPE;
	fput(f);
	return ret;
}

/* ------------------------------------------------------------ vectors */

struct iovec {
	void __user *iov_base;
	size_t iov_len;
};

/*
 * Copy in and check the vector (Linux's import_iovec, which runs before
 * the fd's mode is looked at): at most UIO_MAXIOV
 * segments, no length that is negative as an ssize_t (-EINVAL), every
 * segment in the user half (-EFAULT); the total is clamped to
 * MAX_RW_COUNT by shortening the segments.  NULL with *err set, or the
 * kernel copy (kfree it).
 */
static struct iovec *import_iovec(const struct iovec __user *uvec, unsigned long nr, long *err)
{
	struct iovec *iov;
	size_t total = 0;

	if (nr > UIO_MAXIOV) {
		*err = -EINVAL;
		return NULL;
	}
	iov = kmalloc(nr * sizeof(*iov), GFP_KERNEL);
	if (!iov) {
		*err = -ENOMEM;
		return NULL;
	}
	if (copy_from_user(iov, uvec, nr * sizeof(*iov))) {
		*err = -EFAULT;
		goto bad;
	}
	for (unsigned long i = 0; i < nr; i++) {
		size_t len = iov[i].iov_len;

		if ((ssize_t)len < 0) {
			*err = -EINVAL;
			goto bad;
		}
		if (!access_ok(iov[i].iov_base, len)) {
			*err = -EFAULT;
			goto bad;
		}
		if (len > MAX_RW_COUNT - total)
			iov[i].iov_len = len = MAX_RW_COUNT - total;
		total += len;
	}
	return iov;
bad:
	kfree(iov);
	return NULL;
}

/* Segment by segment; stops at the first short transfer.  An error after
 * some bytes moved is dropped: the count of what moved is the answer. */
static ssize_t do_readv_writev(unsigned int fd, const struct iovec __user *uvec,
			       unsigned long nr, bool write)
{
	struct file *f = fget(fd);
	struct iovec *iov = NULL;
	ssize_t ret = 0;
	long err = 0;
	u64 pos;

	if (!f)
		return -EBADF;
	if (nr > 0 && !(iov = import_iovec(uvec, nr, &err))) {
		ret = err;
		goto out;
	}
	if (write ? !file_writable(f) : !file_readable(f))
		ret = -EBADF;
	else if (write ? !f->f_op->write : !f->f_op->read)
		ret = -EINVAL;
	if (ret || nr == 0)
		goto out;
	pos = READ_ONCE(f->f_pos);
	for (unsigned long i = 0; i < nr; i++) {
		ssize_t n;

		if (iov[i].iov_len == 0)
			continue;
		n = write ? f->f_op->write(f, iov[i].iov_base, iov[i].iov_len, &pos)
			  : f->f_op->read(f, iov[i].iov_base, iov[i].iov_len, &pos);
		if (n < 0) {
			if (!ret)
				ret = n;
			break;
		}
		ret += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	if (ret > 0 && f->f_op->seekable)
		WRITE_ONCE(f->f_pos, pos);
out:
	kfree(iov);
	fput(f);
	return ret;
}

SYSCALL_DEFINE3(readv, unsigned long, fd, const struct iovec __user *, vec, unsigned long, vlen)
{
	return do_readv_writev(fd, vec, vlen, false);
}

SYSCALL_DEFINE3(writev, unsigned long, fd, const struct iovec __user *, vec, unsigned long, vlen)
{
	return do_readv_writev(fd, vec, vlen, true);
}

/* ------------------------------------------------------------ lseek */

SYSCALL_DEFINE3(lseek, unsigned int, fd, long, offset, unsigned int, whence)
{
	struct file *f = fget(fd);
	struct kstat st;
	long ret;
	s64 base, size;

	if (!f)
		return -EBADF;
	if (whence > SEEK_HOLE) {
		ret = -EINVAL;
		goto out;
	}
	if (!f->f_op->seekable) {
		ret = -ESPIPE;
		goto out;
	}
	ret = vfs_getattr(f, &st);
	if (ret)
		goto out;
	size = st.size;
	ret = -EINVAL;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = READ_ONCE(f->f_pos);
		break;
	case SEEK_END:
		if (S_ISDIR(st.mode))	/* a directory's positions are cookies */
			goto out;
		base = size;
		break;
	default:			/* SEEK_DATA, SEEK_HOLE: no holes here */
		if (S_ISDIR(st.mode))
			goto out;
		if (offset < 0 || offset >= size) {
			ret = -ENXIO;
			goto out;
		}
		f->f_pos = whence == SEEK_DATA ? offset : size;
		ret = f->f_pos;
		goto out;
	}
	if (__builtin_add_overflow(base, offset, &base) || base < 0)
		goto out;		/* -EINVAL */
	f->f_pos = base;
	ret = base;
out:
	fput(f);
	return ret;
}
