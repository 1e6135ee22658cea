#!/usr/bin/env bash
# The detectors judged by pprof itself, on the real fixtures of every Go version:
#  (a) -tagfocus=gcspike=grow-spike shows only samples that grow a map under a map assign,
#      and -tagroot=gcspike puts the label values as pseudo frames at the root;
#  (b) the share labelled grow-spike equals what `go tool pprof -focus=<grow frames>` shows for
#      the input, within 1 percentage point;
#  (c) --fail-on exits 0 / 1 / 2 and still writes the output when it fails with 1;
#  (d) report --json is valid JSON whose verdicts fit the fixture (grow: spike; presized and
#      control: normal).
source "$(dirname "$0")/lib.sh"

# The grow frames of the built-in catalogue (plugin/detect/runtime_signature_catalogue.cc), as
# a pprof function-name regexp.
GROW_RE='^runtime\.(hashGrow|growWork(_fast32|_fast64|_faststr)?|evacuate(_fast32|_fast64|_faststr)?|advanceEvacuationMark)$|^internal/runtime/maps\.(\(\*Map\)\.(growToSmall|growToTable|installTableSplit|replaceTable)|\(\*table\)\.(rehash|grow|split))$'

# Percentage of the total that pprof says the shown samples account for (all nodes kept).
shown_pct() {
  local out
  out=$(go tool pprof -top -nodefraction=0 -edgefraction=0 -nodecount=1000000 "$@" 2>/dev/null |
    sed -n 's/^Showing nodes accounting for [^,]*, \([0-9.]*\)% of .*/\1/p')
  echo "${out:-0}"
}

# Checks every sample block of `go tool pprof -traces` output (stdin): each has a grow frame
# nearer the leaf than a map assign frame.
check_traces_grow() {
  python3 -c '
import re, sys
grow = re.compile(sys.argv[1])
blocks, cur, started = [], [], False
for line in sys.stdin:
    if line.startswith("-----------+"):
        if started and cur: blocks.append(cur)
        cur, started = [], True
        continue
    if not started or ":  " in line:  # header, or a label line ("   gcspike:  grow-spike")
        continue
    name = re.sub(r"^\s*(\S+s\s+)?", "", line.rstrip("\n"))
    name = name.removesuffix(" (inline)").strip()
    if name: cur.append(name)
if cur: blocks.append(cur)
if not blocks: sys.exit("no samples shown")
for b in blocks:
    g = [i for i, n in enumerate(b) if grow.search(n)]
    a = [i for i, n in enumerate(b) if n.startswith(("runtime.mapassign", "reflect.mapassign"))]
    if not g or not a or min(g) >= max(a):
        sys.exit("sample without growth under a map assign: " + " <- ".join(b))
print(len(blocks))
' "$GROW_RE"
}

json_field() {  # json_field FILE PYTHON-EXPRESSION-ON-d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

grow_fixtures=$(pprof_fixtures | grep '/grow[^/]*cpu[^/]*\.pb\.gz$' | grep -v tiny || true)
[[ -n $grow_fixtures ]] || fail "no grow CPU fixtures under $FIXTURES/pprof"

n=0
for f in $grow_fixtures; do
  name=${f#"$FIXTURES"/pprof/}
  out="$WORK/annotated.pb.gz"
  "$GCSPIKE" annotate "$f" -o "$out" || fail "annotate $name"

  # (a) only growing samples under -tagfocus; pseudo frames under -tagroot.
  blocks=$(go tool pprof -traces -tagfocus=gcspike=grow-spike "$out" 2>/dev/null |
    check_traces_grow) || fail "$name: -tagfocus=gcspike=grow-spike shows other samples"
  pass
  go tool pprof -top -tagfocus=gcspike=grow-spike "$out" 2>/dev/null | grep -q 'flat%' ||
    fail "$name: no -top table under -tagfocus"
  go tool pprof -traces -tagroot=gcspike "$out" 2>/dev/null >"$WORK/tagroot.txt"
  # With -tagroot the label value is the outermost frame of each labelled sample.
  grep -Eq '^ +grow-spike(\+[a-z-]+)*$' "$WORK/tagroot.txt" ||
    fail "$name: -tagroot=gcspike shows no gcspike pseudo frame"
  pass

  # (b) labelled share == pprof's own focus on grow frames of the input, within 1 point.
  labelled=$(shown_pct -tagfocus=gcspike=grow-spike "$out")
  focused=$(shown_pct -focus="$GROW_RE" "$f")
  python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(abs(a-b)>1.0)" \
    "$labelled" "$focused" ||
    fail "$name: labelled grow-spike $labelled% but pprof -focus shows $focused%"
  pass

  # (d) report --json: valid, grow-spike is a spike, and its value fraction is pprof's share.
  "$GCSPIKE" report --json "$f" -o "$WORK/report.json" || fail "report --json $name"
  python3 -m json.tool "$WORK/report.json" >/dev/null || fail "$name: report is not JSON"
  [[ $(json_field "$WORK/report.json" 'd["features"]["grow-spike"]["verdict"]') == spike ]] ||
    fail "$name: grow-spike verdict is not spike"
  python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(abs(a-b)>0.1)" \
    "$(json_field "$WORK/report.json" '100*d["features"]["grow-spike"]["value_fraction"]')" \
    "$labelled" || fail "$name: report's grow-spike value fraction differs from pprof's $labelled%"
  [[ $(json_field "$WORK/report.json" 'd["go_runtime"]') =~ ^(hmap|swiss)$ ]] ||
    fail "$name: go_runtime not detected"
  pass
  echo "$name: $blocks grow samples shown; labelled $labelled% vs pprof -focus $focused%"
  n=$((n + 1))
done

# (d) presized and control programs: every map feature normal.
m=0
for f in $(pprof_fixtures | grep -E '/(presized|control)[^/]*cpu[^/]*\.pb\.gz$' || true); do
  name=${f#"$FIXTURES"/pprof/}
  "$GCSPIKE" report --json "$f" >"$WORK/report.json" || fail "report $name"
  python3 -m json.tool "$WORK/report.json" >/dev/null || fail "$name: report is not JSON"
  for feature in grow-spike key-copy malloc-burst assist-coupling; do
    [[ $(json_field "$WORK/report.json" "d['features']['$feature']['verdict']") == normal ]] ||
      fail "$name: $feature is not normal"
  done
  pass
  m=$((m + 1))
done
[[ $m -gt 0 ]] || fail "no presized or control CPU fixtures"

# (c) --fail-on exit codes, with annotate and report.
f=$(echo "$grow_fixtures" | head -1)
expect_exit 0 "$GCSPIKE" annotate "$f" -o "$WORK/c0.pb.gz" --fail-on 'grow-spike>=95%'
expect_exit 1 "$GCSPIKE" annotate "$f" -o "$WORK/c1.pb.gz" --fail-on 'key-copy>=95%' \
  --fail-on 'grow-spike>1%'
grep -q "grow-spike>1% crossed: measured grow-spike = " "$WORK/out.txt" ||
  fail "--fail-on message does not name the expression and the value"
grep -q "key-copy" "$WORK/out.txt" && fail "--fail-on reported an expression that was not crossed"
[[ -s $WORK/c1.pb.gz ]] || fail "--fail-on exit 1 must still write the output"
go tool pprof -raw "$WORK/c1.pb.gz" >/dev/null 2>&1 || fail "output of a failed --fail-on is not pprof"
expect_exit 1 "$GCSPIKE" report "$f" -o "$WORK/r1.txt" --fail-on 'grow-spike.value>0.01'
[[ -s $WORK/r1.txt ]] || fail "report --fail-on exit 1 must still write the report"
expect_exit 2 "$GCSPIKE" annotate "$f" -o "$WORK/c2.pb.gz" --fail-on 'grow-spike>>1%'
[[ ! -e $WORK/c2.pb.gz ]] || fail "a malformed --fail-on must not write output"
expect_exit 2 "$GCSPIKE" report "$f" --fail-on 'nonsense>1%'
# A gate no measurement can cross would pass on any profile: grow-spike>1 is 100 %, not 1 %
# (it once passed on this fixture, 39 % of growth), grow-spike<0% and >=100% are never crossed.
for never in 'grow-spike>1' 'grow-spike>=100%' 'grow-spike<0%' 'grow-spike<=0'; do
  expect_exit 2 "$GCSPIKE" report "$f" -o "$WORK/never.txt" --fail-on "$never"
  grep -qF "bad --fail-on expression '$never': it can never be crossed" "$WORK/out.txt" ||
    fail "$never: $(cat "$WORK/out.txt")"
done
grep -q "for one percent write 1%" <("$GCSPIKE" report "$f" --fail-on 'grow-spike>1' 2>&1) ||
  fail "grow-spike>1 does not suggest 1%"
expect_exit 1 "$GCSPIKE" report "$f" -o "$WORK/r1.txt" --fail-on 'grow-spike>1%'
expect_exit 2 "$GCSPIKE" diff "$f" "$f" --fail-on 'grow-spike>+100pp'
expect_exit 2 "$GCSPIKE" annotate "$f" -o "$WORK/c3.pb.gz" --no-detect --fail-on 'grow-spike>1%'

# --rules: a user rule changes the labels; a bad rules file is exit 2 naming line and column.
printf 'runtime main.*\n' >"$WORK/site.rules"
"$GCSPIKE" annotate "$f" -o "$WORK/rules.pb.gz" --rules "$WORK/site.rules"
go tool pprof -traces -tagfocus=gcspike_site=main "$WORK/rules.pb.gz" 2>/dev/null |
  grep -q 'gcspike_site:  main\.' && fail "--rules runtime main.* still names main.* as a site"
pass
printf '# mine\ngrow ok.f\nmap-asign my.Put\n' >"$WORK/bad.rules"
expect_exit 2 "$GCSPIKE" report "$f" --rules "$WORK/bad.rules"
grep -q "bad.rules: line 3, column 1: unknown role 'map-asign'" "$WORK/out.txt" ||
  fail "rules error does not name line and column: $(cat "$WORK/out.txt")"

# Text report: the verdict sentence and the top site.
"$GCSPIKE" report "$f" >"$WORK/report.txt"
grep -q '^verdict: Maps grow while being filled' "$WORK/report.txt" || fail "text report verdict"
sed -n '/^top sites/,/^$/p' "$WORK/report.txt" | grep -Eq '% \[[0-9.]+-[0-9.]+\]  main\.' || fail "text report has no top site"
pass

echo "checked $n grow fixtures and $m presized/control fixtures"
finish
