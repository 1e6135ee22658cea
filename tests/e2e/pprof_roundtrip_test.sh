#!/usr/bin/env bash
# Round trip of every pprof fixture, judged by pprof's real consumers: `go tool pprof -raw` of
# the output equals that of the input, and the independent Go decoder (google/pprof/profile)
# validates the output and finds the same samples. Output is byte-for-byte deterministic.
# ctest-labels: asan
source "$(dirname "$0")/lib.sh"

# -raw prints sample lines whose order and location numbering follow the file; both are kept
# by gcspike, so the only normalization is dropping the header line naming the input file.
raw() { go tool pprof -raw "$1" 2>/dev/null | grep -v '^Profile' ; }

n=0
while read -r f; do
  name=$(basename "$f")
  out="$WORK/$name.out.pb.gz"
  "$GCSPIKE" annotate "$f" -o "$out" --no-detect || fail "annotate $f"
  diff <(raw "$f") <(raw "$out") >"$WORK/raw.diff" || { head -40 "$WORK/raw.diff" >&2; fail "-raw differs for $f"; }
  pass
  "$GOCHECK" pprof-compare "$f" "$out" >/dev/null || { "$GOCHECK" pprof-compare "$f" "$out" | head >&2; fail "gocheck pprof-compare $f"; }
  pass
  "$GCSPIKE" annotate "$f" -o "$out.2" --no-detect
  cmp -s "$out" "$out.2" || fail "output is not deterministic for $f"
  pass
  # stdin and stdout: the same bytes as with -o.
  "$GCSPIKE" - --no-detect < "$f" > "$out.3"
  cmp -s "$out" "$out.3" || fail "stdin/stdout output differs for $f"
  cat "$f" | "$GCSPIKE" annotate - --no-detect > "$out.4"
  cmp -s "$out" "$out.4" || fail "pipe output differs for $f"
  pass
  n=$((n + 1))
done < <(pprof_fixtures)
[[ $n -gt 0 ]] || fail "no pprof fixtures found"

# Every field of profile.proto (comments, doc_url, drop/keep frames, is_folded, columns,
# numeric labels with units, several sample types, default_sample_type, build ids, has_*
# flags), set by the Go oracle on real profiles, survives too.
for f in "$FIXTURES"/pprof/go1.26/grow.cpu.pb.gz "$FIXTURES"/pprof/go1.19/grow.heap.pb.gz; do
  "$GOCHECK" pprof-enrich "$f" "$WORK/enriched.pb.gz" >/dev/null
  "$GCSPIKE" annotate "$WORK/enriched.pb.gz" -o "$WORK/enriched.out.pb.gz" --no-detect
  "$GOCHECK" pprof-compare "$WORK/enriched.pb.gz" "$WORK/enriched.out.pb.gz" >/dev/null ||
    fail "enriched round trip of $f"
  diff <(raw "$WORK/enriched.pb.gz") <(raw "$WORK/enriched.out.pb.gz") >/dev/null ||
    fail "-raw differs for the enriched $f"
  go tool pprof -raw "$WORK/enriched.out.pb.gz" 2>/dev/null | grep -q '^Doc:' || fail "doc_url lost"
  pass
done

# Raw (uncompressed) profile.proto input is accepted too, and --uncompressed writes it.
f=$(pprof_fixtures | head -1)
gunzip -c "$f" > "$WORK/raw.pb"
"$GCSPIKE" annotate "$WORK/raw.pb" --no-detect --uncompressed -o "$WORK/raw.out.pb"
[[ $(head -c2 "$WORK/raw.out.pb" | od -An -tx1 | tr -d ' ') != 1f8b ]] || fail "--uncompressed wrote gzip"
"$GOCHECK" pprof-compare "$f" "$WORK/raw.out.pb" >/dev/null || fail "raw input round trip"
pass

# gcspike pprof hands the profile to go tool pprof.
cpu=$(pprof_fixtures | grep 'cpu.pb.gz' | head -1)
"$GCSPIKE" pprof "$cpu" -- -top > "$WORK/top.txt" 2>&1 || { cat "$WORK/top.txt" >&2; fail "gcspike pprof -- -top"; }
grep -q 'flat%' "$WORK/top.txt" || fail "no top table from gcspike pprof"
pass

echo "round-tripped $n fixtures"
finish
