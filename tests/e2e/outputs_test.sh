#!/usr/bin/env bash
# Every output format of every pprof fixture: the sample totals equal the input's (judged by
# gocheck, i.e. google/pprof's decoder, for pprof; by the format's own arithmetic for the text
# formats), speedscope JSON validates against speedscope's published schema, folded stacks follow
# the grammar in formats/folded_writer.h, pseudo frames only add frames, output is deterministic,
# the format follows the -o extension, and text may go to a terminal while pprof may not.
source "$(dirname "$0")/lib.sh"

e2e_dir=$SOURCE_DIR/tests/e2e
[[ -d $e2e_dir/node_modules/ajv ]] || fail "tests/e2e/node_modules is missing: run scripts/setup-deps"

# sums FILE: the per-sample-type totals gocheck computes, space-separated.
sums() {
  "$GOCHECK" pprof-check "$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).sums.join(" ")))'
}
# default_total FILE: the total of the sample type viewers show (default_sample_type, else last).
default_total() {
  "$GOCHECK" pprof-check "$1" | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
      const c = JSON.parse(s);
      let i = c.sample_types.findIndex((t) => t.split("/")[0] === c.default_sample_type);
      if (i < 0) i = c.sample_types.length - 1;
      console.log(String(c.sums[i]));
    });'
}
# The folded grammar (formats/folded_writer.h): frames without ; CR LF, one space, a count > 0.
folded_ok() {
  ! LC_ALL=C grep -vE $'^[^;\r]+(;[^;\r]+)* [1-9][0-9]*$' "$1" >/dev/null
}
folded_total() {
  node -e 'let t = 0n; for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n"))
             if (l) t += BigInt(l.slice(l.lastIndexOf(" ") + 1)); console.log(String(t));' "$1"
}
# speedscope_check FILE: validates against the schema shipped with speedscope, checks that
# frame indices exist and endValue is the sum of weights; prints "PROFILES TOTAL".
speedscope_check() {
  (cd "$e2e_dir" && node --input-type=module -e '
    import fs from "node:fs";
    import Ajv from "ajv";
    const schema = JSON.parse(fs.readFileSync("node_modules/speedscope/dist/release/file-format-schema.json", "utf8"));
    const doc = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true });
    if (!ajv.validate(schema, doc)) { console.error(JSON.stringify(ajv.errors.slice(0, 5))); process.exit(1); }
    let total = 0n;
    for (const p of doc.profiles) {
      if (p.samples.length !== p.weights.length) { console.error("samples/weights lengths"); process.exit(1); }
      let sum = 0n;
      for (const w of p.weights) { if (!(w > 0)) { console.error("weight", w); process.exit(1); } sum += BigInt(w); }
      for (const s of p.samples) for (const f of s)
        if (!(f >= 0 && f < doc.shared.frames.length)) { console.error("frame index", f); process.exit(1); }
      if (BigInt(p.endValue - p.startValue) !== sum) { console.error("endValue", p.endValue, "!=", sum); process.exit(1); }
      total += sum;
    }
    console.log(doc.profiles.length + " " + total);' "$1")
}

n=0
while read -r f; do
  name=$(basename "$f" .pb.gz)
  out=$WORK/$name
  want_sums=$(sums "$f")
  want=$(default_total "$f")

  # pprof (detectors on): every sample type's total is kept.
  "$GCSPIKE" "$f" -o "$out.pb.gz" || fail "pprof output of $f"
  [[ $(sums "$out.pb.gz") == "$want_sums" ]] || fail "$f: pprof totals $(sums "$out.pb.gz") != $want_sums"
  pass

  # folded: grammar, one line per unique stack, sorted, total.
  "$GCSPIKE" "$out.pb.gz" --no-detect -o "$out.folded" || fail "folded output of $f"
  folded_ok "$out.folded" || { LC_ALL=C grep -vE $'^[^;\r]+(;[^;\r]+)* [1-9][0-9]*$' "$out.folded" | head -3 >&2; fail "$f: folded grammar"; }
  [[ -z $(sed 's/ [0-9]*$//' "$out.folded" | LC_ALL=C sort | uniq -d) ]] || fail "$f: folded stacks repeat"
  LC_ALL=C sort -c "$out.folded" 2>/dev/null || fail "$f: folded lines are not sorted"
  [[ $(folded_total "$out.folded") == "$want" ]] || fail "$f: folded total $(folded_total "$out.folded") != $want"
  pass

  # speedscope: schema, per-thread profiles and merged, totals.
  for merge in "" "--merge-threads"; do
    "$GCSPIKE" "$out.pb.gz" --no-detect $merge -o "$out.speedscope.json" || fail "speedscope output of $f"
    read -r profiles total < <(speedscope_check "$out.speedscope.json") || fail "$f: speedscope check $merge"
    [[ $total == "$want" ]] || fail "$f: speedscope total $total != $want ($merge)"
    [[ -z $merge || $profiles == 1 ]] || fail "$f: --merge-threads wrote $profiles profiles"
    pass
  done

  # report and json (the detectors' report of the same samples): the sample counts agree with
  # gocheck's.
  "$GCSPIKE" "$f" -o "$out.report.json" || fail "json report of $f"
  "$GCSPIKE" "$f" -o "$out.report.txt" || fail "text report of $f"
  "$GOCHECK" pprof-check "$f" | node -e '
    const fs = require("fs");
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
      const c = JSON.parse(s), r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const i = c.sample_types.findIndex((t) => t.split("/")[0] === "samples");
      const want = i >= 0 ? c.sums[i] : c.samples;
      if (r.sample_records !== c.samples || r.samples !== want) {
        console.error(`report: records ${r.sample_records} samples ${r.samples}, want ${c.samples} ${want}`);
        process.exit(1);
      }
    });' "$out.report.json" || fail "$f: json report totals"
  grep -q '^gcspike report: ' "$out.report.txt" || fail "$f: -o .txt is not the text report"
  pass

  # Determinism of the text formats.
  "$GCSPIKE" "$out.pb.gz" --no-detect -o "$out.2.folded"
  "$GCSPIKE" "$out.pb.gz" --no-detect -o "$out.2.speedscope.json" --merge-threads
  cmp -s "$out.folded" "$out.2.folded" || fail "$f: folded output is not deterministic"
  cmp -s "$out.speedscope.json" "$out.2.speedscope.json" || fail "$f: speedscope output is not deterministic"
  pass

  # --pseudo-frames on pprof only adds frames: without them the profile is the same.
  key=$("$GOCHECK" pprof-check "$out.pb.gz" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const k=Object.keys(JSON.parse(s).labels).sort();console.log(k.includes("gcspike")?"gcspike":(k[0]||""))})')
  if [[ -n $key ]]; then
    for where in root leaf; do
      "$GCSPIKE" "$out.pb.gz" --no-detect --pseudo-frames=$where --pseudo-frame-keys="$key" -o "$out.$where.pb.gz"
      "$GOCHECK" pprof-compare --ignore-pseudo-frames --pseudo-frame-re="^\\[$key " "$out.pb.gz" "$out.$where.pb.gz" >/dev/null ||
        fail "$f: --pseudo-frames=$where changed more than frames"
      [[ $(sums "$out.$where.pb.gz") == "$want_sums" ]] || fail "$f: --pseudo-frames=$where totals"
      # go tool pprof shows the frames: with root, every labelled sample's outermost frame.
      go tool pprof -traces "$out.$where.pb.gz" 2>/dev/null | grep -q "\[$key " || fail "$f: no [$key ...] frame in -traces"
      pass
    done
  fi
  n=$((n + 1))
done < <(pprof_fixtures)
[[ $n -gt 0 ]] || fail "no pprof fixtures found"

# The format follows the -o extension; --output-format wins over it.
f=$(pprof_fixtures | head -1)
"$GCSPIKE" "$f" -o "$WORK/x.speedscope.json" && head -c 12 "$WORK/x.speedscope.json" | grep -q '{"\$schema"' || fail ".speedscope.json"
"$GCSPIKE" "$f" -o "$WORK/x.folded" && folded_ok "$WORK/x.folded" || fail ".folded"
"$GCSPIKE" "$f" -o "$WORK/x.pb.gz" && [[ $(head -c2 "$WORK/x.pb.gz" | od -An -tx1 | tr -d ' ') == 1f8b ]] || fail ".pb.gz"
"$GCSPIKE" "$f" --output-format=folded -o "$WORK/y.pb.gz" && folded_ok "$WORK/y.pb.gz" || fail "--output-format wins"
"$GCSPIKE" "$f" --output-format=speedscope > "$WORK/z.json" && speedscope_check "$WORK/z.json" >/dev/null || fail "speedscope on stdout"
pass
expect_exit 2 "$GCSPIKE" "$f" --output-format=svg -o "$WORK/bad.out"
grep -q 'pprof, speedscope, folded' "$WORK/out.txt" || fail "bad --output-format message"
[[ ! -e $WORK/bad.out ]] || fail "output written despite a usage error"
expect_exit 2 "$GCSPIKE" "$f" --pseudo-frames=top -o "$WORK/bad.out"

# A terminal on stdout: text formats are printed, binary pprof is refused (script(1) gives the
# command a pseudo-terminal).
script -qec "'$GCSPIKE' '$f' --output-format=folded" /dev/null > "$WORK/tty.txt" || fail "folded to a terminal"
grep -qE ' [1-9][0-9]*' "$WORK/tty.txt" || fail "no folded stacks on the terminal"
code=0
script -qec "'$GCSPIKE' '$f'" /dev/null > "$WORK/tty.txt" || code=$?
[[ $code == 2 ]] || fail "pprof to a terminal: exit $code, want 2"
grep -q 'refusing to write a binary profile to a terminal' "$WORK/tty.txt" || fail "no refusal message"
pass

echo "checked $n fixtures"
finish
