/*
 * mm - the address-space calls: mmap, munmap, mprotect, brk, madvise, and
 * what the page-fault handler does with the result: demand-zero pages,
 * SIGSEGV with SEGV_MAPERR/SEGV_ACCERR and si_addr, no-execute pages,
 * private file mappings, the stack growing, and many map/unmap cycles (the
 * leak check after the suite catches lost pages).
 */
#include "ktap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PAGE 4096UL

/* The raw calls: musl's wrappers round addresses and check lengths
 * themselves, and the point here is what the kernel does. */
static long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static long sys_mprotect(void *addr, size_t len, int prot)
{
	return syscall(SYS_mprotect, addr, len, prot);
}

static void *map_anon(size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

TEST(mmap_anonymous_zeroed)
{
	size_t len = 16 * PAGE;
	unsigned char *p = map_anon(len, PROT_READ | PROT_WRITE);
	ASSERT(p != MAP_FAILED);
	EXPECT_EQ((uintptr_t)p % PAGE, 0);
	int nonzero = 0;
	for (size_t i = 0; i < len; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(nonzero, 0);
	for (size_t i = 0; i < len; i += 64)
		p[i] = (unsigned char)(i / 64);
	int wrong = 0;
	for (size_t i = 0; i < len; i += 64)
		wrong += p[i] != (unsigned char)(i / 64);
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(munmap(p, len), 0);
}

TEST(mmap_errors)
{
	EXPECT_ERRNO(sys_mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	/* neither MAP_PRIVATE nor MAP_SHARED */
	EXPECT_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	/* MAP_FIXED needs a page-aligned address */
	EXPECT_ERRNO(sys_mmap((void *)0x10000001, PAGE, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
	/* more than the address space */
	EXPECT_ERRNO(sys_mmap(NULL, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	EXPECT_ERRNO(sys_mmap(NULL, (size_t)-PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	/* MAP_FIXED over the kernel's half, or past the top of user space */
	EXPECT_ERRNO(sys_mmap(KERNEL_PTR, PAGE, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
	EXPECT_ERRNO(sys_mmap((void *)0x7ffffffff000UL, 2 * PAGE, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
	/* a file mapping needs a good descriptor and an aligned offset */
	EXPECT_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
	EXPECT_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	int fd = open(ktap.argv0, O_RDONLY);
	ASSERT(fd >= 0);
	EXPECT_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
	/* a shared writable mapping of a read-only descriptor */
	EXPECT_ERRNO(sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	close(fd);
}

TEST(mmap_hint_outside_user_space)
{
	/* without MAP_FIXED an impossible hint is ignored */
	void *p = (void *)sys_mmap(KERNEL_PTR, PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(p != MAP_FAILED);
	EXPECT((uintptr_t)p < 0x800000000000UL);
	EXPECT_EQ(probe_write(p), 0);
	munmap(p, PAGE);
	/* unknown flag bits are ignored by MAP_PRIVATE mappings */
	p = (void *)sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | 0x400000, -1, 0);
	EXPECT(p != MAP_FAILED);
	if (p != MAP_FAILED)
		munmap(p, PAGE);
}

TEST(mmap_fixed_replaces)
{
	unsigned char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT(p != MAP_FAILED);
	memset(p, 0xaa, 4 * PAGE);
	unsigned char *q = mmap(p + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT(q == p + PAGE);
	EXPECT_EQ(p[0], 0xaa);
	EXPECT_EQ(p[PAGE], 0);			/* fresh zero pages */
	EXPECT_EQ(p[3 * PAGE - 1], 0);
	EXPECT_EQ(p[3 * PAGE], 0xaa);
	EXPECT_EQ(munmap(p, 4 * PAGE), 0);
}

TEST(mmap_file_private)
{
	int fd = open(ktap.argv0, O_RDONLY);
	ASSERT(fd >= 0);
	struct stat st;
	ASSERT(fstat(fd, &st) == 0 && st.st_size > (off_t)(2 * PAGE));
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT(p != MAP_FAILED);
	EXPECT(memcmp(p, "\177ELF", 4) == 0);
	unsigned char want[64];
	EXPECT_EQ(pread(fd, want, sizeof(want), PAGE + 100), (ssize_t)sizeof(want));
	EXPECT(memcmp(p + PAGE + 100, want, sizeof(want)) == 0);
	/* read-only: a write faults with SEGV_ACCERR */
	EXPECT_EQ(probe_write(p), SIGSEGV);
	EXPECT_EQ(ktap_probe_code, SEGV_ACCERR);
	EXPECT_EQ(munmap(p, 2 * PAGE), 0);

	/* at an offset */
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	ASSERT(p != MAP_FAILED);
	EXPECT(memcmp(p + 100, want, sizeof(want)) == 0);
	munmap(p, PAGE);

	/* writable private copy: the file does not change */
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT(p != MAP_FAILED);
	p[0] = 'X';
	EXPECT_EQ(p[0], 'X');
	EXPECT(memcmp(p + 1, "ELF", 3) == 0);
	unsigned char magic[4];
	EXPECT_EQ(pread(fd, magic, 4, 0), 4);
	EXPECT(memcmp(magic, "\177ELF", 4) == 0);
	munmap(p, PAGE);

	/* past the end of the file: the rest of the last page reads as zero */
	off_t last = st.st_size & ~(off_t)(PAGE - 1);
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, last);
	ASSERT(p != MAP_FAILED);
	size_t tail = (size_t)(st.st_size - last);
	int nonzero = 0;
	for (size_t i = tail; i < PAGE; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(nonzero, 0);
	munmap(p, PAGE);
	close(fd);
}

TEST(mmap_file_stays_after_close)
{
	int fd = open(ktap.argv0, O_RDONLY);
	ASSERT(fd >= 0);
	unsigned char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT(p != MAP_FAILED);
	EXPECT_EQ(close(fd), 0);
	EXPECT(memcmp(p, "\177ELF", 4) == 0);
	munmap(p, PAGE);
}

TEST(munmap_semantics)
{
	unsigned char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT(p != MAP_FAILED);
	memset(p, 1, 3 * PAGE);
	/* a hole in the middle splits the mapping */
	EXPECT_EQ(munmap(p + PAGE, PAGE), 0);
	EXPECT_EQ(probe_read(p), 0);
	EXPECT_EQ(probe_read(p + 2 * PAGE), 0);
	EXPECT_EQ(probe_read(p + PAGE + 123), SIGSEGV);
	EXPECT_EQ(ktap_probe_code, SEGV_MAPERR);
	EXPECT(ktap_probe_addr == p + PAGE + 123);
	EXPECT_EQ(p[0], 1);
	EXPECT_EQ(p[2 * PAGE], 1);
	/* unmapping what is not mapped is fine */
	EXPECT_EQ(munmap(p + PAGE, PAGE), 0);
	/* one call across the hole removes both pieces */
	EXPECT_EQ(munmap(p, 3 * PAGE), 0);
	EXPECT_EQ(probe_read(p), SIGSEGV);
	EXPECT_EQ(probe_read(p + 2 * PAGE), SIGSEGV);

	EXPECT_ERRNO(munmap(p + 1, PAGE), EINVAL);
	EXPECT_ERRNO(munmap(p, 0), EINVAL);
	EXPECT_ERRNO(munmap(KERNEL_PTR, PAGE), EINVAL);
	EXPECT_ERRNO(munmap((void *)0x7ffffffff000UL, 2 * PAGE), EINVAL);
	EXPECT_ERRNO(munmap(NONCANON_PTR, PAGE), EINVAL);
}

TEST(mprotect_semantics)
{
	unsigned char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT(p != MAP_FAILED);
	p[0] = 7;
	p[PAGE] = 8;
	EXPECT_EQ(mprotect(p, PAGE, PROT_READ), 0);
	EXPECT_EQ(probe_read(p), 0);
	EXPECT_EQ(probe_write(p + 5), SIGSEGV);
	EXPECT_EQ(ktap_probe_code, SEGV_ACCERR);
	EXPECT(ktap_probe_addr == p + 5);
	EXPECT_EQ(p[0], 7);
	EXPECT_EQ(probe_write(p + PAGE), 0);	/* the other page is still RW */
	EXPECT_EQ(mprotect(p, 2 * PAGE, PROT_NONE), 0);
	EXPECT_EQ(probe_read(p + PAGE), SIGSEGV);
	EXPECT_EQ(ktap_probe_code, SEGV_ACCERR);
	EXPECT_EQ(mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE), 0);
	EXPECT_EQ(p[0], 7);			/* contents survive */
	EXPECT_EQ(p[PAGE], 8);
	EXPECT_EQ(probe_write(p), 0);

	EXPECT_ERRNO(sys_mprotect(p + 1, PAGE, PROT_READ), EINVAL);
	EXPECT_ERRNO(sys_mprotect(p, PAGE, 0x100), EINVAL);		/* unknown bit */
	EXPECT_ERRNO(sys_mprotect(p, PAGE, -1), EINVAL);
	EXPECT_ERRNO(sys_mprotect(KERNEL_PTR, PAGE, PROT_READ), ENOMEM);
	EXPECT_EQ(munmap(p, 2 * PAGE), 0);
	EXPECT_ERRNO(sys_mprotect(p, PAGE, PROT_READ), ENOMEM);	/* not mapped */
	EXPECT_EQ(sys_mprotect(p, 0, PROT_READ), 0);		/* nothing to do */
}

TEST(no_execute)
{
	/* a "ret" instruction: runs from an executable page only */
	unsigned char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	ASSERT(p != MAP_FAILED);
	p[0] = 0xc3;
	EXPECT_EQ(probe_exec(p), SIGSEGV);
	EXPECT_EQ(ktap_probe_code, SEGV_ACCERR);
	EXPECT(ktap_probe_addr == p);
	EXPECT_EQ(mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0);
	EXPECT_EQ(probe_exec(p), 0);
	/* the stack and the heap are not executable either */
	unsigned char on_stack[16] = { 0xc3 };
	EXPECT_EQ(probe_exec(on_stack), SIGSEGV);
	unsigned char *heap = malloc(64);
	ASSERT(heap);
	heap[0] = 0xc3;
	EXPECT_EQ(probe_exec(heap), SIGSEGV);
	free(heap);
	munmap(p, PAGE);
}

TEST(null_and_kernel_addresses_fault)
{
	EXPECT_EQ(probe_read(NULL), SIGSEGV);
	EXPECT_EQ(ktap_probe_code, SEGV_MAPERR);
	EXPECT(ktap_probe_addr == NULL);
	EXPECT_EQ(probe_write((void *)0x1000), SIGSEGV);
	EXPECT(ktap_probe_addr == (void *)0x1000);
	/* kernel memory is there but not for ring 3 */
	EXPECT_EQ(probe_read(KERNEL_PTR), SIGSEGV);
	EXPECT_EQ(probe_write(KERNEL_PTR), SIGSEGV);
	EXPECT_EQ(probe_exec(KERNEL_PTR), SIGSEGV);
	/* a non-canonical address is a general protection fault: SIGSEGV,
	 * and Linux reports si_addr 0 for it */
	EXPECT_EQ(probe_read(NONCANON_PTR), SIGSEGV);
	EXPECT(ktap_probe_addr == NULL);
}

TEST(brk_grow_and_shrink)
{
	uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
	EXPECT_NE(start, 0);
	EXPECT_EQ((uintptr_t)sbrk(0), start);
	uintptr_t want = start + 10 * PAGE + 123;
	uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
	EXPECT_EQ(got, want);
	unsigned char *p = (unsigned char *)start;
	int nonzero = 0;
	for (size_t i = 0; i < 10 * PAGE; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(nonzero, 0);
	memset(p, 0x5a, 10 * PAGE + 123);
	/* an impossible break leaves it where it is */
	EXPECT_EQ((uintptr_t)syscall(SYS_brk, (uintptr_t)KERNEL_PTR), want);
	EXPECT_EQ((uintptr_t)syscall(SYS_brk, 0x7ffffffff000UL), want);
	EXPECT_EQ((uintptr_t)syscall(SYS_brk, 1), want);	/* below the start */
	EXPECT_EQ(p[10 * PAGE + 122], 0x5a);
	/* shrinking unmaps the whole pages above the new break */
	uintptr_t low = (start + 2 * PAGE + PAGE - 1) & ~(PAGE - 1);
	EXPECT_EQ((uintptr_t)syscall(SYS_brk, low), low);
	EXPECT_EQ(probe_read(low + 4 * PAGE), SIGSEGV);
	EXPECT_EQ(probe_read(low - 1), 0);
	/* growing again gives zeroes, not the old contents */
	EXPECT_EQ((uintptr_t)syscall(SYS_brk, low + 4 * PAGE), low + 4 * PAGE);
	EXPECT_EQ(((unsigned char *)low)[PAGE], 0);
	EXPECT_EQ((uintptr_t)syscall(SYS_brk, start), start);
}

TEST(madvise_semantics)
{
	unsigned char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT(p != MAP_FAILED);
	memset(p, 0x77, 4 * PAGE);
	EXPECT_EQ(madvise(p, 4 * PAGE, MADV_NORMAL), 0);
	EXPECT_EQ(madvise(p, 4 * PAGE, MADV_WILLNEED), 0);
	EXPECT_EQ(madvise(p, 4 * PAGE, MADV_SEQUENTIAL), 0);
	EXPECT_EQ(madvise(p, 4 * PAGE, MADV_RANDOM), 0);
	EXPECT_EQ(p[0], 0x77);
	/* MADV_DONTNEED drops private anonymous pages: they read as zero */
	EXPECT_EQ(madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED), 0);
	EXPECT_EQ(p[0], 0x77);
	EXPECT_EQ(p[PAGE], 0);
	EXPECT_EQ(p[3 * PAGE - 1], 0);
	EXPECT_EQ(p[3 * PAGE], 0x77);
	p[PAGE] = 1;				/* and are usable again */
	EXPECT_EQ(p[PAGE], 1);
	EXPECT_EQ(madvise(p, 0, MADV_DONTNEED), 0);

	EXPECT_ERRNO(madvise(p + 1, PAGE, MADV_NORMAL), EINVAL);
	EXPECT_ERRNO(madvise(p, PAGE, 999), EINVAL);
	EXPECT_ERRNO(madvise(p, PAGE, -1), EINVAL);
	EXPECT_EQ(munmap(p, 4 * PAGE), 0);
	EXPECT_ERRNO(madvise(p, PAGE, MADV_NORMAL), ENOMEM);	/* not mapped */
	EXPECT_ERRNO(madvise(p, PAGE, MADV_DONTNEED), ENOMEM);
}

static int recurse(int depth, volatile char *prev)
{
	volatile char frame[1024];
	frame[0] = (char)depth;
	frame[1023] = prev ? prev[0] : 0;
	if (depth == 0)
		return frame[0];
	return recurse(depth - 1, frame) + frame[1023] - frame[1023];
}

TEST(stack_grows_to_one_mib)
{
	/* Linux gives the main thread an 8 MiB stack limit; use 1 MiB */
	EXPECT_EQ(recurse(1000, NULL), 0);
}

TEST(big_malloc)
{
	size_t len = 32UL << 20;
	unsigned char *p = malloc(len);
	ASSERT(p != NULL);
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = (unsigned char)(i >> 12);
	int wrong = 0;
	for (size_t i = 0; i < len; i += PAGE)
		wrong += p[i] != (unsigned char)(i >> 12);
	EXPECT_EQ(wrong, 0);
	free(p);
	/* many small ones */
	void *ptrs[1000];
	for (int i = 0; i < 1000; i++) {
		ptrs[i] = malloc((size_t)(i % 97) * 16 + 1);
		if (ptrs[i])
			memset(ptrs[i], i, (size_t)(i % 97) * 16 + 1);
	}
	for (int i = 0; i < 1000; i++) {
		EXPECT(ptrs[i] != NULL);
		free(ptrs[i]);
	}
}

TEST(map_unmap_cycles)
{
	/* a thousand map/touch/unmap rounds: lost pages show in leak_check */
	int bad = 0;
	for (int i = 0; i < 1000; i++) {
		size_t len = (size_t)(1 + i % 8) * PAGE;
		unsigned char *p = map_anon(len, PROT_READ | PROT_WRITE);
		if (p == MAP_FAILED) {
			bad++;
			break;
		}
		for (size_t off = 0; off < len; off += PAGE)
			p[off] = 1;
		if (munmap(p, len) != 0)
			bad++;
	}
	EXPECT_EQ(bad, 0);
}

TEST(mmap_shared_anonymous_after_fork)
{
	/* MAP_SHARED|MAP_ANONYMOUS: parent and child see each other's writes
	 * (and a private mapping next to it stays private) */
	volatile int *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(shared != MAP_FAILED);
	volatile int *private = map_anon(PAGE, PROT_READ | PROT_WRITE);
	ASSERT(private != MAP_FAILED);
	shared[0] = 1;
	private[0] = 1;
	pid_t pid = fork();
	if (pid == 0) {
		shared[1] = shared[0] + 41;
		private[1] = 7;
		/* wait for the parent's answer through the shared page */
		for (int i = 0; i < 5000 && shared[2] == 0; i++)
			sleep_ms(1);
		_exit(shared[2] == 99 ? 0 : 1);
	}
	ASSERT(pid > 0);
	for (int i = 0; i < 5000 && shared[1] == 0; i++)
		sleep_ms(1);
	EXPECT_EQ(shared[1], 42);
	shared[2] = 99;
	EXPECT_EXIT(wait_for(pid), 0);
	EXPECT_EQ(private[1], 0);
	munmap((void *)shared, PAGE);
	munmap((void *)private, PAGE);
}

TEST(munmap_own_stack_in_child)
{
	/* a child that unmaps the page its stack pointer is in dies of
	 * SIGSEGV; the parent does not notice */
	pid_t pid = fork();
	if (pid == 0) {
		volatile char here;
		uintptr_t page = (uintptr_t)&here & ~(PAGE - 1);
		syscall(SYS_munmap, page, PAGE);
		here = 1;
		_exit(0);
	}
	ASSERT(pid > 0);
	EXPECT_KILLED(wait_for(pid), SIGSEGV);
}

static const struct ktap_test tests[] = {
	T(mmap_anonymous_zeroed),
	T(mmap_errors),
	T(mmap_hint_outside_user_space),
	T(mmap_fixed_replaces),
	T(mmap_file_private),
	T(mmap_file_stays_after_close),
	T(munmap_semantics),
	T(mprotect_semantics),
	T(no_execute),
	T(null_and_kernel_addresses_fault),
	T(brk_grow_and_shrink),
	T(madvise_semantics),
	T(stack_grows_to_one_mib),
	T(big_malloc),
	T(map_unmap_cycles),
	T(mmap_shared_anonymous_after_fork),
	T(munmap_own_stack_in_child),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
