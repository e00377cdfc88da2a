/*
 * test_cpio.c - host tests for kernel/cpio.c: the newc parser and
 * path_normalize().
 *
 * Archives are built here in C, byte for byte as GNU cpio -H newc writes
 * them, and every parse runs on a malloc'd copy of exactly the archive's
 * size, so AddressSanitizer turns a read one byte past the end into a
 * crash (= a failed test).  The fuzz tests corrupt good archives at random
 * (fixed seed: a failure is reproducible) and check the invariants of
 * cpio.h on whatever the parser still accepts.
 *
 * The Makefile has no UNIT_SRCS_test_cpio line (the file list is not ours
 * to edit), so the parser is compiled into this file directly.
 */
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include "unit.h"
#include "kernel/errno.h"
#include "kernel/cpio.c"

struct ar {
	uint8_t buf[1 << 16];
	size_t len;
};

static void ar_put(struct ar *a, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (a->len + n > sizeof(a->buf))
		abort();
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void ar_pad(struct ar *a)
{
	static const uint8_t zero[4];

	ar_put(a, zero, (4 - a->len % 4) % 4);
}

/* a record with every field given: namesize and filesize may lie */
static void ar_raw(struct ar *a, const char *magic, uint32_t mode, uint32_t namesize,
		   const char *name, size_t name_bytes, uint32_t filesize,
		   const void *data, size_t data_bytes, uint32_t check)
{
	char h[CPIO_HEADER_SIZE + 1];

	snprintf(h, sizeof(h), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 magic, 1234u, mode, 0u, 0u, 1u, 0x5f5e1000u, filesize, 8u, 1u, 0u, 0u,
		 namesize, check);
	ar_put(a, h, CPIO_HEADER_SIZE);
	ar_put(a, name, name_bytes);
	ar_pad(a);
	ar_put(a, data, data_bytes);
	ar_pad(a);
}

static void ar_entry(struct ar *a, const char *name, uint32_t mode, const char *data)
{
	size_t n = strlen(name) + 1, d = data ? strlen(data) : 0;

	ar_raw(a, "070701", mode, n, name, n, d, data, d, 0);
}

static void ar_trailer(struct ar *a)
{
	ar_entry(a, CPIO_TRAILER, 0, NULL);
	while (a->len % 512)			/* cpio's block padding */
		a->buf[a->len++] = 0;
}

/* The archive `find . | cpio -o -H newc` makes of a small tree. */
static void ar_good(struct ar *a)
{
	a->len = 0;
	ar_entry(a, ".", CPIO_S_IFDIR | 0755, NULL);
	ar_entry(a, "bin", CPIO_S_IFDIR | 0755, NULL);
	ar_entry(a, "bin/sh", CPIO_S_IFREG | 0755, "#!shell\n");
	ar_entry(a, "./etc//motd", CPIO_S_IFREG | 0644, "hello, world\n");
	ar_entry(a, "etc/link", 0120777, "motd");	/* a symlink */
	ar_entry(a, "empty", CPIO_S_IFREG | 0600, NULL);
	ar_trailer(a);
}

static uint8_t *exact_copy(const struct ar *a, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	memcpy(p, a->buf, len);
	return p;
}

struct result {
	int entries, rc;
	const char *error;
	char names[8][64];
};

/* Parse all of it, checking the invariants on every entry. */
static struct result parse_all(const uint8_t *p, size_t len)
{
	struct cpio_reader r;
	struct cpio_entry e;
	struct result res = { 0 };

	cpio_init(&r, p, len);
	while ((res.rc = cpio_next(&r, &e)) == 1) {
		CHECK(e.name[0] == '/');
		CHECK(strlen(e.name) < sizeof(e.name));
		if (e.size) {
			CHECK(e.data >= p && e.data <= p + len);
			CHECK(e.size <= (uint64_t)(p + len - e.data));
		}
		if (e.type == CPIO_DIR)
			CHECK_EQ(e.size, 0);
		if (res.entries < 8)
			snprintf(res.names[res.entries], sizeof(res.names[0]), "%.63s", e.name);
		res.entries++;
		if (res.entries > 100000)
			break;
	}
	CHECK(r.pos <= r.size);
	res.error = r.error;
	if (res.rc < 0) {
		CHECK(r.error != NULL);
		/* failed for good: the next call says the same */
		CHECK_EQ(cpio_next(&r, &e), -1);
	}
	return res;
}

UNIT_TEST(good_archive_entries)
{
	static struct ar a;
	struct cpio_reader r;
	struct cpio_entry e;
	uint8_t *p;

	ar_good(&a);
	p = exact_copy(&a, a.len);
	cpio_init(&r, p, a.len);

	CHECK_EQ(cpio_next(&r, &e), 1);
	CHECK_STR(e.name, "/");
	CHECK_EQ(e.type, CPIO_DIR);
	CHECK_EQ(e.mode, CPIO_S_IFDIR | 0755);
	CHECK_EQ(e.ino, 1234);
	CHECK_EQ(e.mtime, 0x5f5e1000u);
	CHECK_EQ(e.offset, 0);

	CHECK_EQ(cpio_next(&r, &e), 1);
	CHECK_STR(e.name, "/bin");
	CHECK_EQ(e.type, CPIO_DIR);

	CHECK_EQ(cpio_next(&r, &e), 1);
	CHECK_STR(e.name, "/bin/sh");
	CHECK_EQ(e.type, CPIO_FILE);
	CHECK_EQ(e.size, 8);
	CHECK(e.data != NULL && !memcmp(e.data, "#!shell\n", 8));
	CHECK_EQ((e.data - p) % 4, 0);

	CHECK_EQ(cpio_next(&r, &e), 1);
	CHECK_STR(e.name, "/etc/motd");
	CHECK_EQ(e.size, 13);
	CHECK(!memcmp(e.data, "hello, world\n", 13));

	CHECK_EQ(cpio_next(&r, &e), 1);
	CHECK_STR(e.name, "/etc/link");
	CHECK_EQ(e.type, CPIO_OTHER);

	CHECK_EQ(cpio_next(&r, &e), 1);
	CHECK_STR(e.name, "/empty");
	CHECK_EQ(e.size, 0);
	CHECK(e.data == NULL);

	CHECK_EQ(cpio_next(&r, &e), 0);		/* the trailer */
	CHECK(r.done);
	CHECK(r.error == NULL);
	CHECK_EQ(cpio_next(&r, &e), 0);		/* and it stays there */
	free(p);
}

UNIT_TEST(uppercase_and_lowercase_hex)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	struct cpio_reader r;
	struct cpio_entry e;

	/* lower-case the hex of every header (not the names: "TRAILER!!!") */
	ar_good(&a);
	cpio_init(&r, a.buf, a.len);
	do {
		for (size_t i = r.pos + 6; i < r.pos + CPIO_HEADER_SIZE; i++)
			if (a.buf[i] >= 'A' && a.buf[i] <= 'F')
				a.buf[i] += 'a' - 'A';
	} while (cpio_next(&r, &e) == 1);
	CHECK(r.done);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, 0);
	CHECK_EQ(res.entries, 6);
	free(p);
}

UNIT_TEST(empty_and_trailer_only)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	res = parse_all(NULL, 0);
	CHECK_EQ(res.rc, -1);
	CHECK(res.error && strstr(res.error, "TRAILER"));

	a.len = 0;
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, 0);
	CHECK_EQ(res.entries, 0);
	free(p);

	/* the trailer without the block padding is fine too */
	a.len = 0;
	ar_entry(&a, CPIO_TRAILER, 0, NULL);
	p = exact_copy(&a, CPIO_HEADER_SIZE + sizeof(CPIO_TRAILER));
	res = parse_all(p, CPIO_HEADER_SIZE + sizeof(CPIO_TRAILER));
	CHECK_EQ(res.rc, 0);
	free(p);
}

/* Every prefix of a good archive: an error or (past the trailer) success,
 * never a read past the end. */
UNIT_TEST(every_truncation)
{
	static struct ar a;
	size_t trailer_end;

	ar_good(&a);
	trailer_end = a.len;
	while (trailer_end > 0 && a.buf[trailer_end - 1] == 0)
		trailer_end--;			/* the trailer name's NUL is in there */
	for (size_t len = 0; len < a.len; len++) {
		uint8_t *p = exact_copy(&a, len);
		struct result res = parse_all(p, len);

		if (len > trailer_end)
			CHECK_EQ(res.rc, 0);
		else if (res.rc != -1) {
			printf("    # prefix of %zu bytes: rc %d\n", len, res.rc);
			CHECK_EQ(res.rc, -1);
		}
		free(p);
	}
}

UNIT_TEST(truncated_header_message)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	ar_good(&a);
	p = exact_copy(&a, 50);
	res = parse_all(p, 50);
	CHECK_EQ(res.rc, -1);
	CHECK_STR(res.error, "truncated header");
	free(p);
}

UNIT_TEST(bad_magic)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	ar_good(&a);
	memcpy(a.buf, "070707", 6);		/* the old binary-ish "odc" format */
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK(strstr(res.error, "bad magic") != NULL);
	free(p);

	a.buf[0] = 0x1f;			/* gzip */
	a.buf[1] = 0x8b;
	p = exact_copy(&a, a.len);
	CHECK_EQ(parse_all(p, a.len).rc, -1);
	free(p);
}

UNIT_TEST(bad_hex_in_every_field)
{
	static const char *const field[] = {
		"c_ino", "c_mode", "c_uid", "c_gid", "c_nlink", "c_mtime", "c_filesize",
		"c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor", "c_namesize",
		"c_check",
	};
	static const char junk[] = { 'g', ' ', '-', 'x', '\0', (char)0xff };

	for (int i = 0; i < 13; i++) {
		for (size_t j = 0; j < sizeof(junk); j++) {
			static struct ar a;
			uint8_t *p;
			struct result res;

			ar_good(&a);
			a.buf[6 + 8 * i + (int)(j % 8)] = junk[j];
			p = exact_copy(&a, a.len);
			res = parse_all(p, a.len);
			CHECK_EQ(res.rc, -1);
			CHECK(res.error && strstr(res.error, "bad hex") && strstr(res.error, field[i]));
			free(p);
		}
	}
}

UNIT_TEST(name_not_nul_terminated)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	a.len = 0;
	ar_raw(&a, "070701", CPIO_S_IFREG | 0644, 4, "abcd", 4, 0, NULL, 0, 0);
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK_STR(res.error, "name not NUL-terminated");
	free(p);

	/* the whole archive is the header and an unterminated name */
	a.len = 0;
	ar_raw(&a, "070701", CPIO_S_IFREG | 0644, 3, "abc", 3, 0, NULL, 0, 0);
	p = exact_copy(&a, CPIO_HEADER_SIZE + 3);
	res = parse_all(p, CPIO_HEADER_SIZE + 3);
	CHECK_EQ(res.rc, -1);
	CHECK_STR(res.error, "name not NUL-terminated");
	free(p);
}

UNIT_TEST(nul_inside_name_and_empty_name)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	a.len = 0;
	ar_raw(&a, "070701", CPIO_S_IFREG | 0644, 6, "ab\0cd", 6, 0, NULL, 0, 0);
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK(strstr(res.error, "NUL inside name") != NULL);
	free(p);

	a.len = 0;
	ar_raw(&a, "070701", CPIO_S_IFREG | 0644, 1, "", 1, 0, NULL, 0, 0);
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK_STR(res.error, "empty name");
	free(p);

	a.len = 0;
	ar_raw(&a, "070701", CPIO_S_IFREG | 0644, 0, "", 0, 0, NULL, 0, 0);
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK(strstr(res.error, "name size is 0") != NULL);
	free(p);
}

UNIT_TEST(sizes_beyond_the_end)
{
	static const uint32_t namesizes[] = { 200, 0x7fffffff, 0xffffffff };
	static const uint32_t filesizes[] = { 9, 4096, 0x7fffffff, 0xfffffff0, 0xffffffff };

	for (size_t i = 0; i < sizeof(namesizes) / sizeof(namesizes[0]); i++) {
		static struct ar a;
		uint8_t *p;
		struct result res;

		a.len = 0;
		ar_raw(&a, "070701", CPIO_S_IFREG | 0644, namesizes[i], "f", 2, 0, NULL, 0, 0);
		p = exact_copy(&a, a.len);
		res = parse_all(p, a.len);
		CHECK_EQ(res.rc, -1);
		CHECK_STR(res.error, "name runs past the end of the archive");
		free(p);
	}
	for (size_t i = 0; i < sizeof(filesizes) / sizeof(filesizes[0]); i++) {
		static struct ar a;
		uint8_t *p;
		struct result res;

		a.len = 0;
		ar_raw(&a, "070701", CPIO_S_IFREG | 0644, 2, "f", 2, filesizes[i], "12345678", 8, 0);
		p = exact_copy(&a, a.len);	/* no trailer: the data is the end */
		res = parse_all(p, a.len);
		CHECK_EQ(res.rc, -1);
		CHECK_STR(res.error, "file data runs past the end of the archive");
		free(p);
	}
}

UNIT_TEST(missing_trailer_and_padding)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	/* data of 5 bytes ending the buffer: no padding, no trailer */
	a.len = 0;
	ar_raw(&a, "070701", CPIO_S_IFREG | 0644, 2, "f", 2, 5, "abcde", 5, 0);
	p = exact_copy(&a, a.len - 3);
	res = parse_all(p, a.len - 3);
	CHECK_EQ(res.rc, -1);
	CHECK_EQ(res.entries, 1);		/* the file itself was whole */
	CHECK(strstr(res.error, "without a TRAILER") != NULL);
	free(p);
}

UNIT_TEST(directory_with_data_rejected)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	a.len = 0;
	ar_entry(&a, "dir", CPIO_S_IFDIR | 0755, "oops");
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK_STR(res.error, "directory with data");
	free(p);
}

UNIT_TEST(crc_format_checksum)
{
	static struct ar a;
	uint8_t *p;
	uint32_t sum = 'a' + 'b' + 'c';
	struct result res;

	a.len = 0;
	ar_raw(&a, "070702", CPIO_S_IFREG | 0644, 2, "f", 2, 3, "abc", 3, sum);
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, 0);
	CHECK_EQ(res.entries, 1);
	free(p);

	a.len = 0;
	ar_raw(&a, "070702", CPIO_S_IFREG | 0644, 2, "f", 2, 3, "abc", 3, sum + 1);
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK(strstr(res.error, "checksum") != NULL);
	free(p);
}

UNIT_TEST(long_names)
{
	static struct ar a;
	static char name[2048];
	uint8_t *p;
	struct result res;

	/* 1023 bytes normalised (with the leading '/') is the limit */
	memset(name, 'a', sizeof(name));
	for (int i = 200; i < 1022; i += 201)
		name[i] = '/';
	name[1022] = '\0';
	a.len = 0;
	ar_entry(&a, name, CPIO_S_IFREG | 0644, "x");
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, 0);
	CHECK_EQ(res.entries, 1);
	free(p);

	name[1022] = 'a';
	name[1023] = '\0';
	a.len = 0;
	ar_entry(&a, name, CPIO_S_IFREG | 0644, "x");
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, -1);
	CHECK(strstr(res.error, "name too long") != NULL);
	free(p);

	/* one component longer than 255 */
	memset(name, 'b', 300);
	name[300] = '\0';
	a.len = 0;
	ar_entry(&a, name, CPIO_S_IFREG | 0644, "x");
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	CHECK_EQ(parse_all(p, a.len).rc, -1);
	free(p);
}

UNIT_TEST(names_are_normalised)
{
	static struct ar a;
	uint8_t *p;
	struct result res;

	a.len = 0;
	ar_entry(&a, "./", CPIO_S_IFDIR | 0755, NULL);
	ar_entry(&a, "/abs/x", CPIO_S_IFREG | 0644, NULL);
	ar_entry(&a, "../../escape", CPIO_S_IFREG | 0644, NULL);
	ar_entry(&a, "a/./b/../c", CPIO_S_IFREG | 0644, NULL);
	ar_trailer(&a);
	p = exact_copy(&a, a.len);
	res = parse_all(p, a.len);
	CHECK_EQ(res.rc, 0);
	CHECK_EQ(res.entries, 4);
	CHECK_STR(res.names[0], "/");
	CHECK_STR(res.names[1], "/abs/x");
	CHECK_STR(res.names[2], "/escape");
	CHECK_STR(res.names[3], "/a/c");
	free(p);
}

static const char *norm(const char *in, bool *dir)
{
	static char out[64];

	if (path_normalize(out, sizeof(out), in, strlen(in), dir) < 0)
		return "ERR";
	return out;
}

UNIT_TEST(path_normalize_cases)
{
	bool dir;
	char small[4];

	CHECK_STR(norm("", &dir), "/");
	CHECK(dir);
	CHECK_STR(norm("/", &dir), "/");
	CHECK(dir);
	CHECK_STR(norm("bin/sh", &dir), "/bin/sh");
	CHECK(!dir);
	CHECK_STR(norm("./bin/sh", &dir), "/bin/sh");
	CHECK_STR(norm("//bin///sh", &dir), "/bin/sh");
	CHECK(!dir);
	CHECK_STR(norm("/bin/sh/", &dir), "/bin/sh");
	CHECK(dir);
	CHECK_STR(norm("/bin/sh/.", &dir), "/bin/sh");
	CHECK(dir);
	CHECK_STR(norm("/bin/..", &dir), "/");
	CHECK(dir);
	CHECK_STR(norm("/../../..", &dir), "/");
	CHECK_STR(norm("/a/b/../../c/./d", &dir), "/c/d");
	CHECK(!dir);
	CHECK_STR(norm("...", &dir), "/...");	/* a name, not "..", "." */
	CHECK_STR(norm("..a/.b", &dir), "/..a/.b");
	CHECK(!dir);
	CHECK_STR(norm("/proc", &dir), "/proc");

	/* stops at a NUL inside the given length */
	CHECK_EQ(path_normalize(small, sizeof(small), "ab\0cdef", 7, NULL), 3);
	CHECK_STR(small, "/ab");
	/* too small: "/abc" needs 5 bytes */
	CHECK_EQ(path_normalize(small, sizeof(small), "abc", 3, NULL), -ENAMETOOLONG);
	CHECK_EQ(path_normalize(small, 1, "", 0, NULL), -ENAMETOOLONG);
	CHECK_EQ(path_normalize(small, 2, "", 0, NULL), 1);
	/* only the first len bytes count */
	CHECK_EQ(path_normalize(small, sizeof(small), "abcdef", 2, NULL), 3);
	CHECK_STR(small, "/ab");
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Random bytes anywhere, then random but well-formed hex in the length
 * fields (the bytes most likely to be trusted), on exact-size copies. */
UNIT_TEST(random_corruption_fuzz)
{
	static struct ar a;
	static const char hex[] = "0123456789abcdef";
	int accepted = 0, rejected = 0;

	for (int iter = 0; iter < 30000; iter++) {
		size_t len;
		uint8_t *p;
		struct result res;
		int flips = 1 + rnd() % 8;

		ar_good(&a);
		len = a.len;
		if (iter % 3 == 0)
			len = rnd() % (a.len + 1);	/* and cut somewhere */
		for (int k = 0; k < flips; k++) {
			size_t at = rnd() % a.len;

			switch (rnd() % 4) {
			case 0:
				a.buf[at] = (uint8_t)rnd();
				break;
			case 1:
				a.buf[at] = hex[rnd() % 16];
				break;
			case 2:
				a.buf[at] ^= 1u << (rnd() % 8);
				break;
			default: {
				/* rewrite a namesize or filesize field of the
				 * first records with a random valid number */
				static const size_t hdr[] = { 0, 112, 232 };
				size_t h = hdr[rnd() % 3];
				size_t field = rnd() % 2 ? 6 + 8 * 6 : 6 + 8 * 11;
				char v[9];

				snprintf(v, sizeof(v), "%08X", rnd() % 2 ? rnd() : rnd() % 300);
				if (h + field + 8 <= a.len)
					memcpy(a.buf + h + field, v, 8);
				break;
			}
			}
		}
		p = exact_copy(&a, len);
		res = parse_all(p, len);
		if (res.rc == 0)
			accepted++;
		else
			rejected++;
		free(p);
	}
	printf("    # fuzz: %d accepted, %d rejected\n", accepted, rejected);
	CHECK(rejected > 0);
	CHECK(accepted > 0);
}

/* Pure random buffers, some starting with a valid magic. */
UNIT_TEST(random_garbage_fuzz)
{
	static uint8_t buf[1024];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rnd() % sizeof(buf);
		uint8_t *p;

		for (size_t i = 0; i < len; i++)
			buf[i] = iter % 2 ? "0123456789ABCDEF"[rnd() % 16] : (uint8_t)rnd();
		if (len >= 6 && iter % 4 < 2)
			memcpy(buf, "070701", 6);
		p = malloc(len ? len : 1);
		memcpy(p, buf, len);
		(void)parse_all(p, len);
		free(p);
	}
}

int main(void)
{
	return unit_run_all();
}
