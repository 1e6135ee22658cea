"""Protocol-buffer wire encoding for the test generators (docs/formats/pprof.md#profile-fields):
varints, length-delimited and varint fields, packed repeated fields. One copy, imported by
tests/e2e/amplified_inputs.py and tests/fuzz/make_large_seeds.py."""


def uvarint(v):
    """v as a base-128 varint; negative values as their 64-bit two's complement."""
    out = bytearray()
    v &= (1 << 64) - 1
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(number, payload):
    """A length-delimited field."""
    return uvarint(number << 3 | 2) + uvarint(len(payload)) + payload


def varint_field(number, value):
    return uvarint(number << 3) + uvarint(value)


def packed(number, values):
    return field(number, b"".join(uvarint(v) for v in values))
