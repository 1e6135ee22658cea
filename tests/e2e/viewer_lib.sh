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
