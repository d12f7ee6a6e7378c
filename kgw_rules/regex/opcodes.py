"""The single source of truth for the matcher's instruction set and limits.

The Zig matcher's constants are generated from ``OPCODES`` and ``ASSERT_KINDS``; renumbering an entry
changes the binary format (bump ``FORMAT_VERSION``).
"""
from __future__ import annotations

from typing import NamedTuple

FORMAT_VERSION = 1

MAX_PATTERN_BYTES = 1024
MAX_INSTRUCTIONS = 2048
MAX_GROUPS = 32  # capture groups besides the implicit group 0
MAX_REPEAT = 1000  # largest count allowed in {n,m}
MAX_NESTING = 100  # group nesting depth; keeps the recursive parser and compiler far from Python's stack limit
MAX_CLASSES = MAX_INSTRUCTIONS  # each CLASS instruction references at most one new class

# Work budget of one replace-all (replace() and `replace body`), in bytes the searches step over
# (docs/regex.md, Complexity): REPLACE_BUDGET_FACTOR * len(input) + REPLACE_BUDGET_BASE. Ordinary
# patterns step over each byte about once; 4x leaves room for patterns that look a few tokens past
# each match, and the base means inputs up to 365 bytes are never cut, whatever the pattern. Both
# matchers use these numbers (the Zig constants are generated from them).
REPLACE_BUDGET_FACTOR = 4
REPLACE_BUDGET_BASE = 65536


def replace_budget(n: int) -> int:
    """The work budget of a replace-all over an input of n bytes."""
    return REPLACE_BUDGET_FACTOR * n + REPLACE_BUDGET_BASE


class Operand(NamedTuple):
    role: str  # byte | class | target | slot | assert
    width: int  # bytes, little-endian


class Opcode(NamedTuple):
    code: int
    name: str
    operands: tuple[Operand, ...]
    meaning: str


_U8, _U16 = 1, 2

OPCODES: tuple[Opcode, ...] = (
    Opcode(0, "MATCH", (), "the thread matches; threads of lower priority are dropped"),
    Opcode(1, "BYTE", (Operand("byte", _U8),), "consume one byte equal to the operand"),
    Opcode(2, "CLASS", (Operand("class", _U16),), "consume one byte whose bit is set in the class table entry"),
    Opcode(3, "ANY_NOT_NL", (), "consume one byte other than 0x0A"),
    Opcode(4, "ANY", (), "consume any one byte"),
    Opcode(5, "SPLIT", (Operand("target", _U16), Operand("target", _U16)),
           "continue at the first target, and with lower priority at the second"),
    Opcode(6, "JMP", (Operand("target", _U16),), "continue at the target"),
    Opcode(7, "SAVE", (Operand("slot", _U8),), "store the current position in a capture slot, then fall through"),
    Opcode(8, "ASSERT", (Operand("assert", _U8),), "fall through only if the zero-width condition holds here"),
)

BY_NAME = {op.name: op for op in OPCODES}
BY_CODE = {op.code: op for op in OPCODES}

MATCH, BYTE, CLASS, ANY_NOT_NL, ANY, SPLIT, JMP, SAVE, ASSERT = (BY_NAME[n].code for n in (
    "MATCH", "BYTE", "CLASS", "ANY_NOT_NL", "ANY", "SPLIT", "JMP", "SAVE", "ASSERT"))

# Opcodes after which execution continues at pc + 1; the verifier forbids them as the last instruction.
FALLS_THROUGH = frozenset((BYTE, CLASS, ANY_NOT_NL, ANY, SAVE, ASSERT))
CONSUMES = frozenset((BYTE, CLASS, ANY_NOT_NL, ANY))


class AssertKind(NamedTuple):
    code: int
    name: str
    meaning: str


ASSERT_KINDS: tuple[AssertKind, ...] = (
    AssertKind(0, "text_start", "position 0 of the whole input (^, \\A)"),
    AssertKind(1, "text_end", "position len(input) ($, \\z)"),
    AssertKind(2, "word_boundary", "exactly one of the bytes before and after is [0-9A-Za-z_] (\\b)"),
    AssertKind(3, "not_word_boundary", "not a word boundary (\\B)"),
)
TEXT_START, TEXT_END, WORD_BOUNDARY, NOT_WORD_BOUNDARY = range(4)
