#!/usr/bin/env python3
"""perf script's frame-pointer stacks with the frameless-caller rule applied, computed here
independently of gcspike (docs/formats/perf-data.md#callchains), for gocheck
perf-script-compare.

Usage: frameless_rule.py PERF_DATA OUT [--fields=F] [PERF SCRIPT FLAGS...]
(perf script's environment, e.g. HOME, is passed on)

Runs `perf script -F F,symoff,dso FLAGS` (F: comm,pid,tid,time,ip,sym unless given; it must
hold ip and sym) and writes to OUT what `perf script -F F FLAGS` prints, with one frame
inserted after the first user frame of a stack when: the function there has no frame at that
address by the file's CFI as `readelf --debug-dump=frames-interp` lists it (CFA rsp+8, or
rsp+16 before the bytes 48 89 e5, mov %rsp,%rbp); the five bytes before the next frame's
return address (read from the file through its PT_LOAD headers) are e8 and a rel32; and the
target is the address of a function symbol as nm lists it. Link-time addresses come from
perf's sym+offset and nm. A frame whose file or symbol is unknown to perf, or a file without
CFI, gets nothing. Prints the number of stacks changed on stderr.
"""
import re
import struct
import subprocess
import sys

KERNEL = 0xFFFF800000000000


class Elf:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2:
            raise ValueError("not ELF64")
        self.machine = struct.unpack_from("<H", d, 18)[0]
        phoff, = struct.unpack_from("<Q", d, 32)
        phentsize, phnum = struct.unpack_from("<HH", d, 54)
        self.loads = []
        for i in range(phnum):
            p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
                "<IIQQQQ", d, phoff + i * phentsize)
            if p_type == 1:
                self.loads.append((p_vaddr, p_offset, p_filesz))
        self.functions = {}  # name -> link-time address
        self.starts = set()
        nm = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True)
        for line in nm.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TtWw":
                addr = int(parts[0], 16)
                self.functions.setdefault(parts[2], addr)
                self.starts.add(addr)
        self.fdes = self._cfa_rows(path)

    @staticmethod
    def _cfa_rows(path):
        """[(start, end, [(loc, cfa text)])] from readelf's interpreted frames, by start."""
        out = subprocess.run(["readelf", "--debug-dump=frames-interp", path],
                             capture_output=True, text=True).stdout
        fdes, cur = [], None
        for line in out.splitlines():
            m = re.search(r"FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)", line)
            if m:
                cur = (int(m.group(1), 16), int(m.group(2), 16), [])
                fdes.append(cur)
                continue
            m = re.match(r"^([0-9a-f]{8,16}) (\S+)", line)
            if m and cur is not None:
                cur[2].append((int(m.group(1), 16), m.group(2)))
            elif not line.strip():
                cur = None
        fdes.sort()
        return fdes

    def read(self, vaddr, n):
        for v, off, size in self.loads:
            if v <= vaddr and vaddr + n <= v + size:
                return self.data[off + vaddr - v: off + vaddr - v + n]
        return None

    def cfa(self, vaddr):
        for start, end, rows in self.fdes:
            if start <= vaddr < end:
                best = None
                for loc, cfa in rows:
                    if loc <= vaddr:
                        best = cfa
                return best
        return None


_elves = {}


def elf(path):
    if path not in _elves:
        try:
            _elves[path] = Elf(path)
        except (OSError, ValueError):
            _elves[path] = None
    return _elves[path]


def link_address(frame):
    """(Elf, link-time address) of a parsed frame, or (None, None)."""
    addr, sym, off, dso = frame
    e = elf(dso) if dso and dso.startswith("/") else None
    if e is None or e.machine != 62 or sym not in e.functions:
        return None, None
    return e, e.functions[sym] + off


def caller_to_insert(leaf, nxt):
    """(runtime address, name) of the function the chain skipped, or None."""
    e, pc = link_address(leaf)
    if e is None:
        return None
    cfa = e.cfa(pc)
    if not (cfa == "rsp+8" or (cfa == "rsp+16" and e.read(pc, 3) == b"\x48\x89\xe5")):
        return None
    r, ret = link_address(nxt)
    if r is None:
        return None
    call = r.read(ret - 5, 5)
    if call is None or call[0] != 0xE8:
        return None
    target = ret + struct.unpack("<i", call[1:])[0]
    if target not in r.starts:
        return None
    names = sorted(n for n, a in r.functions.items() if a == target)
    return nxt[0] + (target - ret), names[0]


FRAME = re.compile(r"^\s+([0-9a-f]+) (.*?)(?:\+0x([0-9a-f]+))? \((.*)\)$")


def parse_frame(line):
    m = FRAME.match(line)
    if not m:
        return None
    sym = m.group(2)
    return int(m.group(1), 16), sym, int(m.group(3) or "0", 16), m.group(4)


def rewrite(lines, out):
    changed = 0
    i = 0
    while i < len(lines):
        if not lines[i].startswith(("\t", " ")) or not lines[i].strip():
            out.write(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].startswith(("\t", " ")) and lines[j].strip():
            j += 1
        frames = [parse_frame(l) for l in lines[i:j]]
        insert = None
        k = next((n for n, f in enumerate(frames) if f is not None and f[0] < KERNEL), None)
        if k is not None and k + 1 < len(frames) and frames[k + 1] is not None:
            insert = caller_to_insert(frames[k], frames[k + 1])
        for n, f in enumerate(frames):
            out.write("\t%16x %s\n" % (f[0], f[1]) if f else lines[i + n])
            if n == k and insert is not None:
                out.write("\t%16x %s\n" % insert)
        changed += insert is not None
        i = j
    return changed


def main():
    data, out_path = sys.argv[1], sys.argv[2]
    fields, flags = "comm,pid,tid,time,ip,sym", []
    for a in sys.argv[3:]:
        if a.startswith("--fields="):
            fields = a[len("--fields="):]
        else:
            flags.append(a)
    script = subprocess.run(
        ["perf", "script", "-F", fields + ",symoff,dso", "-i", data] + flags,
        capture_output=True, text=True, check=True).stdout
    with open(out_path, "w") as out:
        changed = rewrite(script.splitlines(keepends=True), out)
    print("frameless rule: %d stacks changed" % changed, file=sys.stderr)  # one per sample


if __name__ == "__main__":
    main()
