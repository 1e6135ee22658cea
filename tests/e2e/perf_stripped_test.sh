#!/usr/bin/env bash
# perf.data of a stripped Go binary (go build -ldflags='-s -w': no .symtab, no DWARF): function
# names and file:line must come from .gopclntab. Judged three ways: every location's name and
# file:line equal what `go tool addr2line` (Go's own pclntab reader) says for that address in
# the stripped binary (the line for address or address-1: caller frames are return addresses,
# which the perf reader symbolizes at the call instruction, as perf does);
# the user functions that carry >= 5 % of an unstripped recording of the same workload also
# carry >= 2.5 % of the stripped one; and `gcspike report` still calls grow-spike a spike.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi

(cd "$SOURCE_DIR/fixtures/src" && go build -ldflags='-s -w' -o "$WORK/wl-stripped" ./workload &&
  go build -o "$WORK/wl" ./workload) || fail "go build workload"
readelf -S "$WORK/wl-stripped" | grep -q '\.gopclntab' || fail "stripped binary has no .gopclntab"
! readelf -S "$WORK/wl-stripped" | grep -Eq '\.symtab|\.debug_info' ||
  fail "the -s -w binary still has .symtab or DWARF: the test would not exercise .gopclntab"
pass

record() {  # record BINARY OUT
  perf record -q -e cpu-clock -F 499 -g -o "$2" -- "$1" -mode grow -duration 1s \
    >/dev/null 2>"$WORK/perf.err" || { cat "$WORK/perf.err" >&2; fail "perf record $1"; }
}
record "$WORK/wl-stripped" "$WORK/s.data"
record "$WORK/wl" "$WORK/u.data"
expect_exit 0 "$GCSPIKE" annotate "$WORK/s.data" -o "$WORK/s.pb.gz"
expect_exit 0 "$GCSPIKE" annotate "$WORK/u.data" -o "$WORK/u.pb.gz"

go tool pprof -top -cum -nodecount=1000 "$WORK/s.pb.gz" 2>/dev/null >"$WORK/s.top"
go tool pprof -top -cum -nodecount=1000 "$WORK/u.pb.gz" 2>/dev/null >"$WORK/u.top"
for fn in main.dedupGrowing runtime.mapassign_faststr runtime.mallocgc; do
  grep -Eq " $fn\$" "$WORK/s.top" ||
    { cat "$WORK/s.top" >&2; fail "no $fn in the stripped profile"; }
done
go tool pprof -traces "$WORK/s.pb.gz" 2>/dev/null | grep -q 'main\.dedupGrowing' ||
  fail "no main.dedupGrowing in pprof -traces"
pass

# raw_locations RAW FILE_PATTERN: one line per location of the mapping whose file matches:
# "ADDR PHYSICAL_FUNCTION INNERMOST_FILE:LINE FRAMES" where FRAMES is every frame's function,
# innermost first, joined by ";" (from `go tool pprof -raw`: a location's first line holds the
# innermost frame, each inlined caller follows on a line of its own).
raw_locations() {
  local m
  m=$(awk -v pat="$2" '/^Mappings/{f=1;next} f && $0 ~ pat {sub(":","",$1); print $1; exit}' "$1")
  [[ -n $m ]] || fail "no mapping matching $2 in $1"
  awk -v m="M=$m" '
    function flush() { if (addr != "") print addr, outer, inner, names; addr = "" }
    /^Locations/ { f = 1; next }
    /^Mappings/ { flush(); f = 0 }
    !f { next }
    $1 ~ /^[0-9]+:$/ {
      flush()
      if ($3 != m || NF < 5) next
      n = split($5, p, ":")
      addr = $2; outer = $4; names = $4; inner = p[1] ":" p[2]
      next
    }
    addr != "" { outer = $1; names = names ";" $1 }
    END { flush() }' "$1"
}

# Every location in the stripped binary's mapping against go tool addr2line, which names the
# physical function (not inlined callees) and the file:line of the address itself.
go tool pprof -raw "$WORK/s.pb.gz" 2>/dev/null >"$WORK/s.raw"
raw_locations "$WORK/s.raw" wl-stripped >"$WORK/locs.txt"
cut -d' ' -f1,2 "$WORK/locs.txt" >"$WORK/ours.txt"
[[ $(wc -l <"$WORK/ours.txt") -ge 50 ]] || fail "fewer than 50 locations in wl-stripped"
# Names and lines at ADDR and ADDR-1 (caller frames are return addresses, symbolized at the
# call instruction: one ending a function returns into the next function's entry).
cut -d' ' -f1 "$WORK/ours.txt" | go tool addr2line "$WORK/wl-stripped" >"$WORK/a2l-at.txt"
cut -d' ' -f1 "$WORK/ours.txt" | while read -r a; do printf '0x%x\n' $((a - 1)); done |
  go tool addr2line "$WORK/wl-stripped" >"$WORK/a2l-before.txt"
awk 'NR%2==1' "$WORK/a2l-at.txt" >"$WORK/theirs.txt"
awk 'NR%2==1' "$WORK/a2l-before.txt" >"$WORK/theirs-before.txt"
total=$(wc -l <"$WORK/ours.txt")
same=$(paste -d' ' "$WORK/ours.txt" "$WORK/theirs.txt" "$WORK/theirs-before.txt" |
  awk '$2==$3 || $2==$4' | wc -l)
echo "stripped locations named as go tool addr2line names them: $same of $total"
[[ $same == "$total" ]] || {
  paste -d' ' "$WORK/ours.txt" "$WORK/theirs.txt" "$WORK/theirs-before.txt" |
    awk '$2!=$3 && $2!=$4' | head >&2
  fail "names differ from go tool addr2line"
}
pass
# file:line of the innermost frame against addr2line at ADDR and ADDR-1. (A name matched at
# ADDR-1 with a line matched at ADDR would be wrong, but cannot pass both checks unless the two
# addresses share the function.)
cut -d' ' -f1,3 "$WORK/locs.txt" >"$WORK/ours-line.txt"
# addr2line says ":-1" where the pc-value table has no line (past a function's last
# instruction); we leave the location without a line, which -raw shows as ":0".
awk 'NR%2==0 { if ($0 == ":-1") $0 = ":0"; print }' "$WORK/a2l-at.txt" >"$WORK/at.txt"
awk 'NR%2==0 { if ($0 == ":-1") $0 = ":0"; print }' "$WORK/a2l-before.txt" >"$WORK/before.txt"
same=$(paste -d' ' "$WORK/ours-line.txt" "$WORK/at.txt" "$WORK/before.txt" |
  awk '$2==$3 || $2==$4' | wc -l)
echo "stripped locations with addr2line's file:line: $same of $total"
[[ $same == "$total" ]] || {
  paste -d' ' "$WORK/ours-line.txt" "$WORK/at.txt" "$WORK/before.txt" | awk '$2!=$3 && $2!=$4' |
    head >&2
  fail "file:line differ from go tool addr2line"
}
grep -Eq 'main\.dedupGrowing .*workload/main\.go:[1-9]' "$WORK/s.raw" ||
  fail "no file:line for main.dedupGrowing"
pass

# Inlined frames: strip(1) a copy of the unstripped binary (same text, same build id; strip
# keeps the allocated .gopclntab), record the stripped copy, and symbolize that one recording
# twice: from the copy's .gopclntab and, through --binary, from the original's symbols and
# DWARF. Every location must get the same frames, inlined ones included. ELF symbols name
# assembly functions with their ABI suffix ("runtime.goexit.abi0"), .gopclntab without it.
# Go 1.19 (Go 1.18 .gopclntab layout and inlinedCall record) too when installed.
same_frames_as_dwarf() {  # same_frames_as_dwarf GO_COMMAND LABEL
  local dir="$WORK/$2"
  mkdir -p "$dir/full" "$dir/strip"
  (cd "$SOURCE_DIR/fixtures/src" && "$1" build -o "$dir/full/wl" ./workload) ||
    fail "$2: go build workload"
  strip -o "$dir/strip/wl" "$dir/full/wl"
  ! readelf -S "$dir/strip/wl" | grep -Eq '\.symtab|\.debug_info' || fail "$2: strip kept symbols"
  record "$dir/strip/wl" "$dir/p.data"
  expect_exit 0 "$GCSPIKE" annotate "$dir/p.data" -o "$dir/pclntab.pb.gz"
  expect_exit 0 "$GCSPIKE" annotate "$dir/p.data" --binary "$dir/full/wl" -o "$dir/dwarf.pb.gz"
  # And a copy without DWARF but with .symtab (what -ldflags=-w builds): names from .symtab,
  # lines and inlined frames from .gopclntab.
  mkdir -p "$dir/nodwarf"
  objcopy --strip-debug "$dir/full/wl" "$dir/nodwarf/wl"
  expect_exit 0 "$GCSPIKE" annotate "$dir/p.data" --binary "$dir/nodwarf/wl" \
    -o "$dir/nodwarf.pb.gz"
  local kind
  for kind in pclntab dwarf nodwarf; do
    go tool pprof -raw "$dir/$kind.pb.gz" 2>/dev/null >"$dir/$kind.raw"
    raw_locations "$dir/$kind.raw" "$2/strip/wl" | cut -d' ' -f1,4 |
      sed 's/\.abi0\(;\|$\)/\1/g' | sort >"$dir/$kind.txt"
  done
  local total inlined
  total=$(wc -l <"$dir/dwarf.txt")
  inlined=$(grep -c ';' "$dir/dwarf.txt" || true)
  echo "$2: $total locations, $inlined with inlined frames (DWARF)"
  [[ $total -ge 50 && $inlined -ge 10 ]] || fail "$2: too few locations or inlined frames"
  diff "$dir/dwarf.txt" "$dir/pclntab.txt" >"$dir/diff.txt" || {
    head -20 "$dir/diff.txt" >&2
    fail "$2: .gopclntab frames differ from DWARF frames (< DWARF, > .gopclntab)"
  }
  diff "$dir/dwarf.txt" "$dir/nodwarf.txt" >"$dir/diff.txt" || {
    head -20 "$dir/diff.txt" >&2
    fail "$2: .symtab + .gopclntab frames differ from DWARF frames (< DWARF, > no DWARF)"
  }
  pass
}
same_frames_as_dwarf go "go$(go env GOVERSION | sed 's/^go//')"
if [[ -x /usr/lib/go-1.19/bin/go ]]; then
  same_frames_as_dwarf /usr/lib/go-1.19/bin/go go1.19
fi

# The heavy user functions of the unstripped recording are heavy in the stripped one too.
heavy() {  # heavy TOPFILE MIN_CUM_PERCENT: main.* functions with cum% >= MIN
  awk -v min="$2" '$NF ~ /^main\./ { c=$5; sub("%","",c); if (c+0 >= min) print $NF }' "$1" |
    sort -u
}
heavy "$WORK/u.top" 5 >"$WORK/u.heavy"
heavy "$WORK/s.top" 2.5 >"$WORK/s.heavy"
[[ $(wc -l <"$WORK/u.heavy") -ge 3 ]] || { cat "$WORK/u.top" >&2; fail "too few heavy main.*"; }
missing=$(comm -23 "$WORK/u.heavy" "$WORK/s.heavy")
[[ -z $missing ]] || fail "heavy in the unstripped profile but not in the stripped one: $missing"
echo "heavy user functions in both: $(tr '\n' ' ' <"$WORK/u.heavy")"
pass

"$GCSPIKE" report "$WORK/s.pb.gz" >"$WORK/report.txt" || fail "report"
grep -Eq '^grow-spike +[0-9.]+% +\[[0-9.]+-[0-9.]+\] +[0-9.]+% +spike' "$WORK/report.txt" ||
  { cat "$WORK/report.txt" >&2; fail "grow-spike is not a spike for the stripped binary"; }
pass
finish
