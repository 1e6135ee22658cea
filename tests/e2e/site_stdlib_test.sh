#!/usr/bin/env bash
# The site to presize is the program's function that makes the map, not the standard library's
# code the insert runs in, nor an iterator's closure. tests/e2e/sitefill fills maps three ways:
# a range-over-func loop over slices.All in main.index (gcspike named "slices.All[...].func1
# (via main.index-range1)", or with inlining "main.index.All[...].func1"), maps.Collect in
# main.collect ("main.collect.All[...].func1 (via ...Insert[...]-range1)") and json.Unmarshal
# into a map in main.decode ("encoding/json.(*decodeState).object (via
# reflect.Value.SetMapIndex)"). go tool pprof -traces shows that the stacks go through those
# frames, and go tool pprof -tags that every sample's gcspike_site label is the function the
# source makes the map in.
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || fail "go is needed (it builds tests/e2e/sitefill)"

(cd "$SOURCE_DIR/tests/e2e/sitefill" && GOTOOLCHAIN=local go build -o "$WORK/sitefill" .) ||
  fail "cannot build tests/e2e/sitefill"

# mode, the function that makes the map, a frame between it and the insert (a regex).
while read -r mode site between; do
  cpu=$WORK/$mode.pb.gz
  "$WORK/sitefill" -mode "$mode" "$cpu" || fail "sitefill -mode $mode"
  go tool pprof -traces "$cpu" 2>/dev/null >"$WORK/traces.txt"
  grep -qE "^ +$between" "$WORK/traces.txt" || fail "$mode: no frame $between in the stacks"
  "$GCSPIKE" annotate "$cpu" -o "$WORK/$mode.annotated.pb.gz"
  go tool pprof -tags -tagfocus=gcspike=grow-spike "$WORK/$mode.annotated.pb.gz" 2>/dev/null |
    sed -n '/^ gcspike_site:/,/^$/p' >"$WORK/tags.txt"
  sites=$(sed -n 's/^ *[0-9.]*[a-z]* ([0-9.]*%): //p' "$WORK/tags.txt")
  [[ $sites == "$site" ]] || { cat "$WORK/tags.txt" >&2; fail "$mode: sites '$sites', want $site"; }
  pass
  "$GCSPIKE" report "$cpu" >"$WORK/report.txt"
  grep -A1 '^ *via: the helpers' "$WORK/report.txt" | grep -qE "\] +$site( |$)" ||
    { cat "$WORK/report.txt" >&2; fail "$mode: the report's top site is not $site"; }
  pass
  echo "ok: $mode: every grow-spike sample's site is $site"
done <<'EOF'
index main.index (slices\.All\[|main\.index\.All\[).*\.func1
collect main.collect maps\.Collect\[
json main.decode encoding/json\.\(\*decodeState\)\.object
EOF
finish
