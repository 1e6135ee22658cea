#!/usr/bin/env bash
# The static binary (-DGCSPIKE_STATIC=ON): configures and builds only the gcspike target in
# $BUILD_DIR/static (Release, no debug info; kept between runs, so a rebuild compiles only what
# changed), then checks that it has no dynamic section at all, runs with an empty environment,
# and reads pprof, a Go trace and perf.data (libdw, libelf, libunwind, zstd, zlib linked in)
# and writes gzipped pprof (zlib, not ISA-L) exactly as the dynamically linked build does.
source "$SOURCE_DIR/tests/e2e/lib.sh"

dir=$BUILD_DIR/static
start=$SECONDS
cmake -S "$SOURCE_DIR" -B "$dir" -G Ninja -DGCSPIKE_WERROR=ON -DGCSPIKE_STATIC=ON \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DGCSPIKE_E2E=OFF > "$WORK/build.txt" 2>&1 &&
  ninja -C "$dir" -j2 gcspike >> "$WORK/build.txt" 2>&1 || { cat "$WORK/build.txt" >&2; fail "static build failed"; }
echo "static build: $((SECONDS - start)) s"
bin=$dir/plugin/gcspike
echo "static binary: $(stat -c %s "$bin") bytes"

out=$(ldd "$bin" 2>&1 || true)
[[ $out == *"not a dynamic executable"* ]] || fail "ldd: $out"
! readelf -d "$bin" 2>&1 | grep -q NEEDED || fail "the static binary has NEEDED entries"
! readelf -l "$bin" | grep -q INTERP || fail "the static binary asks for a program interpreter"
pass

expect_exit 0 env -i "$bin" report "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz"
grep -q '^verdict: ' "$WORK/out.txt" || fail "no verdict line from env -i gcspike report"
pass
expect_exit 0 env -i "$bin" --version
grep -qE '^gcspike [0-9.]+ \(commit .*, Release build\)$' "$WORK/out.txt" || fail "--version: $(cat "$WORK/out.txt")"
pass

# The same answers as the dynamic build, for each reader.
same() {  # NAME ARGS...: static and dynamic outputs (stdout and stderr) are identical
  local name=$1
  shift
  env -i "$bin" "$@" > "$WORK/$name.static" 2>&1 || fail "static gcspike failed on $name"
  "$GCSPIKE" "$@" > "$WORK/$name.dynamic" 2>&1 || fail "dynamic gcspike failed on $name"
  diff "$WORK/$name.dynamic" "$WORK/$name.static" >&2 || fail "static and dynamic gcspike differ on $name"
  pass
}
same pprof report "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz"
same trace report --json "$FIXTURES/trace/go1.26/grow.trace"
same trace-old-format report "$FIXTURES/trace/go1.19/grow.trace"
# gzip output: zlib in the static binary, ISA-L in the dynamic one; the same profile inside.
env -i "$bin" annotate "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz" -o "$WORK/static.pb.gz" ||
  fail "static gcspike annotate failed"
"$GCSPIKE" annotate "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz" -o "$WORK/dynamic.pb.gz" ||
  fail "dynamic gcspike annotate failed"
cmp <(gzip -dc "$WORK/dynamic.pb.gz") <(gzip -dc "$WORK/static.pb.gz") ||
  fail "static and dynamic gcspike write different profiles"
pass
# perf.data with DWARF stacks of the dynamic gcspike itself (it has debug info and .eh_frame):
# symbolization through libdw and unwinding through libunwind.
if [[ $(cat /proc/sys/kernel/perf_event_paranoid) -gt 1 ]] && [[ $(id -u) == 0 ]]; then
  sysctl -qw kernel.perf_event_paranoid=-1 || true
fi
command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf)"
perf record -q --call-graph dwarf -F 2999 -o "$WORK/perf.data" -- \
  "$GCSPIKE" annotate "$FIXTURES/trace/go1.26/grow.trace" -o "$WORK/discard.pb.gz" >/dev/null 2>&1 ||
  fail "perf record failed"
same perf --output-format folded "$WORK/perf.data"
grep -q ';' "$WORK/perf.static" || fail "no multi-frame stacks from perf.data"
finish
