/*
 * acpi.h - the ACPI tables Switchyard reads: the RSDP, the RSDT/XSDT that
 * list the other tables, and the MADT that says which CPUs, I/O APICs and
 * ISA interrupt wirings the machine has.
 *
 * Two halves:
 *   kernel/acpi_tables.c  pure parsing.  Every function takes a byte buffer
 *                         and the number of bytes it may read; no globals,
 *                         no kernel state.  The host unit tests
 *                         (tests/unit/test_acpi.c) feed it broken tables
 *                         under AddressSanitizer.
 *   kernel/acpi.c         the kernel glue: finds the RSDP, walks the root
 *                         table in physical memory, fills madt_info.
 *
 * Invariants:
 *  - The parser never reads outside [buf, buf + avail), and never trusts a
 *    length field: a table is used only after its length lies in
 *    [sizeof(struct acpi_table_header), ACPI_TABLE_MAX_LEN], fits in avail,
 *    and its bytes sum to zero.  Nothing past the header is read before that.
 *  - A MADT entry whose length is < 2 or runs past the table ends the walk
 *    (the next entry's place is unknowable); one shorter than its type needs
 *    is skipped.  Both are recorded in acpi_madt.problems.
 *  - After acpi_init(), madt_info is always usable (at least one enabled
 *    CPU and one I/O APIC): the firmware's MADT when it was sound
 *    (acpi_madt_valid), otherwise acpi_default_madt()'s PC defaults.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include "kernel/types.h"

/* ---------------------------------------------------------------- tables */

/* "Root System Description Pointer (RSDP) Structure" */
struct acpi_table_rsdp {
	char signature[8];		/* "RSD PTR " */
	u8 checksum;			/* bytes 0..19 sum to zero */
	char oem_id[6];
	u8 revision;			/* 0: ACPI 1.0 (20 bytes); 2: ACPI 2.0+ */
	u32 rsdt_physical_address;
	/* ACPI 2.0+ only: */
	u32 length;			/* of the whole structure */
	u64 xsdt_physical_address;
	u8 extended_checksum;		/* all `length` bytes sum to zero */
	u8 reserved[3];
} __packed;

#define ACPI_RSDP_V1_SIZE	20
#define ACPI_RSDP_V2_SIZE	36

/* "System Description Table Header": every table but the RSDP starts so */
struct acpi_table_header {
	char signature[4];
	u32 length;			/* whole table, header included */
	u8 revision;
	u8 checksum;			/* all `length` bytes sum to zero */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char asl_compiler_id[4];
	u32 asl_compiler_revision;
} __packed;

/* No table we read is near this; a bigger length is corruption. */
#define ACPI_TABLE_MAX_LEN	(1u << 20)

/* "Multiple APIC Description Table (MADT)" */
struct acpi_table_madt {
	struct acpi_table_header header;	/* signature "APIC" */
	u32 address;			/* local APIC physical address */
	u32 flags;
} __packed;

#define ACPI_MADT_PCAT_COMPAT	BIT(0)	/* dual 8259s present too */

/* Every MADT entry ("Interrupt Controller Structure") starts so. */
struct acpi_subtable_header {
	u8 type;
	u8 length;			/* whole entry */
} __packed;

enum acpi_madt_type {
	ACPI_MADT_TYPE_LOCAL_APIC = 0,
	ACPI_MADT_TYPE_IO_APIC = 1,
	ACPI_MADT_TYPE_INTERRUPT_OVERRIDE = 2,
	ACPI_MADT_TYPE_NMI_SOURCE = 3,
	ACPI_MADT_TYPE_LOCAL_APIC_NMI = 4,
	ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE = 5,
	ACPI_MADT_TYPE_LOCAL_X2APIC = 9,
	ACPI_MADT_TYPE_LOCAL_X2APIC_NMI = 10,
};

/* "Local APIC Flags" (also used by x2APIC entries) */
#define ACPI_MADT_ENABLED	BIT(0)
#define ACPI_MADT_ONLINE_CAPABLE BIT(1)	/* ACPI 6.3+: may be enabled later */

/* "MPS INTI Flags": polarity bits 1:0, trigger mode bits 3:2; 0 = as the bus */
#define ACPI_MADT_POLARITY_MASK		0x3
#define  ACPI_MADT_POLARITY_ACTIVE_HIGH	0x1
#define  ACPI_MADT_POLARITY_ACTIVE_LOW	0x3
#define ACPI_MADT_TRIGGER_MASK		0xc
#define  ACPI_MADT_TRIGGER_EDGE		0x4
#define  ACPI_MADT_TRIGGER_LEVEL	0xc

/* "Processor Local APIC Structure" */
struct acpi_madt_local_apic {
	struct acpi_subtable_header header;
	u8 processor_id;		/* ACPI processor UID */
	u8 id;				/* local APIC id */
	u32 lapic_flags;
} __packed;

/* "I/O APIC Structure" */
struct acpi_madt_io_apic {
	struct acpi_subtable_header header;
	u8 id;
	u8 reserved;
	u32 address;
	u32 global_irq_base;		/* first GSI this I/O APIC handles */
} __packed;

/* "Interrupt Source Override Structure" */
struct acpi_madt_interrupt_override {
	struct acpi_subtable_header header;
	u8 bus;				/* 0: ISA */
	u8 source_irq;
	u32 global_irq;
	u16 inti_flags;
} __packed;

/* "Local APIC NMI Structure" */
struct acpi_madt_local_apic_nmi {
	struct acpi_subtable_header header;
	u8 processor_id;		/* 0xff: all processors */
	u16 inti_flags;
	u8 lint;			/* LINT0 or LINT1 */
} __packed;

/* "Local APIC Address Override Structure" */
struct acpi_madt_local_apic_override {
	struct acpi_subtable_header header;
	u16 reserved;
	u64 address;
} __packed;

/* "Processor Local x2APIC Structure" */
struct acpi_madt_local_x2apic {
	struct acpi_subtable_header header;
	u16 reserved;
	u32 local_apic_id;
	u32 lapic_flags;
	u32 uid;			/* ACPI processor UID */
} __packed;

/* "Local x2APIC NMI Structure" */
struct acpi_madt_local_x2apic_nmi {
	struct acpi_subtable_header header;
	u16 inti_flags;
	u32 uid;			/* 0xffffffff: all processors */
	u8 lint;
	u8 reserved[3];
} __packed;

/* ---------------------------------------------------------------- results */

enum acpi_status {
	AE_OK = 0,
	AE_TRUNCATED,		/* the buffer ends before the structure does */
	AE_BAD_SIGNATURE,
	AE_BAD_LENGTH,		/* a length field out of its sane range */
	AE_BAD_CHECKSUM,
	AE_NOT_FOUND,
};

const char *acpi_status_str(enum acpi_status st);

/* What a valid RSDP says. */
struct acpi_rsdp_info {
	u8 revision;
	char oem_id[7];			/* NUL-terminated */
	u32 rsdt_address;
	u64 xsdt_address;		/* 0 unless xsdt_status == AE_OK */
	enum acpi_status xsdt_status;	/* why the 2.0 part is not used */
};

#define ACPI_MADT_MAX_CPUS	64	/* the parser's limit, not NR_CPUS */
#define ACPI_MADT_MAX_IOAPICS	8
#define ACPI_MADT_MAX_OVERRIDES	16
#define ACPI_MADT_MAX_NMIS	64	/* firmware often lists one per CPU */
#define ACPI_PROBLEMS_MAX	8

#define ACPI_UID_ALL		0xffffffffu	/* an NMI entry for every CPU */

struct acpi_cpu_info {
	u32 apic_id;
	u32 uid;			/* ACPI processor UID */
	bool enabled;			/* usable now */
	bool online_capable;		/* disabled, but may be brought up later */
	bool x2apic;			/* from a Processor Local x2APIC entry */
};

struct acpi_ioapic_info {
	u32 id;
	u32 address;
	u32 gsi_base;
};

struct acpi_irq_override {
	u8 bus;
	u8 source_irq;
	u32 gsi;
	u16 flags;			/* ACPI_MADT_POLARITY_* | ACPI_MADT_TRIGGER_* */
};

struct acpi_lapic_nmi {
	u32 uid;			/* ACPI_UID_ALL for every CPU */
	u8 lint;
	u16 flags;
};

/*
 * The parsed MADT.  nr_X counts what the arrays hold; nr_X_found counts
 * every well-formed entry of that kind, so nr_X_found > nr_X means the
 * array was full and the later entries were dropped (and reported).
 */
struct acpi_madt {
	u64 lapic_address;		/* after any address override */
	u32 flags;			/* ACPI_MADT_PCAT_COMPAT */

	struct acpi_cpu_info cpus[ACPI_MADT_MAX_CPUS];
	unsigned int nr_cpus, nr_cpus_found;
	unsigned int nr_cpus_enabled;	/* among cpus[] */

	struct acpi_ioapic_info ioapics[ACPI_MADT_MAX_IOAPICS];
	unsigned int nr_ioapics, nr_ioapics_found;

	struct acpi_irq_override overrides[ACPI_MADT_MAX_OVERRIDES];
	unsigned int nr_overrides, nr_overrides_found;

	struct acpi_lapic_nmi nmis[ACPI_MADT_MAX_NMIS];
	unsigned int nr_nmis, nr_nmis_found;

	unsigned int nr_entries;	/* entries walked, of any type */
	unsigned int nr_problems;
	char problems[ACPI_PROBLEMS_MAX][96];
};

/* ---------------------------------------------------------------- parsing */

/* The 8-bit sum of @len bytes; a valid table sums to 0. */
u8 acpi_checksum(const void *buf, size_t len);

/*
 * Check an RSDP of which @avail bytes may be read.  AE_OK means the ACPI 1.0
 * part is valid and @info is filled; the 2.0 part (XSDT) may still be
 * unusable, see info->xsdt_status.
 */
enum acpi_status acpi_rsdp_check(const void *buf, size_t avail,
				 struct acpi_rsdp_info *info);

/* Offset of the first valid RSDP on a 16-byte boundary in @buf, or -1. */
long acpi_rsdp_scan(const void *buf, size_t len);

/*
 * Check a table header and checksum (@sig: 4 characters, or NULL for any).
 * On AE_OK the table's length is >= 36, <= ACPI_TABLE_MAX_LEN and <= @avail.
 */
enum acpi_status acpi_table_check(const void *buf, size_t avail, const char *sig);

/*
 * Check an RSDT (@xsdt false, 32-bit entries) or XSDT (64-bit entries) and
 * copy up to @max table addresses into @addrs; *@nr gets the number of
 * entries the table has (may exceed @max).
 */
enum acpi_status acpi_parse_root(const void *buf, size_t avail, bool xsdt,
				 u64 *addrs, unsigned int max, unsigned int *nr);

/* Check and parse a MADT into @m (zeroed first; see m->problems). */
enum acpi_status acpi_parse_madt(const void *buf, size_t avail, struct acpi_madt *m);

/* What a PC without a (usable) MADT has: one CPU (APIC id 0), local APIC at
 * 0xfee00000, one I/O APIC (id 0, 0xfec00000, GSI base 0), identity ISA IRQs. */
void acpi_default_madt(struct acpi_madt *m);

/* The GSI that ISA @irq arrives on, and its MPS INTI flags (0: ISA default,
 * edge-triggered active-high) in *@flags if @flags is not NULL. */
u32 acpi_madt_irq_to_gsi(const struct acpi_madt *m, u8 isa_irq, u16 *flags);

/* ---------------------------------------------------------------- kernel */

struct boot_info;

extern struct acpi_madt madt_info;	/* always usable after acpi_init() */
extern bool acpi_madt_valid;		/* ... and came from the firmware */
extern struct acpi_rsdp_info acpi_rsdp;
extern bool acpi_rsdp_valid;

void acpi_init(const struct boot_info *bi);
/* The RSDP found by the BIOS-area scan alone (not the boot loader's copy),
 * physical address, or 0. */
phys_addr_t acpi_scan_bios_rsdp(void);
/* acpi_madt_irq_to_gsi() on madt_info */
u32 acpi_irq_to_gsi(u8 isa_irq, u16 *flags);

#endif
