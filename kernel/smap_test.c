/*
 * smap_test.c - in-kernel tests that SMAP really guards user memory.
 *
 * With CR4.SMAP set, a supervisor-mode data access to a user page faults
 * (#PF with P=1) unless EFLAGS.AC is set; STAC/CLAC set and clear AC, and
 * only the uaccess helpers (mm/uaccess.c) may do so (SDM Vol.3 4.6.1,
 * "Determination of Access Rights").  So a kernel bug that dereferences a
 * user pointer directly is caught on the spot instead of quietly reading
 * whatever user space put there.  These tests commit that bug on purpose,
 * under catch_exception() (kernel/catch.h), which survives the fault and
 * hands back the vector, error code and CR2.
 *
 * mm/mm_test.c's smap_blocks_plain_user_access checks a read and the log
 * line; here: CR4 agrees with CPUID, a write is caught as well and
 * changes nothing, the same accesses inside STAC/CLAC succeed (so the
 * fault really is SMAP, not a missing mapping), and AC is clear again
 * once a violation has been caught.
 *
 * The user page is filled through copy_to_user() first: a plain kernel
 * access to a not-present user page would be a different fault (and a
 * fatal one even with AC set, since only uaccess code has fixups).
 */
#include "kernel/ktest.h"
#include "kernel/catch.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "kernel/traps.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/tlb.h"
#include "mm/uaccess.h"

#define SMAP_TEST_ADDR	0x500000UL
#define CPUID7_EBX_SMAP	BIT(20)

struct smap_access {
	volatile u64 *p;
	u64 value;		/* read: what was there; write: what to store */
	bool write;
	bool stac;		/* open the uaccess window around the access */
	u64 flags_after;	/* RFLAGS after the access (and any CLAC) */
};

/* The deliberate bug: touch a user address with a plain load or store. */
static void smap_touch(void *arg)
{
	struct smap_access *a = arg;

	if (a->stac)
		asm volatile("stac" ::: "memory");
	if (a->write)
		*a->p = a->value;
	else
		a->value = *a->p;
	if (a->stac)
		asm volatile("clac" ::: "memory");
	a->flags_after = read_flags();
}

/* A user address space with one page at SMAP_TEST_ADDR holding @value,
 * installed on this CPU; NULL if it could not be built. */
static struct mm_struct *smap_user_page(u64 value)
{
	struct mm_struct *mm = mm_alloc();

	if (!mm)
		return NULL;
	if (do_mmap_anon(mm, SMAP_TEST_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE, true) !=
	    (long)SMAP_TEST_ADDR) {
		mmput(mm);
		return NULL;
	}
	use_mm(mm);
	if (copy_to_user((void *)SMAP_TEST_ADDR, &value, sizeof(value))) {
		unuse_mm(mm);
		mmput(mm);
		return NULL;
	}
	return mm;
}

static void smap_drop_page(struct mm_struct *mm)
{
	unuse_mm(mm);
	mmput(mm);
}

KTEST(smap_cr4_matches_cpuid)
{
	/* above the highest basic leaf, Intel CPUs answer with that leaf's
	 * data: ask leaf 7 only if it exists */
	bool cpu = cpuid(0).eax >= 7 && (cpuid_count(7, 0).ebx & CPUID7_EBX_SMAP);

	KEXPECT_EQ(!!(read_cr4() & X86_CR4_SMAP), cpu);
	KEXPECT_EQ(smap_enabled, cpu);
	KEXPECT(!(read_flags() & X86_EFLAGS_AC));	/* no window left open */
}

KTEST(smap_catches_plain_user_read_and_write)
{
	struct smap_access a = { .p = (volatile u64 *)SMAP_TEST_ADDR };
	struct catch_info info;
	struct mm_struct *mm;
	u64 back = 0, pos;

	if (!smap_enabled)
		KSKIP("no SMAP on this CPU");
	mm = smap_user_page(0x5a5a5a5a12345678ULL);
	KASSERT(mm != NULL);

	pos = log_pos();
	KEXPECT_EQ(catch_exception(smap_touch, &a, NULL, &info), X86_TRAP_PF);
	/* present page, supervisor access, a read */
	KEXPECT_EQ(info.error_code & (X86_PF_PROT | X86_PF_USER | X86_PF_WRITE), X86_PF_PROT);
	KEXPECT_EQ(info.cr2, SMAP_TEST_ADDR);
	KEXPECT(log_contains_since(pos, "kernel access to user address"));
	KEXPECT(!(read_flags() & X86_EFLAGS_AC));

	a.write = true;
	a.value = 0xdeadbeefULL;
	KEXPECT_EQ(catch_exception(smap_touch, &a, NULL, &info), X86_TRAP_PF);
	KEXPECT_EQ(info.error_code & (X86_PF_PROT | X86_PF_USER | X86_PF_WRITE),
		   X86_PF_PROT | X86_PF_WRITE);
	KEXPECT_EQ(info.cr2, SMAP_TEST_ADDR);
	KEXPECT(!(read_flags() & X86_EFLAGS_AC));
	/* the store did not happen */
	KEXPECT(copy_from_user(&back, (void *)SMAP_TEST_ADDR, sizeof(back)) == 0);
	KEXPECT_EQ(back, 0x5a5a5a5a12345678ULL);
	smap_drop_page(mm);
}

KTEST(smap_stac_window_allows_access)
{
	struct smap_access a = { .p = (volatile u64 *)SMAP_TEST_ADDR, .stac = true };
	struct catch_info info;
	struct mm_struct *mm;
	u64 back = 0;

	if (!smap_enabled)
		KSKIP("no SMAP on this CPU");
	mm = smap_user_page(0x1122334455667788ULL);
	KASSERT(mm != NULL);

	KEXPECT_EQ(catch_exception(smap_touch, &a, NULL, &info), -1);
	KEXPECT_EQ(a.value, 0x1122334455667788ULL);
	KEXPECT(!(a.flags_after & X86_EFLAGS_AC));	/* CLAC closed it */

	a.write = true;
	a.value = 0x8877665544332211ULL;
	KEXPECT_EQ(catch_exception(smap_touch, &a, NULL, &info), -1);
	KEXPECT(copy_from_user(&back, (void *)SMAP_TEST_ADDR, sizeof(back)) == 0);
	KEXPECT_EQ(back, 0x8877665544332211ULL);
	smap_drop_page(mm);
}
