#!/usr/bin/env bash
# Tracepoint events are called what `perf script` calls them, in file mode and in pipe mode
# (`perf record -o - | cat`), also when the stream has no EVENT_DESC (perf versions that do not
# write it in pipe mode, here removed from the stream): the names then come from the tracing
# data (docs/formats/perf-data.md#tracing-data), as perf's own come, instead of "event-2:ID".
# The sample type names are read back by go tool pprof.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi
wl="$SOURCE_DIR/tests/e2e/perf_golden/workload"
# Two tracepoints that fire once per run (the workload ends with the exit system call).
events=(-e syscalls:sys_enter_exit -e sched:sched_process_exit)
HOME=$WORK perf record -q "${events[@]}" -o "$WORK/file.data" -- "$wl" 2>"$WORK/perf.err" ||
  { cat "$WORK/perf.err" >&2; fail "perf record -e tracepoints"; }
HOME=$WORK perf record -q "${events[@]}" -o - -- "$wl" 2>"$WORK/perf.err" | cat >"$WORK/pipe.data"
[[ -s $WORK/pipe.data ]] || { cat "$WORK/perf.err" >&2; fail "perf record -o - (tracepoints)"; }

# The pipe stream without its HEADER_FEATURE EVENT_DESC record (feature 12).
python3 - "$WORK/pipe.data" "$WORK/nodesc.data" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
out, off, dropped = bytearray(d[:16]), 16, 0
while off + 8 <= len(d):
    t, _, size = struct.unpack_from("<IHH", d, off)
    extra = (struct.unpack_from("<I", d, off + 8)[0] + 7) & ~7 if t == 66 else 0
    if t == 80 and struct.unpack_from("<Q", d, off + 8)[0] == 12:
        dropped += 1
    else:
        out += d[off:off + size + extra]
    off += size + extra
if dropped != 1:
    sys.exit(f"found {dropped} EVENT_DESC records, want 1")
open(sys.argv[2], "wb").write(out)
PY

for f in file pipe nodesc; do
  perf script -i "$WORK/$f.data" -F event 2>/dev/null | sed -E 's/^ *//; s/: *$//' | sort -u \
    >"$WORK/$f.want"
  [[ $(wc -l <"$WORK/$f.want") -eq 2 ]] || fail "$f: perf script shows $(cat "$WORK/$f.want")"
  "$GCSPIKE" annotate "$WORK/$f.data" -o "$WORK/$f.pb.gz" 2>"$WORK/$f.err" ||
    { cat "$WORK/$f.err" >&2; fail "annotate $f.data"; }
  go tool pprof -raw "$WORK/$f.pb.gz" 2>/dev/null | sed -n '/^Samples:/{n;p;q}' | tr ' ' '\n' |
    sed -n 's|_samples/count$||p' | sort -u >"$WORK/$f.got"
  diff "$WORK/$f.want" "$WORK/$f.got" >&2 ||
    fail "$f.data: event names differ from perf script's (< perf script, > gcspike)"
  echo "$f.data: $(tr '\n' ' ' <"$WORK/$f.got")"
  pass
done
finish
