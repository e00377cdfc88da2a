/*
 * cpio.c - the newc cpio parser and the path normaliser (see cpio.h).
 *
 * Both are pure: they read only the bytes they are given and write only
 * the caller's structures, so tests/unit/test_cpio.c runs them on the host
 * under AddressSanitizer and UBSan.  open() normalises user paths with the
 * same function the parser uses for archive names, so "what a name means"
 * is decided in one place.
 *
 * Every length from the archive is an untrusted 32-bit number.  Offsets are
 * compared with what is left (size - pos), never added first and compared
 * after, so no check can be defeated by wrap-around.
 */
#include "kernel/cpio.h"
#include "kernel/errno.h"
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/string.h"
#endif

/* the header fields, in archive order (after the 6-byte magic) */
enum {
	F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
	F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
	NR_FIELDS
};

static const char *const bad_hex[NR_FIELDS] = {
	"bad hex digit in c_ino", "bad hex digit in c_mode", "bad hex digit in c_uid",
	"bad hex digit in c_gid", "bad hex digit in c_nlink", "bad hex digit in c_mtime",
	"bad hex digit in c_filesize", "bad hex digit in c_devmajor",
	"bad hex digit in c_devminor", "bad hex digit in c_rdevmajor",
	"bad hex digit in c_rdevminor", "bad hex digit in c_namesize",
	"bad hex digit in c_check",
};

void cpio_init(struct cpio_reader *r, const void *archive, size_t size)
{
	r->base = archive;
	r->size = archive ? size : 0;
	r->pos = 0;
	r->done = false;
	r->error = NULL;
	r->error_offset = 0;
}

static int fail(struct cpio_reader *r, size_t offset, const char *why)
{
	r->error = why;
	r->error_offset = offset;
	return -1;
}

/* exactly 8 hex digits; no sign, no spaces, no "0x" (cpio writes none) */
static bool parse_hex8(const u8 *p, u32 *out)
{
	u32 v = 0;

	for (int i = 0; i < 8; i++) {
		u8 c = p[i];
		u32 d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

static u64 align4(u64 x)
{
	return (x + 3) & ~(u64)3;
}

int cpio_next(struct cpio_reader *r, struct cpio_entry *e)
{
	u32 f[NR_FIELDS];
	const u8 *h, *name;
	size_t pos = r->pos, left;
	u64 data_off, next;
	bool crc;

	if (r->error)
		return -1;
	if (r->done)
		return 0;
	left = r->size - pos;		/* pos <= size always */
	if (left == 0)
		return fail(r, pos, "archive ends without a TRAILER!!! entry");
	if (left < CPIO_HEADER_SIZE)
		return fail(r, pos, "truncated header");
	h = r->base + pos;
	if (memcmp(h, "07070", 5) || (h[5] != '1' && h[5] != '2'))
		return fail(r, pos, "bad magic (not a newc cpio archive: use cpio -H newc)");
	crc = h[5] == '2';
	for (int i = 0; i < NR_FIELDS; i++)
		if (!parse_hex8(h + 6 + 8 * i, &f[i]))
			return fail(r, pos, bad_hex[i]);

	/* the name: namesize bytes right after the header, NUL last and only there */
	if (f[F_NAMESIZE] == 0)
		return fail(r, pos, "name size is 0 (no room for the NUL)");
	if (f[F_NAMESIZE] > left - CPIO_HEADER_SIZE)
		return fail(r, pos, "name runs past the end of the archive");
	name = h + CPIO_HEADER_SIZE;
	if (name[f[F_NAMESIZE] - 1] != '\0')
		return fail(r, pos, "name not NUL-terminated");
	if (strnlen((const char *)name, f[F_NAMESIZE]) != f[F_NAMESIZE] - 1)
		return fail(r, pos, "NUL inside name (name size too large)");

	data_off = align4((u64)pos + CPIO_HEADER_SIZE + f[F_NAMESIZE]);
	if (f[F_NAMESIZE] == sizeof(CPIO_TRAILER) && !memcmp(name, CPIO_TRAILER, sizeof(CPIO_TRAILER))) {
		r->done = true;		/* what follows is block padding */
		return 0;
	}
	if (f[F_NAMESIZE] == 1)
		return fail(r, pos, "empty name");

	/* the data: filesize bytes at the next 4-byte boundary */
	if (f[F_FILESIZE] && (data_off > r->size || f[F_FILESIZE] > r->size - data_off))
		return fail(r, pos, "file data runs past the end of the archive");
	next = align4(data_off + f[F_FILESIZE]);

	e->offset = pos;
	e->mode = f[F_MODE];
	e->ino = f[F_INO];
	e->uid = f[F_UID];
	e->gid = f[F_GID];
	e->nlink = f[F_NLINK];
	e->mtime = f[F_MTIME];
	e->rdev_major = f[F_RDEVMAJOR];
	e->rdev_minor = f[F_RDEVMINOR];
	e->size = f[F_FILESIZE];
	e->data = f[F_FILESIZE] ? r->base + data_off : NULL;
	switch (f[F_MODE] & CPIO_S_IFMT) {
	case CPIO_S_IFREG:
		e->type = CPIO_FILE;
		break;
	case CPIO_S_IFDIR:
		if (f[F_FILESIZE])
			return fail(r, pos, "directory with data");
		e->type = CPIO_DIR;
		break;
	default:
		e->type = CPIO_OTHER;
		break;
	}
	if (crc) {
		/* "070702": c_check is the 32-bit sum of the data bytes */
		u32 sum = 0;

		for (u64 i = 0; i < e->size; i++)
			sum += e->data[i];
		if (sum != f[F_CHECK])
			return fail(r, pos, "data checksum mismatch (070702 archive)");
	}
	if (path_normalize(e->name, sizeof(e->name), (const char *)name,
			   f[F_NAMESIZE] - 1, NULL) < 0)
		return fail(r, pos, "name too long (1023 bytes, 255 per component)");

	/* missing padding after the last entry is caught by the next call */
	r->pos = next < r->size ? next : r->size;
	return 1;
}

long path_normalize(char *dst, size_t size, const char *src, size_t len, bool *dir_only)
{
	size_t out = 0, i = 0;
	bool dir = true;		/* "" and "/" name the root */

	if (size < 2)
		return -ENAMETOOLONG;
	dst[out++] = '/';
	while (i < len && src[i]) {
		size_t start, n;

		while (i < len && src[i] == '/')
			i++;
		start = i;
		while (i < len && src[i] && src[i] != '/')
			i++;
		n = i - start;
		if (n == 0) {			/* trailing slashes */
			dir = true;
			break;
		}
		if (n > CPIO_COMPONENT_MAX)
			return -ENAMETOOLONG;
		dir = i < len && src[i] == '/';
		if (n == 1 && src[start] == '.') {
			dir = true;
			continue;
		}
		if (n == 2 && src[start] == '.' && src[start + 1] == '.') {
			/* back to the previous '/'; the root is its own parent */
			while (out > 1 && dst[out - 1] != '/')
				out--;
			if (out > 1)
				out--;
			dir = true;
			continue;
		}
		/* room for an optional '/', the component and the final NUL */
		if ((out > 1) + n + 1 > size - out)
			return -ENAMETOOLONG;
		if (out > 1)
			dst[out++] = '/';
		memcpy(dst + out, src + start, n);
		out += n;
	}
	dst[out] = '\0';
	if (dir_only)
		*dir_only = dir;
	return out;
}
