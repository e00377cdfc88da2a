/*
 * pipe.c - pipe(2) and pipe2(2): a ring buffer between two open files.
 *
 * A pipe is PIPE_SIZE bytes of ring, a reader count and a writer count
 * (the open files of each end: fork and dup share them, the last fput()
 * of an end drops its count), and two wait queues.  Linux's semantics,
 * pipe(7):
 *   - read blocks while the pipe is empty and a writer exists; with no
 *     writer left it returns 0 (end of file);
 *   - write blocks while the pipe is full; with no reader left it raises
 *     SIGPIPE and fails with EPIPE;
 *   - a write of at most PIPE_BUF bytes is atomic: it waits until all of
 *     it fits, so writers' small messages never interleave;
 *   - O_NONBLOCK turns each wait into EAGAIN; a signal into EINTR.
 *
 * Locking: pipe->lock is a sleeping mutex, held across the user copies
 * (they may fault and sleep).  A sleeper queues itself (prepare_to_wait)
 * before dropping the lock and re-checking its condition, so a wake-up
 * between the two cannot be lost (sched/wait.h).
 */
#include "kernel/file.h"
#include "kernel/fs_internal.h"
#include "kernel/syscall.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/errno.h"
#include "kernel/err.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "sched/sched.h"
#include "sched/wait.h"
#include "sched/mutex.h"

#define PIPE_SIZE	16384		/* ring bytes (Linux: 16 pages) */
#define PIPE_BUF	4096		/* writes up to this are atomic (POSIX) */
#define PIPE_INO_BASE	0x70000000

struct pipe {
	struct mutex lock;
	u8 *buf;
	u32 head;			/* next byte to read */
	u32 len;			/* bytes in the ring */
	int readers, writers;		/* open files of each end */
	struct wait_queue_head rd_wait, wr_wait;
	u64 ino;
};

static u64 next_pipe_ino = PIPE_INO_BASE;

/* Copy @n bytes out of the ring to @ubuf (two pieces if it wraps). */
static int ring_to_user(struct pipe *p, char __user *ubuf, u32 n)
{
	u32 first = MIN(n, PIPE_SIZE - p->head);

	if (copy_to_user(ubuf, p->buf + p->head, first) ||
	    copy_to_user(ubuf + first, p->buf, n - first))
		return -EFAULT;
	p->head = (p->head + n) % PIPE_SIZE;
	p->len -= n;
	return 0;
}

static int user_to_ring(struct pipe *p, const char __user *ubuf, u32 n)
{
	u32 tail = (p->head + p->len) % PIPE_SIZE;
	u32 first = MIN(n, PIPE_SIZE - tail);

	if (copy_from_user(p->buf + tail, ubuf, first) ||
	    copy_from_user(p->buf, ubuf + first, n - first))
		return -EFAULT;
	p->len += n;
	return 0;
}

/*
 * Sleep on @wq until @ready(p) (checked without the lock: READ_ONCE
 * fields), or a signal.  Called and returns with p->lock held; -EINTR
 * on a signal.
 */
static int pipe_wait(struct pipe *p, struct wait_queue_head *wq, bool (*ready)(struct pipe *))
{
	DEFINE_WAIT(wait);
	int err = 0;

	prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
	mutex_unlock(&p->lock);
	if (!ready(p) && !signal_pending(current))
		schedule();
	finish_wait(wq, &wait);
	if (signal_pending(current))
		err = -EINTR;
	mutex_lock(&p->lock);
	return err;
}

static bool can_read(struct pipe *p)
{
	return READ_ONCE(p->len) || !READ_ONCE(p->writers);
}

static ssize_t pipe_read(struct file *f, char __user *ubuf, size_t count, u64 *pos)
{
	struct pipe *p = f->private_data;
	ssize_t ret;

	if (count == 0)
		return 0;
	mutex_lock(&p->lock);
	for (;;) {
		if (p->len) {
			u32 n = (u32)MIN((size_t)p->len, count);

			ret = ring_to_user(p, ubuf, n) ? -EFAULT : (ssize_t)n;
			wake_up_all(&p->wr_wait);
			break;
		}
		if (!p->writers) {
			ret = 0;		/* end of file */
			break;
		}
		if (f->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		ret = pipe_wait(p, &p->rd_wait, can_read);
		if (ret)
			break;
	}
	mutex_unlock(&p->lock);
	return ret;
}

/* Worth waking for: some room (an atomic write re-checks its size). */
static bool can_write(struct pipe *p)
{
	return PIPE_SIZE - READ_ONCE(p->len) > 0 || !READ_ONCE(p->readers);
}

static void send_sigpipe(void)
{
	struct kernel_siginfo info;

	memset(&info, 0, sizeof(info));
	info.si_signo = SIGPIPE;
	info.si_code = SI_USER;
	info.kill.pid = current->tgid;
	send_sig_info(SIGPIPE, &info, current, false);
}

static ssize_t pipe_write(struct file *f, const char __user *ubuf, size_t count, u64 *pos)
{
	struct pipe *p = f->private_data;
	size_t done = 0;
	ssize_t err = 0;

	mutex_lock(&p->lock);
	while (done < count) {
		u32 room = PIPE_SIZE - p->len;
		bool atomic = count <= PIPE_BUF;

		if (!p->readers) {
			send_sigpipe();
			err = -EPIPE;
			break;
		}
		if (room && (!atomic || room >= count)) {
			u32 n = (u32)MIN((size_t)room, count - done);

			if (user_to_ring(p, ubuf + done, n)) {
				err = -EFAULT;
				break;
			}
			done += n;
			wake_up_all(&p->rd_wait);
			continue;
		}
		if (f->f_flags & O_NONBLOCK) {
			err = -EAGAIN;
			break;
		}
		err = pipe_wait(p, &p->wr_wait, can_write);
		if (err)
			break;
	}
	mutex_unlock(&p->lock);
	return done ? (ssize_t)done : err;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->private_data;
	bool last;

	mutex_lock(&p->lock);
	if (file_readable(f))
		p->readers--;
	else
		p->writers--;
	last = !p->readers && !p->writers;
	wake_up_all(&p->rd_wait);	/* EOF for readers, EPIPE for writers */
	wake_up_all(&p->wr_wait);
	mutex_unlock(&p->lock);
	if (last) {
		kfree(p->buf);
		kfree(p);
	}
}

static int pipe_getattr(struct file *f, struct kstat *st)
{
	struct pipe *p = f->private_data;

	memset(st, 0, sizeof(*st));
	st->mode = S_IFIFO | 0600;
	st->nlink = 1;
	st->ino = p->ino;
	return 0;
}

static const struct file_operations pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.getattr = pipe_getattr,
	.release = pipe_release,
};

static long do_pipe2(int __user *fildes, int flags)
{
	struct pipe *p;
	struct file *rf, *wf;
	int fd[2];

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;		/* O_DIRECT (packet mode) is not supported */
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_SIZE, GFP_KERNEL);
	if (!p->buf) {
		kfree(p);
		return -ENOMEM;
	}
	mutex_init(&p->lock);
	init_waitqueue_head(&p->rd_wait);
	init_waitqueue_head(&p->wr_wait);
	p->ino = __atomic_fetch_add(&next_pipe_ino, 1, __ATOMIC_RELAXED);
	p->readers = p->writers = 1;
	rf = alloc_file(&pipe_fops, O_RDONLY | (flags & O_NONBLOCK), p);
	wf = IS_ERR(rf) ? rf : alloc_file(&pipe_fops, O_WRONLY | (flags & O_NONBLOCK), p);
	if (IS_ERR(wf)) {
		if (!IS_ERR(rf)) {
			p->writers = 0;
			fput(rf);	/* frees the pipe: no writer, no reader */
		} else {
			kfree(p->buf);
			kfree(p);
		}
		return -ENOMEM;
	}
	fd[0] = files_install(current->files, rf, 0, flags & O_CLOEXEC);
	if (fd[0] < 0) {
		fput(rf);
		fput(wf);
		return fd[0];
	}
	fd[1] = files_install(current->files, wf, 0, flags & O_CLOEXEC);
	if (fd[1] < 0) {
		files_close(current->files, fd[0]);
		fput(wf);
		return fd[1];
	}
	if (copy_to_user(fildes, fd, sizeof(fd))) {
		/* Linux closes both again: the caller never learnt them */
		files_close(current->files, fd[0]);
		files_close(current->files, fd[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE1(pipe, int __user *, fildes)
{
	return do_pipe2(fildes, 0);
}

SYSCALL_DEFINE2(pipe2, int __user *, fildes, int, flags)
{
	return do_pipe2(fildes, flags);
}
