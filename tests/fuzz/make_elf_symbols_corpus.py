#!/usr/bin/env python3
"""Writes the seed corpus of elf_symbols_fuzzer into tests/fuzz/corpus/elf_symbols/:

  c_inline, c_inline_stripped: a small C program (gcc -O2 -g) with two levels of inlined calls
      (DWARF lines and inlined_subroutines), and a strip(1)ped copy (.dynsym only);
  go116_inline, go118_inline, go120_inline, go127_inline: hand-made ELF files holding a
      .gopclntab with one function and a two-deep inline tree, .rodata with the inline tree and
      .noptrdata with the moduledata, in each layout GoPclntab reads (the same function as
      tests/unit/symbolizer/go_pclntab_test.cc InlineTable). No .symtab: only .gopclntab names
      the text, as in a stripped Go binary.

Run it from anywhere: python3 tests/fuzz/make_elf_symbols_corpus.py (needs gcc and strip).
"""
import os
import struct
import subprocess
import tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "elf_symbols")

C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
static inline __attribute__((always_inline)) int leaf(int x) { return x * 3 + (x >> 2); }
static inline __attribute__((always_inline)) int mid(int x) { return leaf(x) ^ leaf(x + 1); }
__attribute__((noinline)) int outer(int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) s += mid(i);
  return s;
}
int main(int argc, char** argv) { printf("%d\n", outer(argc > 1 ? atoi(argv[1]) : 10)); return 0; }
"""

BASE = 0x400000  # one PT_LOAD maps the whole file at BASE
TEXT_OFF, PCLN_OFF, RODATA_OFF, NOPTR_OFF = 0x1000, 0x1100, 0x2000, 0x3000
TEXT = BASE + TEXT_OFF
TREE_OFFSET = 0x10  # from gofunc (= .rodata's start)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def go_sections(layout):
    """(.gopclntab, .rodata, .noptrdata) bytes. Function main.outer at [TEXT, TEXT+0x30):
    lines 10, 11 (calls main.mid), 20 (mid), 21 (mid calls main.leaf), 30 (leaf)."""
    go116, go118 = layout == "go116", layout == "go118"
    go120 = layout in ("go120", "go127")
    magic = 0xFFFFFFFA if go116 else 0xFFFFFFF0 if go118 else 0xFFFFFFF1
    names = b"main.outer\0main.mid\0main.leaf\0\0\0"
    files = b"a.go\0\0\0\0"
    pcln = bytes([22, 8, 2, 8, 18, 8, 2, 8, 18, 16, 0])
    pcfile = bytes([2, 48, 0])
    inl = bytes([0, 16, 2, 16, 2, 16, 0])
    pctab = b"\0"
    pcln_at = len(pctab); pctab += pcln
    pcfile_at = len(pctab); pctab += pcfile
    inl_at = len(pctab); pctab += inl
    pctab += b"\0" * (-len(pctab) % 8)
    header_size = 8 + (7 if go116 else 8) * 8
    funcname_off = header_size
    cutab_off = funcname_off + len(names)
    filetab_off = cutab_off + 4
    pctab_off = filetab_off + len(files)
    functab_off = pctab_off + len(pctab)
    b = u32(magic) + bytes([0, 0, 1, 8]) + u64(1) + u64(1)
    if not go116:
        b += u64(TEXT)
    for v in (funcname_off, cutab_off, filetab_off, pctab_off, functab_off):
        b += u64(v)
    b += names + u32(0) + files + pctab
    field = u64 if go116 else u32
    width = 8 if go116 else 4
    b += field(TEXT if go116 else 0) + field(3 * width) + field(TEXT + 0x30 if go116 else 0x30)
    b += field(TEXT if go116 else 0)
    for v in (0, 0, 0, 0, pcfile_at, pcln_at, 3, 0):
        b += u32(v)
    if go120:
        b += u32(1)  # startLine
    b += bytes([0, 0, 0, 4])  # funcID, flag/pad, pad, nfuncdata
    b += u32(0) + u32(0) + u32(inl_at)
    if go116:
        b += b"\0" * (-(BASE + PCLN_OFF + len(b)) % 8)
        b += u64(0) * 3 + u64(BASE + RODATA_OFF + TREE_OFFSET)
    else:
        b += u32(0xFFFFFFFF) * 3 + u32(TREE_OFFSET)
    rodata = b"\0" * TREE_OFFSET
    for name_off, parent_pc in ((11, 0x08), (20, 0x18)):
        if go120:
            rodata += u32(0) + u32(name_off) + u32(parent_pc) + u32(1)
        else:
            rodata += u32(0) * 3 + u32(name_off) + u32(parent_pc)
    words = [0] * 48
    words[0] = BASE + PCLN_OFF
    words[20] = TEXT
    gofunc_word = {"go116": 40, "go118": 38, "go120": 40, "go127": 43}[layout]
    words[gofunc_word - 1] = BASE + RODATA_OFF
    words[gofunc_word] = BASE + RODATA_OFF
    if layout == "go127":
        words[39], words[40] = BASE + RODATA_OFF + 0x100, 0x40
    return b, rodata, b"".join(u64(w) for w in words)


def go_elf(layout):
    pcln, rodata, noptr = go_sections(layout)
    assert len(pcln) <= RODATA_OFF - PCLN_OFF
    body = bytearray(NOPTR_OFF + len(noptr))
    body[TEXT_OFF:TEXT_OFF + 0x30] = b"\x90" * 0x30
    body[PCLN_OFF:PCLN_OFF + len(pcln)] = pcln
    body[RODATA_OFF:RODATA_OFF + len(rodata)] = rodata
    body[NOPTR_OFF:NOPTR_OFF + len(noptr)] = noptr
    load_size = len(body)
    shstrtab = b"\0.text\0.gopclntab\0.rodata\0.noptrdata\0.shstrtab\0"
    shstr_off = len(body)
    body += shstrtab
    body += b"\0" * (-len(body) % 8)
    shoff = len(body)

    def name(n):
        return shstrtab.index(n.encode() + b"\0")

    def shdr(nm, typ, flags, off, size, align):
        addr = BASE + off if flags & 2 else 0
        return struct.pack("<IIQQQQIIQQ", nm, typ, flags, addr, off, size, 0, 0, align, 0)

    sections = [b"\0" * 64,
                shdr(name(".text"), 1, 6, TEXT_OFF, 0x30, 16),
                shdr(name(".gopclntab"), 1, 2, PCLN_OFF, len(pcln), 8),
                shdr(name(".rodata"), 1, 2, RODATA_OFF, len(rodata), 8),
                shdr(name(".noptrdata"), 1, 3, NOPTR_OFF, len(noptr), 8),
                shdr(name(".shstrtab"), 3, 0, shstr_off, len(shstrtab), 1)]
    body += b"".join(sections)
    ehdr = (b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8 +
            struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, TEXT, 64, shoff, 0, 64, 56, 1, 64,
                        len(sections), len(sections) - 1))
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, load_size, load_size, 0x1000)
    body[0:64] = ehdr
    body[64:64 + 56] = phdr
    return bytes(body)


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "inl.c")
        with open(src, "w") as f:
            f.write(C_SOURCE)
        binary = os.path.join(OUT, "c_inline")
        subprocess.run(["gcc", "-O2", "-g", "-o", binary, src], check=True)
        subprocess.run(["strip", "-o", os.path.join(OUT, "c_inline_stripped"), binary], check=True)
    for layout in ("go116", "go118", "go120", "go127"):
        with open(os.path.join(OUT, layout + "_inline"), "wb") as f:
            f.write(go_elf(layout))


if __name__ == "__main__":
    main()
