/*
 * acpi_test.c - in-kernel tests of what acpi_init() found in the real
 * firmware tables.  The expected values are QEMU's: its MADT lists every
 * -smp CPU as enabled, one I/O APIC at 0xfec00000, and the standard PC
 * override of ISA IRQ 0 (the PIT) to GSI 2.  The harness passes the -smp
 * count as expect_cpus=N on the command line; without it only ">= 1" holds.
 */
#include "kernel/ktest.h"
#include "kernel/acpi.h"
#include "kernel/multiboot2.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/layout.h"
#include "kernel/cpu.h"

extern struct boot_info boot_info;

KTEST(acpi_rsdp_found_and_valid)
{
	struct acpi_rsdp_info info;

	KASSERT(acpi_rsdp_valid);
	KEXPECT(acpi_rsdp.rsdt_address != 0 || acpi_rsdp.xsdt_address != 0);
	/* GRUB passes a copy on both BIOS and UEFI; it must check out too */
	KASSERT(boot_info.rsdp_len >= 20);
	KEXPECT_EQ(acpi_rsdp_check(boot_info.rsdp, boot_info.rsdp_len, &info), AE_OK);
	KEXPECT_EQ(info.rsdt_address, acpi_rsdp.rsdt_address);
}

/* The BIOS-area fallback must find the same RSDP GRUB found (SeaBIOS puts
 * it in the 0xe0000 ROM area; OVMF does not use the legacy areas). */
KTEST(acpi_bios_scan_agrees)
{
	phys_addr_t pa = acpi_scan_bios_rsdp();
	struct acpi_rsdp_info info;

	if (!pa && boot_info.has_efi_mmap)
		KSKIP("UEFI firmware: no RSDP in the BIOS areas");
	KASSERT(pa != 0);
	KEXPECT_EQ(pa & 15, 0);
	KEXPECT_EQ(acpi_rsdp_check(phys_to_virt(pa), ACPI_RSDP_V1_SIZE, &info), AE_OK);
	KEXPECT_EQ(info.rsdt_address, acpi_rsdp.rsdt_address);
}

KTEST(acpi_madt_valid)
{
	KASSERT(acpi_madt_valid);
	KEXPECT_EQ(madt_info.nr_problems, 0);
	KEXPECT_EQ(madt_info.lapic_address, 0xfee00000);
	KEXPECT(madt_info.nr_cpus >= 1);
	KEXPECT(log_contains_since(0, "acpi: cpu 0 apic id "));
}

KTEST(acpi_cpu_count_matches_smp)
{
	long expect = cmdline_get_long("expect_cpus", 0);
	u32 boot_apic_id = cpuid(1).ebx >> 24;
	bool boot_cpu_listed = false;

	if (expect > 0)
		KEXPECT_EQ(madt_info.nr_cpus_enabled, expect);
	else
		KEXPECT(madt_info.nr_cpus_enabled >= 1);
	for (unsigned int i = 0; i < madt_info.nr_cpus; i++)
		if (madt_info.cpus[i].apic_id == boot_apic_id && madt_info.cpus[i].enabled)
			boot_cpu_listed = true;
	KEXPECT(boot_cpu_listed);
}

KTEST(acpi_ioapic_at_pc_address)
{
	KASSERT(madt_info.nr_ioapics >= 1);
	KEXPECT_EQ(madt_info.ioapics[0].address, 0xfec00000);
	KEXPECT_EQ(madt_info.ioapics[0].gsi_base, 0);
}

KTEST(acpi_isa_irq0_is_gsi2)
{
	u16 flags = 0xffff;

	KEXPECT_EQ(acpi_irq_to_gsi(0, &flags), 2);
	/* QEMU's override says "conforms to the bus": ISA edge, active high */
	KEXPECT_EQ(flags & ACPI_MADT_TRIGGER_MASK, 0);
	KEXPECT_EQ(acpi_irq_to_gsi(1, &flags), 1);	/* keyboard: no override */
	KEXPECT_EQ(flags, 0);
}
