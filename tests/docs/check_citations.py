#!/usr/bin/env python3
"""Every citation of the format notes in the repository resolves: each `docs/formats/PAGE.md`
and `docs/formats/PAGE.md#section` (and a following `, #section` of the same page) named in a
source, test or Markdown file names a page that exists and a section heading it has, with
GitHub's anchor rule (lower case, punctuation dropped, spaces to hyphens). Also, no file cites
notes that live outside the repository.

usage: check_citations.py SOURCE_DIR     prints "N citations resolve", or one line per broken one
"""
import os
import re
import sys

CITE = re.compile(r'docs/formats/([a-z0-9-]+\.md)((?:#[a-z0-9-]+)?(?:,? ?#[a-z0-9-]+)*)')
OUTSIDE = re.compile(r'notes §|/work/shared|shared/notes|go-trace-and-runtime\.md|perf-data-format\.md|'
                     r'pprof-and-viewers\.md')
EXTENSIONS = ('.cc', '.h', '.md', '.py', '.sh', '.go', '.cmake', '.txt', '.mjs', '.js', '.proto')
SKIP = {'build', 'node_modules', '.git'}


def anchors(path):
    out = set()
    for line in open(path, encoding='utf-8'):
        m = re.match(r'^#+\s+(.*?)\s*$', line)
        if m:
            a = re.sub(r'[^\w\- ]', '', m.group(1).lower()).replace(' ', '-')
            out.add(a)
    return out


def main():
    root = sys.argv[1]
    pages = {}
    broken, count = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP and not d.startswith('build')]
        for name in filenames:
            if not name.endswith(EXTENSIONS):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if rel == os.path.join('tests', 'docs', 'check_citations.py'):
                continue
            for no, line in enumerate(open(path, encoding='utf-8', errors='replace'), 1):
                if OUTSIDE.search(line):
                    broken.append(f'{rel}:{no}: cites notes outside the repository: {line.strip()}')
                for m in CITE.finditer(line):
                    count += 1
                    page = os.path.join(root, 'docs', 'formats', m.group(1))
                    if not os.path.exists(page):
                        broken.append(f'{rel}:{no}: no page docs/formats/{m.group(1)}')
                        continue
                    if page not in pages:
                        pages[page] = anchors(page)
                    for a in re.findall(r'#([a-z0-9-]+)', m.group(2)):
                        if a not in pages[page]:
                            broken.append(f'{rel}:{no}: docs/formats/{m.group(1)} has no section #{a}')
    for b in broken:
        print(b)
    print(f'{count} citations, {len(broken)} broken')
    sys.exit(1 if broken else 0)


if __name__ == '__main__':
    main()
