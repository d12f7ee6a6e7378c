"""LEB128 varints (unsigned, and zigzag for signed ints): the bytecode's lengths and int constants."""
from __future__ import annotations


class VarintError(ValueError):
    pass


def encode_uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_uvarint(data: bytes, pos: int, end: int, bits: int) -> tuple[int, int]:
    """(value, new position). Refuses truncated, overlong (non-minimal) and out-of-range encodings,
    so every value has exactly one encoding."""
    value, shift, start = 0, 0, pos
    while True:
        if pos >= end:
            raise VarintError(f"truncated varint at byte {start}")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift >= bits + 7:
            raise VarintError(f"varint too long at byte {start}")
    if value >> bits:
        raise VarintError(f"varint out of range at byte {start}")
    if pos - start > 1 and data[pos - 1] == 0:
        raise VarintError(f"overlong varint at byte {start}")
    return value, pos


def zigzag(n: int) -> int:
    return ((n << 1) ^ (n >> 63)) & 0xFFFF_FFFF_FFFF_FFFF


def unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)
