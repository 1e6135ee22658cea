# Helpers shared by the output, filter and browser end-to-end tests (sourced after lib.sh; the
# file name does not end in _test.sh, so ctest does not run it).

# json FILE EXPR: prints EXPR evaluated with `c` bound to the JSON document in FILE ("-": stdin);
# an array prints one element per line.
json() {
  node -e '
    const file = process.argv[1] === "-" ? 0 : process.argv[1];
    const c = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const r = eval(process.argv[2]);
    for (const x of Array.isArray(r) ? r : [r]) console.log(String(x));' "$1" "$2"
}
# check_json FILE: gocheck's summary of a profile (google/pprof's decoder).
check_json() { "$GOCHECK" pprof-check "$1"; }
# sums FILE: the per-sample-type totals gocheck computes, space-separated.
sums() { check_json "$1" | json - 'c.sums.join(" ")'; }
# default_index FILE: the sample type viewers show: default_sample_type, else the last one.
default_index() {
  check_json "$1" | json - '
    ((i) => (i >= 0 ? i : c.sample_types.length - 1))(
      c.sample_types.findIndex((t) => t.split("/")[0] === c.default_sample_type))'
}
# re_escape TEXT: TEXT as a regexp matching itself (RE2 and ECMAScript alike).
re_escape() { sed 's/[][\.^$*+?(){}|]/\\&/g' <<<"$1"; }
# tag_key FILE: the label to show as frames: the detectors' gcspike label, else (a profile the
# detectors found nothing in) the first string label key, else nothing.
tag_key() {
  check_json "$1" | json - '
    ((k) => (k.includes("gcspike") ? "gcspike" : k[0] || ""))(Object.keys(c.labels).sort())'
}

# browser_prerequisites: fails unless Debian's chromium and tests/e2e's node modules (speedscope,
# playwright-core) are installed; sets e2e_dir, and artifacts ($BUILD_DIR/artifacts, created)
# for the screenshots.
browser_prerequisites() {
  e2e_dir=$SOURCE_DIR/tests/e2e
  [[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing (scripts/setup-deps installs it)"
  [[ -d $e2e_dir/node_modules/speedscope && -d $e2e_dir/node_modules/playwright-core ]] ||
    fail "tests/e2e/node_modules is missing: run scripts/setup-deps (npm ci in tests/e2e)"
  artifacts=$BUILD_DIR/artifacts
  mkdir -p "$artifacts"
}

# run_browser SCRIPT WHAT: runs tests/e2e/SCRIPT (browser_lib.mjs) on $WORK/cases.json, shows
# what it printed and adds its passed checks to `checks`; fails naming WHAT when a check fails.
run_browser() {
  node "$e2e_dir/$1" "$WORK/cases.json" "$artifacts" > "$WORK/browser.txt" 2>&1 ||
    { cat "$WORK/browser.txt" >&2; fail "$2"; }
  cat "$WORK/browser.txt"
  local n
  n=$(awk '/ passed, 0 failed$/ {print $1}' "$WORK/browser.txt")
  [[ -n $n && $n -gt 0 ]] || fail "the browser checks did not report"
  checks=$((checks + n))
}
