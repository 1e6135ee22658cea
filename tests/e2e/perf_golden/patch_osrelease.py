"""Rewrites the os-release string of a perf.data file (file or pipe mode) to "golden",
NUL-padded to the same length: record.sh's recordings must not look like recordings of the
running kernel (docs/formats/perf-data.md#feature-sections)."""
import struct
import sys

OSRELEASE = 4
HEADER_FEATURE = 80


def patch_string(d, at):
    n = struct.unpack_from("<I", d, at)[0]
    new = b"golden"[: n - 1]
    d[at + 4 : at + 4 + n] = new + b"\0" * (n - len(new))


def main(path):
    d = bytearray(open(path, "rb").read())
    assert d[:8] == b"PERFILE2", path
    size = struct.unpack_from("<Q", d, 8)[0]
    done = 0
    if size == 104:
        data_offset, data_size = struct.unpack_from("<QQ", d, 40)
        bits = struct.unpack_from("<4Q", d, 72)
        table = data_offset + data_size
        k = 0
        for bit in range(256):
            if bits[bit // 64] >> (bit % 64) & 1:
                off, _ = struct.unpack_from("<QQ", d, table + 16 * k)
                if bit == OSRELEASE:
                    patch_string(d, off)
                    done += 1
                k += 1
    else:
        off = 16
        while off + 8 <= len(d):
            t, _, sz = struct.unpack_from("<IHH", d, off)
            if t == HEADER_FEATURE and struct.unpack_from("<Q", d, off + 8)[0] == OSRELEASE:
                patch_string(d, off + 16)
                done += 1
            if t == 66:  # HEADER_TRACING_DATA: followed by its payload
                sz += (struct.unpack_from("<I", d, off + 8)[0] + 7) & ~7
            off += sz
    if done != 1:
        sys.exit(f"{path}: found {done} os-release sections, want 1")
    open(path, "wb").write(d)


main(sys.argv[1])
