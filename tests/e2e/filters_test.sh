#!/usr/bin/env bash
# The sample filters against independent oracles. Expected results come from go tool pprof
# (-tagfocus, -tagignore, -focus, -ignore, then -proto; totals and samples judged by gocheck) or,
# where pprof has no such filter (thread, goroutine, time window), from the labels pprof -raw
# prints, summed with awk. Inputs: the grow CPU fixture of each Go version; a copy with numeric
# labels from gocheck pprof-enrich; a copy with pid/tid/goroutine/timestamp_ns labels from
# tests/e2e/labelsynth (google/pprof's writer). Merging several inputs is checked too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/viewer_lib.sh"

# same_as_pprof IN "GCSPIKE FLAGS" "PPROF FLAGS": gcspike's filtered profile holds exactly the
# samples pprof's does (gocheck pprof-compare: stacks, labels and values as multisets).
same_as_pprof() {
  local in=$1 ours=$2 theirs=$3
  # shellcheck disable=SC2086
  "$GCSPIKE" "$in" --no-detect $ours -o "$WORK/ours.pb.gz" 2>"$WORK/ours.err" ||
    { cat "$WORK/ours.err" >&2; fail "gcspike $ours"; }
  # shellcheck disable=SC2086
  go tool pprof -proto $theirs "$in" > "$WORK/theirs.pb.gz" 2>/dev/null ||
    fail "go tool pprof $theirs"
  # (pprof-compare sums values per distinct sample, so equal profiles have equal totals.)
  "$GOCHECK" pprof-compare "$WORK/theirs.pb.gz" "$WORK/ours.pb.gz" > "$WORK/cmp.txt" ||
    { head -20 "$WORK/cmp.txt" >&2; fail "gcspike $ours differs from pprof $theirs on $in"; }
  pass
}

# raw_samples FILE: one line per sample, "v1 v2 ...<TAB> key=value key=value ", from pprof -raw.
raw_samples() {
  go tool pprof -raw "$1" 2>/dev/null | awk '
    /^Samples:/ { in_samples = 1; next }
    /^Locations/ { if (have) print vals "\t" labels; in_samples = 0; have = 0 }
    !in_samples { next }
    /^ *[0-9-]+( +[0-9-]+)*: / {
      if (have) print vals "\t" labels
      split($0, parts, ":"); vals = parts[1]; gsub(/^ +| +$/, "", vals); gsub(/ +/, " ", vals)
      labels = " "; have = 1; next
    }
    have && /:\[/ {
      line = $0
      while (match(line, /[A-Za-z_][A-Za-z0-9_]*:\[[^]]*\]/)) {
        item = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
        key = substr(item, 1, index(item, ":") - 1)
        val = substr(item, index(item, "[") + 1); sub(/\]$/, "", val); sub(/ .*/, "", val)
        labels = labels key "=" val " "
      }
    }
    END { if (have) print vals "\t" labels }'
}
# raw_sums AWK_CONDITION: totals of the samples of $WORK/raw.tsv whose labels satisfy the
# condition, written over the array L (L["tid"] is the sample's tid label).
raw_sums() {
  awk -F'\t' -v OFMT='%.0f' -v CONVFMT='%.0f' "
    {
      delete L; n = split(\$2, kv, \" \")
      for (i = 1; i <= n; i++) { split(kv[i], p, \"=\"); L[p[1]] = p[2] }
      if (!($1)) next
      m = split(\$1, v, \" \"); for (i = 1; i <= m; i++) s[i] += v[i]; if (m > w) w = m
    }
    END {
      out = \"\"
      for (i = 1; i <= w; i++) out = out (i > 1 ? \" \" : \"\") sprintf(\"%.0f\", s[i])
      print out
    }" "$WORK/raw.tsv"
}

# --- label filters on the workloads' own string labels (pprof.Do), and on gcspike's ----------
labelled=0
while read -r f; do
  "$GCSPIKE" "$f" -o "$WORK/ann.pb.gz" || fail "annotate $f"
  check_json "$WORK/ann.pb.gz" > "$WORK/check.json"
  mapfile -t keys < <(json "$WORK/check.json" 'Object.keys(c.labels).sort()')
  [[ ${#keys[@]} -gt 0 ]] || continue
  labelled=$((labelled + 1))
  for key in "${keys[@]}"; do
    mapfile -t values < <(json "$WORK/check.json" "Object.keys(c.labels['$key']).sort()")
    for v in "${values[@]:0:3}"; do
      ev=$(re_escape "$v")
      exact="^$ev\$"
      # On the gcspike key, = is membership in the +-joined feature set (a whole set with a +
      # in it still matches only itself).
      [[ $key == gcspike && $v != *+* ]] && exact="(^|\+)$ev(\+|\$)"
      same_as_pprof "$WORK/ann.pb.gz" "--keep $key=$v" "-tagfocus=$key=$exact"
      same_as_pprof "$WORK/ann.pb.gz" "--drop $key=$v" "-tagignore=$key=$exact"
      # An unanchored regexp, like -tagfocus: the value's first two characters, in a group so
      # that pprof does not read a digit as a numeric tag range.
      prefix="($(re_escape "${v:0:2}"))"
      same_as_pprof "$WORK/ann.pb.gz" "--keep $key~$prefix" "-tagfocus=$key=$prefix"
    done
    # Two values of one key are alternatives.
    if [[ ${#values[@]} -ge 2 && $key != gcspike ]]; then
      same_as_pprof "$WORK/ann.pb.gz" "--keep $key=${values[0]} --keep $key=${values[1]}" \
        "-tagfocus=$key=^($(re_escape "${values[0]}")|$(re_escape "${values[1]}"))\$"
    fi
  done
  # --keep gcspike=grow-spike keeps what users mean and what pprof's own spelling selects: every
  # sample whose feature set has grow-spike (grow-spike+key-copy too).
  if [[ " ${keys[*]} " == *" gcspike "* ]] &&
    json "$WORK/check.json" "Object.keys(c.labels.gcspike).join(' ')" | grep -q 'grow-spike'; then
    same_as_pprof "$WORK/ann.pb.gz" "--keep gcspike=grow-spike" "-tagfocus=gcspike=grow-spike"
    same_as_pprof "$WORK/ann.pb.gz" "--drop gcspike=grow-spike" "-tagignore=gcspike=grow-spike"
  fi
  # Filtering prunes what no sample uses any more.
  first=$(json "$WORK/check.json" "Object.keys(c.labels['${keys[0]}']).sort()[0]")
  "$GCSPIKE" "$WORK/ann.pb.gz" --no-detect --keep "${keys[0]}=$first" -o "$WORK/pruned.pb.gz"
  before=$(check_json "$WORK/ann.pb.gz" | json - c.locations)
  after=$(check_json "$WORK/pruned.pb.gz" | json - c.locations)
  # The distinct location ids the samples of pprof -raw name.
  raw_locs=$(go tool pprof -raw "$WORK/pruned.pb.gz" 2>/dev/null | awk '
    /^Samples:/ { s = 1; next }
    /^Locations/ { s = 0 }
    s && /: / { sub(/.*: /, ""); for (i = 1; i <= NF; i++) u[$i] = 1 }
    END { print length(u) }')
  [[ $after -lt $before ]] || fail "$f: filtering kept all $before locations"
  [[ $after == "$raw_locs" ]] || fail "$f: $after locations after filtering, samples use $raw_locs"
  pass
  # Frame filters: pprof's -focus/-ignore also match file and mapping names, so the regexps
  # are anchored function names.
  fn=$(go tool pprof -top -nodecount=500 "$WORK/ann.pb.gz" 2>/dev/null |
    awk '$NF ~ /^main\./ {print $NF}' | sort | head -1)
  if [[ -n $fn ]]; then
    fre="^$(re_escape "$fn")\$"
    same_as_pprof "$WORK/ann.pb.gz" "--focus $fre" "-focus=$fre"
    same_as_pprof "$WORK/ann.pb.gz" "--ignore $fre" "-ignore=$fre"
  fi
  same_as_pprof "$WORK/ann.pb.gz" "--focus ^runtime\.mapassign" "-focus=^runtime\.mapassign"
  same_as_pprof "$WORK/ann.pb.gz" "--ignore ^runtime\.mapassign" "-ignore=^runtime\.mapassign"
done < <(pprof_fixtures | grep -E '/grow[^/]*cpu[^/]*\.pb\.gz$')
[[ $labelled -gt 0 ]] || fail "no grow CPU fixture carries labels"

cpu=$(pprof_fixtures | grep -E '/grow[^/]*cpu[^/]*\.pb\.gz$' | tail -1)
[[ -n $cpu ]] || fail "no grow CPU fixture"

# --pid on a Go profile, whose samples carry no pid: the warning names the option as typed,
# what it means, and the label keys the annotated samples carry (gocheck's list of them).
"$GCSPIKE" "$cpu" -o "$WORK/ann.pb.gz" || fail "annotate $cpu"
check_json "$WORK/ann.pb.gz" > "$WORK/check.json"
keys=$(json "$WORK/check.json" "Object.keys(c.labels).sort().join(', ')")
"$GCSPIKE" "$cpu" --pid 5 -o "$WORK/pid.pb.gz" 2>"$WORK/pid.err" || fail "--pid 5 on $cpu"
want="gcspike: warning: --pid 5 (--keep pid=5): no sample has a 'pid' label, so it keeps none"
want+=" (labels: $keys)"
grep -qxF "$want" "$WORK/pid.err" || { cat "$WORK/pid.err" >&2; fail "--pid 5 warning: $want"; }
pass

# gcspike report takes the same filters: its sample count is that of pprof's selection.
read -r rkey rvalue < <(check_json "$cpu" |
  json - '((k) => k + " " + Object.keys(c.labels[k]).sort()[0])(Object.keys(c.labels).sort()[0])')
[[ -n $rkey ]] || fail "$cpu has no string labels"
go tool pprof -proto -tagfocus="$rkey=^$(re_escape "$rvalue")\$" "$cpu" > "$WORK/rsel.pb.gz" \
  2>/dev/null
want=$(sums "$WORK/rsel.pb.gz" | cut -d' ' -f1)
got=$("$GCSPIKE" report --json "$cpu" --keep "$rkey=$rvalue" | json - c.samples)
[[ $got == "$want" ]] || fail "gcspike report --keep $rkey=$rvalue counts $got samples, pprof $want"
pass

# --- numeric labels (gocheck pprof-enrich adds bytes/bytes and latency/nanoseconds) -------------
"$GOCHECK" pprof-enrich "$cpu" "$WORK/enriched.pb.gz" >/dev/null || fail "pprof-enrich"
same_as_pprof "$WORK/enriched.pb.gz" "--keep latency>=500000000" "-tagfocus=latency=500ms:"
same_as_pprof "$WORK/enriched.pb.gz" "--keep bytes<=40000" "-tagfocus=bytes=:40000b"
same_as_pprof "$WORK/enriched.pb.gz" "--drop latency>=500000000" "-tagignore=latency=500ms:"

# --- threads, goroutines, time (labels from labelsynth) ---------------------------------------
(cd "$SOURCE_DIR/tests/e2e/labelsynth" && go build -o "$WORK/labelsynth" .) ||
  fail "build labelsynth"
"$WORK/labelsynth" "$cpu" "$WORK/threads.pb.gz" || fail "labelsynth"
raw_samples "$WORK/threads.pb.gz" > "$WORK/raw.tsv"
[[ $(wc -l < "$WORK/raw.tsv") -gt 10 ]] || fail "too few samples in $cpu"
t0=$(awk -F'\t' '
  match($2, /timestamp_ns=[0-9]+/) {
    t = substr($2, RSTART + 13, RLENGTH - 13) + 0
    if (min == "" || t < min) min = t
  }
  END { printf "%.0f\n", min }' "$WORK/raw.tsv")
ours() {
  "$GCSPIKE" "$WORK/threads.pb.gz" --no-detect "$@" -o "$WORK/t.pb.gz" || fail "gcspike $*"
  sums "$WORK/t.pb.gz"
}
expect_sums() {
  local want=$1 got=$2 what=$3
  [[ $got == "$want" ]] || fail "$what: gcspike $got, pprof -raw labels say $want"
  pass
}
expect_sums "$(raw_sums 'L["tid"] == 101')" "$(ours --tid 101)" "--tid 101"
expect_sums "$(raw_sums 'L["tid"] == 100 || L["tid"] == 102')" "$(ours --tid 100,102)" \
  "--tid 100,102"
expect_sums "$(raw_sums 'L["pid"] == 4001')" "$(ours --pid 4001)" "--pid 4001"
expect_sums "$(raw_sums 'L["goroutine"] == 3')" "$(ours --goroutine 3)" "--goroutine 3"
expect_sums "$(raw_sums 'L["goroutine"] == 3 && L["tid"] == 100')" \
  "$(ours --goroutine 3 --tid 100)" "--goroutine 3 --tid 100"
expect_sums "$(raw_sums 'L["tid"] >= 101')" "$(ours --keep 'tid>=101')" "--keep tid>=101"
expect_sums "$(raw_sums 'L["tid"] != 101')" "$(ours --drop tid=101)" "--drop tid=101"
from=$((t0 + 5000000))
to=$((t0 + 20000000))
window="L[\"timestamp_ns\"] >= $from && L[\"timestamp_ns\"] < $to"
expect_sums "$(raw_sums "$window")" "$(ours --from $from --to $to)" "--from $from --to $to"
expect_sums "$(raw_sums "$window")" "$(ours --from +5ms --to +0.02s)" "--from +5ms --to +0.02s"
expect_sums "$(raw_sums "L[\"timestamp_ns\"] < $t0 + 1500000")" "$(ours --to +1.5ms)" "--to +1.5ms"
# speedscope: one profile per goroutine, samples in time order.
"$GCSPIKE" "$WORK/threads.pb.gz" --no-detect -o "$WORK/threads.speedscope.json" ||
  fail "speedscope of threads"
names=$(json "$WORK/threads.speedscope.json" 'c.profiles.map((p) => p.name).join(",")')
[[ $names == "goroutine 1,goroutine 2,goroutine 3,goroutine 4" ]] ||
  fail "speedscope profiles: $names"
pass
# Time order: labelsynth stamps samples in reverse file order, so the speedscope weights of
# goroutine 1 are pprof -raw's weights of goroutine 1 reversed.
want_w=$(awk -F'\t' '$2 ~ / goroutine=1 / { split($1, v, " "); if (v[2] > 0) print v[2] }' \
  "$WORK/raw.tsv" | tac | paste -sd,)
got_w=$(json "$WORK/threads.speedscope.json" 'c.profiles[0].weights.join(",")')
[[ $got_w == "$want_w" ]] || fail "speedscope goroutine 1 weights $got_w, want $want_w"
pass

# The same filters on a real execution trace, whose CPU samples carry goroutine and
# timestamp_ns labels (formats' trace reader): the oracle is the converted profile's pprof -raw.
trace=$(find "$FIXTURES/trace" -name 'grow.trace' | sort | tail -1)
[[ -n $trace ]] || fail "no grow trace fixture"
"$GCSPIKE" "$trace" --no-detect -o "$WORK/trace.pb.gz" || fail "convert $trace"
raw_samples "$WORK/trace.pb.gz" > "$WORK/raw.tsv"
g=$(awk -F'\t' 'match($2, /goroutine=[0-9]+/) { print substr($2, RSTART + 10, RLENGTH - 10) }' \
  "$WORK/raw.tsv" | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
[[ -n $g ]] || fail "$trace: no goroutine labels"
t0=$(awk -F'\t' '
  match($2, /timestamp_ns=[0-9]+/) {
    t = substr($2, RSTART + 13, RLENGTH - 13) + 0
    if (min == "" || t < min) min = t
  }
  END { printf "%.0f\n", min }' "$WORK/raw.tsv")
from=$((t0 + 500000000))
to=$((t0 + 1500000000))
trace_ours() {
  "$GCSPIKE" "$WORK/trace.pb.gz" --no-detect "$@" -o "$WORK/t.pb.gz" || fail "gcspike $*"
  sums "$WORK/t.pb.gz"
}
expect_sums "$(raw_sums "L[\"goroutine\"] == $g")" "$(trace_ours --goroutine "$g")" \
  "trace --goroutine $g"
expect_sums "$(raw_sums "L[\"timestamp_ns\"] >= $from && L[\"timestamp_ns\"] < $to")" \
  "$(trace_ours --from +0.5s --to +1500ms)" "trace --from +0.5s --to +1500ms"
[[ $(trace_ours --from +0.5s --to +1500ms) != "0 0" ]] || fail "trace window selects nothing"
"$GCSPIKE" "$WORK/trace.pb.gz" --no-detect -o "$WORK/trace.speedscope.json" ||
  fail "speedscope of $trace"
want_profiles=$(awk -F'\t' '{ if (match($2, /goroutine=[0-9-]+/)) print substr($2, RSTART, RLENGTH);
                               else print "none" }' "$WORK/raw.tsv" | sort -u | wc -l)
got_profiles=$(json "$WORK/trace.speedscope.json" 'c.profiles.length')
[[ $got_profiles == "$want_profiles" ]] ||
  fail "$trace: $got_profiles speedscope profiles, $want_profiles goroutines"
pass

# Errors are usage errors (exit 2, no output).
expect_exit 2 "$GCSPIKE" "$cpu" --from +1s -o "$WORK/none.pb.gz"
grep -q timestamp_ns "$WORK/out.txt" || fail "--from without timestamps: message"
expect_exit 2 "$GCSPIKE" "$cpu" --keep 'nokey' -o "$WORK/none.pb.gz"
expect_exit 2 "$GCSPIKE" "$cpu" --keep 'k~(' -o "$WORK/none.pb.gz"
expect_exit 2 "$GCSPIKE" "$cpu" --focus '(' -o "$WORK/none.pb.gz"
expect_exit 2 "$GCSPIKE" "$cpu" --tid abc -o "$WORK/none.pb.gz"
expect_exit 2 "$GCSPIKE" "$WORK/threads.pb.gz" --from 1.5s -o "$WORK/none.pb.gz"
[[ ! -e $WORK/none.pb.gz ]] || fail "an output file was written despite an error"

# --- merging several inputs -----------------------------------------------------------------
mapfile -t cpus < <(pprof_fixtures | grep -E 'cpu[^/]*\.pb\.gz$' | head -3)
[[ ${#cpus[@]} -ge 2 ]] || fail "need two CPU fixtures to merge"
"$GCSPIKE" "${cpus[@]}" --no-detect -o "$WORK/merged.pb.gz" || fail "merge ${cpus[*]}"
want=$(for c in "${cpus[@]}"; do sums "$c"; done | awk '
  { for (i = 1; i <= NF; i++) s[i] += $i; if (NF > w) w = NF }
  END { for (i = 1; i <= w; i++) printf "%s%.0f", (i > 1 ? " " : ""), s[i]; print "" }')
[[ $(sums "$WORK/merged.pb.gz") == "$want" ]] ||
  fail "merged totals $(sums "$WORK/merged.pb.gz") != $want"
pass
# Filters see the merged samples: filtering the inputs together equals pprof filtering the merge.
mkey=$(check_json "$WORK/merged.pb.gz" | json - 'Object.keys(c.labels).sort()[0]')
mval=$(check_json "$WORK/merged.pb.gz" | json - "Object.keys(c.labels['$mkey']).sort()[0]")
"$GCSPIKE" "${cpus[@]}" --no-detect --keep "$mkey=$mval" -o "$WORK/merged-kept.pb.gz" ||
  fail "merge with --keep"
go tool pprof -proto -tagfocus="$mkey=^$(re_escape "$mval")\$" "$WORK/merged.pb.gz" \
  > "$WORK/merged-theirs.pb.gz" 2>/dev/null
"$GOCHECK" pprof-compare "$WORK/merged-theirs.pb.gz" "$WORK/merged-kept.pb.gz" >/dev/null ||
  fail "--keep $mkey=$mval on merged inputs differs from pprof -tagfocus on the merge"
pass
heap=$(pprof_fixtures | grep -E '(alloc|heap)[^/]*\.pb\.gz$' | head -1)
[[ -n $heap ]] || fail "no heap fixture"
expect_exit 2 "$GCSPIKE" "${cpus[0]}" "$heap" -o "$WORK/none.pb.gz"
grep -q 'cannot merge' "$WORK/out.txt" && grep -q "$(basename "$heap")" "$WORK/out.txt" ||
  { cat "$WORK/out.txt" >&2; fail "merge error message"; }
[[ ! -e $WORK/none.pb.gz ]] || fail "output written despite a merge error"

finish
