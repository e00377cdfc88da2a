#!/usr/bin/env bash
# run-qemu.sh - build Switchyard if needed and boot it in QEMU.
#
# Why: the QEMU command line for this kernel has several parts that are easy
# to get wrong (the isa-debug-exit device the kernel uses to stop the machine,
# -no-reboot so a triple fault stops instead of looping, a private copy of
# the OVMF variable store for UEFI, a free port for the GDB stub).  This
# script puts them together, prints the command it runs, and turns QEMU's exit
# status back into the kernel's exit code.
#
# Run `./run-qemu.sh --help` for the options and exit statuses.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: ./run-qemu.sh [options] [-- extra QEMU arguments]

Builds the kernel if needed (make -s) and boots build/switchyard.iso in QEMU.
The serial console (COM1) is on this terminal; with $DISPLAY set a window
shows the screen too.  Type Ctrl-A x to quit QEMU, Ctrl-A c for its monitor.
The ISO carries the initrd (build/initrd.cpio: /bin/init, /bin/sh, /tests/...);
see docs/userland.md.

options:
  --uefi           boot with OVMF (UEFI, q35 machine) instead of SeaBIOS
  --smp N          number of CPUs, 1..8 (default 1)
  --mem SIZE       memory, e.g. 256M or 1G (default 256M)
  --append "ARGS"  extra kernel command line, e.g. "ktest=all" or "poweroff";
                   builds (and caches) an ISO for that command line
  --gdb            start frozen at the reset vector with a GDB stub on a free
                   port; prints the port and writes it to build/gdb-port, so
                   `make gdb` in another terminal attaches
  --headless       no window even if $DISPLAY is set
  --timeout S      stop QEMU after S seconds (see exit statuses)
  --log FILE       also write the serial output to FILE
  --build DIR      boot DIR/switchyard.elf and do not run make (for builds
                   made some other way, e.g. make BUG=name)
  --run "CMD ARGS" run this command in user space instead of the shell, then
                   power off; repeat for several (one after another).  They
                   go into /etc/run in a temporary copy of the initrd; init
                   prints "run: CMD ARGS: exit status N" after each, and
                   run-qemu.sh exits with the last command's status
  --add FILE       put FILE (a static x86-64 Linux program, e.g. made with
                   musl-gcc -static) into /bin/ of that temporary initrd;
                   repeatable; run it with --run "/bin/NAME ARGS" or from
                   the shell
  -h, --help       this text

exit status:
  0  the kernel exited with success (ktest=... all passed, or poweroff); or,
     with --timeout, time ran out after the serial console showed
     "switchyard: boot complete" and no kernel panic
  1  the kernel exited reporting failed tests
  2  the kernel panicked (or printed a panic before --timeout ran out)
  3  QEMU stopped without an exit code from the kernel: a triple fault or a
     reboot (QEMU runs with -no-reboot, so a reset stops it), you quit QEMU
     or closed the window, or QEMU itself failed
  4  --timeout ran out before "switchyard: boot complete"
  5  the build or the dependency check failed
  64 bad command-line options
  with --run: the last command's exit status N, or 128+S if signal S killed
  it (like a shell), once every command has reported and the kernel did not
  panic; otherwise one of the statuses above (never 0)

examples:
  ./run-qemu.sh                               boot to the user shell ($ prompt)
  ./run-qemu.sh --uefi --smp 4 --mem 1G
  ./run-qemu.sh --headless --timeout 60       boot log, then stop; 0 if booted
  ./run-qemu.sh --append ktest=all            run the in-kernel tests (KTAP)
  ./run-qemu.sh --gdb                         then `make gdb`; see docs/debugging.md
  ./run-qemu.sh --run "/bin/exitcode 3"       exits with 3
  musl-gcc -static -o a.out prog.c && ./run-qemu.sh --add a.out --run "/bin/a.out x"
EOF
}

die_usage() {
	echo "run-qemu.sh: $*" >&2
	echo "run-qemu.sh: try --help" >&2
	exit 64
}

say() {
	echo "run-qemu.sh: $*" >&2
}

# ---------------------------------------------------------------- options
start_dir=$PWD
cd "$(dirname "$0")"

uefi=0 smp=1 mem=256M append="" gdb=0 headless=0 timeout="" log="" build=build
run_make=1
extra=()
runs=()		# --run commands, in order
adds=()		# --add files

# Every option takes its value either as the next word or after "=".
while [ $# -gt 0 ]; do
	opt=$1
	value=""
	case $opt in
	--*=*) value=${opt#*=}; opt=${opt%%=*}; has_value=1 ;;
	*) has_value=0 ;;
	esac
	case $opt in
	--smp|--mem|--append|--timeout|--log|--build|--run|--add)
		if [ "$has_value" -eq 0 ]; then
			[ $# -ge 2 ] || die_usage "$opt needs a value"
			value=$2
			shift
		fi ;;
	esac
	case $opt in
	--uefi) uefi=1 ;;
	--smp) smp=$value ;;
	--mem) mem=$value ;;
	--append) append="${append:+$append }$value" ;;
	--gdb) gdb=1 ;;
	--headless) headless=1 ;;
	--timeout) timeout=$value ;;
	--log) log=$value ;;
	--build) build=$value; run_make=0 ;;
	--run)
		case $value in
		*"
"*) die_usage "--run takes one command line, without newlines" ;;
		esac
		[ -n "${value// /}" ] || die_usage "--run needs a command"
		runs+=("$value") ;;
	--add) adds+=("$value") ;;
	-h|--help) usage; exit 0 ;;
	--) shift; extra=("$@"); break ;;
	*) die_usage "unknown option '$1'" ;;
	esac
	shift
done

if ! [[ $smp =~ ^[0-9]+$ ]] || [ "$smp" -lt 1 ] || [ "$smp" -gt 8 ]; then
	die_usage "--smp must be a number from 1 to 8, not '$smp'"
fi
[[ $mem =~ ^[1-9][0-9]*[MG]?$ ]] ||
	die_usage "--mem must look like 256M or 1G, not '$mem'"
if [ -n "$timeout" ]; then
	[[ $timeout =~ ^[1-9][0-9]*$ ]] || die_usage "--timeout must be whole seconds, not '$timeout'"
fi
# Relative --log and --build paths mean relative to where the user ran the
# script (it works from the repository root from here on).
case $log in
""|/*) ;;
*) log=$start_dir/$log ;;
esac
if [ "$run_make" -eq 0 ]; then
	case $build in
	/*) ;;
	*) build=$start_dir/$build ;;
	esac
fi
for i in "${!adds[@]}"; do
	case ${adds[$i]} in
	/*) ;;
	*) adds[$i]=$start_dir/${adds[$i]} ;;
	esac
	file=${adds[$i]}
	[ -f "$file" ] || die_usage "--add: $file is not a file"
	if [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" != '177ELF' ]; then
		die_usage "--add: $file is not an ELF program"
	fi
	if readelf -lW "$file" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		die_usage "--add: $file is dynamically linked; Switchyard runs static programs (musl-gcc -static -o NAME NAME.c)"
	fi
done

# ---------------------------------------------------------------- build
scripts/ensure-deps || exit 5
if [ "$run_make" -eq 1 ]; then
	make -s || { say "build failed"; exit 5; }
fi
elf=$build/switchyard.elf
[ -f "$elf" ] || { say "$elf does not exist"; exit 5; }

# The user programs: the ISO carries $build/initrd.cpio when the build made
# one (scripts/cached-iso.sh, the cache tests/run.py and run-bochs.sh share).

tmp=$build/tmp
mkdir -p "$tmp"
rundir=""

# The ISO's GRUB entry carries the kernel command line, so another command
# line needs another ISO.  Cache them by a hash of the command line and
# rebuild when the kernel, the initrd (or the ISO script) is newer than the
# cached ISO.  --run and --add get a one-off ISO with a changed initrd.
if [ ${#runs[@]} -gt 0 ] || [ ${#adds[@]} -gt 0 ]; then
	[ -d "$build/initrd" ] || { say "$build/initrd does not exist (the initrd is built by make)"; exit 5; }
	rundir=$(mktemp -d "$tmp/run.XXXXXX")
	trap 'rm -rf "$rundir"' EXIT		# until the full cleanup below
	overlay=$rundir/overlay
	mkdir -p "$overlay/bin" "$overlay/etc"
	for file in "${adds[@]}"; do
		cp "$file" "$overlay/bin/"
		chmod 755 "$overlay/bin/$(basename "$file")"
	done
	if [ ${#runs[@]} -gt 0 ]; then
		printf '%s\n' "${runs[@]}" > "$overlay/etc/run"
		# The result lines need the serial output, even without --log.
		[ -n "$log" ] || log=$rundir/serial.log
	fi
	sh scripts/mkinitrd.sh "$rundir" "$build/initrd" "$overlay" || { say "mkinitrd.sh failed"; exit 5; }
	iso=$rundir/run.iso
	sh scripts/mkiso.sh "$elf" "$append" "$iso" "$rundir/initrd.cpio" || { say "mkiso.sh failed"; exit 5; }
elif [ -z "$append" ] && [ -f "$build/switchyard.iso" ] && [ "$run_make" -eq 1 ]; then
	iso=$build/switchyard.iso
else
	iso=$(bash scripts/cached-iso.sh "$build" "$append") || { say "mkiso.sh failed"; exit 5; }
fi

# ---------------------------------------------------------------- QEMU
vars="" errfile="$tmp/qemu-stderr.$$" tmplog="" port="" saved_tty=""
[ -t 0 ] && saved_tty=$(stty -g)

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	rm -f "$errfile" ${vars:+"$vars"} ${tmplog:+"$tmplog"}
	[ -z "$rundir" ] || rm -rf "$rundir"
	# Only remove the port file if it is still ours (another run may own it).
	if [ -n "$port" ] && [ "$(cat "$build/gdb-port" 2>/dev/null)" = "$port" ]; then
		rm -f "$build/gdb-port"
	fi
	# QEMU puts the terminal in raw mode; if it was killed it cannot undo that.
	if [ -n "$saved_tty" ]; then
		stty "$saved_tty" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2054  # the commas belong to QEMU's option syntax
qemu=(qemu-system-x86_64 -cpu max -m "$mem" -smp "$smp" -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	-cdrom "$iso" -serial mon:stdio)

if [ "$uefi" -eq 1 ]; then
	# OVMF stores its settings in the VARS image, so every run gets a fresh
	# private copy; the shared file under /usr/share must never be written.
	vars=$tmp/ovmf-vars.$$.fd
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vars"
	# shellcheck disable=SC2054
	qemu+=(-machine q35
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
		-drive "if=pflash,format=raw,file=$vars")
fi

# A window needs a display server and a QEMU built with a GUI (Debian puts
# the GTK and SDL front ends in the separate qemu-system-gui package).
# Without either, QEMU would quietly start a VNC server instead.
if [ "$headless" -eq 1 ] || [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
	qemu+=(-display none)
else
	displays=$(qemu-system-x86_64 -display help 2>/dev/null || true)
	if grep -qx gtk <<<"$displays"; then
		qemu+=(-display gtk)
	elif grep -qx sdl <<<"$displays"; then
		qemu+=(-display sdl)
	else
		say "no window: this QEMU has no GTK or SDL display (Debian: apt-get install qemu-system-gui)"
		qemu+=(-display none)
	fi
fi

if [ "$gdb" -eq 1 ]; then
	# Ask the kernel for a free port (bind to port 0), then hand it to QEMU.
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	echo "$port" > "$build/gdb-port"
	qemu+=(-S -gdb "tcp:127.0.0.1:$port")
	say "QEMU is frozen at the reset vector, GDB stub on localhost:$port"
	say "in another terminal run:  make gdb   (or: scripts/gdb-attach.sh)"
fi

qemu+=("${extra[@]}")
say "${qemu[*]}"

# QEMU's own messages go to the terminal and to $errfile, so that an error
# exit (status 1, the same as the kernel's "success") can be told apart.
exec 3> >(tee "$errfile" >&2)
errpid=$!

set +e
if [ -n "$timeout" ] || [ -n "$log" ]; then
	if [ -z "$log" ]; then
		tmplog=$tmp/serial.$$.log
		log=$tmplog
	fi
	if [ -n "$timeout" ]; then
		# --foreground: QEMU may read the terminal (mon:stdio);
		# -k: SIGKILL if it ignores SIGTERM for 5 more seconds.
		timeout --foreground -k 5 "$timeout" "${qemu[@]}" 2>&3 | tee "$log"
	else
		"${qemu[@]}" 2>&3 | tee "$log"
	fi
	status=${PIPESTATUS[0]}
else
	"${qemu[@]}" 2>&3
	status=$?
fi
set -e
exec 3>&-
wait "$errpid" 2>/dev/null || true

serial_has() {
	[ -n "$log" ] && grep -q -a -F -- "$1" "$log"
}

# What QEMU's exit status (and the serial log) say about the kernel: prints
# the explanation and returns run-qemu.sh's exit status for it.
verdict() {
	case $status in
	1)
		if grep -a '^qemu-system-x86_64: ' "$errfile" |
			grep -q -i -v -e 'warning' -e 'terminating on signal'; then
			say "QEMU failed (see its message above)"
			return 3
		fi
		return 0 ;;
	3)
		[ ${#runs[@]} -gt 0 ] || say "the kernel reported failed tests"
		return 1 ;;
	5)
		say "kernel panic"
		return 2 ;;
	0)
		say "QEMU stopped without an exit code from the kernel:"
		say "a reboot or triple fault (QEMU runs with -no-reboot), or QEMU was quit by hand"
		say "(Ctrl-A x, the window, or GDB's kill)"
		say "for the CPU state at the fault, add:  -- -d int,cpu_reset -D build/qemu.log"
		return 3 ;;
	124|137)
		if serial_has "Kernel panic - not syncing"; then
			say "timed out after ${timeout}s; the kernel panicked"
			return 2
		fi
		if serial_has "switchyard: boot complete"; then
			say "timed out after ${timeout}s as asked; the kernel had booted"
			return 0
		fi
		say "timed out after ${timeout}s before \"switchyard: boot complete\""
		return 4 ;;
	*)
		say "QEMU exited with unexpected status $status"
		return 3 ;;
	esac
}

set +e
verdict
code=$?
set -e
[ ${#runs[@]} -gt 0 ] || exit $code

# --run: init printed "run: CMD: exit status N" (or "killed by signal S")
# after each command; the last one is the answer, if all of them finished.
results=$(tr -d '\r' < "$log" | grep -a -E '^run: .*: (exit status|killed by signal) [0-9]+$' || true)
count=0
[ -z "$results" ] || count=$(printf '%s\n' "$results" | wc -l)
if serial_has "Kernel panic - not syncing"; then
	say "--run: the kernel panicked"
	[ "$code" -ne 0 ] || code=2
	exit $code
fi
if [ "$count" -lt ${#runs[@]} ]; then
	say "--run: $count of ${#runs[@]} command(s) reported a result"
	[ "$code" -ne 0 ] || code=3
	exit $code
fi
last=$(printf '%s\n' "$results" | tail -n 1)
case $last in
*"killed by signal "*) sig=${last##* }; say "--run: ${last#run: }"; exit $((128 + sig)) ;;
*) say "--run: ${last#run: }"; exit "${last##* }" ;;
esac
