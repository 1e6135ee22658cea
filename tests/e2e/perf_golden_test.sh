#!/usr/bin/env bash
# Same bytes out: what gcspike makes of the committed perf.data recordings in
# tests/e2e/perf_golden/ (file mode with -g, --call-graph dwarf, pipe mode, -z zstd; all with
# kernel frames) must hash to golden.sha256, which record.sh wrote with the perf.data reader as
# it was before its split into layers, then again when the callers frameless leaves hide in -g
# stacks were recovered (docs/formats/perf-data.md#callchains: Run above Mix and Syscalls,
# SpinMiddle above SpinLeaf, nothing else changed). A change to the reader's output fails here;
# when the change is intended, rerun record.sh's last step (outputs.sh) and say why in the
# commit.
# ctest-labels: asan
source "$(dirname "$0")/lib.sh"

dir="$SOURCE_DIR/tests/e2e/perf_golden"
GCSPIKE=$GCSPIKE bash "$dir/outputs.sh" "$dir" >"$WORK/got.sha256" ||
  fail "gcspike failed on a golden recording"
while read -r want name kind; do
  got=$(awk -v n="$name" -v k="$kind" '$2 == n && $3 == k { print $1 }' "$WORK/got.sha256")
  [[ $got == "$want" ]] ||
    fail "$name: the $kind output differs from the golden one (sha256 $got, want $want)"
  pass
done <"$dir/golden.sha256"
[[ $checks -eq 8 ]] || fail "golden.sha256 has $checks entries, want 8"

# pprof takes the first mapping for the main binary (go tool pprof's "File:"): the recorded
# program, not the kernel whose frame came first (dwarf.data) nor a library.
for f in fp dwarf pipe zstd; do
  HOME=$WORK "$GCSPIKE" annotate "$dir/$f.data" --binary "$dir/workload" -o "$WORK/$f.pb.gz" \
    2>/dev/null || fail "gcspike failed on $f.data"
  first=$(go tool pprof -raw "$WORK/$f.pb.gz" 2>/dev/null | awk '/^Mappings/ { getline; print $3 }')
  [[ $(basename "$first") == workload ]] ||
    fail "$f.data: the first mapping is '$first', want the recorded workload"
  pass
done
finish
