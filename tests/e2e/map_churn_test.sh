#!/usr/bin/env bash
# map-churn (plugin/detect/map_churn.h) on the committed traces (go1.19, go1.26, go1.27.3;
# churn, nochurn, grow):
#  1. map_churn_check.py recomputes the runs per goroutine from the trace's CPU samples and
#     blocking events as golang.org/x/exp/trace reads them (gocheck trace-stats --stacks
#     --timeline) and checks the report's counts, runs, longest runs, interval and verdict;
#  2. go tool pprof -raw -tagfocus=gcspike=map-churn on the annotated trace selects exactly the
#     oracle's churn samples, each with gcspike_run = its run's length (map_churn_raw.py);
#  3. the churn fixtures are spikes and the nochurn ones (a blocking receive between fills) not;
#  4. --map-churn-run reaches the report; bad values are usage errors; a pprof CPU profile has
#     map-churn inconclusive (no-timeline); the text report says what the JSON does.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
[[ -n ${GOCHECK:-} && -x $GOCHECK ]] || fail "no gocheck"
command -v go > /dev/null || fail "go is not on PATH"

for v in go1.19 go1.26 go1.27.3; do
  for mode in churn nochurn grow; do
    f=$FIXTURES/trace/$v/$mode.trace
    [[ -f $f ]] || fail "missing fixture $f"
    name=$v-$mode
    "$GCSPIKE" report --json "$f" > "$WORK/$name.json" || fail "report --json $f"
    "$GOCHECK" trace-stats --stacks --timeline "$f" > "$WORK/$name.oracle" ||
      fail "gocheck cannot read $f"
    python3 "$HERE/map_churn_check.py" "$WORK/$name.json" "$WORK/$name.oracle" > "$WORK/check.txt" ||
      fail "$name: the report's map-churn differs from the trace's events"
    sed "s/^/$name: /" "$WORK/check.txt"
    pass
    "$GCSPIKE" annotate "$f" -o "$WORK/$name.pb.gz" || fail "annotate $f"
    n=$(go tool pprof -raw -tagfocus=gcspike=map-churn "$WORK/$name.pb.gz" 2>/dev/null |
      python3 "$HERE/map_churn_raw.py" "$WORK/$name.oracle") ||
      fail "$name: -tagfocus=gcspike=map-churn does not select the oracle's churn samples"
    echo "$name: -tagfocus=gcspike=map-churn selects the oracle's $n churn samples"
    pass
    verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["features"]["map-churn"]["verdict"])' "$WORK/$name.json")
    case $mode in
      churn) [[ $verdict == spike ]] || fail "$name: map-churn is $verdict, not spike" ;;
      nochurn) [[ $verdict != spike ]] || fail "$name: map-churn is a spike with blocking between fills" ;;
    esac
    pass
  done
done

# 4. The flag reaches the report and the checks; bad values are usage errors.
f=$FIXTURES/trace/go1.26/churn.trace
"$GCSPIKE" report --json --map-churn-run=6 "$f" > "$WORK/run6.json" || fail "report --map-churn-run=6"
python3 "$HERE/map_churn_check.py" "$WORK/run6.json" "$WORK/go1.26-churn.oracle" 6 > "$WORK/check.txt" ||
  fail "--map-churn-run=6: the report's map-churn differs from the trace's events"
sed "s/^/run 6: /" "$WORK/check.txt"
pass
expect_bad_report_flags "$f" --map-churn-run=1 --map-churn-pct=0 --map-churn-pct=nan
cpu=$(pprof_fixtures | grep '/grow[^/]*cpu[^/]*\.pb\.gz$' | head -1)
"$GCSPIKE" report --json "$cpu" > "$WORK/cpu.json" || fail "report --json $cpu"
python3 - "$WORK/cpu.json" <<'PY' || fail "$cpu: map-churn without a timeline"
import json, sys
m = json.load(open(sys.argv[1]))["features"]["map-churn"]
assert m["verdict"] == "inconclusive" and m["cause"] == "no-timeline" and m["samples"] == 0, m
PY
pass
"$GCSPIKE" report "$f" > "$WORK/text.txt" || fail "report $f"
python3 - "$WORK/go1.26-churn.json" "$WORK/text.txt" <<'PY' || fail "text and JSON reports disagree"
import json, re, sys
m = json.load(open(sys.argv[1]))["features"]["map-churn"]
text = open(sys.argv[2]).read()
r = re.search(r"^  map-churn: (\d+) of (\d+) samples .* in (\d+) runs of at least (\d+) .*: (\w+)",
              text, re.M)
assert r, text
assert (int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5]) == (
    m["map_churn_samples"], m["samples"], m["runs"], m["run_length"], m["verdict"]), r.groups()
rows = re.findall(r"^    goroutine (\d+): longest run (\d+) samples .* site (\S+)$", text, re.M)
assert [(int(g), int(n), s) for g, n, s in rows] == [
    (x["id"], x["longest_run"], x["site"] or "?") for x in m["longest_runs"]], rows
PY
pass
finish
