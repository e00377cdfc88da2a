# Switchyard build.  Everything goes out of tree into build/; `make -j2` is safe
# and a second `make` with nothing changed does nothing (dependency files from -MMD).
#
#   make            kernel ELF + bootable hybrid BIOS/UEFI ISO
#   make run        ./run-qemu.sh (boots to the kernel prompt)
#   make test       host unit tests, KTAP boot matrix, screen and GDB tests
#   make gdb        gdb attached to a ./run-qemu.sh --gdb session
#   make BUG=name   re-introduce a historical bug (see docs/bugs.md); builds into build-bug-name/

BUG      ?=
O        ?= $(if $(BUG),build-bug-$(BUG),build)
CC       := gcc
LD       := ld
OBJCOPY  := objcopy
NM       := nm
PYTHON   := python3

# Quiet by default ("  CC  kernel/main.c"); `make V=1` shows full commands.
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

# Kernel code is freestanding and must never touch SSE/AVX state behind the
# FPU code's back: the only code allowed to use vector registers is fpu/
# (built with its own flags once it exists).
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib \
	-mcmodel=kernel -mno-red-zone -fno-omit-frame-pointer \
	-mno-sse -mno-sse2 -mno-mmx -mno-3dnow -mno-avx -mgeneral-regs-only \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-common -fno-strict-aliasing -fcf-protection=none \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	-I. -I$(O)/gen -MMD -MP
ifneq ($(BUG),)
KCFLAGS += -DBUG_$(shell echo $(BUG) | tr a-z- A-Z_)
endif
KASFLAGS := $(filter-out -std=gnu11 -Wmissing-prototypes,$(KCFLAGS)) -D__ASSEMBLY__
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld

KSRC := $(wildcard boot/*.S kernel/*.S kernel/*.c mm/*.c mm/*.S sched/*.c sched/*.S fpu/*.c)
KOBJ := $(patsubst %,$(O)/%.o,$(basename $(KSRC)))
KOBJ += $(O)/gen/font.o

all: $(O)/switchyard.iso

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(O)/%.o: %.S
	@mkdir -p $(dir $@)
	$(quiet) AS $<
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# The console font: Debian's 8x16 VGA PSF font (console-setup-linux), turned
# into a C array at build time so the kernel needs no file system to draw text.
FONT_PSF ?= /usr/share/consolefonts/Lat15-VGA16.psf.gz
$(O)/gen/font.c: scripts/psf2c.py $(FONT_PSF)
	@mkdir -p $(dir $@)
	$(quiet) FONT $@
	$(Q)$(PYTHON) scripts/psf2c.py $(FONT_PSF) $@
$(O)/gen/%.o: $(O)/gen/%.c
	$(quiet) CC $<
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@
$(O)/gen/%.o: $(O)/gen/%.S
	$(quiet) AS $<
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# Two-pass link for the symbolized backtrace.  Pass 1 links with an empty
# symbol table; its text symbols go into ksyms.S; pass 2 links that in.  The
# table sits after .text, so adding it cannot move a text symbol; the final
# cmp proves it (a mismatch would mean backtraces name the wrong function).
$(O)/gen/ksyms-empty.S: scripts/gen-ksyms.sh
	@mkdir -p $(dir $@)
	$(Q)sh scripts/gen-ksyms.sh /dev/null > $@
$(O)/kernel.pass1: $(KOBJ) $(O)/gen/ksyms-empty.o linker.ld
	$(quiet) LD $@
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJ) $(O)/gen/ksyms-empty.o
$(O)/gen/ksyms.S: $(O)/kernel.pass1 scripts/gen-ksyms.sh
	$(quiet) KSYMS $@
	$(Q)$(NM) -n --defined-only $< | sh scripts/gen-ksyms.sh - > $@
$(O)/switchyard.elf: $(KOBJ) $(O)/gen/ksyms.o linker.ld
	$(quiet) LD $@
	$(Q)$(LD) $(KLDFLAGS) -o $@.tmp $(KOBJ) $(O)/gen/ksyms.o
	$(Q)$(NM) -n --defined-only $@.tmp | sh scripts/gen-ksyms.sh - | cmp -s - $(O)/gen/ksyms.S \
		|| { echo "ksyms: text moved between link passes" >&2; exit 1; }
	$(Q)grub-file --is-x86-multiboot2 $@.tmp || { echo "not a multiboot2 kernel" >&2; exit 1; }
	$(Q)mv $@.tmp $@
	$(Q)$(NM) -n $@ > $(O)/switchyard.sym

# The default ISO boots with an empty extra command line; run-qemu.sh and the
# test harness build their own (cached) ISOs for other command lines.
$(O)/switchyard.iso: $(O)/switchyard.elf scripts/mkiso.sh $(O)/initrd.cpio
	$(quiet) ISO $@
	$(Q)sh scripts/mkiso.sh $(O)/switchyard.elf "" $@ $(O)/initrd.cpio

# ---------------------------------------------------------------- user space
# Ring-3 programs (docs/userland.md): ordinary static Linux programs built
# with musl.  user/NAME.c -> $(O)/user/bin/NAME, user/tests/NAME.c ->
# $(O)/user/tests/NAME; $(O)/user is laid out like the initrd, which
# scripts/mkinitrd.sh stages into $(O)/initrd/ and archives (cpio, newc) as
# $(O)/initrd.cpio, the multiboot2 module GRUB loads next to the kernel.
MUSLCC     := musl-gcc
UCFLAGS    := -static -O2 -Wall -Werror
USER_PROGS := $(patsubst user/%.c,$(O)/user/bin/%,$(wildcard user/*.c))
USER_TESTS := $(patsubst user/tests/%.c,$(O)/user/tests/%,$(wildcard user/tests/*.c))
USER_BENCH := $(patsubst user/bench/%.c,$(O)/user/bench/%,$(wildcard user/bench/*.c))
USER_FILES := $(USER_PROGS) $(USER_TESTS) $(USER_BENCH) $(O)/user/bin/notelf \
	      $(O)/user/bin/badelf

$(O)/user/bin/%: user/%.c
	@mkdir -p $(dir $@)
	$(quiet) MUSLCC $@
	$(Q)$(MUSLCC) $(UCFLAGS) -o $@ $<
$(O)/user/tests/%: user/tests/%.c $(wildcard user/tests/*.h)
	@mkdir -p $(dir $@)
	$(quiet) MUSLCC $@
	$(Q)$(MUSLCC) $(UCFLAGS) -o $@ $<
# Benchmarks (docs/performance.md): user/bench/NAME.c -> /bench/NAME.
$(O)/user/bench/%: user/bench/%.c user/bench/bench.h
	@mkdir -p $(dir $@)
	$(quiet) MUSLCC $@
	$(Q)$(MUSLCC) $(UCFLAGS) -o $@ $<
# Malformed executables for usertests' execve_malformed (scripts/mkbadelf.py
# says which), made from a good one.
$(O)/user/bin/badelf: $(O)/user/bin/hello scripts/mkbadelf.py
	$(Q)rm -rf $@ && $(PYTHON) scripts/mkbadelf.py $< $@
# An executable that is not an ELF file, for execve's ENOEXEC.
$(O)/user/bin/notelf:
	@mkdir -p $(dir $@)
	$(Q)printf 'this file is executable but not a program\n' > $@ && chmod 755 $@

# Files left over from a deleted program must not reach the initrd.
$(O)/initrd.cpio: $(USER_FILES) scripts/mkinitrd.sh
	$(quiet) INITRD $@
	$(Q)for f in $(O)/user/bin/* $(O)/user/tests/* $(O)/user/bench/*; do \
		case " $(USER_FILES) " in *" $$f "*) ;; *) rm -f "$$f" ;; esac; done
	$(Q)sh scripts/mkinitrd.sh $(O) $(O)/user

user: $(O)/initrd.cpio

# The same test programs, run natively on this Linux host by init in utest
# mode (they must pass on Linux too), and the system calls they make
# compared with the ones Switchyard implements (needs strace; else a skip).
$(O)/unit/test_user_native $(O)/unit/test_user_syscalls: tests/user.py
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec $(PYTHON) %s %s %s\n' "$(CURDIR)/tests/user.py" \
		$(patsubst test_user_%,%,$(notdir $@)) "$(abspath $(O))" > $@ && chmod +x $@
unit: $(O)/unit/test_user_native $(O)/unit/test_user_syscalls $(O)/initrd.cpio

user-host-test: $(O)/initrd.cpio
	$(PYTHON) tests/user.py native $(O)

# ---------------------------------------------------------------- host side
HOSTCC     := gcc
HOSTCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-I. -Itests/unit -DHOST_TEST
UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/unit/%,$(wildcard tests/unit/test_*.c))

# Each host test links its test file with the pure kernel sources it tests.
UNIT_SRCS_test_multiboot2 := kernel/multiboot2.c
UNIT_SRCS_test_buddy      := mm/buddy.c tests/unit/host_shim.c
UNIT_SRCS_test_slab       := mm/slab.c tests/unit/host_shim.c
UNIT_SRCS_test_vma        := mm/vma.c tests/unit/host_shim.c
UNIT_SRCS_test_acpi       := kernel/acpi_tables.c tests/unit/host_shim.c
UNIT_SRCS_test_fair       := sched/fair.c tests/unit/host_shim.c
UNIT_SRCS_test_elf        := kernel/elf.c
UNIT_SRCS_test_exec_stack := kernel/exec_stack.c
UNIT_SRCS_test_xstate     := fpu/xstate_layout.c
UNIT_SRCS_test_asid       := mm/asid.c tests/unit/host_shim.c
UNIT_SRCS_test_tlb_model  := mm/tlb_model.c mm/asid.c tests/unit/host_shim.c

define unit_test_rule
$(O)/unit/$(1): tests/unit/$(1).c $(UNIT_SRCS_$(1)) $(wildcard tests/unit/*.h kernel/*.h mm/*.h sched/*.h fpu/*.h)
	@mkdir -p $$(dir $$@)
	$$(quiet) HOSTCC $$@
	$$(Q)$$(HOSTCC) $$(HOSTCFLAGS) -o $$@ tests/unit/$(1).c $(UNIT_SRCS_$(1))
endef
$(foreach t,$(filter-out test_vsnprintf,$(notdir $(basename $(wildcard tests/unit/test_*.c)))),\
	$(eval $(call unit_test_rule,$(t))))

# vsnprintf is compared with the host's printf, so its symbols are renamed.
$(O)/unit/test_vsnprintf: tests/unit/test_vsnprintf.c kernel/vsnprintf.c tests/unit/unit.h
	@mkdir -p $(dir $@) $(O)/unit-obj
	$(quiet) HOSTCC $@
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -Wno-format -Dvsnprintf=kvsnprintf -Dsnprintf=ksnprintf \
		-c kernel/vsnprintf.c -o $(O)/unit-obj/vsnprintf.o
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -Wno-format -Wno-format-truncation -o $@ tests/unit/test_vsnprintf.c $(O)/unit-obj/vsnprintf.o
$(O)/unit/test_ktap: tests/unit/test_ktap.py
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\nexec $(PYTHON) %s\n' "$(CURDIR)/tests/unit/test_ktap.py" > $@ && chmod +x $@

unit: $(UNIT_TESTS) $(O)/unit/test_ktap

# ---------------------------------------------------------------- commands
run: all
	./run-qemu.sh

gdb:
	scripts/gdb-attach.sh

test: all unit
	$(PYTHON) tests/run.py --build $(O)

test-bugs: all
	$(PYTHON) tests/test_bugs.py

# The FPU and TLB tests in Bochs (tigerlake: PCID, INVPCID, AVX-512), which
# QEMU's TCG cannot model (tests/bochs.py); `make test` runs this stage too.
test-bochs: all
	$(PYTHON) tests/run.py --build $(O) --only bochs

# libFuzzer on the host parsers (tests/fuzz/run.py: FUZZ_SECONDS each, default
# 60) and the ring-3 suites in a loop with a leak check (SOAK_MINUTES, default 4).
fuzz:
	$(PYTHON) tests/fuzz/run.py --build $(O)

soak: all
	$(PYTHON) tests/soak.py --build $(O)

# Instruction counts of the kernel's paths in QEMU (-icount) and Bochs, one
# column per configuration (tests/bench.py, docs/performance.md): writes
# $(O)/bench/results.json and results.md and prints the table.
bench: all
	$(PYTHON) tests/bench.py --build $(O)

deps:
	scripts/ensure-deps

clean:
	rm -rf build build-bug-*

.PHONY: all run gdb test test-bugs test-bochs unit deps clean user user-host-test fuzz soak bench
.SUFFIXES:
.DELETE_ON_ERROR:
-include $(KOBJ:.o=.d)
