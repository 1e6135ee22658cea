#!/usr/bin/env bash
# Signals and output files: whatever ends gcspike (SIGINT, SIGTERM, SIGHUP, SIGKILL, or a SIGBUS
# that is no mapped input cut short, as a crash would be), it leaves neither a partial output
# nor a temporary file, and an existing output stays as it was; a replaced output keeps its mode.
# `gcspike pprof` runs pprof in its own process group, forwards those signals to it, removes its
# temporary profile and ends with pprof's status.
source "$(dirname "$0")/lib.sh"

# Background jobs of a non-interactive shell start with SIGINT ignored; run gcspike with the
# default disposition so SIGINT means what it means from a terminal.
run_bg() { env --default-signal=INT,TERM,HUP "$@" 0<&0 2>/dev/null & }

# A profile large enough that writing it takes a while (~35 MB of profile.proto).
big=$WORK/big.pb.gz
"$GOCHECK" pprof-synth --from "$FIXTURES"/pprof/go1.26/*.cpu.pb.gz --copies 500 --out "$big" \
  >/dev/null
outdir=$WORK/outdir
mkdir -p "$outdir"

# wait_for_output PID: until PID has a file open in $outdir (the unnamed output: "(deleted)"
# or, in the named fallback, .out.pb.gz.gcspike-*), i.e. it is writing the output.
wait_for_output() {
  local pid=$1 i
  for ((i = 0; i < 3000; i++)); do
    if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -- "-> $outdir/"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

check_clean() {  # check_clean WHAT [EXPECTED-CONTENT]
  local left
  left=$(find "$outdir" -mindepth 1 ! -name out.pb.gz)
  [[ -z $left ]] || fail "$1: left behind: $left"
  if [[ -n ${2:-} ]]; then
    [[ $(cat "$outdir/out.pb.gz") == "$2" ]] || fail "$1: existing output changed"
  else
    [[ ! -e $outdir/out.pb.gz ]] || fail "$1: partial output left"
  fi
}

# MODE SIGNAL EXISTING: the unnamed file (O_TMPFILE) against every signal, the named fallback
# against those its handlers catch (SIGKILL can leave its temporary: the documented limit);
# half of them over an existing output, which must stay as it was.
for run in "tmpfile INT -" "tmpfile TERM precious" "tmpfile HUP -" "tmpfile KILL precious" \
  "tmpfile KILL -" "named INT precious" "named TERM -" "named HUP precious" "named BUS -"; do
  read -r mode sig existing <<<"$run"
  [[ $existing == - ]] && existing=
  export GCSPIKE_NO_O_TMPFILE=$([[ $mode == named ]] && echo 1 || echo 0)
  rm -rf "$outdir" && mkdir -p "$outdir"
  [[ -n $existing ]] && echo "$existing" >"$outdir/out.pb.gz"
  run_bg "$GCSPIKE" annotate "$big" -o "$outdir/out.pb.gz"
  pid=$!
  wait_for_output "$pid" || fail "$mode/$sig: gcspike never opened its output"
  kill -s "$sig" "$pid"
  st=0
  wait "$pid" || st=$?
  [[ $st == $((128 + $(kill -l "$sig"))) ]] ||
    fail "$mode/$sig: gcspike exited $st, not by the signal"
  check_clean "$mode/$sig${existing:+ over an existing file}" "$existing"
  pass
  echo "ok: $mode: SIG$sig while writing${existing:+ over an existing file} leaves nothing behind"
done
unset GCSPIKE_NO_O_TMPFILE

# While still reading (stdin a FIFO that never ends) the output is not open yet: nothing either.
mkfifo "$WORK/fifo"
for sig in INT TERM KILL; do
  rm -rf "$outdir" && mkdir -p "$outdir"
  exec 7<>"$WORK/fifo"  # keeps a writer, so gcspike blocks in read
  run_bg "$GCSPIKE" annotate - -o "$outdir/out.pb.gz" <"$WORK/fifo"
  pid=$!
  printf '\x0a' >&7
  sleep 0.2
  kill -s "$sig" "$pid"
  wait "$pid" || true
  exec 7>&-
  check_clean "reading/$sig"
  pass
done
echo "ok: a signal while reading leaves nothing behind"

# A replaced file keeps its mode (and the default mode of a new file follows the umask).
rm -rf "$outdir" && mkdir -p "$outdir"
good=$FIXTURES/pprof/go1.26/grow.cpu.pb.gz
(umask 022 && "$GCSPIKE" annotate "$good" -o "$outdir/out.pb.gz")
[[ $(stat -c %a "$outdir/out.pb.gz") == 644 ]] || fail "new file mode $(stat -c %a "$outdir/out.pb.gz")"
chmod 0640 "$outdir/out.pb.gz"
"$GCSPIKE" annotate "$good" -o "$outdir/out.pb.gz"
[[ $(stat -c %a "$outdir/out.pb.gz") == 640 ]] || fail "replaced file lost its mode 0640"
GCSPIKE_NO_O_TMPFILE=1 "$GCSPIKE" annotate "$good" -o "$outdir/out.pb.gz"
[[ $(stat -c %a "$outdir/out.pb.gz") == 640 ]] || fail "named fallback: replaced file lost 0640"
# As root, the owner is kept too.
if [[ $(id -u) == 0 ]]; then
  chown 65534:65534 "$outdir/out.pb.gz"
  "$GCSPIKE" annotate "$good" -o "$outdir/out.pb.gz"
  [[ $(stat -c %u:%g:%a "$outdir/out.pb.gz") == 65534:65534:640 ]] ||
    fail "replaced file: owner/mode $(stat -c %u:%g:%a "$outdir/out.pb.gz"), want 65534:65534:640"
fi
# Through a symlink the file pointed to is replaced, with its mode; the link stays a link.
ln -s out.pb.gz "$outdir/link.pb.gz"
"$GCSPIKE" annotate "$good" -o "$outdir/link.pb.gz"
[[ -L $outdir/link.pb.gz && $(stat -c %a "$outdir/out.pb.gz") == 640 ]] || fail "symlink target"
[[ -z $(find "$outdir" -name '.*gcspike*') ]] || fail "temporary file left by a normal run"
pass
echo "ok: a replaced output keeps its mode"

# gcspike pprof: a fake pprof (sh running a child, like go running pprof) that records its
# process group and sleeps.
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"
cat >"$WORK/fake-pprof" <<FAKE
#!/bin/sh
echo \$\$ > "$WORK/pprof.pid"
[ -n "\$FAKE_EXIT" ] && exit "\$FAKE_EXIT"
sleep 30
FAKE
chmod +x "$WORK/fake-pprof"
export GCSPIKE_PPROF=$WORK/fake-pprof
# SIGKILL cannot be forwarded: gcspike's watchdog process sees it die and cleans up instead.
for sig in INT TERM HUP KILL; do
  rm -f "$WORK/pprof.pid"
  run_bg "$GCSPIKE" pprof "$good" -- -top
  pid=$!
  for ((i = 0; i < 500; i++)); do [[ -s $WORK/pprof.pid ]] && break; sleep 0.01; done
  [[ -s $WORK/pprof.pid ]] || fail "fake pprof did not start"
  pgid=$(cat "$WORK/pprof.pid")
  [[ $(ps -o pgid= -p "$pgid" | tr -d ' ') == "$pgid" ]] || fail "pprof is not in its own group"
  [[ -n $(find "$TMPDIR" -name 'gcspike-*') ]] || fail "no temporary profile while pprof runs"
  kill -s "$sig" "$pid"
  st=0
  wait "$pid" || st=$?
  want=$((128 + $(kill -l "$sig")))
  [[ $st == "$want" ]] || fail "pprof/$sig: gcspike exited $st, want $want"
  # Zombies do not count: orphans are reaped by PID 1, which may take its time.
  for ((i = 0; i < 200; i++)); do
    pgrep -r D,R,S,T,t -g "$pgid" >/dev/null || [[ -n $(find "$TMPDIR" -mindepth 1) ]] || break
    sleep 0.01
  done
  ! pgrep -r D,R,S,T,t -g "$pgid" >/dev/null || fail "pprof/$sig: processes of group $pgid remain"
  [[ -z $(find "$TMPDIR" -mindepth 1) ]] || fail "pprof/$sig: temporary profile left"
  pass
  echo "ok: gcspike pprof, SIG$sig: forwarded to group $pgid, nothing left, exit $st"
done
# pprof's exit status is gcspike's, and the temporary profile goes either way.
FAKE_EXIT=3 expect_exit 3 "$GCSPIKE" pprof "$good" -- -top
[[ -z $(find "$TMPDIR" -mindepth 1) ]] || fail "temporary profile left after pprof exit 3"
FAKE_EXIT=0 expect_exit 0 "$GCSPIKE" pprof "$good" -- -top
[[ -z $(find "$TMPDIR" -mindepth 1) ]] || fail "temporary profile left after pprof exit 0"
finish
