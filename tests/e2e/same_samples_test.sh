#!/usr/bin/env bash
# Inputs that hold the same samples (plugin/same_samples.h), recorded as a user would: a Go
# program (tests/e2e/tracefill) that profiles the CPU and traces the same run, twice, and once
# with the trace started 40 ms after the CPU profile and stopped 40 ms before it.
#  - The oracle (go tool pprof -traces for the CPU profiles, gocheck trace-stats --stacks, i.e.
#    golang.org/x/exp/trace, for the traces) says which pairs hold the same samples stack by
#    stack (the trace's counts within the CPU profile's) and how many: the warning names both
#    inputs with that share (trace samples / CPU profile samples), and so for a copy and a
#    re-gzipped copy; the two independent runs differ stack by stack, and their merge (CPU
#    profiles, traces, or one of each) says nothing of it.
#  - A gate between the single input's interval and the one the doubled samples would give is
#    undecided for the merge too (exit 3, naming the pair), as for the single input; gcspike
#    diff judges a side of a profile and its copy as the profile alone.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

(cd "$SOURCE_DIR/tests/e2e/tracefill" && GOTOOLCHAIN=local go build -o "$WORK/tracefill" .) ||
  fail "cannot build tests/e2e/tracefill"
for run in one two; do
  ./tracefill -rounds 40 -keys 200000 "$run.trace" || fail "tracefill $run"
done
./tracefill -rounds 40 -keys 200000 -lead 40ms late.trace || fail "tracefill -lead"
cp one.trace.cpu copy.pb.gz
zcat one.trace.cpu | gzip -9 >regzipped.pb.gz
cmp -s one.trace.cpu regzipped.pb.gz && fail "the re-gzipped copy has the same bytes"

# Per-stack sample counts by the oracle, function names leaf first; the trace's root
# runtime.goexit, which CPU profiles leave out, dropped, and generic functions' type arguments
# written [...] as the trace writes them (docs/formats/go-trace.md#cpu-samples).
elide_type_args() {
  python3 -c '
import sys
for line in sys.stdin:
    out, depth = [], 0
    for c in line:
        if c == "[":
            if depth == 0: out.append("[...]")
            depth += 1
        elif c == "]" and depth: depth -= 1
        elif not depth: out.append(c)
    sys.stdout.write("".join(out))'
}
stacks() {
  if [[ $1 == *.trace ]]; then
    "$GOCHECK" trace-stats --stacks "$1" | tail -n +2 | cut -d' ' -f3- |
      sed 's/;runtime\.goexit$//' | elide_type_args | sort | uniq -c |
      sed -E 's/^ *([0-9]+) /\1\t/'
  else
    go tool pprof -traces -sample_index=samples "$1" 2>/dev/null | elide_type_args | python3 -c '
import re, sys, collections
c = collections.Counter()
for block in sys.stdin.read().split("-----------+")[1:]:
    lines = [l.strip() for l in block.splitlines()[1:] if l.strip()]
    if not lines: continue
    n, leaf = lines[0].split(None, 1)
    frames = [re.sub(r" \(inline\)$", "", f) for f in [leaf] + lines[1:]]
    c[";".join(frames)] += int(n)
for k, v in c.items(): print(f"{v}\t{k}")'
  fi
}
for f in one.trace.cpu one.trace two.trace.cpu two.trace late.trace.cpu late.trace copy.pb.gz; do
  stacks "$f" >"$f.stacks"
done
# The oracle's totals agree with gocheck's own counts.
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
total() { awk '{s += $1} END {print s}' "$1"; }
trace_samples=$("$GOCHECK" trace-stats one.trace | json_field '["cpu_samples"]')
[[ $(total one.trace.stacks) == "$trace_samples" ]] ||
  fail "trace stacks do not add up to gocheck's cpu_samples"
pprof_samples=$("$GOCHECK" pprof-check one.trace.cpu | json_field '["sums"][0]')
[[ $(total one.trace.cpu.stacks) == "$pprof_samples" ]] ||
  fail "pprof stacks do not add up to gocheck's sum of counts"
pass

# relation A B: "same PERCENT" when B's counts are within A's stack by stack and A has at most
# 5 % more (PERCENT = B's total / A's, as the warning prints it), else "independent" when they
# differ by more than a tenth of the samples stack by stack; anything else fails.
relation() {
  python3 - "$1.stacks" "$2.stacks" <<'PY'
import sys
def load(p):
    d = {}
    for line in open(p):
        n, k = line.rstrip("\n").split("\t")
        d[k] = d.get(k, 0) + int(n)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
na, nb = sum(a.values()), sum(b.values())
assert na >= 100 and nb >= 100, (na, nb)
off = sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b))
if all(b[k] <= a.get(k, 0) for k in b) and nb <= na <= 1.05 * nb:
    print(f"same {100 * nb / na:.1f}")
elif off > 0.1 * max(na, nb):
    print("independent")
else:
    sys.exit(f"neither the same samples nor independent: {off} of {na}, {nb} differ")
PY
}

# expect_told INPUTS... : the warning names the last input and the first, and the share of
# the samples the oracle gives ($share).
expect_told() {
  local first=$1 last=${*: -1}
  "$GCSPIKE" report "$@" -o /dev/null 2>err.txt || fail "report $*"
  grep -qF "warning: $last and $first: they hold the same samples ($share% agree" err.txt ||
    { cat err.txt >&2; fail "not told, or another share than $share%: $*"; }
  grep -qF "each counts twice, so every share's 95% interval is narrower than its samples support" \
    err.txt || fail "no consequence told: $(cat err.txt)"
  [[ $(grep -c 'they hold the same samples' err.txt) == 1 ]] || fail "told more than once: $*"
  pass
}
expect_silent() {
  "$GCSPIKE" report "$@" -o /dev/null 2>err.txt || fail "report $*"
  ! grep -q 'same samples\|named again' err.txt || { cat err.txt >&2; fail "told: $*"; }
  pass
}

for run in one two; do
  r=$(relation "$run.trace.cpu" "$run.trace") || fail "oracle: $run"
  [[ $r == same* ]] || fail "the oracle finds $run's trace is not its CPU profile's samples: $r"
  share=${r#same }
  expect_told "$run.trace.cpu" "$run.trace"
done
r=$(relation late.trace.cpu late.trace) || fail "oracle: late"
[[ $r == same* && ${r#same } != 100.0 ]] || fail "the late trace should miss samples: $r"
share=${r#same }
echo "late trace: $share% of the CPU profile's samples"
expect_told late.trace.cpu late.trace
share=100.0
expect_told one.trace.cpu copy.pb.gz
expect_told one.trace.cpu regzipped.pb.gz
# Another input between them, and an independent one: still told, naming the pair.
expect_told one.trace.cpu two.trace.cpu copy.pb.gz

for pair in "one.trace.cpu two.trace.cpu" "one.trace two.trace" "one.trace.cpu two.trace" \
  "late.trace.cpu one.trace"; do
  read -r a b <<<"$pair"
  [[ $(relation "$a" "$b") == independent ]] || fail "the oracle finds $a and $b alike"
  expect_silent $pair
done
expect_silent --inputs-from <(printf '%s\n' one.trace.cpu two.trace late.trace.cpu)

# The gate: a threshold between the single input's lower bound and the one of its samples
# counted twice. The single input cannot decide it; nor can the merge with its trace.
threshold=$("$GCSPIKE" report --json one.trace.cpu | python3 -c '
import json, math, sys
d = json.load(sys.stdin)
g = d["features"]["grow-spike"]
p, n, z = g["fraction"], 2 * d["samples"], 1.959964
lo2 = (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
lo1 = g["interval"][0]
assert lo2 > lo1, (lo2, g)
print(f"{100 * (lo1 + lo2) / 2:.2f}")') || fail "no threshold"
expect_exit 3 "$GCSPIKE" report one.trace.cpu --fail-on "grow-spike>$threshold%" -o /dev/null
expect_exit 3 "$GCSPIKE" report one.trace.cpu one.trace --fail-on "grow-spike>$threshold%" \
  -o /dev/null
# The samples counted twice: the trace's, which the CPU profile holds too (the oracle above).
twice=$(python3 -c "print(f'{100 * $(total one.trace.stacks) / ($(total one.trace.stacks) + \
  $(total one.trace.cpu.stacks)):.1f}')")
grep -qF "one.trace holds the same samples as one.trace.cpu ($twice% of the samples count twice)" \
  out.txt || fail "the undecided gate does not say why (want $twice%): $(cat out.txt)"
expect_exit 3 "$GCSPIKE" annotate one.trace.cpu copy.pb.gz --fail-on "grow-spike>$threshold%" \
  -o annotated.pb.gz
# Far from the limit the gate stands, judged on the samples counted once.
expect_exit 1 "$GCSPIKE" report one.trace.cpu one.trace --fail-on 'grow-spike>1%' -o /dev/null
grep -q "counted once" out.txt || fail "the crossed gate does not say so: $(cat out.txt)"

# gcspike diff judges a side whose inputs hold the same samples on them counted once: the base
# of a profile and its copy gives the verdicts and intervals of the profile alone, and says so.
"$GCSPIKE" diff one.trace.cpu two.trace.cpu >diff-single.txt 2>/dev/null
"$GCSPIKE" diff --base one.trace.cpu --base copy.pb.gz two.trace.cpu >diff-copy.txt 2>/dev/null
tr '\n' ' ' <diff-copy.txt | tr -s ' ' |
  grep -qF "note: base: copy.pb.gz holds the same samples as one.trace.cpu (50.0% of its samples" ||
  fail "no note: $(cat diff-copy.txt)"
cmp -s <(grep -E '^[a-z]+ +[-+]' diff-single.txt) <(grep -E '^[a-z]+ +[-+]' diff-copy.txt) ||
  { diff diff-single.txt diff-copy.txt >&2; fail "the copy changes the diff's verdicts"; }
[[ $(grep -cE '^[a-z]+ +[-+]' diff-copy.txt) -ge 5 ]] ||
  fail "no verdict rows: $(cat diff-copy.txt)"
pass

# gcspike diff of base and new that hold the same samples (a profile against its copy, the CPU
# profile against the trace of its run: the pairs the oracle finds the same above) compares
# nothing: every feature inconclusive (cause same-samples), and a regression gate that the
# profile's interval would pass (+50 points) cannot be decided. Independent runs are judged.
# (The oracle's relation takes the CPU profile first: the trace's samples are within it. The
# last pair is diffed the other way round, the trace as the base.)
for pair in "one.trace.cpu copy.pb.gz" "one.trace.cpu one.trace" "two.trace.cpu two.trace -r"; do
  read -r a b reverse <<<"$pair"
  [[ $(relation "$a" "$b") == same* ]] || fail "the oracle finds $a and $b independent"
  [[ -n $reverse ]] && { t=$a; a=$b; b=$t; }
  expect_exit 3 "$GCSPIKE" diff --json "$a" "$b" --fail-on 'grow-spike>+50pp' -o /dev/null
  grep -qF "base and new hold the same samples" out.txt || fail "diff $pair: $(cat out.txt)"
  "$GCSPIKE" diff --json "$a" "$b" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["overall"] == "inconclusive", d["overall"]
for name, f in d["features"].items():
    assert f["verdict"] == "inconclusive" and f["cause"] == "same-samples", (name, f)' ||
    fail "diff $pair: not inconclusive by same-samples"
done
expect_exit 0 "$GCSPIKE" diff one.trace.cpu two.trace.cpu --fail-on 'grow-spike>+50pp'
! grep -q "same samples" out.txt || fail "independent runs told the same: $(cat out.txt)"
pass
finish
