#!/usr/bin/env bash
# A merge's Time and Duration follow go tool pprof -proto a b c (google/pprof's profile.Merge):
# the earliest time, and the durations summed. The fixtures of three Go versions were recorded
# at different times with different durations.
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
finish
