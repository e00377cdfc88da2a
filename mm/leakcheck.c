/*
 * leakcheck.c - snapshots of the memory counters (see leakcheck.h).
 *
 * The slab allocator keeps one empty slab per cache for reuse, which would
 * look like a leaked page; mem_snapshot() shrinks the caches first so that
 * only memory somebody still holds is counted.
 */
#include "mm/leakcheck.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/mm.h"
#include "mm/kstack.h"
#include "sched/sched.h"
#include "kernel/printk.h"

void mem_snapshot(struct mem_snapshot *s)
{
	struct slab_stats st;

	slab_shrink_all();
	st = slab_get_stats();
	s->free_pages = nr_free_pages();
	s->heap_bytes = st.bytes_in_use;
	s->heap_objects = st.objects;
	s->mms = mm_live_count();
	s->kstacks = nr_kernel_stacks();
	s->tasks = nr_tasks();
}

static bool same(const char *what, u64 a, u64 b)
{
	if (a == b)
		return true;
	printk(KERN_ERR "leakcheck: %s was %lu, now %lu (%+ld)\n", what,
	       (unsigned long)a, (unsigned long)b, (long)(b - a));
	return false;
}

bool mem_snapshot_same(const struct mem_snapshot *a, const struct mem_snapshot *b)
{
	bool ok = true;

	ok &= same("free pages", a->free_pages, b->free_pages);
	ok &= same("heap bytes", a->heap_bytes, b->heap_bytes);
	ok &= same("heap objects", a->heap_objects, b->heap_objects);
	ok &= same("mm_structs", a->mms, b->mms);
	ok &= same("kernel stacks", a->kstacks, b->kstacks);
	ok &= same("tasks", a->tasks, b->tasks);
	return ok;
}
