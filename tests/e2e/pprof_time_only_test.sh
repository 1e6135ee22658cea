#!/usr/bin/env bash
# A CPU profile that keeps only its time (cpu/nanoseconds without samples/count: a converter
# that writes one sample type, a continuous profiler's cpu series) is judged on the samples its
# rows stand for, each row's time over the period (docs/formats/pprof.md#counting-samples), as
# the profile runtime/pprof wrote is. gcspike counted each row once: grow.cpu.pb.gz's 249 rows
# for its 364 samples, key-copy 10.0 % [6.9-14.4] against 19.8 % [16.0-24.2], and a
# key-copy>15% gate the whole profile crosses passed (exit 0).
# The one-type profile is written by gocheck pprof-keep-type (github.com/google/pprof/profile);
# the count is checked against gocheck pprof-check's sum of samples/count in the original.
source "$(dirname "$0")/lib.sh"
[[ -x ${GOCHECK:-} ]] || fail "GOCHECK is not built"

for whole in "$FIXTURES"/pprof/go1.26/grow.cpu.pb.gz "$FIXTURES"/pprof/go1.19/grow.cpu.pb.gz; do
  name=$(basename "$(dirname "$whole")")
  timed=$WORK/$name.time-only.pb.gz
  "$GOCHECK" pprof-keep-type --type=cpu "$whole" "$timed" >/dev/null
  "$GOCHECK" pprof-check "$whole" "$timed" >"$WORK/check.json"
  "$GCSPIKE" report --json "$whole" >"$WORK/whole.json"
  "$GCSPIKE" report --json "$timed" >"$WORK/timed.json"
  python3 - "$WORK/check.json" "$WORK/whole.json" "$WORK/timed.json" <<'EOF' || fail "$name"
import json, sys
checks = [json.loads(l) for l in open(sys.argv[1])]
whole, timed = (json.load(open(f)) for f in sys.argv[2:4])
assert checks[0]["sample_types"][0] == "samples/count", checks[0]
assert checks[1]["sample_types"] == ["cpu/nanoseconds"], checks[1]
samples = checks[0]["sums"][0]           # the runtime's count, from the original profile
rows = checks[1]["samples"]
assert rows < samples, (rows, samples)   # rows aggregate several samples: counting them differs
assert timed["samples"] == samples, (timed["samples"], samples)
for name, f in whole["features"].items():
    g = timed["features"][name]
    for key in ("fraction", "interval", "verdict", "samples"):
        assert f.get(key) == g.get(key), (name, key, f.get(key), g.get(key))
print(f"ok: {rows} rows of cpu time stand for {samples} samples; every feature as in the whole")
EOF
  pass
  # Every gate decides as on the whole profile.
  for feature in grow-spike key-copy malloc-burst scanobject-hotspot; do
    for limit in 5 15 30; do
      want=0
      "$GCSPIKE" report "$whole" --fail-on "$feature>$limit%" >/dev/null 2>&1 || want=$?
      expect_exit "$want" "$GCSPIKE" report "$timed" --fail-on "$feature>$limit%"
    done
  done
done
# The case that was wrong: a gate the whole profile crosses passed on its time-only copy.
expect_exit 1 "$GCSPIKE" report "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz" --fail-on 'key-copy>15%'
expect_exit 1 "$GCSPIKE" report "$WORK/go1.26.time-only.pb.gz" --fail-on 'key-copy>15%'
finish
