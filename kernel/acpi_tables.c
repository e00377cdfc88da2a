/*
 * acpi_tables.c - defensive, pure parsers for the RSDP, RSDT/XSDT and MADT.
 *
 * Firmware tables are written by someone else and read straight out of
 * physical memory, so nothing in them is trusted: each function is told how
 * many bytes it may read, every length field is checked against that before
 * it is used, and a table's checksum is verified before its body is looked
 * at.  No globals: the kernel glue (acpi.c) and the host unit tests
 * (tests/unit/test_acpi.c, under AddressSanitizer) call the same code.
 * See acpi.h for the invariants.
 *
 * Structures are copied out of the buffer with memcpy before use: tables
 * are only byte-aligned in general (an XSDT's 64-bit entries start at
 * offset 36).
 */
#include "kernel/acpi.h"
#ifdef HOST_TEST
#include <string.h>
#include <stdio.h>
#else
#include "kernel/string.h"
#include "kernel/vsnprintf.h"
#endif

_Static_assert(sizeof(struct acpi_table_rsdp) == ACPI_RSDP_V2_SIZE, "RSDP layout");
_Static_assert(sizeof(struct acpi_table_header) == 36, "table header layout");
_Static_assert(sizeof(struct acpi_table_madt) == 44, "MADT layout");
_Static_assert(sizeof(struct acpi_madt_local_apic) == 8, "MADT type 0 layout");
_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "MADT type 1 layout");
_Static_assert(sizeof(struct acpi_madt_interrupt_override) == 10, "MADT type 2 layout");
_Static_assert(sizeof(struct acpi_madt_local_apic_nmi) == 6, "MADT type 4 layout");
_Static_assert(sizeof(struct acpi_madt_local_apic_override) == 12, "MADT type 5 layout");
_Static_assert(sizeof(struct acpi_madt_local_x2apic) == 16, "MADT type 9 layout");
_Static_assert(sizeof(struct acpi_madt_local_x2apic_nmi) == 12, "MADT type 10 layout");

#define PC_LAPIC_ADDRESS	0xfee00000u
#define PC_IOAPIC_ADDRESS	0xfec00000u
#define XAPIC_ID_INVALID	0xffu		/* the xAPIC broadcast id */
#define X2APIC_ID_INVALID	0xffffffffu

const char *acpi_status_str(enum acpi_status st)
{
	switch (st) {
	case AE_OK:		return "ok";
	case AE_TRUNCATED:	return "truncated";
	case AE_BAD_SIGNATURE:	return "bad signature";
	case AE_BAD_LENGTH:	return "length out of range";
	case AE_BAD_CHECKSUM:	return "bad checksum";
	case AE_NOT_FOUND:	return "not found";
	}
	return "unknown error";
}

u8 acpi_checksum(const void *buf, size_t len)
{
	const u8 *p = buf;
	u8 sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

/* ---------------------------------------------------------------- RSDP */

/*
 * The 2.0 part: "length" and the extended checksum cover the whole
 * structure, both checksum fields included.  A bad 2.0 part does not spoil
 * the 1.0 part, which has its own checksum; the caller then uses the RSDT.
 */
static enum acpi_status rsdp_check_v2(const u8 *p, size_t avail,
				      const struct acpi_table_rsdp *r)
{
	if (avail < ACPI_RSDP_V2_SIZE)
		return AE_TRUNCATED;
	if (r->length < ACPI_RSDP_V2_SIZE || r->length > ACPI_TABLE_MAX_LEN)
		return AE_BAD_LENGTH;
	if (r->length > avail)
		return AE_TRUNCATED;
	if (acpi_checksum(p, r->length))
		return AE_BAD_CHECKSUM;
	if (!r->xsdt_physical_address)
		return AE_NOT_FOUND;
	return AE_OK;
}

enum acpi_status acpi_rsdp_check(const void *buf, size_t avail,
				 struct acpi_rsdp_info *info)
{
	const u8 *p = buf;
	struct acpi_table_rsdp r;

	memset(info, 0, sizeof(*info));
	info->xsdt_status = AE_NOT_FOUND;
	if (!buf || avail < ACPI_RSDP_V1_SIZE)
		return AE_TRUNCATED;
	memset(&r, 0, sizeof(r));
	memcpy(&r, p, MIN(avail, sizeof(r)));
	if (memcmp(r.signature, "RSD PTR ", 8))
		return AE_BAD_SIGNATURE;
	if (acpi_checksum(p, ACPI_RSDP_V1_SIZE))
		return AE_BAD_CHECKSUM;

	info->revision = r.revision;
	memcpy(info->oem_id, r.oem_id, 6);
	info->rsdt_address = r.rsdt_physical_address;
	/* "Larger revision numbers are backward compatible": 2 and up have it */
	if (r.revision >= 2) {
		info->xsdt_status = rsdp_check_v2(p, avail, &r);
		if (info->xsdt_status == AE_OK)
			info->xsdt_address = r.xsdt_physical_address;
	}
	return AE_OK;
}

/* "Finding the RSDP on IA-PC Systems": search on 16-byte boundaries. */
long acpi_rsdp_scan(const void *buf, size_t len)
{
	const u8 *p = buf;
	struct acpi_rsdp_info info;

	for (size_t off = 0; off + ACPI_RSDP_V1_SIZE <= len; off += 16) {
		if (p[off] != 'R')
			continue;	/* cheap test before the full check */
		if (acpi_rsdp_check(p + off, MIN(len - off, (size_t)ACPI_RSDP_V2_SIZE),
				    &info) == AE_OK)
			return (long)off;
	}
	return -1;
}

/* ---------------------------------------------------------------- tables */

enum acpi_status acpi_table_check(const void *buf, size_t avail, const char *sig)
{
	struct acpi_table_header h;

	if (!buf || avail < sizeof(h))
		return AE_TRUNCATED;
	memcpy(&h, buf, sizeof(h));
	if (sig && memcmp(h.signature, sig, 4))
		return AE_BAD_SIGNATURE;
	if (h.length < sizeof(h) || h.length > ACPI_TABLE_MAX_LEN)
		return AE_BAD_LENGTH;
	if (h.length > avail)
		return AE_TRUNCATED;
	if (acpi_checksum(buf, h.length))
		return AE_BAD_CHECKSUM;
	return AE_OK;
}

/* "Root System Description Table (RSDT)" / "Extended System Description
 * Table (XSDT)": a header followed by an array of physical addresses. */
enum acpi_status acpi_parse_root(const void *buf, size_t avail, bool xsdt,
				 u64 *addrs, unsigned int max, unsigned int *nr)
{
	const u8 *p = buf;
	size_t esize = xsdt ? 8 : 4;
	enum acpi_status st;
	u32 len;

	*nr = 0;
	st = acpi_table_check(buf, avail, xsdt ? "XSDT" : "RSDT");
	if (st != AE_OK)
		return st;
	memcpy(&len, p + 4, 4);
	/* a partial entry at the end is ignored: the length came from the table */
	*nr = (len - sizeof(struct acpi_table_header)) / esize;
	for (unsigned int i = 0; i < *nr && i < max; i++) {
		const u8 *e = p + sizeof(struct acpi_table_header) + i * esize;
		u32 a32;

		if (xsdt) {
			memcpy(&addrs[i], e, 8);
		} else {
			memcpy(&a32, e, 4);
			addrs[i] = a32;
		}
	}
	return AE_OK;
}

/* ---------------------------------------------------------------- MADT */

static void __printf(3, 4) problem(struct acpi_madt *m, size_t off, const char *fmt, ...)
{
	size_t size = sizeof(m->problems[0]);
	char *buf;
	int n;
	va_list ap;

	if (m->nr_problems++ >= ACPI_PROBLEMS_MAX)
		return;			/* counted, not kept */
	buf = m->problems[m->nr_problems - 1];
	n = snprintf(buf, size, "entry at offset %zu: ", off);
	if (n < 0 || (size_t)n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

/* Count one more entry of a kind; false (reported once) when the array
 * that keeps them is already full. */
static bool room_for(struct acpi_madt *m, size_t off, unsigned int *found,
		     unsigned int max, const char *what)
{
	if ((*found)++ < max)
		return true;
	if (*found == max + 1)
		problem(m, off, "more than %u %s; the rest are counted, not kept", max, what);
	return false;
}

static bool apic_id_known(const struct acpi_madt *m, u32 apic_id)
{
	for (unsigned int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].apic_id == apic_id)
			return true;
	return false;
}

/*
 * "Local APIC Flags": Enabled means usable now; clear Enabled with Online
 * Capable means it may be hot-added; both clear means unusable.  All three
 * are kept so the boot log can show them.  A processor may be listed twice
 * (type 0 and type 9, see the x2APIC structure's compatibility note): the
 * first entry wins.
 */
static void add_cpu(struct acpi_madt *m, size_t off, u32 apic_id, u32 uid,
		    u32 flags, bool x2apic)
{
	struct acpi_cpu_info *c;

	if (apic_id_known(m, apic_id)) {
		problem(m, off, "second entry for APIC id %u; ignored", apic_id);
		return;
	}
	if (!room_for(m, off, &m->nr_cpus_found, ACPI_MADT_MAX_CPUS, "processors"))
		return;
	c = &m->cpus[m->nr_cpus++];
	c->apic_id = apic_id;
	c->uid = uid;
	c->enabled = flags & ACPI_MADT_ENABLED;
	c->online_capable = !c->enabled && (flags & ACPI_MADT_ONLINE_CAPABLE);
	c->x2apic = x2apic;
	if (c->enabled)
		m->nr_cpus_enabled++;
}

static void parse_local_apic(struct acpi_madt *m, const u8 *p, size_t off)
{
	struct acpi_madt_local_apic e;

	memcpy(&e, p, sizeof(e));
	if (e.id == XAPIC_ID_INVALID) {
		problem(m, off, "local APIC id %#x is invalid; ignored", e.id);
		return;
	}
	add_cpu(m, off, e.id, e.processor_id, e.lapic_flags, false);
}

static void parse_local_x2apic(struct acpi_madt *m, const u8 *p, size_t off)
{
	struct acpi_madt_local_x2apic e;

	memcpy(&e, p, sizeof(e));
	if (e.local_apic_id == X2APIC_ID_INVALID) {
		problem(m, off, "x2APIC id %#x is invalid; ignored", e.local_apic_id);
		return;
	}
	add_cpu(m, off, e.local_apic_id, e.uid, e.lapic_flags, true);
}

static void parse_io_apic(struct acpi_madt *m, const u8 *p, size_t off)
{
	struct acpi_madt_io_apic e;
	struct acpi_ioapic_info *io;

	memcpy(&e, p, sizeof(e));
	if (!room_for(m, off, &m->nr_ioapics_found, ACPI_MADT_MAX_IOAPICS, "I/O APICs"))
		return;
	io = &m->ioapics[m->nr_ioapics++];
	io->id = e.id;
	io->address = e.address;
	io->gsi_base = e.global_irq_base;
}

static void parse_override(struct acpi_madt *m, const u8 *p, size_t off)
{
	struct acpi_madt_interrupt_override e;
	struct acpi_irq_override *o;

	memcpy(&e, p, sizeof(e));
	if (!room_for(m, off, &m->nr_overrides_found, ACPI_MADT_MAX_OVERRIDES,
		      "interrupt overrides"))
		return;
	o = &m->overrides[m->nr_overrides++];
	o->bus = e.bus;
	o->source_irq = e.source_irq;
	o->gsi = e.global_irq;
	o->flags = e.inti_flags;
}

static void add_nmi(struct acpi_madt *m, size_t off, u32 uid, u8 lint, u16 flags)
{
	struct acpi_lapic_nmi *n;

	if (lint > 1) {
		problem(m, off, "NMI on LINT%u, which does not exist; ignored", lint);
		return;
	}
	if (!room_for(m, off, &m->nr_nmis_found, ACPI_MADT_MAX_NMIS, "local APIC NMIs"))
		return;
	n = &m->nmis[m->nr_nmis++];
	n->uid = uid;
	n->lint = lint;
	n->flags = flags;
}

static void parse_lapic_nmi(struct acpi_madt *m, const u8 *p, size_t off)
{
	struct acpi_madt_local_apic_nmi e;

	memcpy(&e, p, sizeof(e));
	/* a processor UID of 0xff means "all processors" */
	add_nmi(m, off, e.processor_id == 0xff ? ACPI_UID_ALL : e.processor_id,
		e.lint, e.inti_flags);
}

static void parse_x2apic_nmi(struct acpi_madt *m, const u8 *p, size_t off)
{
	struct acpi_madt_local_x2apic_nmi e;

	memcpy(&e, p, sizeof(e));
	add_nmi(m, off, e.uid, e.lint, e.inti_flags);
}

/* "If defined, OSPM must use the address specified in this structure for
 * all Local APICs", instead of the 32-bit one in the MADT header. */
static void parse_lapic_override(struct acpi_madt *m, const u8 *p, size_t off)
{
	struct acpi_madt_local_apic_override e;

	memcpy(&e, p, sizeof(e));
	if (!e.address) {
		problem(m, off, "local APIC address override to 0; ignored");
		return;
	}
	m->lapic_address = e.address;
}

/* The fixed size of each entry type we read; 0 for types we skip. */
static const u8 madt_entry_size[] = {
	[ACPI_MADT_TYPE_LOCAL_APIC]		= sizeof(struct acpi_madt_local_apic),
	[ACPI_MADT_TYPE_IO_APIC]		= sizeof(struct acpi_madt_io_apic),
	[ACPI_MADT_TYPE_INTERRUPT_OVERRIDE]	= sizeof(struct acpi_madt_interrupt_override),
	[ACPI_MADT_TYPE_LOCAL_APIC_NMI]		= sizeof(struct acpi_madt_local_apic_nmi),
	[ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE]	= sizeof(struct acpi_madt_local_apic_override),
	[ACPI_MADT_TYPE_LOCAL_X2APIC]		= sizeof(struct acpi_madt_local_x2apic),
	[ACPI_MADT_TYPE_LOCAL_X2APIC_NMI]	= sizeof(struct acpi_madt_local_x2apic_nmi),
};

static void parse_madt_entry(struct acpi_madt *m, const u8 *p, u8 type, size_t off)
{
	switch (type) {
	case ACPI_MADT_TYPE_LOCAL_APIC:
		parse_local_apic(m, p, off);
		break;
	case ACPI_MADT_TYPE_IO_APIC:
		parse_io_apic(m, p, off);
		break;
	case ACPI_MADT_TYPE_INTERRUPT_OVERRIDE:
		parse_override(m, p, off);
		break;
	case ACPI_MADT_TYPE_LOCAL_APIC_NMI:
		parse_lapic_nmi(m, p, off);
		break;
	case ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE:
		parse_lapic_override(m, p, off);
		break;
	case ACPI_MADT_TYPE_LOCAL_X2APIC:
		parse_local_x2apic(m, p, off);
		break;
	case ACPI_MADT_TYPE_LOCAL_X2APIC_NMI:
		parse_x2apic_nmi(m, p, off);
		break;
	default:
		break;		/* GIC, SAPIC, ...: not on x86 PCs */
	}
}

/*
 * Walk the "Interrupt Controller Structure" list after the fixed header.
 * Entries are longer than we know when a later ACPI revision extended them;
 * that is fine, the length says where the next one starts.
 */
static void walk_madt_entries(struct acpi_madt *m, const u8 *p, u32 len)
{
	size_t off = sizeof(struct acpi_table_madt);

	while (off + sizeof(struct acpi_subtable_header) <= len) {
		u8 type = p[off], elen = p[off + 1];

		if (elen < sizeof(struct acpi_subtable_header)) {
			problem(m, off, "length %u is too small; rest of the table skipped", elen);
			return;
		}
		if (elen > len - off) {
			problem(m, off, "length %u runs past the table end; rest skipped", elen);
			return;
		}
		m->nr_entries++;
		if (type < ARRAY_SIZE(madt_entry_size) && elen < madt_entry_size[type])
			problem(m, off, "type %u entry too short (length %u); skipped", type, elen);
		else
			parse_madt_entry(m, p + off, type, off);
		off += elen;
	}
	if (off != len)
		problem(m, off, "%u stray bytes at the table end", (unsigned int)(len - off));
}

enum acpi_status acpi_parse_madt(const void *buf, size_t avail, struct acpi_madt *m)
{
	struct acpi_table_madt t;
	enum acpi_status st;

	memset(m, 0, sizeof(*m));
	st = acpi_table_check(buf, avail, "APIC");
	if (st != AE_OK)
		return st;
	memcpy(&t, buf, sizeof(t.header));
	if (t.header.length < sizeof(t))
		return AE_BAD_LENGTH;	/* no room for the local APIC address */
	memcpy(&t, buf, sizeof(t));
	m->lapic_address = t.address;
	m->flags = t.flags;
	walk_madt_entries(m, buf, t.header.length);
	return AE_OK;
}

void acpi_default_madt(struct acpi_madt *m)
{
	memset(m, 0, sizeof(*m));
	m->lapic_address = PC_LAPIC_ADDRESS;
	m->flags = ACPI_MADT_PCAT_COMPAT;
	m->cpus[0] = (struct acpi_cpu_info){ .apic_id = 0, .uid = 0, .enabled = true };
	m->nr_cpus = m->nr_cpus_found = m->nr_cpus_enabled = 1;
	m->ioapics[0] = (struct acpi_ioapic_info){
		.id = 0, .address = PC_IOAPIC_ADDRESS, .gsi_base = 0,
	};
	m->nr_ioapics = m->nr_ioapics_found = 1;
	/* the MP spec's default configurations wire LINT1 to NMI on every CPU */
	m->nmis[0] = (struct acpi_lapic_nmi){ .uid = ACPI_UID_ALL, .lint = 1 };
	m->nr_nmis = m->nr_nmis_found = 1;
}

/* "Interrupt Source Override Structure": an ISA IRQ without one is
 * identity-mapped to the GSI of the same number, with ISA's signalling. */
u32 acpi_madt_irq_to_gsi(const struct acpi_madt *m, u8 isa_irq, u16 *flags)
{
	for (unsigned int i = 0; i < m->nr_overrides; i++) {
		const struct acpi_irq_override *o = &m->overrides[i];

		if (o->bus == 0 && o->source_irq == isa_irq) {
			if (flags)
				*flags = o->flags;
			return o->gsi;
		}
	}
	if (flags)
		*flags = 0;
	return isa_irq;
}
