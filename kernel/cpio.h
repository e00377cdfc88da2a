/*
 * cpio.h - a defensive parser for "newc" cpio archives (the initrd format).
 *
 * What `find . | cpio -o -H newc` writes (the format Linux's initramfs
 * uses; "man 5 cpio" calls it "New ASCII Format"), one record per file:
 *
 *	110-byte header: magic "070701" (or "070702": the same with a
 *	        checksum), then 13 fields of exactly 8 ASCII hex digits:
 *	        ino mode uid gid nlink mtime filesize devmajor devminor
 *	        rdevmajor rdevminor namesize check
 *	name:   namesize bytes, the last one NUL; header + name padded with
 *	        NULs to a multiple of 4 bytes
 *	data:   filesize bytes, padded to a multiple of 4 bytes
 *
 * and a last record named "TRAILER!!!" (cpio pads the archive after it to
 * a 512-byte block; those bytes are ignored).
 *
 * The parser is pure (no allocation, no kernel state) so the host unit
 * tests (tests/unit/test_cpio.c) run it under AddressSanitizer on broken
 * and randomly corrupted archives.
 *
 * Invariants:
 *  - nothing outside [archive, archive + size) is ever read: every length
 *    is checked against what is left before it is used, in 64-bit
 *    arithmetic that cannot wrap (the fields are at most 2^32 - 1);
 *  - an entry handed out has a NUL-terminated normalised name and
 *    [data, data + size) inside the archive;
 *  - after the first error the reader stays failed: cpio_next() keeps
 *    returning -1 with the same message.  A malformed archive is rejected,
 *    not half-trusted.
 */
#ifndef KERNEL_CPIO_H
#define KERNEL_CPIO_H

#include "kernel/types.h"

#define CPIO_HEADER_SIZE	110
#define CPIO_NAME_MAX		1024	/* normalised name, NUL included */
#define CPIO_COMPONENT_MAX	255	/* one path component (Linux NAME_MAX) */
#define CPIO_TRAILER		"TRAILER!!!"

/* the file-type part of a mode (Linux's values, include/uapi/linux/stat.h) */
#define CPIO_S_IFMT		0170000
#define CPIO_S_IFDIR		0040000
#define CPIO_S_IFREG		0100000

enum cpio_type {
	CPIO_FILE,			/* regular file */
	CPIO_DIR,			/* directory: size 0 */
	CPIO_OTHER,			/* symlink, device, fifo, socket: callers skip it */
};

struct cpio_entry {
	char name[CPIO_NAME_MAX];	/* normalised: "/bin/sh"; "." becomes "/" */
	enum cpio_type type;
	u32 mode;			/* type and permission bits, as stored */
	u32 ino, uid, gid, nlink, mtime;
	u32 rdev_major, rdev_minor;
	u64 size;			/* data bytes */
	const u8 *data;			/* inside the archive */
	size_t offset;			/* of the header, for messages */
};

struct cpio_reader {
	const u8 *base;
	size_t size;
	size_t pos;			/* next header; always <= size */
	bool done;			/* the trailer was read */
	const char *error;		/* NULL, or why the archive is rejected */
	size_t error_offset;		/* where (archive offset of the header) */
};

void cpio_init(struct cpio_reader *r, const void *archive, size_t size);

/*
 * The next entry into *e: returns 1 for an entry, 0 at the trailer (and
 * every call after it), -1 if the archive is malformed (r->error says why,
 * r->error_offset where).  Entries of every type are returned; e->type
 * tells regular files and directories from the rest.
 */
int cpio_next(struct cpio_reader *r, struct cpio_entry *e);

/*
 * Normalise the path src[0..len) into dst (size bytes): an absolute path
 * with single slashes and no "." or ".." components ("./bin//sh" ->
 * "/bin/sh", "a/../b" -> "/b", "" or "." -> "/").  A relative path is
 * taken relative to "/", and ".." at the root stays at the root, as in a
 * path walk.  *dir_only (if not NULL) is set when the path can only name a
 * directory: it ended in "/", "." or "..".  Stops at a NUL inside src.
 * Returns the length of dst, or -ENAMETOOLONG if dst is too small or a
 * component is longer than CPIO_COMPONENT_MAX.
 */
long path_normalize(char *dst, size_t size, const char *src, size_t len, bool *dir_only);

#endif
