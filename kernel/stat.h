/*
 * stat.h - file attributes: struct kstat (what ->getattr fills, the
 * kernel's view) and struct stat (what stat(2) copies out, Linux's x86-64
 * layout byte for byte, arch/x86/include/uapi/asm/stat.h).
 *
 * The two are kept apart as in Linux: file types fill a kstat without
 * caring about the user layout, and kernel/stat.c alone converts.
 */
#ifndef KERNEL_STAT_H
#define KERNEL_STAT_H

#include "kernel/types.h"

#define S_IFMT		0170000
#define S_IFSOCK	0140000
#define S_IFLNK		0120000
#define S_IFREG		0100000
#define S_IFBLK		0060000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_IFIFO		0010000
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m)	(((m) & S_IFMT) == S_IFCHR)
#define S_IXUGO		0111

/* new_encode_dev(): how Linux packs major:minor into st_dev / st_rdev */
#define MKDEV_USER(major, minor) \
	(((u64)(minor) & 0xff) | ((u64)(major) << 8) | (((u64)(minor) & ~0xffULL) << 12))

struct kstat {
	u64 dev;		/* the "file system": see docs/files.md */
	u64 ino;
	u64 rdev;		/* device files: what they stand for */
	u32 mode;		/* S_IF* | permissions */
	u32 nlink;
	u32 uid, gid;
	s64 size;
	s64 mtime;		/* seconds; also reported as atime and ctime */
};

struct stat {
	u64 st_dev;
	u64 st_ino;
	u64 st_nlink;
	u32 st_mode;
	u32 st_uid;
	u32 st_gid;
	int __pad0;
	u64 st_rdev;
	s64 st_size;
	s64 st_blksize;
	s64 st_blocks;		/* 512-byte units */
	u64 st_atime;
	u64 st_atime_nsec;
	u64 st_mtime;
	u64 st_mtime_nsec;
	u64 st_ctime;
	u64 st_ctime_nsec;
	s64 __unused[3];
};
_Static_assert(sizeof(struct stat) == 144, "struct stat is 144 bytes on x86-64");
_Static_assert(__builtin_offsetof(struct stat, st_mode) == 24, "st_mode at 24");
_Static_assert(__builtin_offsetof(struct stat, st_rdev) == 40, "st_rdev at 40");
_Static_assert(__builtin_offsetof(struct stat, st_size) == 48, "st_size at 48");
_Static_assert(__builtin_offsetof(struct stat, st_mtime) == 88, "st_mtime at 88");

struct file;
/* ->getattr, or -EINVAL for a file type without one */
int vfs_getattr(struct file *f, struct kstat *st);

#endif
