#!/usr/bin/env bash
# gcspike's outputs in the real speedscope, in a real browser: the speedscope JSON, the pprof
# with root pseudo frames and the folded stacks of an annotated grow profile are loaded into
# speedscope's static build in Debian's headless chromium (tests/e2e/speedscope_browser.mjs), and
# the sandwich view must list the tag frames [KEY VALUE] and the program's own functions with
# the totals that go tool pprof (-tagfocus / -focus, then gocheck pprof-check) computes from the
# same annotated profile. Screenshots go to $BUILD_DIR/artifacts/.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/viewer_lib.sh"

browser_prerequisites

# A CPU profile of the map-growth workload (SPEEDSCOPE_INPUT overrides, for local runs).
input=${SPEEDSCOPE_INPUT:-$(pprof_fixtures | grep -E '/grow[^/]*cpu[^/]*\.pb\.gz$' | tail -1)}
[[ -n $input && -f $input ]] || fail "no grow CPU fixture under $FIXTURES/pprof"
echo "input: $input"

ann=$WORK/annotated.pb.gz
"$GCSPIKE" annotate "$input" -o "$ann" || fail "annotate $input"
check_json "$ann" > "$WORK/check.json" || fail "gocheck rejects $ann"
pass

# The label shown as frames: the detectors' gcspike label (else the workload's pprof.Do label).
key=$(tag_key "$ann")
[[ -n $key ]] || fail "$ann has no string labels to show as frames"
echo "tag key: $key"
dflt=$(default_index "$ann")
unit=$(json "$WORK/check.json" "c.sample_types[$dflt].split('/')[1]")

# sum_after PPROF_FLAG: the default-type total of the samples go tool pprof keeps.
sum_after() {
  go tool pprof -proto "$1" "$ann" > "$WORK/selected.pb.gz" 2>/dev/null ||
    fail "go tool pprof -proto $1"
  check_json "$WORK/selected.pb.gz" | json - "c.sums[$dflt]"
}

# Expected frames: one per value of the key, plus up to three of the program's main.* functions.
: > "$WORK/tags.tsv"
while IFS= read -r value; do
  total=$(sum_after "-tagfocus=$key=^$(re_escape "$value")\$")
  printf '[%s %s]\t%s\n' "$key" "$value" "$total" >> "$WORK/tags.tsv"
done < <(json "$WORK/check.json" "Object.keys(c.labels['$key']).sort()")
: > "$WORK/funcs.tsv"
while IFS= read -r fn; do
  total=$(sum_after "-focus=^$(re_escape "$fn")\$")
  printf '%s\t%s\n' "$fn" "$total" >> "$WORK/funcs.tsv"
done < <(go tool pprof -top -nodecount=500 "$ann" 2>/dev/null |
           awk '$NF ~ /^main\./ {print $NF}' | sort -u | head -3)
[[ -s $WORK/tags.tsv ]] || fail "no tag values"
[[ -s $WORK/funcs.tsv ]] || fail "no main.* functions in $ann"
echo "expected (go tool pprof + gocheck):"
cat "$WORK/tags.tsv" "$WORK/funcs.tsv"

# The three outputs, from the annotated profile (--no-detect: the labels are already there).
"$GCSPIKE" "$ann" --no-detect --merge-threads --pseudo-frame-keys="$key" \
  -o "$WORK/grow.speedscope.json" || fail "speedscope output"
"$GCSPIKE" "$ann" --no-detect --pseudo-frames=root --pseudo-frame-keys="$key" \
  -o "$WORK/grow.rooted.pb.gz" || fail "pprof output with root pseudo frames"
"$GCSPIKE" "$ann" --no-detect --pseudo-frame-keys="$key" -o "$WORK/grow.folded" ||
  fail "folded output"
pass

node - "$WORK" "$unit" "$key" > "$WORK/cases.json" <<'JS'
const fs = require("fs");
const [work, unit, key] = process.argv.slice(2);
const read = (f) => fs.readFileSync(`${work}/${f}`, "utf8").trim().split("\n")
  .map((l) => l.split("\t")).map(([name, total]) => ({ name, total: Number(total) }));
const tags = read("tags.tsv"), funcs = read("funcs.tsv");
console.log(JSON.stringify({ cases: [
  { file: `${work}/grow.speedscope.json`, serve_as: "grow.speedscope.json",
    importer: "speedscope json file", unit, frames: [...tags, ...funcs],
    screenshots: [{ view: "left-heavy", path: "speedscope-left-heavy.png" },
                  { view: "sandwich", search: `[${key}`, path: "speedscope-sandwich-tags.png" },
                  // The heaviest map-growth tag frame (else the heaviest tag) selected: its
                  // callees are what the tagged samples do.
                  { view: "sandwich", search: `[${key}`,
                    select: [...tags].sort((a, b) => (/grow/.test(b.name) - /grow/.test(a.name)) ||
                                                     b.total - a.total)[0].name,
                    path: "speedscope-sandwich-selected.png" }] },
  // speedscope's pprof importer keeps one frame per Location (the outermost Line), so only the
  // tag frames, never inlined, are compared there.
  { file: `${work}/grow.rooted.pb.gz`, serve_as: "grow.rooted.pb.gz",
    importer: "protobuf encoded pprof file", unit, frames: tags,
    screenshots: [{ view: "left-heavy", path: "speedscope-pprof-left-heavy.png" }] },
  { file: `${work}/grow.folded`, serve_as: "grow.folded",
    importer: "collapsed stack format", unit: "none", frames: [...tags, ...funcs] },
] }, null, 1));
JS

run_browser speedscope_browser.mjs "speedscope in chromium"
finish
