/*
 * fuzz_cpio.c - libFuzzer target for the initrd's newc cpio reader and
 * path_normalize() (kernel/cpio.c).
 *
 * The input is an archive.  Every entry handed out must keep cpio.h's
 * promises: its data lies inside the archive, its name is terminated and
 * normalised, a directory has no data; the reader never moves backwards
 * and, once failed or finished, stays so.  The same bytes are also fed to
 * path_normalize() as a path, whose result must be absolute, free of
 * "//", "." and ".." components, and a fixed point (normalising it again
 * changes nothing).
 */
#include "fuzz.h"
#include "kernel/errno.h"
#include "kernel/cpio.h"

/* An absolute path with no empty, "." or ".." component ("/" alone is fine). */
static void check_normal(const char *p, size_t n)
{
	FUZZ_ASSERT(n >= 1 && p[0] == '/' && strlen(p) == n);
	FUZZ_ASSERT(n == 1 || p[n - 1] != '/');
	FUZZ_ASSERT(!strstr(p, "//"));
	for (const char *c = p; (c = strchr(c, '/')) != NULL; c++) {
		size_t len = strcspn(c + 1, "/");

		FUZZ_ASSERT(len <= CPIO_COMPONENT_MAX);
		FUZZ_ASSERT(!(len == 1 && c[1] == '.'));
		FUZZ_ASSERT(!(len == 2 && c[1] == '.' && c[2] == '.'));
	}
}

static void fuzz_path(const uint8_t *data, size_t size)
{
	static char out[CPIO_NAME_MAX], again[CPIO_NAME_MAX];
	char *src = (char *)fuzz_copy(data, size);
	bool dir;
	long n = path_normalize(out, sizeof(out), src, size, &dir);

	if (n >= 0) {
		long m;

		FUZZ_ASSERT((size_t)n < sizeof(out));
		check_normal(out, (size_t)n);
		m = path_normalize(again, sizeof(again), out, (size_t)n, NULL);
		FUZZ_ASSERT(m == n && !memcmp(out, again, (size_t)n + 1));
	} else {
		FUZZ_ASSERT(n == -ENAMETOOLONG);
	}
	free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cpio_entry e;
	struct cpio_reader r;
	uint8_t *buf = fuzz_copy(data, size);
	size_t last_pos = 0;
	int ret = 1;

	cpio_init(&r, buf, size);
	/* each entry takes at least a 110-byte header, so this ends the loop */
	for (size_t i = 0; i <= size / CPIO_HEADER_SIZE + 1 && ret == 1; i++) {
		ret = cpio_next(&r, &e);
		FUZZ_ASSERT(ret >= -1 && ret <= 1);
		FUZZ_ASSERT(r.pos <= size && r.pos >= last_pos);
		if (ret != 1)
			break;
		FUZZ_ASSERT(r.pos > last_pos);
		last_pos = r.pos;
		FUZZ_ASSERT(e.offset + CPIO_HEADER_SIZE <= size);
		FUZZ_ASSERT_TERMINATED(e.name);
		check_normal(e.name, strlen(e.name));
		if (e.size) {
			FUZZ_ASSERT(e.data >= buf && e.data <= buf + size);
			FUZZ_ASSERT(e.size <= (uint64_t)(buf + size - e.data));
			FUZZ_ASSERT(e.data >= buf + e.offset + CPIO_HEADER_SIZE);
		} else {
			FUZZ_ASSERT(e.data == NULL);
		}
		FUZZ_ASSERT(e.type == CPIO_FILE || e.type == CPIO_DIR || e.type == CPIO_OTHER);
		FUZZ_ASSERT(e.type != CPIO_DIR || e.size == 0);
		FUZZ_ASSERT((e.type == CPIO_FILE) == ((e.mode & CPIO_S_IFMT) == CPIO_S_IFREG));
	}
	FUZZ_ASSERT(ret != 1);		/* the loop bound was never the reason to stop */
	if (ret == -1) {
		const char *why = r.error;
		size_t where = r.error_offset;

		FUZZ_ASSERT(why && why[0]);
		FUZZ_ASSERT(cpio_next(&r, &e) == -1 && r.error == why && r.error_offset == where);
	} else {
		FUZZ_ASSERT(r.done && !r.error);
		FUZZ_ASSERT(cpio_next(&r, &e) == 0);
	}
	free(buf);

	fuzz_path(data, size);
	return 0;
}
