#!/usr/bin/env bash
# URL inputs against net/http/pprof (tests/e2e/pprofserver, standard library only) on
# 127.0.0.1: a CPU profile, a heap profile and an execution trace read as their files do,
# three servers merged in one call, and the failures (HTTP 500, a refused connection, HTML):
# exit 2, one line naming the URL, no output file.
source "$(dirname "$0")/lib.sh"

servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$SOURCE_DIR/tests/e2e/pprofserver" && go build -o "$WORK/pprofserver" .) ||
  fail "cannot build tests/e2e/pprofserver"

# start_server N FIXED: a server serving FIXED at /fixed; its base URL in url[N].
declare -A url
start_server() {
  local n=$1 fixed=$2
  "$WORK/pprofserver" -fixed "$fixed" >"$WORK/port.$n" 2>"$WORK/server.$n.err" &
  servers+=($!)
  for _ in $(seq 100); do
    [[ -s $WORK/port.$n ]] && break
    sleep 0.1
  done
  [[ -s $WORK/port.$n ]] || { cat "$WORK/server.$n.err" >&2; fail "server $n did not start"; }
  url[$n]="http://127.0.0.1:$(head -1 "$WORK/port.$n")"
}
fixtures=("$FIXTURES"/pprof/{go1.19,go1.26,go1.27.3}/grow.cpu.pb.gz)
# One server first: its workload has the CPUs to itself (the others start for the merge).
start_server 1 "${fixtures[0]}"
u=${url[1]}

# A CPU profile of the map-growing workload; --seconds sets the query.
start=$(date +%s.%N)
"$GCSPIKE" report "$u/debug/pprof/profile" --seconds 1 >"$WORK/cpu.txt" ||
  fail "report on $u/debug/pprof/profile"
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")
grep -q "^gcspike report: $u/debug/pprof/profile?seconds=1\$" "$WORK/cpu.txt" ||
  fail "report does not name the URL with seconds=1: $(head -1 "$WORK/cpu.txt")"
# A verdict needs 30 samples; on a machine busy with other work one second may give fewer.
if grep -q "too few to tell" "$WORK/cpu.txt"; then
  echo "fewer than 30 samples in 1 s (busy machine): again with --seconds 3"
  "$GCSPIKE" report "$u/debug/pprof/profile" --seconds 3 >"$WORK/cpu.txt" ||
    fail "report on $u/debug/pprof/profile"
fi
grep -Eq '^grow-spike .* spike ' "$WORK/cpu.txt" || { cat "$WORK/cpu.txt" >&2; fail "no grow-spike spike"; }
echo "cpu profile, --seconds 1: ${took}s"
pass

# A heap profile: every feature inconclusive, because of the profile type (exit 3 on a gate).
"$GCSPIKE" report --json "$u/debug/pprof/heap" >"$WORK/heap.json" || fail "report on /heap"
python3 - "$WORK/heap.json" <<'PY' || fail "heap: not inconclusive by profile type"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["profile_kind"] == "heap", d["profile_kind"]
assert d["overall"] == "inconclusive", d["overall"]
assert all(f["verdict"] == "inconclusive" for f in d["features"].values())
PY
expect_exit 3 "$GCSPIKE" report "$u/debug/pprof/heap" --fail-on 'grow-spike>10%'
pass

# An execution trace (without a CPU profile running, it has no CPU samples: the report says so).
"$GCSPIKE" report "$u/debug/pprof/trace?seconds=1" >"$WORK/trace.txt" || fail "report on /trace"
grep -q "execution trace has no CPU samples" "$WORK/trace.txt" ||
  { cat "$WORK/trace.txt" >&2; fail "/trace not read as an execution trace"; }
pass

start_server 2 "${fixtures[1]}"
start_server 3 "${fixtures[2]}"
# Three servers in one call. Recorded profiles (the same bytes on every fetch): the merge has
# the samples of the three files.
"$GCSPIKE" report --json "${url[1]}/fixed" "${url[2]}/fixed" "${url[3]}/fixed" >"$WORK/fleet.json"
want=$("$GOCHECK" pprof-check "${fixtures[@]}" | python3 -c '
import json, sys
n = r = 0
for line in sys.stdin:
    d = json.loads(line); n += d["sums"][0]; r += d["samples"]
print(n, r)')
got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["samples"], d["sample_records"])' "$WORK/fleet.json")
[[ $got == "$want" ]] || fail "merged samples/records $got, the three files $want"
pass
# The same three URLs through go tool pprof -proto: the same samples, time and duration.
summary() {
  "$GOCHECK" pprof-check "$1" | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
print(d["samples"], d["sums"], d["time_nanos"], d["duration_nanos"])'
}
fixed_urls=("${url[1]}/fixed" "${url[2]}/fixed" "${url[3]}/fixed")
go tool pprof -proto "${fixed_urls[@]}" >"$WORK/pprof-fleet.pb.gz" 2>"$WORK/pprof.err" ||
  { cat "$WORK/pprof.err" >&2; fail "go tool pprof -proto on the URLs"; }
"$GCSPIKE" annotate --no-detect "${fixed_urls[@]}" -o "$WORK/fixed-fleet.pb.gz"
[[ $(summary "$WORK/fixed-fleet.pb.gz") == "$(summary "$WORK/pprof-fleet.pb.gz")" ]] ||
  fail "gcspike $(summary "$WORK/fixed-fleet.pb.gz"), go tool pprof $(summary "$WORK/pprof-fleet.pb.gz")"
pass
# Live CPU profiles of three servers are fetched at once: about one profile's time, not three,
# and the merge's duration is the sum of the three (as go tool pprof -proto URL1 URL2 URL3).
start=$(date +%s.%N)
"$GCSPIKE" annotate --no-detect --seconds 1 -o "$WORK/fleet.pb.gz" \
  "${url[1]}/debug/pprof/profile" "${url[2]}/debug/pprof/profile" "${url[3]}/debug/pprof/profile"
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")
echo "three live CPU profiles of 1 s, fetched at once: ${took}s"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 2.5 else 1)' "$took" ||
  fail "three 1 s profiles took ${took}s: not fetched concurrently"
"$GOCHECK" pprof-check "$WORK/fleet.pb.gz" | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
assert d["valid"], d
assert d["sample_types"] == ["samples/count", "cpu/nanoseconds"], d["sample_types"]
assert d["samples"] > 0
assert 2.9e9 <= d["duration_nanos"] <= 4.5e9, d["duration_nanos"]' || fail "merged live profiles"
pass

# Names that are not files, as go tool pprof reads them: host:port, and a URL without a path,
# are the server's CPU profile; gcspike fetches the URL go tool pprof says it fetches.
hp=${u#http://}
"$GCSPIKE" report "$hp" --seconds 1 >"$WORK/hp.txt" 2>"$WORK/hp.err" || fail "report on $hp"
! grep -q -- "--seconds" "$WORK/hp.err" || fail "a URL input was told --seconds does nothing"
# --seconds on files alone does nothing, and is told so.
"$GCSPIKE" report --seconds 1 "${fixtures[1]}" >/dev/null 2>"$WORK/sec.err" || fail "report a file"
grep -q "^gcspike: warning: --seconds 1 sets how long a server profiles for a URL input, and no input is a URL: it does nothing here" \
  "$WORK/sec.err" || fail "--seconds on a file: $(cat "$WORK/sec.err")"
go tool pprof -raw -seconds 1 "$hp" >/dev/null 2>"$WORK/pprof-hp.err" ||
  { cat "$WORK/pprof-hp.err" >&2; fail "go tool pprof $hp"; }
want=$(sed -n 's/^Fetching profile over HTTP from //p' "$WORK/pprof-hp.err")
[[ $want == "$u/debug/pprof/profile?seconds=1" ]] || fail "go tool pprof fetched '$want'"
[[ $(head -1 "$WORK/hp.txt") == "gcspike report: $want" ]] ||
  fail "gcspike: '$(head -1 "$WORK/hp.txt")', go tool pprof fetched '$want'"
grep -q "^samples: .* profile: cpu;" "$WORK/hp.txt" || fail "$hp: not a CPU profile"
"$GCSPIKE" report --json "$u/" --seconds 1 >"$WORK/slash.json" || fail "report on $u/"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["profile_kind"] == "cpu", d["profile_kind"]' \
  "$WORK/slash.json" || fail "$u/: not the CPU profile"
pass

# Failures: exit 2, one line naming the URL, no output file.
refused_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
check_failure() {
  local target=$1 want=$2
  rm -f "$WORK/out.pb.gz"
  expect_exit 2 "$GCSPIKE" annotate "$target" -o "$WORK/out.pb.gz"
  local msg
  msg=$(cat "$WORK/out.txt")
  [[ $(wc -l <"$WORK/out.txt") -eq 1 ]] || fail "more than one line for $target: $msg"
  [[ $msg == "gcspike: $target: "* ]] || fail "message does not name $target: $msg"
  [[ $msg == *"$want"* ]] || fail "message for $target lacks '$want': $msg"
  [[ ! -e $WORK/out.pb.gz ]] || fail "output file left behind for $target"
}
check_failure "$u/fail" "HTTP status 500: injected failure for the test"
check_failure "http://127.0.0.1:$refused_port/debug/pprof/profile" "cannot fetch"
check_failure "$u/html" "byte 0: unrecognized input"
# One bad URL among good ones fails the whole call, naming the bad one.
check_failure "$u/fail" "HTTP status 500"
expect_exit 2 "$GCSPIKE" report "${url[2]}/fixed" "$u/fail"
grep -q "^gcspike: $u/fail: server responded with HTTP status 500" "$WORK/out.txt" ||
  fail "mixed inputs: $(cat "$WORK/out.txt")"
finish
