#!/usr/bin/env bash
# Binaries for perf.data are verified, never guessed: with --symfs only the symfs is searched;
# the recorded path is used only once it is checked to be the recorded file (here by the
# MMAP2 record's inode: the binary is built without a GNU build id); anything else gives a
# warning naming the file and leaves the frames unsymbolized. Checked with
# `go tool pprof -symbolize=none`, which (unlike plain pprof) does not symbolize what we left.
# A binary deleted before perf record -p saw it ("PATH (deleted)") is looked for as PATH.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi

bin=$WORK/bin/wl
mkdir -p "$WORK/bin"
(cd "$SOURCE_DIR/fixtures/src" && go build -ldflags='-B none' -o "$bin" ./workload) ||
  fail "go build workload"
! readelf -n "$bin" | grep -q 'Build ID' || fail "the binary has a GNU build id: no inode check"
perf record -q -e cpu-clock -F 499 -g -o "$WORK/p.data" -- "$bin" -mode grow -duration 1s \
  >/dev/null 2>"$WORK/perf.err" || { cat "$WORK/perf.err" >&2; fail "perf record"; }

# annotate_ok OUT ARGS...: exit 0; stderr in $WORK/err.txt.
annotate_ok() {
  local out=$1
  shift
  "$GCSPIKE" annotate "$WORK/p.data" -o "$out" "$@" 2>"$WORK/err.txt" ||
    { cat "$WORK/err.txt" >&2; fail "annotate $*"; }
}
symbolized() { go tool pprof -symbolize=none -raw "$1" 2>/dev/null | grep -q 'main\.dedupGrowing'; }

# The recorded path, the recorded inode: symbolized, no warning about it.
annotate_ok "$WORK/ok.pb.gz"
symbolized "$WORK/ok.pb.gz" || fail "not symbolized from the verified recorded path"
! grep -q "$bin" "$WORK/err.txt" || fail "warning about a verified binary: $(cat "$WORK/err.txt")"
pass

# perf record -p of a program whose binary was deleted since it started (a deploy, go run): the
# kernel names the mapping "PATH (deleted)", perf reads no build id from it, and the warning
# says to use --binary, which was never matched against that name (the frames stayed raw). The
# binary named by --binary now symbolizes it, and so does the file put back at PATH.
mkdir -p "$WORK/run"
cp "$bin" "$WORK/run/wl"
"$WORK/run/wl" -mode grow -duration 4s >/dev/null &
running=$!
sleep 0.5
rm "$WORK/run/wl"
perf record -e cpu-clock -F 499 -g -p "$running" -o "$WORK/del.data" -- sleep 1.5 \
  >/dev/null 2>"$WORK/perf.err" || { cat "$WORK/perf.err" >&2; fail "perf record -p"; }
wait "$running" || fail "the workload attached to failed"
perf script -F ip,dso -i "$WORK/del.data" >"$WORK/del.script" 2>/dev/null
grep -qF "($WORK/run/wl (deleted))" "$WORK/del.script" ||
  fail "perf script names no deleted mapping of $WORK/run/wl"
"$GCSPIKE" annotate "$WORK/del.data" -o "$WORK/del-raw.pb.gz" 2>"$WORK/err.txt"
grep -qF "no symbols for $WORK/run/wl (deleted)" "$WORK/err.txt" ||
  fail "no warning about the deleted binary: $(cat "$WORK/err.txt")"
! symbolized "$WORK/del-raw.pb.gz" || fail "a deleted binary symbolized from nowhere"
"$GCSPIKE" annotate "$WORK/del.data" -o "$WORK/del.pb.gz" --binary "$bin" 2>"$WORK/err.txt" ||
  { cat "$WORK/err.txt" >&2; fail "annotate --binary"; }
symbolized "$WORK/del.pb.gz" || fail "--binary $bin does not symbolize the deleted $WORK/run/wl"
cp "$bin" "$WORK/run/wl"
"$GCSPIKE" annotate "$WORK/del.data" -o "$WORK/back.pb.gz" --symfs / 2>"$WORK/err.txt" ||
  { cat "$WORK/err.txt" >&2; fail "annotate --symfs /"; }
symbolized "$WORK/back.pb.gz" || fail "--symfs / does not find $WORK/run/wl for its deleted name"
pass
echo "ok: a binary deleted before perf record -p is found by --binary and --symfs"

# --symfs: only the symfs. A missing one is a warning naming where we looked, no fallback.
annotate_ok "$WORK/symfs-missing.pb.gz" --symfs /nonexistent
grep -q "no symbols for $bin (/nonexistent$bin" "$WORK/err.txt" ||
  fail "no warning naming /nonexistent$bin: $(cat "$WORK/err.txt")"
! symbolized "$WORK/symfs-missing.pb.gz" || fail "--symfs /nonexistent fell back to $bin"
pass
# A symfs that has the binary is used (the user vouches for it).
mkdir -p "$WORK/sysroot$(dirname "$bin")"
cp "$bin" "$WORK/sysroot$bin"
annotate_ok "$WORK/symfs.pb.gz" --symfs "$WORK/sysroot"
symbolized "$WORK/symfs.pb.gz" || fail "not symbolized from the symfs"
pass
echo "ok: --symfs is the only place looked"

# The recorded path replaced after the recording (same name, new inode): a warning naming it,
# raw addresses rather than symbols from a file that may not be the recorded one.
cp "$bin" "$bin.new" && mv "$bin.new" "$bin"
annotate_ok "$WORK/replaced.pb.gz"
grep -q "no symbols for $bin ($bin: inode .* is not the recorded" "$WORK/err.txt" ||
  fail "no warning about the replaced $bin: $(cat "$WORK/err.txt")"
! symbolized "$WORK/replaced.pb.gz" || fail "symbolized from a replaced binary"
pass
# --binary names it explicitly: the user vouches for it.
annotate_ok "$WORK/binary.pb.gz" --binary "$bin"
symbolized "$WORK/binary.pb.gz" || fail "--binary not used"
pass
echo "ok: a replaced recorded binary gives a warning and raw addresses"

# Something that is not a binary at the recorded path: a warning saying what it is.
rm "$bin"
mkfifo "$bin"
annotate_ok "$WORK/fifo.pb.gz"
grep -q "$bin: not a regular file (a FIFO)" "$WORK/err.txt" ||
  fail "no warning about the FIFO: $(cat "$WORK/err.txt")"
rm "$bin"
ln -s "$bin" "$bin"
annotate_ok "$WORK/loop.pb.gz"
grep -q "$bin: a symlink loop" "$WORK/err.txt" || fail "no warning about the loop: $(cat "$WORK/err.txt")"
pass
echo "ok: a FIFO or a symlink loop at the recorded path is named in a warning"
finish
