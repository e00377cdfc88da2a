/*
 * file.c - struct file lifetime and the per-process fd tables.
 *
 * A struct file is created with one reference (alloc_file) and freed when
 * the last one is dropped (fput -> ->release -> kfree).  References are
 * held by fd-table slots (one per slot: dup() makes two slots share a file
 * and its position, as in Unix), by fget() callers for the duration of a
 * system call, and by VMAs mapping the file.
 *
 * An fd table (struct files_struct) is shared by the threads of a process
 * (CLONE_FILES: files->count) and copied by fork (dup_files).
 *
 * Locking: files->lock (a spinlock, never taken by interrupt handlers, so
 * plain spin_lock) protects fd[] and close_on_exec.  It is held only to
 * read or swap slots and to take references (an atomic increment); the
 * fput() of a file taken out of a slot runs after it is dropped, because
 * ->release may free memory or, for some file types, sleep.  That is what
 * makes close() in one thread safe against read() in another: the reader
 * holds its own reference from fget(), so the file lives until the read
 * is over and the last fput() happens there.
 *
 * sys_ioctl lives here too: its generic commands (FIOCLEX, FIONCLEX,
 * FIONBIO) act on the fd table and f_flags; the rest go to ->ioctl.
 *
 * Invariants:
 *   - f_count >= 1 while the file is reachable; it only reaches 0 once;
 *   - nr_files counts the struct files between alloc_file and the final
 *     fput, so leak checks can compare it before and after a test;
 *   - a close_on_exec bit is set only for an fd that is in use.
 */
#include "kernel/fs_internal.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/printk.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "sched/sched.h"

static atomic_t nr_files = ATOMIC_INIT(0);

_Static_assert(NR_OPEN_DEFAULT <= 64, "close_on_exec is one u64");

struct file *alloc_file(const struct file_operations *fop, unsigned flags, void *private_data)
{
	struct file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->f_op = fop;
	atomic_set(&f->f_count, 1);
	f->f_flags = flags;
	f->private_data = private_data;
	atomic_inc(&nr_files);
	return f;
}

struct file *get_file(struct file *f)
{
	atomic_inc(&f->f_count);
	return f;
}

void fput(struct file *f)
{
	if (!f)
		return;
	if (atomic_read(&f->f_count) <= 0) {
		pr_err("file: fput of a file with f_count %d (caller %p)\n",
		       atomic_read(&f->f_count), __builtin_return_address(0));
		return;
	}
	if (!atomic_dec_and_test(&f->f_count))
		return;
	if (f->f_op && f->f_op->release)
		f->f_op->release(f);
	kfree(f);
	atomic_fetch_add(-1, &nr_files);
}

u64 nr_open_files(void)
{
	return atomic_read(&nr_files);
}

/* ------------------------------------------------------------ fd tables */

static bool fd_valid(int fd)
{
	return fd >= 0 && fd < NR_OPEN_DEFAULT;
}

static struct files_struct *alloc_files(void)
{
	struct files_struct *files = kzalloc(sizeof(*files), GFP_KERNEL);

	if (!files)
		return NULL;
	atomic_set(&files->count, 1);
	spin_lock_init(&files->lock);
	return files;
}

struct file *files_fget(struct files_struct *files, int fd)
{
	struct file *f = NULL;

	if (!files || !fd_valid(fd))
		return NULL;
	spin_lock(&files->lock);
	if (files->fd[fd])
		f = get_file(files->fd[fd]);
	spin_unlock(&files->lock);
	return f;
}

struct file *fget(int fd)
{
	return files_fget(current->files, fd);
}

int files_install(struct files_struct *files, struct file *f, unsigned minfd, bool cloexec)
{
	int fd;

	if (!files)
		return -EBADF;
	if (minfd >= NR_OPEN_DEFAULT)
		return -EINVAL;
	spin_lock(&files->lock);
	for (fd = minfd; fd < NR_OPEN_DEFAULT; fd++)
		if (!files->fd[fd])
			break;
	if (fd == NR_OPEN_DEFAULT) {
		spin_unlock(&files->lock);
		return -EMFILE;
	}
	files->fd[fd] = f;
	if (cloexec)
		files->close_on_exec |= BIT(fd);
	else
		files->close_on_exec &= ~BIT(fd);
	spin_unlock(&files->lock);
	return fd;
}

int files_close(struct files_struct *files, int fd)
{
	struct file *f;

	if (!files || !fd_valid(fd))
		return -EBADF;
	spin_lock(&files->lock);
	f = files->fd[fd];
	files->fd[fd] = NULL;
	files->close_on_exec &= ~BIT(fd);
	spin_unlock(&files->lock);
	if (!f)
		return -EBADF;
	fput(f);
	return 0;
}

int files_dup2(struct files_struct *files, int oldfd, int newfd, bool cloexec)
{
	struct file *f, *old;

	if (!files || !fd_valid(oldfd) || !fd_valid(newfd))
		return -EBADF;
	spin_lock(&files->lock);
	f = files->fd[oldfd];
	if (!f) {
		spin_unlock(&files->lock);
		return -EBADF;
	}
	old = files->fd[newfd];
	files->fd[newfd] = get_file(f);
	if (cloexec)
		files->close_on_exec |= BIT(newfd);
	else
		files->close_on_exec &= ~BIT(newfd);
	spin_unlock(&files->lock);
	fput(old);			/* dup2 closes newfd's file silently */
	return newfd;
}

int files_get_cloexec(struct files_struct *files, int fd)
{
	int ret = -EBADF;

	if (!files || !fd_valid(fd))
		return -EBADF;
	spin_lock(&files->lock);
	if (files->fd[fd])
		ret = (files->close_on_exec >> fd) & 1;
	spin_unlock(&files->lock);
	return ret;
}

int files_set_cloexec(struct files_struct *files, int fd, bool on)
{
	int ret = -EBADF;

	if (!files || !fd_valid(fd))
		return -EBADF;
	spin_lock(&files->lock);
	if (files->fd[fd]) {
		if (on)
			files->close_on_exec |= BIT(fd);
		else
			files->close_on_exec &= ~BIT(fd);
		ret = 0;
	}
	spin_unlock(&files->lock);
	return ret;
}

int files_count_open(struct files_struct *files)
{
	int n = 0;

	if (!files)
		return 0;
	spin_lock(&files->lock);
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++)
		n += files->fd[fd] != NULL;
	spin_unlock(&files->lock);
	return n;
}

/* ------------------------------------------------------------ whole tables */

struct files_struct *files_alloc_console(void)
{
	struct files_struct *files = alloc_files();
	struct file *tty;

	if (!files)
		return NULL;
	/* one open file description in three slots, as when init opens
	 * /dev/console and dups it: they share the file and its flags */
	tty = tty_open_console(O_RDWR);
	if (IS_ERR(tty)) {
		kfree(files);
		return NULL;
	}
	files->fd[0] = tty;
	files->fd[1] = get_file(tty);
	files->fd[2] = get_file(tty);
	return files;
}

/* fork: a new table with the same files (each slot one more reference).
 * A task without a table (a kernel thread) gets an empty one. */
struct files_struct *dup_files(struct files_struct *old)
{
	struct files_struct *files = alloc_files();

	if (!files || !old)
		return files;
	spin_lock(&old->lock);
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++)
		if (old->fd[fd])
			files->fd[fd] = get_file(old->fd[fd]);
	files->close_on_exec = old->close_on_exec;
	spin_unlock(&old->lock);
	return files;
}

void get_files(struct files_struct *files)
{
	atomic_inc(&files->count);
}

/* The last user closes everything.  No lock: nobody else can reach the
 * table any more. */
void put_files(struct files_struct *files)
{
	if (!files || !atomic_dec_and_test(&files->count))
		return;
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++) {
		struct file *f = files->fd[fd];

		files->fd[fd] = NULL;
		fput(f);
	}
	kfree(files);
}

/* exec: close the fds marked close-on-exec.  The other threads are gone
 * by now (de_thread), but a CLONE_FILES sibling process may still share
 * the table, so the slots are emptied under the lock. */
void do_close_on_exec(struct files_struct *files)
{
	struct file *victims[NR_OPEN_DEFAULT];
	int n = 0;

	if (!files)
		return;
	spin_lock(&files->lock);
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++) {
		if (!((files->close_on_exec >> fd) & 1))
			continue;
		if (files->fd[fd])
			victims[n++] = files->fd[fd];
		files->fd[fd] = NULL;
	}
	files->close_on_exec = 0;
	spin_unlock(&files->lock);
	while (n > 0)
		fput(victims[--n]);
}

/* ------------------------------------------------------------ ioctl(2) */

SYSCALL_DEFINE3(ioctl, unsigned int, fd, unsigned int, cmd, unsigned long, arg)
{
	struct file *f = fget(fd);
	long ret;

	if (!f)
		return -EBADF;
	if (f->f_flags & O_PATH) {
		fput(f);
		return -EBADF;
	}
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		ret = files_set_cloexec(current->files, fd, cmd == FIOCLEX);
		break;
	case FIONBIO: {
		int on;

		ret = -EFAULT;
		if (copy_from_user(&on, (const void __user *)arg, sizeof(on)))
			break;
		/* not atomic against F_SETFL in another thread: Linux takes
		 * f_lock here; a lost update of one flag is the worst case */
		if (on)
			f->f_flags |= O_NONBLOCK;
		else
			f->f_flags &= ~O_NONBLOCK;
		ret = 0;
		break;
	}
	default:
		ret = f->f_op->ioctl ? f->f_op->ioctl(f, cmd, arg) : -ENOTTY;
		break;
	}
	fput(f);
	return ret;
}
