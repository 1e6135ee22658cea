#!/usr/bin/env bash
# CFI from every kind of binary (docs/formats/elf-dwarf.md#call-frame-information): a static C
# program (gcc -static -O2, floating-point work in libm's cos and sin, like perfparser's
# vector_static_gcc test) recorded with `perf record --call-graph dwarf`, unwound by gcspike
#  - from .eh_frame without .eh_frame_hdr (what gcc -static links);
#  - from .debug_frame for the program's own code (-g -fno-asynchronous-unwind-tables), with
#    .eh_frame for libc and libm;
#  - from that .debug_frame moved to a separate debug file (objcopy --only-keep-debug), found
#    through .gnu_debuglink next to the binary and by build id in a debuginfod-style cache;
#  - from .eh_frame moved to a separate debug file.
# perf's own unwinder reads neither a header-less .eh_frame nor .debug_frame, so each program is
# recorded as linked with --eh-frame-hdr and gcspike gets (--binary) the same file with the
# header removed by objcopy: same build id, same addresses. `perf script` on the same recording
# is the reference, frame by frame (gocheck perf-script-compare); with .debug_frame its stacks
# stop where that CFI is needed, and they must be the first frames of ours. Everywhere >= 95 %
# of the samples must reach main and _start, and the unwind summary must count the CFI source.
# Every run also unwinds each sample both with the CFI-row fast path and with libunwind
# (GCSPIKE_CHECK_CFI_ROWS=1): the stacks must be the same.
source "$(dirname "$0")/lib.sh"

for tool in perf gcc objcopy readelf nm taskset; do
  command -v $tool >/dev/null || fail "$tool is not installed (scripts/setup-deps)"
done
[[ -f /usr/lib/x86_64-linux-gnu/libm.a ]] || fail "no static libm (Debian package libc6-dev)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi

cat >"$WORK/vec.c" <<'C'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) double work(double seed, long n) {
  double acc = 0;
  for (long i = 0; i < n; ++i) acc += cos(seed + (double)i * 1e-3) * sin((double)i * 7e-4);
  return acc;
}
int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  double total = 0;
  for (int r = 0; r < 4; ++r) total += work(r * 0.5, n / 4);
  printf("%f\n", total);
  return 0;
}
C
has_section() { readelf -SW "$1" | grep -q " $2 "; }
build() {  # build DIR CFLAGS...: $DIR/vec
  local dir=$1
  shift
  mkdir -p "$dir"
  gcc -static -O2 "$@" -o "$dir/vec" "$WORK/vec.c" -lm || fail "gcc -static $*"
}
# The program runs on one CPU: perf writes a buffer per CPU, and on a loaded machine the buffer
# holding the exec's MMAP record can reach the file after samples taken on another CPU; gcspike
# unwinds each sample as it reads it (docs/formats/perf-data.md#ordering), so such samples would
# keep their IP alone, whatever their CFI.
record() {  # record DATA BINARY
  taskset -c 0 perf record -q -e cpu-clock -F 999 --call-graph dwarf -o "$1" -- "$2" 40000000 \
    >/dev/null 2>"$WORK/perf.err" || { cat "$WORK/perf.err" >&2; fail "perf record $2"; }
}
annotate() {  # annotate DATA OUT.pb.gz [gcspike flags]: stderr to OUT.err
  local data=$1 out=$2
  shift 2
  GCSPIKE_CHECK_CFI_ROWS=1 "$GCSPIKE" annotate "$data" -o "$out" "$@" 2>"${out%.pb.gz}.err" ||
    { cat "${out%.pb.gz}.err" >&2; fail "annotate $data $*"; }
  # Every sample unwound both ways, by the CFI-row fast path and by libunwind: the same stacks.
  expect_rows_match "${out%.pb.gz}.err"
}
# The share of samples whose stack holds main and ends at _start, from `go tool pprof -traces`.
reach() {
  go tool pprof -traces "$1" 2>/dev/null | python3 -c '
import re, sys
blocks = sys.stdin.read().split("-----------+")[1:]
n = ok = 0
short = {}
for b in blocks:
    names = [l.split()[-1] for l in b.splitlines()[1:]
             if l.strip() and not re.match(r"^\s*[\w.]+:\s", l)]
    n += 1
    if "main" in names and names[-1] == "_start":
        ok += 1
    else:
        short[" ".join(names)] = short.get(" ".join(names), 0) + 1
for stack, count in sorted(short.items(), key=lambda kv: -kv[1])[:5]:
    print(f"  {count} samples end short: {stack}", file=sys.stderr)
print(f"{ok / n:.3f} {ok} {n}" if n else "0 0 0")'
}
# "(frames by CFI source: N via .eh_frame_hdr, M via .eh_frame, K via .debug_frame, J via
# separate debug file)": the count for one source.
frames_via() {  # frames_via ERR SOURCE
  grep -o "[0-9]* via $2[,)]" "$1" | grep -o '^[0-9]*' || echo 0
}
expect_reach() {  # expect_reach PPROF WHAT
  read -r share ok n < <(reach "$1" 2>"$WORK/short.txt")
  echo "$2: $ok of $n samples reach main and _start"
  cat "$WORK/short.txt" >&2
  [[ $n -gt 200 ]] || fail "$2: only $n samples"
  python3 -c "import sys; sys.exit(0 if $share >= 0.95 else 1)" ||
    fail "$2: only $ok of $n samples reach main and _start"
}
expect_counted() {  # expect_counted ERR SOURCE...: each source unwound some frames
  local err=$1
  shift
  for source in "$@"; do
    [[ $(frames_via "$err" "$source") -gt 0 ]] ||
      { cat "$err" >&2; fail "$err: no frames counted via $source"; }
  done
}
# recorded_with_header NAME CFLAGS...: $NAME-rec/vec linked with --eh-frame-hdr, recorded into
# $NAME.data, `perf script` of it in $NAME.script, and $NAME/vec, the same file without header.
recorded_with_header() {
  local name=$1
  shift
  build "$WORK/$name-rec" "$@" -Wl,--eh-frame-hdr
  has_section "$WORK/$name-rec/vec" .eh_frame_hdr || fail "--eh-frame-hdr gave no .eh_frame_hdr"
  mkdir -p "$WORK/$name"
  objcopy --remove-section .eh_frame_hdr "$WORK/$name-rec/vec" "$WORK/$name/vec"
  record "$WORK/$name.data" "$WORK/$name-rec/vec"
  perf script -F comm,pid,tid,time,ip,sym -i "$WORK/$name.data" >"$WORK/$name.script" \
    2>/dev/null || fail "perf script $name.data"
}
# glibc's __libc_start_main is another name of __libc_start_main_impl; perf prints the latter.
compare() {  # compare PPROF SCRIPT WHAT [--perf-prefix]
  "$GOCHECK" perf-script-compare --min-agree=0.95 --alias=__libc_start_main_impl=__libc_start_main \
    "${@:4}" "$1" "$2" >"$WORK/cmp.json" ||
    { cat "$WORK/cmp.json" >&2; fail "$3: gcspike and perf script disagree"; }
  echo "$3 vs perf script: $(cat "$WORK/cmp.json")"
}

# 1. What gcc -static links: .eh_frame, no .eh_frame_hdr (strip one if this toolchain adds it).
build "$WORK/plain"
has_section "$WORK/plain/vec" .eh_frame_hdr &&
  objcopy --remove-section .eh_frame_hdr "$WORK/plain/vec"
! has_section "$WORK/plain/vec" .eh_frame_hdr || fail "plain: .eh_frame_hdr left"
has_section "$WORK/plain/vec" .eh_frame || fail "plain: no .eh_frame"
record "$WORK/plain.data" "$WORK/plain/vec"
annotate "$WORK/plain.data" "$WORK/plain.pb.gz"
expect_reach "$WORK/plain.pb.gz" ".eh_frame without header"
expect_counted "$WORK/plain.err" .eh_frame
[[ $(frames_via "$WORK/plain.err" .eh_frame_hdr) -eq 0 ]] || fail "plain: .eh_frame_hdr counted"
pass

# The symbol perf prints for __libc_start_main's address must be an alias of it.
[[ $(nm "$WORK/plain/vec" |
  awk '$3 == "__libc_start_main" || $3 == "__libc_start_main_impl" {print $1}' |
  sort -u | wc -l) -eq 1 ]] || fail "__libc_start_main and __libc_start_main_impl differ"

# 2. The same, recorded with a header for perf, unwound by gcspike without it.
recorded_with_header eh
annotate "$WORK/eh.data" "$WORK/eh.pb.gz" --binary "$WORK/eh/vec"
expect_reach "$WORK/eh.pb.gz" ".eh_frame without header (--binary)"
# perf stops at PLT stubs without CFI (cos and sin are IFUNCs called through .iplt); gcspike
# takes their return address from SP, so there perf's frames are the first of ours.
compare "$WORK/eh.pb.gz" "$WORK/eh.script" ".eh_frame without header" --perf-prefix
expect_counted "$WORK/eh.err" .eh_frame
[[ $(frames_via "$WORK/eh.err" .eh_frame_hdr) -eq 0 ]] || fail "eh: .eh_frame_hdr counted"
# With the header, the same stacks through .eh_frame_hdr.
annotate "$WORK/eh.data" "$WORK/eh-hdr.pb.gz" --binary "$WORK/eh-rec/vec"
compare "$WORK/eh-hdr.pb.gz" "$WORK/eh.script" ".eh_frame_hdr" --perf-prefix
"$GOCHECK" pprof-compare "$WORK/eh.pb.gz" "$WORK/eh-hdr.pb.gz" >/dev/null ||
  fail "the header-less .eh_frame gives other stacks than .eh_frame_hdr"
expect_counted "$WORK/eh-hdr.err" .eh_frame_hdr
pass

# 3. The program's own CFI in .debug_frame only; libc's and libm's in .eh_frame.
recorded_with_header df -g -fno-asynchronous-unwind-tables
has_section "$WORK/df/vec" .debug_frame ||
  fail "-g -fno-asynchronous-unwind-tables: no .debug_frame"
annotate "$WORK/df.data" "$WORK/df.pb.gz" --binary "$WORK/df/vec"
expect_reach "$WORK/df.pb.gz" ".debug_frame + .eh_frame"
compare "$WORK/df.pb.gz" "$WORK/df.script" ".debug_frame + .eh_frame" --perf-prefix
expect_counted "$WORK/df.err" .debug_frame .eh_frame
pass

# 4. That .debug_frame in a separate debug file, named by .gnu_debuglink (next to the binary).
mkdir -p "$WORK/split"
objcopy --only-keep-debug "$WORK/df/vec" "$WORK/split/vec.debug"
objcopy --strip-debug --add-gnu-debuglink="$WORK/split/vec.debug" "$WORK/df/vec" "$WORK/split/vec"
! has_section "$WORK/split/vec" .debug_frame || fail "split: .debug_frame left in the binary"
has_section "$WORK/split/vec" .gnu_debuglink || fail "split: no .gnu_debuglink"
annotate "$WORK/df.data" "$WORK/split.pb.gz" --binary "$WORK/split/vec"
expect_reach "$WORK/split.pb.gz" "separate debug file (.gnu_debuglink)"
compare "$WORK/split.pb.gz" "$WORK/df.script" "separate debug file" --perf-prefix
expect_counted "$WORK/split.err" "separate debug file"
pass

# 5. The same binary alone: without its debug file the unwind stops in the program's code; with
# the file in a debuginfod cache by build id, it is found there.
mkdir -p "$WORK/alone" "$WORK/dcache"
cp "$WORK/split/vec" "$WORK/alone/vec"
DEBUGINFOD_CACHE_PATH="$WORK/dcache" annotate "$WORK/df.data" "$WORK/alone.pb.gz" \
  --binary "$WORK/alone/vec"
read -r share ok n < <(reach "$WORK/alone.pb.gz" 2>/dev/null)
echo "without the debug file: $ok of $n samples reach main and _start"
python3 -c "import sys; sys.exit(0 if $share < 0.5 else 1)" ||
  fail "alone: $ok of $n samples reach main without the debug file"
build_id=$(readelf -n "$WORK/alone/vec" | awk '/Build ID/ {print $3}')
[[ -n $build_id ]] || fail "the binary has no GNU build id"
mkdir -p "$WORK/dcache/$build_id"
cp "$WORK/split/vec.debug" "$WORK/dcache/$build_id/debuginfo"
DEBUGINFOD_CACHE_PATH="$WORK/dcache" annotate "$WORK/df.data" "$WORK/cache.pb.gz" \
  --binary "$WORK/alone/vec"
expect_reach "$WORK/cache.pb.gz" "separate debug file (debuginfod cache)"
"$GOCHECK" pprof-compare "$WORK/split.pb.gz" "$WORK/cache.pb.gz" >/dev/null ||
  fail "debuginfod cache: a profile other than with .gnu_debuglink"
pass

# 6. .eh_frame itself moved to the debug file (a PROGBITS copy at its address; objcopy warns that
# it lies in no segment): its FDEs are read from that file, the binary's bytes there are gone.
mkdir -p "$WORK/ehsplit"
objcopy --dump-section .eh_frame="$WORK/eh.bin" "$WORK/eh/vec" "$WORK/ehsplit/scratch"
eh_addr=0x$(readelf -SW "$WORK/eh/vec" | awk '$2 == ".eh_frame" {print $4}')
objcopy --only-keep-debug --remove-section .eh_frame "$WORK/eh/vec" "$WORK/ehsplit/kept.debug"
objcopy --add-section .eh_frame="$WORK/eh.bin" --set-section-flags .eh_frame=alloc,readonly,data \
  --change-section-address .eh_frame="$eh_addr" "$WORK/ehsplit/kept.debug" \
  "$WORK/ehsplit/vec.debug" 2>/dev/null || fail "objcopy --add-section .eh_frame"
objcopy --remove-section .eh_frame --add-gnu-debuglink="$WORK/ehsplit/vec.debug" \
  "$WORK/eh/vec" "$WORK/ehsplit/vec" 2>/dev/null || fail "objcopy --remove-section .eh_frame"
! has_section "$WORK/ehsplit/vec" .eh_frame || fail "ehsplit: .eh_frame left in the binary"
annotate "$WORK/eh.data" "$WORK/ehsplit.pb.gz" --binary "$WORK/ehsplit/vec"
expect_reach "$WORK/ehsplit.pb.gz" ".eh_frame in the separate debug file"
expect_counted "$WORK/ehsplit.err" "separate debug file"
"$GOCHECK" pprof-compare "$WORK/eh.pb.gz" "$WORK/ehsplit.pb.gz" >/dev/null ||
  fail ".eh_frame from the debug file gives other stacks than from the binary"
pass

finish
