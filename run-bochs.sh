#!/usr/bin/env bash
# run-bochs.sh - build Switchyard if needed and boot it in Bochs.
#
# Why: Bochs 2.7 models CPUs that QEMU's TCG cannot (`cpu: model=tigerlake`
# has XSAVEC, XSAVES, PCID, INVPCID and AVX-512), so the FPU and TLB code
# paths that depend on them run natively here.  Bochs wants a configuration
# file rather than a command line, and Debian's build has several quirks
# (below); this script writes the bochsrc into a private directory, boots the
# same cached ISO run-qemu.sh would, and turns the serial log into an exit
# status, since Bochs itself has none to give.
#
# The Bochs quirks handled here (see docs in /usr/share/doc/bochs):
#  - Debian's bochs is built with the internal debugger, which stops before
#    the first instruction and after any CPU reset.  `-rc FILE` feeds it "c"
#    (continue) and then "quit", so a run ends at the first stop: the guest's
#    shutdown request, or the reset that follows a triple fault.
#  - There is no "nogui" display library; rfb (a VNC server) with
#    timeout=0 does not wait for a client, so it runs headless.  rfb can only
#    show 8-bit palettized graphics, and it offers the guest nothing else:
#    that is why scripts/mkiso.sh forbids GRUB's fallback to such a mode
#    (the kernel gets VGA text under Bochs).
#  - Bochs loads its ALSA sound plugin for the PC speaker by default; on a
#    machine without a sound card it aborts with "buffer overflow detected".
#    `speaker: enabled=0` and `sound: driver=dummy` keep it out.
#  - There is no exit status: the kernel prints "machine_exit: code N" and
#    writes "Shutdown" to port 0x8900 (kernel/machine.c), and Bochs stops.
#  - `clock: sync=none` makes emulated time follow the instruction count
#    (cpu: ips=), which keeps runs reproducible; --ips close to the real
#    speed keeps the guest's seconds close to wall-clock seconds.
#
# Run `./run-bochs.sh --help` for the options and exit statuses.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: ./run-bochs.sh [options] [-- extra bochsrc lines]

Builds the kernel if needed (make -s) and boots its ISO in Bochs 2.7, headless.
The serial console (COM1) is shown on this terminal as it is written (output
only: Bochs reads no input here, so the shell cannot be used; pass --append
with ktest=..., utest or poweroff, or --timeout).

options:
  --smp N          number of CPUs, 1..8 (default 1)
  --mem MB         memory in MiB (default 256)
  --cpu MODEL      Bochs CPU model (default tigerlake; `bochs -help cpu`
                   lists them)
  --ips N          emulated instructions per second (default 50000000)
  --append "ARGS"  extra kernel command line, e.g. "ktest=fpu_*" or
                   "poweroff"; builds (and caches) an ISO for it, the same
                   cache as run-qemu.sh (BUILD/iso/<sha1>.iso)
  --headless       accepted for symmetry with run-qemu.sh: always headless
  --timeout S      stop Bochs after S seconds (see exit statuses)
  --log FILE       also write the serial output to FILE
  --bochs-log FILE keep Bochs' own log (CPU state at a triple fault, panics),
                   and its console output (the debugger's) in FILE.out
  --build DIR      boot DIR/switchyard.elf and do not run make
  -h, --help       this text

Anything after -- is appended to the generated bochsrc, e.g.
  ./run-bochs.sh --append poweroff -- 'cpuid: x2apic=0'

exit status:
  0  the kernel printed "machine_exit: code 0" (tests passed, or poweroff);
     or, with --timeout, time ran out after "switchyard: boot complete" and
     no kernel panic
  1  the kernel reported failed tests (machine_exit: code 1)
  2  the kernel panicked (machine_exit: code 2, or a panic message)
  3  Bochs stopped without "machine_exit": a triple fault (see --bochs-log),
     a Bochs panic, or Bochs failed to start
  4  --timeout ran out before "switchyard: boot complete"
  5  the build or the dependency check failed
  64 bad command-line options

examples:
  ./run-bochs.sh --append poweroff            boot, then power off: 0
  ./run-bochs.sh --smp 2 --append "ktest=fpu_* utest utest_filter=fpu"
  ./run-bochs.sh --timeout 60                 boot log, then stop; 0 if booted
EOF
}

die_usage() {
	echo "run-bochs.sh: $*" >&2
	echo "run-bochs.sh: try --help" >&2
	exit 64
}

say() {
	echo "run-bochs.sh: $*" >&2
}

# ---------------------------------------------------------------- options
start_dir=$PWD
cd "$(dirname "$0")"

smp=1 mem=256 cpu=tigerlake ips=50000000 append="" timeout="" log="" bochs_log=""
build=build run_make=1
extra=()

# Every option takes its value either as the next word or after "=".
while [ $# -gt 0 ]; do
	opt=$1
	value=""
	case $opt in
	--*=*) value=${opt#*=}; opt=${opt%%=*}; has_value=1 ;;
	*) has_value=0 ;;
	esac
	case $opt in
	--smp|--mem|--cpu|--ips|--append|--timeout|--log|--bochs-log|--build)
		if [ "$has_value" -eq 0 ]; then
			[ $# -ge 2 ] || die_usage "$opt needs a value"
			value=$2
			shift
		fi ;;
	esac
	case $opt in
	--smp) smp=$value ;;
	--mem) mem=$value ;;
	--cpu) cpu=$value ;;
	--ips) ips=$value ;;
	--append) append="${append:+$append }$value" ;;
	--headless) ;;
	--timeout) timeout=$value ;;
	--log) log=$value ;;
	--bochs-log) bochs_log=$value ;;
	--build) build=$value; run_make=0 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; extra=("$@"); break ;;
	*) die_usage "unknown option '$1'" ;;
	esac
	shift
done

if ! [[ $smp =~ ^[0-9]+$ ]] || [ "$smp" -lt 1 ] || [ "$smp" -gt 8 ]; then
	die_usage "--smp must be a number from 1 to 8, not '$smp'"
fi
[[ $mem =~ ^[1-9][0-9]*$ ]] || die_usage "--mem must be a number of MiB, not '$mem'"
[[ $ips =~ ^[1-9][0-9]*$ ]] || die_usage "--ips must be a number, not '$ips'"
[[ $cpu =~ ^[a-z0-9_]+$ ]] || die_usage "--cpu must be a Bochs model name, not '$cpu'"
if [ -n "$timeout" ]; then
	[[ $timeout =~ ^[1-9][0-9]*$ ]] || die_usage "--timeout must be whole seconds, not '$timeout'"
fi
# Relative paths mean relative to where the user ran the script.
for var in log bochs_log; do
	case ${!var} in
	""|/*) ;;
	*) printf -v "$var" '%s' "$start_dir/${!var}" ;;
	esac
done
if [ "$run_make" -eq 0 ]; then
	case $build in
	/*) ;;
	*) build=$start_dir/$build ;;
	esac
fi

# ---------------------------------------------------------------- build
command -v bochs >/dev/null || { say "bochs is not installed (apt-get install bochs bochsbios vgabios)"; exit 5; }
scripts/ensure-deps || exit 5
if [ "$run_make" -eq 1 ]; then
	make -s || { say "build failed"; exit 5; }
fi
elf=$build/switchyard.elf
[ -f "$elf" ] || { say "$elf does not exist"; exit 5; }
# The same ISO cache as run-qemu.sh and tests/run.py (scripts/cached-iso.sh).
iso=$(bash scripts/cached-iso.sh "$build" "$append") || { say "mkiso.sh failed"; exit 5; }

# ---------------------------------------------------------------- Bochs
mkdir -p "$build/tmp"
dir=$(mktemp -d "$build/tmp/bochs.XXXXXX")
bochs_pid="" tail_pid=""
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
	[ -z "$bochs_pid" ] || kill "$bochs_pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

serial=$dir/serial.log
blog=$dir/bochs.log
: > "$serial"
cat > "$dir/bochsrc" <<EOF
# generated by run-bochs.sh
megs: $mem
cpu: model=$cpu, count=$smp, ips=$ips
clock: sync=none, time0=local
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path="$iso", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev="$serial"
display_library: rfb, options="timeout=0"
speaker: enabled=0
sound: driver=dummy
log: $blog
panic: action=report
error: action=report
info: action=report
debug: action=ignore
EOF
for line in "${extra[@]}"; do
	printf '%s\n' "$line" >> "$dir/bochsrc"
done
printf 'c\nquit\n' > "$dir/rc"

say "bochs -q -f $dir/bochsrc -rc $dir/rc   (cpu $cpu x$smp, ${mem} MiB, iso $iso)"
# Bochs chats on stdout and stderr (and its debugger echoes every stop); keep
# that in a file and show the serial console instead.
cmd=(bochs -q -f "$dir/bochsrc" -rc "$dir/rc")
if [ -n "$timeout" ]; then
	cmd=(timeout -k 5 "$timeout" "${cmd[@]}")
fi
started=$(date +%s%N)
"${cmd[@]}" < /dev/null > "$dir/bochs.out" 2>&1 &
bochs_pid=$!
tail -n +1 -f --pid="$bochs_pid" "$serial" &
tail_pid=$!
# A kernel panic without panic_exit (no ktest= on the command line) ends in
# halt_forever(), and Bochs would idle on that HLT for good: stop it a few
# seconds after the panic's last line if no "machine_exit" followed.
panic_seen=0
while kill -0 "$bochs_pid" 2>/dev/null; do
	if grep -q -a -e '---\[ end Kernel panic' -e 'nested panic on cpu' "$serial" &&
	   ! grep -q -a 'machine_exit: ' "$serial"; then
		panic_seen=$((panic_seen + 1))
		if [ "$panic_seen" -ge 6 ]; then
			say "the kernel panicked and halted; stopping Bochs"
			kill "$bochs_pid" 2>/dev/null || true
			break
		fi
	fi
	sleep 0.5
done
set +e
wait "$bochs_pid"
status=$?
set -e
bochs_pid=""
wait "$tail_pid" 2>/dev/null || true
tail_pid=""

# How fast Bochs went: where it stopped, its debugger prints the tick count
# ("(0).[N] ADDR: insn" at the shutdown, "Next at t=N" after a reset); one
# tick is one instruction of each CPU (with --smp N the CPUs take turns, so
# the machine ran about N times as many).
ms=$((($(date +%s%N) - started) / 1000000))
ticks=$(grep -a -o -e '^([0-9]*)\.\[[0-9]*\]' -e 'Next at t=[0-9]*' "$dir/bochs.out" |
	tr -dc '0-9()\n' | sed 's/^([0-9]*)//' | sort -n | tail -n 1 || true)
if [ "${ticks:-0}" -gt 0 ] && [ "$ms" -gt 0 ]; then
	say "Bochs ran $ticks ticks in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s: $((ticks / ms / 1000)) million ticks per second"
fi

[ -z "$log" ] || cp "$serial" "$log"
if [ -n "$bochs_log" ]; then
	cp "$blog" "$bochs_log" 2>/dev/null || true
	cp "$dir/bochs.out" "$bochs_log.out" 2>/dev/null || true
fi

serial_has() {
	grep -q -a -F -- "$1" "$serial"
}

# The kernel's own verdict first: the last "machine_exit: code N" line.
code=$(tr -d '\r' < "$serial" | sed -n 's/^machine_exit: code \([0-9]*\)$/\1/p' | tail -n 1)
case $code in
0) exit 0 ;;
1) say "the kernel reported failed tests"; exit 1 ;;
2) say "kernel panic"; exit 2 ;;
"") ;;
*) say "machine_exit with unexpected code $code"; exit 3 ;;
esac
if serial_has "Kernel panic - not syncing"; then
	say "kernel panic"
	exit 2
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	if serial_has "switchyard: boot complete"; then
		say "timed out after ${timeout}s as asked; the kernel had booted"
		exit 0
	fi
	say "timed out after ${timeout}s before \"switchyard: boot complete\""
	exit 4
fi
if grep -q -a 'exception with no resolution' "$blog" 2>/dev/null; then
	say "triple fault: Bochs reset the CPU (rerun with --bochs-log FILE for the CPU state)"
	grep -a -m 1 'exception with no resolution' "$blog" >&2 || true
	exit 3
fi
say "Bochs stopped (status $status) without \"machine_exit\" from the kernel; its last words:"
grep -a -v '^ALSA' "$dir/bochs.out" | tail -n 8 >&2 || true
exit 3
