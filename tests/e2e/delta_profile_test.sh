#!/usr/bin/env bash
# Delta profiles (negative values) survive annotate exactly: go tool pprof -raw of gcspike's
# output has the same sample values per stack as the input's, modulo gcspike's labels. The
# report says it is a delta profile and judges nothing (its shares are of a base and a new
# profile together): a gate on it, or a diff against it, is undecided (exit 3). Folded and
# speedscope refuse it with one clear line.
# ctest-labels: asan
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || fail "go is needed (go tool pprof makes the delta profile)"

base=$FIXTURES/pprof/go1.26/presized.cpu.pb.gz
new=$FIXTURES/pprof/go1.26/grow.cpu.pb.gz
delta=$WORK/d.pb.gz
go tool pprof -proto -diff_base="$base" "$new" >"$delta" 2>/dev/null
go tool pprof -raw "$delta" 2>/dev/null | grep -qE '^ +-[0-9]+ ' || fail "no negative sample in $delta"

# Every sample as "values: stack of location texts" (ids resolved, labels dropped), sorted.
samples_by_stack() {
  go tool pprof -raw "$1" 2>/dev/null | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
locs, samples, section, cur = {}, [], None, None
for line in lines:
    if line.startswith("Samples:"): section = "s"; continue
    if line.startswith("Locations"): section = "l"; continue
    if line.startswith("Mappings"): section = None; continue
    if section == "s":
        m = re.match(r"^\s+(-?\d+(?:\s+-?\d+)*):((?:\s+\d+)*)\s*$", line)
        if m: samples.append((m.group(1).split(), m.group(2).split()))
    elif section == "l":
        m = re.match(r"^\s+(\d+): (\S+) M=\d+ (.*)$", line)
        if m: cur = m.group(1); locs[cur] = [m.group(2), m.group(3)]
        elif cur and line.strip(): locs[cur].append(line.strip())
out = sorted(" ".join(v) + ": " + " | ".join(" ".join(locs[i]) for i in ids) for v, ids in samples)
print("\n".join(out))'
}
"$GCSPIKE" annotate "$delta" -o "$WORK/annotated.pb.gz"
samples_by_stack "$delta" >"$WORK/in.txt"
samples_by_stack "$WORK/annotated.pb.gz" >"$WORK/out.txt"
[[ $(wc -l <"$WORK/in.txt") -gt 10 ]] || fail "too few samples parsed from $delta"
diff "$WORK/in.txt" "$WORK/out.txt" >&2 || fail "sample values per stack differ after annotate"
pass
# gcspike's labels are there too.
go tool pprof -raw "$WORK/annotated.pb.gz" 2>/dev/null | grep -q 'gcspike:\[' || fail "no labels"
pass
echo "ok: $(wc -l <"$WORK/in.txt") samples, negative values kept exactly"

"$GCSPIKE" report "$delta" >"$WORK/report.txt"
grep -q "delta profile" "$WORK/report.txt" || fail "report does not say delta profile"
grep -q "^samples: [0-9]\{1,6\} " "$WORK/report.txt" || fail "report sample count: $(grep samples: "$WORK/report.txt")"
pass

# A profile against itself: by construction nothing changed, whatever share of growth the
# profile has (the grow fixture's is far above 5 %). The delta's shares are of both copies
# together, so a gate on it could only echo the profile's own share (gcspike once called it a
# grow-spike "spike" and crossed grow-spike>5%): it is undecided, with the way out.
self=$WORK/self.pb.gz
go tool pprof -proto -diff_base="$new" "$new" >"$self" 2>/dev/null
for d in "$delta" "$self"; do
  expect_exit 3 "$GCSPIKE" report "$d" --fail-on 'grow-spike>5%'
  grep -q "^gcspike: --fail-on grow-spike>5% cannot be decided.*delta profile.*gcspike diff BASE NEW" \
    "$WORK/out.txt" || fail "$d: $(cat "$WORK/out.txt")"
  grep -q "^overall: inconclusive" "$WORK/out.txt" || fail "$d: overall: $(grep overall "$WORK/out.txt")"
  "$GCSPIKE" report "$d" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
# Every feature of the stacks (a profile without a timeline has no time features to judge).
causes = [f.get("cause") for f in r["features"].values() if f.get("cause") != "no-timeline"]
assert len(causes) >= 5 and set(causes) == {"delta"}, causes' || fail "$d: JSON causes"
  # A delta as one side of a diff: the change cannot be told either.
  expect_exit 3 "$GCSPIKE" diff "$base" "$d" --fail-on 'grow-spike>+3pp'
  grep -q "^gcspike: --fail-on grow-spike>+3pp cannot be decided.*new: a delta profile" \
    "$WORK/out.txt" || fail "$d: diff: $(cat "$WORK/out.txt")"
done
# The two profiles themselves are judged: the way out works.
expect_exit 1 "$GCSPIKE" diff "$base" "$new" --fail-on 'grow-spike>+3pp'
echo "ok: a delta profile (and one of a profile against itself) is not judged; diff BASE NEW is"

for out in d.folded d.speedscope.json; do
  expect_exit 2 "$GCSPIKE" annotate "$delta" -o "$WORK/$out"
  [[ $(wc -l <"$WORK/out.txt") -eq 1 ]] || fail "more than one line"
  grep -q "delta profile" "$WORK/out.txt" || fail "$out: $(cat "$WORK/out.txt")"
  [[ ! -e $WORK/$out ]] || fail "$out written"
done
echo "ok: folded and speedscope refuse a delta profile: $(cat "$WORK/out.txt")"
finish
