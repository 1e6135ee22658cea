#!/usr/bin/env bash
# Makes the perf.data golden recordings beside this script (see perf_golden_test.sh), and their
# golden hashes with the gcspike binary given as $1 (the reader the recordings pin):
#   tests/e2e/perf_golden/record.sh /path/to/gcspike
# Recordings of workload.c (a static binary without libc, committed as `workload`):
#   fp.data     perf record -g                      file mode, frame-pointer callchains
#   dwarf.data  perf record --call-graph dwarf,1024 user registers and stack copies
#   pipe.data   perf record -g -o - | cat           pipe mode
#   zstd.data   perf record -z -g                   PERF_RECORD_COMPRESSED
# All have samples inside system calls (kernel frames). Their os-release feature is rewritten to
# "golden" so no machine takes them for recordings of its running kernel: kernel frames stay
# "[kernel]" instead of being named from /proc/kallsyms, which differs per boot.
set -euo pipefail
gcspike=$(realpath "${1:?usage: record.sh GCSPIKE_BINARY}")
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir"
gcc -O1 -g -fno-omit-frame-pointer -static -nostdlib -no-pie -Wl,--eh-frame-hdr \
  -o workload workload.c
common=(-q -e cpu-clock -F 499)
HOME=$tmp perf record "${common[@]}" -g -o fp.data -- ./workload
HOME=$tmp perf record -q -e cpu-clock -F 149 --call-graph dwarf,1024 -o dwarf.data -- ./workload
HOME=$tmp perf record "${common[@]}" -g -o - -- ./workload 2>/dev/null | cat >pipe.data
HOME=$tmp perf record "${common[@]}" -z -g -o zstd.data -- ./workload
rm -f ./*.data.old
for f in fp dwarf pipe zstd; do python3 "$dir/patch_osrelease.py" "$f.data"; done
GCSPIKE=$gcspike bash "$dir/outputs.sh" "$dir" >golden.sha256
cat golden.sha256
du -ch ./*.data workload | tail -1
