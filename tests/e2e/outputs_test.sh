#!/usr/bin/env bash
# Every output format of every pprof fixture: the sample totals equal the input's (judged by
# gocheck, i.e. google/pprof's decoder, for pprof; by the format's own arithmetic for the text
# formats), speedscope JSON validates against speedscope's published schema, folded stacks follow
# the grammar in formats/folded_writer.h, pseudo frames only add frames, output is deterministic,
# the format follows the -o extension, and text may go to a terminal while pprof may not.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/viewer_lib.sh"

e2e_dir=$SOURCE_DIR/tests/e2e
[[ -d $e2e_dir/node_modules/ajv ]] ||
  fail "tests/e2e/node_modules is missing: run scripts/setup-deps"

# default_total FILE: the total of the sample type viewers show.
default_total() { check_json "$1" | json - "c.sums[$(default_index "$1")]"; }
# The folded grammar (formats/folded_writer.h): frames without ; CR LF, one space, a count > 0.
folded_grammar=$'^[^;\r]+(;[^;\r]+)* [1-9][0-9]*$'
folded_ok() { ! LC_ALL=C grep -vE "$folded_grammar" "$1" >/dev/null; }
folded_total() {
  node -e '
    let t = 0n;
    for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      if (l) t += BigInt(l.slice(l.lastIndexOf(" ") + 1));
    }
    console.log(String(t));' "$1"
}
# speedscope_check FILE: schema and arithmetic (speedscope_check.mjs); prints "PROFILES TOTAL".
speedscope_check() { node "$e2e_dir/speedscope_check.mjs" "$1"; }

n=0
while read -r f; do
  name=$(basename "$f" .pb.gz)
  out=$WORK/$name
  want_sums=$(sums "$f")
  want=$(default_total "$f")

  # pprof (detectors on): every sample type's total is kept.
  "$GCSPIKE" "$f" -o "$out.pb.gz" || fail "pprof output of $f"
  got_sums=$(sums "$out.pb.gz")
  [[ $got_sums == "$want_sums" ]] || fail "$f: pprof totals $got_sums != $want_sums"
  pass

  # folded: grammar, one line per unique stack, sorted, total.
  "$GCSPIKE" "$out.pb.gz" --no-detect -o "$out.folded" || fail "folded output of $f"
  folded_ok "$out.folded" ||
    { LC_ALL=C grep -vE "$folded_grammar" "$out.folded" | head -3 >&2; fail "$f: folded grammar"; }
  [[ -z $(sed 's/ [0-9]*$//' "$out.folded" | LC_ALL=C sort | uniq -d) ]] ||
    fail "$f: folded stacks repeat"
  LC_ALL=C sort -c "$out.folded" 2>/dev/null || fail "$f: folded lines are not sorted"
  got=$(folded_total "$out.folded")
  [[ $got == "$want" ]] || fail "$f: folded total $got != $want"
  pass

  # speedscope: schema, per-thread profiles and merged, totals.
  for merge in "" "--merge-threads"; do
    "$GCSPIKE" "$out.pb.gz" --no-detect $merge -o "$out.speedscope.json" ||
      fail "speedscope output of $f"
    read -r profiles total < <(speedscope_check "$out.speedscope.json") ||
      fail "$f: speedscope check $merge"
    [[ $total == "$want" ]] || fail "$f: speedscope total $total != $want ($merge)"
    [[ -z $merge || $profiles == 1 ]] || fail "$f: --merge-threads wrote $profiles profiles"
    pass
  done

  # report and json (the detectors' report of the same samples): the sample counts agree with
  # gocheck's.
  "$GCSPIKE" "$f" -o "$out.report.json" || fail "json report of $f"
  "$GCSPIKE" "$f" -o "$out.report.txt" || fail "text report of $f"
  # Sample weight: the "samples" sample type when there is one, else one per record.
  want_report=$(check_json "$f" | json - '
    ((i) => c.samples + " " + (i >= 0 ? c.sums[i] : c.samples))(
      c.sample_types.findIndex((t) => t.split("/")[0] === "samples"))')
  got_report=$(json "$out.report.json" 'c.sample_records + " " + c.samples')
  [[ $got_report == "$want_report" ]] ||
    fail "$f: json report records/samples $got_report, gocheck $want_report"
  grep -q '^gcspike report: ' "$out.report.txt" || fail "$f: -o .txt is not the text report"
  pass

  # Determinism of the text formats.
  "$GCSPIKE" "$out.pb.gz" --no-detect -o "$out.2.folded"
  "$GCSPIKE" "$out.pb.gz" --no-detect -o "$out.2.speedscope.json" --merge-threads
  cmp -s "$out.folded" "$out.2.folded" || fail "$f: folded output is not deterministic"
  cmp -s "$out.speedscope.json" "$out.2.speedscope.json" ||
    fail "$f: speedscope output is not deterministic"
  pass

  # --pseudo-frames on pprof only adds frames: without them the profile is the same.
  key=$(tag_key "$out.pb.gz")
  if [[ -n $key ]]; then
    for where in root leaf; do
      "$GCSPIKE" "$out.pb.gz" --no-detect --pseudo-frames=$where --pseudo-frame-keys="$key" \
        -o "$out.$where.pb.gz"
      "$GOCHECK" pprof-compare --ignore-pseudo-frames --pseudo-frame-re="^\\[$key " \
        "$out.pb.gz" "$out.$where.pb.gz" >/dev/null ||
        fail "$f: --pseudo-frames=$where changed more than frames"
      [[ $(sums "$out.$where.pb.gz") == "$want_sums" ]] || fail "$f: --pseudo-frames=$where totals"
      # go tool pprof shows the frames: with root, every labelled sample's outermost frame.
      go tool pprof -traces "$out.$where.pb.gz" 2>/dev/null | grep -q "\[$key " ||
        fail "$f: no [$key ...] frame in -traces"
      pass
    done
  fi
  n=$((n + 1))
done < <(pprof_fixtures)
[[ $n -gt 0 ]] || fail "no pprof fixtures found"

# The format follows the -o extension; --output-format wins over it.
f=$(pprof_fixtures | head -1)
"$GCSPIKE" "$f" -o "$WORK/x.speedscope.json" && speedscope_check "$WORK/x.speedscope.json" \
  >/dev/null || fail ".speedscope.json"
"$GCSPIKE" "$f" -o "$WORK/x.folded" && folded_ok "$WORK/x.folded" || fail ".folded"
"$GCSPIKE" "$f" -o "$WORK/x.pb.gz" || fail ".pb.gz"
[[ $(head -c2 "$WORK/x.pb.gz" | od -An -tx1 | tr -d ' ') == 1f8b ]] || fail ".pb.gz is not gzip"
"$GCSPIKE" "$f" --output-format=folded -o "$WORK/y.pb.gz" && folded_ok "$WORK/y.pb.gz" ||
  fail "--output-format wins"
"$GCSPIKE" "$f" --output-format=speedscope > "$WORK/z.json" &&
  speedscope_check "$WORK/z.json" >/dev/null || fail "speedscope on stdout"
pass
expect_exit 2 "$GCSPIKE" "$f" --output-format=svg -o "$WORK/bad.out"
grep -q 'pprof, speedscope, folded' "$WORK/out.txt" || fail "bad --output-format message"
[[ ! -e $WORK/bad.out ]] || fail "output written despite a usage error"
expect_exit 2 "$GCSPIKE" "$f" --pseudo-frames=top -o "$WORK/bad.out"

# A terminal on stdout: text formats are printed, binary pprof is refused (script(1) gives the
# command a pseudo-terminal).
script -qec "'$GCSPIKE' '$f' --output-format=folded" /dev/null > "$WORK/tty.txt" ||
  fail "folded to a terminal"
grep -qE ' [1-9][0-9]*' "$WORK/tty.txt" || fail "no folded stacks on the terminal"
code=0
script -qec "'$GCSPIKE' '$f'" /dev/null > "$WORK/tty.txt" || code=$?
[[ $code == 2 ]] || fail "pprof to a terminal: exit $code, want 2"
grep -q 'refusing to write a binary profile to a terminal' "$WORK/tty.txt" ||
  fail "no refusal message"
pass

echo "checked $n fixtures"
finish
