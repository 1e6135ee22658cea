#!/usr/bin/env bash
# Same bytes out: gcspike's pprof (decompressed), folded, speedscope and chrome-trace output for
# every fixture must hash to what tests/golden/outputs.sha256 records (written from a reference
# binary by scripts/update-golden-outputs). It guards refactorings of the writers and of
# everything upstream of them. Needs only the binary, gzip and sha256sum (no Go), so it runs
# on every machine.
set -euo pipefail
: "${GCSPIKE:?run through ctest (GCSPIKE is the binary under test)}" "${SOURCE_DIR:?}"
golden="$SOURCE_DIR/tests/golden/outputs.sha256"
got=$(mktemp "${TMPDIR:-/tmp}/gcspike-golden.XXXXXX")
trap 'rm -f "$got"' EXIT
"$SOURCE_DIR/tests/golden/output_hashes.sh" "$GCSPIKE" >"$got"
want_n=$(grep -vc '^#' "$golden")
# Every fixture on disk is covered and none is missing: the lists must match line for line.
if ! diff <(grep -v '^#' "$golden") "$got" >&2; then
  echo "FAIL: output bytes differ from $golden (lines above: < recorded, > now)." >&2
  echo "If the change is meant, run scripts/update-golden-outputs with the reference binary." >&2
  exit 1
fi
echo "$want_n outputs identical to tests/golden/outputs.sha256"
