#!/usr/bin/env bash
# perf.data of a stripped Go binary (go build -ldflags='-s -w': no .symtab, no DWARF): function
# names must come from .gopclntab. Judged three ways: every location's name equals what
# `go tool addr2line` (Go's own pclntab reader) says for that address in the stripped binary;
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
  grep -Eq " $fn\$" "$WORK/s.top" || { cat "$WORK/s.top" >&2; fail "no $fn in the stripped profile"; }
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
cut -d' ' -f1 "$WORK/ours.txt" | go tool addr2line "$WORK/wl-stripped" |
  awk 'NR%2==1' >"$WORK/theirs.txt"
total=$(wc -l <"$WORK/ours.txt")
same=$(paste -d' ' "$WORK/ours.txt" "$WORK/theirs.txt" | awk '$2==$3' | wc -l)
echo "stripped locations named as go tool addr2line names them: $same of $total"
[[ $same == "$total" ]] || {
  paste -d' ' "$WORK/ours.txt" "$WORK/theirs.txt" | awk '$2!=$3' | head >&2
  fail "names differ from go tool addr2line"
}
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
