#!/usr/bin/env bash
# The sample filters against independent oracles. Expected results come from go tool pprof
# (-tagfocus, -tagignore, -focus, -ignore, then -proto; totals and samples judged by gocheck) or,
# where pprof has no such filter (thread, goroutine, time window), from the labels pprof -raw
# prints, summed with awk. Inputs: every labelled CPU fixture; a copy with numeric labels from
# gocheck pprof-enrich; a copy with pid/tid/goroutine/timestamp_ns labels from
# tests/e2e/labelsynth (google/pprof's writer). Merging several inputs is checked too.
source "$(dirname "$0")/lib.sh"

sums() {
  "$GOCHECK" pprof-check "$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).sums.join(" ")))'
}
check_json() { "$GOCHECK" pprof-check "$1"; }
# same_as_pprof IN "GCSPIKE FLAGS" "PPROF FLAGS": gcspike's filtered profile holds exactly the
# samples pprof's does (gocheck pprof-compare: stacks, labels and values as multisets).
same_as_pprof() {
  local in=$1 ours=$2 theirs=$3
  # shellcheck disable=SC2086
  "$GCSPIKE" "$in" --no-detect $ours -o "$WORK/ours.pb.gz" 2>"$WORK/ours.err" || { cat "$WORK/ours.err" >&2; fail "gcspike $ours"; }
  # shellcheck disable=SC2086
  go tool pprof -proto $theirs "$in" > "$WORK/theirs.pb.gz" 2>/dev/null || fail "go tool pprof $theirs"
  "$GOCHECK" pprof-compare "$WORK/theirs.pb.gz" "$WORK/ours.pb.gz" > "$WORK/cmp.txt" ||
    { head -20 "$WORK/cmp.txt" >&2; fail "gcspike $ours differs from go tool pprof $theirs on $in"; }
  [[ $(sums "$WORK/ours.pb.gz") == "$(sums "$WORK/theirs.pb.gz")" ]] || fail "totals differ for $ours"
  pass
}
re_escape() { sed 's/[][\.^$*+?(){}|]/\\&/g' <<<"$1"; }

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
# condition (written over the variables L_<key>).
raw_sums() {
  awk -F'\t' -v OFMT='%.0f' -v CONVFMT='%.0f' "
    {
      delete L; n = split(\$2, kv, \" \")
      for (i = 1; i <= n; i++) { split(kv[i], p, \"=\"); L[p[1]] = p[2] }
      if (!($1)) next
      m = split(\$1, v, \" \"); for (i = 1; i <= m; i++) s[i] += v[i]; if (m > w) w = m
    }
    END { out = \"\"; for (i = 1; i <= w; i++) out = out (i > 1 ? \" \" : \"\") sprintf(\"%.0f\", s[i]); print out }" "$WORK/raw.tsv"
}

# --- label filters on the workloads' own string labels (pprof.Do), and on gcspike's ----------
labelled=0
while read -r f; do
  "$GCSPIKE" "$f" -o "$WORK/ann.pb.gz" || fail "annotate $f"
  check_json "$WORK/ann.pb.gz" > "$WORK/check.json"
  mapfile -t keys < <(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
                               for (const k of Object.keys(c.labels).sort()) console.log(k)' "$WORK/check.json")
  [[ ${#keys[@]} -gt 0 ]] || continue
  labelled=$((labelled + 1))
  for key in "${keys[@]}"; do
    mapfile -t values < <(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
                                   for (const v of Object.keys(c.labels[process.argv[2]]).sort()) console.log(v)' "$WORK/check.json" "$key")
    for v in "${values[@]:0:4}"; do
      ev=$(re_escape "$v")
      same_as_pprof "$WORK/ann.pb.gz" "--keep $key=$v" "-tagfocus=$key=^$ev\$"
      same_as_pprof "$WORK/ann.pb.gz" "--drop $key=$v" "-tagignore=$key=^$ev\$"
      # An unanchored regexp, like -tagfocus: the value's first two characters. pprof reads a
      # -tagfocus value that looks like a number or size ("0", "12kb") as a numeric range, so
      # its side is wrapped in a non-capturing group to stay a regexp.
      prefix=$(re_escape "${v:0:2}")
      same_as_pprof "$WORK/ann.pb.gz" "--keep $key~$prefix" "-tagfocus=$key=(?:$prefix)"
    done
    # Two values of one key are alternatives.
    if [[ ${#values[@]} -ge 2 ]]; then
      same_as_pprof "$WORK/ann.pb.gz" "--keep $key=${values[0]} --keep $key=${values[1]}" \
        "-tagfocus=$key=^($(re_escape "${values[0]}")|$(re_escape "${values[1]}"))\$"
    fi
  done
  # Filtering prunes what no sample uses any more.
  "$GCSPIKE" "$WORK/ann.pb.gz" --no-detect --keep "${keys[0]}=$(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(Object.keys(c.labels[process.argv[2]]).sort()[0])' "$WORK/check.json" "${keys[0]}")" -o "$WORK/pruned.pb.gz"
  before=$(check_json "$WORK/ann.pb.gz" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).locations))')
  after=$(check_json "$WORK/pruned.pb.gz" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).locations))')
  raw_locs=$(go tool pprof -raw "$WORK/pruned.pb.gz" 2>/dev/null | awk '/^Samples:/{s=1;next} /^Locations/{s=0} s && /: /{sub(/.*: /,""); for(i=1;i<=NF;i++) u[$i]=1} END{print length(u)}')
  [[ $after -lt $before ]] || fail "$f: filtering kept all $before locations"
  [[ $after == "$raw_locs" ]] || fail "$f: $after locations after filtering, samples use $raw_locs"
  pass
  # Frame filters: pprof's -focus/-ignore also match file and mapping names, so the regexps
  # are anchored function names.
  fn=$(go tool pprof -top -nodecount=500 "$WORK/ann.pb.gz" 2>/dev/null | awk '$NF ~ /^main\./ {print $NF}' | sort | head -1)
  if [[ -n $fn ]]; then
    same_as_pprof "$WORK/ann.pb.gz" "--focus ^$(re_escape "$fn")\$" "-focus=^$(re_escape "$fn")\$"
    same_as_pprof "$WORK/ann.pb.gz" "--ignore ^$(re_escape "$fn")\$" "-ignore=^$(re_escape "$fn")\$"
  fi
  same_as_pprof "$WORK/ann.pb.gz" "--focus ^runtime\.mapassign" "-focus=^runtime\.mapassign"
  same_as_pprof "$WORK/ann.pb.gz" "--ignore ^runtime\.mapassign" "-ignore=^runtime\.mapassign"
done < <(pprof_fixtures | grep -E 'cpu[^/]*\.pb\.gz$')
[[ $labelled -gt 0 ]] || fail "no CPU fixture carries labels"

cpu=$(pprof_fixtures | grep -E '/grow[^/]*cpu[^/]*\.pb\.gz$' | tail -1)
[[ -n $cpu ]] || fail "no grow CPU fixture"

# --- numeric labels (gocheck pprof-enrich adds bytes/bytes and latency/nanoseconds) -------------
"$GOCHECK" pprof-enrich "$cpu" "$WORK/enriched.pb.gz" >/dev/null || fail "pprof-enrich"
same_as_pprof "$WORK/enriched.pb.gz" "--keep latency>=500000000" "-tagfocus=latency=500ms:"
same_as_pprof "$WORK/enriched.pb.gz" "--keep bytes<=40000" "-tagfocus=bytes=:40000b"
same_as_pprof "$WORK/enriched.pb.gz" "--drop latency>=500000000" "-tagignore=latency=500ms:"

# --- threads, goroutines, time (labels from labelsynth) ---------------------------------------
(cd "$SOURCE_DIR/tests/e2e/labelsynth" && go build -o "$WORK/labelsynth" .) || fail "build labelsynth"
"$WORK/labelsynth" "$cpu" "$WORK/threads.pb.gz" || fail "labelsynth"
raw_samples "$WORK/threads.pb.gz" > "$WORK/raw.tsv"
[[ $(wc -l < "$WORK/raw.tsv") -gt 10 ]] || fail "too few samples in $cpu"
t0=$(awk -F'\t' '{ if (match($2, /timestamp_ns=[0-9]+/)) { t = substr($2, RSTART + 13, RLENGTH - 13) + 0; if (min == "" || t < min) min = t } } END { printf "%.0f\n", min }' "$WORK/raw.tsv")
ours() { "$GCSPIKE" "$WORK/threads.pb.gz" --no-detect "$@" -o "$WORK/t.pb.gz" || fail "gcspike $*"; sums "$WORK/t.pb.gz"; }
expect_sums() {
  local want=$1 got=$2 what=$3
  [[ $got == "$want" ]] || fail "$what: gcspike $got, pprof -raw labels say $want"
  pass
}
expect_sums "$(raw_sums 'L["tid"] == 101')" "$(ours --tid 101)" "--tid 101"
expect_sums "$(raw_sums 'L["tid"] == 100 || L["tid"] == 102')" "$(ours --tid 100,102)" "--tid 100,102"
expect_sums "$(raw_sums 'L["pid"] == 4001')" "$(ours --pid 4001)" "--pid 4001"
expect_sums "$(raw_sums 'L["goroutine"] == 3')" "$(ours --goroutine 3)" "--goroutine 3"
expect_sums "$(raw_sums 'L["goroutine"] == 3 && L["tid"] == 100')" "$(ours --goroutine 3 --tid 100)" "--goroutine 3 --tid 100"
expect_sums "$(raw_sums 'L["tid"] >= 101')" "$(ours --keep 'tid>=101')" "--keep tid>=101"
expect_sums "$(raw_sums 'L["tid"] != 101')" "$(ours --drop tid=101)" "--drop tid=101"
from=$((t0 + 5000000)); to=$((t0 + 20000000))
expect_sums "$(raw_sums "L[\"timestamp_ns\"] >= $from && L[\"timestamp_ns\"] < $to")" "$(ours --from $from --to $to)" "--from $from --to $to"
expect_sums "$(raw_sums "L[\"timestamp_ns\"] >= $from && L[\"timestamp_ns\"] < $to")" "$(ours --from +5ms --to +0.02s)" "--from +5ms --to +0.02s"
expect_sums "$(raw_sums "L[\"timestamp_ns\"] < $t0 + 1500000")" "$(ours --to +1.5ms)" "--to +1.5ms"
# speedscope: one profile per goroutine, samples in time order.
"$GCSPIKE" "$WORK/threads.pb.gz" --no-detect -o "$WORK/threads.speedscope.json" || fail "speedscope of threads"
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const names = d.profiles.map((p) => p.name).join(",");
  if (names !== "goroutine 1,goroutine 2,goroutine 3,goroutine 4") { console.error(names); process.exit(1); }' \
  "$WORK/threads.speedscope.json" || fail "speedscope profiles per goroutine"
pass
# Time order: labelsynth stamps samples in reverse file order, so the speedscope weights of
# goroutine 1 are pprof -raw's weights of goroutine 1 reversed.
want_w=$(awk -F'\t' '$2 ~ / goroutine=1 / { split($1, v, " "); if (v[2] > 0) print v[2] }' "$WORK/raw.tsv" | tac | paste -sd,)
got_w=$(node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(d.profiles[0].weights.join(","))' "$WORK/threads.speedscope.json")
[[ $got_w == "$want_w" ]] || fail "speedscope goroutine 1 weights $got_w, want (time order) $want_w"
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
want=$(for c in "${cpus[@]}"; do sums "$c"; done | awk '{for(i=1;i<=NF;i++) s[i]+=$i; if(NF>w) w=NF} END{for(i=1;i<=w;i++) printf "%s%.0f", (i>1?" ":""), s[i]; print ""}')
[[ $(sums "$WORK/merged.pb.gz") == "$want" ]] || fail "merged totals $(sums "$WORK/merged.pb.gz") != $want"
pass
# Filters apply to the merged samples: the labels of both inputs are there.
"$GCSPIKE" "${cpus[@]}" --no-detect -o "$WORK/merged.folded" || fail "merged folded"
heap=$(pprof_fixtures | grep -E '(alloc|heap)[^/]*\.pb\.gz$' | head -1)
[[ -n $heap ]] || fail "no heap fixture"
expect_exit 2 "$GCSPIKE" "${cpus[0]}" "$heap" -o "$WORK/none.pb.gz"
grep -q 'cannot merge' "$WORK/out.txt" && grep -q "$(basename "$heap")" "$WORK/out.txt" || { cat "$WORK/out.txt" >&2; fail "merge error message"; }
[[ ! -e $WORK/none.pb.gz ]] || fail "output written despite a merge error"

finish
