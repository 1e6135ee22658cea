#!/usr/bin/env python3
"""Runs the shell examples of the documentation and compares their output with the text that
follows them, so that no example can drift from what the program prints.

An example is a line starting with "$ " inside a ``` block; the lines after it, up to the next
"$ " line or the end of the block, are its expected output (stdout and stderr together, in the
order they were written). Normalisation, the only liberties a document may take:
  - "…" on a line of its own stands for any number of lines (zero included);
  - "…" inside a line stands for any text within that line (times, durations, a moving number);
  - trailing blanks are ignored.
A block preceded by a line "<!-- docs-test: not run: REASON -->" is not run (an example that
serves until interrupted, or needs a tool Debian does not ship); the reason is printed.

Every document runs in a directory of its own, in order, so an example may use the files that
an earlier one of the same document wrote. The directory holds the names the documents use for
inputs (copies of the bundled fixtures, see INPUTS), a `fixtures` link to the repository's, and
`service`, the fixture workload built with the Go on PATH. `gcspike` is the binary under test,
first on PATH. The command runs in bash with stdout and stderr on one pipe (not a terminal),
without pipefail, as a user's shell runs it: `grep … | head -2` may end grep with SIGPIPE.

usage: doc_examples.py check|update GCSPIKE SOURCE_DIR [DOC...]
  check   runs every example and prints a diff for each that differs; exits 1 if any does
  update  rewrites the expected output of every differing example without "…" in it (those
          with "…" are printed for a hand edit, and the exit status is 1 if there are any)
"""
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

DOCS = ['README.md', 'CONTRIBUTING.md', 'plugin/detect/RULES.md', 'formats/GO_TRACE.md']
DOCS_GLOBS = ['docs']  # every *.md in these folders

# Input names the documents use, and the fixture each stands for.
INPUTS = {
    'cpu.pprof': 'pprof/go1.26/grow.cpu.pb.gz',
    'grow.cpu.pb.gz': 'pprof/go1.26/grow.cpu.pb.gz',
    'grow.allocs.pb.gz': 'pprof/go1.26/grow.allocs.pb.gz',
    'heap.pprof': 'pprof/go1.26/grow.heap.pb.gz',
    'presized.pprof': 'pprof/go1.26/presized.cpu.pb.gz',
    'host1.pb.gz': 'pprof/go1.19/grow.cpu.pb.gz',
    'host2.pb.gz': 'pprof/go1.26/grow.cpu.pb.gz',
    'host3.pb.gz': 'pprof/go1.27.3/grow.cpu.pb.gz',
    'grow.trace': 'trace/go1.26/grow.trace',
    'trace.out': 'trace/go1.26/grow.trace',
}
SKIP = re.compile(r'^<!-- docs-test: not run: (.+) -->$')
ELLIPSIS = '…'


class Example:
    def __init__(self, doc, line_no, command, expected, skip):
        self.doc, self.line_no, self.command = doc, line_no, command
        self.expected, self.skip = expected, skip  # expected: list of lines


def parse(path):
    """Examples of one document, with the line index range of each expected block."""
    lines = open(path, encoding='utf-8').read().split('\n')
    examples = []
    in_block, skip, pending_skip = False, None, None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith('```'):
            if in_block:
                in_block = False
            else:
                in_block, skip, pending_skip = True, pending_skip, None
            i += 1
            continue
        if not in_block:
            m = SKIP.match(line.strip())
            if m:
                pending_skip = m.group(1)
            elif line.strip():
                pending_skip = None
            i += 1
            continue
        if line.startswith('$ '):
            command = line[2:]
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].startswith('$ ') and not lines[j].startswith('```'):
                j += 1
            ex = Example(path, i + 1, command, lines[start:j], skip)
            ex.span = (start, j)
            examples.append(ex)
            i = j
            continue
        i += 1
    return examples


def line_matches(pattern, actual):
    pattern, actual = pattern.rstrip(), actual.rstrip()
    if ELLIPSIS not in pattern:
        return pattern == actual
    parts = [re.escape(p) for p in pattern.split(ELLIPSIS)]
    return re.fullmatch('.*?'.join(parts), actual, re.S) is not None


def block_matches(expected, actual):
    """Whether the actual lines fit the expected ones, "…" lines matching any run of lines."""
    expected = [e for e in expected]
    while expected and not expected[-1].strip():
        expected.pop()
    actual = list(actual)
    while actual and not actual[-1].strip():
        actual.pop()
    memo = {}

    def match(e, a):
        if (e, a) in memo:
            return memo[e, a]
        if e == len(expected):
            r = a == len(actual)
        elif expected[e].strip() == ELLIPSIS:
            r = any(match(e + 1, k) for k in range(a, len(actual) + 1))
        else:
            r = a < len(actual) and line_matches(expected[e], actual[a]) and match(e + 1, a + 1)
        memo[e, a] = r
        return r

    return match(0, 0)


def setup(workdir, source_dir, gcspike):
    fixtures = os.path.join(source_dir, 'fixtures')
    for name, rel in INPUTS.items():
        shutil.copyfile(os.path.join(fixtures, rel), os.path.join(workdir, name))
    os.symlink(fixtures, os.path.join(workdir, 'fixtures'))
    bindir = os.path.join(workdir, '.bin')
    os.mkdir(bindir)
    os.symlink(os.path.abspath(gcspike), os.path.join(bindir, 'gcspike'))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get('PATH', ''),
               GOTELEMETRY='off', LC_ALL='C.UTF-8')
    return env


def build_service(cache, source_dir):
    """The fixture workload as ./service, built once for every document."""
    path = os.path.join(cache, 'service')
    if not os.path.exists(path):
        subprocess.run(['go', 'build', '-o', path, './workload'],
                       cwd=os.path.join(source_dir, 'fixtures', 'src'), check=True,
                       env=dict(os.environ, GOTOOLCHAIN='local', GOTELEMETRY='off'))
    return path


def run(example, workdir, env):
    try:
        p = subprocess.run(['bash', '-c', example.command], cwd=workdir,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=120)
    except subprocess.TimeoutExpired:
        return 124, ['(did not finish within 120 s: mark it "docs-test: not run" with a reason)']
    text = p.stdout.decode('utf-8', 'replace').replace(workdir, '.')
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    return p.returncode, lines


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ('check', 'update'):
        sys.exit(__doc__)
    mode, gcspike, source_dir = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    docs = sys.argv[4:]
    if not docs:
        docs = [d for d in DOCS if os.path.exists(os.path.join(source_dir, d))]
        for folder in DOCS_GLOBS:
            for name in sorted(os.listdir(os.path.join(source_dir, folder))):
                if name.endswith('.md'):
                    docs.append(os.path.join(folder, name))
    failures, hand_edits, ran, skipped = 0, 0, 0, 0
    cache = tempfile.mkdtemp(prefix='gcspike-docs-')
    try:
        service = build_service(cache, source_dir)
        for doc in docs:
            path = os.path.join(source_dir, doc)
            examples = parse(path)
            if not examples:
                continue
            workdir = tempfile.mkdtemp(prefix='doc-', dir=cache)
            env = setup(workdir, source_dir, gcspike)
            shutil.copyfile(service, os.path.join(workdir, 'service'))
            os.chmod(os.path.join(workdir, 'service'), 0o755)
            replacements = []
            for ex in examples:
                where = f'{doc}:{ex.line_no}'
                if ex.skip:
                    print(f'not run  {where}: $ {ex.command}  ({ex.skip})')
                    skipped += 1
                    continue
                ran += 1
                code, actual = run(ex, workdir, env)
                ok = code == 0 and block_matches(ex.expected, actual)
                if ok:
                    print(f'ok       {where}: $ {ex.command}')
                    continue
                failures += 1
                print(f'FAIL     {where}: $ {ex.command}' + (f'  (exit {code})' if code else ''))
                for d in difflib.unified_diff(ex.expected, actual, 'documented', 'printed',
                                              lineterm='', n=2):
                    print('    ' + d)
                if mode == 'update' and code == 0:
                    if any(ELLIPSIS in e for e in ex.expected):
                        hand_edits += 1
                        print(f'    {where}: has "…": edit by hand')
                    else:
                        replacements.append((ex.span, actual))
            if mode == 'update' and replacements:
                lines = open(path, encoding='utf-8').read().split('\n')
                for (start, end), actual in sorted(replacements, reverse=True):
                    lines[start:end] = actual
                open(path, 'w', encoding='utf-8').write('\n'.join(lines))
                print(f'updated  {doc}: {len(replacements)} example(s)')
                failures -= len(replacements)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f'{ran - failures} passed, {failures} failed, {skipped} skipped')
    sys.exit(1 if failures or hand_edits else 0)


if __name__ == '__main__':
    main()
