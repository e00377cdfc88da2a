/*
 * io_apic.c - programming I/O APIC redirection entries.
 *
 * An I/O APIC is two registers in MMIO: IOREGSEL selects an internal
 * register, IOWIN reads or writes it (Intel 82093AA I/O APIC data sheet).
 * Register 1 holds the number of redirection entries; entry n is the pair
 * 0x10 + 2n (low: vector, delivery mode, polarity, trigger, mask) and
 * 0x11 + 2n (high: destination APIC id in bits 63:56).
 *
 * ISA interrupts are edge-triggered and active-high unless the MADT says
 * otherwise for that line (interrupt source overrides: on PCs the PIT's
 * IRQ 0 arrives on GSI 2).
 *
 * Invariant: the low half is written last when unmasking and first when
 * masking, so an entry is never live with a half-written destination.
 */
#include "kernel/io_apic.h"
#include "kernel/layout.h"
#include "kernel/printk.h"
#include "kernel/errno.h"
#include "kernel/acpi.h"
#include "kernel/console.h"

#define MAX_IO_APICS	8
#define IOREGSEL	0x00
#define IOWIN		0x10
#define IO_APIC_ID	0x00
#define IO_APIC_VER	0x01
#define IO_APIC_REDTBL(n)	(0x10 + 2 * (n))
#define RTE_LEVEL	BIT(15)
#define RTE_ACTIVE_LOW	BIT(13)
#define RTE_MASKED	BIT(16)

struct io_apic {
	u32 id;
	u32 gsi_base;
	u32 nr_entries;
	volatile u32 *mmio;
};

static struct io_apic io_apics[MAX_IO_APICS];
static int nr_io_apics;

static u32 io_apic_read(struct io_apic *a, u32 reg)
{
	a->mmio[IOREGSEL / 4] = reg;
	return a->mmio[IOWIN / 4];
}

static void io_apic_write(struct io_apic *a, u32 reg, u32 val)
{
	a->mmio[IOREGSEL / 4] = reg;
	a->mmio[IOWIN / 4] = val;
}

int io_apic_add(u32 id, u64 phys_addr, u32 gsi_base)
{
	struct io_apic *a;

	if (nr_io_apics == MAX_IO_APICS) {
		pr_err("io_apic: more than %d I/O APICs, ignoring id %u\n", MAX_IO_APICS, id);
		return -ENOSPC;
	}
	if (phys_addr & 0xf || phys_addr >= BOOT_DIRECT_MAP_SIZE) {
		pr_err("io_apic: id %u at %#lx is not a usable address\n", id,
		       (unsigned long)phys_addr);
		return -EINVAL;
	}
	a = &io_apics[nr_io_apics];
	a->id = id;
	a->gsi_base = gsi_base;
	a->mmio = phys_to_virt(phys_addr);
	a->nr_entries = ((io_apic_read(a, IO_APIC_VER) >> 16) & 0xff) + 1;
	for (u32 n = 0; n < a->nr_entries; n++)	/* everything masked to start */
		io_apic_write(a, IO_APIC_REDTBL(n), RTE_MASKED);
	nr_io_apics++;
	pr_info("io_apic: id %u at %#lx, GSIs %u-%u\n", id, (unsigned long)phys_addr,
		gsi_base, gsi_base + a->nr_entries - 1);
	return 0;
}

static struct io_apic *io_apic_for_gsi(u32 gsi, u32 *pin)
{
	for (int i = 0; i < nr_io_apics; i++) {
		struct io_apic *a = &io_apics[i];

		if (gsi >= a->gsi_base && gsi < a->gsi_base + a->nr_entries) {
			*pin = gsi - a->gsi_base;
			return a;
		}
	}
	return NULL;
}

int io_apic_route(u32 gsi, u8 vector, u32 dest, u16 flags)
{
	u32 pin, low = vector;
	struct io_apic *a = io_apic_for_gsi(gsi, &pin);

	if (!a)
		return -ENOENT;
	if ((flags & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL)
		low |= RTE_LEVEL;
	if ((flags & MPS_POLARITY_MASK) == MPS_POLARITY_LOW)
		low |= RTE_ACTIVE_LOW;
	io_apic_write(a, IO_APIC_REDTBL(pin), RTE_MASKED);
	io_apic_write(a, IO_APIC_REDTBL(pin) + 1, dest << 24);
	io_apic_write(a, IO_APIC_REDTBL(pin), low);	/* unmasks */
	return 0;
}

int io_apic_mask(u32 gsi, bool masked)
{
	u32 pin, low;
	struct io_apic *a = io_apic_for_gsi(gsi, &pin);

	if (!a)
		return -ENOENT;
	low = io_apic_read(a, IO_APIC_REDTBL(pin));
	io_apic_write(a, IO_APIC_REDTBL(pin), masked ? low | RTE_MASKED : low & ~RTE_MASKED);
	return 0;
}

/* Register the MADT's I/O APICs and route the one ISA line the kernel
 * takes interrupts from today: COM1 (IRQ 4) for the console's input. */
void io_apic_init(void)
{
	u16 flags;
	u32 gsi;

	for (unsigned i = 0; i < madt_info.nr_ioapics; i++)
		io_apic_add(madt_info.ioapics[i].id, madt_info.ioapics[i].address,
			    madt_info.ioapics[i].gsi_base);
	gsi = acpi_madt_irq_to_gsi(&madt_info, 4, &flags);
	serial_enable_rx_irq(gsi, flags);
}

void io_apic_dump(void)
{
	for (int i = 0; i < nr_io_apics; i++)
		for (u32 n = 0; n < io_apics[i].nr_entries; n++) {
			u32 low = io_apic_read(&io_apics[i], IO_APIC_REDTBL(n));

			if (!(low & RTE_MASKED))
				printk_raw("  GSI %u -> vector %#x, apic %u, %s, %s\n",
					   io_apics[i].gsi_base + n, low & 0xff,
					   io_apic_read(&io_apics[i], IO_APIC_REDTBL(n) + 1) >> 24,
					   low & RTE_LEVEL ? "level" : "edge",
					   low & RTE_ACTIVE_LOW ? "active low" : "active high");
		}
}
