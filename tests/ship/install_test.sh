#!/usr/bin/env bash
# `cmake --install` into a temporary prefix: exactly the binary, the man page, the bash and zsh
# completions and RULES.md; the installed binary runs; the man page renders without a groff
# warning and documents every command, flag and exit status --help lists and every label the
# README's label table lists; the completions load and offer the flags --help lists.
source "$SOURCE_DIR/tests/e2e/lib.sh"
: "${GCSPIKE_VERSION:?set by ctest: project(VERSION)}"

prefix=$WORK/prefix
cmake --install "$BUILD_DIR" --prefix "$prefix" >/dev/null
want=$(printf '%s\n' bin/gcspike share/man/man1/gcspike.1 share/bash-completion/completions/gcspike \
  share/zsh/vendor-completions/_gcspike share/doc/gcspike/RULES.md | sort)
got=$(cd "$prefix" && find . ! -type d | sed 's|^\./||' | sort)
[[ $got == "$want" ]] || fail "installed files differ from the list:"$'\n'"$(diff <(echo "$want") <(echo "$got"))"
pass

bin=$prefix/bin/gcspike
expect_exit 0 "$bin" report "$FIXTURES/pprof/go1.26/grow.cpu.pb.gz"
grep -q '^verdict: ' "$WORK/out.txt" || fail "installed gcspike report printed no verdict line"
pass
version=$("$bin" --version)
[[ $version =~ ^gcspike\ ${GCSPIKE_VERSION//./\\.}\ \(commit\ ([0-9a-f]{7,}(-dirty)?|unknown),\ [A-Za-z]+\ build\)$ ]] ||
  fail "--version: $version"
pass

# The man page: no warnings from groff (all of them, -ww) nor from man.
man_page=$prefix/share/man/man1/gcspike.1
warnings=$(groff -ww -man -z "$man_page" 2>&1)
[[ -z $warnings ]] || fail "groff warns on the man page: $warnings"
warnings=$(MANWIDTH=80 man --warnings -l "$man_page" 2>&1 >/dev/null)
[[ -z $warnings ]] || fail "man warns on the man page: $warnings"
pass
LC_ALL=C MANWIDTH=120 man -l "$man_page" 2>/dev/null | col -bx > "$WORK/man.txt"
# section NAME: the lines of the rendered section NAME (headings start in column 1).
section() {
  awk -v s="$1" '/^[A-Z]/ { on = ($0 == s) ; next } on' "$WORK/man.txt"
}
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" LABELS; do
  [[ -n $(section "$s") ]] || fail "the man page has no section $s"
done
pass

"$bin" --help > "$WORK/help.txt"
# Commands: the usage lines of --help ("  gcspike [annotate] ...", "  gcspike pprof ...").
mapfile -t commands < <(sed -n '/^Usage:/,/^$/s/^  gcspike \[\{0,1\}\([a-z-]*\).*/\1/p' "$WORK/help.txt")
[[ ${#commands[@]} -ge 3 ]] || fail "found only ${#commands[@]} commands in --help"
section COMMANDS > "$WORK/man-commands.txt"
for c in "${commands[@]}"; do
  grep -qE "^ {1,7}gcspike \[?$c\b" "$WORK/man-commands.txt" || fail "man page COMMANDS lacks $c"
  # ...with an example: a line indented below the command that runs it.
  grep -qE "^ {8,}gcspike $c( |$)" "$WORK/man-commands.txt" || fail "man page has no example for $c"
done
[[ $(grep -cE '^ +Examples?:' "$WORK/man-commands.txt") == "${#commands[@]}" ]] ||
  fail "not one example block per command"
pass
# Flags: every "  --name" / "  -o" / "  -h, --help" line of --help.
mapfile -t flags < <(grep -oE '^  -{1,2}[a-z0-9][a-z0-9-]*(, --[a-z0-9-]+)?' "$WORK/help.txt" |
  sed 's/^  //; s/, /\n/' | sort -u)
[[ ${#flags[@]} -ge 20 ]] || fail "found only ${#flags[@]} flags in --help"
section OPTIONS > "$WORK/man-options.txt"
for f in "${flags[@]}"; do
  grep -qE "^ +(-h, )?$f([ =,]|$)" "$WORK/man-options.txt" || fail "man page OPTIONS lacks $f"
done
pass
# Exit statuses: those of --help, and 3 (a gate that cannot be decided).
mapfile -t codes < <(sed -n '/^Exit status:/,/^$/p' "$WORK/help.txt" | grep -oE '(: |, |^  )[0-9]+ ' | grep -oE '[0-9]+')
[[ ${codes[*]} == "0 1 2"* ]] || fail "--help exit statuses: ${codes[*]}"
for code in "${codes[@]}" 3; do
  section "EXIT STATUS" | grep -qE "^ +$code( |$)" || fail "man page EXIT STATUS lacks $code"
done
pass
# Labels: every key and feature name in the README's label table.
# (The first two columns: the keys and their values.)
mapfile -t labels < <(sed -n '/^## The labels/,/^## /p' "$SOURCE_DIR/README.md" | grep '^| `' |
  awk -F'|' '{ print $2, $3 }' | grep -oE '`[a-z_+-]+`' | tr -d '`' | grep -v '^+$' | sort -u)
[[ ${#labels[@]} -ge 10 ]] || fail "found only ${#labels[@]} labels in the README"
section LABELS > "$WORK/man-labels.txt"
for l in "${labels[@]}"; do
  grep -qE "(^|[^a-z_-])$l([^a-z_-]|$)" "$WORK/man-labels.txt" || fail "man page LABELS lacks $l"
done
pass

# bash: the completion loads, registers for gcspike, and completes commands and every flag.
bash_completion=$prefix/share/bash-completion/completions/gcspike
[[ $(bash -c "source '$bash_completion' && complete -p gcspike") == *"-F _gcspike gcspike"* ]] ||
  fail "the bash completion does not register for gcspike"
complete_words() {  # WORDS...: what bash offers for the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gcspike
           printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_completion" "$@"
}
[[ $(complete_words gcspike rep) == report ]] || fail "bash: 'gcspike rep' does not complete to report"
diff <(complete_words gcspike report - | sort) <(printf '%s\n' "${flags[@]}" | sort) >&2 ||
  fail "bash completion flags differ from --help"
pass

# zsh: the completion parses, compinit picks it up for gcspike, and it names every flag.
zsh_completion=$prefix/share/zsh/vendor-completions/_gcspike
zsh -n "$zsh_completion" || fail "zsh cannot parse _gcspike"
registered=$(zsh -fc "fpath=('$prefix/share/zsh/vendor-completions' \$fpath)
  autoload -Uz compinit && compinit -u -d '$WORK/zcompdump' && print -r -- \$_comps[gcspike]")
[[ $registered == _gcspike ]] || fail "zsh compinit does not register _gcspike for gcspike: $registered"
zsh_flags=$(grep -oE "^ +'-{1,2}[a-z0-9-]+" "$zsh_completion" | grep -oE -- '-{1,2}[a-z0-9-]+' | sort -u)
diff <(echo "$zsh_flags") <(printf '%s\n' "${flags[@]}" | sort) >&2 || fail "zsh completion flags differ from --help"
pass
finish
