#!/usr/bin/env bash
# The Debian package (cpack -G DEB): Depends names the package of every shared library the
# binary needs (NEEDED in its dynamic section, soname -> package by dpkg -S); lintian reports no
# error and no warning; dpkg -i installs a gcspike that runs, with its man page and completions;
# dpkg -r removes it again. Installing into /usr needs root (CI runs the tests as root).
source "$SOURCE_DIR/tests/e2e/lib.sh"

[[ $(id -u) == 0 ]] || fail "this test installs the package with dpkg -i and needs root; run it as root (CI does), or leave it out with ctest -LE package"
for tool in cpack dpkg-deb dpkg-shlibdeps lintian objdump; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup-deps"
done

# One package test at a time on this machine: other checkouts may run theirs.
exec 9>/var/lock/gcspike-package-test.lock
flock -w 900 9 || fail "another package test holds /var/lock/gcspike-package-test.lock"
if dpkg-query -W -f='${Status}' gcspike 2>/dev/null | grep -q 'install ok installed'; then
  fail "a gcspike package is already installed here; this test would replace and remove it (dpkg -r gcspike first)"
fi
[[ ! -e /usr/bin/gcspike ]] || fail "/usr/bin/gcspike exists and belongs to no gcspike package; not overwriting it"

cpack --config "$BUILD_DIR/CPackConfig.cmake" -G DEB -B "$WORK/pkg" > "$WORK/cpack.txt" 2>&1 ||
  { cat "$WORK/cpack.txt" >&2; fail "cpack failed"; }
debs=("$WORK"/pkg/gcspike_*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || fail "cpack made no single gcspike_*.deb: ${debs[*]}"
deb=${debs[0]}
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

# Depends: a package for every NEEDED soname.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
mapfile -t needed < <(objdump -p "$GCSPIKE" | awk '$1 == "NEEDED" { print $2 }')
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
[[ ${#needed[@]} -gt 0 ]] || fail "no NEEDED entries in $GCSPIKE"
for so in "${needed[@]}"; do
  # (The library of this architecture: lib32* packages hold other libc.so.6s.)
  owners=$(dpkg -S "*/$multiarch/$so" 2>/dev/null | cut -d: -f1 | sort -u | tr '\n' ' ')
  [[ -n $owners ]] || fail "no installed package owns $so"
  for p in $owners; do
    [[ ", $depends," == *", $p "* || ", $depends," == *", $p,"* ]] ||
      fail "Depends lacks $p, the package of $so: $depends"
  done
  echo "ok: $so -> $owners"
done
pass

# lintian: no errors, no warnings; the informational tags are printed.
lintian --pedantic --display-info "$deb" > "$WORK/lintian.txt" 2>&1 || true
grep -v 'running with root privileges' "$WORK/lintian.txt" >&2 || true
! grep -qE '^[EW]: ' "$WORK/lintian.txt" || fail "lintian reports errors or warnings"
pass

# Install, run, remove. The trap removes the package however the test ends.
cleanup() {
  dpkg -r gcspike >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
expect_exit 0 dpkg -i "$deb"
expect_exit 0 /usr/bin/gcspike report "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz"
grep -q '^verdict: ' "$WORK/out.txt" || fail "the packaged gcspike printed no verdict line"
for f in /usr/share/man/man1/gcspike.1.gz /usr/share/bash-completion/completions/gcspike \
  /usr/share/zsh/vendor-completions/_gcspike /usr/share/doc/gcspike/RULES.md \
  /usr/share/doc/gcspike/copyright; do
  dpkg -L gcspike | grep -qx "$f" || fail "the package does not install $f"
done
pass
expect_exit 0 dpkg -r gcspike
[[ ! -e /usr/bin/gcspike ]] || fail "dpkg -r left /usr/bin/gcspike behind"
pass
finish
