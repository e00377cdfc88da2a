/*
 * leakcheck.h - "nothing leaks": counters compared before and after a test.
 *
 *   struct mem_snapshot before, after;
 *   mem_snapshot(&before);  ...test...;  mem_snapshot(&after);
 *   KEXPECT(mem_snapshot_same(&before, &after));
 *
 * mem_snapshot_same() prints each counter that differs.  Later issues add
 * their own counters here (tasks, ASIDs, PASIDs) so every test gets them.
 */
#ifndef MM_LEAKCHECK_H
#define MM_LEAKCHECK_H

#include "kernel/types.h"

struct mem_snapshot {
	u64 free_pages;
	u64 heap_bytes;
	u64 heap_objects;
	u64 mms;
	u64 kstacks;
	u64 tasks;
};

void mem_snapshot(struct mem_snapshot *s);
bool mem_snapshot_same(const struct mem_snapshot *a, const struct mem_snapshot *b);

#endif
