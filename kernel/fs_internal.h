/*
 * fs_internal.h - what the files of the file layer share among themselves:
 * kernel/file.c (struct file, fd tables), open.c (paths, open, fd
 * syscalls, getdents64), read_write.c, stat.c, initrd.c, tty.c, proc.c
 * and their test, kernel/file_test.c.  The rest of the kernel uses
 * kernel/file.h.
 *
 * The name space: one tree, read-only, built at boot from the initrd
 * (initrd.c), with /proc (proc.c) hung on it.  Every path is normalised
 * first (path_normalize() in cpio.c: absolute, no ".", "..", "//"), then
 * "/proc" and below go to proc.c and everything else to initrd.c.  The
 * console tty (tty.c) has no path: it is fds 0, 1 and 2 of the first
 * process (files_alloc_console()).
 */
#ifndef KERNEL_FS_INTERNAL_H
#define KERNEL_FS_INTERNAL_H

#include "kernel/types.h"
#include "kernel/file.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"

/* Linux's MAX_RW_COUNT: one read or write moves at most this much */
#define MAX_RW_COUNT	(0x7fffffffL & ~(long)(4096 - 1))
#define UIO_MAXIOV	1024

/* ------------------------------------------------------------ file.c */

/* A new file with one reference, or ERR_PTR(-ENOMEM). */
struct file *alloc_file(const struct file_operations *fop, unsigned flags, void *private_data);

/* Access the file was opened for (FMODE_READ / FMODE_WRITE in Linux);
 * an O_PATH file allows neither. */
static inline bool file_readable(const struct file *f)
{
	return !(f->f_flags & O_PATH) && (f->f_flags & O_ACCMODE) != O_WRONLY;
}
static inline bool file_writable(const struct file *f)
{
	return !(f->f_flags & O_PATH) && (f->f_flags & O_ACCMODE) != O_RDONLY &&
	       (f->f_flags & O_ACCMODE) != O_ACCMODE;
}

/*
 * fd-table operations on an explicit table (the syscalls pass
 * current->files; the tests their own table).  An fd is an int: anything
 * outside 0..NR_OPEN_DEFAULT-1 is simply not open (-EBADF).
 */
struct file *files_fget(struct files_struct *files, int fd);	/* counted; NULL if bad */
/* The lowest free fd >= minfd gets @f (the caller's reference moves into
 * the table): the fd, -EMFILE when none is free, -EINVAL if minfd is
 * beyond the table (F_DUPFD's rule). */
int files_install(struct files_struct *files, struct file *f, unsigned minfd, bool cloexec);
int files_close(struct files_struct *files, int fd);		/* 0 or -EBADF */
/* dup2/dup3: newfd now refers to oldfd's file; newfd's old file is closed */
int files_dup2(struct files_struct *files, int oldfd, int newfd, bool cloexec);
int files_get_cloexec(struct files_struct *files, int fd);	/* 0/1, -EBADF */
int files_set_cloexec(struct files_struct *files, int fd, bool on);
int files_count_open(struct files_struct *files);		/* fds in use */

/* ------------------------------------------------------------ directories */

#define DT_UNKNOWN	0
#define DT_CHR		2
#define DT_DIR		4
#define DT_REG		8

static inline unsigned dt_type(u32 mode)
{
	return S_ISDIR(mode) ? DT_DIR : S_ISREG(mode) ? DT_REG : S_ISCHR(mode) ? DT_CHR : DT_UNKNOWN;
}

/*
 * Linux's struct dir_context: a directory hands its entries, from
 * position ctx->pos on, to ->actor, and advances ctx->pos past each one
 * the actor accepted.  Positions are 0 ".", 1 "..", then 2, 3, ... for
 * the entries proper, so "the position after this entry" is pos + 1 and
 * lseek(fd, 0, SEEK_SET) rewinds.  The actor returns false when it has no
 * room; that entry is not consumed.
 */
struct dir_context {
	bool (*actor)(struct dir_context *ctx, const char *name, size_t len,
		      u64 ino, unsigned type);
	u64 pos;
};

/* open.c: list a directory file (-ENOTDIR for anything else) */
int iterate_dir(struct file *f, struct dir_context *ctx);

/* ------------------------------------------------------------ open.c */

/*
 * Linux's open-time checks for an existing object of type @mode:
 * O_CREAT|O_EXCL -> -EEXIST; a directory opened for writing, with O_TRUNC
 * or O_CREAT -> -EISDIR; a non-directory with O_DIRECTORY or a trailing
 * "/" (@dir_only) -> -ENOTDIR; writing or truncating a file -> @write_err
 * (-EROFS on the initrd, -EACCES in /proc).  With O_PATH only the
 * directory checks apply (nothing will be read or written).
 */
int may_open(u32 mode, int flags, bool dir_only, int write_err);

/*
 * The path walk of every path-taking syscall: copy @upath from user space
 * (-EFAULT, -ENAMETOOLONG at PATH_MAX), put a relative path under @dfd's
 * directory (AT_FDCWD: "/"; a bad dfd -EBADF, not a directory -ENOTDIR),
 * normalise it and open it with @flags.  "" is -ENOENT, unless @empty_ok
 * (AT_EMPTY_PATH): then it is @dfd's own file.  Returns a file or ERR_PTR.
 */
struct file *user_path_open(int dfd, const char __user *upath, int flags, bool empty_ok);

/* What f_flags keeps of the open flags: Linux drops the open-time-only
 * ones and adds O_LARGEFILE on 64-bit (so F_GETFL shows it). */
static inline unsigned open_file_flags(int flags)
{
	return ((unsigned)flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) |
	       O_LARGEFILE;
}

/* ------------------------------------------------------------ initrd.c */

struct initrd_entry {
	struct initrd_entry *parent;	/* NULL for the root */
	struct initrd_entry *children;	/* first child, in archive order */
	struct initrd_entry *last_child;
	struct initrd_entry *next;	/* next sibling */
	u64 ino;
	u32 mode, uid, gid;
	u32 nr_subdirs;			/* st_nlink of a directory is 2 + this */
	s64 mtime;
	u64 size;
	const u8 *data;			/* in the direct map; NULL when size is 0 */
	u16 namelen;
	char name[];			/* the last component; "" for the root */
};

/* One tree: the boot initrd's, or a test's. */
struct initrd_fs {
	struct initrd_entry *root;
	u64 next_ino;
	unsigned nr_files, nr_dirs;	/* in the tree (dirs include the root) */
	unsigned nr_ignored;		/* symlinks, devices, ... and conflicts */
	u64 file_bytes;
};

/*
 * Build a tree from an archive (NULL, 0: just "/" and "/proc").  On a
 * malformed archive returns -EINVAL with *why and *where from the parser
 * and leaves nothing allocated; -ENOMEM likewise.  The tree points into
 * the archive, which must stay mapped for as long as the tree lives.
 */
int initrd_fs_build(struct initrd_fs *fs, const void *archive, size_t size,
		    const char **why, size_t *where);
void initrd_fs_free(struct initrd_fs *fs);	/* no file may still use it */
/* Make @fs the tree paths resolve in; returns the previous one (tests). */
struct initrd_fs *initrd_set_root(struct initrd_fs *fs);

/* @path normalised: 0 and *out, -ENOENT, or -ENOTDIR (a file on the way) */
int initrd_resolve(const char *path, struct initrd_entry **out);
struct file *initrd_open(const char *path, int flags, bool dir_only);
/* The absolute path of @e into buf; its length, or -ENAMETOOLONG */
long initrd_path(const struct initrd_entry *e, char *buf, size_t size);
int initrd_iterate(struct file *f, struct dir_context *ctx);
extern const struct file_operations initrd_file_fops, initrd_dir_fops;

/* ------------------------------------------------------------ proc.c */

bool is_proc_path(const char *path);		/* "/proc" or below (normalised) */
struct file *proc_open(const char *path, int flags, bool dir_only);
int proc_iterate(struct file *f, struct dir_context *ctx);
extern const struct file_operations proc_dir_fops, proc_file_fops;
#define PROC_ROOT_INO	1

/* ------------------------------------------------------------ tty.c */

/* ioctl numbers and structures, Linux's (include/uapi/asm-generic/ioctls.h) */
#define TCGETS		0x5401
#define TCSETS		0x5402
#define TCSETSW		0x5403
#define TCSETSF		0x5404
#define TIOCGWINSZ	0x5413
#define TIOCSWINSZ	0x5414
#define FIONREAD	0x541B
#define FIONBIO		0x5421
#define FIONCLEX	0x5450
#define FIOCLEX		0x5451

#define NCCS		19
struct termios {		/* the kernel's struct termios (TCGETS), 36 bytes */
	u32 c_iflag, c_oflag, c_cflag, c_lflag;
	u8 c_line;
	u8 c_cc[NCCS];
};
_Static_assert(sizeof(struct termios) == 36, "struct termios is 36 bytes");

struct winsize {
	u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* c_cc[] indices and the flag bits the line discipline honours */
#define VINTR		0
#define VERASE		2
#define VKILL		3
#define VEOF		4
#define VTIME		5
#define VMIN		6
#define ICRNL		0000400
#define IXON		0002000
#define OPOST		0000001
#define ONLCR		0000004
#define ISIG		0000001
#define ICANON		0000002
#define ECHO		0000010
#define ECHOE		0000020
#define ECHOK		0000040
#define ECHOCTL		0001000
#define ECHOKE		0004000
#define IEXTEN		0100000

/* Where a tty's bytes come from and go to.  getc(wait=true) sleeps until
 * a byte comes (-1: there is no device); getc(wait=false) returns -1 at
 * once when nothing is waiting. */
struct tty_ops {
	int (*getc)(void *arg, bool wait);
	void (*write)(void *arg, const char *s, size_t n);
};

struct tty_struct;
struct tty_struct *tty_alloc(const struct tty_ops *ops, void *arg);	/* tests */
void tty_free(struct tty_struct *tty);		/* after its last file is closed */
struct file *tty_open(struct tty_struct *tty, int flags);
struct file *tty_open_console(int flags);	/* the serial/screen console */
extern const struct file_operations tty_fops;

#endif
