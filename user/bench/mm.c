/*
 * mm - page faults and mapping changes.
 *
 *   page fault anon        first write to a page of a fresh anonymous
 *                          mapping: the #PF, a zeroed page, one PTE
 *   mmap+touch+munmap Np   map N pages, write one byte to each, unmap:
 *                          N faults, and the TLB flush munmap owes
 *   ... all CPUs           the same while a thread of this process is
 *                          parked (blocked in futex) on every other CPU,
 *                          so the mm is loaded there and munmap must shoot
 *                          those TLBs down (the calls= column counts the
 *                          function-call IPIs handled)
 *
 * The parked threads block instead of spinning: under QEMU -icount the
 * instruction clock is the whole machine's, and a spinning CPU would add
 * its own instructions to every sample.
 */
#include "bench.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>


#define PAGE 4096

static char *region;
static size_t next_page;

static void op_fault(void *arg)
{
	region[next_page++ * PAGE] = 1;
}

static void op_map_touch_unmap(void *arg)
{
	size_t pages = (size_t)arg;
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap %zu pages: %s", pages, strerror(errno));
	for (size_t i = 0; i < pages; i++)
		p[i * PAGE] = 1;
	if (munmap(p, pages * PAGE) != 0)
		die("munmap: %s", strerror(errno));
}

static int park_word;		/* futex: 0 parked, 1 go home */
static int parked;

static void *parker(void *arg)
{
	if (pin_to((int)(long)arg) != 0)
		die("pin to CPU %ld: %s", (long)arg, strerror(errno));
	__atomic_add_fetch(&parked, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &parked, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	while (__atomic_load_n(&park_word, __ATOMIC_ACQUIRE) == 0)
		syscall(SYS_futex, &park_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void map_rows(const char *suffix)
{
	char name[64];
	snprintf(name, sizeof(name), "mmap+touch+munmap 1p%s", suffix);
	bench_run(name, iters(300), 10, op_map_touch_unmap, (void *)1);
	snprintf(name, sizeof(name), "mmap+touch+munmap 64p%s", suffix);
	bench_run(name, iters(40), 4, op_map_touch_unmap, (void *)64);
}

int main(int argc, char **argv)
{
	bench_init(argc, argv, "mm");
	if (pin_to(0) != 0)
		die("pin to CPU 0: %s", strerror(errno));

	int n = iters(500);
	region = mmap(NULL, (size_t)(n + 1) * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	bench_run("page fault anon", n, 0, op_fault, NULL);
	munmap(region, (size_t)(n + 1) * PAGE);

	map_rows(" 1cpu");

	int cpus = online_cpus();
	if (cpus < 2) {
		bench_skip("mmap+touch+munmap 1p allcpu", "one CPU");
		bench_skip("mmap+touch+munmap 64p allcpu", "one CPU");
		return 0;
	}
	pthread_t t[64];
	int nt = 0;
	for (int cpu = 1; cpu < cpus && nt < 64; cpu++)
		if (pthread_create(&t[nt], NULL, parker, (void *)(long)cpu) == 0)
			nt++;
	/* Block, not spin: QEMU -icount runs the CPUs round-robin, and a
	 * CPU spinning in user mode can keep the other from running at all. */
	for (int seen; (seen = __atomic_load_n(&parked, __ATOMIC_ACQUIRE)) < nt; )
		syscall(SYS_futex, &parked, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
	map_rows(" allcpu");
	__atomic_store_n(&park_word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &park_word, FUTEX_WAKE_PRIVATE, 64, NULL, NULL, 0);
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	return 0;
}
