/*
 * pti.h - page-table isolation (mm/pti.c): the PGD pair and its user half.
 */
#ifndef MM_PTI_H
#define MM_PTI_H

#include "kernel/types.h"
#include "kernel/layout.h"
#include "mm/pgtable.h"

struct mm_struct;

extern bool pti_enabled;		/* pti=on (the default) */

/* The user half of an 8 KiB PGD pair, or the same entry in it (Linux's
 * kernel_to_user_pgdp: CR3 bit 12 is the same step). */
static inline pteval_t *kernel_to_user_pgd(pteval_t *p)
{
	return (pteval_t *)((u64)p + PAGE_SIZE);
}

void pti_select(void);			/* paging_init, first: read pti= */
void pti_init(void);			/* paging_init, last: the template */
pteval_t *pgd_alloc(void);		/* a zeroed PML4 (pair, with PTI) */
void pgd_free(pteval_t *pgd);
void pti_mirror_user_pgd(struct mm_struct *mm, pteval_t *ptep, pteval_t val);
unsigned pti_user_kernel_pages(void);

#endif
