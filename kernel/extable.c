/*
 * extable.c - look up and apply exception fix-ups (see extable.h).
 *
 * The table is small and built by the linker in link order, so a linear
 * search is fine; Linux sorts it at boot and binary-searches because its
 * table has tens of thousands of entries.
 */
#include "kernel/extable.h"
#include "kernel/traps.h"

extern const struct exception_table_entry __start___ex_table[], __stop___ex_table[];

const struct exception_table_entry *search_exception_tables(u64 ip)
{
	for (const struct exception_table_entry *e = __start___ex_table;
	     e < __stop___ex_table; e++)
		if (e->insn == ip)
			return e;
	return NULL;
}

bool fixup_exception(struct pt_regs *regs, u64 cr2)
{
	const struct exception_table_entry *e = search_exception_tables(regs->ip);

	if (!e)
		return false;
	if (e->type == EX_TYPE_REPORT)
		report_exception(regs, cr2);
	regs->ip = e->fixup;
	return true;
}
