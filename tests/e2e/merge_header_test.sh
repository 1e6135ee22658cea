#!/usr/bin/env bash
# A merge's Time, Duration and Period follow go tool pprof -proto a b c (google/pprof's
# profile.Merge): the earliest time, the durations summed, the largest period. The fixtures of
# three Go versions were recorded at different times with different durations.
source "$(dirname "$0")/lib.sh"

inputs=("$FIXTURES"/pprof/{go1.19,go1.26,go1.27.3}/grow.cpu.pb.gz)
go tool pprof -proto "${inputs[@]}" > "$WORK/pprof.pb.gz" 2>"$WORK/pprof.err" ||
  { cat "$WORK/pprof.err" >&2; fail "go tool pprof -proto"; }
"$GCSPIKE" annotate --no-detect "${inputs[@]}" -o "$WORK/gcspike.pb.gz"
header() {
  "$GOCHECK" pprof-check "$1" | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
print(d["time_nanos"], d["duration_nanos"])'
}
want=$(header "$WORK/pprof.pb.gz")
got=$(header "$WORK/gcspike.pb.gz")
[[ $want == "$got" ]] || fail "time and duration: gcspike $got, go tool pprof $want"
pass
# Not trivially equal: the inputs differ in both, and the sum is not the span.
read -r t d <<<"$got"
sum=0 times=()
for f in "${inputs[@]}"; do
  read -r ft fd <<<"$(header "$f")"
  sum=$((sum + fd))
  times+=("$ft")
done
[[ $d == "$sum" ]] || fail "duration $d is not the sum $sum"
[[ $(printf '%s\n' "${times[@]}" | sort -u | wc -l) == 3 ]] || fail "fixtures share a time"
[[ $t == $(printf '%s\n' "${times[@]}" | sort -n | head -1) ]] || fail "time $t is not the earliest"
pass

# Periods: a copy of a fixture with a period of 25 ms (field 12 of the Profile message appended:
# a later scalar field wins in protobuf), merged before and after one of 10 ms.
python3 - "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz" "$WORK/p25.pb.gz" <<'PY'
import gzip, sys
data = gzip.open(sys.argv[1]).read()
v, field = 25000000, bytearray([12 << 3])
while v >= 0x80:
    field.append(v & 0x7F | 0x80)
    v >>= 7
field.append(v)
open(sys.argv[2], "wb").write(gzip.compress(data + bytes(field)))
PY
period() { "$GOCHECK" pprof-check "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["period"])'; }
[[ $(period "$WORK/p25.pb.gz") == 25000000 ]] || fail "the 25 ms copy reads as $(period "$WORK/p25.pb.gz")"
for order in "p25 ten" "ten p25"; do
  cp "$FIXTURES/pprof/go1.19/grow.cpu.pb.gz" "$WORK/ten.pb.gz"
  args=()
  for n in $order; do args+=("$WORK/$n.pb.gz"); done
  go tool pprof -proto "${args[@]}" >"$WORK/pprof-p.pb.gz" 2>/dev/null || fail "go tool pprof -proto $order"
  "$GCSPIKE" merge "${args[@]}" -o "$WORK/gcspike-p.pb.gz" 2>"$WORK/warn.txt"
  want=$(period "$WORK/pprof-p.pb.gz")
  got=$(period "$WORK/gcspike-p.pb.gz")
  [[ $want == "$got" ]] || fail "period ($order): gcspike $got, go tool pprof $want"
  grep -q "keeping the largest, as go tool pprof does; shares of samples count the CPU time of the input with the shorter period more" \
    "$WORK/warn.txt" || fail "no warning about the periods and what they do to shares ($order)"
  pass
done
finish
