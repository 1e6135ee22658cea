#!/usr/bin/env bash
# Verdicts a CI gate can trust, on the real fixtures of every Go version:
#  (a) every CPU profile: the grow-spike interval and verdict recomputed independently from what
#      `go tool pprof` decodes (verdict_check.py: its own sample counting and Wilson interval);
#      the short mild profile is borderline, the long one of the same workload decided, the
#      4-sample one inconclusive on every feature;
#  (b) memory, goroutine, mutex and block profiles: inconclusive with the profile-type reason,
#      never "normal"; annotate still writes their output; a gate on them exits 3;
#  (c) the site to presize: the function that makes the map, via the helper that inserts,
#      checked against `go tool pprof -peek` of the helper (inlined markSeen, generic Set.Add),
#      and each labelled sample's site against the program's source (site_check.py: a
#      function that builds its keys is the site, an out-of-line helper names its loop);
#  (d) --fail-on exits 0/1/2/3, judged on the samples kept by the filters;
#  (e) --rules: a generic rule matches every spelling; a rule that matched nothing is warned of.
# ctest-labels: asan
source "$(dirname "$0")/lib.sh"

json_field() {  # json_field FILE PYTHON-EXPRESSION-ON-d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
check="$SOURCE_DIR/tests/e2e/verdict_check.py"

# (a)
n=0
for f in $(pprof_fixtures | grep '\.cpu\.pb\.gz$'); do
  name=${f#"$FIXTURES"/pprof/}
  "$GCSPIKE" report --json "$f" -o "$WORK/r.json" || fail "report --json $name"
  expect=()
  case $name in
    */mild.short.*) expect=(--expect inconclusive) ;;
    */mild.long.*) expect=(--expect spike) ;;
    */grow.tiny.*) expect=(--expect inconclusive) ;;
    */grow.cpu.*|*/generic.cpu.*) expect=(--expect spike) ;;
    */presized.*|*/control.*) expect=(--expect normal) ;;
  esac
  got=$(python3 "$check" "$f" "$WORK/r.json" "${expect[@]}") || fail "$name: $got"
  echo "$name: $got"
  n=$((n + 1))
  pass
done
[[ $n -ge 9 ]] || fail "only $n CPU fixtures"

short="$FIXTURES/pprof/go1.26/mild.short.cpu.pb.gz"
"$GCSPIKE" report --json "$short" -o "$WORK/short.json"
[[ $(json_field "$WORK/short.json" 'd["features"]["grow-spike"]["cause"]') == borderline ]] ||
  fail "mild.short: grow-spike is not borderline"
json_field "$WORK/short.json" 'd["features"]["grow-spike"]["reason"]' | grep -q 'take a longer profile' ||
  fail "mild.short: the borderline reason does not say what to do"
[[ $(json_field "$WORK/short.json" 'd["overall"]') == inconclusive ]] ||
  fail "mild.short: overall is not inconclusive"
tiny="$FIXTURES/pprof/go1.26/grow.tiny.cpu.pb.gz"
"$GCSPIKE" report --json "$tiny" -o "$WORK/tiny.json"
[[ $(json_field "$WORK/tiny.json" 'sorted(set(d["features"][k]["cause"] for k in ("grow-spike", "key-copy", "malloc-burst", "assist-coupling", "scanobject-hotspot")))') == "['too-few-samples']" ]] ||
  fail "grow.tiny: not every feature is inconclusive for too few samples"
pass

# (b) Profiles that cannot show map growth.
m=0
for f in $(pprof_fixtures | grep -E '\.(heap|allocs|goroutine|mutex|block)\.pb\.gz$'); do
  name=${f#"$FIXTURES"/pprof/}
  "$GCSPIKE" report --json "$f" -o "$WORK/r.json" || fail "report $name"
  [[ $(json_field "$WORK/r.json" 'd["overall"]') == inconclusive ]] || fail "$name: overall not inconclusive"
  [[ $(json_field "$WORK/r.json" 'sorted(set(d["features"][k]["verdict"]+"/"+d["features"][k]["cause"] for k in ("grow-spike", "key-copy", "malloc-burst", "assist-coupling", "scanobject-hotspot")))') == "['inconclusive/profile-type']" ]] ||
    fail "$name: features are not all inconclusive for the profile type"
  kind=$(json_field "$WORK/r.json" 'd["profile_kind"]')
  case $name in
    *.heap.*) [[ $kind == heap ]] ;;
    *.allocs.*) [[ $kind == allocs ]] ;;
    *.goroutine.*) [[ $kind == goroutine ]] ;;
    *) [[ $kind == contention ]] ;;
  esac || fail "$name: profile kind $kind"
  json_field "$WORK/r.json" 'd["visibility"]["reason"]' | grep -q 'take a CPU profile' ||
    fail "$name: the reason does not say which profile to take"
  "$GCSPIKE" report "$f" >"$WORK/r.txt"
  grep -q '^overall: inconclusive$' "$WORK/r.txt" || fail "$name: text report overall"
  grep -q '^inconclusive (every feature): ' \
    "$WORK/r.txt" || fail "$name: text report has no reason line"
  grep -q 'No map-growth GC pressure' "$WORK/r.txt" && fail "$name: an all-clear for a blind profile"
  # The annotated output is still written; the gate cannot be decided.
  expect_exit 3 "$GCSPIKE" annotate "$f" -o "$WORK/a.pb.gz" --fail-on 'grow-spike>10%'
  grep -q "cannot be decided" "$WORK/out.txt" || fail "$name: no undecided message"
  go tool pprof -raw "$WORK/a.pb.gz" >/dev/null 2>&1 || fail "$name: annotated output is not pprof"
  m=$((m + 1))
done
[[ $m -ge 15 ]] || fail "only $m non-CPU fixtures"
allocs="$FIXTURES/pprof/go1.26/grow.allocs.pb.gz"
expect_exit 3 "$GCSPIKE" report "$allocs" -o "$WORK/r.txt" --fail-on 'grow-spike>10%'
[[ -s $WORK/r.txt ]] || fail "an undecided gate must still write the report"
expect_exit 0 "$GCSPIKE" report "$allocs" -o "$WORK/r.txt" --fail-on 'grow-spike>10%' --inconclusive=pass
grep -q "cannot be decided (--inconclusive=pass)" "$WORK/out.txt" || fail "--inconclusive=pass is silent"
expect_exit 1 "$GCSPIKE" report "$allocs" -o "$WORK/r.txt" --fail-on 'grow-spike>10%' --inconclusive=fail
expect_exit 2 "$GCSPIKE" report "$allocs" --inconclusive=maybe

# (c) The site to presize, against pprof's own view of the helper's callers.
peek_callers() {  # peek_callers PROFILE REGEXP: the caller lines of -peek, names only
  go tool pprof -peek "$2" "$1" 2>/dev/null | awk '
    /^-+\+-+$/ { if (seen) exit; next }
    /\| / && !/\|   / { seen = 1; next }
    /\|   / && !seen { sub(/.*\|   /, ""); sub(/ \(inline\)$/, ""); print }'
}
for v in go1.19 go1.26 go1.27.3; do
  f="$FIXTURES/pprof/$v/grow.cpu.pb.gz"
  "$GCSPIKE" report --json "$f" -o "$WORK/r.json"
  callers=$(peek_callers "$f" '^main\.markSeen$')
  [[ $callers == main.dedupGrowing ]] || fail "$v: -peek shows callers '$callers' of markSeen"
  [[ $(json_field "$WORK/r.json" 'd["sites"][0]["function"], d["sites"][0]["via"]') == "main.dedupGrowing ['main.markSeen']" ]] ||
    fail "$v grow: site $(json_field "$WORK/r.json" 'd["sites"][0]')"
  pass
done
for v in go1.19 go1.26; do
  f="$FIXTURES/pprof/$v/generic.cpu.pb.gz"
  "$GCSPIKE" report --json "$f" -o "$WORK/r.json"
  helper=$(json_field "$WORK/r.json" 'd["sites"][0]["via"][0]')
  [[ $helper =~ ^main\.Set\[.*\]\.Add$ ]] || fail "$v generic: via is '$helper'"
  callers=$(peek_callers "$f" '^main\.Set\[.*\]\.Add$')
  [[ $(json_field "$WORK/r.json" 'd["sites"][0]["function"]') == "$callers" && $callers == main.dedupGeneric ]] ||
    fail "$v generic: site is not -peek's caller '$callers'"
  "$GCSPIKE" report "$f" | grep -Eq '^ +[0-9.]+% \[[0-9.]+-[0-9.]+\]  main\.dedupGeneric \(via main\.Set\[.*\]\.Add\)$' ||
    fail "$v generic: text report does not show the via-site"
  pass
done

# The site of every labelled sample against the program's source (site_check.py): fill's
# fillPrefixed makes its map and builds its keys ("tenant-N:" + key, a fifth of its samples,
# all in the runtime: it was taken for a helper of fillRound), fillThrough makes its map and fills it
# through put, which only inserts; grow's dedupGrowing through the inlined markSeen.
for spec in "go1.26/fill main.fillPrefixed= main.fillThrough=main.put" \
            "go1.26/grow main.dedupGrowing=main.markSeen"; do
  read -r name makers <<<"$spec"
  f="$FIXTURES/pprof/$name.cpu.pb.gz"
  "$GCSPIKE" annotate "$f" -o "$WORK/s.pb.gz" || fail "annotate $name"
  "$GCSPIKE" report --json "$f" -o "$WORK/s.json" || fail "report $name"
  go tool pprof -traces "$WORK/s.pb.gz" >"$WORK/s.traces" 2>/dev/null
  go tool pprof -tags -tagshow=gcspike_site -sample_index=samples "$WORK/s.pb.gz" \
    >"$WORK/s.tags" 2>/dev/null
  # shellcheck disable=SC2086  # makers: one argument each
  got=$(python3 "$SOURCE_DIR/tests/e2e/site_check.py" "$WORK/s.traces" "$WORK/s.tags" \
    "$WORK/s.json" $makers) || fail "$name: $got"
  echo "$name: $got"
  pass
done

# (d) --fail-on exit codes, with and without filters (the gate judges the samples written).
f="$FIXTURES/pprof/go1.26/grow.cpu.pb.gz"
expect_exit 1 "$GCSPIKE" annotate "$f" -o "$WORK/d.pb.gz" --fail-on 'scanobject-hotspot>30%'
grep -q 'crossed: measured scanobject-hotspot = [0-9.]*% \[[0-9.]*-[0-9.]*%\] of [0-9]* samples' \
  "$WORK/out.txt" || fail "the crossed message does not give the interval"
expect_exit 0 "$GCSPIKE" annotate "$f" -o "$WORK/d.pb.gz" --fail-on 'scanobject-hotspot>30%' \
  --drop 'gcspike~scanobject-hotspot'
expect_exit 1 "$GCSPIKE" report "$f" -o "$WORK/d.txt" --fail-on 'grow-spike<90%'
expect_exit 0 "$GCSPIKE" report "$f" -o "$WORK/d.txt" --fail-on 'grow-spike<90%' --keep 'gcspike~grow-spike'
expect_exit 3 "$GCSPIKE" report "$short" -o "$WORK/d.txt" --fail-on 'grow-spike>3%'
grep -q 'borderline' "$WORK/out.txt" || fail "undecided gate does not say borderline"
expect_exit 0 "$GCSPIKE" report "$short" -o "$WORK/d.txt" --fail-on 'grow-spike>20%'
expect_exit 2 "$GCSPIKE" report "$f" --fail-on 'grow-spike>>3%'
# A crossed gate wins over an undecided one.
expect_exit 1 "$GCSPIKE" report "$short" -o "$WORK/d.txt" --fail-on 'grow-spike>3%' \
  --fail-on 'scanobject-hotspot>1%'

# (e) Rules: a generic rule in either spelling; an unmatched rule is named once.
printf 'map-helper main.Set[T].Add\nmap-assign main.NoSuchFunction\n' >"$WORK/g.rules"
"$GCSPIKE" report --json --rules "$WORK/g.rules" "$FIXTURES/pprof/go1.26/generic.cpu.pb.gz" \
  -o "$WORK/r.json" 2>"$WORK/err.txt"
[[ $(grep -c "matched no frame" "$WORK/err.txt") == 1 ]] || fail "unmatched-rule warnings: $(cat "$WORK/err.txt")"
grep -q "g.rules:2: rule 'map-assign main.NoSuchFunction' matched no frame" "$WORK/err.txt" ||
  fail "the warning does not name the rule: $(cat "$WORK/err.txt")"
[[ $(json_field "$WORK/r.json" 'd["sites"][0]["function"]') == main.dedupGeneric ]] ||
  fail "the generic map-helper rule changed the site"

echo "checked $n CPU and $m other fixtures"
finish
