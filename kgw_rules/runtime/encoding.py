"""Encodings: base64 (two alphabets), percent-encoding, SHA-256, JSON string literals.

docs/runtime.md section 2. Decoders are strict and canonical and return None on malformed input.
"""
from __future__ import annotations

import hashlib

_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_URL = _STD[:62] + b"-_"


def _reverse(alphabet: bytes) -> list[int]:
    table = [-1] * 256
    for i, c in enumerate(alphabet):
        table[c] = i
    return table


_STD_REV = _reverse(_STD)
_URL_REV = _reverse(_URL)


def _b64_encode(s: bytes, alphabet: bytes, pad: bool) -> bytes:
    out = bytearray()
    for i in range(0, len(s), 3):
        chunk = s[i:i + 3]
        n = int.from_bytes(chunk.ljust(3, b"\0"), "big")
        chars = [alphabet[(n >> shift) & 63] for shift in (18, 12, 6, 0)]
        keep = len(chunk) + 1  # 1 byte -> 2 chars, 2 -> 3, 3 -> 4
        out += bytes(chars[:keep])
        if pad:
            out += b"=" * (4 - keep)
    return bytes(out)


def _b64_decode(s: bytes, rev: list[int]) -> bytes | None:
    if b"=" in s:
        # Padding: only as the last one or two bytes of input whose length is a multiple of 4.
        if len(s) % 4:
            return None
        data = s.rstrip(b"=")
        if len(s) - len(data) > 2 or b"=" in data:
            return None
        s = data
    if len(s) % 4 == 1:
        return None
    values = [rev[c] for c in s]
    if -1 in values:
        return None
    out = bytearray()
    for i in range(0, len(values), 4):
        group = values[i:i + 4]
        n = 0
        for v in group:
            n = (n << 6) | v
        bits = 6 * len(group)
        extra = bits % 8  # 0 for a full group, 4 for 2 chars, 2 for 3 chars
        if n & ((1 << extra) - 1):
            return None  # non-zero trailing bits: not the canonical spelling
        n >>= extra
        out += n.to_bytes(bits // 8, "big")
    return bytes(out)


def base64_encode(s: bytes) -> bytes:
    return _b64_encode(s, _STD, pad=True)


def base64url_encode(s: bytes) -> bytes:
    return _b64_encode(s, _URL, pad=False)


def base64_decode(s: bytes) -> bytes | None:
    return _b64_decode(s, _STD_REV)


def base64url_decode(s: bytes) -> bytes | None:
    return _b64_decode(s, _URL_REV)


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX_UPPER = b"0123456789ABCDEF"
_HEX_VALUE = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}


def url_encode(s: bytes) -> bytes:
    out = bytearray()
    for c in s:
        if c in _UNRESERVED:
            out.append(c)
        else:
            out += b"%" + bytes((_HEX_UPPER[c >> 4], _HEX_UPPER[c & 15]))
    return bytes(out)


def url_decode(s: bytes) -> bytes | None:
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == 0x25:  # '%'
            hi = _HEX_VALUE.get(s[i + 1]) if i + 1 < n else None
            lo = _HEX_VALUE.get(s[i + 2]) if i + 2 < n else None
            if hi is None or lo is None:
                return None
            out.append(hi * 16 + lo)
            i += 3
            continue
        out.append(0x20 if c == 0x2B else c)  # '+' is a space
        i += 1
    return bytes(out)


def sha256_hex(s: bytes) -> bytes:
    return hashlib.sha256(s).hexdigest().encode("ascii")


_SHORT_ESCAPES = {0x22: b'\\"', 0x5C: b"\\\\", 0x08: b"\\b", 0x0C: b"\\f", 0x0A: b"\\n",
                  0x0D: b"\\r", 0x09: b"\\t"}


def json_escape(s: bytes) -> bytes:
    """JSON string literal, quotes included; bytes >= 0x80 copied unchanged."""
    out = bytearray(b'"')
    for c in s:
        short = _SHORT_ESCAPES.get(c)
        if short is not None:
            out += short
        elif c < 0x20 or c == 0x7F:
            out += b"\\u%04x" % c
        else:
            out.append(c)
    out += b'"'
    return bytes(out)
