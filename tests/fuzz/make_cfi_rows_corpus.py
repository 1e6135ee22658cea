#!/usr/bin/env python3
"""Writes the seed corpus of cfi_rows_fuzzer into tests/fuzz/corpus/cfi_rows/: the .eh_frame
of a small C program (gcc -O2, with and without frame pointers, and -fno-omit-frame-pointer
with an early return, which gives remember_state/restore_state), one seed per FDE: u32 offset
of the FDE, u32 pc delta into its range, then the section bytes.

Run it from anywhere: python3 tests/fuzz/make_cfi_rows_corpus.py (needs gcc and objcopy).
"""
import os
import struct
import subprocess
import tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "cfi_rows")

C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) long leaf(long x) {
  if (x < 0) return -1;
  long s = 0;
  for (long i = 0; i < x; ++i) s += i * printf("%ld", i);
  return s;
}
int main(int argc, char** argv) { return (int)leaf(argc > 1 ? atol(argv[1]) : 3); }
"""


def fde_offsets(section):
    at, out = 0, []
    while at + 8 <= len(section):
        length, = struct.unpack_from("<I", section, at)
        if length == 0 or length == 0xffffffff:
            break
        cie_id, = struct.unpack_from("<I", section, at + 4)
        if cie_id != 0:
            out.append(at)
        at += 4 + length
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "p.c")
        with open(src, "w") as f:
            f.write(C_SOURCE)
        for name, flags in (("o2", ["-O2"]), ("fp", ["-O2", "-fno-omit-frame-pointer"]),
                            ("o0", ["-O0"])):
            exe = os.path.join(tmp, name)
            subprocess.run(["gcc", *flags, "-o", exe, src], check=True)
            raw = os.path.join(tmp, name + ".eh")
            subprocess.run(["objcopy", "-O", "binary", "--only-section=.eh_frame", exe, raw],
                           check=True)
            section = open(raw, "rb").read()
            for i, at in enumerate(fde_offsets(section)[:4]):
                with open(os.path.join(OUT, f"{name}_fde{i}"), "wb") as f:
                    f.write(struct.pack("<II", at, 5 + 3 * i) + section)


if __name__ == "__main__":
    main()
