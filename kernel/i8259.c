/*
 * i8259.c - the legacy PIC pair: remapped out of the exception range, then
 * masked for good.  Switchyard takes device interrupts through the I/O APIC.
 *
 * Remapping matters even though every line is masked: after reset the
 * master PIC delivers on vectors 0x08-0x0f, which are CPU exceptions (#DF is
 * 8!), and a spurious IRQ 7 can arrive despite the mask.  The
 * initialisation sequence is ICW1..ICW4 (Intel 8259A data sheet).
 */
#include "kernel/io.h"
#include "kernel/irq_vectors.h"
#include "kernel/apic.h"

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define ICW1_INIT_ICW4	0x11	/* edge triggered, cascade, ICW4 follows */
#define ICW4_8086	0x01

static void io_delay(void)
{
	outb(0x80, 0);		/* a write to an unused port: ~1 us on PCs */
}

void legacy_pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4); io_delay();
	outb(PIC2_CMD, ICW1_INIT_ICW4); io_delay();
	outb(PIC1_DATA, PIC_MASTER_VECTOR); io_delay();	/* ICW2: vector base */
	outb(PIC2_DATA, PIC_SLAVE_VECTOR); io_delay();
	outb(PIC1_DATA, 1 << 2); io_delay();		/* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 2); io_delay();			/* ICW3: slave id 2 */
	outb(PIC1_DATA, ICW4_8086); io_delay();
	outb(PIC2_DATA, ICW4_8086); io_delay();
	outb(PIC1_DATA, 0xff);				/* mask everything */
	outb(PIC2_DATA, 0xff);
}
