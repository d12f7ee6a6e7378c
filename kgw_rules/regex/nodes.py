"""Parsed regex trees. A single-byte matcher is a 256-bit int (bit b set = byte b matches)."""
from __future__ import annotations

from dataclasses import dataclass


def span(lo: int, hi: int) -> int:
    return ((1 << (hi - lo + 1)) - 1) << lo


def bits(*values: int) -> int:
    mask = 0
    for v in values:
        mask |= 1 << v
    return mask


ALL = span(0, 255)
NOT_NL = ALL & ~bits(0x0A)
DIGIT = span(0x30, 0x39)
UPPER = span(0x41, 0x5A)
LOWER = span(0x61, 0x7A)
WORD = DIGIT | UPPER | LOWER | bits(0x5F)
SPACE = bits(0x09, 0x0A, 0x0C, 0x0D, 0x20)

POSIX = {
    "alnum": DIGIT | UPPER | LOWER,
    "alpha": UPPER | LOWER,
    "ascii": span(0, 0x7F),
    "blank": bits(0x09, 0x20),
    "cntrl": span(0, 0x1F) | bits(0x7F),
    "digit": DIGIT,
    "graph": span(0x21, 0x7E),
    "lower": LOWER,
    "print": span(0x20, 0x7E),
    "punct": span(0x21, 0x7E) & ~(DIGIT | UPPER | LOWER),
    "space": SPACE | bits(0x0B),
    "upper": UPPER,
    "word": WORD,
    "xdigit": DIGIT | span(0x41, 0x46) | span(0x61, 0x66),
}


def fold(mask: int) -> int:
    """Close a set under ASCII case folding; bytes >= 0x80 are never folded."""
    return mask | ((mask & UPPER) << 32) | ((mask & LOWER) >> 32)


@dataclass(frozen=True)
class Set:
    mask: int


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Rep:
    sub: Node
    lo: int
    hi: int | None  # None = unbounded
    greedy: bool


@dataclass(frozen=True)
class Cap:
    sub: Node
    index: int
    name: str | None


@dataclass(frozen=True)
class Assert:
    kind: int


Node = Set | Seq | Alt | Rep | Cap | Assert
EMPTY = Seq(())
