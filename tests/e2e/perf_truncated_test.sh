#!/usr/bin/env bash
# Truncation is never silent: a pipe-mode perf.data cut at a record boundary, a -z recording cut
# inside the feature sections after its samples, and the 2-byte file "PE" give a warning with
# the offset reached, or exit 2 naming it.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi
(cd "$SOURCE_DIR/fixtures/src" && go build -o "$WORK/wl" ./workload) || fail "go build workload"
perf record -q -e cpu-clock -F 499 -g -o - -- "$WORK/wl" -mode grow -duration 1s \
  2>/dev/null >"$WORK/pipe.data" || fail "perf record (pipe)"
perf record -z -q -e cpu-clock -F 499 -g -o "$WORK/z.data" -- "$WORK/wl" -mode grow \
  -duration 1s >/dev/null 2>&1 || fail "perf record -z"

# The complete recordings: no warning about their ends.
for f in pipe.data z.data; do
  "$GCSPIKE" annotate "$WORK/$f" -o "$WORK/out.pb.gz" 2>"$WORK/err.txt" || fail "annotate $f"
  ! grep -qE "cut short|truncated" "$WORK/err.txt" || fail "$f: $(cat "$WORK/err.txt")"
done
pass

# Record boundaries of the pipe stream (after the 16-byte header: type u32, misc u16, size u16).
read -r cut total < <(python3 - "$WORK/pipe.data" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off, bounds = 16, []
while off + 8 <= len(d):
    t, m, sz = struct.unpack_from("<IHH", d, off)
    if sz == 0:
        break
    if t == 9:
        bounds.append(off + sz)  # right after a SAMPLE
    off += sz
print(bounds[len(bounds) // 2], len(d))
PY
)
head -c "$cut" "$WORK/pipe.data" >"$WORK/pipe-cut.data"
"$GCSPIKE" annotate "$WORK/pipe-cut.data" -o "$WORK/out.pb.gz" 2>"$WORK/err.txt" ||
  fail "annotate pipe-cut.data: $(cat "$WORK/err.txt")"
grep -q "pipe-cut.data: the stream ends at byte $cut .*cut short" "$WORK/err.txt" ||
  fail "no warning for a stream cut at byte $cut of $total: $(cat "$WORK/err.txt")"
pass
echo "ok: pipe stream cut at record boundary $cut: $(cat "$WORK/err.txt")"

# The -z file cut at several points inside its feature sections (after the data section).
data_end=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(56); o,s=struct.unpack_from("<QQ",d,40); print(o+s)' "$WORK/z.data")
size=$(stat -c %s "$WORK/z.data")
for cut in $((data_end + 8)) $(((data_end + size) / 2)) $((size - 1)); do
  head -c "$cut" "$WORK/z.data" >"$WORK/z-cut.data"
  st=0
  "$GCSPIKE" annotate "$WORK/z-cut.data" -o "$WORK/out.pb.gz" 2>"$WORK/err.txt" || st=$?
  if [[ $st == 0 ]]; then
    grep -qE "z-cut.data: .*(byte $cut|at byte [0-9]+; host)" "$WORK/err.txt" ||
      fail "silent truncation at byte $cut of $size: $(cat "$WORK/err.txt")"
  else
    [[ $st == 2 ]] && grep -q "z-cut.data: byte " "$WORK/err.txt" ||
      fail "cut at $cut: exit $st: $(cat "$WORK/err.txt")"
  fi
  echo "ok: -z file cut at $cut of $size: $(head -1 "$WORK/err.txt")"
  pass
done

# "PE": two bytes of the perf.data magic (and a well-formed pprof message, field 10 = 69).
printf 'PE' >"$WORK/PE"
expect_exit 2 "$GCSPIKE" annotate "$WORK/PE" -o "$WORK/out.pb.gz"
grep -q "$WORK/PE: byte 2: .*PERFILE2" "$WORK/out.txt" || fail "PE: $(cat "$WORK/out.txt")"
echo "ok: $(cat "$WORK/out.txt")"
finish
