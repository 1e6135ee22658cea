#!/usr/bin/env bash
# Fleet merges (issue 19): 1,000 small CPU profiles with distinct locations (gocheck
# pprof-fleet: the fixtures grow.tiny, mild.short and generic of Go 1.26, each copy's mapping and
# locations at its own address) merged
#  - like go tool pprof -proto of the same inputs. Normalisation (gocheck pprof-compare
#    --ignore-mapping-ranges): samples are compared as multisets of (stack, labels) with values
#    summed, so gcspike keeping samples apart and pprof summing equal ones agree; frames are
#    compared by mapping file, build id and offset and by the address relative to the mapping's
#    start, because pprof merges mappings that differ only in their load address (google/pprof's
#    mapKey) and moves their locations into the first one's range, where gcspike keeps each
#    mapping as it was; the header (sample types, period, time, duration, comments, ...) must be
#    equal as it is;
#  - byte-identical whatever --jobs (decoding runs on threads, the merge is in input order);
#  - associatively: partial merges of 10 inputs each, merged, are byte-identical to the single
#    merge (canonical order: tables in order of first appearance, strings in order of first
#    use); shuffled inputs give the same profile up to table order (pprof-compare equal);
#  - in bounded memory: the peak RSS of the 1,000-input merge is within twice that of reading
#    and writing its merged output alone (the merged profile in memory) plus 40 MB;
# and --label-inputs / report --group-by judge each input on its own samples; a file named twice
# is told.
source "$(dirname "$0")/lib.sh"

N=1000
mkdir -p "$WORK/in"
"$GOCHECK" pprof-fleet --n "$N" --dir "$WORK/in" \
  "$FIXTURES"/pprof/go1.26/{grow.tiny,mild.short,generic}.cpu.pb.gz >/dev/null
(cd "$WORK" && find in -name 'p*.pb.gz' | sort) >"$WORK/list.txt"
[[ $(wc -l <"$WORK/list.txt") == "$N" ]] || fail "pprof-fleet wrote $(wc -l <"$WORK/list.txt") files"
cd "$WORK"

# --inputs-from: one path a line; blank lines and # comments are ignored.
{
  echo "# the fleet"
  echo
  cat list.txt
} >list-commented.txt
/usr/bin/time -f %M -o rss-merge.txt "$GCSPIKE" merge --inputs-from list-commented.txt \
  -o merged.pb.gz
pass

# go tool pprof -proto of the same inputs (-symbolize=none: they are symbolized, and the
# binaries named in their mappings are not here).
go tool pprof -proto -symbolize=none $(cat list.txt) >pprof.pb.gz 2>pprof.err ||
  { cat pprof.err >&2; fail "go tool pprof -proto"; }
"$GOCHECK" pprof-compare --ignore-mapping-ranges merged.pb.gz pprof.pb.gz >cmp.txt ||
  { head -c 3000 cmp.txt >&2; fail "merge of $N differs from go tool pprof -proto"; }
pass

# Byte-identical whatever the number of decoding threads.
for jobs in 1 3; do
  "$GCSPIKE" merge --inputs-from list.txt --jobs "$jobs" -o "merged-j$jobs.pb.gz"
  cmp -s merged.pb.gz "merged-j$jobs.pb.gz" || fail "--jobs $jobs changes the output"
  pass
done
# The list from standard input, and on the command line: the same.
"$GCSPIKE" merge --inputs-from - -o merged-stdin.pb.gz <list.txt
cmp -s merged.pb.gz merged-stdin.pb.gz || fail "--inputs-from - differs"
"$GCSPIKE" merge $(head -50 list.txt) -o first50-args.pb.gz
head -50 list.txt | "$GCSPIKE" merge --inputs-from - -o first50-list.pb.gz
cmp -s first50-args.pb.gz first50-list.pb.gz || fail "--inputs-from differs from arguments"
pass

# A list that names one file twice (./ in front the second time): its samples would count
# twice, so the merge says so, once, naming both spellings; a fleet's distinct files say nothing.
{
  head -3 list.txt
  echo "./$(sed -n 2p list.txt)"
} >list-repeat.txt
"$GCSPIKE" merge --inputs-from list-repeat.txt -o repeat.pb.gz 2>repeat.err
[[ $(grep -c 'named again' repeat.err) == 1 ]] &&
  grep -qF "./$(sed -n 2p list.txt): the same file as $(sed -n 2p list.txt), named again" repeat.err ||
  fail "repeated input: $(cat repeat.err)"
"$GCSPIKE" merge --inputs-from list.txt -o /dev/null 2>distinct.err
! grep -q 'named again' distinct.err || fail "distinct inputs told as repeated"
pass

# Associativity: shards of 10 merged, then the partials merged (in two levels).
mkdir shards
split -l 10 -d -a 3 list.txt shards/s
for s in shards/s*; do
  "$GCSPIKE" merge --inputs-from "$s" -o "$s.pb.gz"
done
ls shards/s*.pb.gz | sort >partials.txt
[[ $(wc -l <partials.txt) == $((N / 10)) ]] || fail "$(wc -l <partials.txt) partials"
"$GCSPIKE" merge --inputs-from partials.txt -o merged-of-partials.pb.gz
cmp -s merged.pb.gz merged-of-partials.pb.gz || fail "merge of partial merges differs in bytes"
pass
# Uneven nesting: the first 37 partials merged, then that with the rest.
head -37 partials.txt | "$GCSPIKE" merge --inputs-from - -o left.pb.gz
{
  echo left.pb.gz
  tail -n +38 partials.txt
} | "$GCSPIKE" merge --inputs-from - -o nested.pb.gz
cmp -s merged.pb.gz nested.pb.gz || fail "nested merge differs in bytes"
pass
# Another order: the same profile up to the order of its tables (not the same bytes).
shuf --random-source=<(yes) list.txt >shuffled.txt
"$GCSPIKE" merge --inputs-from shuffled.txt -o shuffled.pb.gz
"$GOCHECK" pprof-compare shuffled.pb.gz merged.pb.gz >cmp-shuffled.txt ||
  { head -c 3000 cmp-shuffled.txt >&2; fail "shuffled inputs give another profile"; }
pass
# The report of a merge of partials is the report of the single merge.
"$GCSPIKE" report --json merged.pb.gz | sed 's/"input":"[^"]*"//' >report-all.json
"$GCSPIKE" report --json --inputs-from partials.txt | sed 's/"input":"[^"]*"//' >report-partials.json
cmp -s report-all.json report-partials.json || fail "report of the partials differs"
pass

# Memory: the merge's peak within twice the merged profile's (read and written alone) + 40 MB.
# (Here the merged profile is as large as all inputs together; the check below is the one
# that holding every input would fail.)
/usr/bin/time -f %M -o rss-single.txt "$GCSPIKE" merge merged.pb.gz -o roundtrip.pb.gz
merge_kb=$(tail -1 rss-merge.txt)
single_kb=$(tail -1 rss-single.txt)
limit_kb=$((2 * single_kb + 40 * 1024))
echo "peak RSS: merge of $N inputs $merge_kb KB; the merged profile alone $single_kb KB"
((merge_kb <= limit_kb)) ||
  fail "merging $N inputs peaked at $merge_kb KB; the merged profile alone at $single_kb KB"
pass

# Memory when the merge is small: 2,000 inputs with the same locations and 2 samples each
# (gocheck pprof-fleet --shared --samples 2). Holding every decoded input until all are read
# (gcspike before issue 19) peaked at ~76 MB for 1,000 of them; streaming stays within twice
# the merged profile's peak plus 20 MB (thread stacks and arenas, --jobs decoded inputs).
mkdir small
"$GOCHECK" pprof-fleet --shared --samples 2 --n 2000 --dir small \
  "$FIXTURES"/pprof/go1.26/{mild.long,control,grow}.cpu.pb.gz >/dev/null
find small -name 'p*.pb.gz' | sort >small.txt
/usr/bin/time -f %M -o rss-small.txt "$GCSPIKE" merge --inputs-from small.txt -o small.pb.gz
/usr/bin/time -f %M -o rss-small-alone.txt "$GCSPIKE" merge small.pb.gz -o small2.pb.gz
merge_kb=$(tail -1 rss-small.txt)
single_kb=$(tail -1 rss-small-alone.txt)
echo "peak RSS: merge of 2000 small inputs $merge_kb KB; the merged profile alone $single_kb KB"
((merge_kb <= 2 * single_kb + 20 * 1024)) ||
  fail "merging 2000 inputs peaked at $merge_kb KB; the merged profile alone at $single_kb KB"
pass

# --label-inputs and report --group-by: grow judged spike, presized normal, each on its own.
grow="$FIXTURES/pprof/go1.26/grow.cpu.pb.gz"
presized="$FIXTURES/pprof/go1.26/presized.cpu.pb.gz"
"$GCSPIKE" merge --label-inputs input "$grow" "$presized" -o labelled.pb.gz
"$GCSPIKE" report --json --group-by input labelled.pb.gz >groups.json
python3 - "$grow" "$presized" groups.json <<'EOF' || fail "report --group-by"
import json, sys
grow, presized, path = sys.argv[1:4]
d = json.load(open(path))
g = {x["group"]: x["report"] for x in d["groups"]["groups"]}
assert d["groups"]["key"] == "input", d["groups"]
assert list(g) == [grow, presized], list(g)
assert g[grow]["features"]["grow-spike"]["verdict"] == "spike", g[grow]["features"]["grow-spike"]
assert g[presized]["features"]["grow-spike"]["verdict"] == "normal", g[presized]["features"]["grow-spike"]
assert g[grow]["samples"] + g[presized]["samples"] == d["samples"]
EOF
pass
"$GCSPIKE" report --group-by input labelled.pb.gz >groups.txt
# Columns: overall verdict, grow-spike verdict, share, interval, samples, group.
grep -Eq "^  [a-z]+ +spike .*/grow.cpu.pb.gz$" groups.txt || { cat groups.txt >&2; fail "text table"; }
grep -Eq "^  [a-z]+ +normal .*/presized.cpu.pb.gz$" groups.txt ||
  { cat groups.txt >&2; fail "text table"; }
pass
# A merge of labelled merges keeps each sample's first label.
"$GCSPIKE" merge --label-inputs input labelled.pb.gz "$grow" -o relabelled.pb.gz
"$GCSPIKE" report --json --group-by input relabelled.pb.gz >regroups.json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["group"] for x in d["groups"]["groups"]] == [sys.argv[2], sys.argv[3]], d["groups"]
' regroups.json "$grow" "$presized" || fail "labels of a merge of merges"
pass

# Errors name the input.
expect_exit 2 "$GCSPIKE" merge --inputs-from missing.txt
grep -q "missing.txt" "$WORK/out.txt" || fail "no file named: $(cat "$WORK/out.txt")"
printf 'in/p00000.pb.gz\nin/nope.pb.gz\n' >bad.txt
expect_exit 2 "$GCSPIKE" merge --inputs-from bad.txt -o bad.pb.gz
grep -q "in/nope.pb.gz" "$WORK/out.txt" || fail "no input named: $(cat "$WORK/out.txt")"
finish
