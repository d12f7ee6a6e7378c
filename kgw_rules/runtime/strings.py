"""String functions and value coercions of the VM (docs/runtime.md section 1).

Everything works on bytes; ints stay within i64 (callers wrap arithmetic with wrap_i64).
"""
from __future__ import annotations

I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1

# The six ASCII whitespace bytes of trim (and of cookie trimming): space \t \n \v \f \r.
WS = b" \t\n\x0b\x0c\r"

_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def wrap_i64(n: int) -> int:
    """Two's-complement wrap into i64 (ADD wraps like Zig's +%)."""
    return ((n - I64_MIN) & 0xFFFF_FFFF_FFFF_FFFF) + I64_MIN


def to_str(value: bytes | int | bool | None) -> bytes:
    """Text of a value: bytes itself, bool true/false, int decimal, none empty."""
    if value is None:
        return b""
    if isinstance(value, bool):  # before int: bool is an int subclass in Python
        return b"true" if value else b"false"
    if isinstance(value, int):
        return str(value).encode("ascii")
    return bytes(value)


def int_of(value: bytes | int | bool | None) -> int:
    """Int of a value: an int is itself, anything else (bool included) is 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0


def lower(s: bytes) -> bytes:
    return s.translate(_LOWER)


def upper(s: bytes) -> bytes:
    return s.translate(_UPPER)


def trim(s: bytes) -> bytes:
    # bytes.strip(WS) strips exactly the given set and nothing else (no NUL, no 0x85/0xA0).
    return s.strip(WS)


def substr(s: bytes, start: int, length: int | None = None) -> bytes:
    n = len(s)
    start = min(max(start, 0), n)  # negative starts clamp to 0, they do not count from the end
    if length is None:
        return s[start:]
    length = max(length, 0)
    end = n if length >= n - start else start + length  # no overflow in an i64 port
    return s[start:end]


def split_part(s: bytes, sep: bytes, n: int) -> bytes:
    if n < 0:
        return b""
    if not sep:  # empty separator: no splitting, s is the only part
        return s if n == 0 else b""
    # bytes.split scans left to right, non-overlapping, and keeps empty parts.
    parts = s.split(sep)
    return parts[n] if n < len(parts) else b""


def starts_with(s: bytes, prefix: bytes) -> bool:
    return s.startswith(prefix)


def ends_with(s: bytes, suffix: bytes) -> bool:
    return s.endswith(suffix)


def contains(s: bytes, needle: bytes) -> bool:
    return needle in s


def to_int(s: bytes) -> int | None:
    """int(): exactly -?[0-9]+ within i64, else None (leading zeros fine)."""
    digits = s[1:] if s[:1] == b"-" else s
    # Check ASCII digits by hand: Python's int() and isdigit() accept '_', spaces, non-ASCII digits.
    if not digits or any(c < 0x30 or c > 0x39 for c in digits):
        return None
    digits = digits.lstrip(b"0") or b"0"
    if len(digits) > 19:  # beyond i64 anyway; also keeps Python's 4300-digit int() limit away
        return None
    value = int(digits.decode("ascii"))
    if s[:1] == b"-":
        value = -value
    return value if I64_MIN <= value <= I64_MAX else None
