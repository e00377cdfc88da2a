/*
 * cpufeature.h - which CPU features Switchyard cares about, and how each is
 * provided: by the CPU (native), by the kernel's architectural model
 * (emulated: the instruction traps as #UD and the kernel does its work, the
 * state lives in memory in the architectural layout), or not at all (absent).
 *
 * The boot CPU's CPUID is read once in cpu_features_init(); later issues
 * mark features emulated with set_feature_emulated() when they install a
 * model.  The boot log prints the whole table.
 */
#ifndef KERNEL_CPUFEATURE_H
#define KERNEL_CPUFEATURE_H

#include "kernel/types.h"

enum x86_feature {
	X86_FEATURE_XSAVE,
	X86_FEATURE_XSAVEOPT,
	X86_FEATURE_XSAVEC,
	X86_FEATURE_XSAVES,
	X86_FEATURE_PCID,
	X86_FEATURE_INVPCID,
	X86_FEATURE_LAM,
	X86_FEATURE_UINTR,
	X86_FEATURE_ENQCMD,
	X86_FEATURE_SMEP,
	X86_FEATURE_SMAP,
	X86_FEATURE_UMIP,
	X86_FEATURE_PKU,
	X86_FEATURE_LA57,
	X86_FEATURE_FSGSBASE,
	X86_FEATURE_X2APIC,
	X86_FEATURE_NX,
	X86_FEATURE_PDPE1GB,
	X86_FEATURE_INVARIANT_TSC,
	NR_X86_FEATURES
};

enum feature_state { FEATURE_ABSENT, FEATURE_NATIVE, FEATURE_EMULATED };

void cpu_features_init(void);
void cpu_features_print(void);
bool boot_cpu_has(enum x86_feature f);		/* native only */
enum feature_state cpu_feature_state(enum x86_feature f);
void set_feature_emulated(enum x86_feature f);
const char *cpu_feature_name(enum x86_feature f);
const char *cpu_model_name(void);

#endif
