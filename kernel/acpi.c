/*
 * acpi.c - finding the firmware's ACPI tables and keeping the MADT.
 *
 * acpi_init() runs once on the boot CPU, after paging_init() (so the direct
 * map covers all RAM and at least 0..4 GiB, where firmware puts its tables):
 *
 *   RSDP   the boot loader's copy (multiboot2 ACPI tags) first; failing
 *          that, the BIOS areas ("Finding the RSDP on IA-PC Systems")
 *   root   the XSDT when the RSDP is revision 2+ and its 2.0 part and the
 *          XSDT itself check out, otherwise the RSDT
 *   MADT   the first valid "APIC" table, parsed into madt_info
 *
 * Everything is read through the direct map and handed to the pure parsers
 * in acpi_tables.c with the number of bytes that are mapped, so a table
 * address or length from broken firmware cannot make us read unmapped
 * memory.  Owns: madt_info, acpi_madt_valid, acpi_rsdp, acpi_rsdp_valid,
 * all written only by acpi_init().
 *
 * Invariant: madt_info is usable whatever the firmware did (see acpi.h).
 */
#include "kernel/acpi.h"
#include "kernel/multiboot2.h"
#include "kernel/layout.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/cpu.h"
#include "mm/pgtable.h"

#define BDA_EBDA_SEGMENT	0x40e	/* BIOS data area: EBDA segment (u16) */
#define EBDA_SEARCH_LEN		1024	/* "the first 1 KB of the EBDA" */
#define EBDA_MIN		0x80000	/* where an EBDA can sit: below 640 KiB */
#define EBDA_MAX		0xa0000
#define BIOS_ROM_START		0xe0000
#define BIOS_ROM_END		0x100000
#define ROOT_MAX_ENTRIES	64

struct acpi_madt madt_info;
bool acpi_madt_valid;
struct acpi_rsdp_info acpi_rsdp;
bool acpi_rsdp_valid;

/* Bytes readable at @pa through the direct map (0: not mapped at all). */
static size_t mapped_bytes(phys_addr_t pa)
{
	u64 end = direct_map_size ? direct_map_size : BOOT_DIRECT_MAP_SIZE;

	return pa < end ? MIN(end - pa, (u64)ACPI_TABLE_MAX_LEN) : 0;
}

/* ---------------------------------------------------------------- RSDP */

static phys_addr_t scan_area(phys_addr_t start, size_t len)
{
	long off = acpi_rsdp_scan(phys_to_virt(start), len);

	return off < 0 ? 0 : start + off;
}

phys_addr_t acpi_scan_bios_rsdp(void)
{
	u16 seg;
	phys_addr_t ebda, pa = 0;

	memcpy(&seg, phys_to_virt(BDA_EBDA_SEGMENT), 2);
	ebda = (phys_addr_t)seg << 4;
	/* UEFI machines leave the BIOS data area as junk or zero */
	if (ebda >= EBDA_MIN && ebda + EBDA_SEARCH_LEN <= EBDA_MAX)
		pa = scan_area(ebda, EBDA_SEARCH_LEN);
	if (!pa)
		pa = scan_area(BIOS_ROM_START, BIOS_ROM_END - BIOS_ROM_START);
	return pa;
}

static bool use_rsdp(const void *buf, size_t len, const char *where)
{
	enum acpi_status st = acpi_rsdp_check(buf, len, &acpi_rsdp);

	if (st != AE_OK) {
		pr_warn("acpi: RSDP from %s: %s; ignored\n", where, acpi_status_str(st));
		return false;
	}
	pr_info("acpi: RSDP from %s: revision %u, OEM \"%s\", RSDT %#x, XSDT %#lx\n",
		where, acpi_rsdp.revision, acpi_rsdp.oem_id, acpi_rsdp.rsdt_address,
		(unsigned long)acpi_rsdp.xsdt_address);
	if (acpi_rsdp.revision >= 2 && acpi_rsdp.xsdt_status != AE_OK)
		pr_warn("acpi: RSDP 2.0 part: %s; using the RSDT\n",
			acpi_status_str(acpi_rsdp.xsdt_status));
	return true;
}

static bool find_rsdp(const struct boot_info *bi)
{
	phys_addr_t pa;

	if (bi->rsdp_len && use_rsdp(bi->rsdp, bi->rsdp_len, "the boot loader"))
		return true;
	pa = acpi_scan_bios_rsdp();
	if (!pa) {
		pr_warn("acpi: no RSDP from the boot loader or in the BIOS areas\n");
		return false;
	}
	return use_rsdp(phys_to_virt(pa), MIN((size_t)ACPI_RSDP_V2_SIZE, BIOS_ROM_END - pa),
			"the BIOS area scan");
}

/* ---------------------------------------------------------------- tables */

/*
 * The table at @pa, checked (header length in bounds and mapped, checksum)
 * before anyone reads its body; NULL if it fails.  @sig may be NULL.
 */
static const void *get_table(phys_addr_t pa, const char *sig)
{
	size_t avail = mapped_bytes(pa);
	const struct acpi_table_header *h;
	enum acpi_status st;

	if (!pa || avail < sizeof(*h)) {
		pr_warn("acpi: table at %#lx is not in mapped memory; ignored\n",
			(unsigned long)pa);
		return NULL;
	}
	h = phys_to_virt(pa);
	st = acpi_table_check(h, avail, sig);
	if (st != AE_OK) {
		pr_warn("acpi: %.4s table at %#lx: %s; ignored\n",
			h->signature, (unsigned long)pa, acpi_status_str(st));
		return NULL;
	}
	pr_info("acpi: %.4s %#010lx %6u bytes (v%02u %.6s %.8s)\n", h->signature,
		(unsigned long)pa, h->length, h->revision, h->oem_id, h->oem_table_id);
	return h;
}

/* Fills @addrs from the XSDT if it can be trusted, else from the RSDT. */
static unsigned int read_root(u64 *addrs)
{
	bool xsdt = acpi_rsdp.xsdt_address != 0;
	phys_addr_t pa = xsdt ? acpi_rsdp.xsdt_address : acpi_rsdp.rsdt_address;
	const void *t = get_table(pa, xsdt ? "XSDT" : "RSDT");
	unsigned int nr;

	if (!t && xsdt) {
		pr_warn("acpi: falling back to the RSDT\n");
		xsdt = false;
		t = get_table(acpi_rsdp.rsdt_address, "RSDT");
	}
	if (!t)
		return 0;
	acpi_parse_root(t, ((const struct acpi_table_header *)t)->length, xsdt,
			addrs, ROOT_MAX_ENTRIES, &nr);
	if (nr > ROOT_MAX_ENTRIES) {
		pr_warn("acpi: root table lists %u tables; only the first %u read\n",
			nr, ROOT_MAX_ENTRIES);
		nr = ROOT_MAX_ENTRIES;
	}
	return nr;
}

/* The first valid "APIC" table listed; every table listed is checked and
 * shown, which makes the boot log a small table inventory. */
static const void *find_madt(void)
{
	u64 addrs[ROOT_MAX_ENTRIES];
	unsigned int nr = read_root(addrs);
	const void *madt = NULL;

	for (unsigned int i = 0; i < nr; i++) {
		const struct acpi_table_header *h = get_table(addrs[i], NULL);

		if (h && !madt && !memcmp(h->signature, "APIC", 4))
			madt = h;
	}
	return madt;
}

/* ---------------------------------------------------------------- MADT */

static const char *trigger_name(u16 flags)
{
	switch (flags & ACPI_MADT_TRIGGER_MASK) {
	case ACPI_MADT_TRIGGER_EDGE:	return "edge";
	case ACPI_MADT_TRIGGER_LEVEL:	return "level";
	default:			return "default";
	}
}

static const char *polarity_name(u16 flags)
{
	switch (flags & ACPI_MADT_POLARITY_MASK) {
	case ACPI_MADT_POLARITY_ACTIVE_HIGH:	return "active-high";
	case ACPI_MADT_POLARITY_ACTIVE_LOW:	return "active-low";
	default:				return "default";
	}
}

static void print_cpus(const struct acpi_madt *m)
{
	for (unsigned int i = 0; i < m->nr_cpus; i++) {
		const struct acpi_cpu_info *c = &m->cpus[i];

		pr_info("acpi: cpu %u apic id %u %s%s\n", i, c->apic_id,
			c->enabled ? "enabled" : "disabled",
			c->online_capable ? " (online capable)" : "");
	}
	if (m->nr_cpus_found > m->nr_cpus)
		pr_warn("acpi: %u processors listed, only the first %u kept\n",
			m->nr_cpus_found, m->nr_cpus);
}

static void print_madt(const struct acpi_madt *m)
{
	pr_info("acpi: local APIC at %#lx%s\n", (unsigned long)m->lapic_address,
		(m->flags & ACPI_MADT_PCAT_COMPAT) ? ", 8259 PICs present" : "");
	print_cpus(m);
	for (unsigned int i = 0; i < m->nr_ioapics; i++)
		pr_info("acpi: ioapic id %u at %#x gsi base %u\n", m->ioapics[i].id,
			m->ioapics[i].address, m->ioapics[i].gsi_base);
	for (unsigned int i = 0; i < m->nr_overrides; i++) {
		const struct acpi_irq_override *o = &m->overrides[i];

		pr_info("acpi: override bus %u irq %u -> gsi %u, %s trigger, %s polarity\n",
			o->bus, o->source_irq, o->gsi, trigger_name(o->flags),
			polarity_name(o->flags));
	}
	for (unsigned int i = 0; i < m->nr_nmis; i++) {
		const struct acpi_lapic_nmi *n = &m->nmis[i];

		if (n->uid == ACPI_UID_ALL)
			pr_info("acpi: NMI on LINT%u of every cpu\n", n->lint);
		else
			pr_info("acpi: NMI on LINT%u of cpu uid %u\n", n->lint, n->uid);
	}
}

static void report_problems(const struct acpi_madt *m)
{
	for (unsigned int i = 0; i < m->nr_problems && i < ACPI_PROBLEMS_MAX; i++)
		pr_warn("acpi: MADT %s\n", m->problems[i]);
	if (m->nr_problems > ACPI_PROBLEMS_MAX)
		pr_warn("acpi: MADT: ... and %u more problems\n",
			m->nr_problems - ACPI_PROBLEMS_MAX);
}

/* A MADT without a CPU we can run on or an I/O APIC cannot drive the
 * interrupt setup; the defaults are more likely to be right. */
static bool parse_madt(const void *t)
{
	enum acpi_status st;

	st = acpi_parse_madt(t, ((const struct acpi_table_header *)t)->length, &madt_info);
	if (st != AE_OK) {
		pr_warn("acpi: MADT: %s\n", acpi_status_str(st));
		return false;
	}
	report_problems(&madt_info);
	if (!madt_info.nr_cpus_enabled || !madt_info.nr_ioapics) {
		pr_warn("acpi: MADT lists %u enabled cpus and %u I/O APICs: unusable\n",
			madt_info.nr_cpus_enabled, madt_info.nr_ioapics);
		return false;
	}
	return true;
}

/* The defaults, with the boot CPU's real APIC id (CPUID leaf 1, EBX 31:24)
 * so at least the CPU we are running on is right. */
static void use_default_madt(void)
{
	acpi_default_madt(&madt_info);
	madt_info.cpus[0].apic_id = cpuid(1).ebx >> 24;
	pr_warn("acpi: no usable MADT; assuming one cpu, local APIC %#lx, "
		"I/O APIC %#x, ISA IRQs identity-mapped\n",
		(unsigned long)madt_info.lapic_address, madt_info.ioapics[0].address);
}

void acpi_init(const struct boot_info *bi)
{
	const void *madt = NULL;

	acpi_rsdp_valid = find_rsdp(bi);
	if (acpi_rsdp_valid)
		madt = find_madt();
	if (acpi_rsdp_valid && !madt)
		pr_warn("acpi: no valid MADT (\"APIC\") table\n");
	acpi_madt_valid = madt && parse_madt(madt);
	if (!acpi_madt_valid)
		use_default_madt();
	print_madt(&madt_info);
}

u32 acpi_irq_to_gsi(u8 isa_irq, u16 *flags)
{
	return acpi_madt_irq_to_gsi(&madt_info, isa_irq, flags);
}
