"""LEB128 varints and the one reader every decoder of kgw_rules.wire uses.

Varints are unsigned LEB128 (7 bits a byte, low groups first); signed ints are zigzag-encoded first. A
reader refuses truncated, overlong (a final 0 byte after the first) and out-of-range varints, so every
value has exactly one encoding. Fixed-width integers are little endian.
"""
from __future__ import annotations


def encode_uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if not n:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def zigzag(n: int) -> int:
    return ((n << 1) ^ (n >> 63)) & 0xFFFF_FFFF_FFFF_FFFF


def unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


def encode_blob(data: bytes) -> bytes:
    """A `str` of every format: varint length, then the bytes."""
    return encode_uvarint(len(data)) + data


class Reader:
    """Bounds-checked reads of `data[pos:end]`; every defect raises `error` (the format's own exception
    class) with a message naming what was being read and where."""

    def __init__(self, data: bytes, error: type[ValueError], pos: int = 0, end: int | None = None):
        self.data, self.error, self.pos = data, error, pos
        self.end = len(data) if end is None else end

    @property
    def left(self) -> int:
        return self.end - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n > self.left:
            raise self.error(f"truncated: {what} needs {n} bytes at offset {self.pos}, only {self.left} left")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def uint(self, width: int, what: str) -> int:
        return int.from_bytes(self.take(width, what), "little")

    def varint(self, what: str, bits: int = 32) -> int:
        value, shift, start = 0, 0, self.pos
        while True:
            if self.pos >= self.end:
                raise self.error(f"{what}: truncated varint at offset {start}")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
            if shift >= bits + 7:
                raise self.error(f"{what}: varint too long at offset {start}")
        if value >> bits:
            raise self.error(f"{what}: varint out of range at offset {start}")
        if self.pos - start > 1 and byte == 0:
            raise self.error(f"{what}: overlong varint at offset {start}")
        return value

    def blob(self, what: str) -> bytes:
        return self.take(self.varint(f"{what} length"), what)
