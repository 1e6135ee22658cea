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

# Every location in the stripped binary's mapping against go tool addr2line.
go tool pprof -raw "$WORK/s.pb.gz" 2>/dev/null >"$WORK/s.raw"
mapping_id=$(awk '/^Mappings/{f=1;next} f && /wl-stripped/{sub(":","",$1); print $1; exit}' \
  "$WORK/s.raw")
[[ -n $mapping_id ]] || fail "no mapping for wl-stripped"
awk -v m="M=$mapping_id" '/^Locations/{f=1;next} /^Mappings/{f=0} f && $3==m {print $2, $4}' \
  "$WORK/s.raw" >"$WORK/ours.txt"
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
# file:line: "ADDR FUNC FILE:LINE:COL" from -raw against addr2line at ADDR and ADDR-1. (A name
# matched at ADDR-1 with a line matched at ADDR would be wrong, but cannot pass both checks
# unless the two addresses share the function.)
awk -v m="M=$mapping_id" '/^Locations/{f=1;next} /^Mappings/{f=0} f && $3==m {
  n=split($5, p, ":"); print $2, p[1] ":" p[2] }' "$WORK/s.raw" >"$WORK/ours-line.txt"
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
grep -Eq '^grow-spike +[0-9.]+% +[0-9.]+% +spike' "$WORK/report.txt" ||
  { cat "$WORK/report.txt" >&2; fail "grow-spike is not a spike for the stripped binary"; }
pass
finish
