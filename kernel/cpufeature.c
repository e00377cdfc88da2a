/*
 * cpufeature.c - read the boot CPU's CPUID into the feature table.
 *
 * Each feature is one CPUID bit (Intel SDM Vol. 2A, CPUID, Tables 3-8 and
 * 3-17; the XSAVE bits in leaf 0DH sub-leaf 1).  A leaf is only read if the
 * maximum leaf says it exists: on CPUs without it, CPUID returns the data of
 * the highest basic leaf instead, which would be garbage here.
 */
#include "kernel/cpufeature.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"

struct feature_bit {
	const char *name;
	u32 leaf, subleaf;
	u8 reg;			/* 0 eax, 1 ebx, 2 ecx, 3 edx */
	u8 bit;
};

static const struct feature_bit feature_bits[NR_X86_FEATURES] = {
	[X86_FEATURE_XSAVE]	= { "XSAVE",    0x1,        0, 2, 26 },
	[X86_FEATURE_XSAVEOPT]	= { "XSAVEOPT", 0xd,        1, 0, 0 },
	[X86_FEATURE_XSAVEC]	= { "XSAVEC",   0xd,        1, 0, 1 },
	[X86_FEATURE_XSAVES]	= { "XSAVES",   0xd,        1, 0, 3 },
	[X86_FEATURE_PCID]	= { "PCID",     0x1,        0, 2, 17 },
	[X86_FEATURE_INVPCID]	= { "INVPCID",  0x7,        0, 1, 10 },
	[X86_FEATURE_LAM]	= { "LAM",      0x7,        1, 0, 26 },
	[X86_FEATURE_UINTR]	= { "UINTR",    0x7,        0, 3, 5 },
	[X86_FEATURE_ENQCMD]	= { "ENQCMD",   0x7,        0, 2, 29 },
	[X86_FEATURE_SMEP]	= { "SMEP",     0x7,        0, 1, 7 },
	[X86_FEATURE_SMAP]	= { "SMAP",     0x7,        0, 1, 20 },
	[X86_FEATURE_UMIP]	= { "UMIP",     0x7,        0, 2, 2 },
	[X86_FEATURE_PKU]	= { "PKU",      0x7,        0, 2, 3 },
	[X86_FEATURE_LA57]	= { "LA57",     0x7,        0, 2, 16 },
	[X86_FEATURE_FSGSBASE]	= { "FSGSBASE", 0x7,        0, 1, 0 },
	[X86_FEATURE_X2APIC]	= { "x2APIC",   0x1,        0, 2, 21 },
	[X86_FEATURE_NX]	= { "NX",       0x80000001, 0, 3, 20 },
	[X86_FEATURE_PDPE1GB]	= { "PDPE1GB",  0x80000001, 0, 3, 26 },
	[X86_FEATURE_INVARIANT_TSC] = { "InvariantTSC", 0x80000007, 0, 3, 8 },
};

static enum feature_state state[NR_X86_FEATURES];
static char model_name[49];

static bool leaf_exists(u32 leaf, u32 subleaf)
{
	u32 max = cpuid(leaf & 0x80000000).eax;

	if (leaf > max)
		return false;
	if (leaf == 0x7 && subleaf > 0)		/* CPUID.7.0:EAX = max sub-leaf */
		return subleaf <= cpuid_count(0x7, 0).eax;
	return true;
}

static bool read_bit(const struct feature_bit *f)
{
	struct cpuid_regs r;
	u32 v;

	if (!leaf_exists(f->leaf, f->subleaf))
		return false;
	r = cpuid_count(f->leaf, f->subleaf);
	v = f->reg == 0 ? r.eax : f->reg == 1 ? r.ebx : f->reg == 2 ? r.ecx : r.edx;
	return (v >> f->bit) & 1;
}

void cpu_features_init(void)
{
	for (int i = 0; i < NR_X86_FEATURES; i++)
		state[i] = read_bit(&feature_bits[i]) ? FEATURE_NATIVE : FEATURE_ABSENT;

	/* The XSAVE family is only usable if XSAVE itself is. */
	if (state[X86_FEATURE_XSAVE] == FEATURE_ABSENT)
		state[X86_FEATURE_XSAVEOPT] = state[X86_FEATURE_XSAVEC] =
			state[X86_FEATURE_XSAVES] = FEATURE_ABSENT;

	if (leaf_exists(0x80000004, 0)) {
		for (u32 i = 0; i < 3; i++) {
			struct cpuid_regs r = cpuid(0x80000002 + i);

			memcpy(model_name + 16 * i, &r, 16);
		}
		model_name[48] = '\0';
	} else {
		strlcpy(model_name, "unknown", sizeof(model_name));
	}
}

bool boot_cpu_has(enum x86_feature f)
{
	return f < NR_X86_FEATURES && state[f] == FEATURE_NATIVE;
}

enum feature_state cpu_feature_state(enum x86_feature f)
{
	return f < NR_X86_FEATURES ? state[f] : FEATURE_ABSENT;
}

void set_feature_emulated(enum x86_feature f)
{
	if (f < NR_X86_FEATURES && state[f] == FEATURE_ABSENT)
		state[f] = FEATURE_EMULATED;
}

const char *cpu_feature_name(enum x86_feature f)
{
	return f < NR_X86_FEATURES ? feature_bits[f].name : "?";
}

const char *cpu_model_name(void)
{
	const char *p = model_name;

	while (*p == ' ')		/* Intel pads the brand string on the left */
		p++;
	return p;
}

void cpu_features_print(void)
{
	static const char *const words[] = { "absent", "native", "emulated" };
	char vendor[13];
	struct cpuid_regs r = cpuid(0);

	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	pr_info("cpu: %s \"%s\", family/model/stepping %u/%u/%u\n", vendor,
		cpu_model_name(), (cpuid(1).eax >> 8) & 0xf,
		((cpuid(1).eax >> 4) & 0xf) | ((cpuid(1).eax >> 12) & 0xf0),
		cpuid(1).eax & 0xf);
	pr_info("cpu: feature     state\n");
	for (int i = 0; i < NR_X86_FEATURES; i++)
		pr_info("cpu:   %-12s %s\n", feature_bits[i].name, words[state[i]]);
}
