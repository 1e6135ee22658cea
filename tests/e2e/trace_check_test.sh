#!/usr/bin/env bash
# Go execution traces: gcspike's trace reader against the independent reader in
# golang.org/x/exp/trace (gocheck trace-stats), on every fixture trace and every external trace.
#  1. `gcspike trace-stats --stacks` (the reader's model: timeline counts and every CPU sample)
#     equals `gocheck trace-stats --stacks` exactly: sample, GC cycle, STW pause and mark-assist
#     counts, per-reason pauses, the begin/active/end bookkeeping, each sample's goroutine and
#     stack, and its timestamp (x/exp may move a timestamp a few ns later where two events share
#     a tick; trace_compare.py explains).
#  2. The annotated pprof that `gcspike annotate` writes is valid for google/pprof, has one
#     sample per CPU sample, and `go tool pprof -traces` on it shows the same (goroutine, stack)
#     multiset as x/exp.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")

traces() {
  if [[ -d "$FIXTURES/trace" ]]; then
    find "$FIXTURES/trace" -type f \( -name '*.trace' -o -name '*.out' \) | sort
  fi
  # The real (not crafted) traces of the fuzz seed corpus: Go 1.20, 1.26 and 1.27 writers.
  find "$SOURCE_DIR/tests/fuzz/corpus/go_trace" -name 'real-*.trace' | sort
  # ../shared sits beside the checkout in CI; a git worktree is one level deeper.
  local d
  for d in "${SHARED_DIR:-$SOURCE_DIR/../shared}" "$SOURCE_DIR/../../shared"; do
    if [[ -d "$d/external-traces" ]]; then
      find "$d/external-traces" -name '*.trace' | sort
      return
    fi
  done
}

mapfile -t all_traces < <(traces)
n=0
for f in "${all_traces[@]}"; do
  name=$(basename "$f")
  "$GOCHECK" trace-stats --stacks "$f" > "$WORK/want.txt" || fail "gocheck cannot read $f"
  "$GCSPIKE" trace-stats --stacks "$f" > "$WORK/got.txt" || fail "gcspike trace-stats $f"
  python3 "$HERE/trace_compare.py" "$WORK/want.txt" "$WORK/got.txt" > "$WORK/cmp.txt" \
    || fail "$f: gcspike and x/exp/trace disagree"
  echo "$name: $(cat "$WORK/cmp.txt")"
  pass

  "$GCSPIKE" annotate "$f" -o "$WORK/$name.pb.gz" || fail "annotate $f"
  samples=$(head -1 "$WORK/want.txt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cpu_samples"])')
  "$GOCHECK" pprof-check "$WORK/$name.pb.gz" > "$WORK/check.json" || fail "invalid pprof from $f"
  python3 - "$WORK/check.json" "$samples" <<'PY' || fail "$f: pprof output does not hold the trace's samples"
import json, sys
c = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
assert c["samples"] == want, (c["samples"], want)
assert c["sample_types"] == ["samples/count", "cpu/nanoseconds"], c["sample_types"]
assert c["period_type"] == "cpu/nanoseconds" and c["period"] == 10_000_000
assert want == 0 or c["sums"] == [want, want * 10_000_000], c["sums"]
for key, unit in (("timestamp_ns", "nanoseconds"), ("goroutine", "goroutine"), ("gc_cycle", "count")):
    if want:
        assert c["num_labels"][key] == {"unit": unit, "count": want}, (key, c["num_labels"].get(key))
PY
  pass
  if [[ $samples -gt 0 ]]; then
    tail -n +2 "$WORK/want.txt" | cut -d' ' -f2- | sort > "$WORK/want.stacks"
    go tool pprof -traces "$WORK/$name.pb.gz" 2>/dev/null | python3 "$HERE/trace_traces_from_pprof.py" > "$WORK/got.stacks"
    diff "$WORK/want.stacks" "$WORK/got.stacks" > "$WORK/stacks.diff" \
      || { head -20 "$WORK/stacks.diff" >&2; fail "$f: pprof -traces stacks differ from x/exp"; }
    pass
  fi
  # The report's timeline section lists every GC cycle of the timeline: completed, cut at the
  # trace start, unfinished and whole-trace ones, as x/exp counts them.
  cycles=$(head -1 "$WORK/want.txt" | python3 -c 'import json,sys; d=json.load(sys.stdin)["gc_detail"]; print(d["completed"]+d["cut_at_start"]+d["unfinished"]+d["whole_trace"])')
  "$GCSPIKE" report "$f" > "$WORK/report.txt" || fail "report $f"
  if [[ $samples -gt 0 ]]; then
    grep -q "^  GC cycles: $cycles\$" "$WORK/report.txt" \
      || { sed -n '/Execution trace/,$p' "$WORK/report.txt" | head >&2; fail "$f: report does not list $cycles GC cycles"; }
    pass
  fi
  n=$((n + 1))
done
[[ $n -ge 4 ]] || fail "found only $n traces (want the fixtures and ../shared/external-traces)"

# Time rules, seen through go tool pprof: the Go 1.20 seed trace has grow-spike samples just
# before stop-the-world pauses; pre-pause comes after the stack features in the gcspike value,
# followed only by the later time features (map-churn, mark-overlap); --pre-pause-ms 0 and
# --cluster-min-samples change what is labelled.
tiny="$SOURCE_DIR/tests/fuzz/corpus/go_trace/real-go120-tiny.trace"
"$GCSPIKE" annotate "$tiny" -o "$WORK/time.pb.gz" --cluster-min-samples 1
go tool pprof -tags "$WORK/time.pb.gz" 2>/dev/null > "$WORK/tags.txt"
grep -qE ': grow-spike[a-z+-]*\+pre-pause(\+map-churn)?(\+mark-overlap)?$' "$WORK/tags.txt" || { cat "$WORK/tags.txt" >&2; fail "no pre-pause label"; }
grep -q 'gcspike_cluster:' "$WORK/tags.txt" || fail "no gcspike_cluster label with --cluster-min-samples 1"
pass
"$GCSPIKE" annotate "$tiny" -o "$WORK/time0.pb.gz" --pre-pause-ms 0 --cluster-eps-ms 0 --cluster-min-samples 100
go tool pprof -tags "$WORK/time0.pb.gz" 2>/dev/null > "$WORK/tags0.txt"
! grep -q 'pre-pause' "$WORK/tags0.txt" || fail "pre-pause with --pre-pause-ms 0"
! grep -q 'gcspike_cluster' "$WORK/tags0.txt" || fail "clusters with --cluster-min-samples 100"
pass
expect_exit 2 "$GCSPIKE" annotate "$tiny" -o "$WORK/x.pb.gz" --cluster-min-samples 0
"$GCSPIKE" report "$tiny" | grep -q '^Execution trace timeline' || fail "report has no timeline section"
pass

# --assist-profile: a third sample type whose total is the mark-assist wall time.
f=${all_traces[0]}
"$GCSPIKE" annotate --assist-profile "$f" -o "$WORK/assist.pb.gz" || fail "--assist-profile"
"$GOCHECK" pprof-check "$WORK/assist.pb.gz" | grep -q '"mark_assist_wall/nanoseconds"' || fail "no assist sample type"
# report reads its inputs as annotate does (it once ignored --assist-profile): one record per
# CPU sample and per mark assist, as x/exp/trace counts them.
want=$("$GOCHECK" trace-stats "$f" |
  python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["cpu_samples"] + d["mark_assists"])')
got=$("$GCSPIKE" report --json --assist-profile "$f" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["sample_records"])')
[[ $got == "$want" ]] || fail "report --assist-profile: $got records, x/exp/trace: $want"
pass

# Time-based assist coupling on the grow traces: samples inside their goroutine's mark assist
# with a map insert or grow on their stack (or on the stack that began the assist) exist, and
# the stack rules label every one of them assist-coupling too.
for f in "$FIXTURES"/trace/go*/grow.trace; do
  line=$("$GCSPIKE" report "$f" | grep 'samples inside a mark assist') || fail "no assist line for $f"
  by_time=$(sed -n 's/.*assist-coupling by time ([^)]*): \([0-9]*\), of which.*/\1/p' <<<"$line")
  both=$(sed -n 's/.*, of which \([0-9]*\) the stack rules.*/\1/p' <<<"$line")
  [[ -n $by_time && $by_time -gt 0 ]] || fail "no time-based assist-coupling in $f: $line"
  [[ $both == "$by_time" ]] || fail "time and stack disagree on assist-coupling in $f: $line"
  pass
done

# Bad traces: one line naming the byte offset, exit 2, no output file.
printf 'go 1.26 trace\0\0\0\001\001' > "$WORK/trunc.trace"
expect_exit 2 "$GCSPIKE" annotate "$WORK/trunc.trace" -o "$WORK/none.pb.gz"
grep -q 'byte 1[0-9]' "$WORK/out.txt" || { cat "$WORK/out.txt" >&2; fail "no byte offset in: $(cat "$WORK/out.txt")"; }
[[ ! -e "$WORK/none.pb.gz" ]] || fail "an output file was left for a bad trace"
for f in "${all_traces[@]}"; do [[ $f == *1.25_* ]] && head -c 100000 "$f" > "$WORK/cut.trace"; done
[[ -s "$WORK/cut.trace" ]] || fail "no 1.25 trace to cut"
expect_exit 2 "$GCSPIKE" annotate "$WORK/cut.trace" -o "$WORK/none.pb.gz"
[[ $(wc -l < "$WORK/out.txt") -eq 1 ]] || fail "more than one line for a truncated trace"
finish
