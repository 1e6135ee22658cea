#!/usr/bin/env bash
# ctest-labels: asan
# Small inputs that expand into a lot of work (made at test time by amplified_inputs.py): the
# memory gcspike takes follows what is distinct in them (docs/memory.md), and past --max-memory
# they are refused with one line naming the file, the offset and the limit (exit 2), never
# std::bad_alloc. Peak RSS is measured with /usr/bin/time; the bounds below are docs/memory.md's
# formula for each input plus the binary's own ~30 MiB. Under ASan+UBSan (a Debug build, ~20x
# slower) the inputs are a tenth as large, so each case stays within ~30 s, and the bounds are
# scaled for the shadow memory and quarantine.
source "$(dirname "$0")/lib.sh"

TIME=/usr/bin/time
[[ -x $TIME ]] || fail "/usr/bin/time is needed to measure peak RSS"
GEN="$(dirname "$0")/amplified_inputs.py"
scale=1 tenth=1
if grep -qa __asan_init "$GCSPIKE"; then scale=2 tenth=10; fi
out=$WORK/out.pb.gz

# measure BOUND_MB WANT_EXIT CMD...: runs CMD, checks its exit status and that its peak RSS
# stays under BOUND_MB (times the sanitizer scale); the output is in $WORK/log.txt.
measure() {
  local bound=$(($1 * scale)) want=$2
  shift 2
  local got=0 start=$SECONDS
  $TIME -f %M -o "$WORK/rss.txt" "$@" >"$WORK/log.txt" 2>&1 || got=$?
  local rss
  rss=$(tail -1 "$WORK/rss.txt")
  [[ $got == "$want" ]] || { cat "$WORK/log.txt" >&2; fail "exit $got, want $want: $*"; }
  ((rss < bound * 1024)) || fail "peak RSS $((rss / 1024)) MiB over $bound MiB: $*"
  echo "ok: exit $got, peak RSS $((rss / 1024)) MiB < $bound MiB, $((SECONDS - start)) s: ${*:2}"
  pass
}

# refused: the one line of an exit-2 refusal names the file, an offset and the limit.
refused() {
  local file=$1 limit=$2
  [[ $(wc -l <"$WORK/log.txt") -eq 1 ]] || fail "more than one line: $(cat "$WORK/log.txt")"
  local line="^gcspike: [^ ]*$file: byte [0-9]+( of decompressed data)?: "
  line+=".*memory budget of $limit bytes; --max-memory"
  grep -qE "$line" "$WORK/log.txt" ||
    fail "refusal lacks file, offset or limit: $(cat "$WORK/log.txt")"
  [[ ! -e $out ]] || fail "output written although refused"
  pass
}

# count_in_output NEEDLE_FILE WANT: the decompressed output holds NEEDLE's bytes WANT times
# (an independent count, by Python, of what gcspike wrote).
count_in_output() {
  python3 - "$out" "$1" "$2" <<'PY' || fail "output does not hold every sample"
import gzip, sys
data = gzip.open(sys.argv[1]).read()
needle = open(sys.argv[2], "rb").read()
got = data.count(needle)
if got != int(sys.argv[3]):
    sys.exit("%d copies of the sample, want %s" % (got, sys.argv[3]))
PY
  pass
}

# 1. 10^7 samples on one location (116 KB gzipped, 80 MB decoded): one distinct sample, the
# samples spooled to a temporary file. Was 2.4 GB and 11 s. Bound: the decoded input (80 MB,
# held with its buffer's regrowth: 2x) plus fixed buffers.
python3 "$GEN" one-location $((10000000 / tenth)) "$WORK/one.pb.gz"
measure 250 0 "$GCSPIKE" annotate "$WORK/one.pb.gz" -o "$out"
printf '\x12\x06\x0a\x01\x01\x12\x01\x01' >"$WORK/one-sample.bin"  # loc 1, value 1
count_in_output "$WORK/one-sample.bin" $((10000000 / tenth))
# The samples written are the samples read: a small one, spooled and in memory, byte for byte.
python3 "$GEN" one-location 100000 "$WORK/small.pb.gz"
"$GCSPIKE" annotate "$WORK/small.pb.gz" -o "$WORK/spooled.pb.gz"
"$GCSPIKE" annotate --in-memory "$WORK/small.pb.gz" -o "$WORK/plain.pb.gz"
cmp -s <(zcat "$WORK/spooled.pb.gz") <(zcat "$WORK/plain.pb.gz") || fail "spooled != in-memory"
pass

# The viewer outputs walk the spool's records instead of making a model sample of each
# (docs/memory.md#outputs): 10^7 samples as folded stacks take what annotate takes (2.4 GB
# before), and as speedscope add 24 bytes per sample and the 6-byte-per-sample JSON (2.4 GB
# before).
rm -f "$out"
measure 250 0 "$GCSPIKE" annotate --output-format=folded "$WORK/one.pb.gz" -o "$out"
[[ $(cat "$out") == "f1 $((10000000 / tenth))" ]] || fail "folded: $(head -c 200 "$out")"
pass
measure 600 0 "$GCSPIKE" annotate --output-format=speedscope "$WORK/one.pb.gz" -o "$out"
python3 - "$out" $((10000000 / tenth)) <<'PY' || fail "speedscope does not hold every sample"
import json, sys
d = json.load(open(sys.argv[1]))
(p,) = d["profiles"]
n = int(sys.argv[2])
if len(p["samples"]) != n or sum(p["weights"]) != n or set(map(tuple, p["samples"])) != {(0,)}:
    sys.exit("%d samples, weights %d, want %d" % (len(p["samples"]), sum(p["weights"]), n))
PY
pass
# Byte for byte what the in-memory read writes, for each viewer output.
viewers_match_in_memory() {  # INPUT
  local f
  for f in folded speedscope chrome-trace; do
    "$GCSPIKE" annotate --output-format=$f "$1" -o "$WORK/spooled.$f" ||
      fail "$f of $1 (spooled)"
    "$GCSPIKE" annotate --in-memory --output-format=$f "$1" -o "$WORK/plain.$f" ||
      fail "$f of $1 (--in-memory)"
    cmp -s "$WORK/spooled.$f" "$WORK/plain.$f" || fail "$f of $1: spooled != in-memory"
    pass
  done
}
viewers_match_in_memory "$WORK/small.pb.gz"
# A perf.data: records with their own thread and time (speedscope splits and sorts by them,
# the Chrome trace draws each) over a few distinct stacks.
command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi
(cd "$SOURCE_DIR/fixtures/src" && go build -o "$WORK/wl" ./workload) || fail "go build workload"
mkdir -p "$WORK/home"
HOME="$WORK/home" perf record -q -e cpu-clock -F 999 -g -o "$WORK/wl.data" -- "$WORK/wl" \
  -mode grow -duration 1s >/dev/null 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record"; }
viewers_match_in_memory "$WORK/wl.data"

# The steps that still need one model sample per record (filters, report --group-by,
# --label-inputs, merging) are bounded by --max-memory: 10^6 samples would take 136 MB as
# samples, so under 64 MiB each is refused with one line naming the input and the limit (the
# spool is read after the input: there is no input offset to name), and no output is written.
python3 "$GEN" one-location $((1000000 / tenth)) "$WORK/million.pb.gz"
budget=$((64 / tenth))
expanding_refused() {
  local line="^gcspike: [^ ]*million.pb.gz: expanding the $((1000000 / tenth)) spooled samples "
  line+=".*memory budget of $((budget << 20)) bytes; --max-memory raises it$"
  [[ $(wc -l <"$WORK/log.txt") -eq 1 ]] || fail "more than one line: $(cat "$WORK/log.txt")"
  grep -qE "$line" "$WORK/log.txt" || fail "refusal lacks file or limit: $(cat "$WORK/log.txt")"
  [[ ! -e $out ]] || fail "output written although refused"
  pass
}
rm -f "$out"
measure 150 2 "$GCSPIKE" annotate --max-memory=${budget}M --keep thread=1 \
  "$WORK/million.pb.gz" -o "$out"
expanding_refused
measure 150 2 "$GCSPIKE" report --max-memory=${budget}M --group-by=thread \
  "$WORK/million.pb.gz" -o "$out"
expanding_refused
# Two inputs: a copy, since a file named twice is warned about (its samples would count twice).
mkdir -p "$WORK/copy" && cp "$WORK/million.pb.gz" "$WORK/copy/million.pb.gz"
measure 150 2 "$GCSPIKE" merge --max-memory=${budget}M "$WORK/million.pb.gz" \
  "$WORK/copy/million.pb.gz" -o "$out"
expanding_refused
# With room, the same filter runs.
measure 400 0 "$GCSPIKE" annotate --max-memory=1G --keep thread=1 "$WORK/million.pb.gz" -o "$out"

# 2. 1,000 samples of one 10^5-frame stack: one distinct stack (800 KB of ids) and 1,000
# records. Was 891 MB. Bound: the decoded input (100 MB, 2x) plus fixed buffers.
python3 "$GEN" long-stacks $((1000 / tenth)) 100000 "$WORK/long.pb.gz"
measure 300 0 "$GCSPIKE" annotate "$WORK/long.pb.gz" -o "$out"
python3 - "$WORK/stack.bin" <<'PY'
import sys
frames = bytes(1 + i % 100 for i in range(100000))
open(sys.argv[1], "wb").write(b"\x0a" + bytes([0xa0, 0x8d, 0x06]) + frames)  # field 1, 100000
PY
count_in_output "$WORK/stack.bin" $((1000 / tenth))
# 1,000 distinct such stacks are 800 MB of model: past a 200 MiB budget they are refused at
# the sample that crosses it, before the model grows further.
python3 "$GEN" long-stacks $((1000 / tenth)) 100000 "$WORK/distinct.pb.gz" --distinct
rm -f "$out"
budget=$((200 / tenth))
measure 450 2 "$GCSPIKE" annotate --max-memory=${budget}M "$WORK/distinct.pb.gz" -o "$out"
refused distinct.pb.gz $((budget << 20))

# 3. A Go 1.26 trace whose first generation's event batches repeat to 100 MB: the batches
# spill to a temporary file past 32 MiB and the range and heap events are merged from sorted
# runs, so what grows is the timeline those events make (~4 bytes of model per byte of them).
# Under a 64 MiB budget it is refused; with 600 MiB it fits, and gcspike stays under budget +
# the fixed buffers (32 MiB of batches, 8 MiB of events) + the binary.
python3 "$GEN" repeat-generation "$FIXTURES/trace/go1.26/grow.trace" $((100 / tenth)) \
  "$WORK/repeat.trace"
budget=$((64 / tenth))
measure 150 2 "$GCSPIKE" trace-stats --max-memory=${budget}M "$WORK/repeat.trace"
refused repeat.trace $((budget << 20))
measure 700 0 "$GCSPIKE" trace-stats --max-memory=600M "$WORK/repeat.trace"
grep -q '"generations":4' "$WORK/log.txt" ||
  fail "not every generation read: $(cat "$WORK/log.txt")"
pass

# 4. annotate on a 20 MB such trace: every copy repeats the first generation's heap points, so
# each 10 ms of the heap series holds the points of all the copies, which FindHeapSteps once
# rescanned from every point (quadratic: minutes at 40 MB); now one pass with a max tree.
# Bound: the timeline (~4 bytes per byte of trace, 80 MB) + the fixed buffers (40 MiB) + the
# binary (30 MiB) + the labelled profile. No time limit here but ctest's.
python3 "$GEN" repeat-generation "$FIXTURES/trace/go1.26/grow.trace" $((20 / tenth)) \
  "$WORK/repeat20.trace"
rm -f "$out"
measure 250 0 "$GCSPIKE" annotate "$WORK/repeat20.trace" -o "$out"
go tool pprof -raw "$out" 2>/dev/null | grep -q 'gcspike:' ||
  fail "annotate wrote no gcspike labels on the repeated trace"
pass


# 5. perf.data, made by the generator, which perf itself must read (the check that it writes
# the format right): a small one's samples and task events are all there.
python3 "$GEN" perf-forks 3 2 "$WORK/small-forks.data"
forks=$(perf script -i "$WORK/small-forks.data" --show-task-events 2>/dev/null | grep -c FORK)
[[ $forks == 2 ]] ||
  fail "perf script does not read the generated FORK records"
python3 "$GEN" perf-frames 5 4 "$WORK/small-frames.data"
[[ $(perf script -i "$WORK/small-frames.data" 2>/dev/null | grep -c cpu-clock) == 5 ]] ||
  fail "perf script does not read the generated samples"
pass
# 2,000 MMAPs of one process, then 2,000 processes forked from it (190 KB): every FORK copies
# the parent's mappings, so the model grows as mappings x forks (it took 258 MiB; 3,000 x 3,000
# took 563 MiB). Under a 64 MiB budget it is refused at the FORK that crosses it.
python3 "$GEN" perf-forks 2000 2000 "$WORK/forks.data"
rm -f "$out"
budget=$((64 / tenth))
measure 150 2 "$GCSPIKE" annotate --max-memory=${budget}M "$WORK/forks.data" -o "$out"
refused forks.data $((budget << 20))
# 20,000 samples whose 127 frames are all distinct (21 MB): 2.5 million frames (it took 639 MiB
# and 25 s). Refused under 64 MiB. A tenth of it fits in an 80 MiB budget, and then gcspike
# stays under that budget + the fixed buffers and the binary (64 MiB): the model estimate
# is not below what the model takes.
python3 "$GEN" perf-frames $((20000 / tenth)) 127 "$WORK/frames.data"
rm -f "$out"
measure 150 2 "$GCSPIKE" annotate --max-memory=${budget}M "$WORK/frames.data" -o "$out"
refused frames.data $((budget << 20))
python3 "$GEN" perf-frames $((2000 / tenth)) 127 "$WORK/frames-fit.data"
measure $((80 + 64)) 0 "$GCSPIKE" annotate --max-memory=80M "$WORK/frames-fit.data" -o "$out"

# perf.data whose COMPRESSED2 record (16 KB of zstd RLE blocks) expands to 512 MiB of records:
# they were all held (526 MiB of RSS; 64 MiB of them took 78 MiB). Past --max-gzip-ratio (1000
# times the compressed bytes + 1 MiB) it is refused; with the ratio lifted it streams through
# a chunk at a time, its records counted as perf.data of an unknown type. zstd itself (an
# independent decoder) checks the frame the generator wrote.
command -v zstd >/dev/null || fail "zstd is not installed (scripts/setup-deps)"
mib=$((512 / tenth))
python3 "$GEN" perf-zstd-bomb $mib "$WORK/zbomb.data"
# The record follows the 104-byte header and the 144-byte attrs section; its payload follows
# its 8-byte header and the payload's u64 size.
frame_bytes=$(od -A n -t u8 -j $((104 + 144 + 8)) -N 8 "$WORK/zbomb.data" | tr -d ' ')
decoded=$(tail -c +$((104 + 144 + 16 + 1)) "$WORK/zbomb.data" | head -c "$frame_bytes" |
  zstd -dc | wc -c)
[[ $decoded == $((mib << 20)) ]] || fail "zstd decodes the generated frame to $decoded bytes"
rm -f "$out"
measure 64 2 "$GCSPIKE" annotate "$WORK/zbomb.data" -o "$out"
line="^gcspike: [^ ]*zbomb.data: byte [0-9]+: zstd data of COMPRESSED records expands more "
line+="than 1000 times .*--max-gzip-ratio=0 lifts the limit$"
grep -qE "$line" "$WORK/log.txt" || fail "zstd bomb not refused: $(cat "$WORK/log.txt")"
[[ $(wc -l <"$WORK/log.txt") -eq 1 && ! -e $out ]] || fail "refusal not one line, or output left"
pass
measure 64 0 "$GCSPIKE" annotate --max-gzip-ratio=0 "$WORK/zbomb.data" -o "$out"
# 2,056-byte records of type 0x08080808 (every byte 0x08), the rest a partial record.
want=$(((mib << 20) / 2056))
grep -q "skipped $want records of unknown type 134744072" "$WORK/log.txt" ||
  fail "not every decompressed record was read (want $want): $(cat "$WORK/log.txt")"
pass

# 6. What a perf.data header says is kept too (docs/memory.md#perfdata) and counts toward
# --max-memory: build ids, event names and their ids, comments, attrs and their ids. perf
# itself reads small generated ones: the BUILD_ID section (perf buildid-list), a stream's
# HEADER_BUILD_ID records (perf script -D) and its EVENT_DESC features (perf script --header).
python3 "$GEN" perf-build-ids 3 "$WORK/small-ids.data"
[[ $(perf buildid-list -i "$WORK/small-ids.data" 2>/dev/null | grep -c ' /l/[0-2]$') == 3 ]] ||
  fail "perf buildid-list does not read the generated BUILD_ID section"
python3 "$GEN" perf-build-ids 3 "$WORK/small-ids.pipe" --pipe
n=$(perf script -D -i - <"$WORK/small-ids.pipe" 2>/dev/null | grep -c PERF_RECORD_BUILD_ID)
[[ $n == 3 ]] || fail "perf script does not read the generated HEADER_BUILD_ID records"
python3 "$GEN" perf-event-desc 2 3 40 "$WORK/small-desc.pipe"
n=$(perf script --header -i - <"$WORK/small-desc.pipe" 2>/dev/null | grep -c '^# event : name = e')
[[ $n == 2 ]] || fail "perf script does not read the generated EVENT_DESC features"
pass
# bounded BIG FITTING FIT: BIG is refused under 64 MiB at the entry that crosses it; FITTING
# is read under a budget of FIT MiB, which holds it, and stays under that budget + the binary
# and fixed buffers (64 MiB): the estimate is not below what the header takes.
bounded() {
  local budget=$((64 / tenth))
  rm -f "$out"
  measure 150 2 "$GCSPIKE" annotate --max-memory=${budget}M "$1" -o "$out"
  refused "$(basename "$1")" $((budget << 20))
  budget=$(($3 / tenth))
  measure $((budget + 64)) 0 "$GCSPIKE" annotate --max-memory=${budget}M "$2" -o "$out"
}
# A BUILD_ID section of 1,000,000 files (51 MB; it took 225 MiB whatever the budget), and the
# same as a stream of HEADER_BUILD_ID records (52 MB; it took 177 MiB). In a file, the section
# counts while it is held, and each entry.
python3 "$GEN" perf-build-ids $((1000000 / tenth)) "$WORK/ids.data"
bounded "$WORK/ids.data" "$WORK/ids.data" 260
python3 "$GEN" perf-build-ids $((1000000 / tenth)) "$WORK/ids.pipe" --pipe
bounded "$WORK/ids.pipe" "$WORK/ids.pipe" 200
# 3,000 attrs whose ids sections are all one section of 10^6 ids (8.4 MB): each attr copied
# the 10^6 ids into its map, 3 x 10^9 in all (3.1 s under an 8 GiB budget before the refusal
# at the 128th attr; 4.7 s under the default). perf writes each event's ids once, one after
# another (it reads a small such file, though): refused at the second attr's entry (after the
# header and the ids, whatever the budget), having read the ids once.
python3 "$GEN" perf-shared-ids 3 4 "$WORK/small-shared.data"
n=$(perf evlist -i "$WORK/small-shared.data" 2>/dev/null | grep -c '^cpu-clock')
[[ $n == 3 ]] || fail "perf evlist does not read the generated attrs ($n events)"
ids=$((1000000 / tenth))
python3 "$GEN" perf-shared-ids $((3000 / tenth)) $ids "$WORK/shared-ids.data"
rm -f "$out"
measure 150 2 "$GCSPIKE" annotate --max-memory=8G "$WORK/shared-ids.data" -o "$out"
line="^gcspike: [^ ]*shared-ids.data: byte $((104 + 8 * ids + 144)): event ids \\[104, "
line+="\\+$((8 * ids))\\) overlap another event's"
grep -qE "$line" "$WORK/log.txt" && [[ $(wc -l <"$WORK/log.txt") -eq 1 && ! -e $out ]] ||
  fail "shared ids section not refused at the second attr: $(cat "$WORK/log.txt")"
pass
# A stream of 4 EVENT_DESC features, each one event of a 32 KiB name that 4,000 ids carry
# (254 KB): the name was kept once per id, 512 MB (it took 515 MiB; refused under 64 MiB). It
# is kept once per event now, each id an entry: the stream fits in 2 MiB. What grows is the
# ids: a stream of 200 such features of 8,000 ids each (12.8 MB, 1.6 million ids, which took
# 94 MiB under a 200 MiB budget) is refused under 64 MiB.
python3 "$GEN" perf-event-desc 4 $((4000 / tenth)) 32768 "$WORK/desc.pipe"
python3 "$GEN" perf-event-desc $((200 / tenth)) 8000 8 "$WORK/desc-ids.pipe"
bounded "$WORK/desc-ids.pipe" "$WORK/desc.pipe" $((2 * tenth))

finish
