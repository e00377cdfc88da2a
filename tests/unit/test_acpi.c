/*
 * test_acpi.c - host tests for kernel/acpi_tables.c.
 *
 * Each test builds a table in a builder, fixes up its length and checksum
 * as firmware would (or deliberately does not), and copies it into a
 * malloc'd buffer of exactly the size the parser is told it may read, so
 * AddressSanitizer turns any read past the end into a crash (= a failed
 * test).
 */
#include <stdlib.h>
#include <stdint.h>
#include "unit.h"
#include "kernel/acpi.h"

struct builder {
	uint8_t buf[4096];
	size_t len;
};

static void b_put(struct builder *b, const void *p, size_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void b_u8(struct builder *b, uint8_t v) { b_put(b, &v, 1); }
static void b_u16(struct builder *b, uint16_t v) { b_put(b, &v, 2); }
static void b_u32(struct builder *b, uint32_t v) { b_put(b, &v, 4); }
static void b_u64(struct builder *b, uint64_t v) { b_put(b, &v, 8); }

/* a table header with length and checksum left for b_finish */
static void b_header(struct builder *b, const char *sig)
{
	memset(b, 0, sizeof(*b));
	b_put(b, sig, 4);
	b_u32(b, 0);			/* length */
	b_u8(b, 1);			/* revision */
	b_u8(b, 0);			/* checksum */
	b_put(b, "BOCHS ", 6);
	b_put(b, "BXPCAPIC", 8);
	b_u32(b, 1);
	b_put(b, "BXPC", 4);
	b_u32(b, 1);
}

static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	p[at] = (uint8_t)-sum;
}

/* patch length (if @length is not 0, that value) and the checksum */
static void b_finish(struct builder *b, uint32_t length)
{
	uint32_t len = length ? length : (uint32_t)b->len;

	memcpy(b->buf + 4, &len, 4);
	fix_checksum(b->buf, b->len, 9);
}

static uint8_t *b_copy(const struct builder *b, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	memcpy(p, b->buf, n);
	return p;
}

/* ---------------------------------------------------------------- RSDP */

static void make_rsdp(uint8_t r[36], uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
	uint32_t len = 36;

	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "BOCHS ", 6);
	r[15] = revision;
	memcpy(r + 16, &rsdt, 4);
	memcpy(r + 20, &len, 4);
	memcpy(r + 24, &xsdt, 8);
	fix_checksum(r, 20, 8);
	fix_checksum(r, 36, 32);
}

static enum acpi_status check_rsdp(const uint8_t *r, size_t n, struct acpi_rsdp_info *info)
{
	uint8_t *p = malloc(n ? n : 1);
	enum acpi_status st;

	memcpy(p, r, n);
	st = acpi_rsdp_check(p, n, info);
	free(p);
	return st;
}

UNIT_TEST(rsdp_v1_valid)
{
	uint8_t r[36];
	struct acpi_rsdp_info info;

	make_rsdp(r, 0, 0x7fe14d1, 0);
	CHECK_EQ(check_rsdp(r, 20, &info), AE_OK);
	CHECK_EQ(info.revision, 0);
	CHECK_EQ(info.rsdt_address, 0x7fe14d1);
	CHECK_EQ(info.xsdt_address, 0);
	CHECK_STR(info.oem_id, "BOCHS ");
}

UNIT_TEST(rsdp_v2_valid)
{
	uint8_t r[36];
	struct acpi_rsdp_info info;

	make_rsdp(r, 2, 0x7fe14d1, 0x123456789ull);
	CHECK_EQ(check_rsdp(r, 36, &info), AE_OK);
	CHECK_EQ(info.revision, 2);
	CHECK_EQ(info.xsdt_status, AE_OK);
	CHECK_EQ(info.xsdt_address, 0x123456789ull);
	CHECK_EQ(info.rsdt_address, 0x7fe14d1);
}

UNIT_TEST(rsdp_bad_signature_and_checksum)
{
	uint8_t r[36];
	struct acpi_rsdp_info info;

	make_rsdp(r, 2, 0x1000, 0x2000);
	r[16] ^= 0x40;			/* RSDT address changed, checksum not */
	CHECK_EQ(check_rsdp(r, 36, &info), AE_BAD_CHECKSUM);
	CHECK_EQ(info.rsdt_address, 0);	/* nothing from a bad RSDP */
	make_rsdp(r, 0, 0x1000, 0);
	r[3] = 'X';
	CHECK_EQ(check_rsdp(r, 20, &info), AE_BAD_SIGNATURE);
}

/* The 2.0 part has its own checksum: a bad one leaves the RSDT usable. */
UNIT_TEST(rsdp_bad_extended_checksum)
{
	uint8_t r[36];
	struct acpi_rsdp_info info;

	make_rsdp(r, 2, 0x1000, 0x2000);
	r[25] ^= 1;			/* XSDT address; only the ext. checksum covers it */
	CHECK_EQ(check_rsdp(r, 36, &info), AE_OK);
	CHECK_EQ(info.xsdt_status, AE_BAD_CHECKSUM);
	CHECK_EQ(info.xsdt_address, 0);
	CHECK_EQ(info.rsdt_address, 0x1000);
}

UNIT_TEST(rsdp_truncated)
{
	uint8_t r[36];
	struct acpi_rsdp_info info;

	make_rsdp(r, 2, 0x1000, 0x2000);
	CHECK_EQ(check_rsdp(r, 19, &info), AE_TRUNCATED);
	CHECK_EQ(check_rsdp(r, 0, &info), AE_TRUNCATED);
	CHECK_EQ(acpi_rsdp_check(NULL, 36, &info), AE_TRUNCATED);
	/* a v2 RSDP of which only the 1.0 part is readable */
	CHECK_EQ(check_rsdp(r, 20, &info), AE_OK);
	CHECK_EQ(info.xsdt_status, AE_TRUNCATED);
	CHECK_EQ(info.xsdt_address, 0);
	CHECK_EQ(check_rsdp(r, 30, &info), AE_OK);
	CHECK_EQ(info.xsdt_status, AE_TRUNCATED);
}

UNIT_TEST(rsdp_bad_v2_length)
{
	uint8_t r[36];
	struct acpi_rsdp_info info;
	uint32_t len;

	for (int k = 0; k < 3; k++) {
		make_rsdp(r, 2, 0x1000, 0x2000);
		len = k == 0 ? 20 : k == 1 ? 0xffffffffu : 40;
		memcpy(r + 20, &len, 4);
		fix_checksum(r, 36, 32);
		CHECK_EQ(check_rsdp(r, 36, &info), AE_OK);
		CHECK_EQ(info.xsdt_status, k == 2 ? AE_TRUNCATED : AE_BAD_LENGTH);
		CHECK_EQ(info.xsdt_address, 0);
	}
}

UNIT_TEST(rsdp_scan_finds_aligned_only)
{
	static uint8_t area[4096];
	uint8_t r[36];
	uint8_t *p;

	memset(area, 0, sizeof(area));
	make_rsdp(r, 2, 0x1000, 0x2000);
	memcpy(area + 0x108, r, 36);	/* not on a 16-byte boundary */
	memcpy(area + 0x200, r, 36);
	area[0x200 + 16] ^= 1;		/* bad checksum: must be skipped */
	memcpy(area + 0x400, "RSD PTR ", 8);	/* signature alone */
	memcpy(area + 0x800, r, 36);
	p = malloc(sizeof(area));
	memcpy(p, area, sizeof(area));
	CHECK_EQ(acpi_rsdp_scan(p, sizeof(area)), 0x800);
	CHECK_EQ(acpi_rsdp_scan(p, 0x800), -1);
	CHECK_EQ(acpi_rsdp_scan(p, 0x800 + 19), -1);
	CHECK_EQ(acpi_rsdp_scan(p, 0x800 + 20), 0x800);	/* v1 part is enough */
	free(p);
}

/* ---------------------------------------------------------------- tables */

UNIT_TEST(table_check_valid_and_bad)
{
	struct builder b;
	uint8_t *p;

	b_header(&b, "FACP");
	b_u32(&b, 0xdeadbeef);
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_table_check(p, b.len, "FACP"), AE_OK);
	CHECK_EQ(acpi_table_check(p, b.len, NULL), AE_OK);
	CHECK_EQ(acpi_table_check(p, b.len, "APIC"), AE_BAD_SIGNATURE);
	CHECK_EQ(acpi_table_check(p, b.len - 1, NULL), AE_TRUNCATED);
	CHECK_EQ(acpi_table_check(p, 35, NULL), AE_TRUNCATED);
	p[b.len - 1] ^= 0x10;
	CHECK_EQ(acpi_table_check(p, b.len, NULL), AE_BAD_CHECKSUM);
	free(p);
}

UNIT_TEST(table_length_out_of_range)
{
	struct builder b;
	uint8_t *p;

	b_header(&b, "FACP");
	b_finish(&b, 35);			/* shorter than its own header */
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_table_check(p, b.len, NULL), AE_BAD_LENGTH);
	free(p);
	b_header(&b, "FACP");
	b_finish(&b, ACPI_TABLE_MAX_LEN + 1);	/* absurd, whatever avail says */
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_table_check(p, (size_t)-1 / 2, NULL), AE_BAD_LENGTH);
	free(p);
}

UNIT_TEST(rsdt_and_xsdt_entries)
{
	struct builder b;
	uint64_t addrs[4];
	unsigned int nr;
	uint8_t *p;

	b_header(&b, "RSDT");
	b_u32(&b, 0x1000); b_u32(&b, 0x2000); b_u32(&b, 0x3000);
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_root(p, b.len, false, addrs, 2, &nr), AE_OK);
	CHECK_EQ(nr, 3);			/* counted beyond max */
	CHECK_EQ(addrs[0], 0x1000);
	CHECK_EQ(addrs[1], 0x2000);
	CHECK_EQ(acpi_parse_root(p, b.len, true, addrs, 4, &nr), AE_BAD_SIGNATURE);
	CHECK_EQ(nr, 0);
	free(p);

	b_header(&b, "XSDT");
	b_u64(&b, 0x100000000ull); b_u64(&b, 0x5000);
	b_u32(&b, 0x6000);			/* half an entry: ignored */
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_root(p, b.len, true, addrs, 4, &nr), AE_OK);
	CHECK_EQ(nr, 2);
	CHECK_EQ(addrs[0], 0x100000000ull);
	CHECK_EQ(addrs[1], 0x5000);
	p[40] ^= 1;
	CHECK_EQ(acpi_parse_root(p, b.len, true, addrs, 4, &nr), AE_BAD_CHECKSUM);
	free(p);
}

/* ---------------------------------------------------------------- MADT */

static struct acpi_madt madt;

static void madt_begin(struct builder *b, uint32_t lapic)
{
	b_header(b, "APIC");
	b_u32(b, lapic);
	b_u32(b, ACPI_MADT_PCAT_COMPAT);
}

static void e_lapic(struct builder *b, uint8_t uid, uint8_t id, uint32_t flags)
{
	b_u8(b, ACPI_MADT_TYPE_LOCAL_APIC); b_u8(b, 8);
	b_u8(b, uid); b_u8(b, id); b_u32(b, flags);
}

static void e_x2apic(struct builder *b, uint32_t id, uint32_t flags, uint32_t uid)
{
	b_u8(b, ACPI_MADT_TYPE_LOCAL_X2APIC); b_u8(b, 16);
	b_u16(b, 0); b_u32(b, id); b_u32(b, flags); b_u32(b, uid);
}

static void e_ioapic(struct builder *b, uint8_t id, uint32_t addr, uint32_t base)
{
	b_u8(b, ACPI_MADT_TYPE_IO_APIC); b_u8(b, 12);
	b_u8(b, id); b_u8(b, 0); b_u32(b, addr); b_u32(b, base);
}

static void e_iso(struct builder *b, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	b_u8(b, ACPI_MADT_TYPE_INTERRUPT_OVERRIDE); b_u8(b, 10);
	b_u8(b, 0); b_u8(b, irq); b_u32(b, gsi); b_u16(b, flags);
}

static void e_lapic_nmi(struct builder *b, uint8_t uid, uint16_t flags, uint8_t lint)
{
	b_u8(b, ACPI_MADT_TYPE_LOCAL_APIC_NMI); b_u8(b, 6);
	b_u8(b, uid); b_u16(b, flags); b_u8(b, lint);
}

/* QEMU's MADT for -smp 2 plus a disabled CPU, an x2APIC CPU, a second I/O
 * APIC, an x2APIC NMI and an entry of a type we do not know. */
static void qemu_like_madt(struct builder *b)
{
	madt_begin(b, 0xfee00000);
	e_lapic(b, 0, 0, ACPI_MADT_ENABLED);
	e_lapic(b, 1, 1, ACPI_MADT_ENABLED);
	e_lapic(b, 2, 2, 0);				/* disabled */
	e_lapic(b, 3, 3, ACPI_MADT_ONLINE_CAPABLE);	/* hot-pluggable */
	e_x2apic(b, 300, ACPI_MADT_ENABLED, 4);
	e_ioapic(b, 0, 0xfec00000, 0);
	e_ioapic(b, 1, 0xfec01000, 24);
	e_iso(b, 0, 2, 0);
	e_iso(b, 5, 5, ACPI_MADT_TRIGGER_LEVEL | ACPI_MADT_POLARITY_ACTIVE_HIGH);
	e_iso(b, 9, 9, ACPI_MADT_TRIGGER_LEVEL | ACPI_MADT_POLARITY_ACTIVE_HIGH);
	e_lapic_nmi(b, 0xff, 0, 1);
	b_u8(b, ACPI_MADT_TYPE_LOCAL_X2APIC_NMI); b_u8(b, 12);
	b_u16(b, 0); b_u32(b, 4); b_u8(b, 0); b_u8(b, 0); b_u16(b, 0);
	b_u8(b, 0x7f); b_u8(b, 5); b_u8(b, 1); b_u16(b, 2);	/* unknown type */
}

UNIT_TEST(madt_valid)
{
	struct builder b;
	uint8_t *p;
	uint16_t flags = 0xffff;

	qemu_like_madt(&b);
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
	CHECK_EQ(madt.nr_problems, 0);
	CHECK_EQ(madt.nr_entries, 13);
	CHECK_EQ(madt.lapic_address, 0xfee00000);
	CHECK_EQ(madt.flags, ACPI_MADT_PCAT_COMPAT);
	CHECK_EQ(madt.nr_cpus, 5);
	CHECK_EQ(madt.nr_cpus_found, 5);
	CHECK_EQ(madt.nr_cpus_enabled, 3);
	CHECK_EQ(madt.cpus[1].apic_id, 1);
	CHECK(madt.cpus[1].enabled);
	CHECK(!madt.cpus[2].enabled);
	CHECK(!madt.cpus[2].online_capable);
	CHECK(!madt.cpus[3].enabled);
	CHECK(madt.cpus[3].online_capable);
	CHECK_EQ(madt.cpus[4].apic_id, 300);
	CHECK_EQ(madt.cpus[4].uid, 4);
	CHECK(madt.cpus[4].x2apic);
	CHECK(madt.cpus[4].enabled);
	CHECK_EQ(madt.nr_ioapics, 2);
	CHECK_EQ(madt.ioapics[1].address, 0xfec01000);
	CHECK_EQ(madt.ioapics[1].gsi_base, 24);
	CHECK_EQ(madt.nr_overrides, 3);
	CHECK_EQ(madt.nr_nmis, 2);
	CHECK_EQ(madt.nmis[0].uid, ACPI_UID_ALL);
	CHECK_EQ(madt.nmis[0].lint, 1);
	CHECK_EQ(madt.nmis[1].uid, 4);
	CHECK_EQ(madt.nmis[1].lint, 0);

	CHECK_EQ(acpi_madt_irq_to_gsi(&madt, 0, &flags), 2);
	CHECK_EQ(flags, 0);
	CHECK_EQ(acpi_madt_irq_to_gsi(&madt, 9, &flags), 9);
	CHECK_EQ(flags, ACPI_MADT_TRIGGER_LEVEL | ACPI_MADT_POLARITY_ACTIVE_HIGH);
	CHECK_EQ(acpi_madt_irq_to_gsi(&madt, 1, &flags), 1);	/* identity */
	CHECK_EQ(flags, 0);
	CHECK_EQ(acpi_madt_irq_to_gsi(&madt, 4, NULL), 4);
	free(p);
}

UNIT_TEST(madt_lapic_address_override)
{
	struct builder b;
	uint8_t *p;

	madt_begin(&b, 0xfee00000);
	e_lapic(&b, 0, 0, ACPI_MADT_ENABLED);
	b_u8(&b, ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE); b_u8(&b, 12);
	b_u16(&b, 0); b_u64(&b, 0x1fee00000ull);
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
	CHECK_EQ(madt.lapic_address, 0x1fee00000ull);
	CHECK_EQ(madt.nr_problems, 0);
	free(p);
}

/* Same processor in a type 0 and a type 9 entry; 0xff and ~0 ids invalid. */
UNIT_TEST(madt_duplicate_and_invalid_ids)
{
	struct builder b;
	uint8_t *p;

	madt_begin(&b, 0xfee00000);
	e_lapic(&b, 0, 0, ACPI_MADT_ENABLED);
	e_x2apic(&b, 0, ACPI_MADT_ENABLED, 0);
	e_lapic(&b, 1, 0xff, ACPI_MADT_ENABLED);
	e_x2apic(&b, 0xffffffffu, ACPI_MADT_ENABLED, 9);
	e_ioapic(&b, 0, 0xfec00000, 0);
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
	CHECK_EQ(madt.nr_cpus, 1);
	CHECK_EQ(madt.nr_cpus_enabled, 1);
	CHECK(!madt.cpus[0].x2apic);
	CHECK_EQ(madt.nr_problems, 3);
	free(p);
}

UNIT_TEST(madt_bad_checksum)
{
	struct builder b;
	uint8_t *p;

	qemu_like_madt(&b);
	b_finish(&b, 0);
	b.buf[44 + 3] ^= 1;		/* APIC id of the first CPU */
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_BAD_CHECKSUM);
	CHECK_EQ(madt.nr_cpus, 0);	/* nothing from an untrusted table */
	CHECK_EQ(madt.lapic_address, 0);
	free(p);
}

UNIT_TEST(madt_truncated)
{
	struct builder b;
	uint8_t *p;

	qemu_like_madt(&b);
	b_finish(&b, 0);
	/* the buffer ends before the length says */
	p = b_copy(&b, b.len - 5);
	CHECK_EQ(acpi_parse_madt(p, b.len - 5, &madt), AE_TRUNCATED);
	CHECK_EQ(madt.nr_cpus, 0);
	free(p);
	/* a valid table too short for the local APIC address and flags */
	madt_begin(&b, 0xfee00000);
	b.len = 40;
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_BAD_LENGTH);
	free(p);
	/* header only: not even room for the signature check to matter */
	p = b_copy(&b, 20);
	CHECK_EQ(acpi_parse_madt(p, 20, &madt), AE_TRUNCATED);
	free(p);
}

/* Entry lengths 0 and 1 would never advance the walk if trusted. */
UNIT_TEST(madt_entry_length_zero_or_one)
{
	for (uint8_t elen = 0; elen <= 1; elen++) {
		struct builder b;
		uint8_t *p;

		madt_begin(&b, 0xfee00000);
		e_lapic(&b, 0, 0, ACPI_MADT_ENABLED);
		b_u8(&b, ACPI_MADT_TYPE_LOCAL_APIC); b_u8(&b, elen);
		b_u8(&b, 1); b_u8(&b, 1); b_u32(&b, ACPI_MADT_ENABLED);
		e_lapic(&b, 2, 2, ACPI_MADT_ENABLED);
		b_finish(&b, 0);
		p = b_copy(&b, b.len);
		CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
		CHECK_EQ(madt.nr_cpus, 1);	/* the walk stopped at the bad one */
		CHECK_EQ(madt.nr_entries, 1);
		CHECK_EQ(madt.nr_problems, 1);
		CHECK(strstr(madt.problems[0], "too small") != NULL);
		free(p);
	}
}

UNIT_TEST(madt_entry_past_end)
{
	struct builder b;
	uint8_t *p;

	madt_begin(&b, 0xfee00000);
	e_lapic(&b, 0, 0, ACPI_MADT_ENABLED);
	e_ioapic(&b, 0, 0xfec00000, 0);
	b.len -= 4;			/* the I/O APIC entry is cut: says 12, has 8 */
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
	CHECK_EQ(madt.nr_cpus, 1);
	CHECK_EQ(madt.nr_ioapics, 0);
	CHECK_EQ(madt.nr_problems, 1);
	CHECK(strstr(madt.problems[0], "past the table end") != NULL);
	free(p);
}

/* An entry shorter than its type is skipped; the walk goes on after it. */
UNIT_TEST(madt_entry_too_short_for_type)
{
	struct builder b;
	uint8_t *p;

	madt_begin(&b, 0xfee00000);
	b_u8(&b, ACPI_MADT_TYPE_IO_APIC); b_u8(&b, 6);
	b_u8(&b, 0); b_u8(&b, 0); b_u16(&b, 0);
	e_lapic(&b, 0, 0, ACPI_MADT_ENABLED);
	b_u8(&b, 0);			/* one stray byte at the end */
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
	CHECK_EQ(madt.nr_ioapics, 0);
	CHECK_EQ(madt.nr_cpus, 1);
	CHECK_EQ(madt.nr_problems, 2);
	free(p);
}

UNIT_TEST(madt_more_cpus_than_array)
{
	struct builder b;
	uint8_t *p;
	unsigned int n = ACPI_MADT_MAX_CPUS + 10;

	madt_begin(&b, 0xfee00000);
	for (unsigned int i = 0; i < n; i++)
		e_x2apic(&b, i, ACPI_MADT_ENABLED, i);
	for (unsigned int i = 0; i < ACPI_MADT_MAX_IOAPICS + 2; i++)
		e_ioapic(&b, (uint8_t)i, 0xfec00000 + i * 0x1000, i * 24);
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
	CHECK_EQ(madt.nr_cpus, ACPI_MADT_MAX_CPUS);
	CHECK_EQ(madt.nr_cpus_found, n);
	CHECK_EQ(madt.nr_cpus_enabled, ACPI_MADT_MAX_CPUS);
	CHECK_EQ(madt.cpus[ACPI_MADT_MAX_CPUS - 1].apic_id, ACPI_MADT_MAX_CPUS - 1);
	CHECK_EQ(madt.nr_ioapics, ACPI_MADT_MAX_IOAPICS);
	CHECK_EQ(madt.nr_ioapics_found, ACPI_MADT_MAX_IOAPICS + 2);
	CHECK_EQ(madt.nr_problems, 2);	/* reported once per kind */
	free(p);
}

UNIT_TEST(many_problems_counted)
{
	struct builder b;
	uint8_t *p;

	madt_begin(&b, 0xfee00000);
	for (int i = 0; i < ACPI_PROBLEMS_MAX + 5; i++)
		e_lapic(&b, 0, 0xff, ACPI_MADT_ENABLED);	/* invalid id each */
	b_finish(&b, 0);
	p = b_copy(&b, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, &madt), AE_OK);
	CHECK_EQ(madt.nr_problems, ACPI_PROBLEMS_MAX + 5);
	CHECK(strstr(madt.problems[ACPI_PROBLEMS_MAX - 1], "invalid") != NULL);
	free(p);
}

UNIT_TEST(default_madt_is_usable)
{
	uint16_t flags = 0xffff;

	memset(&madt, 0xa5, sizeof(madt));
	acpi_default_madt(&madt);
	CHECK_EQ(madt.lapic_address, 0xfee00000);
	CHECK_EQ(madt.nr_cpus, 1);
	CHECK_EQ(madt.nr_cpus_enabled, 1);
	CHECK(madt.cpus[0].enabled);
	CHECK_EQ(madt.nr_ioapics, 1);
	CHECK_EQ(madt.ioapics[0].address, 0xfec00000);
	CHECK_EQ(madt.ioapics[0].gsi_base, 0);
	CHECK_EQ(madt.nr_overrides, 0);
	CHECK_EQ(madt.nr_problems, 0);
	for (int irq = 0; irq < 16; irq++)
		CHECK_EQ(acpi_madt_irq_to_gsi(&madt, (uint8_t)irq, &flags), irq);
	CHECK_EQ(flags, 0);
}

UNIT_TEST(status_strings)
{
	CHECK_STR(acpi_status_str(AE_OK), "ok");
	CHECK_STR(acpi_status_str(AE_BAD_CHECKSUM), "bad checksum");
	CHECK_STR(acpi_status_str((enum acpi_status)99), "unknown error");
}

/*
 * Random corruption of a valid MADT must never crash the parser or make it
 * keep more than its arrays hold.  The checksum is fixed up after the
 * corruption in most rounds, or the parser would reject nearly everything
 * at the checksum and the entry walk would go untested.
 */
UNIT_TEST(random_corruption_survives)
{
	struct builder b;
	unsigned seed = 4242;
	int parsed = 0;

	for (int round = 0; round < 5000; round++) {
		qemu_like_madt(&b);
		b_finish(&b, 0);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			b.buf[(seed >> 8) % b.len] = (uint8_t)(seed >> 20);
		}
		/* cut 0, 3 or 6 bytes; when 3, the length agrees (the last
		 * entry then runs past the end), when 6 it does not */
		size_t len = b.len - (round % 3) * 3;
		if (round % 3 == 1) {
			uint32_t l32 = (uint32_t)len;

			memcpy(b.buf + 4, &l32, 4);
		}
		if (round % 8)
			fix_checksum(b.buf, len, 9);
		uint8_t *p = b_copy(&b, len);
		if (acpi_parse_madt(p, len, &madt) == AE_OK)
			parsed++;
		CHECK(madt.nr_cpus <= ACPI_MADT_MAX_CPUS);
		CHECK(madt.nr_ioapics <= ACPI_MADT_MAX_IOAPICS);
		CHECK(madt.nr_overrides <= ACPI_MADT_MAX_OVERRIDES);
		CHECK(madt.nr_nmis <= ACPI_MADT_MAX_NMIS);
		CHECK(madt.nr_cpus_enabled <= madt.nr_cpus);
		acpi_madt_irq_to_gsi(&madt, (uint8_t)round, NULL);
		free(p);
	}
	CHECK(parsed > 1000);		/* the walk was really exercised */
}

UNIT_TEST(random_rsdp_and_root_survive)
{
	struct builder b;
	struct acpi_rsdp_info info;
	uint64_t addrs[8];
	unsigned int nr;
	unsigned seed = 99;
	uint8_t r[36];

	for (int round = 0; round < 3000; round++) {
		make_rsdp(r, 2, 0x1000, 0x2000);
		seed = seed * 1103515245 + 12345;
		r[(seed >> 8) % 36] = (uint8_t)(seed >> 20);
		if (round & 1)
			fix_checksum(r, 20, 8);
		check_rsdp(r, 20 + round % 17, &info);
		CHECK(info.xsdt_status == AE_OK || info.xsdt_address == 0);

		b_header(&b, round & 1 ? "XSDT" : "RSDT");
		for (int i = 0; i < 12; i++)
			b_u32(&b, (uint32_t)i * 0x1000);
		b_finish(&b, 0);
		b.buf[(seed >> 12) % b.len] = (uint8_t)(seed >> 4);
		if (round & 2)
			fix_checksum(b.buf, b.len, 9);
		uint8_t *p = b_copy(&b, b.len);
		acpi_parse_root(p, b.len, round & 1, addrs, 8, &nr);
		CHECK(nr <= (b.len - 36) / 4);
		free(p);
	}
}

int main(void)
{
	return unit_run_all();
}
