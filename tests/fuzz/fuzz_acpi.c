/*
 * fuzz_acpi.c - libFuzzer target for the ACPI table parsers
 * (kernel/acpi_tables.c): MADT, RSDT/XSDT, RSDP check and scan.
 *
 * Input: one selector byte, then the table.  Selector bits 1:0 pick the
 * parser (0 MADT, 1 RSDP and the RSDP scan, 2 RSDT, 3 XSDT); bit 2 asks
 * the harness to make the checksum(s) right and bit 3 to set the length
 * field to the input's size, as firmware would, so that random mutation
 * gets past the header checks to the entries (a fuzzer cannot guess an
 * 8-bit sum).  Bits clear leave the bytes as they are, so bad checksums
 * and lengths are fuzzed too.
 *
 * Invariants checked on what is accepted (acpi.h): the length lies in
 * its range and inside what the parser was told it may read, the bytes
 * sum to zero; every MADT entry the parser used lies inside the table
 * (a walk done here independently must find each CPU, I/O APIC,
 * override and NMI it reports, from an entry of the right type and
 * length inside [table, table + length)); counts stay inside arrays.
 */
#include "fuzz.h"
#include "kernel/acpi.h"

#define SEL_MASK	3
#define SEL_MADT	0
#define SEL_RSDP	1
#define SEL_RSDT	2
#define SEL_XSDT	3
#define FIX_CHECKSUM	4
#define FIX_LENGTH	8

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Is there an entry of @type, at least @need bytes long, inside the MADT of
 * @len bytes, for which @match says yes?  The walk is this file's own. */
static int madt_has(const uint8_t *t, uint32_t len, uint8_t type, uint8_t need,
		    int (*match)(const uint8_t *e, const void *want), const void *want)
{
	size_t off = sizeof(struct acpi_table_madt);

	while (off + 2 <= len) {
		uint8_t elen = t[off + 1];

		if (elen < 2 || elen > len - off)
			return 0;
		if (t[off] == type && elen >= need && match(t + off, want))
			return 1;
		off += elen;
	}
	return 0;
}

static int m_lapic(const uint8_t *e, const void *w)
{
	const struct acpi_cpu_info *c = w;

	return !c->x2apic && e[3] == c->apic_id && e[2] == c->uid &&
	       (rd32(e + 4) & ACPI_MADT_ENABLED) == c->enabled;
}

static int m_x2apic(const uint8_t *e, const void *w)
{
	const struct acpi_cpu_info *c = w;

	return c->x2apic && rd32(e + 4) == c->apic_id && rd32(e + 12) == c->uid &&
	       (rd32(e + 8) & ACPI_MADT_ENABLED) == c->enabled;
}

static int m_ioapic(const uint8_t *e, const void *w)
{
	const struct acpi_ioapic_info *io = w;

	return e[2] == io->id && rd32(e + 4) == io->address && rd32(e + 8) == io->gsi_base;
}

static int m_override(const uint8_t *e, const void *w)
{
	const struct acpi_irq_override *o = w;

	return e[2] == o->bus && e[3] == o->source_irq && rd32(e + 4) == o->gsi &&
	       rd16(e + 8) == o->flags;
}

static int m_lapic_nmi(const uint8_t *e, const void *w)
{
	const struct acpi_lapic_nmi *n = w;
	uint32_t uid = e[2] == 0xff ? ACPI_UID_ALL : e[2];

	return uid == n->uid && rd16(e + 3) == n->flags && e[5] == n->lint;
}

static int m_x2apic_nmi(const uint8_t *e, const void *w)
{
	const struct acpi_lapic_nmi *n = w;

	return rd16(e + 2) == n->flags && rd32(e + 4) == n->uid && e[8] == n->lint;
}

/* the checks every table (acpi_table_check's AE_OK) must pass */
static uint32_t check_table(const uint8_t *t, size_t avail, const char *sig)
{
	uint32_t len;

	FUZZ_ASSERT(avail >= sizeof(struct acpi_table_header));
	FUZZ_ASSERT(!memcmp(t, sig, 4));
	len = rd32(t + 4);
	FUZZ_ASSERT(len >= sizeof(struct acpi_table_header) && len <= ACPI_TABLE_MAX_LEN);
	FUZZ_ASSERT(len <= avail);
	FUZZ_ASSERT(sum8(t, len) == 0);
	return len;
}

static void fuzz_madt(const uint8_t *t, size_t n)
{
	static struct acpi_madt m;
	enum acpi_status st = acpi_parse_madt(t, n, &m);
	uint32_t len;

	if (st != AE_OK) {
		FUZZ_ASSERT(m.nr_entries == 0 && m.nr_cpus == 0 && m.nr_ioapics == 0);
		return;
	}
	len = check_table(t, n, "APIC");
	FUZZ_ASSERT(len >= sizeof(struct acpi_table_madt));
	FUZZ_ASSERT(m.nr_entries <= (len - sizeof(struct acpi_table_madt)) / 2);

	FUZZ_ASSERT(m.nr_cpus <= ACPI_MADT_MAX_CPUS && m.nr_cpus <= m.nr_cpus_found);
	FUZZ_ASSERT(m.nr_cpus == m.nr_cpus_found || m.nr_cpus == ACPI_MADT_MAX_CPUS);
	FUZZ_ASSERT(m.nr_ioapics <= ACPI_MADT_MAX_IOAPICS && m.nr_ioapics <= m.nr_ioapics_found);
	FUZZ_ASSERT(m.nr_overrides <= ACPI_MADT_MAX_OVERRIDES &&
		    m.nr_overrides <= m.nr_overrides_found);
	FUZZ_ASSERT(m.nr_nmis <= ACPI_MADT_MAX_NMIS && m.nr_nmis <= m.nr_nmis_found);

	unsigned int enabled = 0;

	for (unsigned int i = 0; i < m.nr_cpus; i++) {
		const struct acpi_cpu_info *c = &m.cpus[i];

		enabled += c->enabled;
		FUZZ_ASSERT(!(c->enabled && c->online_capable));
		for (unsigned int j = 0; j < i; j++)
			FUZZ_ASSERT(m.cpus[j].apic_id != c->apic_id);
		FUZZ_ASSERT(c->x2apic ?
			madt_has(t, len, ACPI_MADT_TYPE_LOCAL_X2APIC,
				 sizeof(struct acpi_madt_local_x2apic), m_x2apic, c) :
			madt_has(t, len, ACPI_MADT_TYPE_LOCAL_APIC,
				 sizeof(struct acpi_madt_local_apic), m_lapic, c));
	}
	FUZZ_ASSERT(enabled == m.nr_cpus_enabled);
	for (unsigned int i = 0; i < m.nr_ioapics; i++)
		FUZZ_ASSERT(madt_has(t, len, ACPI_MADT_TYPE_IO_APIC,
				     sizeof(struct acpi_madt_io_apic), m_ioapic, &m.ioapics[i]));
	for (unsigned int i = 0; i < m.nr_overrides; i++)
		FUZZ_ASSERT(madt_has(t, len, ACPI_MADT_TYPE_INTERRUPT_OVERRIDE,
				     sizeof(struct acpi_madt_interrupt_override),
				     m_override, &m.overrides[i]));
	for (unsigned int i = 0; i < m.nr_nmis; i++) {
		FUZZ_ASSERT(m.nmis[i].lint <= 1);
		FUZZ_ASSERT(madt_has(t, len, ACPI_MADT_TYPE_LOCAL_APIC_NMI,
				     sizeof(struct acpi_madt_local_apic_nmi),
				     m_lapic_nmi, &m.nmis[i]) ||
			    madt_has(t, len, ACPI_MADT_TYPE_LOCAL_X2APIC_NMI,
				     sizeof(struct acpi_madt_local_x2apic_nmi),
				     m_x2apic_nmi, &m.nmis[i]));
	}
	for (unsigned int i = 0; i < m.nr_problems && i < ACPI_PROBLEMS_MAX; i++)
		FUZZ_ASSERT_TERMINATED(m.problems[i]);
	FUZZ_ASSERT(m.lapic_address != 0 || rd32(t + 36) == 0);

	/* the ISA lookup reports an override the table had, or identity */
	for (unsigned int irq = 0; irq < 16; irq++) {
		u16 fl;
		u32 gsi = acpi_madt_irq_to_gsi(&m, (u8)irq, &fl);
		int ok = gsi == irq && fl == 0;

		for (unsigned int i = 0; i < m.nr_overrides && !ok; i++)
			ok = m.overrides[i].gsi == gsi;
		FUZZ_ASSERT(ok);
	}
}

static void fuzz_rsdp(const uint8_t *t, size_t n)
{
	struct acpi_rsdp_info info;
	enum acpi_status st = acpi_rsdp_check(t, n, &info);
	long off;

	if (st == AE_OK) {
		FUZZ_ASSERT(n >= ACPI_RSDP_V1_SIZE && !memcmp(t, "RSD PTR ", 8));
		FUZZ_ASSERT(sum8(t, ACPI_RSDP_V1_SIZE) == 0);
		FUZZ_ASSERT_TERMINATED(info.oem_id);
		FUZZ_ASSERT(info.rsdt_address == rd32(t + 16));
		if (info.xsdt_status == AE_OK) {
			uint32_t len = rd32(t + 20);

			FUZZ_ASSERT(info.revision >= 2 && info.xsdt_address != 0);
			FUZZ_ASSERT(len >= ACPI_RSDP_V2_SIZE && len <= n && sum8(t, len) == 0);
		} else {
			FUZZ_ASSERT(info.xsdt_address == 0);
		}
	}
	off = acpi_rsdp_scan(t, n);
	if (off >= 0) {
		FUZZ_ASSERT(off % 16 == 0 && (size_t)off + ACPI_RSDP_V1_SIZE <= n);
		FUZZ_ASSERT(acpi_rsdp_check(t + off, n - off, &info) == AE_OK);
	}
}

static void fuzz_root(const uint8_t *t, size_t n, bool xsdt)
{
	u64 addrs[8];
	unsigned int nr;
	size_t esize = xsdt ? 8 : 4;
	enum acpi_status st = acpi_parse_root(t, n, xsdt, addrs, 8, &nr);
	uint32_t len;

	if (st != AE_OK) {
		FUZZ_ASSERT(nr == 0);
		return;
	}
	len = check_table(t, n, xsdt ? "XSDT" : "RSDT");
	FUZZ_ASSERT(nr == (len - sizeof(struct acpi_table_header)) / esize);
	for (unsigned int i = 0; i < nr && i < 8; i++) {
		u64 a = 0;

		/* the entry read lies wholly inside the table */
		FUZZ_ASSERT(sizeof(struct acpi_table_header) + (i + 1) * esize <= len);
		memcpy(&a, t + sizeof(struct acpi_table_header) + i * esize, esize);
		FUZZ_ASSERT(addrs[i] == a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel, *t;
	size_t n;

	if (size < 1)
		return 0;
	sel = data[0];
	n = size - 1;
	t = fuzz_copy(data + 1, n);

	if ((sel & SEL_MASK) == SEL_RSDP) {
		if ((sel & FIX_LENGTH) && n >= ACPI_RSDP_V2_SIZE) {
			uint32_t l = (uint32_t)n;

			memcpy(t + 20, &l, 4);
		}
		if ((sel & FIX_CHECKSUM) && n >= ACPI_RSDP_V1_SIZE) {
			t[8] = 0;
			t[8] = (uint8_t)-sum8(t, ACPI_RSDP_V1_SIZE);
			if (n >= ACPI_RSDP_V2_SIZE) {
				uint32_t l = rd32(t + 20);

				if (l >= ACPI_RSDP_V2_SIZE && l <= n) {
					t[32] = 0;
					t[32] = (uint8_t)-sum8(t, l);
				}
			}
		}
		fuzz_rsdp(t, n);
	} else {
		if ((sel & FIX_LENGTH) && n >= 8) {
			uint32_t l = (uint32_t)n;

			memcpy(t + 4, &l, 4);
		}
		if ((sel & FIX_CHECKSUM) && n >= sizeof(struct acpi_table_header)) {
			uint32_t l = rd32(t + 4);

			if (l > n)
				l = (uint32_t)n;
			t[9] = 0;
			t[9] = (uint8_t)-sum8(t, l);
		}
		if ((sel & SEL_MASK) == SEL_MADT)
			fuzz_madt(t, n);
		else
			fuzz_root(t, n, (sel & SEL_MASK) == SEL_XSDT);
	}
	free(t);
	return 0;
}
