/*
 * file.h - open files and per-process file-descriptor tables.
 *
 * struct file is one open file (Linux's name): operations, position,
 * flags, a reference count.  An fd table (struct files_struct) maps small
 * integers to files; fork() copies the table (each copy holds its own
 * references to the same files, so the position is shared, as in Unix),
 * clone(CLONE_FILES) shares it.
 *
 * Files come from the initrd (read-only, kernel/initrd.c), the console
 * (kernel/tty.c: fds 0, 1, 2 of the first process) and /proc.
 *
 * Reference rules: fget() returns a counted reference or NULL, fput()
 * drops it; the last fput() calls ->release.  A VMA mapping a file holds a
 * reference (get_file) for its lifetime.
 */
#ifndef KERNEL_FILE_H
#define KERNEL_FILE_H

#include "kernel/types.h"
#include "kernel/atomic.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"

struct file;
struct kstat;

struct file_operations {
	/* @buf is a user pointer; *pos is advanced by what was read */
	ssize_t (*read)(struct file *f, char __user *buf, size_t count, u64 *pos);
	ssize_t (*write)(struct file *f, const char __user *buf, size_t count, u64 *pos);
	/* the same, into a kernel buffer (exec, file-backed mmap) */
	ssize_t (*read_kernel)(struct file *f, void *buf, size_t count, u64 pos);
	long (*ioctl)(struct file *f, unsigned cmd, unsigned long arg);
	int (*getattr)(struct file *f, struct kstat *st);
	void (*release)(struct file *f);
	bool seekable;
};

struct file {
	const struct file_operations *f_op;
	atomic_t f_count;
	u64 f_pos;
	unsigned f_flags;		/* O_RDONLY ... as opened */
	void *private_data;		/* the initrd entry, the tty ... */
};

#define NR_OPEN_DEFAULT	64		/* fds 0..63 per process */

struct files_struct {
	atomic_t count;			/* tasks sharing it (CLONE_FILES) */
	spinlock_t lock;
	struct file *fd[NR_OPEN_DEFAULT];
	u64 close_on_exec;		/* bit per fd */
};

struct file *fget(int fd);			/* current's table; NULL if bad */
void fput(struct file *f);
struct file *get_file(struct file *f);		/* one more reference */
/* Open a path in the kernel: the file or an ERR_PTR (-ENOENT, ...) */
struct file *filp_open(const char *path, int flags);
ssize_t kernel_read(struct file *f, void *buf, size_t count, u64 pos);

struct files_struct *files_alloc_console(void);	/* fds 0, 1, 2: the tty */
struct files_struct *dup_files(struct files_struct *old);	/* fork */
void get_files(struct files_struct *files);	/* CLONE_FILES */
void put_files(struct files_struct *files);	/* last one closes all */
void do_close_on_exec(struct files_struct *files);
u64 nr_open_files(void);			/* live struct files, leak checks */

void initrd_init(void);			/* from the multiboot2 module, if any */

#endif
