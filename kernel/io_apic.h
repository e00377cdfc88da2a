/*
 * io_apic.h - the I/O APIC: routes device interrupt lines (GSIs) to a
 * vector on a chosen CPU's local APIC.
 */
#ifndef KERNEL_IO_APIC_H
#define KERNEL_IO_APIC_H

#include "kernel/types.h"

/* MADT interrupt-source-override flags (ACPI, "Interrupt Source Override
 * Structure"): polarity in bits 1:0, trigger mode in bits 3:2 */
#define MPS_POLARITY_MASK	0x3
#define  MPS_POLARITY_HIGH	0x1
#define  MPS_POLARITY_LOW	0x3
#define MPS_TRIGGER_MASK	0xc
#define  MPS_TRIGGER_EDGE	0x4
#define  MPS_TRIGGER_LEVEL	0xc

void io_apic_init(void);
int io_apic_add(u32 id, u64 phys_addr, u32 gsi_base);
/* Route @gsi to @vector on the CPU with @dest_apic_id, unmasked. */
int io_apic_route(u32 gsi, u8 vector, u32 dest_apic_id, u16 mps_flags);
int io_apic_mask(u32 gsi, bool masked);
void io_apic_dump(void);

#endif
